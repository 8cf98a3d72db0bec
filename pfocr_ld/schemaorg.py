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
from functools import lru_cache
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
_NAME = vocab.T.schema["name"]
_ABOUT = vocab.T.schema["about"]
_MENTIONS = vocab.T.schema["mentions"]
_KEYWORDS = vocab.T.schema["keywords"]
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
            nodes[figure_iri][_ABOUT].append(obj)
    figure = nodes[figure_iri]
    for part in parts:
        if _MENTIONABLE & set(nodes[part].get(_TYPE, ())):
            figure[_MENTIONS].append(f"<{part}>")
            figure[_KEYWORDS].extend(nodes[part].get(_NAME, ()))
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


def _node(
    iri: str,
    nodes: dict[str, dict[str, list[str]]],
    depth: int,
    prepared: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
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
            if prepared is not None and term in _NESTED and target in prepared:
                values.append(prepared[target])
            elif term in _NESTED and depth < 3 and target in nodes and target != iri:
                values.append(_node(target, nodes, depth + 1, prepared))
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


@lru_cache(maxsize=20_000)
def _entity_node(description: tuple[rdf.Triple, ...]) -> tuple[str, dict[str, Any], tuple[str, ...]] | None:
    """A gene's or chemical's nested node and its names (keywords of the figures mentioning it).

    A gene or chemical nests nothing, so its node depends on its description alone: built once.
    """
    subject = description[0][0]
    if any(s != subject for s, _, _ in description):
        return None
    nodes = _index(list(description), "")
    if not _MENTIONABLE & set(nodes[subject].get(_TYPE, ())):
        return None  # papers and journals nest each other: built with the figure's nodes instead
    names = tuple(o for _, p, o in description if p == _NAME)
    return subject, _node(subject, nodes, 1), names


def embed_block_parts(
    own: rdf.Nodes, shared: dict[str, tuple[rdf.Triple, ...]], figure_iri: str
) -> dict[str, Any]:
    """:func:`embed_block` of ``own`` (grouped by :func:`pfocr_ld.rdf.group`) + ``shared`` triples.

    Reuses the prepared nodes of shared genes and chemicals, and reads the own triples a node and
    a predicate at a time instead of a triple at a time.
    """
    prepared: dict[str, dict[str, Any]] = {}
    names: dict[str, tuple[str, ...]] = {}
    rest: list[rdf.Triple] = []
    for description in shared.values():
        entity = _entity_node(description) if description else None
        if entity is None:
            rest.extend(description)
            continue
        subject, prepared[subject], names[subject] = entity
    nodes = _index(rest, figure_iri)
    figure_ref = f"<{figure_iri}>"
    mentions: list[str] = []
    keywords: list[str] = []
    about: list[str] = []
    for subject, properties in own.items():
        indexed: dict[str, list[str]] | None = None
        for predicate, objects in properties.items():
            if predicate == _TYPE or predicate.startswith(vocab.SCHEMA):
                if indexed is None:
                    indexed = nodes[subject]
                indexed[predicate].extend(objects)
            elif predicate == _IS_PART_OF:
                if subject in prepared and figure_ref in objects:
                    mentions.append(f"<{subject}>")
                    keywords.extend(names[subject])
            elif predicate in _DISEASE_TAGS and subject == figure_iri:
                about.extend(objects)
    figure = nodes[figure_iri]
    for predicate, values in ((_ABOUT, about), (_MENTIONS, mentions), (_KEYWORDS, keywords)):
        if values:
            figure[predicate].extend(values)
    block: dict[str, Any] = {"@context": "https://schema.org/"}
    block.update(_node(figure_iri, nodes, 0, prepared))
    return block
