"""Seams of the ``pfocr_ld.serve`` package that need no store: its middleware and where defaults live.

The middleware stack of the real app (:func:`pfocr_ld.serve.app.middleware`) is run here around two
plain routes through httpx's in-process ASGI transport; the same headers on the real server, over a
socket, are asserted in tests/test_serve.py (``test_cors_headers_and_preflight``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pfocr_ld.serve import ServeConfig, create_app, serve_command
from pfocr_ld.serve.app import ALLOWED_METHODS, EXPOSED_HEADERS, middleware

ORIGIN = {"Origin": "https://example.org"}


async def _page(request: Request) -> Response:
    return Response("<p>hi</p>", headers={"Content-Type": "text/html; charset=utf-8", "Vary": "Accept"})


async def _data(request: Request) -> Response:
    return Response(
        "<a:b> <a:c> <a:d> .\n",
        headers={"Content-Type": "text/turtle", "Vary": "Accept", "Referrer-Policy": "no-referrer"},
    )


class Client:
    """Requests into the app through httpx's ASGI transport (in process, no lifespan needed)."""

    def __init__(self) -> None:
        self.app = Starlette(
            routes=[Route("/page", _page, methods=["GET"]), Route("/data", _data, methods=["GET", "POST"])],
            middleware=middleware(),
        )

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                return await http.request(method, path, headers=headers)

        return asyncio.run(call())

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.request("GET", path, headers)

    def options(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.request("OPTIONS", path, headers)


@pytest.fixture(name="client")
def client_fixture() -> Client:
    return Client()


def test_a_browser_preflight_is_granted_with_204(client: Client) -> None:
    response = client.options(
        "/data",
        headers={
            **ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-requested-with",
        },
    )
    assert response.status_code == 204 and response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == ", ".join(ALLOWED_METHODS)
    assert response.headers["access-control-allow-headers"] == "content-type, x-requested-with"
    assert response.headers["access-control-max-age"] == "86400"
    assert "content-type" not in response.headers


def test_a_preflight_for_a_method_the_server_lacks_is_refused(client: Client) -> None:
    response = client.options("/data", headers={**ORIGIN, "Access-Control-Request-Method": "DELETE"})
    assert response.status_code == 400


@pytest.mark.parametrize("headers", [{}, ORIGIN, {"Access-Control-Request-Method": "POST"}])
def test_other_options_requests_name_the_methods(client: Client, headers: dict[str, str]) -> None:
    """Without both Origin and Access-Control-Request-Method it is no preflight (RFC 9110 §9.3.7)."""
    for path in ("/data", "/nowhere"):
        response = client.options(path, headers=headers)
        assert response.status_code == 204, (path, headers)
        assert response.headers["allow"] == "GET, HEAD, POST, OPTIONS"
        assert response.headers["access-control-allow-origin"] == "*"


def test_responses_do_not_vary_by_origin(client: Client) -> None:
    """ACAO ``*`` on every response, with or without Origin, so caches need no ``Vary: Origin``."""
    plain, cors = client.get("/data"), client.get("/data", headers=ORIGIN)
    for response in (plain, cors):
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["vary"] == "Accept"
        exposed = {h.strip() for h in response.headers["access-control-expose-headers"].split(",")}
        assert exposed == set(EXPOSED_HEADERS)
    assert {k: v for k, v in plain.headers.items() if k != "date"} == {
        k: v for k, v in cors.headers.items() if k != "date"
    }


def test_security_headers_on_every_response_and_a_csp_on_pages(client: Client) -> None:
    page, data = client.get("/page"), client.get("/data")
    for response in (page, data, client.get("/nowhere")):
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "content-security-policy" not in data.headers
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert data.headers["referrer-policy"] == "no-referrer"  # a handler's own header wins


def test_the_command_reads_its_defaults_from_serve_config() -> None:
    """Each default is written once, in ServeConfig: the command's options show those values."""
    fields = {f.name: f.default for f in dataclasses.fields(ServeConfig) if f.init}
    options = {param.name: param.default for param in serve_command.params}
    shared = (set(fields) & set(options)) - {"store_dir"}
    assert shared == {
        "base",
        "void_file",
        "timeout",
        "max_results",
        "workers",
        "worker_memory",
        "max_body",
        "max_query_length",
        "cache_seconds",
    }
    for name in shared:
        assert options[name] == fields[name], name
    assert fields["sandbox"] is True and options["no_sandbox"] is False


def test_create_app_takes_serve_config_fields_only(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="no_such_option"):
        create_app(tmp_path, no_such_option=1)
    with pytest.raises(ValueError, match="--base must be an http"):
        create_app(tmp_path, "ftp://example.org/figures/")


def test_a_crash_is_a_short_page_with_the_usual_headers(sample_store_dir: Path) -> None:
    """Starlette answers an unhandled error outside the middleware: the app adds their headers itself."""
    app = create_app(sample_store_dir, workers=1)

    async def boom(request: Request) -> Response:
        raise RuntimeError("a bug")

    app.router.add_route("/boom", boom, methods=["GET"])

    async def call() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return [await http.get("/boom", headers={"Accept": a}) for a in ("text/html", "text/plain")]

    page, text = asyncio.run(call())
    for response in (page, text):
        assert response.status_code == 500
        assert "a bug" not in response.text and "Traceback" not in response.text
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert text.text.startswith("500 Server error: ")
