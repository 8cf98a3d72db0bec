"""SPARQL over PFOCR data: the named-query library, parameter binding, sources and result formats.

This module owns *asking* questions of the published data (loading it is :mod:`pfocr_ld.store`):

* the named queries shipped as ``pfocr_ld/queries/*.rq``, each with a YAML header in its leading
  comment block (title, description, typed parameters, an example) — :func:`library`;
* binding parameters as typed RDF terms through the query's own variables — never by pasting
  user text into the query: embedded stores and remote endpoints alike get a ``VALUES`` block
  written from N-Triples-serialised terms (:func:`inject_values`);
* three sources behind one interface (:func:`open_source`): a persistent store, dump files loaded
  into memory, a SPARQL 1.1 Protocol endpoint (:class:`RemoteSource`);
* result writers that stream rows as they arrive: an aligned table, CSV, TSV, JSON, SPARQL 1.1
  Results JSON and XML, and GMT gene sets (:func:`write_result`);
* the ``pfocr-ld query`` command.

Python API::

    from pfocr_ld.query import open_source, run_named
    with open_source(store="pfocr-store") as source:
        for row in run_named(source, "figures-for-gene", gene="7099").values():
            print(row["figid"], row["title"])
"""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import click
import httpx
import orjson
import pyoxigraph as ox
import yaml

from pfocr_ld import ordering, sparql, vocab
from pfocr_ld.auth import redact, split_credentials
from pfocr_ld.errors import PfocrLdError

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = dict[str, "Term | None"]
ParamValue = str | int | bool


# Errors ----------------------------------------------------------------------------------------
class QueryError(PfocrLdError, click.ClickException):
    """A usage problem: unknown query, bad parameter, no source, SPARQL syntax (exit status 2)."""

    exit_code = 2


class ParameterError(QueryError):
    """A parameter value that does not fit its declared type."""


class EndpointError(PfocrLdError, click.ClickException):
    """A remote endpoint failed: HTTP error status, timeout, unreachable (exit status 1)."""

    exit_code = 1

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


# Parameter types -------------------------------------------------------------------------------
# Each type turns the user's text into (kind, term); the kind picks the variable the term binds
# (a gene id binds ?gene, a symbol ?symbol). Identifiers are checked against the same patterns the
# mapping mints, so a typo is a usage error rather than an empty result.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAXON = re.compile(r"^(?:(?:ncbitaxon|taxon|txid)[:_]?)?([0-9]+)$", re.IGNORECASE)
_TAXON_IRI = re.compile(r"^https?://purl\.obolibrary\.org/obo/NCBITaxon_([0-9]+)$")
_GENE_ID = re.compile(r"^(?:ncbigene:|https?://identifiers\.org/ncbigene/)?([0-9]+)$", re.IGNORECASE)
_CHEBI = re.compile(r"^(?:https?://identifiers\.org/chebi/)?(?:chebi[:_])?([0-9]+)$", re.IGNORECASE)
_MESH = re.compile(
    r"^(?:mesh:|https?://id\.nlm\.nih\.gov/mesh/|https?://identifiers\.org/mesh/)?([CD][0-9]{6,9})$",
    re.IGNORECASE,
)
_DOID = re.compile(r"^(?:doid[:_]|https?://purl\.obolibrary\.org/obo/DOID_)([0-9]+)$", re.IGNORECASE)
_PMC = re.compile(r"^(?:pmc:|https?://identifiers\.org/pmc/)?(PMC[0-9]+)$", re.IGNORECASE)
_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.[0-9]{4,9}/\S+)$", re.IGNORECASE)
_FIGID = re.compile(r"^PMC[0-9]+__\S+$")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _text(value: str, what: str, *, spaces: bool = True, limit: int = 300) -> str:
    value = value.strip()
    if not value:
        raise ParameterError(f"{what}: empty value")
    if len(value) > limit:
        raise ParameterError(f"{what}: longer than {limit} characters")
    if _CONTROL.search(value):
        raise ParameterError(f"{what}: control characters (tabs, newlines, …) are not allowed")
    if not spaces and any(ch.isspace() for ch in value):
        raise ParameterError(f"{what}: {value!r} contains white space")
    return value


def _parse_figid(value: str) -> tuple[str, Term]:
    value = _text(value, "figid", spaces=False)
    if not _FIGID.match(value):
        raise ParameterError(f"figid: {value!r} is not a PFOCR figure id (PMC<digits>__<file name>)")
    return "figid", ox.Literal(value)


def gene_id_of(value: str) -> str | None:
    """The NCBI Gene id a gene value names (``7099``, ``ncbigene:7099``, its identifiers.org IRI), as
    written; ``None`` when the value is not an id (then it is a symbol)."""
    match = _GENE_ID.match(value.strip())
    return match.group(1) if match else None


def _parse_gene(value: str) -> tuple[str, Term]:
    value = _text(value, "gene", spaces=False, limit=100)
    gene_id = gene_id_of(value)
    if gene_id is not None:
        return "id", ox.NamedNode(vocab.gene_iri(gene_id))
    # Anything else is an NCBI symbol, matched exactly (symbols are case-sensitive: TP53 vs Tp53).
    return "symbol", ox.Literal(value)


def _parse_taxon(value: str) -> tuple[str, Term]:
    value = _text(value, "taxon", spaces=False)
    match = _TAXON.match(value) or _TAXON_IRI.match(value)
    if not match:
        raise ParameterError(f"taxon: {value!r} is not an NCBI Taxonomy id (e.g. 9606 or NCBITaxon:9606)")
    return "taxon", ox.NamedNode(vocab.taxon_iri(match.group(1)))


def _parse_organism(value: str) -> tuple[str, Term]:
    value = _text(value, "organism")
    if _TAXON.match(value) or _TAXON_IRI.match(value):
        return _parse_taxon(value)
    return "name", ox.Literal(value)


def _parse_chemical(value: str) -> tuple[str, Term]:
    value = _text(value, "chemical", spaces=False)
    if match := _CHEBI.match(value):
        return "chebi", ox.NamedNode(vocab.chebi_iri(match.group(1)))
    if match := _MESH.match(value):
        return "mesh", ox.NamedNode(vocab.mesh_rdf_iri(match.group(1).upper()))
    raise ParameterError(f"chemical: {value!r} is neither a ChEBI id (CHEBI:15422) nor a MeSH id (D005947)")


def _parse_disease(value: str) -> tuple[str, Term]:
    value = _text(value, "disease", spaces=False)
    if match := _DOID.match(value):
        return "doid", ox.NamedNode(vocab.doid_iri(match.group(1)))
    if match := _MESH.match(value):
        return "mesh", ox.NamedNode(vocab.mesh_rdf_iri(match.group(1).upper()))
    raise ParameterError(
        f"disease: {value!r} is neither a Disease Ontology id (DOID:9255) nor a MeSH id (D009369)"
    )


def _parse_paper(value: str) -> tuple[str, Term]:
    value = _text(value, "paper", spaces=False)
    if match := _PMC.match(value):
        return "pmc", ox.NamedNode(vocab.pmc_iri(match.group(1).upper()))
    if match := _DOI.match(value):
        # Percent-encode exactly as the mapping does, or the IRIs would not compare equal.
        return "doi", ox.NamedNode(vocab.DOI + quote(match.group(1), safe="/:;()-._~+"))
    raise ParameterError(
        f"paper: {value!r} is neither a PMC id (PMC3376449) nor a DOI (10.3389/fonc.2012.00062)"
    )


def _parse_flag(value: str) -> tuple[str, Term | None]:
    text = str(value).strip().lower()
    if text in _TRUE:
        return "true", None
    if text in _FALSE:
        return "false", None
    raise ParameterError(f"flag: {value!r} is not true/false")


_COUNT_LIMIT = 1_000_000


def _parse_count(value: str) -> tuple[str, Term]:
    text = _text(value, "count", spaces=False, limit=20)
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= _COUNT_LIMIT:
        raise ParameterError(f"count: {value!r} is not a whole number from 1 to {_COUNT_LIMIT}")
    return "value", ox.Literal(str(int(text)), datatype=ox.NamedNode(vocab.T.xsd["integer"]))


#: The largest page a query answers (the full answer has no bound: leave ``limit`` out for it), and the
#: largest offset (far beyond any answer; keeps the number a machine integer).
MAX_LIMIT = 10_000
MAX_OFFSET = 1_000_000_000


