"""The public endpoint and ``pfocr-ld query`` never make a request to another address.

A listener of the test's own on 127.0.0.1 answers like a SPARQL endpoint with a secret marker and
counts every connection. Queries that try to reach it (``SERVICE`` in every spelling the engine
accepts: case, comments, escapes in the IRI, prefixed names, SILENT, nested in OPTIONAL, UNION,
MINUS, FILTER EXISTS, GRAPH, subqueries, after a name holding U+00B7 and an escaped quote that
fooled the old lexical check; ``SERVICE ?var``; ``\\u0053ERVICE``; ``FROM``/``FROM NAMED``/``LOAD``
and the protocol's graph parameters naming it) go to a real ``pfocr-ld serve`` — over HTTP and
straight to its query workers, past the lexical check — and to ``pfocr-ld query``. The listener
must receive nothing, each answer must be a 4xx (or a plain answer for FROM, which names local
graphs), no answer may hold the marker, and the server must go on answering. The same queries run
on a bare pyoxigraph store in this process *do* reach a second listener: the attacks are real, the
sandbox (``pfocr_ld/sandbox.py``) is what stops them. With ``--allow-service`` the CLI may federate.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pfocr_ld import sandbox
from pfocr_ld.serve import FEDERATION_REFUSED, QueryJob, RunningServer, inspect_sparql, running_server

REPO = Path(__file__).resolve().parent.parent
MARKER = f"listener-secret-{uuid.uuid4().hex}"


class Listener:
    """A loopback TCP server that answers every request with a SPARQL JSON result holding MARKER."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.accepted = 0
        self.received = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        result = {
            "head": {"vars": ["z"]},
            "results": {"bindings": [{"z": {"type": "literal", "value": MARKER}}]},
        }
        body = json.dumps(result).encode()
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            with conn:
                conn.settimeout(2)
                try:
                    self.received += conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                        b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    """The address the server must never reach."""
    target = Listener()
    yield target
    target.close()


@pytest.fixture(scope="module")
def live_listener() -> Iterator[Listener]:
    """The same kind of listener, for the bare engine (no sandbox) to show the attacks work."""
    target = Listener()
    yield target
    target.close()


@pytest.fixture(scope="module")
def served(sample_store: tuple[Path, Path]) -> Iterator[RunningServer]:
    _, store = sample_store
    with running_server(store, timeout=10, workers=1, max_results=1000) as running:
        yield running


def bare_store() -> ox.Store:
    """A store with a triple in the default graph and in a named graph, so every wrapper has rows."""
    store = ox.Store()
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    store.add(ox.Quad(s, p, ox.Literal("o")))
    store.add(ox.Quad(s, p, ox.Literal("o"), ox.NamedNode("http://example.org/g")))
    return store


def reaches(listener: Listener, text: str) -> bool:
    """Whether the bare engine, run in this process, connects to ``listener`` for ``text``."""
    before = listener.accepted
    try:
        answer = bare_store().query(text)
        if not isinstance(answer, ox.QueryBoolean):
            list(answer)
    except (OSError, RuntimeError, SyntaxError, ValueError):
        pass
    return listener.accepted > before


def ask_server(served: RunningServer, text: str, **params: str) -> httpx.Response:
    return httpx.get(served.url + "/sparql", params={"query": text, **params}, timeout=30)


def ask_worker(served: RunningServer, text: str) -> tuple[int, str]:
    """Run ``text`` on the server's query workers directly: no lexical check on the way."""
    pool = served.server.pool
    assert pool._loop is not None
    outcome = asyncio.run_coroutine_threadsafe(pool.run(QueryJob(text)), pool._loop).result(60)
    return outcome.status, outcome.message + outcome.body.decode("utf-8", "replace")


def assert_normal_query_works(served: RunningServer) -> None:
    answer = ask_server(served, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert answer.status_code == 200, answer.text
    assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) > 0


# Hand-written attempts -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    name: str
    template: str  # {url}: the listener's endpoint URL; {root}: its http://127.0.0.1:PORT/
    live: bool = True  # the bare engine does send a request for it (checked)
    silent: bool = False  # the engine turns a failed service into a normal answer (SILENT, MINUS)

    def text(self, target: Listener) -> str:
        return self.template.replace("{url}", target.url).replace(
            "{root}", f"http://127.0.0.1:{target.port}/"
        )


