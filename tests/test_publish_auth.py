"""Loading into Virtuoso (WikiPathways' engine) and ``pfocr-ld publish`` with HTTP Digest and Basic auth.

Everything runs against real servers on 127.0.0.1: one Virtuoso for the module (``tests/virtuoso.py``),
and, for Basic, ``oxigraph serve`` behind a small reverse proxy of this module that asks for Basic
credentials (Oxigraph has no authentication of its own) and records every request it sees.

* The bulk-loader statements and the publishing commands of docs/queries.md ("Loading a build into
  Virtuoso") are read from that file and run as written (only the release path, host and port
  replaced), then the graph is counted through Virtuoso's public ``/sparql`` and compared with the
  dump's own triples, parsed here by pyoxigraph.
* Publishing through ``/sparql-graph-crud-auth`` needs Digest: a wrong password exits 1 and no output
  holds the password given or the right one, in the environment or in a ``user:pass@host`` URL.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import http.server
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from serving import oxigraph_server
from virtuoso import Virtuoso, environment_ready

from pfocr_ld.auth import Credentials, redact, resolve_credentials, split_credentials
from pfocr_ld.build import BuildReport
from pfocr_ld.store import count_graph

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "queries.md"
GRAPH = "https://pfocr.wikipathways.org/graph"
#: The user the docs create, and a second one whose password needs percent-encoding in a URL.
DOC_USER = "pfocr_publisher"
URL_USER = "pfocr_url"
URL_PASSWORD = "s3cr@t:/w0rd?#x"


# The documented commands ------------------------------------------------------------------------
def doc_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("### Loading a build into Virtuoso")
    return text[start : text.index("\n## ", start)]


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", doc_section(), flags=re.S)


def doc_password() -> str:
    """The password of the documented USER_CREATE line (the test's user has exactly that one)."""
    match = re.search(r"USER_CREATE\('(\w+)', '([^']+)'\)", doc_blocks("sql")[1])
    assert match is not None and match[1] == DOC_USER
    return match[2]


def doc_publish_argv(host_port: str, release: Path) -> list[str]:
    """The documented `pfocr-ld publish` command, its host, port and output folder replaced."""
    (line,) = [ln for ln in doc_blocks("sh")[0].splitlines() if ln.startswith("pfocr-ld publish")]
    line = line.replace("localhost:8890", host_port)
    argv = [str(release / Path(a).name) if a.startswith("output/") else a for a in shlex.split(line)]
    assert argv[:2] == ["pfocr-ld", "publish"]
    return [sys.executable, "-m", "pfocr_ld.cli", *argv[1:]]


def doc_environment() -> dict[str, str]:
    """The variables the documented shell lines export (``read -rs`` stands for the typed password)."""
    script = doc_blocks("sh")[0]
    assert f"export PFOCR_LD_USER={DOC_USER}" in script
    assert "read -rs PFOCR_LD_PASSWORD && export PFOCR_LD_PASSWORD" in script
    return {"PFOCR_LD_USER": DOC_USER, "PFOCR_LD_PASSWORD": doc_password()}


# Fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def release(sample_build: tuple[Path, BuildReport]) -> Path:
    """The live release folder of the sample build, as the docs say to resolve it."""
    out, _ = sample_build
    return (out / ".pfocr-ld" / "current").resolve()


@pytest.fixture(scope="module")
def dump_triples(release: Path) -> int:
    """The distinct triples of pfocr.nt.gz and void.ttl, read by pyoxigraph (not by pfocr_ld)."""
    with gzip.open(release / "pfocr.nt.gz") as dump:
        triples = set(ox.parse(dump, format=ox.RdfFormat.N_TRIPLES))
    triples |= set(ox.parse(path=str(release / "void.ttl"), format=ox.RdfFormat.TURTLE))
    return len(triples)


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory, release: Path) -> Iterator[Virtuoso]:
    """One Virtuoso for the module, with the documented publishing user and one more."""
    why_not = environment_ready()
    if why_not is not None:
        pytest.fail(why_not)  # CI installs Virtuoso (.ci/run): a missing server is a failure here
    server = Virtuoso(tmp_path_factory.mktemp("virtuoso-auth"), [release.parent])
    with server:
        server.isql(doc_blocks("sql")[1])  # the documented user, as written
        server.isql(
            f"DB.DBA.USER_CREATE('{URL_USER}', '{URL_PASSWORD}');\nGRANT SPARQL_UPDATE TO \"{URL_USER}\";\n"
        )
        yield server


def host_port(server: Virtuoso) -> str:
    return f"127.0.0.1:{server.http_port}"