def _page_number(value: str, what: str, low: int, high: int) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 12) or not low <= int(text) <= high:
        raise ParameterError(f"{what}: {str(value)[:40]!r} is not a whole number from {low} to {high:,}")
    return int(text)


def _parse_limit(value: str) -> tuple[str, Term]:
    # Returned as an xsd:integer literal like count, but never bound: bind() keeps the int aside and
    # the rows are cut in Python (pfocr_ld/paging.py), so no number is ever written into the text.
    number = _page_number(value, "limit", 1, MAX_LIMIT)
    return "limit", ox.Literal(str(number), datatype=ox.NamedNode(vocab.T.xsd["integer"]))


def _parse_offset(value: str) -> tuple[str, Term]:
    number = _page_number(value, "offset", 0, MAX_OFFSET)
    return "offset", ox.Literal(str(number), datatype=ox.NamedNode(vocab.T.xsd["integer"]))


def _parse_string(value: str) -> tuple[str, Term]:
    return "value", ox.Literal(value)


def _parse_iri(value: str) -> tuple[str, Term]:
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    try:
        return "value", ox.NamedNode(text)
    except ValueError as error:
        raise ParameterError(f"iri: {value!r} is not an absolute IRI ({error})") from error


def _parse_term(value: str) -> tuple[str, Term]:
    """Untyped parameters of ad-hoc queries: ``<…>`` is an IRI, anything else a plain literal."""
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        return _parse_iri(text)
    return "value", ox.Literal(value)


@dataclass(frozen=True)
class ParamType:
    name: str
    parse: Callable[[str], tuple[str, Term | None]]
    #: kind → the variable it binds; "" stands for "the parameter's own name".
    variables: Mapping[str, str]
    help: str


PARAM_TYPES: dict[str, ParamType] = {
    t.name: t
    for t in (
        ParamType(
            "figid", _parse_figid, {"figid": "figid"}, "a figure id, e.g. PMC3376449__fonc-02-00062-g001"
        ),
        ParamType(
            "gene",
            _parse_gene,
            {"id": "gene", "symbol": "symbol"},
            "an NCBI Gene id (7099, ncbigene:7099) → ?gene, or an exact NCBI symbol (TLR4) → ?symbol",
        ),
        ParamType(
            "organism",
            _parse_organism,
            {"taxon": "organism", "name": "organismName"},
            "an NCBI Taxonomy id (9606) → ?organism, or a curated organism name (Homo sapiens) "
            "→ ?organismName",
        ),
        ParamType(
            "taxon", _parse_taxon, {"taxon": "taxon"}, "an NCBI Taxonomy id (9606, NCBITaxon:9606) → ?taxon"
        ),
        ParamType(
            "chemical",
            _parse_chemical,
            {"chebi": "chemical", "mesh": "mesh"},
            "a ChEBI id (CHEBI:15422) → ?chemical, or a MeSH id (D005947) → ?mesh",
        ),
        ParamType(
            "disease",
            _parse_disease,
            {"doid": "disease", "mesh": "disease"},
            "a Disease Ontology id (DOID:9255) or MeSH id (D009369) → ?disease",
        ),
        ParamType(
            "paper",
            _parse_paper,
            {"pmc": "paper", "doi": "doi"},
            "a PMC id (PMC3376449) → ?paper, or a DOI (10.3389/…, doi:…, https://doi.org/…) → ?doi",
        ),
        ParamType("flag", _parse_flag, {}, "true/false; switches lines of the query on"),
        ParamType("count", _parse_count, {"value": ""}, "a whole number from 1 (an xsd:integer)"),
        ParamType(
            "limit", _parse_limit, {}, f"rows per page, 1 to {MAX_LIMIT:,}; the answer then gives the total"
        ),
        ParamType("offset", _parse_offset, {}, "rows to skip before the page (0 = the first row)"),
        ParamType("string", _parse_string, {"value": ""}, "any text, bound as a plain literal"),
        ParamType("iri", _parse_iri, {"value": ""}, "an absolute IRI"),
        ParamType("term", _parse_term, {"value": ""}, "<IRI> or text (a plain literal)"),
    )
}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: ParamType
    required: bool = False
    example: str | None = None
    description: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)

    def variable(self, kind: str) -> str:
        return self.variables.get(kind) or self.type.variables.get(kind) or self.name

    def bound_variables(self) -> set[str]:
        """Every variable this parameter may bind, whatever the value."""
        return {self.variable(kind) for kind in self.type.variables}


# The library -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class NamedQuery:
    """One query: its text (header included) and what the header says about it."""

    name: str
    text: str
    title: str = ""
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    example: Mapping[str, Any] = field(default_factory=dict)
    gmt: Mapping[str, str] | None = None
    notes: str = ""
    path: Path | None = None
    #: How pages are cut (``paging:`` in the header; pfocr_ld/paging.py): ``key`` — the variables of
    #: ``page_key`` identify a row; ``rows`` — the whole answer is sorted, then cut; ``None`` — no paging.
    paging: str | None = None
    page_key: tuple[str, ...] = ()

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def describe(self) -> str:
        lines = [f"{self.name}: {self.title}".rstrip(": "), ""]
        if self.description:
            lines += [self.description.strip(), ""]
        if self.parameters:
            lines.append("Parameters:")
            for p in self.parameters:
                need = "required" if p.required else "optional"
                example = f", e.g. {p.example}" if p.example is not None else ""
                lines.append(f"  {p.name} ({p.type.name}, {need}{example})")
                if p.description:
                    lines.append(f"      {p.description.strip()}")
                lines.append(f"      {p.type.help}")
            lines.append("")
        if self.notes:
            lines += ["Notes: " + self.notes.strip(), ""]
        command = self.example.get("command") if self.example else None
        if command:
            lines.append(f"Example: {command}")
        return "\n".join(lines)


_CONDITION = re.compile(r"^(?P<body>.*?)\s#\?(?P<cond>(?:\s+!?\??[A-Za-z_][\w-]*)+)\s*$")


def parse_query_text(text: str, name: str, path: Path | None = None, *, strict: bool = False) -> NamedQuery:
    """A query file's text and its YAML header (the leading ``#`` lines) as a :class:`NamedQuery`.

    A file without a header, or whose leading comments are not a YAML mapping, is a plain query
    with no declared parameters (``strict`` makes that an error: the bundled library is strict).
    """
    header_lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header_lines.append(line[2:] if line.startswith("# ") else line[1:])
    meta: Any = None
    if header_lines:
        try:
            meta = yaml.safe_load("\n".join(header_lines))
        except yaml.YAMLError as error:
            if strict:
                raise QueryError(f"{name}: header is not YAML: {error}") from error
    if not isinstance(meta, dict):
        if strict:
            raise QueryError(f"{name}: no YAML header")
        return NamedQuery(name, text, path=path)
    parameters = []
    for spec in meta.get("parameters") or []:
        type_name = spec.get("type", "string")
        if type_name not in PARAM_TYPES:
            raise QueryError(f"{name}: parameter {spec.get('name')!r} has unknown type {type_name!r}")
        example = spec.get("example")
        parameters.append(
            Parameter(
                name=str(spec["name"]),
                type=PARAM_TYPES[type_name],
                required=bool(spec.get("required", False)),
                example=None if example is None else str(example),
                description=str(spec.get("description", "")),
                variables=dict(spec.get("variables") or {}),
            )
        )
    paging = meta.get("paging")
    page_key: tuple[str, ...] = ()
    if isinstance(paging, dict) and list(paging) == ["key"]:
        page_key = tuple(str(v) for v in paging["key"] or ())
        if not page_key or not all(re.fullmatch(r"[A-Za-z_]\w*", v) for v in page_key):
            raise QueryError(f"{name}: paging key must list variable names")
        paging = "key"
    elif paging is not None and paging != "rows":
        raise QueryError(f"{name}: paging must be rows or {{key: [variables]}}, not {paging!r}")
    if paging is not None:
        parameters += [
            Parameter(
                "limit",
                PARAM_TYPES["limit"],
                example="100",
                description="page through the answer (in its order): at most this many rows, and the total",
            ),
            Parameter(
                "offset", PARAM_TYPES["offset"], example="0", description="skip this many rows (with limit)"
            ),
        ]
    return NamedQuery(
        name=name,
        text=text,
        title=str(meta.get("title", "")),
        description=str(meta.get("description", "")),
        parameters=tuple(parameters),
        example=dict(meta.get("example") or {}),
        gmt=dict(meta["gmt"]) if meta.get("gmt") else None,
        notes=str(meta.get("notes", "")),
        path=path,
        paging=paging,
        page_key=page_key,
    )