BODY = "{ ?s ?y ?z }"
#: A left-hand side of one row, in any store: the engine evaluates what follows at once.
LEFT = "VALUES ?s { <http://example.org/s> }"
ATTEMPTS = [
    # The hole that was reported: U+00B7 ends a name for the old scanner, which then took the
    # escaped quote for the start of a string running over the SERVICE clause.
    Attempt(
        "middot-escaped-quote",
        "PREFIX ex: <http://example.org/>\nSELECT * WHERE { OPTIONAL { ?s ex:p ex:a\u00b7\\' } "
        "SERVICE <{url}> " + BODY + ' OPTIONAL { ?s ex:p "\'" } }',
    ),
    Attempt("plain", "SELECT * WHERE { SERVICE <{url}> " + BODY + " }"),
    Attempt("lower-case", "select * where { service <{url}> " + BODY + " }"),
    Attempt("mixed-case", "SeLeCt * WhErE { sErViCe <{url}> " + BODY + " }"),
    Attempt("comment", "SELECT * WHERE { SERVICE # a comment\n <{url}> " + BODY + " }"),
    Attempt("comment-decoy", "SELECT * WHERE { # SERVICE? no\n SERVICE\t<{url}>\n" + BODY + " }"),
    Attempt(
        "escaped-iri",
        "SELECT * WHERE { SERVICE <\\u0068ttp://127.0.0.1:{port}/sparql> " + BODY + " }",
    ),
    Attempt("prefixed-name", "PREFIX l: <{root}> SELECT * WHERE { SERVICE l:sparql " + BODY + " }"),
    Attempt("empty-prefix", "PREFIX : <{root}> SELECT * WHERE { SERVICE :sparql " + BODY + " }"),
    Attempt("silent", "SELECT * WHERE { SERVICE SILENT <{url}> " + BODY + " }", silent=True),
    Attempt("optional", "SELECT * WHERE { " + LEFT + " OPTIONAL { SERVICE <{url}> " + BODY + " } }"),
    Attempt("union", "SELECT * WHERE { { SERVICE <{url}> " + BODY + " } UNION { " + LEFT + " } }"),
    # Oxigraph drops errors of a MINUS's right side: a failed SERVICE there is a normal answer.
    Attempt("minus", "SELECT * WHERE { " + LEFT + " MINUS { SERVICE <{url}> " + BODY + " } }", silent=True),
    Attempt("filter-exists", "SELECT * WHERE { FILTER EXISTS { SERVICE <{url}> " + BODY + " } }"),
    Attempt("graph", "SELECT * WHERE { GRAPH ?g { SERVICE <{url}> " + BODY + " } }"),
    Attempt("subquery", "SELECT * WHERE { { SELECT * WHERE { SERVICE <{url}> " + BODY + " } } }"),
    Attempt("ask", "ASK { SERVICE <{url}> " + BODY + " }"),
    Attempt("construct", "CONSTRUCT { ?s ?y ?z } WHERE { SERVICE <{url}> " + BODY + " }"),
    Attempt("describe", "DESCRIBE ?s WHERE { SERVICE <{url}> " + BODY + " }"),
    Attempt("hostname", "SELECT * WHERE { SERVICE <http://localhost:{port}/sparql> " + BODY + " }"),
    Attempt("keyword-after-dot", "SELECT * WHERE { OPTIONAL { ?s ?p true } . SERVICE <{url}> " + BODY + " }"),
    # Legal SPARQL that Oxigraph 0.5 does not evaluate (it rejects \\u in keywords and leaves a
    # SERVICE variable unbound); refused all the same, and no request whatever a later engine does.
    Attempt("escaped-keyword", "SELECT * WHERE { \\u0053ERVICE <{url}> " + BODY + " }", live=False),
    Attempt(
        "variable-values", "SELECT * WHERE { VALUES ?svc { <{url}> } SERVICE ?svc " + BODY + " }", live=False
    ),
    Attempt(
        "variable-bind", "SELECT * WHERE { BIND(<{url}> AS ?svc) SERVICE ?svc " + BODY + " }", live=False
    ),
]


def _text(attempt: Attempt, target: Listener) -> str:
    return attempt.text(target).replace("{port}", str(target.port))


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.name)
def test_attempts_are_real(attempt: Attempt, live_listener: Listener) -> None:
    """Without the sandbox the engine does make each request: the corpus tests something."""
    assert reaches(live_listener, _text(attempt, live_listener)) == attempt.live


class _FakeTarget(Listener):
    def __init__(self) -> None:  # no socket: only url and port are read
        self.port = 9
        self.url = "http://127.0.0.1:9/sparql"


