"""A real Oxigraph server on 127.0.0.1: publishing (Graph Store Protocol) and querying (SPARQL Protocol).

Each server is started by the fixture or context manager that stops it (terminate, then wait, in a
``finally``). The sample build is published into a named graph of a server that queries the union
of its graphs, and every named query must return there exactly the rows the embedded store returns.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from serving import free_port, oxigraph_server

from pfocr_ld.cli import main
from pfocr_ld.query import (
    EmbeddedSource,
    EndpointError,
    RemoteSource,
    bind,
    get_query,
    library,
    run_bound,
    run_named,
)
from pfocr_ld.store import PublishError, count_graph, jsonld_to_nquads, load_dumps, publish

HER2 = "PMC3376449__fonc-02-00062-g001"
GRAPH = "https://pfocr.wikipathways.org/graph/sample"


@pytest.fixture(scope="module")
def embedded(build_dir: Path) -> EmbeddedSource:
    store = ox.Store()
    load_dumps(store, [build_dir])
    return EmbeddedSource(store)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, build_dir: Path, embedded: EmbeddedSource
) -> Iterator[str]:
    """A union-default-graph server holding the sample build (records and VoID) in GRAPH."""
    location = tmp_path_factory.mktemp("oxigraph") / "db"
    with oxigraph_server(location) as base:
        report = publish([build_dir], endpoint=f"{base}/query", graph=GRAPH)
        assert report.status in (201, 204)
        assert report.triples_in_graph == len(embedded.store)
        yield base


@pytest.fixture()
def remote(server: str) -> Iterator[RemoteSource]:
    with RemoteSource(f"{server}/query", timeout=30) as source:
        yield source


def canonical(rows: Any) -> list[tuple[tuple[str, str], ...]]:
    """Rows as sorted tuples of N-Triples terms, comparable across engines."""
    return sorted(tuple(sorted((k, str(v)) for k, v in row.items() if v is not None)) for row in rows)


def parameter_sets() -> list[tuple[str, dict[str, str]]]:
    cases: list[tuple[str, dict[str, str]]] = []
    for name, query in library().items():
        cases.append((name, dict(query.example["params"])))
        every = {p.name: p.example for p in query.parameters if p.example is not None}
        if every != query.example["params"]:
            cases.append((name, every))
    cases += [
        ("figures-for-gene", {"gene": "TLR4", "strict": "true"}),
        ("figures-for-gene", {"gene": "32640"}),
        ("figures-for-chemical", {"chemical": "D005947"}),
        ("figures-of-paper", {"paper": "10.3390/ijms24054893"}),
        ("cooccurring-genes", {}),
        ("gene-sets", {"taxon": "10090"}),
        ("gene-sets", {"strict": "true", "min_size": "5"}),
        ("gene-sets", {"by_taxon": "true"}),
    ]
    return cases


@pytest.mark.parametrize("name,params", parameter_sets(), ids=lambda v: v if isinstance(v, str) else repr(v))
def test_named_queries_match_the_embedded_store(
    remote: RemoteSource, embedded: EmbeddedSource, name: str, params: dict[str, str]
) -> None:
    expected = canonical(run_named(embedded, name, **params))
    assert expected, (name, params)
    assert canonical(run_named(remote, name, **params)) == expected


def test_default_graph_uri(server: str, embedded: EmbeddedSource) -> None:
    expected = canonical(run_named(embedded, "genes-of-figure", figid=HER2))
    with RemoteSource(f"{server}/query", default_graph=GRAPH) as in_graph:
        assert canonical(run_named(in_graph, "genes-of-figure", figid=HER2)) == expected
    with RemoteSource(f"{server}/query", default_graph=GRAPH + "/other") as elsewhere:
        assert list(run_named(elsewhere, "genes-of-figure", figid=HER2)) == []


def test_get_for_short_and_post_for_long_queries(server: str, embedded: EmbeddedSource) -> None:
    seen: list[tuple[str, str]] = []

    def record(request: httpx.Request) -> None:
        seen.append((request.method, request.headers.get("content-type", "")))

    expected = canonical(run_named(embedded, "figures-for-gene", gene="7099"))
    with httpx.Client(event_hooks={"request": [record]}) as client:
        short = RemoteSource(f"{server}/query", client=client)
        assert canonical(run_named(short, "figures-for-gene", gene="7099")) == expected
        long = RemoteSource(f"{server}/query", client=client, get_url_limit=100)
        assert canonical(run_named(long, "figures-for-gene", gene="7099")) == expected
        padded = RemoteSource(f"{server}/query", client=client)
        bound = bind(get_query("figures-for-gene"), {"gene": "7099"})
        text = bound.text + "# padding\n" * 400  # a genuinely long query goes by POST by itself
        assert canonical(padded.execute(text, bound.bindings)) == expected
    assert seen[0] == ("GET", "")
    assert seen[1][0] == "POST" and seen[1][1].startswith("application/sparql-query")
    assert seen[2][0] == "POST"


def test_ask_and_construct(remote: RemoteSource) -> None:
    assert remote.execute("ASK { ?s a <http://vocabularies.wikipathways.org/wp#Pathway> }").boolean is True
    assert remote.execute("ASK { ?s a <http://example.org/Nothing> }").boolean is False
    result = remote.execute(
        "CONSTRUCT { ?f <http://purl.org/dc/terms/identifier> ?id } "
        "WHERE { ?f <http://purl.org/dc/terms/identifier> ?id }",
        {"id": ox.Literal(HER2)},
    )
    assert result.kind == "graph"
    assert [t.object for t in result.triples()] == [ox.Literal(HER2)]


INJECTIONS = [
    '" } ; DROP ALL ; SELECT * { ?s ?p ?o',
    "> <http://evil.example/> <",
    'Homo sapiens" . } CLEAR ALL #',
    "'''\\u0022 } \\\\",
    "Homo sapiens 🧬 ünïcödé",
]


def test_injections_are_data_on_the_server(remote: RemoteSource, server: str) -> None:
    before = count_graph(f"{server}/query", GRAPH)
    for text in INJECTIONS:
        assert list(run_named(remote, "figures-for-gene", gene="2064", organism=text)) == [], text
        assert list(run_bound(remote, bind(get_query("figures-for-gene"), {"gene": text.split()[0]}))) == []
    assert count_graph(f"{server}/query", GRAPH) == before


def test_http_errors_are_reported(server: str) -> None:
    with RemoteSource(f"{server}/query") as source, pytest.raises(EndpointError) as error:
        source.execute("SELECT nonsense WHERE")
    assert error.value.status == 400 and "HTTP 400" in str(error.value.message) and error.value.body
    with RemoteSource(f"{server}/nowhere") as source, pytest.raises(EndpointError) as error:
        source.execute("ASK {}")
    assert error.value.status == 404
    with (
        RemoteSource(f"http://127.0.0.1:{free_port()}/query", timeout=2) as source,
        pytest.raises(EndpointError, match="ConnectError"),
    ):
        source.execute("ASK {}")


def test_timeouts_are_reported() -> None:
    """A server that accepts the connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    try:
        started = time.monotonic()
        with (
            RemoteSource(f"http://127.0.0.1:{port}/query", timeout=0.5) as source,
            pytest.raises(EndpointError, match=r"no answer within 0\.5s"),
        ):
            source.execute("ASK {}")
        assert time.monotonic() - started < 5
        result = CliRunner().invoke(
            main,
            ["query", "-e", "ASK {}", "--endpoint", f"http://127.0.0.1:{port}/query", "--timeout", "0.3"],
        )
        assert result.exit_code == 1 and "no answer within 0.3s" in result.output
    finally:
        for connection in accepted:
            connection.close()
        listener.close()