def graph_size(server: Virtuoso, graph: str) -> int:
    """Counted through Virtuoso's public /sparql, not through pfocr_ld."""
    rows = server.select(f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
    return int(rows[0]["n"]["value"])


def run_cli(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PFOCR_LD_")}
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env={**clean, **env}, stdin=subprocess.DEVNULL
    )


def assert_secret_absent(result: subprocess.CompletedProcess[str], *secrets: str) -> None:
    output = result.stdout + result.stderr
    for secret in secrets:
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            assert form not in output, f"a password is printed: {output!r}"


# The bulk loader ---------------------------------------------------------------------------------
def test_the_documented_bulk_loader_statements_load_every_triple(
    virtuoso: Virtuoso, release: Path, dump_triples: int
) -> None:
    statements = doc_blocks("sql")[0]
    assert "/path/to/release" in statements and f"<{GRAPH}>" in statements
    output = virtuoso.isql(statements.replace("/path/to/release", str(release)))
    assert release.as_posix() not in output  # the load_list check lists no failed file
    assert graph_size(virtuoso, GRAPH) == dump_triples
    # As documented: a query without FROM sees the graph too (Virtuoso's union default graph).
    rows = virtuoso.select("SELECT (COUNT(*) AS ?n) WHERE { ?f a wp:Pathway }")
    assert int(rows[0]["n"]["value"]) == 55


# publish with Digest (Virtuoso) ------------------------------------------------------------------
def test_the_documented_publish_command_replaces_the_graph_with_digest_auth(
    virtuoso: Virtuoso, release: Path, dump_triples: int
) -> None:
    virtuoso.isql(f"SPARQL CLEAR GRAPH <{GRAPH}>;\n")
    virtuoso.isql(f"SPARQL INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:stale> <urn:p> <urn:o> }} }};\n")
    argv = doc_publish_argv(host_port(virtuoso), release)
    result = run_cli(argv, doc_environment())
    assert result.returncode == 0, result.stderr
    # The count before (shrink guard) and after went to /sparql-auth, which answers only with Digest.
    assert f"it now holds {dump_triples} triples" in result.stderr
    assert graph_size(virtuoso, GRAPH) == dump_triples  # replaced: the stale triple is gone
    assert virtuoso.select(f"SELECT ?p FROM <{GRAPH}> WHERE {{ <urn:stale> ?p ?o }}") == []
    assert_secret_absent(result, doc_password())
    # Publishing again counts the full graph first (with auth) and replaces it with the same triples.
    again = run_cli(argv, doc_environment())
    assert again.returncode == 0, again.stderr
    assert graph_size(virtuoso, GRAPH) == dump_triples


def test_publish_sample_build_into_a_named_graph_with_digest(
    virtuoso: Virtuoso, release: Path, dump_triples: int
) -> None:
    graph = "https://pfocr.wikipathways.org/graph/digest-test"
    base = f"http://{host_port(virtuoso)}"
    argv = [
        sys.executable, "-m", "pfocr_ld.cli", "publish", str(release), "--graph", graph,
        "--endpoint", f"{base}/sparql", "--store-endpoint", f"{base}/sparql-graph-crud-auth",
        "--user", URL_USER, "--password-env", "MY_SECRET", "--force",
    ]  # fmt: skip
    result = run_cli(argv, {"MY_SECRET": URL_PASSWORD})
    assert result.returncode == 0, result.stderr
    assert graph_size(virtuoso, graph) == dump_triples
    assert_secret_absent(result, URL_PASSWORD)
    # Without credentials the server's 401 is explained, and nothing is sent.
    bare = run_cli(argv[: argv.index("--user")], {})
    assert bare.returncode == 1
    assert "asks for Digest authentication" in bare.stderr and "PFOCR_LD_PASSWORD" in bare.stderr
    assert "Traceback" not in bare.stderr


def test_a_wrong_password_exits_1_and_prints_no_password(
    virtuoso: Virtuoso, release: Path, dump_triples: int
) -> None:
    graph = "https://pfocr.wikipathways.org/graph/wrong-password"
    base = f"http://{host_port(virtuoso)}"
    wrong = "Wr0ng-pa55word-zq"
    common = [sys.executable, "-m", "pfocr_ld.cli", "publish", str(release / "pfocr.nt.gz"), "--graph", graph]
    store = ["--endpoint", f"{base}/sparql-auth", "--store-endpoint", f"{base}/sparql-graph-crud-auth"]
    # In the environment.
    result = run_cli([*common, *store], {"PFOCR_LD_USER": DOC_USER, "PFOCR_LD_PASSWORD": wrong})
    assert result.returncode == 1, result.stderr
    assert f"user {DOC_USER!r}" in result.stderr and "Traceback" not in result.stderr
    assert_secret_absent(result, wrong, doc_password())
    # In user:pass@host URLs (both endpoints), wrong and then right: never printed, and taken out.
    for password, status in ((wrong, 1), (URL_PASSWORD, 0)):
        userinfo = f"{URL_USER}:{quote(password, safe='')}@"
        in_urls = [
            "--endpoint", f"http://{userinfo}{host_port(virtuoso)}/sparql-auth",
            "--store-endpoint", f"http://{userinfo}{host_port(virtuoso)}/sparql-graph-crud-auth",
        ]  # fmt: skip
        result = run_cli([*common, *in_urls], {})
        assert result.returncode == status, result.stderr
        assert "visible" in result.stderr or "see (ps)" in result.stderr  # the warning
        assert_secret_absent(result, wrong, URL_PASSWORD)
    assert graph_size(virtuoso, graph) > 0  # the right one went through


def test_query_endpoint_url_credentials_are_never_printed(virtuoso: Virtuoso) -> None:
    """`query --endpoint http://user:pass@…` printed the URL, password and all, in its errors."""
    url = f"http://{URL_USER}:{quote(URL_PASSWORD, safe='')}@{host_port(virtuoso)}/sparql"
    result = run_cli(
        [sys.executable, "-m", "pfocr_ld.cli", "query", "-e", "SELECT broken", "--endpoint", url], {}
    )
    assert result.returncode == 1 and "HTTP 400" in result.stderr
    assert f"http://{host_port(virtuoso)}/sparql" in result.stderr
    assert_secret_absent(result, URL_PASSWORD)
    result = run_cli([sys.executable, "-m", "pfocr_ld.cli", "query", "-e", "ASK {}", "--endpoint", url], {})
    assert result.returncode == 0, result.stderr


# publish with Basic (a proxy of ours in front of Oxigraph) -----------------------------------------
@dataclass
class BasicProxy:
    """A reverse proxy on 127.0.0.1 that answers 401 without the right Basic credentials."""

    upstream: str  # host:port of the Oxigraph server
    user: str
    password: str
    seen: list[tuple[str, str, bool]] = field(default_factory=list)  # method, path, authorized

    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        proxy = self
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def relay(self) -> None:
                authorized = self.headers.get("Authorization") == expected
                proxy.seen.append((self.command, self.path, authorized))
                length = int(self.headers.get("Content-Length") or 0)
                if "chunked" in self.headers.get("Transfer-Encoding", ""):
                    self.send_response(411)  # as Virtuoso needs: the upload must carry its length
                    self.send_header("Content-Length", "0")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    return
                body = self.rfile.read(length) if length else b""
                if not authorized:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="pfocr"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=60)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "host")
                }
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_PUT = do_HEAD = relay

        return Handler


