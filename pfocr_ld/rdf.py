"""A lean triple representation for the build's hot path, and its Turtle and N-Triples writers.

A triple is a plain tuple ``(subject IRI, predicate IRI, object)`` where the object is already in
N-Triples syntax (``<iri>``, ``"text"``, ``"text"@en``, ``"1"^^<datatype>``). Creating, hashing and
sorting such tuples costs a fraction of what RDF term objects cost, and N-Triples output is a
string join. Since our nodes are never blank, subject and predicate are always IRIs.

:func:`turtle` writes the subset of Turtle these triples need: subjects grouped, ``a`` first,
prefixed names where the local part is a valid ``PN_LOCAL``, objects in N-Triples syntax (which is
valid Turtle). Tests parse every output with pyoxigraph and rdflib to hold it to the grammar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import pyoxigraph as ox

from pfocr_ld import vocab

Triple = tuple[str, str, str]

RDF_TYPE = vocab.T.rdf["type"]
XSD_STRING = vocab.T.xsd["string"]

# Canonical N-Triples escapes: the four ECHARs plus every other control character as \\uXXXX.
_ESCAPES = {ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
_ESCAPES.update({c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F] if c not in _ESCAPES})
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
#: The characters an IRI may not contain (RFC 3987; the IRIREF of N-Triples, Turtle and SPARQL), as
#: the inside of a regex character class: the one definition for the writers, check-jsonld's
#: layers, the record model and the SPARQL scanners.
IRI_FORBIDDEN_CHARS = r'\x00-\x20<>"{}|^`\\'
#: Finds a character no IRI may contain.
BAD_IRI_CHAR = re.compile(f"[{IRI_FORBIDDEN_CHARS}]")
#: An IRIREF token of Turtle or SPARQL: ``<``, IRI characters, ``>``.
IRIREF = re.compile(f"<[^{IRI_FORBIDDEN_CHARS}]*>")

#: File-name suffixes users give RDF files that pyoxigraph's ``RdfFormat.from_extension`` lacks.
_SUFFIX_ALIASES = {"turtle": "ttl", "ntriples": "nt", "nquads": "nq", "owl": "rdf"}
#: The suffixes (no dot, before an optional ``.gz``) of RDF files read by their syntax; JSON-LD is
#: not one of them: ``load`` and ``validate`` read it through PyLD with the bundled contexts.
RDF_SUFFIXES = frozenset({"ttl", "nt", "nq", "trig", "n3", "rdf", "xml", *_SUFFIX_ALIASES})


def syntax_of_suffix(suffix: str) -> ox.RdfFormat | None:
    """The RDF syntax of a file-name suffix in :data:`RDF_SUFFIXES` (pyoxigraph's own table)."""
    if suffix not in RDF_SUFFIXES:
        return None
    return ox.RdfFormat.from_extension(_SUFFIX_ALIASES.get(suffix, suffix))


def iri(value: str) -> str:
    """An IRI in N-Triples syntax; raises ``ValueError`` for characters no IRI may hold."""
    if BAD_IRI_CHAR.search(value):
        raise ValueError(f"not a valid IRI: {value!r}")
    return f"<{value}>"


def literal(value: str, language: str | None = None, datatype: str | None = None) -> str:
    lexical = value.translate(_ESCAPES) if _NEEDS_ESCAPE.search(value) else value
    if language:
        return f'"{lexical}"@{language}'
    if datatype and datatype != XSD_STRING:
        return f'"{lexical}"^^<{datatype}>'
    return f'"{lexical}"'


_UNESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE_UNESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(lexical: str) -> str:
    if "\\" not in lexical:
        return lexical

    def replace(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        return chr(int(code, 16)) if code else _SIMPLE_UNESCAPES[match.group(3)]

    return _UNESCAPE.sub(replace, lexical)


def decode_literal(term: str) -> tuple[str, str | None, str | None]:
    """``(lexical form, language, datatype)`` of a literal in N-Triples syntax."""
    end = term.rfind('"')
    value = _unescape(term[1:end])
    rest = term[end + 1 :]
    if rest.startswith("@"):
        return value, rest[1:], None
    if rest.startswith("^^<"):
        return value, None, rest[3:-1]
    return value, None, None


def is_iri(term: str) -> bool:
    return term.startswith("<")


def ntriples(triples: Iterable[Triple]) -> bytes:
    return "".join([f"<{s}> <{p}> {o} .\n" for s, p, o in triples]).encode("utf-8")


def serialize(
    terms: Iterable[ox.Triple] | Iterable[ox.Quad],
    format: ox.RdfFormat,
    prefixes: dict[str, str] | None = None,
) -> bytes:
    """``pyoxigraph.serialize`` into bytes (its stub returns ``bytes | None``: ``None`` only when it is
    given an output to write to, which this never does)."""
    data = ox.serialize(terms, format=format, prefixes=prefixes)
    if data is None:  # pragma: no cover - pyoxigraph returns bytes whenever no output is given
        raise TypeError("pyoxigraph.serialize returned no bytes")
    return data


def from_oxigraph(triple: ox.Triple | ox.Quad) -> Triple:
    """Our tuple form of a pyoxigraph triple (the graph name of a quad is dropped)."""
    # A subject is a NamedNode or BlankNode here: our graphs hold no RDF 1.2 triple terms.
    return (triple.subject.value, triple.predicate.value, str(triple.object))  # type: ignore[union-attr]


def to_oxigraph(triple: Triple) -> ox.Triple:
    subject, predicate, obj = triple
    if is_iri(obj):
        term: ox.NamedNode | ox.Literal = ox.NamedNode(obj[1:-1])
    else:
        value, language, datatype = decode_literal(obj)
        term = ox.Literal(value, language=language, datatype=ox.NamedNode(datatype) if datatype else None)
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), term)