_LIBRARY: dict[str, NamedQuery] | None = None


def library() -> dict[str, NamedQuery]:
    """The named queries shipped with the package, by name (the ``.rq`` file's stem)."""
    global _LIBRARY
    if _LIBRARY is None:
        folder = resources.files("pfocr_ld") / "queries"
        found: dict[str, NamedQuery] = {}
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".rq"):
                name = entry.name[:-3]
                found[name] = parse_query_text(entry.read_text(encoding="utf-8"), name, strict=True)
        _LIBRARY = found
    return _LIBRARY


def get_query(name: str) -> NamedQuery:
    queries = library()
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, list(queries), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise QueryError(f"no named query {name!r}{hint}; `pfocr-ld query --list` shows them")


def load_query_file(path: Path) -> NamedQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise QueryError(f"{path}: cannot read: {error}") from error
    return parse_query_text(text, path.stem, path)


# Binding ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoundQuery:
    """A query ready to run: its text with conditional lines resolved, and the variable bindings."""

    query: NamedQuery
    text: str
    bindings: Mapping[str, Term]
    #: The page asked for (``limit``/``offset`` parameters); both ``None``: the full answer.
    limit: int | None = None
    offset: int | None = None

    @property
    def paged(self) -> bool:
        return self.limit is not None or self.offset is not None


def apply_conditions(text: str, conditions: set[str]) -> str:
    """Resolve the query's conditional lines.

    A line ending in ``#? cond …`` is kept only when every condition holds: ``name`` — parameter
    ``name`` was given (a flag: given as true); ``?var`` — variable ``?var`` is bound; ``!`` negates.
    This selects among the file's own lines; no user text ever enters the query.
    """
    out = []
    for line in text.splitlines():
        match = _CONDITION.match(line)
        if match:
            keep = True
            for token in match.group("cond").split():
                wanted = not token.startswith("!")
                keep = keep and ((token.lstrip("!") in conditions) == wanted)
            if not keep:
                continue
        out.append(line)
    return "\n".join(out) + "\n"


def strip_header(text: str) -> str:
    """The query without its leading comment block: the documentation need not travel with every
    request (it would push short queries over the GET URL limit)."""
    lines = text.splitlines()
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    return "\n".join(lines[start:]).lstrip("\n") + "\n"


def bind(query: NamedQuery, params: Mapping[str, ParamValue]) -> BoundQuery:
    """Check ``params`` against the query's declared parameters and turn them into RDF terms.

    A query without declared parameters (an ad-hoc ``-e`` query or a plain ``.rq`` file) takes any
    ``name=value`` as the variable ``?name``: ``<…>`` binds an IRI, anything else a plain literal.
    """
    bindings: dict[str, Term] = {}
    conditions: set[str] = set()
    page: dict[str, int] = {}
    declared = {p.name: p for p in query.parameters}
    for name, raw in params.items():
        if not query.parameters:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ParameterError(f"{name!r} is not a SPARQL variable name")
            parameter = Parameter(name, PARAM_TYPES["term"])
        elif name in declared:
            parameter = declared[name]
        else:
            names = ", ".join(declared) or "none"
            raise ParameterError(f"{query.name} has no parameter {name!r} (parameters: {names})")
        if not isinstance(raw, str | int | bool):
            # str() of a list would bind "['TP53', 'EGFR']" as one value and quietly match nothing
            many = f"a {type(raw).__name__}" + (f" of {len(raw)}" if hasattr(raw, "__len__") else "")
            raise ParameterError(
                f"{name} takes one value, not {many}; run the query once per value, or use "
                "`pfocr-ld enrich` / pfocr_ld.enrichment.enrich for a gene list"
            )
        text = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
        kind, term = parameter.type.parse(text)
        if kind in ("limit", "offset") and parameter.type.name == kind:
            # a page, not a binding: an int by construction, kept out of the query text
            page[kind] = int(term.value)  # type: ignore[union-attr]
            continue
        if term is None:
            if kind == "true":
                conditions.add(name)
            continue
        variable = parameter.variable(kind)
        bindings[variable] = term
        conditions.update({name, "?" + variable})
    missing = [p.name for p in query.parameters if p.required and p.name not in params]
    if missing:
        examples = " ".join(f"--param {n}={query.parameter(n).example or '…'}" for n in missing)  # type: ignore[union-attr]
        raise ParameterError(f"{query.name} needs {', '.join(missing)}: e.g. {examples}")
    return BoundQuery(
        query,
        apply_conditions(strip_header(query.text), conditions),
        bindings,
        limit=page.get("limit"),
        offset=page.get("offset"),
    )


# VALUES injection for remote endpoints ---------------------------------------------------------
_IRIREF = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


def _where_group(text: str) -> int:
    """Index of the ``{`` that opens the query's WHERE pattern, found by a small SPARQL lexer.

    Strings, IRIs and comments are skipped so that braces or keywords inside them never count;
    ``<`` starts an IRI only where the IRIREF production matches (otherwise it is less-than).
    """
    i, n = 0, len(text)
    depth = parens = 0
    form: str | None = None
    saw_where = False
    while i < n:
        ch = text[i]
        if ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if ch in "\"'":
            quote_str = ch * 3 if text.startswith(ch * 3, i) else ch
            i += len(quote_str)
            while i < n and not text.startswith(quote_str, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote_str)
            continue
        if ch == "<":
            match = _IRIREF.match(text, i)
            i = match.end() if match else i + 1
            continue
        if ch == "(":
            parens += 1
        elif ch == ")":
            parens -= 1
        elif ch == "{" and parens == 0:
            if depth == 0:
                if form == "CONSTRUCT" and not saw_where:
                    pass  # the construct template; the pattern follows WHERE
                elif saw_where or form in {"SELECT", "ASK", "DESCRIBE"}:
                    if form == "CONSTRUCT" and _is_construct_where_short_form(text, i):
                        raise QueryError("parameters cannot be bound in the CONSTRUCT WHERE { … } short form")
                    return i
            depth += 1
        elif ch == "}" and parens == 0:
            depth -= 1
        elif ch.isalpha() and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "?$_:-.")):
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j].upper()
            if j < n and text[j] == ":":  # a prefixed name, not a keyword
                word = ""
            if depth == 0 and parens == 0:
                if word in _FORMS and form is None:
                    form = word
                elif word == "WHERE":
                    saw_where = True
            i = j
            continue
        i += 1
    raise QueryError("cannot find the WHERE pattern of the query to bind parameters into")


def _is_construct_where_short_form(text: str, brace: int) -> bool:
    before = re.sub(r"#[^\n]*", "", text[:brace])
    return re.search(r"CONSTRUCT\s+WHERE\s*$", before, re.IGNORECASE) is not None


def values_block(bindings: Mapping[str, Term]) -> str:
    """``VALUES (?a ?b) { (<…> "…") }`` with each term in N-Triples syntax.

    pyoxigraph's N-Triples serialisation escapes quotes, backslashes and line breaks (``\\"``,
    ``\\\\``, ``\\n``) and writes other control characters as ``\\uXXXX``, which is also valid inside
    a SPARQL string; IRIs were validated when the :class:`~pyoxigraph.NamedNode` was made. So a
    value can only ever be one term of data.
    """
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(str(term) for term in bindings.values())
    return f"VALUES ({names}) {{ ({terms}) }}"


#: A comment line that marks where a query wants its parameters bound (see :func:`inject_values`).
_VALUES_MARKER = re.compile(r"^[ \t]*#[ \t]*@values[ \t]*$", re.MULTILINE)


def inject_values(text: str, bindings: Mapping[str, Term]) -> str:
    """The query with a ``VALUES`` block at the start of its WHERE pattern.

    At the *start* of the top-level group the block joins before any OPTIONAL, FILTER, grouping or
    aggregation, which is what pyoxigraph's substitutions do too; a trailing VALUES clause would
    be joined after GROUP BY and change aggregate queries. A query that aggregates in a sub-select
    marks the place inside it with a line ``# @values`` (SPARQL evaluates a sub-select on its own,
    so parameters bound outside it would be joined only after it had aggregated everything).
    """
    if not bindings:
        return _VALUES_MARKER.sub("", text)
    for name in bindings:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ParameterError(f"{name!r} is not a SPARQL variable name")
    marker = _VALUES_MARKER.search(text)
    if marker is not None:
        return f"{text[: marker.start()]}  {values_block(bindings)}{text[marker.end() :]}"
    brace = _where_group(text)
    return f"{text[: brace + 1]}\n  {values_block(bindings)}\n{text[brace + 1 :]}"


