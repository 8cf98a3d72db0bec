"""The cleaned, typed PFOCR figure: what a record *means*, independent of files and of RDF.

:func:`figure_from_source` turns a :class:`~pfocr_ld.records.SourceRecord` into a :class:`Figure`
or a rejection. It owns the rules for messy values: the missing-value markers, pipe-separated
keywords, the three generations of table headers, duplicate rows, ``NaN`` ids, organism-name
resolution. A record is rejected only when a field it cannot do without is missing or malformed;
everything else is repaired or dropped *and reported* as a warning.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from pfocr_ld import rdf, vocab
from pfocr_ld.limits import ID_DIGITS
from pfocr_ld.records import OrganismIndex, Problem, RecordError, SourceRecord, Table, identifier

# Exact spellings only: "na" and "nan" are real Drosophila gene symbols (narrow abdomen, nanchung).
MISSING_MARKERS: frozenset[str] = frozenset({"", "NA", ".na.character", "NaN"})

_PMCID = re.compile(r"^PMC[0-9]{1,12}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_WPID = re.compile(rf"^{vocab.ID_SYNTAX['wikipathways']}$")
_YEAR = re.compile(r"^[0-9]{4}$")
_DOI = re.compile(rf"^{vocab.ID_SYNTAX['doi']}$")
_MESH = re.compile(rf"^(?:mesh:)?({vocab.ID_SYNTAX['mesh']})\Z", re.IGNORECASE)
# Identifiers are strings of ASCII digits ([0-9], never \d, which matches every script's digits),
# kept as written: DOIDs have leading zeros (DOID:0060239).
# All zeros is no id in any of these schemes.
# All zeros is no id in any of these schemes; the length is bounded by ID_DIGITS.
_CHEBI = re.compile(r"^(?:chebi:)?(?:CHEBI:)?(0*[1-9][0-9]*)\Z", re.IGNORECASE)
_DOID = re.compile(r"^(?:doid:|DOID:|DOID_)?(0*[1-9][0-9]*)\Z", re.IGNORECASE)
_DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\Z")
_WHITESPACE = re.compile(r"\s+")
_FOLDABLE = re.compile(r"\s\s|[^\S ]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A figid becomes a file name (jsonld/<figid>.jsonld) and an IRI segment.
_FIGID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~+\-]{0,199}$")


@dataclass(frozen=True)
class Organism:
    """An organism name as written, and its NCBI taxon id when it could be resolved."""

    name: str
    taxon_id: str | None  # ASCII digits as written


@dataclass(frozen=True)
class GeneMention:
    gene_id: str | None  # ASCII digits as written; None: no usable gene id (kept, unlinked)
    symbol: str | None
    taxon_id: str | None
    word: str
    matched_text: str | None
    source: str | None


@dataclass(frozen=True)
class ChemicalMention:
    chebi_number: str | None  # the ChEBI number's ASCII digits as written
    mesh_id: str | None
    name: str | None  # the ChEBI label
    mesh_heading: str | None
    word: str


@dataclass(frozen=True)
class DiseaseMention:
    mesh_id: str | None
    doid_number: str | None  # the DOID number's digits as written: 0060239 keeps its zeros
    mesh_heading: str | None
    name: str | None  # the DOID label
    word: str


@dataclass(frozen=True)
class Paper:
    pmcid: str
    title: str | None
    citation: str | None
    year: str | None
    doi: str | None
    journal_title: str | None
    journal_abbreviation: str | None
    publisher: str | None
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    """One PFOCR figure with its paper and the entities the OCR found in it."""

    figid: str
    title: str
    caption: str | None
    paper: Paper
    filename: str | None
    figure_link: str | None
    number: str | None
    figure_type: str | None
    alias: str | None
    score: str | None  # decimal lexical form, kept as text so it round-trips exactly
    ndex: str | None
    wpid: str | None
    organisms: tuple[Organism, ...]
    predicted_organisms: tuple[Organism, ...]
    genes: tuple[GeneMention, ...] = ()
    chemicals: tuple[ChemicalMention, ...] = ()
    diseases: tuple[DiseaseMention, ...] = ()
    source_file: str = ""


@dataclass
class ModelResult:
    figure: Figure | None
    problems: list[Problem] = field(default_factory=list)


# Value cleaning ----------------------------------------------------------------------------------
def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return value.strip() in MISSING_MARKERS
    return isinstance(value, (list, dict)) and not value


def text(value: Any) -> str | None:
    """A trimmed string, or ``None`` for any missing-value marker.

    Booleans cannot occur for strings written by PFOCR (the loader keeps ``yes``/``no`` as text),
    but a ``true`` in hand-made input is turned back into its YAML spelling rather than ``True``.
    """
    if type(value) is str:  # the common case (every table cell), without the general checks
        stripped = value.strip()
        return None if stripped in MISSING_MARKERS else stripped
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)  # 2012.0 → "2012"; 1e300 stays "1e+300", not a 301-digit artefact
    if isinstance(value, (dict, list)):
        return None
    result = str(value).strip()
    return result or None


def one_line(value: Any) -> str | None:
    """Text with whitespace runs (newlines of folded YAML, double spaces) collapsed."""
    result = text(value)
    if not result:
        return None
    # most values hold single spaces only; the regex runs only when there is something to fold
    return _WHITESPACE.sub(" ", result) if _FOLDABLE.search(result) else result


def _check_unicode(field_name: str, value: str) -> None:
    # Lone surrogates cannot be encoded in UTF-8, so no RDF serialisation could carry them.
    if _SURROGATE.search(value):
        raise RecordError(field_name, "contains an unpaired UTF-16 surrogate, which no RDF syntax can encode")


def split_keywords(value: Any) -> tuple[str, ...]:
    """Split PFOCR's pipe-separated keywords, keeping pipes inside brackets within one keyword."""
    if isinstance(value, list):
        items = [one_line(item) for item in value]
        return tuple(dict.fromkeys(item for item in items if item))
    raw = text(value)
    if raw is None:
        return ()
    keywords: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in raw:
        if ch in "([{":
            depth += 1
        elif ch in ")]}" and depth:
            depth -= 1
        if ch == "|" and depth == 0:
            keywords.append("".join(current))
            current = []
        else:
            current.append(ch)
    keywords.append("".join(current))
    cleaned = (one_line(k) for k in keywords)
    return tuple(dict.fromkeys(k for k in cleaned if k))


