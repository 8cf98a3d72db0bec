"""The server's state and the plumbing every route family shares.

:class:`ServerCore` owns what a ``pfocr-ld serve`` process holds for its lifetime: the configuration,
the store opened read-only, the :class:`~pfocr_ld.serve.workers.QueryPool`, the cache of rendered
representations, the named-query examples, the dataset description and the vocabulary. Its methods
are what the route families (:mod:`~pfocr_ld.serve.figures`, :mod:`~pfocr_ld.serve.documents`,
:mod:`~pfocr_ld.serve.endpoint`) have in common: local links, cache headers, ETag'd and error
responses, the bounded request body, the server's own queries through the pool (counts, the figids
behind "did you mean") and 404 suggestions.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pfocr_ld import jsonld, rdf, templates, vocab
from pfocr_ld.contexts import pfocr_context
from pfocr_ld.errors import PfocrLdError
from pfocr_ld.mapping import Mapper
from pfocr_ld.query import bind, inject_values, library
from pfocr_ld.resources import ontology_file
from pfocr_ld.serve.config import ServeConfig
from pfocr_ld.serve.descriptions import RepresentationCache, dataset_description
from pfocr_ld.serve.http_errors import HttpError
from pfocr_ld.serve.jobs import QueryJob
from pfocr_ld.serve.negotiation import CONTENT_TYPES, ERROR_OFFERS, Representation, etag_matches, negotiate
from pfocr_ld.serve.workers import QueryPool

log = logging.getLogger("pfocr_ld.serve")

_COUNTS_QUERY = """PREFIX pfocr: <https://pfocr.wikipathways.org/vocab#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?figures ?genes ?chemicals ?papers WHERE {
  { SELECT (COUNT(DISTINCT ?f) AS ?figures) WHERE { ?f a pfocr:Figure } }
  { SELECT (COUNT(DISTINCT ?g) AS ?genes) WHERE { ?g a wp:GeneProduct } }
  { SELECT (COUNT(DISTINCT ?c) AS ?chemicals) WHERE { ?c a wp:Metabolite } }
  { SELECT (COUNT(DISTINCT ?p) AS ?papers) WHERE { ?p a wp:PublicationReference } }
}"""
_FIGIDS_QUERY = """PREFIX pfocr: <https://pfocr.wikipathways.org/vocab#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?figid WHERE { ?figure a pfocr:Figure ; dcterms:identifier ?figid }"""
#: 404 pages suggest figures of the same paper from a list of all figids, kept only up to this size.
MAX_SUGGESTION_FIGIDS = 200_000


_CONDITION_MARK = re.compile(r"\s+#\?(?:\s+!?\??[A-Za-z_][\w-]*)+\s*$")


def named_query_examples() -> list[templates.Example]:
    """The named queries of :mod:`pfocr_ld.query`, with their example parameters bound in as ``VALUES``.

    Bound this way each example is plain SPARQL that any endpoint (this one included) runs as is;
    it is exactly what ``pfocr-ld query NAME --endpoint …`` sends.
    """
    examples = []
    for name, query in library().items():
        params = dict((query.example or {}).get("params") or {})
        try:
            bound = bind(query, params)
            text = inject_values(bound.text, bound.bindings)
        except PfocrLdError:  # an example that does not bind is shown as written
            text = query.text
        # The library's "#? condition" line markers mean nothing to a reader of the bound query.
        lines = (_CONDITION_MARK.sub("", line).rstrip() for line in text.splitlines())
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
        examples.append(templates.Example(name, query.title, " ".join(query.description.split()), text))
    return examples