# Results ---------------------------------------------------------------------------------------
_XSD = vocab.XSD
_FLOAT_TYPES = {_XSD + "decimal", _XSD + "double", _XSD + "float"}


def plain_value(term: Term | None) -> str | int | float | bool | None:
    """A term as a Python value: IRIs and literals as text, numbers and booleans as such."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        try:
            if datatype in vocab.XSD_INTEGER_TYPES:
                return int(term.value)
            if datatype in _FLOAT_TYPES:
                return float(term.value)
        except ValueError:
            return term.value
        if datatype == _XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.NamedNode):
        return term.value
    return str(term)


def text_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal | ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term)


class Result:
    """What a query returned: rows (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE).

    Rows and triples are produced lazily and only once; iterate, or call :meth:`values` for rows
    of plain Python values (``{"figid": "PMC…", "genes": 12}``).

    A page (a query run with ``limit``/``offset``) also says where it is: ``total`` rows in the full
    answer, from ``offset``, at most ``limit``; ``hint`` explains an empty answer when it can (a gene
    symbol that names no gene). All four are ``None`` for a full answer.
    """

    total: int | None = None
    offset: int | None = None
    limit: int | None = None
    hint: str | None = None

    def __init__(
        self,
        kind: Literal["select", "ask", "graph"],
        variables: Sequence[str] = (),
        rows: Iterable[Row] = (),
        boolean: bool | None = None,
        triples: Iterable[ox.Triple] = (),
    ) -> None:
        self.kind = kind
        self.variables = list(variables)
        self._rows = iter(rows)
        self.boolean = boolean
        self._triples = iter(triples)

    def __iter__(self) -> Iterator[Row]:
        return self._rows

    def triples(self) -> Iterator[ox.Triple]:
        return self._triples

    def values(self) -> Iterator[dict[str, Any]]:
        for row in self._rows:
            yield {name: plain_value(row.get(name)) for name in self.variables}

    def __bool__(self) -> bool:  # an ASK result reads naturally in an if
        return bool(self.boolean) if self.kind == "ask" else True


# Sources ---------------------------------------------------------------------------------------
class Source:
    """Something that runs SPARQL: :class:`EmbeddedSource` or :class:`RemoteSource`."""

    description = "source"
    #: A :class:`pfocr_ld.paging.KeyCache` for sources whose data cannot change (serve's workers).
    page_cache: Any = None
    #: A :class:`pfocr_ld.gene_index.GeneFigureIndex`, likewise (serve's workers build one).
    gene_index: Any = None

    def execute(self, query: str, bindings: Mapping[str, Term] | None = None) -> Result:
        raise NotImplementedError

    def prepared_text(self, query: str, bindings: Mapping[str, Term]) -> str:
        """The text this source sends for ``query`` (for ``--show-query``)."""
        return query

    def close(self) -> None:
        pass

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EmbeddedSource(Source):
    """A pyoxigraph store; parameters go in as a ``VALUES`` block of serialised terms.

    The same binding as for remote endpoints (:func:`inject_values`; a test shows both give the
    same rows). pyoxigraph's ``substitutions`` would work too, but they are applied after the join
    order is chosen: on a 100k-figure store ``genes-of-figure`` took 690 ms with them and 1.9 ms
    with the VALUES block, which the planner starts from.

    A SELECT query's final ``ORDER BY`` of plain variables is evaluated in Python
    (:mod:`pfocr_ld.ordering`), where sorting long strings is hundreds of times cheaper than in
    Oxigraph; ``sort_in_python=False`` leaves every query to the engine as written.
    """

    def __init__(
        self,
        store: ox.Store,
        *,
        default_graph: str | None = None,
        description: str = "store",
        sort_in_python: bool = True,
    ) -> None:
        self.store = store
        self.default_graph = default_graph
        self.description = description
        self.sort_in_python = sort_in_python

    def prepared_text(self, query: str, bindings: Mapping[str, Term]) -> str:
        return inject_values(query, bindings)

    def execute(self, query: str, bindings: Mapping[str, Term] | None = None) -> Result:
        options: dict[str, Any] = {}
        if self.default_graph:
            options["default_graph"] = ox.NamedNode(self.default_graph)
        if bindings:
            query = inject_values(query, bindings)
        deferred = ordering.defer_order(query) if self.sort_in_python else None
        answer = self._run(deferred.query if deferred else query, options)
        if deferred is not None and isinstance(answer, ox.QuerySolutions):
            variables = [v.value for v in answer.variables]
            ordered = ordering.sort_rows(ordering.collect(answer), variables, deferred.keys)
            if ordered is not None:
                return Result(
                    "select", variables, (dict(zip(variables, row, strict=True)) for row in ordered)
                )
            answer = self._run(query, options)  # terms whose order only the engine defines
        if isinstance(answer, ox.QuerySolutions):
            variables = [v.value for v in answer.variables]

            def rows() -> Iterator[Row]:
                for solution in answer:
                    yield {name: solution[name] for name in variables}

            return Result("select", variables, rows())
        if isinstance(answer, ox.QueryBoolean):
            return Result("ask", boolean=bool(answer))
        return Result("graph", triples=answer)

    def _run(self, query: str, options: dict[str, Any]) -> Any:
        try:
            return self.store.query(query, prefixes=sparql.PREDECLARED, **options)
        except SyntaxError as error:
            raise QueryError(sparql.syntax_error_message(query, error)) from error
        except (RuntimeError, ValueError) as error:
            raise QueryError(f"cannot run the query: {error}") from error


_RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}
_ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "text/tab-separated-values;q=0.8, application/n-triples;q=0.7, text/turtle;q=0.6, "
    "application/rdf+xml;q=0.5"
)
#: Longest GET URL we send; longer queries are POSTed (many servers and proxies cap URLs near 8 KB,
#: some at 2 KB).
GET_URL_LIMIT = 2000


class _ResponseReader(io.RawIOBase):
    """An httpx streaming response as a binary file, for pyoxigraph's incremental parsers."""

    def __init__(self, response: httpx.Response) -> None:
        self._chunks = response.iter_bytes()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except httpx.HTTPError as error:  # pyoxigraph surfaces OSError cleanly
                raise OSError(f"reading the response failed: {error}") from error
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class RemoteSource(Source):
    """A SPARQL 1.1 Protocol endpoint, spoken through httpx.

    Short queries go as ``GET ?query=…``, long ones as ``POST`` with ``application/sparql-query``;
    results are negotiated (SPARQL JSON preferred) and parsed as they stream. Parameters are
    bound by a ``VALUES`` block (:func:`inject_values`). ``default_graph`` is sent as the protocol's
    ``default-graph-uri``; without it the server's default graph is queried (run Oxigraph with
    ``--union-default-graph`` to see data published into named graphs).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = 60.0,
        default_graph: str | None = None,
        client: httpx.Client | None = None,
        method: Literal["auto", "get", "post"] = "auto",
        get_url_limit: int = GET_URL_LIMIT,
        auth: httpx.Auth | None = None,
    ) -> None:
        if not re.match(r"^https?://", endpoint):
            raise QueryError(f"--endpoint: {redact(endpoint)!r} is not an http(s) URL")
        # Credentials in the URL are taken out of it, so no message below can print them, and used
        # as Basic authentication (what httpx did with them) unless ``auth`` says otherwise.
        endpoint, user, password = split_credentials(endpoint)
        if auth is None and user is not None:
            auth = httpx.BasicAuth(user, password or "")
        self.auth = auth
        self.endpoint = endpoint
        self.timeout = timeout
        self.default_graph = default_graph
        self.method = method
        self.get_url_limit = get_url_limit
        self._own_client = client is None
        self.client = client or httpx.Client()
        self.description = endpoint

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def prepared_text(self, query: str, bindings: Mapping[str, Term]) -> str:
        return inject_values(query, bindings)

    def _request(self, text: str) -> httpx.Request:
        params = {"default-graph-uri": self.default_graph} if self.default_graph else {}
        headers = {"Accept": _ACCEPT}
        url_length = len(self.endpoint) + 1 + len(urlencode({"query": text, **params}))
        if self.method == "get" or (self.method == "auto" and url_length <= self.get_url_limit):
            return self.client.build_request(
                "GET", self.endpoint, params={"query": text, **params}, headers=headers, timeout=self.timeout
            )
        headers["Content-Type"] = "application/sparql-query; charset=utf-8"
        return self.client.build_request(
            "POST",
            self.endpoint,
            params=params,
            content=text.encode("utf-8"),
            headers=headers,
            timeout=self.timeout,
        )

    def execute(self, query: str, bindings: Mapping[str, Term] | None = None) -> Result:
        text = inject_values(query, bindings or {})
        request = self._request(text)
        try:
            response = self.client.send(request, stream=True, auth=self.auth or httpx.USE_CLIENT_DEFAULT)
        except httpx.TimeoutException as error:
            raise EndpointError(
                f"{self.endpoint}: no answer within {self.timeout:g}s ({type(error).__name__})"
            ) from error
        except httpx.HTTPError as error:
            raise EndpointError(f"{self.endpoint}: {type(error).__name__}: {error}") from error
        if response.status_code >= 400:
            try:
                body = response.read().decode("utf-8", "replace")
            except httpx.HTTPError:
                body = ""
            finally:
                response.close()
            raise EndpointError(
                f"{self.endpoint} answered HTTP {response.status_code} {response.reason_phrase}: "
                f"{_excerpt(body)}",
                response.status_code,
                body,
            )
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        reader = io.BufferedReader(_ResponseReader(response), buffer_size=1 << 16)
        try:
            if content_type in _RESULT_FORMATS:
                parsed = ox.parse_query_results(reader, _RESULT_FORMATS[content_type])
            elif content_type in _GRAPH_FORMATS:
                parsed = ox.parse(reader, _GRAPH_FORMATS[content_type])
            else:
                raise EndpointError(f"{self.endpoint} answered with unexpected content type {content_type!r}")
        except (SyntaxError, OSError) as error:
            response.close()
            raise EndpointError(f"{self.endpoint}: unreadable results: {error}") from error
        except EndpointError:
            response.close()
            raise
        if isinstance(parsed, ox.QueryBoolean):
            response.close()
            return Result("ask", boolean=bool(parsed))
        if isinstance(parsed, ox.QuerySolutions):
            variables = [v.value for v in parsed.variables]
            return Result("select", variables, self._stream(response, parsed, variables))
        return Result("graph", triples=self._stream_triples(response, parsed))

    def _stream(
        self, response: httpx.Response, solutions: ox.QuerySolutions, variables: list[str]
    ) -> Iterator[Row]:
        try:
            for solution in solutions:
                yield {name: solution[name] for name in variables}
        except (SyntaxError, OSError) as error:
            raise EndpointError(f"{self.endpoint}: results broke off: {error}") from error
        finally:
            response.close()

    def _stream_triples(self, response: httpx.Response, triples: Iterable[Any]) -> Iterator[ox.Triple]:
        try:
            for item in triples:
                yield item.triple if isinstance(item, ox.Quad) else item
        except (SyntaxError, OSError) as error:
            raise EndpointError(f"{self.endpoint}: results broke off: {error}") from error
        finally:
            response.close()


def _excerpt(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def open_source(
    *,
    store: Path | str | None = None,
    data: Path | str | Sequence[Path | str] | None = None,
    endpoint: str | None = None,
    graph: str | None = None,
    timeout: float = 60.0,
    check_only: bool = False,
) -> Source:
    """Exactly one of: a persistent store folder, dump file(s)/folder(s) loaded into memory, an endpoint.

    ``graph`` makes that named graph the default graph of every query (``default_graph`` for the
    stores, ``default-graph-uri`` for endpoints). ``check_only`` checks the arguments and opens nothing
    (the return value is then meaningless).

    Queries run by this API run in the calling process, with its network access: a ``SERVICE``
    clause in the text makes pyoxigraph send a request to the address it names. Run text you do not
    trust through ``pfocr-ld query`` (which runs local queries in a process without network unless
    ``--allow-service``), :func:`run_local_sandboxed`, or call :func:`pfocr_ld.sandbox.deny_network`
    in your own process first.
    """
    from pfocr_ld.store import memory_store, open_store

    choices = (("--store", store), ("--data", data), ("--endpoint", endpoint))
    given = [name for name, value in choices if value]
    if len(given) != 1:
        raise QueryError(
            "give exactly one of --store DIR, --data PATH or --endpoint URL"
            + (f" (got {', '.join(given)})" if given else "")
        )
    if graph is not None:
        try:
            ox.NamedNode(graph)
        except ValueError as error:
            raise QueryError(f"--graph: {graph!r} is not an absolute IRI") from error
    if check_only:
        return Source()
    if endpoint:
        return RemoteSource(endpoint, timeout=timeout, default_graph=graph)
    if store:
        return EmbeddedSource(open_store(store, read_only=True), default_graph=graph, description=str(store))
    paths = [Path(data)] if isinstance(data, str | Path) else [Path(p) for p in data or ()]
    return EmbeddedSource(memory_store(paths), default_graph=graph, description=", ".join(map(str, paths)))


def run_bound(source: Source, bound: BoundQuery) -> Result:
    """Run a bound query: the full answer, or with ``limit``/``offset`` one page of it (with its total)."""
    if bound.paged:
        from pfocr_ld import paging

        return paging.run_page(source, bound)
    return source.execute(bound.text, bound.bindings)


def run_named(source: Source, name: str, /, **params: ParamValue) -> Result:
    """Run a library query: ``run_named(source, "figures-for-gene", gene="7099", strict=True)``.

    ``limit`` and ``offset`` (queries that page: ``figures-for-gene``, ``cooccurring-genes``, …) give
    one page of the same ordered answer, and its ``total``: ``run_named(source, "figures-for-gene",
    gene="4040", limit=100, offset=200)``.
    """
    return run_bound(source, bind(get_query(name), params))


def run_query(source: Source, text: str, /, **params: ParamValue) -> Result:
    """Run any SPARQL text; ``params`` bind variables of the same names (``<…>`` for IRIs)."""
    return run_bound(source, bind(parse_query_text(text, "query"), params))


# Empty answers -----------------------------------------------------------------------------------
_GENE_NAMED = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?gene WHERE { ?gene a wp:GeneProduct ; rdfs:label ?symbol } LIMIT 1
"""
_GENE_EXISTS = """PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?gene WHERE { ?gene a wp:GeneProduct } LIMIT 1
"""
#: The symbols a gene's symbol is commonly mistyped as: human (TP53), mouse/rat (Tp53), lower case.
_SYMBOLS_AMONG = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT DISTINCT ?label WHERE {{
  VALUES ?label {{ {labels} }}
  ?gene rdfs:label ?label ; a wp:GeneProduct .
}}
ORDER BY ?label
"""


def no_rows_hint(source: Source, bound: BoundQuery) -> str | None:
    """Why an answer may be empty, when the data can tell: a gene parameter that names no gene.

    ``figures-for-gene`` and ``cooccurring-genes`` match a symbol exactly (case-sensitively), across
    organisms; a symbol no gene has gets its case-insensitive namesakes as suggestions (``erbb2`` →
    ``ERBB2``), an id no gene has says so. ``None`` when the gene exists (the other parameters left
    nothing) or the query has no gene parameter. Costs one or two lookups, never a scan.
    """
    for parameter in bound.query.parameters:
        if parameter.type.name != "gene":
            continue
        symbol = bound.bindings.get(parameter.variable("symbol"))
        gene = bound.bindings.get(parameter.variable("id"))
        if isinstance(symbol, ox.Literal):
            if any(True for _ in source.execute(_GENE_NAMED, {"symbol": symbol})):
                return None
            text = symbol.value
            variants = {text.upper(), text[:1].upper() + text[1:].lower(), text.lower()} - {text}
            # each variant an N-Triples literal, escaped by pyoxigraph: data, never query text
            labels = " ".join(sorted(str(ox.Literal(v)) for v in variants))
            close = [
                text_value(row.get("label")) for row in source.execute(_SYMBOLS_AMONG.format(labels=labels))
            ]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            return (
                f"no gene with symbol {text!r} in this store (symbols are matched exactly, "
                f"case-sensitively, in every organism; or give the NCBI Gene id){hint}"
            )
        if isinstance(gene, ox.NamedNode):
            if any(True for _ in source.execute(_GENE_EXISTS, {"gene": gene})):
                return None
            return f"no gene with NCBI Gene id {gene.value.rsplit('/', 1)[-1]!r} in this store"
    return None


# Writers ---------------------------------------------------------------------------------------
FORMATS = ("table", "csv", "tsv", "json", "srj", "srx", "gmt", "nt", "ttl")
_TABLE_SAMPLE = 500
_TABLE_MAX_WIDTH = 60


def _compact(term: Term | None) -> str:
    if isinstance(term, ox.NamedNode):
        curie = vocab.CONVERTER.compress(term.value)
        return curie or term.value
    return text_value(term)


def _fit(value: str, width: int) -> str:
    value = value.replace("\n", " ").replace("\t", " ")
    return value if len(value) <= width else value[: width - 1] + "…"


def write_table(
    variables: Sequence[str], rows: Iterable[Row], out: IO[str], *, page: tuple[int, int] | None = None
) -> int:
    """An aligned table. Column widths come from the first rows, later rows reuse them, so a long
    result starts printing at once instead of after the last row."""
    iterator = iter(rows)
    sample: list[list[str]] = []
    for row in iterator:
        sample.append([_compact(row.get(v)) for v in variables])
        if len(sample) >= _TABLE_SAMPLE:
            break
    widths = [
        min(_TABLE_MAX_WIDTH, max([len(v), *(len(r[i]) for r in sample)])) for i, v in enumerate(variables)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(_fit(c, w).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n"

    out.write(line(variables))
    out.write("  ".join("-" * w for w in widths) + "\n")
    count = 0
    for cells in sample:
        out.write(line(cells))
        count += 1
    for row in iterator:
        out.write(line([_compact(row.get(v)) for v in variables]))
        count += 1
    if page is not None:  # (total, offset): where this page is in the full answer
        total, offset = page
        where = f"rows {offset + 1:,}-{offset + count:,}" if count else f"no rows from row {offset + 1:,}"
        out.write(f"({where} of {total:,})\n")
    else:
        out.write(f"({count} row{'s' if count != 1 else ''})\n")
    return count


def _tsv_cell(term: Term | None) -> str:
    text = text_value(term).replace("\\", "\\\\")
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def write_delimited(variables: Sequence[str], rows: Iterable[Row], out: IO[str], delimiter: str) -> int:
    count = 0
    if delimiter == ",":
        writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as the SPARQL CSV results format
        writer.writerow(variables)
        for row in rows:
            writer.writerow([text_value(row.get(v)) for v in variables])
            count += 1
        return count
    out.write("\t".join(variables) + "\n")
    for row in rows:
        out.write("\t".join(_tsv_cell(row.get(v)) for v in variables) + "\n")
        count += 1
    return count


def write_json(
    variables: Sequence[str], rows: Iterable[Row], out: IO[str], *, page: Mapping[str, Any] | None = None
) -> int:
    """A JSON list with one object per row (variable → plain value, ``null`` when unbound).

    A page (``page``: total, offset, limit) is an object instead: those three, then ``rows``, the list.
    """
    count = 0
    if page is not None:
        out.write(orjson.dumps(dict(page)).decode()[:-1] + ',"rows":')
    out.write("[")
    for row in rows:
        obj = {v: plain_value(row.get(v)) for v in variables}
        out.write(("\n  " if count == 0 else ",\n  ") + orjson.dumps(obj).decode())
        count += 1
    out.write("\n]" if count else "]")
    out.write("}\n" if page is not None else "\n")
    return count


def _srj_term(term: Term) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
    return {"type": "triple", "value": {k: _srj_term(v) for k, v in parts.items()}}


def write_srj(variables: Sequence[str], rows: Iterable[Row], out: IO[str]) -> int:
    """SPARQL 1.1 Query Results JSON, one binding per line."""
    count = 0
    out.write('{"head":{"vars":' + orjson.dumps(list(variables)).decode() + '},"results":{"bindings":[')
    for row in rows:
        binding = {v: _srj_term(t) for v in variables if (t := row.get(v)) is not None}
        out.write(("\n" if count == 0 else ",\n") + orjson.dumps(binding).decode())
        count += 1
    out.write("\n]}}\n")
    return count


def _srx_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{xml_escape(term.value)}</literal>"
        if term.datatype.value != _XSD + "string":
            return f"<literal datatype={quoteattr(term.datatype.value)}>{xml_escape(term.value)}</literal>"
        return f"<literal>{xml_escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_srx_term(term.subject)}</subject><predicate>{_srx_term(term.predicate)}"
        f"</predicate><object>{_srx_term(term.object)}</object></triple>"
    )


_SRX_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'


def write_srx(variables: Sequence[str], rows: Iterable[Row], out: IO[str]) -> int:
    """SPARQL Query Results XML."""
    count = 0
    head = "".join(f"<variable name={quoteattr(v)}/>" for v in variables)
    out.write(f"{_SRX_HEAD}<head>{head}</head>\n")
    out.write("<results>\n")
    for row in rows:
        cells = "".join(
            f"<binding name={quoteattr(v)}>{_srx_term(t)}</binding>"
            for v in variables
            if (t := row.get(v)) is not None
        )
        out.write(f"<result>{cells}</result>\n")
        count += 1
    out.write("</results>\n</sparql>\n")
    return count


def write_gmt(rows: Iterable[Row], out: IO[str], columns: Mapping[str, str]) -> int:
    """Gene sets as GMT (``name<TAB>description<TAB>gene…``), one line per set.

    Rows must come ordered by the set's name (the query's ORDER BY sees to it), so each line is
    written as soon as its set is complete. Returns the number of sets. When ``columns`` names a
    ``member_label`` variable and a row binds it (gene-sets with ``symbols``: the gene's symbol),
    the label is written instead of the member; a row without one keeps the member (the gene id).
    """
    name_var, description_var, member_var = columns["name"], columns["description"], columns["member"]
    label_var = columns.get("member_label")
    sets = 0
    current: str | None = None
    description = ""
    members: dict[str, None] = {}

    def flush() -> None:
        nonlocal sets
        if current is not None and members:
            out.write("\t".join([_gmt_cell(current), _gmt_cell(description), *members]) + "\n")
            sets += 1

    for row in rows:
        name = text_value(row.get(name_var))
        if name != current:
            flush()
            current, description, members = name, text_value(row.get(description_var)), {}
        member = (text_value(row.get(label_var)) if label_var else "") or text_value(row.get(member_var))
        if member:
            members[_gmt_cell(member)] = None
    flush()
    return sets


_TAXON_FILE = re.compile(r"^http://purl\.obolibrary\.org/obo/(NCBITaxon_[0-9]+)$")


def write_gmt_per_taxon(
    rows: Iterable[Row], folder: Path, columns: Mapping[str, str], taxon_var: str = "taxon"
) -> dict[str, int]:
    """One GMT file per gene taxon, ``folder/NCBITaxon_<id>.gmt``; returns sets per file name.

    Rows must come ordered by taxon, then by set name (gene-sets with by_taxon orders them so), so
    each file is written in one go; each is written beside its final name and renamed into place.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for taxon, group in itertools.groupby(rows, key=lambda row: text_value(row.get(taxon_var))):
        found = _TAXON_FILE.match(taxon)
        if found is None:
            raise QueryError(f"--per-organism: {taxon!r} is not an NCBI Taxonomy IRI")
        name = f"{found.group(1)}.gmt"
        if name in written:
            raise QueryError("--per-organism needs rows ordered by taxon (gene-sets with by_taxon)")
        target = folder / name
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="", dir=folder, prefix=f".{name}.", delete=False
        ) as handle:
            try:
                written[name] = write_gmt(group, handle, columns)
            except BaseException:
                Path(handle.name).unlink(missing_ok=True)
                raise
        os.replace(handle.name, target)
    return written