def _id_cell(row: dict[str, str], *names: str) -> tuple[str | None, str | None]:
    """(identifier as written, None), or (None, the offending value) when a cell holds something
    that is not an identifier; (None, None) when the cell is missing, empty or all zeros."""
    raw = _cell(row, *names)
    if raw is None or not raw.strip("0"):
        return None, None
    ident = identifier(raw)
    return (ident, None) if ident is not None else (None, raw)


def _offending(values: list[str]) -> str:
    """Up to five distinct offending values for a warning, each shortened to 40 characters."""
    distinct = list(dict.fromkeys(values))
    shown = ", ".join(repr(value if len(value) <= 40 else value[:40] + "…") for value in distinct[:5])
    return shown + (f" and {len(distinct) - 5} more" if len(distinct) > 5 else "")


def _as_written(value: str) -> str:
    """A cell with its whitespace runs collapsed, missing-value markers kept as the text they are."""
    return _WHITESPACE.sub(" ", value).strip()


def _organism_list(value: Any) -> list[str]:
    if isinstance(value, list):
        names = [one_line(v) for v in value]
    else:
        names = [one_line(v) for v in str(value or "").split(",")] if isinstance(value, str) else []
    return list(dict.fromkeys(n for n in names if n))


# Tables ------------------------------------------------------------------------------------------
def _cell(row: dict[str, str], *names: str) -> str | None:
    for name in names:
        if name in row:
            return text(row[name])
    return None


