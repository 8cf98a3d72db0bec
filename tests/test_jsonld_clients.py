"""Ordinary JSON-LD clients, with their default settings, read what pfocr-ld publishes.

No test here gives a client a document loader, a context or a base: rdflib's ``Graph.parse`` and
jsonld.js's ``toRDF`` (npm ``jsonld``, run by Node with its default loader) fetch the context the
documents name, as they would for any user. Three settings are covered, each with real servers on
127.0.0.1 started by the test: the build folder read from disk, the build folder served by a plain
static file server (``python -m http.server``), and a store served by the ``pfocr-ld serve``
command. Each client's triples must be the build's Turtle (graph isomorphism). Before the
documents named their context relatively (``../context.jsonld``), every one of these failed: the
context's absolute IRI is on a host that is not reachable here (and does not host it).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import rdflib
from pyld import jsonld as pyld
from rdflib.compare import isomorphic

from pfocr_ld import vocab
from pfocr_ld.build import BuildOptions, build
from pfocr_ld.contexts import CONTEXT_REFERENCE, offline_loader, pfocr_context
from pfocr_ld.mapping import Mapper
from pfocr_ld.store import load_build_output

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"
JS = REPO / "tests" / "js"
FIGIDS = (
    "PMC3376449__fonc-02-00062-g001",  # HER2: genes only
    "PMC10003241__ijms-24-04893-g003",  # genes of all match types, chemicals, a disease
    "PMC10030840__fonc-13-1111191-g002",
)
STARTUP_SECONDS = 60.0
NODE_SECONDS = 120.0


@dataclass
class Published:
    out: Path
    store: Path


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    root = tmp_path_factory.mktemp("clients")
    out, store = root / "out", root / "store"
    records = [SAMPLE / "_figures" / f"{figid}.md" for figid in FIGIDS]
    report = build(BuildOptions(records, out, workers=1, validate=False, progress=False))
    assert report.published == len(FIGIDS)
    load_build_output(out, store)
    return Published(out, store)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _process(command: list[str], url: str, cwd: Path | None = None) -> Iterator[str]:
    """Run a server process until the block ends; yield once ``url`` answers."""
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ}
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(f"{command[2:4]} exited: {process.stderr.read().decode()[-2000:]}")
            try:
                httpx.get(url, timeout=2.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{url} did not answer within {STARTUP_SECONDS} s") from None
                time.sleep(0.1)
        yield url.rstrip("/")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        assert process.stderr is not None
        process.stderr.close()


@pytest.fixture(scope="module")
def static_server(published: Published) -> Iterator[str]:
    """The build folder as a plain static file server serves it (no knowledge of JSON-LD)."""
    port = _free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with _process(command, f"http://127.0.0.1:{port}/", cwd=published.out) as url:
        yield url


@pytest.fixture(scope="module")
def pfocr_server(published: Published) -> Iterator[str]:
    """``pfocr-ld serve`` as a user starts it, over the build's store."""
    port = _free_port()
    command = [
        sys.executable, "-m", "pfocr_ld.cli", "serve", "--store", str(published.store),
        "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    with _process(command, f"http://127.0.0.1:{port}/") as url:
        yield url


def _turtle(published: Published) -> rdflib.Graph:
    return rdflib.Graph().parse(published.out / "pfocr.ttl", format="turtle")


def _figure_path(figid: str) -> str:
    return Mapper().figure_iri(figid).removeprefix(vocab.DEFAULT_BASE).removesuffix(".html")


def _node(urls: list[str]) -> rdflib.Graph:
    """jsonld.js ``toRDF`` of each URL with its default document loader, as one graph."""
    node = shutil.which("node")
    assert node is not None, "Node.js is needed (.ci/run installs Debian's nodejs)"
    assert (JS / "node_modules" / "jsonld").is_dir(), "run `npm ci` in tests/js (.ci/run does)"
    done = subprocess.run(
        [node, str(JS / "to_rdf.mjs"), *urls],
        cwd=JS,
        capture_output=True,
        timeout=NODE_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    graph = rdflib.Graph()
    graph.parse(data=done.stdout.decode("utf-8"), format="nt")  # default graph only: N-Quads = N-Triples
    return graph


def _assert_same(graph: rdflib.Graph, expected: rdflib.Graph) -> None:
    assert len(graph) == len(expected)
    assert isomorphic(graph, expected), sorted(set(graph) ^ set(expected))[:10]


# The documents and the context --------------------------------------------------------------------
def test_documents_name_the_context_next_to_their_folder(published: Published) -> None:
    for figid in FIGIDS:
        document = json.loads((published.out / "jsonld" / f"{figid}.jsonld").read_bytes())
        assert document["@context"] == CONTEXT_REFERENCE == "../context.jsonld"
    written = json.loads((published.out / "context.jsonld").read_bytes())
    assert written == {"@context": pfocr_context()}


def test_context_is_json_ld_1_0(published: Published) -> None:
    """No ``@version``: a JSON-LD 1.0 processor (PyLD in 1.0 mode) reads every document, same triples."""
    context = json.loads((published.out / "context.jsonld").read_bytes())["@context"]
    assert "@version" not in context
    for figid in FIGIDS:
        path = published.out / "jsonld" / f"{figid}.jsonld"
        document = json.loads(path.read_bytes())
        base = path.resolve().as_uri()
        triples = {}
        for mode in ("json-ld-1.0", "json-ld-1.1"):
            options = {
                "documentLoader": offline_loader(base=base),
                "base": base,
                "processingMode": mode,
                "format": "application/n-quads",
            }
            triples[mode] = set(pyld.to_rdf(document, options).splitlines())
        assert triples["json-ld-1.0"] == triples["json-ld-1.1"]
        assert len(triples["json-ld-1.0"]) > 100


def test_a_1_1_context_is_refused_by_a_1_0_processor() -> None:
    """What ``@version: 1.1`` would do (and did): a JSON-LD 1.0 processor rejects the context."""
    document = {"@context": {"@version": 1.1, **pfocr_context()}, "@id": "pfocr:x", "dc:title": "x"}
    with pytest.raises(pyld.JsonLdError) as failure:
        pyld.expand(document, {"processingMode": "json-ld-1.0", "documentLoader": offline_loader()})
    assert failure.value.code == "processing mode conflict", failure.value


# rdflib, default settings ---------------------------------------------------------------------------
def test_rdflib_reads_the_build_folder_offline(published: Published) -> None:
    graph = rdflib.Graph()
    for figid in FIGIDS:
        graph.parse(str(published.out / "jsonld" / f"{figid}.jsonld"), format="json-ld")
    _assert_same(graph, _turtle(published))


def test_rdflib_reads_a_static_server_of_the_build_folder(published: Published, static_server: str) -> None:
    graph = rdflib.Graph()
    for figid in FIGIDS:
        graph.parse(f"{static_server}/jsonld/{figid}.jsonld", format="json-ld")
    _assert_same(graph, _turtle(published))


def test_rdflib_reads_pfocr_serve(published: Published, pfocr_server: str) -> None:
    by_suffix, negotiated = rdflib.Graph(), rdflib.Graph()
    for figid in FIGIDS:
        served_turtle = rdflib.Graph().parse(
            f"{pfocr_server}/figures/{_figure_path(figid)}.ttl", format="turtle"
        )
        figure = rdflib.Graph().parse(
            f"{pfocr_server}/figures/{_figure_path(figid)}.jsonld", format="json-ld"
        )
        _assert_same(figure, served_turtle)
        by_suffix += figure
        # the figure IRI itself, negotiated: rdflib asks for application/ld+json
        negotiated.parse(f"{pfocr_server}/figures/{_figure_path(figid)}.html", format="json-ld")
    _assert_same(by_suffix, _turtle(published))
    _assert_same(negotiated, _turtle(published))


# jsonld.js, default document loader -----------------------------------------------------------------
def test_jsonld_js_reads_a_static_server_of_the_build_folder(
    published: Published, static_server: str
) -> None:
    graph = _node([f"{static_server}/jsonld/{figid}.jsonld" for figid in FIGIDS])
    _assert_same(graph, _turtle(published))


def test_jsonld_js_reads_pfocr_serve(published: Published, pfocr_server: str) -> None:
    graph = _node([f"{pfocr_server}/figures/{_figure_path(figid)}.jsonld" for figid in FIGIDS])
    _assert_same(graph, _turtle(published))
    # and a SPARQL CONSTRUCT answer, negotiated as JSON-LD by jsonld.js's Accept header
    figure = Mapper().figure_iri(FIGIDS[0])
    query = f"CONSTRUCT {{ <{figure}> ?p ?o }} WHERE {{ <{figure}> ?p ?o }}"
    constructed = _node([f"{pfocr_server}/sparql?query={quote(query)}"])
    expected = rdflib.Graph()
    for triple in _turtle(published).triples((rdflib.URIRef(figure), None, None)):
        expected.add(triple)
    _assert_same(constructed, expected)


def test_served_context_is_where_the_reference_resolves(pfocr_server: str) -> None:
    figure_url = f"{pfocr_server}/figures/{_figure_path(FIGIDS[0])}.jsonld"
    for url in (
        httpx.URL(figure_url).join(CONTEXT_REFERENCE),
        httpx.URL(f"{pfocr_server}/sparql").join(CONTEXT_REFERENCE),
        f"{pfocr_server}/ld/context.jsonld",
    ):
        response = httpx.get(url, timeout=10)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("application/ld+json")
        assert response.json() == {"@context": pfocr_context()}


# Our own tools: the relative reference resolves offline -----------------------------------------------
def test_check_jsonld_and_validate_resolve_the_reference_offline(published: Published) -> None:
    from pfocr_ld.check_jsonld import check_path

    reports = check_path(published.out / "jsonld")
    assert len(reports) == len(FIGIDS)
    for report in reports:
        assert [f for f in report.findings if f.severity == "error"] == [], report.document
    path = published.out / "jsonld" / f"{FIGIDS[0]}.jsonld"
    done = subprocess.run(
        [sys.executable, "-m", "pfocr_ld.cli", "validate", str(path), "--format", "json"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert "context" not in done.stderr.decode()


def test_a_foreign_relative_context_is_still_not_loaded(tmp_path: Path) -> None:
    """Only ``../context.jsonld`` is answered; another relative context is not read from disk."""
    from pfocr_ld.check_jsonld import check_path

    (tmp_path / "docs").mkdir()
    (tmp_path / "mine.jsonld").write_text(json.dumps({"@context": {"ex": "https://example.org/"}}))
    (tmp_path / "docs" / "d.jsonld").write_text(
        json.dumps({"@context": "../mine.jsonld", "@id": "ex:a", "ex:p": "x"})
    )
    [report] = check_path(tmp_path / "docs" / "d.jsonld")
    assert "remote-context" in {f.code for f in report.findings}


def test_context_is_served_beside_a_deeper_base_path(published: Published) -> None:
    """With ``--base https://host/a/b/figures/``, a figure's ``../context.jsonld`` is /a/b/context.jsonld."""
    from pfocr_ld.serve import running_server

    with running_server(published.store, base="https://example.org/a/b/figures/", workers=1) as served:
        figure_url = httpx.URL(f"{served.url}/a/b/figures/{FIGIDS[0]}.jsonld")
        for url in (figure_url.join(CONTEXT_REFERENCE), f"{served.url}/context.jsonld"):
            response = httpx.get(url, timeout=10)
            assert response.status_code == 200, url
            assert response.json() == {"@context": pfocr_context()}
        assert str(figure_url.join(CONTEXT_REFERENCE)).endswith("/a/b/context.jsonld")
