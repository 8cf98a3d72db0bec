"""Compacted JSON-LD for our own triples, written directly against the bundled context.

General-purpose compaction (PyLD's ``compact``) costs milliseconds per document; our documents
use one fixed context whose terms are just prefixes plus ``@id`` coercions, so the compacted form
can be produced straight from the triples: group by subject, spell IRIs as CURIEs where that is
unambiguous, and write each value in the one form that expands back to the same RDF term. The
tests check that claim with PyLD (strict expansion, explicit base) against the Turtle output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import orjson

from pfocr_ld import rdf, vocab
from pfocr_ld.contexts import CONTEXT_REFERENCE, offline_loader, pfocr_context

_RDF_TYPE = vocab.T.rdf["type"]
# A local part that cannot be mistaken for anything but prefix concatenation by a JSON-LD processor.
_SAFE_LOCAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-:]*$")
_COERCED_TO_ID: frozenset[str] = frozenset(
    key for key, value in pfocr_context().items() if isinstance(value, dict) and value.get("@type") == "@id"
)


def _compact_iri(iri: str) -> str:
    found = vocab.NAMESPACE_PATTERN.match(iri)
    if found is not None:
        local = iri[found.end() :]
        if _SAFE_LOCAL.match(local) and not local.endswith("."):
            return f"{found.lastgroup}:{local}"
    return iri


#: ``prefix:local`` for an IRI under one of our prefixes, else the IRI itself (memoised).
compact_iri = lru_cache(maxsize=65536)(_compact_iri)


def _compact_value(term: str, coerced: bool) -> Any:
    """The compacted JSON-LD value of one object (in N-Triples syntax) under a key."""
    if term.startswith("<"):
        compact = compact_iri(term[1:-1])
        return compact if coerced else {"@id": compact}
    value, language, datatype = rdf.decode_literal(term)
    if language:
        return {"@value": value, "@language": language}
    if datatype:
        return {"@value": value, "@type": compact_iri(datatype)}
    return {"@value": value} if coerced else value


# One single-argument cache per key kind: lru_cache's fast path for one str argument.
_coerced_value = lru_cache(maxsize=100_000)(lambda term: _compact_value(term, True))
_plain_value = lru_cache(maxsize=100_000)(lambda term: _compact_value(term, False))


def _key(predicate: str) -> tuple[str, Any]:
    key = compact_iri(predicate)
    return key, _coerced_value if key in _COERCED_TO_ID else _plain_value


_KEYS: dict[str, tuple[str, Any]] = {}  # predicate → (key, value function); one entry a predicate


def _properties(predicates: dict[str, list[str]]) -> dict[str, Any]:
    """The compacted keys and values of one node (everything but ``@id``)."""
    node: dict[str, Any] = {}
    for predicate, objects in predicates.items():
        if len(objects) > 1:
            objects = sorted(set(objects))
        if predicate == _RDF_TYPE and all(o.startswith("<") for o in objects):
            types = sorted([compact_iri(o[1:-1]) for o in objects])
            node["@type"] = types[0] if len(types) == 1 else types
            continue
        keyed = _KEYS.get(predicate)
        if keyed is None:
            keyed = _KEYS[predicate] = _key(predicate)
        key, value = keyed
        node[key] = value(objects[0]) if len(objects) == 1 else [value(o) for o in objects]
    return node


@lru_cache(maxsize=20_000)
def _shared_properties(description: tuple[rdf.Triple, ...]) -> tuple[tuple[str, dict[str, Any]], ...]:
    # A gene or paper is described identically in thousands of figures: compact it once per worker.
    return tuple((subject, _properties(predicates)) for subject, predicates in rdf.group(description).items())


def node_objects(triples: Iterable[rdf.Triple], first: str | None = None) -> list[dict[str, Any]]:
    """One compacted node object per subject; ``first`` (the figure) leads, others follow by IRI."""
    nodes = rdf.group(triples)
    return [
        {"@id": compact_iri(subject), **_properties(nodes[subject])}
        for subject in sorted(nodes, key=lambda s: (s != first, s))
    ]


def figure_document(own: rdf.Nodes, shared: Iterable[tuple[rdf.Triple, ...]], first: str) -> dict[str, Any]:
    """The same document as :func:`document` over own + shared triples, reusing compacted shared nodes.

    ``own`` is the figure's own triples grouped by :func:`pfocr_ld.rdf.group`.
    """
    own_properties = {subject: _properties(predicates) for subject, predicates in own.items()}
    shared = tuple(shared)
    compacted: dict[str, dict[str, Any]] = {}
    merged: set[str] = set()
    for description in shared:
        for subject, properties in _shared_properties(description):
            clash = subject in compacted or (
                subject in own_properties and properties.keys() & own_properties[subject].keys()
            )
            if clash or subject in merged:
                merged.add(subject)
                compacted.pop(subject, None)
            else:
                compacted[subject] = properties
    merged_nodes: rdf.Nodes = {}
    if merged:
        # several statements about one node from different sources: merge at the triple level
        merged_nodes = {s: {p: list(o) for p, o in own.get(s, {}).items()} for s in merged}
        for description in shared:
            for subject, predicate, obj in description:
                if subject in merged:
                    merged_nodes[subject].setdefault(predicate, []).append(obj)
    graph = []
    for subject in sorted(own_properties.keys() | compacted.keys() | merged, key=lambda s: (s != first, s)):
        # a figure's fragment nodes (its mentions) occur nowhere else: not worth a memo entry
        node: dict[str, Any] = {
            "@id": _compact_iri(subject) if subject.startswith(first) else compact_iri(subject)
        }
        if subject in merged:
            node.update(_properties(merged_nodes[subject]))
        else:
            if subject in compacted:
                node.update(compacted[subject])
            if subject in own_properties:
                node.update(own_properties[subject])
        graph.append(node)
    return {"@context": CONTEXT_REFERENCE, "@graph": graph}


def document(
    triples: Iterable[rdf.Triple], first: str | None = None, context: Any = CONTEXT_REFERENCE
) -> dict[str, Any]:
    """A compacted JSON-LD document of ``triples`` using the bundled pfocr context."""
    return {"@context": context, "@graph": node_objects(triples, first)}


def dumps(doc: dict[str, Any]) -> bytes:
    """Stable bytes: sorted keys (``@id``/``@type`` sort first), two-space indent, final newline."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def to_nquads(doc: Any, base: str) -> str:
    """A JSON-LD document as N-Quads (PyLD's toRdf), with the bundled contexts only, never fetched.

    ``base`` is explicit (for a file, its own ``file://`` URI): our documents carry no relative
    IRIs, and a stray one must resolve to something recognisably local rather than to PyLD's
    ``example.org`` default. Raises PyLD's ``JsonLdError`` for a document it cannot process.
    """
    from pyld.jsonld import to_rdf as _pyld_to_rdf  # only here: a build never needs PyLD

    options = {"documentLoader": offline_loader(base=base), "base": base, "format": "application/n-quads"}
    nquads: str = _pyld_to_rdf(doc, options)
    return nquads