@pytest.fixture()
def basic_proxy(tmp_path: Path) -> Iterator[tuple[str, BasicProxy]]:
    with oxigraph_server(tmp_path / "db", union=False) as base:
        proxy = BasicProxy(base.removeprefix("http://"), "curator", "b4sic-Secret-kq")
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), proxy.handler())
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}", proxy
        finally:
            server.shutdown()
            server.server_close()


def test_publish_with_basic_auth_through_a_proxy(
    basic_proxy: tuple[str, BasicProxy], release: Path, dump_triples: int
) -> None:
    base, proxy = basic_proxy
    graph = "https://pfocr.wikipathways.org/graph/basic"
    argv = [sys.executable, "-m", "pfocr_ld.cli", "publish", str(release), "--graph", graph,
            "--endpoint", f"{base}/query", "--auth", "basic"]  # fmt: skip
    env = {"PFOCR_LD_USER": proxy.user, "PFOCR_LD_PASSWORD": proxy.password}
    result = run_cli(argv, env)
    assert result.returncode == 0, result.stderr
    assert f"it now holds {dump_triples} triples" in result.stderr
    assert_secret_absent(result, proxy.password)
    methods = [method for method, _, _ in proxy.seen]
    # the count before, the HEAD, the upload and the count after: every one with the credentials
    assert methods.count("PUT") == 1 and "HEAD" in methods and methods.count("GET") >= 2
    assert all(authorized for _, _, authorized in proxy.seen), proxy.seen
    # Read back through the proxy with pfocr_ld's own client: the graph holds the dumps' triples.
    assert (
        count_graph(f"{base}/query", graph, auth=httpx.BasicAuth(proxy.user, proxy.password)) == dump_triples
    )

    # A wrong password: exit 1 at the HEAD, no upload reaches the server, nothing printed.
    proxy.seen.clear()
    wrong = run_cli(argv, {**env, "PFOCR_LD_PASSWORD": "n0t-the-Secret-kq"})
    assert wrong.returncode == 1 and "did not accept the password" in wrong.stderr
    assert not any(method == "PUT" for method, _, _ in proxy.seen)
    assert_secret_absent(wrong, "n0t-the-Secret-kq", proxy.password)
    # Digest (the default) against a Basic-only server: the message says which scheme to use.
    digest = run_cli(argv[: argv.index("--auth")], env)
    assert digest.returncode == 1 and "--auth basic" in digest.stderr
    assert_secret_absent(digest, proxy.password)