def _genes(table: Table, problems: list[Problem], figid: str) -> tuple[list[GeneMention], dict[str, str]]:
    mentions: dict[tuple[Any, ...], GeneMention] = {}
    taxa_by_name: dict[str, str] = {}
    dropped = unlinked = 0
    bad_genes: list[str] = []
    bad_taxa: list[str] = []
    for row in table.rows:
        gene_id, bad_gene = _id_cell(row, "ncbigene_id", "entrez", "gene_id")
        word = one_line(_cell(row, "word"))
        taxon_id, bad_taxon = _id_cell(row, "organism_id", "taxid")
        if bad_taxon is not None:
            bad_taxa.append(bad_taxon)
        organism_name = one_line(_cell(row, "organism_name"))
        if organism_name and taxon_id is not None:
            taxa_by_name.setdefault(organism_name.casefold(), taxon_id)
        if word is None and gene_id is not None:
            # A linked gene keeps its mention: the word is then the cell as written. "NA" is what the
            # OCR reads for the fly gene na (symbol "na"), not a missing value (docs/mapping.md).
            word = _as_written(row.get("word", "")) or _as_written(row.get("match", "")) or None
        if word is None:
            dropped += 1
            continue
        if bad_gene is not None:
            bad_genes.append(bad_gene)
        elif gene_id is None:
            unlinked += 1
        symbol = one_line(_cell(row, "ncbigene_symbol", "symbol", "hgnc_symbol"))
        # The normalised word is never "missing": "-Na+" really normalises to "NA" (gene na).
        matched = _WHITESPACE.sub(" ", row.get("match", "")).strip() or None
        source = text(_cell(row, "source"))
        for value_name, value in (("word", word), ("symbol", symbol), ("match", matched)):
            if value:
                _check_unicode(f"genes.{value_name}", value)
        key = (gene_id, word, matched, source)
        mentions.setdefault(key, GeneMention(gene_id, symbol, taxon_id, word, matched, source))
    if dropped:
        problems.append(
            Problem(table.path, "word", f"{dropped} row(s) without an OCR word dropped", "warning", figid)
        )
    if unlinked:
        problems.append(
            Problem(
                table.path,
                "ncbigene_id",
                f"{unlinked} row(s) without a numeric gene id kept as unlinked mentions",
                "warning",
                figid,
            )
        )
    if bad_genes:
        problems.append(
            Problem(
                table.path,
                "ncbigene_id",
                f"{len(bad_genes)} row(s) whose gene id is not 1 to {ID_DIGITS} ASCII digits as written "
                f"kept as unlinked mentions: {_offending(bad_genes)}",
                "warning",
                figid,
            )
        )
    if bad_taxa:
        problems.append(
            Problem(
                table.path,
                "organism_id",
                f"{len(bad_taxa)} row(s) whose taxon id is not 1 to {ID_DIGITS} ASCII digits as written "
                f"left without a taxon: {_offending(bad_taxa)}",
                "warning",
                figid,
            )
        )
    return sorted(mentions.values(), key=_gene_sort_key), taxa_by_name


def _number_key(value: str | None) -> tuple[int, str]:
    """Numeric order of identifiers kept as strings (bounded ASCII digits, so int() is cheap)."""
    return (int(value), value) if value else (0, "")


def _gene_sort_key(m: GeneMention) -> tuple[Any, ...]:
    return (*_number_key(m.gene_id), m.word, m.matched_text or "", m.source or "")


_TABLE_OF = {"chebi": "chemicals", "doid": "diseases"}
_SPACE_OF = {"chebi": "ChEBI", "doid": "DOID"}


def _mesh_rows(
    table: Table, problems: list[Problem], figid: str, other: str, pattern: re.Pattern[str]
) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    """The rows of a chemicals or diseases table: (word, MeSH id, ChEBI/DOID number, heading, name).

    Both tables share a layout (``word mesh match name <other>``, or the old ``word source
    identifier``); ``other`` names the column of the second identifier space.
    """
    rows: dict[tuple[Any, ...], tuple[str, str | None, str | None, str | None, str | None]] = {}
    dropped = unlinked = 0
    bad: list[str] = []
    for row in table.rows:
        word = one_line(_cell(row, "word"))
        mesh_raw = _cell(row, "mesh")
        if mesh_raw is None and (_cell(row, "source") or "").upper() == "MESH":
            mesh_raw = _cell(row, "identifier")
        mesh_match = _MESH.match(mesh_raw) if mesh_raw else None
        other_raw = _cell(row, other)
        other_match = pattern.match(other_raw) if other_raw else None
        if other_match is not None and len(other_match.group(1)) > ID_DIGITS:
            other_match = None
        if word is None:
            dropped += 1
            continue
        bad += [raw for raw, match in ((mesh_raw, mesh_match), (other_raw, other_match)) if raw and not match]
        if mesh_match is None and other_match is None:
            unlinked += 1
        mesh_id = mesh_match.group(1).upper() if mesh_match else None
        # the number as written: DOID_0060239 exists, DOID_60239 does not
        number = other_match.group(1) if other_match else None
        heading = one_line(_cell(row, "match"))
        name = one_line(_cell(row, "name")) if other_match else None
        for value in (word, name, heading):
            if value:
                _check_unicode(_TABLE_OF[other], value)
        rows.setdefault((number, mesh_id, word, heading), (word, mesh_id, number, heading, name))
    if dropped:
        problems.append(
            Problem(table.path, "word", f"{dropped} row(s) without an OCR word dropped", "warning", figid)
        )
    if unlinked:
        problems.append(
            Problem(
                table.path,
                f"mesh/{other}",
                f"{unlinked} row(s) without a MeSH or {_SPACE_OF[other]} id kept as unlinked mentions",
                "warning",
                figid,
            )
        )
    if bad:
        problems.append(
            Problem(
                table.path,
                f"mesh/{other}",
                f"{len(bad)} value(s) that are not MeSH or {_SPACE_OF[other]} ids (ASCII digits as written) "
                f"left unlinked: {_offending(bad)}",
                "warning",
                figid,
            )
        )
    return list(rows.values())


