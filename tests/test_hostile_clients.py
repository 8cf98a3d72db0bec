"""`pfocr-ld serve` against slow and half-open clients, and hostile IRIs in its HTML.

A real server (uvicorn in a thread on 127.0.0.1) with small limits: a 2 s request-head timeout, a
0.5 s keep-alive and at most 40 connections. Raw sockets play the hostile clients: more half-sent
request heads than the connection limit, a connection that never sends a byte, one that sends a
byte at a time, an idle keep-alive connection. Legitimate requests must be answered meanwhile
(before this guard, uvicorn answered 503 to everyone while the half-open connections stayed open,
and kept a silent connection for ever). Then IRIs with a ``javascript:`` or other non-http(s)
scheme in a SPARQL result rendered as HTML must be text, not links.
"""

from __future__ import annotations

import html
import html.parser
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pfocr_ld import rdf, templates, vocab
from pfocr_ld.serve import RunningServer, running_server
from pfocr_ld.templates import safe_href

HEAD_TIMEOUT = 2.0
KEEP_ALIVE = 0.5
MAX_CONNECTIONS = 40
#: Scheduling slack on a loaded 2-core machine.
MARGIN = 2.0


@pytest.fixture(scope="module")
def served(sample_store: tuple[Path, Path]) -> Iterator[RunningServer]:
    _, store = sample_store
    with running_server(
        store,
        workers=1,
        head_timeout=HEAD_TIMEOUT,
        keep_alive=KEEP_ALIVE,
        max_connections=MAX_CONNECTIONS,
    ) as running:
        yield running


def address(served: RunningServer) -> tuple[str, int]:
    host, port = served.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def closed_after(sock: socket.socket, limit: float) -> tuple[float, bytes]:
    """Seconds until the server closes ``sock`` (reading whatever it sends), at most ``limit``."""
    started = time.monotonic()
    received = b""
    sock.settimeout(0.2)
    while time.monotonic() - started < limit:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    else:
        raise AssertionError(f"the connection was still open after {limit} s")
    return time.monotonic() - started, received


def test_half_open_flood_does_not_lock_out_clients(served: RunningServer) -> None:
    flood = []
    try:
        for _ in range(MAX_CONNECTIONS * 2 + 20):
            sock = socket.create_connection(address(served), timeout=5)
            sock.sendall(b"GET /void HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/turtle\r\n")  # no blank line
            flood.append(sock)
        started = time.monotonic()
        with httpx.Client(base_url=served.url, timeout=HEAD_TIMEOUT + MARGIN) as client:
            answers = [client.get("/void", headers={"Accept": "text/turtle"}) for _ in range(5)]
            query = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        elapsed = time.monotonic() - started
        assert [a.status_code for a in answers] == [200] * 5
        assert query.status_code == 200 and query.json()["boolean"] is True
        assert elapsed < HEAD_TIMEOUT + MARGIN, elapsed
        # Every half-open connection is gone within the head timeout: evicted at once, or 408.
        for sock in flood:
            _, received = closed_after(sock, HEAD_TIMEOUT + MARGIN)
            assert received == b"" or received.startswith(b"HTTP/1.1 408 ")
    finally:
        for sock in flood:
            sock.close()


def test_silent_connection_is_closed_with_408(served: RunningServer) -> None:
    with socket.create_connection(address(served), timeout=5) as sock:
        seconds, received = closed_after(sock, HEAD_TIMEOUT + MARGIN)
    assert HEAD_TIMEOUT * 0.8 <= seconds < HEAD_TIMEOUT + MARGIN
    assert received.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"connection: close" in received.lower()


def test_dripping_head_is_closed_at_the_head_timeout(served: RunningServer) -> None:
    """A byte every 0.2 s keeps the connection busy but never completes the head: closed anyway."""
    head = b"GET /void HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    with socket.create_connection(address(served), timeout=5) as sock:
        started = time.monotonic()
        closed = False
        for byte in head:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.2)
            if time.monotonic() - started > HEAD_TIMEOUT + MARGIN:
                break
        if not closed:
            closed_after(sock, 1.0)
        assert time.monotonic() - started < HEAD_TIMEOUT + MARGIN + 1.0


