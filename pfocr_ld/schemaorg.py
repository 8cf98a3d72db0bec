"""The schema.org JSON-LD block a figure's web page should embed (``schemaorg/<figid>.jsonld``).

The PFOCR site embeds a thin block today (``name: CreativeWork``, ``license: "CC0"``, no identifier
or url). This module derives the replacement from the figure's own triples, keeping only schema.org
terms and nesting the nodes a search engine reads together (image, paper and periodical, creator,
mentioned genes and chemicals). It uses schema.org's own context, whose terms expand to
``http://schema.org/`` exactly like our Turtle, so the block states a subset of the published triples.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyoxigraph as ox

from pfocr_ld import vocab

_TYPE = vocab.T.rdf["type"]
# schema.org's context coerces these to IRIs (a plain string is an IRI); other IRIs need {"@id": ...}.
_IRI_VALUED = {"url", "license", "sameAs", "contentUrl", "image", "isBasedOn", "isPartOf"}
_XSD_STRING = vocab.T.xsd["string"]
# Nested in full where they hang off the figure; elsewhere referenced by @id.
_NESTED = {"creator", "image", "citation", "isPartOf", "publisher", "mentions"}


def _index(triples: list[ox.Triple]) -> dict[str, dict[str, list[ox.NamedNode | ox.Literal]]]:
    nodes: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for triple in triples:
        predicate = triple.predicate.value
        if predicate == _TYPE or predicate.startswith(vocab.SCHEMA):
            nodes[triple.subject.value][predicate].append(triple.object)
    return nodes


def _literal(literal: ox.Literal) -> Any:
    # Language and datatype are kept so the block states exactly triples of the dump (schema.org's
    # context would otherwise type datePublished as schema:Date).
    if literal.language:
        return {"@value": literal.value, "@language": literal.language}
    if literal.datatype.value != _XSD_STRING:
        return {"@value": literal.value, "@type": literal.datatype.value}
    return literal.value


def _node(iri: str, nodes: dict[str, dict[str, list[Any]]], depth: int) -> dict[str, Any]:
    properties = nodes.get(iri, {})
    node: dict[str, Any] = {"@id": iri}
    types = sorted(
        t.value[len(vocab.SCHEMA) :] for t in properties.get(_TYPE, []) if t.value.startswith(vocab.SCHEMA)
    )
    if types:
        node["@type"] = types[0] if len(types) == 1 else types
    for predicate in sorted(properties):
        if predicate == _TYPE:
            continue
        term = predicate[len(vocab.SCHEMA) :]
        values: list[Any] = []
        for obj in properties[predicate]:
            if isinstance(obj, ox.Literal):
                values.append(_literal(obj))
            elif term in _NESTED and depth < 3 and obj.value in nodes and obj.value != iri:
                values.append(_node(obj.value, nodes, depth + 1))
            elif term in _IRI_VALUED:
                values.append(obj.value)
            else:
                values.append({"@id": obj.value})
        values.sort(key=lambda v: v if isinstance(v, str) else v.get("@id", v.get("@value", "")))
        node[term] = values[0] if len(values) == 1 else values
    return node


def embed_block(triples: list[ox.Triple], figure_iri: str) -> dict[str, Any]:
    """The schema.org-only JSON-LD for the figure page's ``<script type="application/ld+json">``."""
    nodes = _index(triples)
    block = {"@context": "https://schema.org/"}
    block.update(_node(figure_iri, nodes, 0))
    return block
