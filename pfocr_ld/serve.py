"""``pfocr-ld serve``: figure IRIs that resolve, the dataset description and a read-only SPARQL endpoint.

This module owns the HTTP face of a store made by ``pfocr-ld load`` (a Starlette app run by uvicorn):

* every figure IRI we mint, ``{base}{figid}.html``, resolves on this server under the path of
  ``--base`` (``/figures/<figid>.html`` for the default base). It answers with the figure's
  description as HTML, Turtle, N-Triples or JSON-LD by q-value content negotiation (``406`` when
  nothing offered is acceptable), or in the format a suffix names (``.ttl``, ``.nt``, ``.jsonld``).
  The description holds exactly the triples of the figure's block in the dump, and its JSON-LD is
  made by :mod:`pfocr_ld.jsonld`, so it is byte-for-byte the published ``jsonld/<figid>.jsonld``.
  Responses carry a strong ``ETag`` (``If-None-Match`` gets ``304``), ``Cache-Control`` and, when
  negotiated, ``Vary: Accept``;
* ``/sparql`` speaks the SPARQL 1.1 Protocol (GET, form POST, direct POST), with results negotiated
  among SPARQL JSON/XML, CSV, TSV (SELECT, ASK) and Turtle, N-Triples, RDF/XML, JSON-LD (CONSTRUCT,
  DESCRIBE); without a query it returns the SPARQL Service Description, or, to a browser, the query
  page with the named queries of :mod:`pfocr_ld.query` as examples and a server-rendered results
  table;
* ``/enrich`` ranks figures for a gene list (:mod:`pfocr_ld.enrich_service`), as a page and JSON;
* ``/void`` and ``/.well-known/void`` (the dataset description), ``/ld/context.jsonld``, the
  landing page and a figure index. The context is also served where the relative reference
  ``../context.jsonld`` of every JSON-LD answer resolves (``/context.jsonld``, and next to the base
  path's folder), so clients with default settings load it from this server.

Read-only by construction: the store is opened with ``Store.read_only`` here and in every query
worker; SPARQL Update (the ``update`` parameter, ``application/sparql-update``, or update text) is
refused with ``403`` before any engine sees it.

Queries run in worker processes, never in the server process (:class:`QueryPool`): pyoxigraph
cannot interrupt a running query from Python, so a query past ``--timeout`` gets its worker killed
and replaced, and the client a ``503`` naming the limit. Each worker also has an address-space
limit (``--worker-memory``), so a query that would blow up memory (an ORDER BY over a cartesian
product) ends its own worker, not the server; the parser's recursion on deeply nested queries is
kept out of both by a nesting limit checked first. Results over ``--max-results`` rows are a
``422``. Workers cannot make a socket (:mod:`pfocr_ld.sandbox`, installed before they see any query;
the server refuses to start when it cannot be), so ``SERVICE`` reaches no address whatever the text;
the lexical refusal of ``SERVICE`` only makes the message friendlier. Slow and half-open clients are
bounded by :mod:`pfocr_ld.connections`. docs/serve.md describes the design and the load-test numbers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import difflib
import hashlib
import io
import logging
import os
import posixpath
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import click
import orjson
import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pfocr_ld import jsonld, ordering, rdf, sandbox, schemaorg, sparql, templates, vocab
from pfocr_ld.contexts import pfocr_context
from pfocr_ld.enrich_service import EnrichService
from pfocr_ld.mapping import Mapper
from pfocr_ld.named_service import NamedQueryService
from pfocr_ld.resources import mapping_doc, ontology_file
from pfocr_ld.templates import model_pages

log = logging.getLogger("pfocr_ld.serve")

# Media types and content negotiation --------------------------------------------------------------
#: Format key → the Content-Type sent.
CONTENT_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
}
#: What each resource offers, in the server's order of preference (which breaks ties in q).
FIGURE_OFFERS = (
    ("text/html", "html"),
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"),
)
DATA_OFFERS = (
    ("text/turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("text/html", "html"),
)
SELECT_OFFERS = (
    ("application/sparql-results+json", "json"),
    ("application/json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("text/html", "html"),
)
GRAPH_OFFERS = (
    ("text/turtle", "ttl"),
    ("application/x-turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("application/rdf+xml", "rdfxml"),
    ("application/ld+json", "jsonld"),
    ("text/html", "html"),
)
ERROR_OFFERS = (("text/plain", "text"), ("text/html", "html"))
#: Pages for people that are also resources for programs (/, /figures/, /vocab): HTML breaks ties,
#: so `Accept: */*` gets the page and an RDF client that names a format gets data.
PAGE_OFFERS = (("text/html", "html"), *(offer for offer in DATA_OFFERS if offer[1] != "html"))
MARKDOWN_OFFERS = (("text/html", "html"), ("text/markdown", "markdown"), ("text/plain", "markdown"))
#: ``format=`` values of /sparql, and whether each is a SELECT/ASK or a graph format.
SELECT_FORMATS = frozenset({"json", "xml", "csv", "tsv"})
GRAPH_FORMATS = frozenset({"ttl", "nt", "rdfxml", "jsonld"})
#: Figure URL suffixes; ``html`` is the IRI itself, so it is the negotiated one.
FIGURE_SUFFIXES = ("html", "ttl", "jsonld", "nt")
DATA_SUFFIXES = {"ttl": "ttl", "nt": "nt", "jsonld": "jsonld", "rdf": "rdfxml"}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int | None:
        """3 for an exact match, 2 for ``type/*``, 1 for ``*/*``, ``None`` when it does not match."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 1
        if self.type != kind:
            return None
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == sub else None


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed entries are skipped, never fatal."""
    ranges = []
    for part in header.split(",")[:64]:  # a client needs no more; bounds the work per request
        media, *params = (p.strip() for p in part.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        valid = True
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    valid = False
                valid = valid and 0.0 <= q <= 1.0
        if valid:
            ranges.append(MediaRange(kind, sub, q))
    return ranges


def negotiate(header: str | None, offers: Sequence[tuple[str, str]]) -> str | None:
    """The key of the best offer for an ``Accept`` header (RFC 9110 §12.5.1), ``None`` if none is acceptable.

    Each offer takes the q of the most specific range that matches it; the highest q wins and the
    server's order breaks ties. A missing header, or one with no parsable range, accepts anything.
    """
    ranges = parse_accept(header) if header and header.strip() else []
    if not ranges:
        return offers[0][1]
    best: str | None = None
    best_q = 0.0
    for media_type, key in offers:
        quality, specificity = 0.0, 0
        for media_range in ranges:
            found = media_range.specificity(media_type)
            if found is not None and (
                found > specificity or (found == specificity and media_range.q > quality)
            ):
                quality, specificity = media_range.q, found
        if quality > best_q:
            best, best_q = key, quality
    return best


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 requires for it)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == wanted for candidate in if_none_match.split(","))


# SPARQL text checks ----------------------------------------------------------------------------------
_UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
_IRIREF = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# The SPARQL 1.1 grammar's name characters (§19.8), so the scanner splits names exactly where the
# engine does: a character it did not count as part of a name (U+00B7 was one) followed by an escaped
# quote made it read a string where the engine reads a name, and miss a SERVICE after it.
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
_PNAME = re.compile(f"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?")
_BLANK_NODE = re.compile(f"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?")
_VARIABLE = re.compile(f"[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*")
_KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NAME_RUN = re.compile(f"[{_PN_CHARS}.]*")
#: Deeper bracket nesting is refused before any parser sees it: pyoxigraph's recursive-descent
#: parser overflows its stack (a segfault) somewhere past ten thousand levels, and no real query
#: needs more than a few dozen.
MAX_NESTING = 100


@dataclass(frozen=True)
class QueryShape:
    """What a quick scan of SPARQL text shows: its form keyword, bracket depth, use of SERVICE."""

    form: str | None
    depth: int
    service: bool


def _unescape_codepoints(text: str) -> str:
    # SPARQL allows \\uXXXX escapes anywhere in a query; scan the text as the parser would read it.
    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"

    return _CODEPOINT.sub(replace, text)


def _scan(text: str) -> tuple[list[str], int]:
    """Bare keywords (upper-cased) outside strings, IRIs, variables and comments; the deepest nesting."""
    words: list[str] = []
    depth = deepest = 0
    i, n = 0, len(text)
    # A prefixed name needs ':' right after a run of name characters; the run is measured once, so a
    # long run without one costs linear time, not a failed regex match at each of its characters.
    run_end, colon = -1, False
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch in "\"'":
            quote_chars = ch * 3 if text.startswith(ch * 3, i) else ch
            i += len(quote_chars)
            while i < n and not text.startswith(quote_chars, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote_chars)
        elif ch == "<":
            match = _IRIREF.match(text, i)
            i = match.end() if match else i + 1
        elif ch in "?$":
            match = _VARIABLE.match(text, i)
            i = match.end() if match else i + 1
        elif ch in "({[":
            depth += 1
            deepest = max(deepest, depth)
            i += 1
        elif ch in ")}]":
            depth = max(0, depth - 1)
            i += 1
        else:
            if i >= run_end:
                run_end = _NAME_RUN.match(text, i).end()  # type: ignore[union-attr]
                colon = text.startswith(":", run_end) and not text.startswith(".", run_end - 1)
            if colon and (match := _PNAME.match(text, i) or _BLANK_NODE.match(text, i)):
                i = match.end()  # prefixed names and blank nodes are never keywords
            elif match := _KEYWORD.match(text, i):
                words.append(match.group().upper())
                i = match.end()
            else:
                i += 1
    return words, deepest


def inspect_sparql(text: str) -> QueryShape:
    """The form keyword after the prologue, the nesting depth, and whether SERVICE appears as a keyword.

    Raw and codepoint-unescaped text are both scanned and the answers combined, so an escape can
    neither hide a SERVICE keyword nor an update.
    """
    form: str | None = None
    depth = 0
    service = False
    for variant in {text, _unescape_codepoints(text)}:
        words, deepest = _scan(variant)
        depth = max(depth, deepest)
        service = service or "SERVICE" in words
        first = next((w for w in words if w not in ("PREFIX", "BASE")), None)
        if form is None or first in _UPDATE_KEYWORDS:
            form = first
    return QueryShape(form, depth, service)


# Query workers ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueryJob:
    """One query for a worker, and the formats to write each kind of result in (``None``: not acceptable)."""

    text: str
    select_format: str | None = "json"
    graph_format: str | None = "ttl"
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 10_000
    max_bytes: int = 64 << 20


@dataclass(frozen=True)
class QueryOutcome:
    """A worker's answer: a serialised result (``status`` 200) or an error status and message."""

    status: int
    kind: str = ""  # "select", "ask" or "graph"
    format: str = ""
    body: bytes = b""
    count: int = 0
    seconds: float = 0.0
    message: str = ""
    headers: tuple[tuple[str, str], ...] = ()