def test_idle_keep_alive_connection_is_closed(served: RunningServer) -> None:
    with socket.create_connection(address(served), timeout=5) as sock:
        sock.sendall(b"GET /void HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/turtle\r\n\r\n")
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            buffer += sock.recv(65536)
        head, _, body = buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += sock.recv(65536)
        seconds, received = closed_after(sock, KEEP_ALIVE + MARGIN)
    assert received == b""  # closed by the keep-alive limit, before the head timeout could send 408
    assert seconds < KEEP_ALIVE + MARGIN


def test_keep_alive_connection_serves_a_second_request(served: RunningServer) -> None:
    """The head timer restarts after each response: a prompt second request is served."""
    with httpx.Client(base_url=served.url, timeout=10) as client:
        first = client.get("/void", headers={"Accept": "text/turtle"})
        second = client.get("/void", headers={"Accept": "text/turtle"})
    assert first.status_code == second.status_code == 200
    assert first.text == second.text


# Hostile IRIs in HTML ----------------------------------------------------------------------------------
class Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "href" and value is not None:
                self.hrefs.append(value)
            if name == "src" and value is not None:
                self.sources.append(value)


HOSTILE_IRIS = (
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
)


def test_non_http_iris_in_results_are_text(served: RunningServer) -> None:
    values = " ".join(f"<{iri}>" for iri in HOSTILE_IRIS)
    text = f"SELECT ?x WHERE {{ VALUES ?x {{ {values} <https://example.org/ok> }} }}"
    page = httpx.get(
        served.url + "/sparql", params={"query": text}, headers={"Accept": "text/html"}, timeout=30
    )
    assert page.status_code == 200
    links = Links()
    links.feed(page.text)
    scheme_of = [
        href.split(":", 1)[0].strip().lower() for href in links.hrefs if ":" in href.split("/", 1)[0]
    ]
    assert set(scheme_of) <= {"http", "https"}, links.hrefs
    assert "https://example.org/ok" in links.hrefs  # http(s) IRIs are still links
    for iri in HOSTILE_IRIS:
        assert html.escape(iri) in page.text  # shown, as text


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("https://www.ncbi.nlm.nih.gov/gene/7099", True),
        ("HTTP://example.org/", True),
        ("/figures/PMC1__x.html", True),
        ("#main", True),
        ("?page=2", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("\x01javascript:alert(1)", False),
        ("JAVASCRIPT:alert(1)", False),
        ("data:text/html,x", False),
        ("vbscript:x", False),
        ("urn:isbn:1", False),
        ("", False),
    ],
)
def test_safe_href(href: str, kept: bool) -> None:
    assert (safe_href(href) == href) is kept


def test_figure_page_shows_non_http_iris_as_text() -> None:
    """A figure whose see-also, licence and image IRIs are javascript:/data: gets no such link or image."""
    iri = "https://pfocr.wikipathways.org/figures/PMC1__evil.html"
    hostile = ("javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox(1)")
    triples = [
        (iri, vocab.T.rdf["type"], f"<{vocab.T.pfocr['Figure']}>"),
        (iri, vocab.T.dc["title"], rdf.literal("A figure")),
        (iri, vocab.T.schema["image"], f"<{hostile[0]}>"),
        (iri, vocab.T.dcterms["license"], f"<{hostile[2]}>"),
        *((iri, vocab.T.rdfs["seeAlso"], f"<{value}>") for value in (*hostile, "https://example.org/ok")),
    ]
    page = templates.figure_page(triples, iri, schema_block="{}", formats=[])
    links = Links()
    links.feed(page)
    for value in hostile:
        assert value not in links.hrefs and value not in links.sources
        assert html.escape(value) in page  # still shown, as text
    assert "https://example.org/ok" in links.hrefs
