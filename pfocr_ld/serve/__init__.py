"""``pfocr-ld serve``: figure IRIs that resolve, the dataset description and a read-only SPARQL endpoint.

This package owns the HTTP face of a store made by ``pfocr-ld load`` (a Starlette app run by uvicorn):

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
* ``/enrich`` ranks figures for a gene list (:mod:`pfocr_ld.serve.enrich`), as a page and JSON;
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

The package, by role (each module's docstring says what it owns):

* :mod:`~pfocr_ld.serve.negotiation`: media types, ``Accept`` parsing and negotiation, ETags;
* :mod:`~pfocr_ld.serve.lexer` and :mod:`~pfocr_ld.serve.guard`: the SPARQL lexer, and what refuses
  a query before any engine sees it;
* :mod:`~pfocr_ld.serve.jobs` and :mod:`~pfocr_ld.serve.workers`: what a query worker is handed and
  answers, the worker process and the :class:`QueryPool`;
* :mod:`~pfocr_ld.serve.descriptions`: figure and dataset descriptions read from the store, their
  serialisation, the cache of rendered representations;
* :mod:`~pfocr_ld.serve.config`: :class:`ServeConfig`, where every default is defined once;
* :mod:`~pfocr_ld.serve.core` (the server's state and shared plumbing) and one module per route
  family: :mod:`~pfocr_ld.serve.figures`, :mod:`~pfocr_ld.serve.documents`,
  :mod:`~pfocr_ld.serve.endpoint` (``/sparql``), :mod:`~pfocr_ld.serve.enrich` (``/enrich``) and
  :mod:`~pfocr_ld.serve.named` (``/query/<name>``);
* :mod:`~pfocr_ld.serve.app`: :class:`PfocrServer`, :func:`create_app` and the middleware;
* :mod:`~pfocr_ld.serve.cli`: the ``pfocr-ld serve`` command;
* :mod:`~pfocr_ld.serve.testing`: :func:`running_server`, a real server in a thread for tests.

The names below are re-exported so that ``from pfocr_ld.serve import X`` keeps working.
"""

from __future__ import annotations

from pfocr_ld.serve.app import PfocrServer, app_for, create_app
from pfocr_ld.serve.cli import serve_command
from pfocr_ld.serve.config import (
    HEAD_TIMEOUT,
    KEEP_ALIVE,
    MAX_CONNECTIONS,
    ServeConfig,
    config_default,
    uvicorn_config,
)
from pfocr_ld.serve.core import log, named_query_examples
from pfocr_ld.serve.descriptions import (
    _LRU,
    RepresentationCache,
    dataset_description,
    figure_description,
    rdf_body,
)
from pfocr_ld.serve.figures import FIGURES_PER_PAGE
from pfocr_ld.serve.guard import FEDERATION_REFUSED, MAX_NESTING, check_query
from pfocr_ld.serve.http_errors import HttpError
from pfocr_ld.serve.jobs import NamedJob, QueryJob, QueryOutcome
from pfocr_ld.serve.lexer import QueryShape, inspect_sparql, unescape_codepoints
from pfocr_ld.serve.negotiation import (
    CONTENT_TYPES,
    MediaRange,
    Representation,
    etag_matches,
    negotiate,
    parse_accept,
    strong_etag,
)
from pfocr_ld.serve.testing import RunningServer, running_server
from pfocr_ld.serve.workers import QueryPool, WorkerStartError, run_job

#: The name pfocr_ld.query imports (it unescapes SPARQL text as this server's lexer reads it).
_unescape_codepoints = unescape_codepoints

__all__ = [
    "CONTENT_TYPES",
    "FEDERATION_REFUSED",
    "FIGURES_PER_PAGE",
    "HEAD_TIMEOUT",
    "KEEP_ALIVE",
    "MAX_CONNECTIONS",
    "MAX_NESTING",
    "_LRU",
    "HttpError",
    "MediaRange",
    "NamedJob",
    "PfocrServer",
    "QueryJob",
    "QueryOutcome",
    "QueryPool",
    "QueryShape",
    "Representation",
    "RepresentationCache",
    "RunningServer",
    "ServeConfig",
    "WorkerStartError",
    "_unescape_codepoints",
    "app_for",
    "check_query",
    "config_default",
    "create_app",
    "dataset_description",
    "etag_matches",
    "figure_description",
    "inspect_sparql",
    "log",
    "named_query_examples",
    "negotiate",
    "parse_accept",
    "rdf_body",
    "run_job",
    "running_server",
    "serve_command",
    "strong_etag",
    "unescape_codepoints",
    "uvicorn_config",
]