def _gmt_cell(value: str) -> str:
    return " ".join(value.split()) or "na"


def write_boolean(value: bool, fmt: str, out: IO[str]) -> None:
    if fmt == "srj":
        out.write(orjson.dumps({"head": {}, "boolean": value}).decode() + "\n")
    elif fmt == "srx":
        out.write(_SRX_HEAD + f"<head/>\n<boolean>{'true' if value else 'false'}</boolean>\n</sparql>\n")
    else:
        out.write(("true" if value else "false") + "\n")


def _limited(items: Iterable[Any], limit: int | None) -> Iterator[Any]:
    for index, item in enumerate(items):
        if limit is not None and index >= limit:
            return
        yield item


def write_result(
    result: Result,
    fmt: str,
    out: IO[str],
    *,
    query: NamedQuery | None = None,
    limit: int | None = None,
) -> int:
    """Write ``result`` in ``fmt`` to ``out`` as rows arrive; returns the rows (or sets, triples) written."""
    if result.kind == "ask":
        write_boolean(bool(result.boolean), fmt, out)
        return 1
    if result.kind == "graph":
        if fmt not in ("nt", "ttl"):
            raise QueryError(f"a CONSTRUCT/DESCRIBE result is written as nt or ttl, not {fmt}")
        rdf_format = ox.RdfFormat.TURTLE if fmt == "ttl" else ox.RdfFormat.N_TRIPLES
        triples = list(_limited(result.triples(), limit)) if fmt == "ttl" else None
        if triples is not None:
            out.write(ox.serialize(triples, format=rdf_format, prefixes=vocab.PREFIXES).decode())
            return len(triples)
        count = 0
        batch: list[ox.Triple] = []
        for triple in _limited(result.triples(), limit):
            batch.append(triple)
            count += 1
            if len(batch) >= 1000:
                out.write(ox.serialize(batch, format=rdf_format).decode())
                batch = []
        if batch:
            out.write(ox.serialize(batch, format=rdf_format).decode())
        return count
    rows = _limited(result, limit)
    variables = result.variables
    paged = result.total is not None
    if fmt == "table":
        return write_table(variables, rows, out, page=(result.total, result.offset or 0) if paged else None)
    if fmt in ("csv", "tsv"):
        return write_delimited(variables, rows, out, "," if fmt == "csv" else "\t")
    if fmt == "json":
        page = {"total": result.total, "offset": result.offset or 0, "limit": result.limit}
        return write_json(variables, rows, out, page=page if paged else None)
    if fmt == "srj":
        return write_srj(variables, rows, out)
    if fmt == "srx":
        return write_srx(variables, rows, out)
    if fmt == "gmt":
        if query is None or not query.gmt:
            raise QueryError("--format gmt is for gene-set queries (gene-sets)")
        return write_gmt(rows, out, query.gmt)
    raise QueryError(f"a SELECT result cannot be written as {fmt}")