def test_the_reported_hole_is_seen_by_the_lexer() -> None:
    """The lexical check (friendly 400s only) now reads names as the grammar does."""
    assert inspect_sparql(_text(ATTEMPTS[0], _FakeTarget())).service


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.name)
def test_server_refuses_and_sends_nothing(
    attempt: Attempt, served: RunningServer, listener: Listener
) -> None:
    text = _text(attempt, listener)
    for accept in ("application/sparql-results+json", "text/html"):
        answer = httpx.get(
            served.url + "/sparql", params={"query": text}, headers={"Accept": accept}, timeout=30
        )
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
        assert MARKER not in answer.text
    posted = httpx.post(
        served.url + "/sparql",
        content=text.encode(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert 400 <= posted.status_code < 500 and MARKER not in posted.text
    assert listener.accepted == 0 and not listener.received
    assert_normal_query_works(served)


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.name)
def test_workers_cannot_reach_anything(attempt: Attempt, served: RunningServer, listener: Listener) -> None:
    """Past the lexical check, straight to a query worker: the sandbox alone stops the request."""
    status, message = ask_worker(served, _text(attempt, listener))
    assert MARKER not in message
    # The engine's error when the connection fails is a 400 that never echoes it; where the engine
    # itself swallows the failure (SILENT, MINUS, FILTER EXISTS) the answer is a normal, local one.
    assert status in (200, 400), message
    if status == 400 and attempt.live:
        assert message.startswith(FEDERATION_REFUSED), message
    if not attempt.silent and attempt.name in ("plain", "middot-escaped-quote", "prefixed-name", "construct"):
        assert status == 400
    assert listener.accepted == 0 and not listener.received
    assert ask_worker(served, "ASK { ?s ?p ?o }")[0] == 200


def test_from_load_and_graph_parameters(served: RunningServer, listener: Listener) -> None:
    """FROM, FROM NAMED and the protocol's graph parameters name local graphs; LOAD is an update."""
    for text in (
        f"SELECT * FROM <{listener.url}> WHERE {{ ?s ?p ?o }} LIMIT 1",
        f"SELECT * FROM NAMED <{listener.url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 1",
    ):
        answer = ask_server(served, text)
        assert answer.status_code == 200, answer.text
        assert answer.json()["results"]["bindings"] == []  # no such local graph
    for param in ("default-graph-uri", "named-graph-uri"):
        answer = ask_server(served, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", **{param: listener.url})
        assert answer.status_code == 200, answer.text
    for text in (
        f"LOAD <{listener.url}>",
        f"load silent <{listener.url}> into graph <http://example.org/g>",
        f"\\u004cOAD <{listener.url}>",
        f"PREFIX l: <http://127.0.0.1:{listener.port}/> LOAD l:sparql",
    ):
        answer = ask_server(served, text)
        assert answer.status_code in (400, 403), answer.text
        answer = httpx.post(served.url + "/sparql", data={"update": text}, timeout=30)
        assert answer.status_code == 403
    assert listener.accepted == 0
    assert_normal_query_works(served)


# Generated attempts ---------------------------------------------------------------------------------
WRAPPERS = (
    "{B}",
    "{ " + LEFT + " OPTIONAL {B} }",
    "{ {B} UNION { " + LEFT + " } }",
    "{ " + LEFT + " MINUS {B} }",
    "{ FILTER EXISTS {B} }",
    "{ GRAPH ?g {B} }",
    "{ { SELECT * WHERE {B} } }",
    "{ OPTIONAL { ?s ex:p ex:a\u00b7\\' } {B} OPTIONAL { ?s ex:p \"'\" } }",
)
SEPARATORS = (" ", "\n", "\t", " # SERVICE <http://x/> {\n", "  ", "#'\n", '#"\n')


def _escape(text: str, mask: list[bool]) -> str:
    return "".join(f"\\u{ord(c):04X}" if escape else c for c, escape in zip(text, mask, strict=False))


@st.composite
def attacks(draw: st.DrawFn) -> tuple[bool, bool, object]:
    """(escaped keyword, SILENT, a builder of the query text for a listener)."""
    case = draw(st.lists(st.booleans(), min_size=7, max_size=7))
    keyword = "".join(c.lower() if low else c for c, low in zip("SERVICE", case, strict=True))
    escaped_keyword = draw(st.booleans()) and draw(st.integers(0, 9)) == 0
    if escaped_keyword:
        keyword = _escape(keyword, draw(st.lists(st.booleans(), min_size=7, max_size=7)))
    silent = draw(st.booleans())
    before, after = draw(st.sampled_from(SEPARATORS)), draw(st.sampled_from(SEPARATORS))
    target_kind = draw(st.sampled_from(("iri", "escaped-iri", "prefixed")))
    wrapper = draw(st.sampled_from(WRAPPERS))
    form = draw(st.sampled_from(("SELECT * WHERE", "ASK", "CONSTRUCT { ?s ?y ?z } WHERE", "select *")))
    iri_mask = draw(st.lists(st.booleans(), min_size=4, max_size=4))

    def build(target: Listener) -> str:
        prologue = "PREFIX ex: <http://example.org/>\n"
        if target_kind == "iri":
            ref = f"<{target.url}>"
        elif target_kind == "escaped-iri":
            ref = "<" + _escape(target.url[:4], iri_mask) + target.url[4:] + ">"
        else:
            prologue += f"PREFIX l: <http://127.0.0.1:{target.port}/>\n"
            ref = "l:sparql"
        clause = keyword + before + ("SILENT" + after if silent else "") + ref + after + BODY
        return prologue + form + " " + wrapper.replace("{B}", "{ " + clause + " }")

    return escaped_keyword, silent or "MINUS" in wrapper, build


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(attack=attacks())
def test_generated_attempts(
    attack: tuple[bool, bool, object], served: RunningServer, listener: Listener, live_listener: Listener
) -> None:
    escaped_keyword, _silent, build = attack
    assert callable(build)
    # Real: the bare engine sends the request (Oxigraph 0.5 does not unescape keywords).
    live_text = build(live_listener)
    assert reaches(live_listener, live_text) != escaped_keyword, live_text
    text = build(listener)
    answer = ask_server(served, text)
    assert 400 <= answer.status_code < 500, (answer.status_code, text, answer.text[:300])
    assert MARKER not in answer.text
    status, message = ask_worker(served, text)
    assert MARKER not in message
    # 400 naming the refusal, or a local answer where the engine swallowed the failed service
    # (SILENT, MINUS, FILTER EXISTS, an ASK that is true before it); never the listener's.
    assert status in (200, 400), (status, text, message)
    if status == 400 and not escaped_keyword:
        assert message.startswith(FEDERATION_REFUSED), (text, message)
    assert listener.accepted == 0 and not listener.received


# The sandbox itself ---------------------------------------------------------------------------------
def test_this_process_is_not_sandboxed() -> None:
    """verify() is a real check: it fails where sockets can be made (here, the test process)."""
    with pytest.raises(sandbox.SandboxError, match="can still make"):
        sandbox.verify()


def test_sandboxed_process_cannot_make_sockets() -> None:
    code = (
        "import socket\n"
        "from pfocr_ld import sandbox\n"
        "print(sandbox.deny_network())\n"
        "for family in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX):\n"
        "    try:\n"
        "        socket.socket(family)\n"
        "    except PermissionError:\n"
        "        print('denied', family)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**os.environ}
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "seccomp" in lines[0]
    assert len([line for line in lines if line.startswith("denied")]) == 3


def test_serve_fails_closed_without_a_sandbox(tmp_path: Path, sample_store: tuple[Path, Path]) -> None:
    """No seccomp (pyseccomp made unimportable): serve refuses to start, with one line, before listening."""
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "pyseccomp.py").write_text("raise ImportError('no libseccomp here')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(fake)])}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-m", "pfocr_ld.cli", "serve", "--store", str(sample_store[1]), "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 1
    assert "refusing to serve" in done.stderr and "--no-sandbox" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# pfocr-ld query ---------------------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pfocr_ld.cli", "query", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        },
    )


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dump") / "data.nt"
    path.write_text('<http://example.org/s> <http://example.org/p> "o" .\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "attempt",
    [a for a in ATTEMPTS if a.name in ("middot-escaped-quote", "plain", "prefixed-name", "optional")],
    ids=lambda a: a.name,
)
def test_cli_query_does_not_federate_by_default(attempt: Attempt, dump: Path, listener: Listener) -> None:
    done = run_cli("-e", _text(attempt, listener), "--data", str(dump), "-f", "json")
    assert done.returncode == 2, done.stderr
    assert "--allow-service" in done.stderr and "Traceback" not in done.stderr
    assert MARKER not in done.stdout
    assert listener.accepted == 0


def test_cli_query_local_still_works(dump: Path, sample_store: tuple[Path, Path]) -> None:
    done = run_cli("-e", "SELECT ?o WHERE { ?s ?p ?o }", "--data", str(dump), "-f", "json")
    assert done.returncode == 0, done.stderr
    assert '"o":"o"' in done.stdout
    done = run_cli(
        "-e", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--store", str(sample_store[1]), "-f", "json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["n"] > 1000


def test_cli_allow_service_federates(dump: Path) -> None:
    """The option works: with --allow-service the query does reach the (test's own) endpoint."""
    target = Listener()
    try:
        done = run_cli(
            "-e",
            f"SELECT ?z WHERE {{ SERVICE <{target.url}> {{ ?s ?y ?z }} }}",
            "--data",
            str(dump),
            "--allow-service",
            "-f",
            "json",
        )
        assert done.returncode == 0, done.stderr
        assert MARKER in done.stdout
        assert target.accepted == 1
        assert target.received.split(b" ", 1)[0] in (b"GET", b"POST")
    finally:
        target.close()