# Turtle --------------------------------------------------------------------------------------------
_PN_LOCAL = re.compile(r"^[A-Za-z0-9_:]([A-Za-z0-9_.:\-]*[A-Za-z0-9_:\-])?$")
_NAMESPACE = vocab.NAMESPACE_PATTERN


def _turtle_iri(value: str) -> str:
    found = _NAMESPACE.match(value)
    if found is not None:
        local = value[found.end() :]
        if local and _PN_LOCAL.match(local):
            return f"{found.lastgroup}:{local}"
    return f"<{value}>"


#: ``prefix:local`` when the local part is a valid Turtle PN_LOCAL, else ``<iri>`` (memoised).
turtle_iri = lru_cache(maxsize=65536)(_turtle_iri)


def turtle_prefixes() -> bytes:
    return "".join(f"@prefix {p}: <{i}> .\n" for p, i in sorted(vocab.PREFIXES.items())).encode("utf-8")


@lru_cache(maxsize=65536)
def _turtle_iri_term(term: str) -> str:
    """An IRI or a datatyped literal (the object terms ending in ``>``) in Turtle."""
    if term.startswith("<"):
        return turtle_iri(term[1:-1])
    caret = term.rfind('"^^<')
    return term[: caret + 3] + turtle_iri(term[caret + 4 : -1]) if caret > 0 else term


def _turtle_object(term: str) -> str:
    # Plain and language-tagged literals are already Turtle; only terms ending in ">" change.
    return _turtle_iri_term(term) if term.endswith(">") else term


#: Triples grouped by subject, then predicate: ``{subject: {predicate: [object, ...]}}``.
Nodes = dict[str, dict[str, list[str]]]


def group(triples: Iterable[Triple]) -> Nodes:
    """Group triples by subject and predicate, keeping their order (and any duplicates)."""
    nodes: Nodes = {}
    for subject, predicate, obj in triples:
        properties = nodes.get(subject)
        if properties is None:
            nodes[subject] = {predicate: [obj]}
            continue
        values = properties.get(predicate)
        if values is None:
            properties[predicate] = [obj]
        else:
            values.append(obj)
    return nodes


def turtle(triples: list[Triple]) -> bytes:
    """Turtle statements (no ``@prefix`` lines) for triples sorted by subject then predicate."""
    return turtle_nodes(group(triples))


def turtle_nodes(nodes: Nodes, once: str | None = None) -> bytes:
    """Turtle statements for grouped triples: one per subject, ``a`` first, predicates in order.

    Subjects starting with ``once`` (a figure's IRI: its mention nodes are fragments of it) occur
    in no other block, so they bypass the memo of IRIs that recur (genes, predicates).
    """
    out: list[str] = []
    for subject, properties in nodes.items():
        types = properties.get(RDF_TYPE)
        clauses = ["a " + " , ".join([_turtle_object(o) for o in types])] if types else []
        for predicate, objects in properties.items():
            if predicate == RDF_TYPE:
                continue
            if len(objects) == 1:
                term = objects[0]
                term = _turtle_iri_term(term) if term[-1] == ">" else term
                clauses.append(f"{turtle_iri(predicate)} {term}")
            else:
                clauses.append(f"{turtle_iri(predicate)} " + " , ".join([_turtle_object(o) for o in objects]))
        name = _turtle_iri(subject) if once is not None and subject.startswith(once) else turtle_iri(subject)
        out.append(name + " " + " ;\n\t".join(clauses) + " .\n")
    return "".join(out).encode("utf-8")