class _TooLarge(Exception):
    pass


def _tsv_cell(term: Any) -> str:
    # str() of a pyoxigraph term is its N-Triples form, with tabs and newlines escaped: valid SPARQL TSV.
    return "" if term is None else str(term)


def _select_rows(answer: ox.QuerySolutions, job: QueryJob) -> tuple[list[str], list[tuple[Any, ...]]]:
    variables = [v.value for v in answer.variables]
    rows: list[tuple[Any, ...]] = []
    size = 0
    for solution in answer:
        if len(rows) >= job.max_rows:
            raise _TooLarge(
                f"the result has more than {job.max_rows:,} rows, the limit of this server (--max-results); "
                "add a LIMIT to the query, or page through the results with LIMIT and OFFSET"
            )
        row = tuple(solution)
        size += sum(len(str(term)) + 8 for term in row if term is not None)
        if size > job.max_bytes:
            raise _TooLarge(
                f"the result is larger than {job.max_bytes >> 20} MiB, the limit of this server; "
                "ask for fewer rows or shorter values"
            )
        rows.append(row)
    return variables, rows


def _select_body(variables: list[str], ordered: list[tuple[Any, ...]], fmt: str) -> tuple[bytes, int]:
    from pfocr_ld.query import write_delimited, write_srj, write_srx

    rows = [dict(zip(variables, row, strict=True)) for row in ordered]
    out = io.StringIO()
    if fmt == "json":
        write_srj(variables, rows, out)
    elif fmt == "xml":
        write_srx(variables, rows, out)
    elif fmt == "csv":
        write_delimited(variables, rows, out, ",")
    else:
        out.write("\t".join("?" + v for v in variables) + "\n")
        for row in rows:
            out.write("\t".join(_tsv_cell(row[v]) for v in variables) + "\n")
    return out.getvalue().encode("utf-8"), len(rows)


def _ask_body(value: bool, fmt: str) -> bytes:
    from pfocr_ld.query import write_boolean

    out = io.StringIO()
    write_boolean(value, {"json": "srj", "xml": "srx"}.get(fmt, fmt), out)
    return out.getvalue().encode("utf-8")


def _graph_body(answer: Any, fmt: str, job: QueryJob) -> tuple[bytes, int]:
    triples: list[ox.Triple] = []
    size = 0
    for triple in answer:
        if len(triples) >= job.max_rows:
            raise _TooLarge(
                f"the result has more than {job.max_rows:,} triples, the limit of this server "
                "(--max-results); add a LIMIT to the query"
            )
        size += len(str(triple))
        if size > job.max_bytes:
            raise _TooLarge(f"the result is larger than {job.max_bytes >> 20} MiB, the limit of this server")
        triples.append(triple)
    if fmt == "ttl":
        body = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=vocab.PREFIXES)
    elif fmt == "nt":
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    elif fmt == "rdfxml":
        body = ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=vocab.PREFIXES)
    else:
        body = ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
    return body or b"", len(triples)


def _not_acceptable(kind: str) -> QueryOutcome:
    offered = (
        "SPARQL JSON, SPARQL XML, CSV, TSV" if kind != "graph" else "Turtle, N-Triples, RDF/XML, JSON-LD"
    )
    return QueryOutcome(
        406,
        message=f"the result of this {'CONSTRUCT/DESCRIBE' if kind == 'graph' else 'SELECT/ASK'} "
        f"query is available as {offered}; none of them is acceptable to the client",
    )


FEDERATION_REFUSED = "federated queries (SERVICE) are disabled on this endpoint"


def _mentions_service(text: str) -> bool:
    # SERVICE can only be evaluated if the word is in the text (keywords have no other escape than
    # \uXXXX, which is undone first): the engine's failure is the refused SERVICE, whatever the lexer saw.
    return "service" in _unescape_codepoints(text).casefold()


def _federation_refused() -> QueryOutcome:
    # The engine's error is not passed on: without the sandbox it could hold a remote service's answer.
    return QueryOutcome(400, message=FEDERATION_REFUSED + ": the query workers cannot open connections")


def run_job(store: ox.Store, job: QueryJob) -> QueryOutcome:
    """Run one query against ``store`` and serialise its result (in a worker process)."""
    started = time.perf_counter()
    options: dict[str, Any] = {"prefixes": sparql.PREDECLARED}
    if job.default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    # As in pfocr-ld query: a final ORDER BY of plain variables is cheaper sorted here (the rows
    # are collected anyway, under --max-results); the engine orders whatever this cannot.
    deferred = ordering.defer_order(job.text)
    try:
        answer = store.query(deferred.query if deferred else job.text, **options)
        if isinstance(answer, ox.QueryBoolean):
            kind, fmt = "ask", job.select_format
            if fmt is None:
                return _not_acceptable(kind)
            body, count = _ask_body(bool(answer), fmt), 1
        elif isinstance(answer, ox.QuerySolutions):
            kind, fmt = "select", job.select_format
            if fmt is None:
                return _not_acceptable(kind)
            variables, rows = _select_rows(answer, job)
            if deferred is not None:
                ordered = ordering.sort_rows(rows, variables, deferred.keys)
                if ordered is None:  # terms only the engine orders
                    variables, ordered = _select_rows(store.query(job.text, **options), job)
                rows = ordered
            body, count = _select_body(variables, rows, fmt)
        else:
            kind, fmt = "graph", job.graph_format
            if fmt is None:
                return _not_acceptable(kind)
            body, count = _graph_body(answer, fmt, job)
    except SyntaxError as error:
        return QueryOutcome(400, message=sparql.syntax_error_message(job.text, error))
    except _TooLarge as error:
        return QueryOutcome(422, message=str(error))
    except (ValueError, RuntimeError, TypeError) as error:
        if _mentions_service(job.text):  # never pass on what a remote service may have answered
            return _federation_refused()
        return QueryOutcome(400, message=f"the query cannot be evaluated: {error}")
    except OSError as error:
        if _mentions_service(job.text):
            return _federation_refused()
        return QueryOutcome(500, message=f"the store could not be read: {error}")
    return QueryOutcome(
        200, kind=kind, format=fmt, body=body, count=count, seconds=time.perf_counter() - started
    )


#: Answers whose sorted keys (or rows) a query worker keeps for the next pages: a hub gene's keys on a
#: 100k-figure store are ~18,000 small tuples (a few MB), so the worst case stays far below --worker-memory.
NAMED_ANSWERS_KEPT = 16