def _chemicals(table: Table, problems: list[Problem], figid: str) -> list[ChemicalMention]:
    mentions = [
        ChemicalMention(chebi_number=number, mesh_id=mesh_id, name=name, mesh_heading=heading, word=word)
        for word, mesh_id, number, heading, name in _mesh_rows(table, problems, figid, "chebi", _CHEBI)
    ]
    return sorted(
        mentions, key=lambda m: (*_number_key(m.chebi_number), m.mesh_id or "", m.word, m.mesh_heading or "")
    )


def _diseases(table: Table, problems: list[Problem], figid: str) -> list[DiseaseMention]:
    mentions = [
        DiseaseMention(mesh_id=mesh_id, doid_number=number, mesh_heading=heading, name=name, word=word)
        for word, mesh_id, number, heading, name in _mesh_rows(table, problems, figid, "doid", _DOID)
    ]
    return sorted(
        mentions, key=lambda m: (m.mesh_id or "", *_number_key(m.doid_number), m.word, m.mesh_heading or "")
    )


# The figure --------------------------------------------------------------------------------------
def _required(fields: dict[str, Any], name: str) -> str:
    value = one_line(fields.get(name))
    if value is None:
        raise RecordError(name, "required field is missing or empty")
    return value


def _resolve(
    names: list[str], local: dict[str, str], index: OrganismIndex
) -> tuple[tuple[Organism, ...], list[str]]:
    resolved: list[Organism] = []
    unresolved: list[str] = []
    for name in names:
        taxon = local.get(name.casefold())
        if taxon is None:
            taxon = index.lookup(name)
        if taxon is None:
            unresolved.append(name)
        resolved.append(Organism(name, taxon))
    return tuple(resolved), unresolved


def _iri_unsafe(value: str) -> bool:
    """Whether ``value`` holds whitespace (any, as Unicode defines it) or a character no IRI may hold."""
    return rdf.BAD_IRI_CHAR.search(value) is not None or any(ch.isspace() for ch in value)


def _figure_link(value: Any) -> str | None:
    link = text(value)
    if link is None:
        return None
    link = link.strip("/")
    if not link or _iri_unsafe(link):
        return None
    return link + "/"


def _score(value: Any, problems: list[Problem], path: str, figid: str) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RecordError("automl_pathway", f"not a number: {value!r}")
    try:
        number = float(value)
    except ValueError as exc:
        raise RecordError("automl_pathway", f"not a number: {value!r}") from exc
    if math.isnan(number) or math.isinf(number):
        raise RecordError("automl_pathway", f"not a finite number: {value!r}")
    raw = str(value).strip() if isinstance(value, str) else repr(value)
    if "e" in raw.lower():
        raw = format(number, "f")
    if not _DECIMAL.match(raw):  # ASCII digits only: float() also reads "٠.٥", no xsd:decimal
        raw = repr(number)
    return raw


