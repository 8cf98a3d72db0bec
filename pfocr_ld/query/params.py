"""Query parameters: the declared types (``gene``, ``taxon``, ``figid``, ``limit``, …) and their checks.

Each type turns the user's text into (kind, RDF term); identifiers are checked against the patterns
the mapping mints, so a typo is a usage error (:class:`~pfocr_ld.errors.ParameterError`), never an
empty result. Terms are bound as data (:mod:`pfocr_ld.query.binding`), never pasted into text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox

from pfocr_ld import vocab
from pfocr_ld.errors import ParameterError
from pfocr_ld.results import Term

ParamValue = str | int | bool


# Parameter types -------------------------------------------------------------------------------
# Each type turns the user's text into (kind, term); the kind picks the variable the term binds
# (a gene id binds ?gene, a symbol ?symbol). Identifiers are checked against the same patterns the
# mapping mints, so a typo is a usage error rather than an empty result.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ID = vocab.ID_SYNTAX  # the identifier syntax the mapping mints, once
_TAXON = re.compile(rf"^(?:(?:ncbitaxon|taxon|txid)[:_]?)?({_ID['ncbitaxon']})$", re.IGNORECASE)
_TAXON_IRI = re.compile(rf"^https?://purl\.obolibrary\.org/obo/NCBITaxon_({_ID['ncbitaxon']})$")
_GENE_ID = re.compile(
    rf"^(?:ncbigene:|https?://identifiers\.org/ncbigene/)?({_ID['ncbigene']})$", re.IGNORECASE
)
_CHEBI = re.compile(r"^(?:https?://identifiers\.org/chebi/)?(?:chebi[:_])?([0-9]+)$", re.IGNORECASE)
_MESH = re.compile(
    rf"^(?:mesh:|https?://id\.nlm\.nih\.gov/mesh/|https?://identifiers\.org/mesh/)?({_ID['mesh']})$",
    re.IGNORECASE,
)
_DOID = re.compile(rf"^(?:doid[:_]|https?://purl\.obolibrary\.org/obo/DOID_)({_ID['doid']})$", re.IGNORECASE)
_PMC = re.compile(rf"^(?:pmc:|https?://identifiers\.org/pmc/)?({_ID['pmc']})$", re.IGNORECASE)
_DOI = re.compile(rf"^(?:doi:|https?://(?:dx\.)?doi\.org/)?({_ID['doi']})$", re.IGNORECASE)
_FIGID = re.compile(rf"^{_ID['pmc']}__\S+$")
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
    # the rows are cut in Python (pfocr_ld/query/paging.py), so no number is ever written into the text.
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