def _worker_main(conn: Connection, store_dir: str, memory_mib: int, sandboxed: bool = True) -> None:
    """A query worker: lose the network, open the store read-only, run jobs from ``conn`` until it closes."""
    # The server shuts workers down itself; a Ctrl-C meant for it must not print tracebacks here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from pfocr_ld.store import StoreError, open_store  # imported before the sandbox closes sockets

    if sandboxed:
        # First of all, while single-threaded and before any query text: no socket can be made from
        # here on (the pipe to the server exists already), so SERVICE cannot reach any address.
        try:
            sandbox.deny_network()
        except sandbox.SandboxError as error:
            conn.send(("no-sandbox", str(error)))
            return
    if memory_mib:
        try:
            import resource

            limit = memory_mib << 20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):  # not on this platform: the time limit still holds
            pass
    try:
        # retries while a sync or load compacts the store (pfocr_ld.store_sync)
        store = open_store(store_dir, read_only=True)
    except StoreError as error:
        conn.send(("failed", str(error)))
        return
    from pfocr_ld.gene_index import GeneFigureIndex
    from pfocr_ld.named_service import NamedJob, run_named_job
    from pfocr_ld.paging import KeyCache
    from pfocr_ld.query import EmbeddedSource

    # Named queries (/query/<name>) keep the sorted keys of recent answers: "next page" costs the page;
    # and every gene's figures in figid order, built between queries: a hub's first page at once.
    source = EmbeddedSource(store, description=store_dir)
    source.page_cache = KeyCache(NAMED_ANSWERS_KEPT)
    index = source.gene_index = GeneFigureIndex(store)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            while not index.complete and not conn.poll(0):
                index.step(0.05)  # a query waits at most one step
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = run_named_job(source, job) if isinstance(job, NamedJob) else run_job(store, job)
        except MemoryError:
            outcome = QueryOutcome(
                503,
                message="the query needed more memory than a query may use on this server (--worker-memory)",
            )
        try:
            conn.send(outcome)
        except (OSError, ValueError):
            return


def _worker_entry() -> None:
    """``python -c`` entry point of a worker process: ``FD STORE_DIR MEMORY_MIB SANDBOX`` as arguments."""
    fd, store_dir, memory_mib, sandboxed = sys.argv[1:5]
    _worker_main(Connection(int(fd)), store_dir, int(memory_mib), sandboxed == "sandbox")


class _Worker:
    def __init__(self, process: subprocess.Popen[bytes], conn: Connection, number: int) -> None:
        self.process = process
        self.conn = conn
        self.number = number

    def call(self, job: QueryJob, timeout: float) -> QueryOutcome | str:
        """The worker's outcome, ``"timeout"`` past the deadline, ``"died"`` when the worker is gone."""
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                return "timeout"
            return self.conn.recv()
        except (EOFError, OSError):
            return "died"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


class WorkerStartError(RuntimeError):
    pass


class QueryPool:
    """Worker processes that run SPARQL with a deadline; a worker past it is killed and replaced.

    Requests take an idle worker from a queue (waiting at most the time limit when all are busy),
    hand it the job over a socket and wait in a thread for its answer. A timeout or a dead worker
    (killed by its memory limit, or crashed) costs that worker, which a background thread replaces
    while the others go on serving.

    Workers are plain ``python -c`` subprocesses speaking :class:`multiprocessing.connection.Connection`
    over a socket pair, not ``multiprocessing`` processes: no fork of a threaded server holding a
    store, and no re-import of the embedding program's ``__main__`` as the spawn method does.
    """

    def __init__(
        self, store_dir: Path, *, workers: int, timeout: float, memory_mib: int, sandboxed: bool = True
    ) -> None:
        self.store_dir = store_dir
        self.sandboxed = sandboxed
        self.size = workers
        self.timeout = timeout
        self.memory_mib = memory_mib
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers + 2, thread_name_prefix="pfocr-query"
        )
        self._idle: asyncio.Queue[_Worker] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._numbers = iter(range(1, 1 << 62))
        self._closed = False
        self.restarts = 0

    def _spawn(self) -> _Worker:
        parent, child = socket.socketpair()
        with self._lock:
            number = next(self._numbers)
        # The package's own folder goes first on the path, so the worker imports this very pfocr_ld.
        # Few malloc arenas: a worker runs one query at a time, and glibc's default of eight arenas
        # per core reserves hundreds of MiB of address space that --worker-memory would count.
        package_root = str(Path(__file__).resolve().parent.parent)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
            "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        }
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from pfocr_ld.serve import _worker_entry; _worker_entry()",
                    str(child.fileno()),
                    str(self.store_dir),
                    str(self.memory_mib),
                    "sandbox" if self.sandboxed else "none",
                ],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
            )
        finally:
            child.close()
        worker = _Worker(process, Connection(parent.detach()), number)
        try:
            if not worker.conn.poll(60):
                raise WorkerStartError("a query worker did not start within 60 s")
            status, detail = worker.conn.recv()
        except (EOFError, OSError) as error:
            worker.stop()
            raise WorkerStartError(
                f"a query worker died while starting (exit code {process.returncode})"
            ) from error
        except WorkerStartError:
            worker.stop()
            raise
        if status == "no-sandbox":
            worker.stop()
            raise WorkerStartError(
                f"a query worker cannot be cut off from the network ({detail}); "
                "see docs/serve.md, or run with --no-sandbox (unsafe on a public endpoint)"
            )
        if status != "ready":
            worker.stop()
            raise WorkerStartError(f"a query worker cannot open the store {self.store_dir}: {detail}")
        with self._lock:
            self._all.add(worker)
        return worker

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        spawned = await asyncio.gather(
            *(self._loop.run_in_executor(self._executor, self._spawn) for _ in range(self.size)),
            return_exceptions=True,
        )
        failures = [s for s in spawned if isinstance(s, BaseException)]
        for worker in spawned:
            if isinstance(worker, _Worker):
                self._idle.put_nowait(worker)
        if failures:
            self.close()
            raise failures[0]

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop()

    def _replace(self) -> None:
        """Start a worker in the background and add it to the idle queue when it is ready."""
        if self._closed or self._loop is None:
            return
        self.restarts += 1
        future = self._loop.run_in_executor(self._executor, self._spawn)

        def ready(done: asyncio.Future[_Worker]) -> None:
            if done.cancelled():
                return
            error = done.exception()
            if error is not None:
                log.error("cannot restart a query worker: %s", error)
                return
            if self._closed:
                self._retire(done.result())
            elif self._idle is not None:
                self._idle.put_nowait(done.result())

        future.add_done_callback(ready)

    async def run(self, job: QueryJob) -> QueryOutcome:
        assert self._idle is not None and self._loop is not None, "the pool is not started"
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=self.timeout)
        except TimeoutError:
            return QueryOutcome(
                503,
                message=f"all {self.size} query workers stayed busy for {self.timeout:g} s; "
                "try again shortly",
                headers=(("Retry-After", "5"),),
            )
        # The deadline starts when a worker takes the query: time spent queueing is not the query's fault.
        try:
            result = await self._loop.run_in_executor(self._executor, worker.call, job, self.timeout)
        except BaseException:
            # Cancelled (the client went away, the server stops): the worker may still be busy; retire it.
            self._retire(worker)
            self._replace()
            raise
        if isinstance(result, QueryOutcome):
            self._idle.put_nowait(worker)
            return result
        worker.stop()
        exit_code = worker.process.returncode
        self._retire(worker)
        self._replace()
        if result == "timeout":
            log.warning("query stopped at the time limit (%gs): %s", self.timeout, _excerpt(job.text))
            return QueryOutcome(
                503,
                message=f"the query did not finish within {self.timeout:g} s, the time "
                "limit of this server (--timeout); make it more selective or add "
                "a LIMIT",
            )
        log.warning(
            "query worker %s stopped (exit code %s) on: %s", worker.number, exit_code, _excerpt(job.text)
        )
        return QueryOutcome(
            503,
            message="the query stopped the worker running it (exit code "
            f"{exit_code}): it needed more than the {self.memory_mib} MiB a query may "
            "use on this server (--worker-memory), or more resources than the engine "
            "has; make it more selective or add a LIMIT",
        )

    def workers_alive(self) -> int:
        with self._lock:
            return sum(1 for w in self._all if w.alive())

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


# Figure descriptions ------------------------------------------------------------------------------------
_TYPE = ox.NamedNode(vocab.T.rdf["type"])
_FIGURE_CLASS = ox.NamedNode(vocab.T.pfocr["Figure"])
_IS_PART_OF = vocab.T.dcterms["isPartOf"]
#: Hops from a figure to the farthest node its block describes (figure → paper → periodical → publisher).
_DESCRIPTION_DEPTH = 3
#: A gene's taxon (RO "in taxon") is described by the figures that name the organism, not by every
#: figure showing one of its genes: the traversal does not go on through this link.
_IN_TAXON = vocab.T.obo["RO_0002162"]
_DATASET_TYPES = (vocab.T.void["Dataset"], vocab.T.dcat["Dataset"], vocab.T.dcat["Distribution"])


