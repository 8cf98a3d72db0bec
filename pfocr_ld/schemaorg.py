"""The schema.org JSON-LD block a figure's web page should embed (``schemaorg/<figid>.jsonld``).

The PFOCR site embeds a thin block today (``name: CreativeWork``, ``license: "CC0"``, no identifier
or url). This module derives the replacement from the figure's own triples, keeping only schema.org
terms and nesting the nodes a search engine reads together (image, paper and periodical, creator).
Three statements are derived for search engines rather than copied: ``mentions`` (the genes and
chemicals that are ``dcterms:isPartOf`` the figure), ``about`` (its disease tags) and ``keywords``
(plus the mentioned genes' symbols). It uses schema.org's own context, whose terms expand to
``http://schema.org/`` exactly like our Turtle.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pfocr_ld import rdf, vocab

_TYPE = vocab.T.rdf["type"]
# schema.org's context coerces these to IRIs (a plain string is an IRI); other IRIs need {"@id": ...}.
_IRI_VALUED = {"url", "license", "sameAs", "contentUrl", "image", "isBasedOn", "isPartOf"}
# Nested in full where they hang off the figure; elsewhere referenced by @id.
_NESTED = {"creator", "image", "citation", "isPartOf", "publisher", "mentions"}
_SCHEMA_LENGTH = len(vocab.SCHEMA)


_IS_PART_OF = vocab.T.dcterms["isPartOf"]
_DISEASE_TAGS = {vocab.T.dcterms["subject"], vocab.T.wp["diseaseOntologyTag"]}
_MENTIONABLE = {"<" + vocab.T.schema["Gene"] + ">", "<" + vocab.T.schema["ChemicalSubstance"] + ">"}


def _index(triples: list[rdf.Triple], figure_iri: str) -> dict[str, dict[str, list[str]]]:
    nodes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    figure_ref = f"<{figure_iri}>"
    parts: list[str] = []
    for subject, predicate, obj in triples:
        if predicate == _TYPE or predicate.startswith(vocab.SCHEMA):
            nodes[subject][predicate].append(obj)
        elif predicate == _IS_PART_OF and obj == figure_ref:
            parts.append(subject)
        elif predicate in _DISEASE_TAGS and subject == figure_iri:
            nodes[figure_iri][vocab.T.schema["about"]].append(obj)
    figure = nodes[figure_iri]
    for part in parts:
        if _MENTIONABLE & set(nodes[part].get(_TYPE, ())):
            figure[vocab.T.schema["mentions"]].append(f"<{part}>")
            figure[vocab.T.schema["keywords"]].extend(nodes[part].get(vocab.T.schema["name"], ()))
    return nodes


def _literal(term: str) -> Any:
    # Language and datatype are kept so the block states exactly triples of the dump (schema.org's
    # context would otherwise type datePublished as schema:Date).
    value, language, datatype = rdf.decode_literal(term)
    if language:
        return {"@value": value, "@language": language}
    if datatype:
        return {"@value": value, "@type": datatype}
    return value


def _node(iri: str, nodes: dict[str, dict[str, list[str]]], depth: int) -> dict[str, Any]:
    properties = nodes.get(iri, {})
    node: dict[str, Any] = {"@id": iri}
    types = sorted(
        t[1 + _SCHEMA_LENGTH : -1] for t in properties.get(_TYPE, []) if t.startswith("<" + vocab.SCHEMA)
    )
    if types:
        node["@type"] = types[0] if len(types) == 1 else types
    for predicate in sorted(properties):
        if predicate == _TYPE:
            continue
        term = predicate[_SCHEMA_LENGTH:]
        values: list[Any] = []
        for obj in sorted(set(properties[predicate])):
            if not rdf.is_iri(obj):
                values.append(_literal(obj))
                continue
            target = obj[1:-1]
            if term in _NESTED and depth < 3 and target in nodes and target != iri:
                values.append(_node(target, nodes, depth + 1))
            elif term in _IRI_VALUED:
                values.append(target)
            else:
                values.append({"@id": target})
        node[term] = values[0] if len(values) == 1 else values
    return node


def embed_block(triples: list[rdf.Triple], figure_iri: str) -> dict[str, Any]:
    """The schema.org-only JSON-LD for the figure page's ``<script type="application/ld+json">``."""
    nodes = _index(triples, figure_iri)
    block: dict[str, Any] = {"@context": "https://schema.org/"}
    block.update(_node(figure_iri, nodes, 0))
    return block