def test_cli_against_the_endpoint(server: str, embedded: EmbeddedSource) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "query",
            "figures-for-gene",
            "--param",
            "gene=7099",
            "--endpoint",
            f"{server}/query",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == list(run_named(embedded, "figures-for-gene", gene="7099").values())
    shown = runner.invoke(
        main,
        [
            "query",
            "genes-of-figure",
            "-p",
            f"figid={HER2}",
            "--endpoint",
            f"{server}/query",
            "--show-query",
            "-f",
            "srj",
        ],
    )
    assert f'VALUES (?figid) {{ ("{HER2}") }}' in shown.stderr
    parsed = ox.parse_query_results(shown.stdout, ox.QueryResultsFormat.JSON)
    assert canonical({v.value: s[v] for v in parsed.variables} for s in parsed) == canonical(
        run_named(embedded, "genes-of-figure", figid=HER2)
    )
    failed = runner.invoke(main, ["query", "-e", "SELECT broken", "--endpoint", f"{server}/query"])
    assert failed.exit_code == 1 and "HTTP 400" in failed.output


def test_republishing_replaces_the_graph(tmp_path: Path, build_dir: Path) -> None:
    """Publish the whole sample, then two figures: the graph holds only the second upload."""
    two = [build_dir / "jsonld" / f"{HER2}.jsonld", build_dir / "jsonld" / "PMC100003__mb2410470011.jsonld"]
    expected = {q.triple for path in two for q in ox.parse(jsonld_to_nquads(path), ox.RdfFormat.N_QUADS)}
    with oxigraph_server(tmp_path / "db", union=False) as base:
        endpoint = f"{base}/query"
        first = publish([build_dir / "pfocr.nt.gz"], endpoint=endpoint, graph=GRAPH)
        assert (
            first.triples_in_graph
            == orjson.loads((build_dir / "report.json").read_bytes())["counts"]["triples"]
        )
        # far fewer triples than the graph holds: forced past the shrink check (tests/test_release_safety.py)
        second = publish(two, store_endpoint=f"{base}/store", graph=GRAPH, force=True)
        assert second.triples_in_graph is None and second.status in (201, 204)
        assert count_graph(endpoint, GRAPH) == len(expected)
        with RemoteSource(endpoint, default_graph=GRAPH) as source:
            stored = {
                (t.subject, t.predicate, t.object)
                for t in source.execute("CONSTRUCT WHERE { ?s ?p ?o }").triples()
            }
            assert stored == {(t.subject, t.predicate, t.object) for t in expected}
            assert (
                list(run_named(source, "figures-for-gene", gene="7099")) == []
            )  # gone with the first upload
            assert {r["figid"] for r in run_named(source, "figures-for-gene", gene="2064").values()} == {HER2}
        # The default graph, through the command line, from a Turtle file (converted while streaming).
        result = CliRunner().invoke(
            main, ["publish", str(build_dir / "void.ttl"), "--endpoint", endpoint, "--default-graph"]
        )
        assert result.exit_code == 0, result.output
        assert "it now holds" in result.stderr
        assert count_graph(endpoint, None) == len(list(ox.parse(path=str(build_dir / "void.ttl"))))
        assert count_graph(endpoint, GRAPH) == len(expected)  # the named graph is untouched


def test_publish_errors(tmp_path: Path, build_dir: Path) -> None:
    broken = tmp_path / "broken.nt"
    broken.write_text("<http://a> <http://b> <http://c .\n")
    with oxigraph_server(tmp_path / "db", union=False) as base:
        with pytest.raises(PublishError, match="HTTP 400"):
            publish([broken], store_endpoint=f"{base}/store", graph=GRAPH)
        result = CliRunner().invoke(
            main, ["publish", str(broken), "--endpoint", f"{base}/query", "--graph", GRAPH]
        )
        assert result.exit_code == 1 and "refused the upload: HTTP 400" in result.output
    result = CliRunner().invoke(
        main, ["publish", str(build_dir / "void.ttl"), "--endpoint", "http://x/query"]
    )
    assert result.exit_code == 2 and "--graph" in result.output
    result = CliRunner().invoke(
        main, ["publish", str(build_dir / "void.ttl"), "--endpoint", "http://h/kb", "--graph", GRAPH]
    )
    assert result.exit_code == 2 and "--store-endpoint" in result.output