def figure_description(store: ox.Store, figure_iri: str) -> list[rdf.Triple] | None:
    """The triples of the figure's block in the dump, read back from ``store``; ``None`` if no such figure.

    That is: the figure, its mention nodes (``{figure}#…``) and every node that is ``dcterms:isPartOf``
    it in full, and the nodes they link to (genes, chemicals, the paper, its periodical and publisher,
    the image, DOID terms, the taxa the figure names) up to three hops out, except the
    ``dcterms:isPartOf`` links of shared nodes to *other* figures, which belong to those figures' blocks,
    and the description of a gene's taxon, which belongs to the figures naming that organism. Only the
    graph holding the figure is read.
    """
    figure = ox.NamedNode(figure_iri)
    graph = next((q.graph_name for q in store.quads_for_pattern(figure, _TYPE, _FIGURE_CLASS, None)), None)
    if graph is None:
        return None
    found: set[rdf.Triple] = set()
    seen = {figure_iri}
    fragment = figure_iri + "#"
    frontier: list[tuple[ox.NamedNode, int]] = [(figure, 0)]
    # Mentions, genes, chemicals and the paper point at the figure, not the other way round.
    for quad in store.quads_for_pattern(None, ox.NamedNode(_IS_PART_OF), figure, graph):
        if isinstance(quad.subject, ox.NamedNode) and quad.subject.value not in seen:
            seen.add(quad.subject.value)
            frontier.append((quad.subject, 1))
    while frontier:
        node, depth = frontier.pop()
        own = node.value == figure_iri or node.value.startswith(fragment)
        for quad in store.quads_for_pattern(node, None, None, graph):
            obj = quad.object
            if not own and quad.predicate.value == _IS_PART_OF and obj != figure:
                continue
            found.add(rdf.from_oxigraph(quad))
            if quad.predicate.value == _IN_TAXON:
                continue
            if isinstance(obj, ox.NamedNode) and depth < _DESCRIPTION_DEPTH and obj.value not in seen:
                seen.add(obj.value)
                frontier.append((obj, depth + 1))
    return sorted(found)


def dataset_description(store: ox.Store) -> list[rdf.Triple]:
    """The dataset description (``void.ttl``) as loaded with the data: every node typed void:Dataset,
    dcat:Dataset or dcat:Distribution, in full. Figures are ``schema:Dataset``, never one of these."""
    subjects: set[ox.NamedNode | ox.BlankNode] = set()
    for type_iri in _DATASET_TYPES:
        for quad in store.quads_for_pattern(None, _TYPE, ox.NamedNode(type_iri), None):
            subjects.add(quad.subject)
    found: set[rdf.Triple] = set()
    for subject in subjects:
        if isinstance(subject, ox.NamedNode):
            found.update(rdf.from_oxigraph(q) for q in store.quads_for_pattern(subject, None, None, None))
    return sorted(found)


_SUFFIX_OF = {fmt: suffix for suffix, fmt in DATA_SUFFIXES.items()}
_VOCAB_FORMATS = {
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


def rdf_body(triples: list[rdf.Triple], fmt: str, first: str | None = None) -> bytes:
    """Our triples as Turtle (the dump's own writer, with its prefixes), N-Triples, JSON-LD or RDF/XML."""
    if fmt == "ttl":
        return rdf.turtle_prefixes() + b"\n" + rdf.turtle(sorted(triples))
    if fmt == "nt":
        return rdf.ntriples(sorted(triples))
    if fmt == "jsonld":
        return jsonld.dumps(jsonld.document(triples, first))
    return ox.serialize(
        [rdf.to_oxigraph(t) for t in sorted(triples)], format=ox.RdfFormat.RDF_XML, prefixes=vocab.PREFIXES
    )


@dataclass(frozen=True)
class Representation:
    body: bytes
    content_type: str
    etag: str


class _LRU:
    """Thread-safe LRU cache; the store is read-only, so a rendered representation never goes stale."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


# The application ----------------------------------------------------------------------------------------
class HttpError(Exception):
    """An error answered with a status, a title and a message for the client (text or HTML)."""

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        suggestions: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.headers = headers or {}
        self.suggestions = suggestions


@dataclass
class ServeConfig:
    store_dir: Path
    base: str = vocab.DEFAULT_BASE
    void_file: Path | None = None
    timeout: float = 30.0
    max_results: int = 10_000
    workers: int = 2
    worker_memory: int = 2048  # MiB per query worker; 0 switches the limit off
    max_body: int = 1_000_000
    max_query_length: int = 100_000
    cache_seconds: int = 300
    sandbox: bool = True  # query workers without network (pfocr_ld/sandbox.py); off only by --no-sandbox
    max_response_bytes: int = 64 << 20
    figure_cache: int = 512
    base_path: str = field(init=False, default="/figures/")

    def __post_init__(self) -> None:
        parts = urlsplit(self.base)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or not parts.path.endswith("/")
            or parts.query
            or parts.fragment
        ):
            raise ValueError(
                f"--base must be an http(s) IRI ending in '/' (got {self.base!r}): figure IRIs "
                "are {base}{figid}.html and resolve on this server under the base's path"
            )
        self.base_path = parts.path


_CSP = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_HEADER_LIST = re.compile(r"^[A-Za-z0-9\-, ]{0,500}$")


class CommonHeaders:
    """Pure ASGI middleware: CORS for every response, OPTIONS preflight, and security headers on pages.

    Every resource is public and read-only, so ``Access-Control-Allow-Origin: *`` (no credentials)
    lets browser clients anywhere use the endpoint; an OPTIONS request to any path is a preflight.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            requested = dict(scope["headers"]).get(b"access-control-request-headers", b"").decode("latin-1")
            allowed = (
                requested
                if requested and _HEADER_LIST.match(requested)
                else "Accept, Content-Type, If-None-Match"
            )
            response = Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
                    "Access-Control-Allow-Headers": allowed,
                    "Access-Control-Max-Age": "86400",
                    "Allow": "GET, HEAD, POST, OPTIONS",
                },
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Access-Control-Allow-Origin", "*")
                headers.setdefault(
                    "Access-Control-Expose-Headers", "ETag, Content-Location, Link, Vary, X-Total-Count"
                )
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", _CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)


_SERVICE_DESCRIPTION_FORMATS = tuple(
    "http://www.w3.org/ns/formats/" + name
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
    )
)
SD = "http://www.w3.org/ns/sparql-service-description#"
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
_INDEX_QUERY = """PREFIX pfocr: <https://pfocr.wikipathways.org/vocab#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dc: <http://purl.org/dc/elements/1.1/>
SELECT ?figure ?figid ?title WHERE {{
  ?figure a pfocr:Figure ; dcterms:identifier ?figid .
  OPTIONAL {{ ?figure dc:title ?title }}
}} ORDER BY ?figid ?figure LIMIT {limit} OFFSET {offset}"""
FIGURES_PER_PAGE = 100
#: 404 pages suggest figures of the same paper from a list of all figids, kept only up to this size.
MAX_SUGGESTION_FIGIDS = 200_000


_CONDITION_MARK = re.compile(r"\s+#\?(?:\s+!?\??[A-Za-z_][\w-]*)+\s*$")


def named_query_examples() -> list[templates.Example]:
    """The named queries of :mod:`pfocr_ld.query`, with their example parameters bound in as ``VALUES``.

    Bound this way each example is plain SPARQL that any endpoint (this one included) runs as is;
    it is exactly what ``pfocr-ld query NAME --endpoint …`` sends.
    """
    try:
        from pfocr_ld.query import bind, inject_values, library
    except ImportError:  # the query library is optional for serving
        return []
    examples = []
    for name, query in library().items():
        params = dict((query.example or {}).get("params") or {})
        try:
            bound = bind(query, params)
            text = inject_values(bound.text, bound.bindings)
        except click.ClickException:
            text = query.text
        # The library's "#? condition" line markers mean nothing to a reader of the bound query.
        lines = (_CONDITION_MARK.sub("", line).rstrip() for line in text.splitlines())
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
        examples.append(templates.Example(name, query.title, " ".join(query.description.split()), text))
    return examples


