"""The ``pfocr-ld query`` command: choose a query, bind its parameters, run it, write the result."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import click
import orjson
import pyoxigraph as ox

from pfocr_ld.errors import ParameterError, QueryError
from pfocr_ld.query.binding import BoundQuery, bind, strip_header
from pfocr_ld.query.library import (
    NamedQuery,
    get_query,
    library,
    list_queries,
    load_query_file,
    parse_query_text,
)
from pfocr_ld.query.params import ParamValue
from pfocr_ld.query.sandboxed import _answer_notes, report_answer, run_local_sandboxed
from pfocr_ld.query.sources import open_source, run_bound
from pfocr_ld.query.writers import FORMATS, _limited, write_gmt_per_taxon, write_result
from pfocr_ld.results import Row
from pfocr_ld.sparql import inject_values


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
