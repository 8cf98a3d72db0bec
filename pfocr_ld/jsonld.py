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
from functools import cache
from typing import Any

import orjson
import pyoxigraph as ox

from pfocr_ld import vocab
from pfocr_ld.contexts import pfocr_context

_RDF_TYPE = vocab.T.rdf["type"]
_XSD_STRING = vocab.T.xsd["string"]
_LANG_STRING = vocab.RDF + "langString"
# A local part that cannot be mistaken for anything but prefix concatenation by a JSON-LD processor.
_SAFE_LOCAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-:]*$")
_PREFIXES_LONGEST_FIRST = sorted(vocab.PREFIXES.items(), key=lambda item: -len(item[1]))
_COERCED_TO_ID: frozenset[str] = frozenset(
    key for key, value in pfocr_context().items() if isinstance(value, dict) and value.get("@type") == "@id"
)


@cache
def compact_iri(iri: str) -> str:
    """``prefix:local`` for an IRI under one of our prefixes, else the IRI itself."""
    for prefix, namespace in _PREFIXES_LONGEST_FIRST:
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            if _SAFE_LOCAL.match(local) and not local.endswith("."):
                return f"{prefix}:{local}"
    return iri


def _value(term: ox.NamedNode | ox.Literal | ox.BlankNode, coerced: bool) -> Any:
    if isinstance(term, ox.NamedNode):
        compact = compact_iri(term.value)
        return compact if coerced else {"@id": compact}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return {"@value": term.value} if coerced else term.value
    return {"@value": term.value, "@type": compact_iri(datatype)}


def _sort_key(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def node_objects(triples: Iterable[ox.Triple], first: str | None = None) -> list[dict[str, Any]]:
    """One compacted node object per subject; ``first`` (the figure) leads, others follow by IRI."""
    nodes: dict[str, dict[str, list[Any]]] = {}
    for triple in triples:
        subject = triple.subject
        subject_key = f"_:{subject.value}" if isinstance(subject, ox.BlankNode) else subject.value
        properties = nodes.setdefault(subject_key, {})
        predicate = triple.predicate.value
        if predicate == _RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            properties.setdefault("@type", []).append(compact_iri(triple.object.value))
            continue
        key = compact_iri(predicate)
        properties.setdefault(key, []).append(_value(triple.object, key in _COERCED_TO_ID))
    ordered = sorted(nodes, key=lambda s: (s != first, s))
    result: list[dict[str, Any]] = []
    for subject_key in ordered:
        node: dict[str, Any] = {
            "@id": subject_key if subject_key.startswith("_:") else compact_iri(subject_key)
        }
        for key, values in nodes[subject_key].items():
            unique = sorted({_sort_key(v): v for v in values}.items())
            node[key] = unique[0][1] if len(unique) == 1 else [v for _, v in unique]
        result.append(node)
    return result


def document(
    triples: Iterable[ox.Triple], first: str | None = None, context: Any = vocab.CONTEXT_IRI
) -> dict[str, Any]:
    """A compacted JSON-LD document of ``triples`` using the bundled pfocr context."""
    return {"@context": context, "@graph": node_objects(triples, first)}


def dumps(doc: dict[str, Any]) -> bytes:
    """Stable bytes: sorted keys (``@id``/``@type`` sort first), two-space indent, final newline."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