class PfocrServer:
    """The server's state (stores, pool, caches) and its request handlers."""

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
        self.cache = _LRU(config.figure_cache)
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
        self.enrichment = EnrichService(self)  # /enrich: figures for a gene list
        self.named = NamedQueryService(self)  # /query/<name>: named queries, page by page

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

    # figures -------------------------------------------------------------------------------------------
    def figure_path(self, root: str, figid: str) -> str:
        """The server path of a figure without its suffix (the IRI's own percent-encoding)."""
        return self.local_href(root)(self.mapper.figure_iri(figid)).removesuffix(".html")  # type: ignore[union-attr]

    def figure_formats(self, path: str) -> list[tuple[str, str, str]]:
        return [
            ("Turtle", "text/turtle", f"{path}.ttl"),
            ("JSON-LD", "application/ld+json", f"{path}.jsonld"),
            ("N-Triples", "application/n-triples", f"{path}.nt"),
        ]

    def figure_representation(self, figid: str, fmt: str, root: str) -> Representation | None:
        """The figure in one format, rendered once and cached (runs in a worker thread)."""
        key = (figid, fmt, root if fmt == "html" else "")
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        iri = self.mapper.figure_iri(figid)
        triples = figure_description(self.store, iri)
        if triples is None:
            return None
        if fmt == "html":
            body = templates.figure_page(
                triples,
                iri,
                schema_block=schemaorg.embed_block(triples, iri),
                formats=self.figure_formats(self.figure_path(root, figid)),
                root=root,
                figures_path=self.config.base_path,
            ).encode("utf-8")
        else:
            body = rdf_body(triples, fmt, iri)
        rep = Representation(body, CONTENT_TYPES[fmt], _etag(body))
        self.cache.put(key, rep)
        return rep

    async def figure(self, request: Request) -> Response:
        """``{base path}{figid}.{html,ttl,jsonld,nt}``; ``.html`` is the IRI itself, so it is negotiated."""
        name: str = request.path_params["name"]
        root = self.root(request)
        figid, dot, suffix = name.rpartition(".")
        if not dot or suffix not in FIGURE_SUFFIXES:
            figid, suffix = name, ""
        negotiated = suffix == "html"
        fmt = negotiate(request.headers.get("accept"), FIGURE_OFFERS) if negotiated else suffix
        # A cached representation is served from the event loop; only rendering needs a thread.
        rep = self.cache.get((figid, fmt or "ttl", root if fmt == "html" else ""))
        if rep is None:
            rep = await run_in_threadpool(self.figure_representation, figid, fmt or "ttl", root)
        if rep is None:
            raise HttpError(
                404,
                "No such figure",
                f"this store has no figure {figid!r} (its identifier would be "
                f"{self.mapper.figure_iri(figid)})",
                suggestions=await self.suggestions(figid, root),
            )
        path = self.figure_path(root, figid)
        if not suffix:
            # /figures/<figid>: the identifier is <figid>.html, so send the client there.
            return RedirectResponse(path + ".html", status_code=301)
        if fmt is None:
            raise HttpError(
                406,
                "Not Acceptable",
                "this figure is available as text/html, text/turtle, application/ld+json and "
                "application/n-triples; none of them is acceptable to the client",
                headers={
                    "Vary": "Accept",
                    "Link": ", ".join(
                        f'<{href}>; rel="alternate"; type="{media}"'
                        for _, media, href in self.figure_formats(path)
                    ),
                },
            )
        extra = {}
        if negotiated:
            extra["Content-Location"] = f"{path}.{fmt}"
            extra["Link"] = ", ".join(
                f'<{href}>; rel="alternate"; type="{media}"' for _, media, href in self.figure_formats(path)
            )
        return self.representation_response(request, rep, negotiated=negotiated, extra=extra)

    async def figure_index(self, request: Request) -> Response:
        fmt = negotiate(request.headers.get("accept"), PAGE_OFFERS)
        if fmt is None:
            raise HttpError(
                406,
                "Not Acceptable",
                "the figure list is available as text/html, text/turtle, application/n-triples, "
                "application/ld+json and application/rdf+xml",
                headers={"Vary": "Accept"},
            )
        raw = request.query_params.get("page", "1")
        if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
            raise HttpError(400, "Bad page number", f"page must be a number from 1, not {raw[:40]!r}")
        number = int(raw)
        rows = await self.internal_query(
            _INDEX_QUERY.format(limit=FIGURES_PER_PAGE + 1, offset=(number - 1) * FIGURES_PER_PAGE)
        )
        if rows is None:
            raise HttpError(
                503, "Figure list unavailable", "the figure list could not be read in time; try again"
            )
        root = self.root(request)
        path = root + self.config.base_path
        previous_href = f"{path}?page={number - 1}" if number > 1 else None
        next_href = f"{path}?page={number + 1}" if len(rows) > FIGURES_PER_PAGE else None
        if fmt != "html":
            return self.figure_list_response(rows[:FIGURES_PER_PAGE], fmt, previous_href, next_href)
        local = self.local_href(root)
        items = [
            (local(r["figure"]) or r["figure"], r.get("figid", ""), r.get("title") or r.get("figid", ""))
            for r in rows[:FIGURES_PER_PAGE]
        ]
        body = templates.figure_index_page(
            items,
            page_number=number,
            previous_href=previous_href,
            next_href=next_href,
            root=root,
            figures_path=self.config.base_path,
        ).encode("utf-8")
        return Response(
            body, headers={"Content-Type": CONTENT_TYPES["html"], "Vary": "Accept", **self.cache_headers()}
        )

    def figure_list_response(
        self, rows: list[dict[str, Any]], fmt: str, previous_href: str | None, next_href: str | None
    ) -> Response:
        """One page of the figure list as RDF: each figure's type, identifier and title; the other
        pages are linked with HTTP ``Link`` headers (RFC 8288), which leaves the data about figures only."""
        triples: list[rdf.Triple] = []
        for row in rows:
            figure = row["figure"]
            triples.append((figure, vocab.T.rdf["type"], f"<{vocab.T.pfocr['Figure']}>"))
            if row.get("figid"):
                triples.append((figure, vocab.T.dcterms["identifier"], rdf.literal(row["figid"])))
            if row.get("title"):
                triples.append((figure, vocab.T.dc["title"], rdf.literal(row["title"], language="en")))
        pages = (("prev", previous_href), ("next", next_href))
        links = [f'<{href}>; rel="{rel}"' for rel, href in pages if href]
        headers = {"Vary": "Accept", **self.cache_headers()}
        if links:
            headers["Link"] = ", ".join(links)
        return Response(rdf_body(triples, fmt), headers={**headers, "Content-Type": CONTENT_TYPES[fmt]})

    # home, dataset, context --------------------------------------------------------------------------
    def dataset_summary(self) -> dict[str, str]:
        index = templates.Index(self.void_triples)
        releases = sorted(s for s in index.nodes if index.literal(s, vocab.T.pav["version"]))
        if not releases:
            return {}
        release = releases[-1]
        return {
            "title": index.literal(release, vocab.T.dcterms["title"]) or release,
            "version": index.literal(release, vocab.T.pav["version"]) or "",
        }

    async def home(self, request: Request) -> Response:
        root = self.root(request)
        fmt = negotiate(request.headers.get("accept"), PAGE_OFFERS)
        if fmt is None:
            raise HttpError(
                406,
                "Not Acceptable",
                "this address offers text/html and the dataset description as text/turtle, "
                "application/n-triples, application/ld+json and application/rdf+xml",
                headers={"Vary": "Accept"},
            )
        if fmt != "html":
            rep = await run_in_threadpool(self.void_representation, fmt, root, self.sparql_endpoint(request))
            return self.representation_response(
                request, rep, negotiated=True, extra={"Content-Location": f"{root}/void.{_SUFFIX_OF[fmt]}"}
            )
        body = templates.landing_page(
            counts=await self.counts(),
            dataset=self.dataset_summary(),
            examples=[(e.name, e.title) for e in self.examples],
            root=root,
            figures_path=self.config.base_path,
        ).encode("utf-8")
        return Response(
            body, headers={"Content-Type": CONTENT_TYPES["html"], "Vary": "Accept", **self.cache_headers()}
        )

    def sparql_endpoint(self, request: Request) -> str | None:
        """This server's ``/sparql`` as the client addressed it (scheme, host and root path of the
        request); ``None`` when that is not an IRI (a malformed Host header)."""
        endpoint = str(request.url.replace(path=self.root(request) + "/sparql", query="", fragment=""))
        try:
            ox.NamedNode(endpoint)
        except ValueError:
            return None
        return endpoint if endpoint.startswith(("http://", "https://")) else None

    def served_void(self, endpoint: str | None) -> list[rdf.Triple]:
        """The dataset description as served: the release's, plus ``void:sparqlEndpoint`` naming this
        server's endpoint on each ``void:Dataset`` (a build cannot know where it will be served)."""
        if endpoint is None:
            return self.void_triples
        dataset_type = f"<{vocab.T.void['Dataset']}>"
        typed = {s for s, p, o in self.void_triples if p == vocab.T.rdf["type"] and o == dataset_type}
        # The release, not its class and property partitions (void:Datasets too, parts of it).
        parts = {
            o[1:-1]
            for s, p, o in self.void_triples
            if p in (vocab.T.void["classPartition"], vocab.T.void["propertyPartition"])
        }
        datasets = sorted(typed - parts)
        extra = [(s, vocab.T.void["sparqlEndpoint"], f"<{endpoint}>") for s in datasets]
        return sorted(set(self.void_triples) | set(extra))

    def void_representation(self, fmt: str, root: str, endpoint: str | None = None) -> Representation:
        # The endpoint comes from the request's Host: one cache entry per host (the LRU bounds them).
        key = ("void", fmt, root if fmt == "html" else "", endpoint)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        triples = self.served_void(endpoint)
        if fmt == "html":
            turtle = rdf_body(triples, "ttl").decode("utf-8")
            formats = [
                ("Turtle", "text/turtle", f"{root}/void.ttl"),
                ("N-Triples", "application/n-triples", f"{root}/void.nt"),
                ("JSON-LD", "application/ld+json", f"{root}/void.jsonld"),
                ("RDF/XML", "application/rdf+xml", f"{root}/void.rdf"),
            ]
            body = templates.void_page(
                triples, turtle, formats=formats, root=root, figures_path=self.config.base_path
            ).encode("utf-8")
        else:
            body = rdf_body(triples, fmt)
        rep = Representation(body, CONTENT_TYPES[fmt], _etag(body))
        self.cache.put(key, rep)
        return rep

    async def void(self, request: Request) -> Response:
        suffix = request.path_params.get("suffix")
        if suffix is not None:
            fmt = DATA_SUFFIXES.get(suffix)
            if fmt is None:
                raise HttpError(
                    404,
                    "Not Found",
                    f"the dataset description is at /void.ttl, /void.nt, "
                    f"/void.jsonld and /void.rdf, not /void.{suffix}",
                )
        else:
            fmt = negotiate(request.headers.get("accept"), DATA_OFFERS)
            if fmt is None:
                raise HttpError(
                    406,
                    "Not Acceptable",
                    "the dataset description is available as text/turtle, "
                    "application/n-triples, application/ld+json, application/rdf+xml and text/html",
                    headers={"Vary": "Accept"},
                )
        rep = await run_in_threadpool(
            self.void_representation, fmt, self.root(request), self.sparql_endpoint(request)
        )
        return self.representation_response(request, rep, negotiated=suffix is None)

    async def context(self, request: Request) -> Response:
        rep = Representation(self.context_body, CONTENT_TYPES["jsonld"], _etag(self.context_body))
        return self.representation_response(request, rep, negotiated=False)

    # the model: vocabulary and mapping ----------------------------------------------------------------
    def vocab_representation(self, fmt: str, root: str) -> Representation:
        key = ("vocab", fmt, root if fmt == "html" else "")
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        if fmt == "html":
            formats = [
                (label, media, f"{root}/vocab.{suffix}")
                for label, media, suffix in (
                    ("Turtle", "text/turtle", "ttl"),
                    ("N-Triples", "application/n-triples", "nt"),
                    ("JSON-LD", "application/ld+json", "jsonld"),
                    ("RDF/XML", "application/rdf+xml", "rdf"),
                )
            ]
            # the lean triple form has no blank nodes (the ontology's owl:oneOf list has some); the
            # page lists named terms only and shows the Turtle as written
            named = [
                rdf.from_oxigraph(quad)
                for quad in self.vocab_quads
                if isinstance(quad.subject, ox.NamedNode) and not isinstance(quad.object, ox.BlankNode)
            ]
            body = model_pages.vocab_page(
                named,
                self.vocab_turtle.decode("utf-8"),
                formats=formats,
                root=root,
                figures_path=self.config.base_path,
            ).encode("utf-8")
        elif fmt == "ttl":
            body = self.vocab_turtle
        else:
            body = ox.serialize(self.vocab_quads, format=_VOCAB_FORMATS[fmt], prefixes=vocab.PREFIXES)
        rep = Representation(body, CONTENT_TYPES[fmt], _etag(body))
        self.cache.put(key, rep)
        return rep

    async def vocabulary(self, request: Request) -> Response:
        """``/vocab`` (the namespace of every ``pfocr:`` term) and ``/vocab.{ttl,nt,jsonld,rdf}``."""
        suffix = request.path_params.get("suffix")
        if suffix is not None:
            fmt = DATA_SUFFIXES.get(suffix)
            if fmt is None:
                raise HttpError(
                    404, "Not Found", f"the vocabulary is at /vocab.ttl, .nt, .jsonld and .rdf, not .{suffix}"
                )
        else:
            fmt = negotiate(request.headers.get("accept"), PAGE_OFFERS)
            if fmt is None:
                raise HttpError(
                    406,
                    "Not Acceptable",
                    "the vocabulary is available as text/html, text/turtle, application/n-triples, "
                    "application/ld+json and application/rdf+xml",
                    headers={"Vary": "Accept"},
                )
        rep = await run_in_threadpool(self.vocab_representation, fmt, self.root(request))
        return self.representation_response(request, rep, negotiated=suffix is None)

    async def mapping(self, request: Request) -> Response:
        """``/vocab/mapping``: docs/mapping.md, as a page or (``Accept: text/markdown``) as written."""
        fmt = negotiate(request.headers.get("accept"), MARKDOWN_OFFERS)
        if fmt is None:
            raise HttpError(406, "Not Acceptable", "the mapping is available as text/html and text/markdown")
        markdown = mapping_doc().read_text(encoding="utf-8")
        root = self.root(request)
        if fmt == "html":
            body = model_pages.markdown_page(
                "Mapping", markdown, source_link=None, root=root, figures_path=self.config.base_path
            ).encode("utf-8")
        else:
            body = markdown.encode("utf-8")
        rep = Representation(body, CONTENT_TYPES[fmt], _etag(body))
        return self.representation_response(request, rep, negotiated=True)

    # SPARQL --------------------------------------------------------------------------------------------
    async def read_body(self, request: Request) -> bytes:
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

    async def sparql_params(self, request: Request) -> list[tuple[str, str]]:
        """The protocol parameters of a request: URL parameters, plus the form or the direct query body."""
        params = list(request.query_params.multi_items())
        if request.method != "POST":
            return params
        media, _, rest = request.headers.get("content-type", "").partition(";")
        media = media.strip().lower()
        charset = re.search(r"charset\s*=\s*\"?([\w.-]+)", rest, re.IGNORECASE)
        if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
            raise HttpError(415, "Unsupported charset", "send the request body in UTF-8")
        if media == "application/sparql-update":
            raise _read_only()
        if media not in ("application/x-www-form-urlencoded", "application/sparql-query"):
            raise HttpError(
                415,
                "Unsupported Media Type",
                "POST a query as application/x-www-form-urlencoded (query=…) or as "
                "application/sparql-query (the query itself); this endpoint accepts no updates",
            )
        body = await self.read_body(request)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise HttpError(400, "Bad encoding", f"the request body is not UTF-8: {error}") from error
        if media == "application/sparql-query":
            if any(name == "query" for name, _ in params):
                raise HttpError(
                    400, "Two queries", "a direct POST carries the query in its body, not also in the URL"
                )
            return [*params, ("query", text)]
        try:
            form = parse_qsl(text, keep_blank_values=True, max_num_fields=100)
        except ValueError as error:
            raise HttpError(400, "Bad form", f"the form cannot be read: {error}") from error
        return params + form

    def check_query(self, text: str) -> None:
        """Refuse, before any engine sees it: empty, too long, too deeply nested, an update, SERVICE."""
        if not text.strip():
            raise HttpError(400, "Empty query", "the query parameter is empty")
        if len(text) > self.config.max_query_length:
            raise HttpError(
                413,
                "Query too long",
                f"queries are limited to {self.config.max_query_length:,} "
                f"characters; this one has {len(text):,}",
            )
        shape = inspect_sparql(text)
        if shape.form in _UPDATE_KEYWORDS:
            raise _read_only()
        if shape.depth > MAX_NESTING:
            raise HttpError(
                400,
                "Query too deeply nested",
                f"brackets nest {shape.depth} levels deep; this server accepts at most {MAX_NESTING}",
            )
        if shape.service:
            raise HttpError(
                400,
                "Federated query refused",
                FEDERATION_REFUSED + ": this server does not fetch data from other addresses",
            )

    def service_description(self, request: Request, fmt: str) -> Representation:
        endpoint = str(request.url.replace(query="", fragment=""))
        node = ox.NamedNode(endpoint)
        dataset, graph = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
        type_ = _TYPE

        def sd(term: str) -> ox.NamedNode:
            return ox.NamedNode(SD + term)

        triples = [
            ox.Triple(node, type_, sd("Service")),
            ox.Triple(node, sd("endpoint"), node),
            ox.Triple(node, sd("supportedLanguage"), sd("SPARQL11Query")),
            ox.Triple(node, sd("defaultDataset"), dataset),
            ox.Triple(dataset, type_, sd("Dataset")),
            ox.Triple(dataset, sd("defaultGraph"), graph),
            ox.Triple(graph, type_, sd("Graph")),
            ox.Triple(
                node,
                ox.NamedNode(vocab.T.dcterms["description"]),
                ox.Literal(
                    f"Read-only SPARQL 1.1 endpoint over Pathway Figure OCR linked data; queries "
                    f"may run {self.config.timeout:g} s and return {self.config.max_results:,} rows; "
                    "SERVICE and SPARQL Update are not available.",
                    language="en",
                ),
            ),
        ]
        triples += [
            ox.Triple(node, sd("resultFormat"), ox.NamedNode(f)) for f in _SERVICE_DESCRIPTION_FORMATS
        ]
        release = next((s for s, p, _ in self.void_triples if p == vocab.T.pav["version"]), None)
        if release:
            triples.append(ox.Triple(dataset, ox.NamedNode(vocab.T.rdfs["seeAlso"]), ox.NamedNode(release)))
        if fmt == "jsonld":
            body = ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
        else:
            rdf_format = {
                "ttl": ox.RdfFormat.TURTLE,
                "nt": ox.RdfFormat.N_TRIPLES,
                "rdfxml": ox.RdfFormat.RDF_XML,
            }[fmt]
            body = ox.serialize(
                triples, format=rdf_format, prefixes={"sd": SD, "dcterms": vocab.DCTERMS, "rdfs": vocab.RDFS}
            )
        return Representation(body or b"", CONTENT_TYPES[fmt], _etag(body or b""))

    async def sparql(self, request: Request) -> Response:
        try:
            params = await self.sparql_params(request)
        except HttpError as error:
            return self.error_response(request, error)
        names = {name for name, _ in params}
        if "update" in names:
            return self.error_response(request, _read_only())
        queries = [value for name, value in params if name == "query"]
        example = next((value for name, value in params if name == "example"), None)
        accept = request.headers.get("accept")
        if not queries:
            if request.method == "POST":
                return self.error_response(
                    request,
                    HttpError(
                        400, "No query", "POST a query (query=… or a direct application/sparql-query body)"
                    ),
                )
            choice = negotiate(accept, DATA_OFFERS)
            if choice == "html" or (example is not None and choice is not None):
                return self.query_page(request, example=example)
            if choice is None:
                return self.error_response(
                    request,
                    HttpError(
                        406,
                        "Not Acceptable",
                        "the service description is "
                        "available as Turtle, N-Triples, JSON-LD, RDF/XML and HTML",
                    ),
                )
            return self.representation_response(
                request, self.service_description(request, choice), negotiated=True
            )
        if len(queries) > 1:
            return self.error_response(
                request, HttpError(400, "Two queries", "give exactly one query parameter")
            )
        text = queries[0]
        requested = next((v for n, v in params if n == "format" and v), None)
        if requested is not None:
            requested = {"turtle": "ttl", "ntriples": "nt", "rdf": "rdfxml", "srj": "json", "srx": "xml"}.get(
                requested, requested
            )
            if requested not in SELECT_FORMATS | GRAPH_FORMATS | {"html"}:
                return self.error_response(
                    request,
                    HttpError(
                        400,
                        "Unknown format",
                        f"format={requested[:40]!r} "
                        "is not one of json, xml, csv, tsv, ttl, nt, rdfxml, jsonld, html",
                    ),
                )
            select_fmt = requested if requested in SELECT_FORMATS | {"html"} else None
            graph_fmt = requested if requested in GRAPH_FORMATS | {"html"} else None
        else:
            select_fmt, graph_fmt = negotiate(accept, SELECT_OFFERS), negotiate(accept, GRAPH_OFFERS)
        html = "html" in (select_fmt, graph_fmt)
        if html:
            # A browser: both kinds of result become a page (a table, or the Turtle of a graph).
            select_fmt, graph_fmt = "html", "html"
        if select_fmt is None and graph_fmt is None:
            return self.error_response(
                request,
                HttpError(
                    406,
                    "Not Acceptable",
                    "SPARQL results are available as "
                    "application/sparql-results+json, application/sparql-results+xml, text/csv, "
                    "text/tab-separated-values (SELECT, ASK) and text/turtle, "
                    "application/n-triples, application/rdf+xml, application/ld+json "
                    "(CONSTRUCT, DESCRIBE)",
                ),
            )
        graphs: dict[str, tuple[str, ...]] = {}
        try:
            for key in ("default-graph-uri", "named-graph-uri"):
                values = tuple(v for n, v in params if n == key)
                for value in values:
                    try:
                        ox.NamedNode(value)
                    except ValueError as error:
                        raise HttpError(
                            400, "Bad graph IRI", f"{key}={value[:80]!r} is not an IRI"
                        ) from error
                graphs[key] = values
            self.check_query(text)
        except HttpError as error:
            if html:
                return self.query_page(request, example=example, text=text, error=error)
            return self.error_response(request, error)
        job = QueryJob(
            text,
            "json" if select_fmt == "html" else select_fmt,
            "ttl" if graph_fmt == "html" else graph_fmt,
            graphs["default-graph-uri"],
            graphs["named-graph-uri"],
            max_rows=self.config.max_results,
            max_bytes=self.config.max_response_bytes,
        )
        outcome = await self.pool.run(job)
        if html:
            return self.query_page(request, example=example, text=text, outcome=outcome)
        if outcome.status != 200:
            title = {
                400: "Bad query",
                406: "Not Acceptable",
                422: "Result too large",
                500: "Query failed",
                503: "Query stopped",
            }.get(outcome.status, "Query failed")
            return self.error_response(
                request, HttpError(outcome.status, title, outcome.message, headers=dict(outcome.headers))
            )
        headers = {
            "Content-Type": CONTENT_TYPES[outcome.format],
            "Vary": "Accept",
            **(self.cache_headers() if request.method == "GET" else {"Cache-Control": "no-store"}),
        }
        return Response(outcome.body, headers=headers)

    def query_page(
        self,
        request: Request,
        *,
        example: str | None = None,
        text: str | None = None,
        outcome: QueryOutcome | None = None,
        error: HttpError | None = None,
    ) -> Response:
        root = self.root(request)
        chosen = next((e for e in self.examples if e.name == example), None)
        if text is None:
            text = (
                chosen.text
                if chosen
                else (self.examples[0].text if self.examples else "SELECT * WHERE { ?s ?p ?o } LIMIT 10\n")
            )
        results: templates.ResultsView | None = None
        status = 200
        if error is not None:
            results = templates.ResultsView(error_status=error.status, error=error.message)
            status = error.status
        elif outcome is not None and outcome.status != 200:
            results = templates.ResultsView(error_status=outcome.status, error=outcome.message)
            status = outcome.status
        elif outcome is not None:
            results = templates.ResultsView(kind=outcome.kind, seconds=outcome.seconds, download_query=text)
            if outcome.kind == "select":
                data = orjson.loads(outcome.body)
                results.variables = data["head"]["vars"]
                results.rows = data["results"]["bindings"]
            elif outcome.kind == "ask":
                results.boolean = bool(orjson.loads(outcome.body)["boolean"])
            else:
                results.graph_text = outcome.body.decode("utf-8")
        body = templates.query_page(
            examples=self.examples,
            selected=chosen.name if chosen else None,
            text=text,
            results=results,
            local=self.local_href(root),
            timeout=self.config.timeout,
            max_results=self.config.max_results,
            root=root,
            figures_path=self.config.base_path,
            prefixes=sparql.PREDECLARED,
        ).encode("utf-8")
        return Response(
            body,
            status_code=status,
            headers={"Content-Type": CONTENT_TYPES["html"], "Vary": "Accept", "Cache-Control": "no-store"},
        )