def figure_from_source(record: SourceRecord, organisms: OrganismIndex) -> ModelResult:
    """Clean one source record into a :class:`Figure`, or reject it with a reason."""
    problems = list(record.problems)
    fields = record.fields
    raw_figid = fields.get("figid")
    figid = raw_figid.strip() if isinstance(raw_figid, str) else None
    if any(p.severity == "error" for p in problems):
        return ModelResult(None, problems)
    try:
        if figid is None or not figid:
            raise RecordError("figid", "required field is missing or empty")
        if not _FIGID.match(figid):
            raise RecordError(
                "figid",
                f"{figid!r} is not usable as a file name and IRI segment "
                "(letters, digits and . _ ~ + - only, at most 200 characters)",
            )
        for name, value in fields.items():
            if isinstance(value, str):
                _check_unicode(str(name), value)
        title = _required(fields, "figtitle")
        pmcid = _required(fields, "pmcid")
        if not _PMCID.match(pmcid):
            raise RecordError("pmcid", f"{pmcid!r} is not a PMC id (PMC followed by digits)")
        score = _score(fields.get("automl_pathway"), problems, record.path, figid)
        year = text(fields.get("year"))
        if year is not None and not _YEAR.match(year):
            problems.append(
                Problem(record.path, "year", f"{year!r} is not a four-digit year; dropped", "warning", figid)
            )
            year = None
        doi = text(fields.get("doi"))
        if doi is not None:
            doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", doi, flags=re.IGNORECASE)
            if not _DOI.match(doi):
                problems.append(
                    Problem(record.path, "doi", f"{doi!r} is not a DOI; dropped", "warning", figid)
                )
                doi = None
        ndex = text(fields.get("ndex"))
        if ndex is not None and not _UUID.match(ndex):
            problems.append(
                Problem(record.path, "ndex", f"{ndex!r} is not an NDEx UUID; dropped", "warning", figid)
            )
            ndex = None
        wpid = text(fields.get("wpid"))
        if wpid is not None and not _WPID.match(wpid):
            problems.append(
                Problem(record.path, "wpid", f"{wpid!r} is not a WikiPathways id; dropped", "warning", figid)
            )
            wpid = None
        filename = text(fields.get("filename"))
        if filename is not None and ("/" in filename or _iri_unsafe(filename)):
            problems.append(
                Problem(
                    record.path,
                    "filename",
                    f"{filename!r} is not a file name; image dropped",
                    "warning",
                    figid,
                )
            )
            filename = None

        genes: list[GeneMention] = []
        local_taxa: dict[str, str] = {}
        if "genes" in record.tables:
            genes, local_taxa = _genes(record.tables["genes"], problems, figid)
        chemicals = (
            _chemicals(record.tables["chemicals"], problems, figid) if "chemicals" in record.tables else []
        )
        diseases = (
            _diseases(record.tables["diseases"], problems, figid) if "diseases" in record.tables else []
        )

        curated_names = [n for n in _organism_list(fields.get("organisms")) if not is_missing(n)]
        predicted_names = [n for n in _organism_list(fields.get("organisms_ner")) if not is_missing(n)]
        curated, unresolved = _resolve(curated_names, local_taxa, organisms)
        predicted, unresolved_predicted = _resolve(predicted_names, local_taxa, organisms)
        for field_name, names in (("organisms", unresolved), ("organisms_ner", unresolved_predicted)):
            if names:
                problems.append(
                    Problem(
                        record.path,
                        field_name,
                        "no NCBI taxon id for "
                        + ", ".join(repr(n) for n in names)
                        + " (kept as a name only)",
                        "warning",
                        figid,
                    )
                )

        paper = Paper(
            pmcid=pmcid,
            title=one_line(fields.get("papertitle")),
            citation=one_line(fields.get("reftext")),
            year=year,
            doi=doi,
            journal_title=one_line(fields.get("journal_title")),
            journal_abbreviation=one_line(fields.get("journal_nlm_ta")),
            publisher=one_line(fields.get("publisher_name")),
            keywords=split_keywords(fields.get("keywords")),
        )
        figure = Figure(
            figid=figid,
            title=title,
            caption=text(fields.get("caption")),
            paper=paper,
            filename=filename,
            figure_link=_figure_link(fields.get("figlink")),
            number=one_line(fields.get("number")),
            figure_type=one_line(fields.get("figtype")),
            alias=one_line(fields.get("figid_alias")),
            score=score,
            ndex=ndex.lower() if ndex else None,
            wpid=wpid,
            organisms=curated,
            predicted_organisms=predicted,
            genes=tuple(genes),
            chemicals=tuple(chemicals),
            diseases=tuple(diseases),
            source_file=record.path,
        )
    except RecordError as exc:
        problems.append(Problem(record.path, exc.field, exc.reason, "error", figid))
        return ModelResult(None, problems)
    return ModelResult(figure, problems)