# URL credentials: taken out and redacted, whatever they hold ---------------------------------------
_USERINFO = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(user=_USERINFO, password=_USERINFO)
def test_credentials_come_out_of_any_url_whole(user: str, password: str) -> None:
    url = f"http://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:8890/sparql?x=1"
    clean, got_user, got_password = split_credentials(url)
    assert (clean, got_user, got_password) == ("http://127.0.0.1:8890/sparql?x=1", user, password)
    assert redact(url) == "http://***@127.0.0.1:8890/sparql?x=1"
    # Unencoded, as people type them: any userinfo without "/", "?" or "#" is redacted whole.
    if not set("/?#") & set(user + password):
        assert redact(f"http://{user}:{password}@host/sparql") == "http://***@host/sparql"


# Where the password comes from: usage errors name variables, never values -------------------------
def test_password_sources_and_their_usage_errors(release: Path) -> None:
    dump = str(release / "void.ttl")
    target = [
        "--graph",
        GRAPH,
        "--store-endpoint",
        "http://127.0.0.1:9/store",
    ]  # nothing listens: not reached
    publish_argv = [sys.executable, "-m", "pfocr_ld.cli", "publish", dump, *target]
    # A user without a password, off a terminal: exit 2, naming the variable to set.
    no_password = run_cli([*publish_argv, "--user", "curator"], {})
    assert no_password.returncode == 2 and "PFOCR_LD_PASSWORD" in no_password.stderr
    # --password-env naming an unset variable: exit 2, naming it.
    unset = run_cli([*publish_argv, "--user", "curator", "--password-env", "NOT_SET_HERE"], {})
    assert unset.returncode == 2 and "NOT_SET_HERE is not set" in unset.stderr
    # --password-env without any user.
    no_user = run_cli([*publish_argv, "--password-env", "MINE"], {"MINE": "Zx-secret-1"})
    assert no_user.returncode == 2 and "--user" in no_user.stderr
    assert_secret_absent(no_user, "Zx-secret-1")
    # Two URLs with different credentials.
    two = [
        sys.executable, "-m", "pfocr_ld.cli", "publish", dump, "--graph", GRAPH,
        "--endpoint", "http://a:Zx-secret-2@127.0.0.1:9/query",
        "--store-endpoint", "http://b:Zx-secret-3@127.0.0.1:9/store",
    ]  # fmt: skip
    both = run_cli(two, {})
    assert both.returncode == 2 and "different credentials" in both.stderr
    assert_secret_absent(both, "Zx-secret-2", "Zx-secret-3")
    # --password is not an option (a command line is public): click refuses it.
    refused = run_cli([*publish_argv, "--user", "curator", "--password", "Zx-secret-4"], {})
    assert refused.returncode == 2 and "No such option" in refused.stderr


def test_a_terminal_is_prompted_and_credentials_keep_the_password_out_of_repr() -> None:
    runner = CliRunner()
    with runner.isolation(input="Zx-typed-5\n"):
        urls, credentials = resolve_credentials(
            {"--endpoint": "http://127.0.0.1:9/sparql"},
            user="curator",
            password_env=None,
            scheme="digest",
            environ={},
            prompt=True,
        )
    assert credentials == Credentials("curator", "Zx-typed-5", "digest")
    assert urls == {"--endpoint": "http://127.0.0.1:9/sparql"}
    assert "Zx-typed-5" not in repr(credentials)
    # The environment wins over a URL's password; the URL is returned without it either way.
    urls, credentials = resolve_credentials(
        {"--endpoint": "http://u:Zx-url-6@127.0.0.1:9/sparql", "--store-endpoint": None},
        user=None,
        password_env=None,
        scheme="basic",
        environ={"PFOCR_LD_PASSWORD": "Zx-env-7"},
        prompt=False,
    )
    assert credentials == Credentials("u", "Zx-env-7", "basic")
    assert urls == {"--endpoint": "http://127.0.0.1:9/sparql", "--store-endpoint": None}
    # A password in the environment without any user authenticates nobody.
    _, nobody = resolve_credentials(
        {"--endpoint": "http://127.0.0.1:9/sparql"},
        user=None,
        password_env=None,
        scheme="digest",
        environ={"PFOCR_LD_PASSWORD": "Zx-env-8"},
        prompt=False,
    )
    assert nobody is None