def _read_only() -> HttpError:
    return HttpError(
        403,
        "Read-only endpoint",
        "this SPARQL endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, …) is not accepted",
    )


def create_app(
    store_dir: Path | str,
    base: str = vocab.DEFAULT_BASE,
    *,
    void_file: Path | str | None = None,
    timeout: float = 30.0,
    max_results: int = 10_000,
    workers: int = 2,
    worker_memory: int = 2048,
    max_body: int = 1_000_000,
    max_query_length: int = 100_000,
    cache_seconds: int = 300,
    sandbox: bool = True,
) -> Starlette:
    """The Starlette app serving the store at ``store_dir`` (a ``pfocr-ld load`` folder), read-only.

    Raises ``ValueError`` for a bad ``base`` or ``void_file`` and :class:`~pfocr_ld.store.StoreError`
    when the store cannot be opened. The query workers start with the app's lifespan; each cuts
    itself off from the network first (:mod:`pfocr_ld.sandbox`) and the start fails when it cannot,
    unless ``sandbox=False`` (then only the lexical check keeps SERVICE out: not safe in public).
    """
    config = ServeConfig(
        Path(store_dir),
        base,
        Path(void_file) if void_file else None,
        timeout,
        max_results,
        workers,
        worker_memory,
        max_body,
        max_query_length,
        cache_seconds,
        sandbox,
    )
    server = PfocrServer(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await server.pool.start()
        try:
            yield
        finally:
            server.pool.close()

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HttpError)
        return server.error_response(request, exc)

    async def on_starlette_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        titles = {404: "Not Found", 405: "Method Not Allowed"}
        message = {
            404: f"there is nothing at {request.url.path}",
            405: f"{request.method} is not allowed here",
        }.get(exc.status_code, str(exc.detail))
        return server.error_response(
            request,
            HttpError(
                exc.status_code,
                titles.get(exc.status_code, "Error"),
                message,
                headers=dict(exc.headers or {}),
            ),
        )

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return server.error_response(
            request,
            HttpError(500, "Server error", "something went wrong on the server; the error has been logged"),
        )

    static = resources.files("pfocr_ld") / "static"
    path = config.base_path
    beside_figures = posixpath.normpath(posixpath.join(path, "..", "context.jsonld"))
    routes = [
        Route("/", server.home, methods=["GET"]),
        Route("/sparql", server.sparql, methods=["GET", "POST"]),
        Route("/void", server.void, methods=["GET"]),
        Route("/void.{suffix}", server.void, methods=["GET"]),
        Route("/.well-known/void", server.void, methods=["GET"]),
        Route("/ld/context.jsonld", server.context, methods=["GET"]),
        # Where the documents' relative reference ../context.jsonld resolves: from a figure (under the
        # base path) and from /sparql, /void.jsonld (at the root).
        *[Route(at, server.context, methods=["GET"]) for at in sorted({"/context.jsonld", beside_figures})],
        Route("/vocab", server.vocabulary, methods=["GET"]),
        Route("/vocab.{suffix}", server.vocabulary, methods=["GET"]),
        Route("/vocab/mapping", server.mapping, methods=["GET"]),
        Route("/enrich", server.enrichment.handle, methods=["GET", "POST"]),
        Route("/query/{name}", server.named.handle, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(static)), name="static"),
        Route(path, server.figure_index, methods=["GET"]),
        Route(path + "{name:path}", server.figure, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HttpError: on_http_error, HTTPException: on_starlette_error, Exception: on_crash},
    )
    app.state.pfocr = server
    return CommonHeaders(app)  # type: ignore[return-value]