def list_queries(out: IO[str], fmt: str = "table") -> None:
    queries = library()
    if fmt == "json":
        listing = [
            {
                "name": q.name,
                "title": q.title,
                "description": q.description.strip(),
                "parameters": [
                    {
                        "name": p.name,
                        "type": p.type.name,
                        "required": p.required,
                        "example": p.example,
                        "description": p.description.strip(),
                    }
                    for p in q.parameters
                ],
                "example": q.example.get("command"),
            }
            for q in queries.values()
        ]
        out.write(orjson.dumps(listing, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    width = max(len(name) for name in queries)
    for q in queries.values():
        params = " ".join(
            f"{p.name}=<{p.type.name}>" if p.required else f"[{p.name}=<{p.type.name}>]" for p in q.parameters
        )
        out.write(f"{q.name.ljust(width)}  {q.title}\n")
        if params:
            out.write(f"{' ' * width}    {params}\n")


# Command ---------------------------------------------------------------------------------------
def _parse_params(pairs: Sequence[str]) -> dict[str, ParamValue]:
    params: dict[str, ParamValue] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--param {pair!r}: write NAME=VALUE")
        if name in params:
            raise ParameterError(f"--param {name} given twice")
        params[name] = value
    return params


def _choose_query(query_ref: str | None, expression: str | None) -> NamedQuery:
    if (query_ref is None) == (expression is None):
        raise QueryError("give a query NAME, a FILE.rq or -e 'SPARQL' (see --list)")
    if expression is not None:
        return parse_query_text(expression, "-e")
    assert query_ref is not None
    path = Path(query_ref)
    if query_ref.endswith(".rq") or (path.is_file() and query_ref not in library()):
        if not path.is_file():
            raise QueryError(f"{query_ref}: no such query file")
        return load_query_file(path)
    return get_query(query_ref)


# Local queries without network ------------------------------------------------------------------
FEDERATION_OFF = (
    "federated queries (SERVICE) are off: the query ran without network access; "
    "pass --allow-service to let SERVICE reach other endpoints"
)


class _ConnectionWriter(io.TextIOBase):
    """A text stream that sends what is written to the parent process in chunks of about 64 KiB."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._parts: list[str] = []
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= 1 << 16:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._parts:
            self._conn.send(("out", "".join(self._parts)))
            self._parts, self._size = [], 0


def _mentions_service(text: str) -> bool:
    from pfocr_ld.serve import _unescape_codepoints

    return "service" in _unescape_codepoints(text).casefold()


def _answer_notes(source: Source, bound: BoundQuery, result: Result, count: int) -> dict[str, Any]:
    """Where a page is in the full answer (total, offset, limit) and why an answer is empty (hint)."""
    notes: dict[str, Any] = {}
    if result.total is not None:
        notes.update(total=result.total, offset=result.offset or 0, limit=result.limit)
    if result.kind == "select" and count == 0:
        notes["hint"] = result.hint if result.total is not None else no_rows_hint(source, bound)
    return notes


def report_answer(notes: Mapping[str, Any], count: int) -> None:
    """The CLI's lines on standard error about an answer: a page's place and total, an empty one's hint."""
    if "total" in notes:
        total, offset, limit = notes["total"], notes["offset"], notes["limit"]
        shown = f"rows {offset + 1:,}-{offset + count:,}" if count else f"no rows from row {offset + 1:,}"
        following = ""
        if limit is not None and offset + count < total:
            following = f"; next page: --param offset={offset + count}"
        click.echo(f"{shown} of {total:,}{following}", err=True)
    if notes.get("hint"):
        click.echo(f"pfocr-ld query: {notes['hint']}", err=True)


def _sandboxed_query(conn: Any, payload: tuple[Any, ...]) -> None:
    """In the sandboxed process (:func:`pfocr_ld.sandbox.run_in_sandbox`): open the data, run, write."""
    store_dir, data, graph, bound, fmt, tty, limit = payload
    out = _ConnectionWriter(conn)
    try:
        with open_source(store=store_dir, data=data, graph=graph) as source:
            started = time.perf_counter()
            result = run_bound(source, bound)
            chosen = fmt or ("nt" if result.kind == "graph" else "table" if tty else "tsv")
            count = write_result(result, chosen, out, query=bound.query, limit=limit)
            out.flush()
            seconds = time.perf_counter() - started
            conn.send(
                (
                    "done",
                    count,
                    chosen,
                    result.kind,
                    source.description,
                    seconds,
                    _answer_notes(source, bound, result, count),
                )
            )
    except Exception as error:  # each becomes one line and an exit status in the parent
        out.flush()
        # Usage errors (syntax, a missing store) stand; what the engine raised while evaluating a
        # query that names SERVICE is the refused federation, whatever its wording.
        usage = isinstance(error, click.ClickException) and not str(error).startswith("cannot run the query")
        if _mentions_service(bound.text) and not usage:
            conn.send(("error", 2, FEDERATION_OFF))
        elif isinstance(error, click.ClickException):
            conn.send(("error", error.exit_code, error.format_message()))
        else:
            conn.send(("error", 1, f"the query failed: {error}"))


def run_local_sandboxed(
    *,
    store: Path | None,
    data: Sequence[Path] | None,
    graph: str | None,
    bound: BoundQuery,
    sink: IO[str],
    fmt: str | None = None,
    limit: int | None = None,
) -> tuple[int, str, str, str, float]:
    """Run ``bound`` on a store or dumps in a child process without network; write the result to ``sink``.

    The child cannot make a socket (:mod:`pfocr_ld.sandbox`), so ``SERVICE`` cannot reach any
    address whatever the text says; a query that tries fails with a usage error. Returns
    (rows written, format, result kind, source description, seconds, notes: a page's ``total``,
    ``offset`` and ``limit``, and the ``hint`` of an empty answer).
    """
    from pfocr_ld import sandbox

    state: dict[str, Any] = {}

    def on_message(message: Any) -> None:
        if message[0] == "out":
            sink.write(message[1])
        else:
            state[message[0]] = message[1:]

    payload = (store, list(data) if data else None, graph, bound, fmt, sink.isatty(), limit)
    try:
        sandbox.run_in_sandbox("pfocr_ld.query:_sandboxed_query", payload, on_message)
    except sandbox.SandboxError as error:
        raise QueryError(
            f"cannot take network access away from the query on this system ({error}); "
            "pass --allow-service to run it with network access"
        ) from error
    except RuntimeError as error:
        raise click.ClickException(f"the query process failed: {error}") from error
    if "error" in state:
        code, message = state["error"]
        failure = click.ClickException(message)
        failure.exit_code = code
        raise failure
    if "done" not in state:
        raise click.ClickException("the query process ended without an answer")
    return state["done"]  # type: ignore[no-any-return]


def _json_rows(handle: IO[str]) -> Iterator[Row]:
    """The rows :func:`write_json` wrote (one object a line), as literal terms again."""
    for line in handle:
        text = line.strip().rstrip(",")
        if text in ("[", "]", "[]", ""):
            continue
        yield {
            name: None if value is None else ox.Literal(str(value))
            for name, value in orjson.loads(text).items()
        }


def _write_per_organism(
    bound: BoundQuery,
    folder: Path,
    *,
    store: Path | None,
    data: list[Path] | None,
    endpoint: str | None,
    graph: str | None,
    timeout: float,
    limit: int | None,
    show_query: bool,
    allow_service: bool,
) -> None:
    """``--per-organism``: the gene sets split into one GMT file per gene taxon."""
    assert bound.query.gmt is not None
    folder.mkdir(parents=True, exist_ok=True)
    if not endpoint and not allow_service:
        # federation off: the sandboxed child writes the rows (JSON), split here afterwards
        open_source(store=store, data=data, graph=graph, check_only=True)
        if show_query:
            click.echo(inject_values(bound.text, bound.bindings), err=True)
        with tempfile.TemporaryFile("w+", encoding="utf-8", dir=folder) as rows:
            run_local_sandboxed(
                store=store, data=data, graph=graph, bound=bound, sink=rows, fmt="json", limit=limit
            )
            rows.seek(0)
            files = write_gmt_per_taxon(_json_rows(rows), folder, bound.query.gmt)
    else:
        with open_source(store=store, data=data, endpoint=endpoint, graph=graph, timeout=timeout) as source:
            if show_query:
                click.echo(source.prepared_text(bound.text, bound.bindings), err=True)
            result = run_bound(source, bound)
            files = write_gmt_per_taxon(_limited(result, limit), folder, bound.query.gmt)
    click.echo(f"{sum(files.values())} sets in {len(files)} files in {folder}", err=True)


@click.command("query")
@click.argument("query_ref", metavar="[NAME|FILE.rq]", required=False)
@click.option("-e", "--expression", default=None, help="Run this SPARQL text instead of a named query.")
@click.option("--list", "show_list", is_flag=True, help="List the named queries and exit.")
@click.option("--describe", is_flag=True, help="Show the query's documentation and text, and exit.")
@click.option(
    "-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="A query parameter (repeatable)."
)
@click.option(
    "--strict", is_flag=True, help="figures-for-gene, gene-sets: symbol matches only (--param strict=true)."
)
@click.option(
    "--members",
    type=click.Choice(["id", "symbol"]),
    default=None,
    help="gene-sets: GMT members as NCBI Gene ids (the default) or gene symbols (--param symbols=true).",
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Query this persistent store (made by `pfocr-ld load`).",
)
@click.option(
    "--data",
    "data",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="Load these dumps or build folders into a temporary in-memory store (repeatable).",
)
@click.option("--endpoint", default=None, help="Query this SPARQL 1.1 Protocol endpoint URL.")
@click.option("--graph", default=None, help="Use this named graph as the default graph.")
@click.option(
    "--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for an endpoint."
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: table on a terminal, tsv otherwise; nt for CONSTRUCT).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of standard output.",
)
@click.option(
    "--per-organism",
    "per_organism",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="gene-sets: write one GMT file per gene taxon into this folder (NCBITaxon_<id>.gmt).",
)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Stop after this many rows.")
@click.option(
    "--show-query", is_flag=True, help="Print the query as sent (with its bindings) to standard error."
)
@click.option(
    "--allow-service",
    is_flag=True,
    help="Let SERVICE clauses reach other endpoints (federated query). Off by default: a query on a "
    "store or dumps runs in a process without network access.",
)
def query_command(
    query_ref: str | None,
    expression: str | None,
    show_list: bool,
    describe: bool,
    params: tuple[str, ...],
    strict: bool,
    members: str | None,
    store_dir: Path | None,
    data: tuple[Path, ...],
    endpoint: str | None,
    graph: str | None,
    timeout: float,
    fmt: str | None,
    output: Path | None,
    per_organism: Path | None,
    limit: int | None,
    show_query: bool,
    allow_service: bool,
) -> None:
    """Run a named query, a .rq file or a SPARQL expression against a store, dumps or an endpoint.

    \b
    pfocr-ld query --list
    pfocr-ld query figures-for-gene --param gene=7099 --store pfocr-store
    pfocr-ld query genes-of-figure --param figid=PMC3376449__fonc-02-00062-g001 --data output/
    pfocr-ld query gene-sets --param taxon=9606 --format gmt --endpoint http://127.0.0.1:7878/query
    pfocr-ld query gene-sets --strict --per-organism gmt-hgnc3/ --store pfocr-store
    pfocr-ld query gene-sets --members symbol --format gmt --store pfocr-store
    pfocr-ld query -e 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' --store pfocr-store

    Exit status 0 on success (also when there are no rows), 1 when an endpoint fails, 2 on a usage
    error (unknown query or parameter, malformed id, SPARQL syntax, SERVICE without --allow-service).
    """
    if show_list:
        list_queries(sys.stdout, "json" if fmt == "json" else "table")
        return
    query = _choose_query(query_ref, expression)
    if describe:
        click.echo(query.describe())
        click.echo("\n" + strip_header(query.text).rstrip())
        return
    values = _parse_params(params)
    if strict:
        if query.parameter("strict") is None:
            raise ParameterError(f"{query.name} has no strict parameter")
        values["strict"] = True
    if members is not None:
        if query.parameter("symbols") is None:
            raise ParameterError(f"{query.name} has no symbols parameter (--members is for gene-sets)")
        values["symbols"] = members == "symbol"
    if per_organism is not None:
        if query.gmt is None or query.parameter("by_taxon") is None:
            raise QueryError("--per-organism is for gene-set queries with a by_taxon parameter (gene-sets)")
        if fmt not in (None, "gmt") or output is not None:
            raise QueryError("--per-organism writes GMT files into its folder: no --format or --output")
        values["by_taxon"] = True
    bound = bind(query, values)
    if per_organism is not None:
        _write_per_organism(
            bound,
            per_organism,
            store=store_dir,
            data=list(data) or None,
            endpoint=endpoint,
            graph=graph,
            timeout=timeout,
            limit=limit,
            show_query=show_query,
            allow_service=allow_service,
        )
        return
    if not endpoint and not allow_service:
        # A store or dumps, federation off: the query runs in a child process that cannot make
        # sockets, so no text can make it send a request (docs/queries.md).
        open_source(store=store_dir, data=list(data) or None, graph=graph, check_only=True)
        if show_query:
            click.echo(inject_values(bound.text, bound.bindings), err=True)
        sink = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            count, chosen, kind, description, seconds, notes = run_local_sandboxed(
                store=store_dir,
                data=list(data) or None,
                graph=graph,
                bound=bound,
                sink=sink,
                fmt=fmt,
                limit=limit,
            )
            sink.flush()
        finally:
            if output:
                sink.close()
        report_answer(notes, count)
        if sys.stderr.isatty():
            unit = "sets" if chosen == "gmt" else "triples" if kind == "graph" else "rows"
            click.echo(f"{count} {unit} in {seconds:.2f}s from {description}", err=True)
        return
    sink = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        with open_source(
            store=store_dir, data=list(data) or None, endpoint=endpoint, graph=graph, timeout=timeout
        ) as source:
            if show_query:
                click.echo(source.prepared_text(bound.text, bound.bindings), err=True)
            started = time.perf_counter()
            result = run_bound(source, bound)
            chosen = fmt or ("nt" if result.kind == "graph" else "table" if sink.isatty() else "tsv")
            count = write_result(result, chosen, sink, query=query, limit=limit)
            sink.flush()
            report_answer(_answer_notes(source, bound, result, count), count)
            if sys.stderr.isatty():
                unit = "sets" if chosen == "gmt" else "triples" if result.kind == "graph" else "rows"
                seconds = time.perf_counter() - started
                click.echo(f"{count} {unit} in {seconds:.2f}s from {source.description}", err=True)
    finally:
        if output:
            sink.close()
