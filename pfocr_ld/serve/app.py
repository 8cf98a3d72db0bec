"""The Starlette app of ``pfocr-ld serve``: the server object, its routes, middleware and error pages.

:class:`PfocrServer` is the server's state (:class:`~pfocr_ld.serve.core.ServerCore`) with its
handlers, one route family per module (figures, documents, the SPARQL endpoint) plus the ``/enrich``
and ``/query/<name>`` services. :func:`create_app` builds the app from :class:`ServeConfig`'s fields:
routes, exception handlers (every error is a short text or an HTML page by negotiation, never a
traceback), the query workers' lifespan, and middleware registered the Starlette way:

* :class:`PublicCORS`: Starlette's ``CORSMiddleware`` for a public, read-only, credential-less API
  (OPTIONS is a preflight only with ``Origin`` and ``Access-Control-Request-Method``, as browsers send);
* :class:`SecurityHeaders`: ``nosniff``, a referrer policy, and a Content-Security-Policy on pages;
* :class:`AnswerOptions`: any other ``OPTIONS`` (RFC 9110 §9.3.7) gets ``204`` and ``Allow``.
"""

from __future__ import annotations

import contextlib
import logging
import posixpath
from collections.abc import AsyncIterator, Collection
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pfocr_ld import vocab
from pfocr_ld.serve.config import ServeConfig
from pfocr_ld.serve.documents import DocumentRoutes
from pfocr_ld.serve.endpoint import SparqlRoutes
from pfocr_ld.serve.enrich import EnrichService
from pfocr_ld.serve.figures import FigureRoutes
from pfocr_ld.serve.http_errors import HttpError
from pfocr_ld.serve.named import NamedQueryService

log = logging.getLogger("pfocr_ld.serve")


class PfocrServer(FigureRoutes, DocumentRoutes, SparqlRoutes):
    """The server's state (stores, pool, caches) and its request handlers, route family by route family."""

    def __init__(self, config: ServeConfig) -> None:
        super().__init__(config)
        self.enrichment = EnrichService(self)  # /enrich: figures for a gene list
        self.named = NamedQueryService(self)  # /query/<name>: named queries, page by page


# Middleware ----------------------------------------------------------------------------------------------
#: The methods of every route; a preflight for another is refused (``400``, Starlette's answer).
ALLOWED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
#: Response headers a browser script may read besides the CORS-safelisted ones.
EXPOSED_HEADERS = ("ETag", "Content-Location", "Link", "Vary", "X-Total-Count")
_CSP = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class PublicCORS(CORSMiddleware):
    """Starlette's CORS middleware, configured for a public read-only API, with two differences.

    Every resource is public and read-only, so any origin may read it, without credentials. Unlike the
    base class, every response carries ``Access-Control-Allow-Origin: *`` whether or not the request
    named an ``Origin``: the response then does not depend on ``Origin``, so it needs no
    ``Vary: Origin``, which the base class adds to every response and which would split each entry of
    a shared cache by origin (and change the ``Vary: Accept`` clients see). And a granted preflight is
    ``204 No Content`` (Fetch accepts any ok status; the base class sends the text ``OK`` with ``200``).
    """

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(
            app,
            allow_origins=("*",),
            allow_methods=ALLOWED_METHODS,
            allow_headers=("*",),  # echoes Access-Control-Request-Headers: nothing here is secret
            expose_headers=EXPOSED_HEADERS,
            max_age=86400,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 200:
            return response
        kept = {k: v for k, v in response.headers.items() if k not in ("content-type", "content-length")}
        return Response(status_code=204, headers=kept)

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", [])
            MutableHeaders(scope=message).update(self.simple_headers)
        await send(message)


def security_headers(content_type: str) -> dict[str, str]:
    """The headers every response carries (and, on HTML, the Content-Security-Policy)."""
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"}
    if content_type.startswith("text/html"):
        headers["Content-Security-Policy"] = _CSP
    return headers


class SecurityHeaders:
    """Pure ASGI middleware adding :func:`security_headers` to every response (a handler's own win)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in security_headers(headers.get("content-type", "")).items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AnswerOptions:
    """``OPTIONS`` that is not a CORS preflight (:class:`PublicCORS` answers those): ``204`` and ``Allow``."""

    def __init__(self, app: ASGIApp, methods: Collection[str] = ALLOWED_METHODS) -> None:
        self.app = app
        self.allow = ", ".join(methods)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            await Response(status_code=204, headers={"Allow": self.allow})(scope, receive, send)
            return
        await self.app(scope, receive, send)


def middleware() -> list[Middleware]:
    """The app's middleware, outermost first: CORS, then security headers, then plain ``OPTIONS``."""
    return [Middleware(PublicCORS), Middleware(SecurityHeaders), Middleware(AnswerOptions)]


# The app -------------------------------------------------------------------------------------------------
def create_app(
    store_dir: Path | str,
    base: str = vocab.DEFAULT_BASE,
    *,
    void_file: Path | str | None = None,
    **options: Any,
) -> Starlette:
    """The Starlette app serving the store at ``store_dir`` (a ``pfocr-ld load`` folder), read-only.

    ``options`` are the other fields of :class:`ServeConfig` (``timeout``, ``max_results``,
    ``workers``, ``worker_memory``, ``max_body``, ``max_query_length``, ``cache_seconds``,
    ``sandbox``, …), with its defaults. Raises ``ValueError`` for a bad ``base`` or ``void_file``,
    ``TypeError`` for an unknown option, and :class:`~pfocr_ld.store.StoreError` when the store
    cannot be opened. The query workers start with the app's lifespan; each cuts itself off from the
    network first (:mod:`pfocr_ld.sandbox`) and the start fails when it cannot, unless
    ``sandbox=False`` (then only the lexical check keeps SERVICE out: not safe in public).
    """
    return app_for(ServeConfig(Path(store_dir), base, Path(void_file) if void_file else None, **options))


def app_for(config: ServeConfig) -> Starlette:
    """The Starlette app for ``config``; the :class:`PfocrServer` is ``app.state.pfocr``."""
    server = PfocrServer(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
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
        response = server.error_response(
            request,
            HttpError(500, "Server error", "something went wrong on the server; the error has been logged"),
        )
        # Starlette answers a crash outside the middleware stack: give the page the headers it adds.
        response.headers.update(
            {
                "Access-Control-Allow-Origin": "*",
                **security_headers(response.headers.get("content-type", "")),
            }
        )
        return response

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
        middleware=middleware(),
        lifespan=lifespan,
        exception_handlers={HttpError: on_http_error, HTTPException: on_starlette_error, Exception: on_crash},
    )
    app.state.pfocr = server
    return app