# Running -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunningServer:
    """A server started by :func:`running_server`: its base URL and its state (pool, caches)."""

    url: str
    server: PfocrServer


#: Defaults of the connection limits (``--head-timeout``, ``--keep-alive``, ``--max-connections``).
HEAD_TIMEOUT = 10.0
KEEP_ALIVE = 5.0
MAX_CONNECTIONS = 1000


def uvicorn_config(
    app: Any,
    *,
    log_level: str,
    head_timeout: float = HEAD_TIMEOUT,
    keep_alive: float = KEEP_ALIVE,
    max_connections: int = MAX_CONNECTIONS,
    **options: Any,
) -> Any:
    """uvicorn's configuration for ``app``: the h11 protocol with the head timeout and connection cap of
    :mod:`pfocr_ld.connections`, keep-alive connections closed after ``keep_alive`` idle seconds."""
    import uvicorn

    from pfocr_ld.connections import guarded_protocol

    return uvicorn.Config(
        app,
        http=guarded_protocol(head_timeout=head_timeout, max_connections=max_connections),
        log_level=log_level,
        lifespan="on",
        server_header=False,
        timeout_keep_alive=keep_alive,  # type: ignore[arg-type]  # a float works (loop.call_later)
        limit_concurrency=None,  # it counts idle connections too: the guard's cap replaces it
        **options,
    )


