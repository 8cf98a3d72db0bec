"""``/enrich`` of ``pfocr-ld serve``: figures for a gene list, as a page and as JSON.

This module owns the request side of the gene-list page: reading and bounding the form, reading an
organism's gene-set library through the server's query pool (never in the server's event loop, and
under the pool's ``--timeout`` and ``--worker-memory``), keeping libraries in a small LRU cache, and
answering with the page (:mod:`pfocr_ld.templates.enrich_page`) or with the JSON that ``pfocr-ld enrich
--format json`` prints for the same input (both come from :func:`pfocr_ld.enrichment.enrichment_json`).

The genes a user types never enter a query: the taxon's symbols are read once (a query whose only
parameter is the taxon, bound as an IRI in a VALUES block) and the list is resolved against them in
Python. Only the taxon (ASCII digits → an ``NCBITaxon_`` IRI) and the minimum set size (a whole number
→ an ``xsd:integer``) are bound, as RDF terms, by :func:`pfocr_ld.query.bind`, which also checks them.

A library costs one query per (taxon, minimum size): on a 100k-figure store the ``gene-sets`` query
with a taxon took ~28 s, so the first request for an organism waits for it and later ones reuse it
(``LIBRARY_CACHE`` entries, least recently used dropped first). Requests for a library being read
wait for that one read instead of starting another.
"""

from __future__ import annotations

import asyncio
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pfocr_ld import enrichment
from pfocr_ld.query import QueryError
from pfocr_ld.serve.core import log
from pfocr_ld.serve.descriptions import RepresentationCache
from pfocr_ld.serve.http_errors import HttpError
from pfocr_ld.serve.jobs import QueryJob
from pfocr_ld.serve.negotiation import CONTENT_TYPES, negotiate
from pfocr_ld.templates import enrich_page

if TYPE_CHECKING:
    from pfocr_ld.serve.core import ServerCore

#: At most this many genes in one list (Enrichr's own lists are rarely over a few thousand).
MAX_GENES = 5_000
#: At most this many characters of gene list (5,000 genes of 30 characters with separators fit).
MAX_TEXT = 200_000
#: The longest gene item; NCBI symbols are far shorter (the longest human symbol has 20 characters).
MAX_ITEM = 100
#: Libraries kept in memory: one (taxon, min size) each. A human library of a 100k-figure store is a
#: few hundred thousand (figure, gene) pairs, tens of MB as Python sets.
LIBRARY_CACHE = 4
#: The rows of one library may be this many times the server's response limit (64 MiB): 256 MiB, about
#: 1.1 M (figure, gene) rows at the sample's 228 bytes a row; they never leave the server.
LIBRARY_BYTES_FACTOR = 4
LIBRARY_ROWS = 10_000_000
FORMAT_VALUES = ("html", "json")
T = TypeVar("T")


@dataclass(frozen=True)
class Library:
    """An organism's gene sets, their background and the taxon's symbols, read once."""

    sets: list[enrichment.GeneSet]
    background: frozenset[str]
    symbols: dict[str, str]


@dataclass(frozen=True)
class EnrichRequest:
    genes_text: str
    items: list[str]
    taxon: str
    min_size: int
    fmt: str


