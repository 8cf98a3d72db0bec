"""Where queries run: the embedded store (:class:`EmbeddedSource`), dumps, or an endpoint.

This module owns choosing a source (:func:`open_source`: exactly one of a store folder, dump files,
an endpoint URL) and running bound queries on it (:func:`run_bound`, :func:`run_named`,
:func:`run_query`); a page of an answer is :mod:`pfocr_ld.query.paging`'s. The endpoint client is
:mod:`pfocr_ld.remote`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from pfocr_ld import ordering, sparql
from pfocr_ld.errors import QueryError
from pfocr_ld.query.binding import BoundQuery, bind
from pfocr_ld.query.library import get_query, parse_query_text
from pfocr_ld.query.paging import run_page
from pfocr_ld.query.params import ParamValue
from pfocr_ld.remote import RemoteSource
from pfocr_ld.results import Result, Row, Source, Term
from pfocr_ld.sparql import inject_values
from pfocr_ld.store import memory_store, open_store


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
        answer = ordering.ordered_select(
            lambda text: self._run(text, options), query, enabled=self.sort_in_python
        )
        if isinstance(answer, ordering.OrderedRows):
            variables, ordered = answer.variables, answer.rows
            return Result("select", variables, (dict(zip(variables, row, strict=True)) for row in ordered))
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
        return run_page(source, bound)
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