@contextlib.contextmanager
def running_server(
    store_dir: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    head_timeout: float = HEAD_TIMEOUT,
    keep_alive: float = KEEP_ALIVE,
    max_connections: int = MAX_CONNECTIONS,
    **options: Any,
) -> Iterator[RunningServer]:
    """Serve ``store_dir`` from a background thread (tests, the load test) until the block ends.

    Binding the socket here (port 0: any free port) means the URL is known, and taken, before
    uvicorn starts. ``options`` are those of :func:`create_app`.
    """
    import uvicorn

    app = create_app(store_dir, **options)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this on Linux; without it small responses wait out the client's
    # delayed ACK (40 ms) behind Nagle's algorithm.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn_config(
        app,
        log_level=log_level,
        head_timeout=head_timeout,
        keep_alive=keep_alive,
        max_connections=max_connections,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="pfocr-ld-serve", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the server did not start (see the log above)")
        time.sleep(0.02)
    try:
        shown = f"[{host}]" if ":" in host else host
        yield RunningServer(f"http://{shown}:{bound_port}", app.app.state.pfocr)  # type: ignore[attr-defined]
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@click.command("serve")
@click.option(
    "--store",
    "store_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The store to serve (made by `pfocr-ld load DUMP --store DIR`); opened read-only.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on."
)
@click.option(
    "--base",
    default=vocab.DEFAULT_BASE,
    show_default=True,
    help="The figure IRI base the store was built with; figure IRIs resolve under its path.",
)
@click.option(
    "--void",
    "void_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Serve this void.ttl at /void (default: the dataset description loaded with the data).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds a SPARQL query may run before its worker is stopped.",
)
@click.option(
    "--max-results",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Rows (or triples) a SPARQL result may have.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="SPARQL worker processes (queries run in parallel up to this many).",
)
@click.option(
    "--worker-memory",
    type=click.IntRange(min=0),
    default=2048,
    show_default=True,
    help="Address-space limit of each SPARQL worker in MiB (0: none).",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=1_000_000,
    show_default=True,
    help="Largest request body in bytes.",
)
@click.option(
    "--max-query-length",
    type=click.IntRange(min=100),
    default=100_000,
    show_default=True,
    help="Longest SPARQL query in characters.",
)
@click.option(
    "--cache-seconds",
    type=click.IntRange(min=0),
    default=300,
    show_default=True,
    help="Cache-Control max-age of figures, pages and results.",
)
@click.option(
    "--head-timeout",
    type=click.FloatRange(min=0.1),
    default=HEAD_TIMEOUT,
    show_default=True,
    help="Seconds a client may take to send a whole request head (from connecting, or after a response).",
)
@click.option(
    "--keep-alive",
    type=click.FloatRange(min=0.1),
    default=KEEP_ALIVE,
    show_default=True,
    help="Seconds an idle keep-alive connection is kept open after a response.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=MAX_CONNECTIONS,
    show_default=True,
    help="Open connections at most; over it, the one waiting longest for a request head is closed.",
)
@click.option(
    "--no-sandbox",
    is_flag=True,
    help="Run query workers WITH network access when this system cannot sandbox them (unsafe in "
    "public: only the lexical check then keeps SERVICE out).",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
def serve_command(
    store_dir: Path,
    host: str,
    port: int,
    base: str,
    void_file: Path | None,
    timeout: float,
    max_results: int,
    workers: int,
    worker_memory: int,
    max_body: int,
    max_query_length: int,
    cache_seconds: int,
    head_timeout: float,
    keep_alive: float,
    max_connections: int,
    no_sandbox: bool,
    log_level: str,
) -> None:
    """Serve a store: figure pages and data at their IRIs, /void, and a read-only SPARQL endpoint.

    \b
    pfocr-ld load output/ --store pfocr-store
    pfocr-ld serve --store pfocr-store --port 8080
    curl -H 'Accept: text/turtle' http://127.0.0.1:8080/figures/PMC3376449__fonc-02-00062-g001.html
    curl 'http://127.0.0.1:8080/sparql' --data-urlencode 'query=SELECT * WHERE { ?s ?p ?o } LIMIT 3'
    """
    import uvicorn

    if no_sandbox:
        click.echo("warning: --no-sandbox: query workers can open network connections", err=True)
    else:
        # Fail closed, with one line, before anything listens: the workers would not start anyway.
        try:
            sandbox.probe()
        except sandbox.SandboxError as error:
            raise click.ClickException(
                f"cannot cut the query workers off from the network here ({error}); refusing to serve. "
                "Install libseccomp (Debian: libseccomp2), or pass --no-sandbox for a private server"
            ) from error
    try:
        app = create_app(
            store_dir,
            base,
            void_file=void_file,
            timeout=timeout,
            max_results=max_results,
            workers=workers,
            worker_memory=worker_memory,
            max_body=max_body,
            max_query_length=max_query_length,
            cache_seconds=cache_seconds,
            sandbox=not no_sandbox,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    path = urlsplit(base).path
    click.echo(
        f"serving {store_dir} at http://{host}:{port}/ (figures under {path}, SPARQL at /sparql)", err=True
    )
    server = uvicorn.Server(
        uvicorn_config(
            app,
            log_level=log_level,
            head_timeout=head_timeout,
            keep_alive=keep_alive,
            max_connections=max_connections,
            host=host,
            port=port,
        )
    )
    server.run()
    if not server.started:
        sys.exit(3)  # as uvicorn.run: startup failed (the reason is logged)


__all__ = [
    "QueryPool",
    "RunningServer",
    "create_app",
    "inspect_sparql",
    "negotiate",
    "running_server",
    "serve_command",
]