class EnrichService:
    """The ``/enrich`` handler and its library cache, attached to one server (its :class:`ServerCore`)."""

    def __init__(self, server: ServerCore) -> None:
        self.server = server
        self.cache = RepresentationCache(LIBRARY_CACHE)
        self._loading: dict[tuple[str, int], asyncio.Task[Library | None]] = {}

    # reading the request ------------------------------------------------------------------------------
    async def params(self, request: Request) -> list[tuple[str, str]]:
        params = list(request.query_params.multi_items())
        if request.method == "POST":
            media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
            if media != "application/x-www-form-urlencoded":
                raise HttpError(
                    415,
                    "Unsupported Media Type",
                    "POST the form as application/x-www-form-urlencoded (genes=…&taxon=…&min_size=…)",
                )
            body = await self.server.read_body(request)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as error:
                raise HttpError(400, "Bad encoding", f"the request body is not UTF-8: {error}") from error
            from urllib.parse import parse_qsl

            try:
                params += parse_qsl(text, keep_blank_values=True, max_num_fields=100)
            except ValueError as error:
                raise HttpError(400, "Bad form", f"the form cannot be read: {error}") from error
        return params

    def parse(self, params: list[tuple[str, str]], accept: str | None) -> EnrichRequest:
        def bad(message: str) -> HttpError:
            return HttpError(400, "Bad gene list", message)

        known = {"genes", "gene", "taxon", "min_size", "format"}
        unknown = sorted({name for name, _ in params} - known)
        if unknown:
            raise bad(f"unknown parameter {unknown[0][:40]!r}; this page takes {', '.join(sorted(known))}")
        values: dict[str, list[str]] = {}
        for name, value in params:
            values.setdefault(name, []).append(value)
        for name in ("taxon", "min_size", "format"):
            if len(values.get(name, [])) > 1:
                raise bad(f"{name} takes one value, not {len(values[name])}")
        genes = [*values.get("genes", []), *values.get("gene", [])]
        total = sum(len(v) for v in genes)
        if total > MAX_TEXT:
            raise bad(f"the gene list has {total:,} characters; at most {MAX_TEXT:,} are accepted")
        for value in genes:
            for character in value:
                if character not in "\t\n\r" and unicodedata.category(character) in ("Cc", "Cs"):
                    raise bad(
                        f"the gene list contains the control character U+{ord(character):04X}; "
                        "separate genes with commas, spaces or new lines"
                    )
        items = enrichment.split_gene_items(genes)
        if len(items) > MAX_GENES:
            raise bad(f"the list has {len(items):,} genes; at most {MAX_GENES:,} are accepted in one request")
        long_item = next((item for item in items if len(item) > MAX_ITEM), None)
        if long_item is not None:
            raise bad(f"{long_item[:40]!r}… is longer than {MAX_ITEM} characters: no gene id or symbol is")
        taxon = (values.get("taxon") or ["9606"])[0].strip() or "9606"
        try:
            enrichment.check_taxon(taxon)
        except QueryError as error:
            raise bad(error.message[:200]) from error
        raw_size = (values.get("min_size") or [str(enrichment.DEFAULT_MIN_SIZE)])[0].strip()
        if not (raw_size.isascii() and raw_size.isdigit() and 1 <= int(raw_size) <= 1_000_000):
            raise bad(f"min_size must be a whole number from 1 to 1000000, not {raw_size[:40]!r}")
        fmt = (values.get("format") or [""])[0]
        if fmt and fmt not in FORMAT_VALUES:
            raise bad(f"format must be html or json, not {fmt[:40]!r}")
        if not fmt:
            fmt = negotiate(accept, (("text/html", "html"), ("application/json", "json"))) or ""
            if not fmt:
                raise HttpError(
                    406, "Not Acceptable", "this page is available as text/html and application/json"
                )
        return EnrichRequest("\n".join(genes), items, taxon, int(raw_size), fmt)

    # the library ----------------------------------------------------------------------------------------
    async def library(self, taxon: str, min_size: int) -> Library | None:
        key = (taxon, min_size)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._read_library(taxon, min_size))
            self._loading[key] = task
            task.add_done_callback(lambda _: self._loading.pop(key, None))
        # shield: a client that goes away does not cancel a read other requests wait for
        return await asyncio.shield(task)

    async def _read(
        self, text: str, max_bytes: int, consume: Callable[[Iterator[dict[str, str]]], T]
    ) -> T | None:
        """``consume`` of one query's rows, run by the pool. The rows travel as SPARQL TSV (each term
        once: 228 bytes a library row on the sample, 428 as SPARQL JSON) and are read by pyoxigraph's
        results parser one at a time, off the event loop, so a library is never held as rows."""
        job = QueryJob(text, "tsv", None, max_rows=LIBRARY_ROWS, max_bytes=max_bytes)
        outcome = await self.server.pool.run(job)
        if outcome.status != 200:
            log.warning("enrich: a library query failed (%s): %s", outcome.status, outcome.message)
            return None

        def rows() -> Iterator[dict[str, str]]:
            answer = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.TSV)
            assert isinstance(answer, ox.QuerySolutions)
            names = [variable.value for variable in answer.variables]
            for solution in answer:
                yield {
                    name: sys.intern(term.value)
                    for name, term in zip(names, solution, strict=True)
                    if term is not None
                }

        return await run_in_threadpool(lambda: consume(rows()))

    async def _read_library(self, taxon: str, min_size: int) -> Library | None:
        limit = self.server.config.max_response_bytes * LIBRARY_BYTES_FACTOR

        def sets_and_background(
            rows: Iterator[dict[str, str]],
        ) -> tuple[list[enrichment.GeneSet], frozenset[str]]:
            sets = enrichment.library_from_rows(rows, min_size)
            return sets, enrichment.library_background(sets)

        read = await self._read(enrichment.library_query(taxon, min_size), limit, sets_and_background)
        if read is None:
            return None
        sets, background = read
        symbols = await self._read(enrichment.symbols_query(taxon), limit, enrichment.symbols_from_rows)
        if symbols is None:
            return None
        library = Library(sets, background, symbols)
        self.cache.put((taxon, min_size), library)
        return library

    # the handler ----------------------------------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        server = self.server
        root = server.root(request)
        parsed = self.parse(await self.params(request), request.headers.get("accept"))
        headers = {"Vary": "Accept", "Cache-Control": "no-store"}
        local = server.local_href(root)
        if not parsed.items:
            if parsed.fmt == "json":
                raise HttpError(400, "Bad gene list", "give genes (NCBI Gene ids or symbols) in genes=…")
            body = enrich_page.enrich_page(
                genes_text=parsed.genes_text,
                taxon=parsed.taxon,
                min_size=parsed.min_size,
                answer=None,
                figure_href=lambda figid: local(server.mapper.figure_iri(figid)),
                root=root,
                figures_path=server.config.base_path,
            )
            return Response(body, headers={**headers, "Content-Type": CONTENT_TYPES["html"]})
        library = await self.library(parsed.taxon, parsed.min_size)
        if library is None:
            raise HttpError(
                503,
                "Library unavailable",
                f"the gene-set library of taxon {parsed.taxon} could not be read within this server's "
                f"limits (--timeout {server.config.timeout:g} s, --worker-memory); try again shortly, "
                "or ask the operator to raise them",
                headers={"Retry-After": "30"},
            )

        def compute() -> dict[str, Any]:
            result = enrichment.enrich_with(
                library.sets,
                library.symbols,
                parsed.items,
                taxon=parsed.taxon,
                background=library.background,
            )
            return enrichment.enrichment_json(result, min_size=parsed.min_size)

        answer = await run_in_threadpool(compute)
        if parsed.fmt == "json":
            body_bytes = orjson.dumps(answer, option=orjson.OPT_INDENT_2)
            return Response(body_bytes, headers={**headers, "Content-Type": "application/json"})
        body = enrich_page.enrich_page(
            genes_text=parsed.genes_text,
            taxon=parsed.taxon,
            min_size=parsed.min_size,
            answer=answer,
            listed=len(parsed.items),
            figure_href=lambda figid: local(server.mapper.figure_iri(figid)),
            root=root,
            figures_path=server.config.base_path,
        )
        return Response(body, headers={**headers, "Content-Type": CONTENT_TYPES["html"]})
