"""Result writers that stream rows as they arrive, one function a format (as rdflib keeps one parser
a format): an aligned table, CSV, TSV, JSON, SPARQL 1.1 Results JSON and XML, GMT gene sets, and
N-Triples/Turtle for graphs; :func:`write_result` picks one.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import orjson
import pyoxigraph as ox

from pfocr_ld import vocab
from pfocr_ld.errors import QueryError
from pfocr_ld.query.library import NamedQuery
from pfocr_ld.results import Result, Row, Term, plain_value, text_value

_XSD = vocab.XSD

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


def _serialized(
    triples: Sequence[ox.Triple], rdf_format: ox.RdfFormat, prefixes: dict[str, str] | None = None
) -> str:
    # pyoxigraph returns bytes when no output is given (its stubs also allow None, for a given one)
    data = ox.serialize(triples, format=rdf_format, prefixes=prefixes)
    return data.decode() if data is not None else ""


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
            out.write(_serialized(triples, rdf_format, vocab.PREFIXES))
            return len(triples)
        count = 0
        batch: list[ox.Triple] = []
        for triple in _limited(result.triples(), limit):
            batch.append(triple)
            count += 1
            if len(batch) >= 1000:
                out.write(_serialized(batch, rdf_format))
                batch = []
        if batch:
            out.write(_serialized(batch, rdf_format))
        return count
    rows = _limited(result, limit)
    variables = result.variables
    paged = result.total is not None
    if fmt == "table":
        place = (result.total, result.offset or 0) if result.total is not None else None
        return write_table(variables, rows, out, page=place)
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