class ServerCore:
    """The server's state (store, pool, caches) and the helpers its request handlers share."""

    def __init__(self, config: ServeConfig) -> None:
        from pfocr_ld.store import open_store

        self.config = config
        self.mapper = Mapper(config.base)
        # Read-only by construction: RocksDB is opened without its write lock and has no write path.
        self.store = open_store(config.store_dir, read_only=True)
        self.pool = QueryPool(
            config.store_dir,
            workers=config.workers,
            timeout=config.timeout,
            memory_mib=config.worker_memory,
            sandboxed=config.sandbox,
        )
        self.cache = RepresentationCache(config.figure_cache)
        self.examples = named_query_examples()
        self.void_triples = self._load_void(config.void_file)
        self.context_body = jsonld.dumps({"@context": pfocr_context()})
        self.vocab_turtle = ontology_file().read_bytes()
        self.vocab_quads = list(ox.parse(self.vocab_turtle, ox.RdfFormat.TURTLE))
        self._counts: dict[str, int] | None = None
        self._counts_retry_at = 0.0
        self._figids: list[str] | None = None
        self._counts_lock = asyncio.Lock()
        self._figids_lock = asyncio.Lock()

    # plumbing ------------------------------------------------------------------------------------------
    def _load_void(self, void_file: Path | None) -> list[rdf.Triple]:
        if void_file is None:
            return dataset_description(self.store)
        try:
            with void_file.open("rb") as handle:
                return sorted(
                    {
                        rdf.from_oxigraph(t)
                        for t in ox.parse(handle, ox.RdfFormat.TURTLE, base_iri=void_file.resolve().as_uri())
                    }
                )
        except (OSError, SyntaxError) as error:
            raise ValueError(f"--void {void_file}: cannot read it as Turtle: {error}") from error

    def root(self, request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    def local_href(self, root: str) -> Callable[[str], str | None]:
        base, path = self.config.base, self.config.base_path

        def local(iri: str) -> str | None:
            return root + path + iri[len(base) :] if iri.startswith(base) and len(iri) > len(base) else None

        return local

    def cache_headers(self) -> dict[str, str]:
        return {"Cache-Control": f"public, max-age={self.config.cache_seconds}"}

    def representation_response(
        self, request: Request, rep: Representation, *, negotiated: bool, extra: dict[str, str] | None = None
    ) -> Response:
        headers = {"ETag": rep.etag, **self.cache_headers(), **(extra or {})}
        if negotiated:
            headers["Vary"] = "Accept"
        if etag_matches(request.headers.get("if-none-match"), rep.etag):
            return Response(status_code=304, headers=headers)
        return Response(rep.body, headers={**headers, "Content-Type": rep.content_type})

    def error_response(self, request: Request, error: HttpError) -> Response:
        root = self.root(request)
        headers = {"Vary": "Accept", "Cache-Control": "no-store", **error.headers}
        if negotiate(request.headers.get("accept"), ERROR_OFFERS) == "html":
            body = templates.error_page(
                error.status,
                error.title,
                error.message,
                root=root,
                figures_path=self.config.base_path,
                suggestions=error.suggestions,
            )
            return Response(
                body, status_code=error.status, headers={**headers, "Content-Type": CONTENT_TYPES["html"]}
            )
        text = f"{error.status} {error.title}: {error.message}\n"
        if error.suggestions:
            text += "Did you mean: " + ", ".join(label for _, label in error.suggestions) + "\n"
        return Response(
            text, status_code=error.status, headers={**headers, "Content-Type": CONTENT_TYPES["text"]}
        )

    async def internal_query(self, text: str, max_rows: int = 1_000_000) -> list[dict[str, Any]] | None:
        """Rows of one of the server's own queries (plain values), run by the pool under its limits."""
        outcome = await self.pool.run(
            QueryJob(text, "json", None, max_rows=max_rows, max_bytes=self.config.max_response_bytes)
        )
        if outcome.status != 200:
            log.warning("internal query failed (%s): %s", outcome.status, outcome.message)
            return None
        rows = orjson.loads(outcome.body)["results"]["bindings"]
        return [{name: term["value"] for name, term in row.items()} for row in rows]

    async def counts(self) -> dict[str, int] | None:
        """Figures, genes, chemicals and papers in the store, counted once; the release's own counts
        (void.ttl) stand in while the count fails, and it is retried at most every five minutes."""
        if self._counts is None and time.monotonic() >= self._counts_retry_at:
            async with self._counts_lock:
                if self._counts is None and time.monotonic() >= self._counts_retry_at:
                    rows = await self.internal_query(_COUNTS_QUERY, 1)
                    if rows:
                        self._counts = {k: int(v) for k, v in rows[0].items()}
                    else:
                        self._counts_retry_at = time.monotonic() + 300
        return self._counts or self.void_counts()

    def void_counts(self) -> dict[str, int] | None:
        index = templates.Index(self.void_triples)
        found = {}
        for key in ("figure", "gene", "chemical", "paper"):
            values = [v for s in index.nodes for v in index.literals(s, vocab.T.pfocr[key + "Count"])]
            if values and values[0].isdigit():
                found[key + "s"] = int(values[0])
        return found or None

    async def figids(self) -> list[str]:
        """Every figid, for "did you mean" on 404s; left empty on stores too big to keep them in memory."""
        if self._figids is None:
            async with self._figids_lock:
                if self._figids is None:
                    rows = await self.internal_query(_FIGIDS_QUERY, max_rows=MAX_SUGGESTION_FIGIDS)
                    self._figids = sorted(r["figid"] for r in rows or [] if "figid" in r)
        return self._figids

    async def suggestions(self, figid: str, root: str) -> list[tuple[str, str]]:
        figids = await self.figids()
        pmc = figid.split("__", 1)[0]
        same_paper = [f for f in figids if f.startswith(pmc + "__")] if pmc.startswith("PMC") else []
        if same_paper:
            close = sorted(same_paper[:200], key=lambda f: -difflib.SequenceMatcher(None, figid, f).ratio())[
                :5
            ]
        elif len(figids) <= 5_000 and len(figid) <= 300:
            # Fuzzy matching costs CPU on every 404: only on small stores and for sensible lengths.
            close = await run_in_threadpool(difflib.get_close_matches, figid, figids, 5, 0.6)
        else:
            close = []
        local = self.local_href(root)
        return [(local(self.mapper.figure_iri(f)) or "", f) for f in close]

    async def read_body(self, request: Request) -> bytes:
        """The request body, a ``413`` past ``--max-body`` (by its Content-Length, or while it streams)."""
        length = request.headers.get("content-length")
        limit = self.config.max_body
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise HttpError(413, "Request too large", f"request bodies are limited to {limit:,} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HttpError(413, "Request too large", f"request bodies are limited to {limit:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
