"""Loading dumps into pyoxigraph stores: formats, folders, set semantics, persistence, the CLI."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pfocr_ld import vocab
from pfocr_ld.cli import main
from pfocr_ld.query import EmbeddedSource, open_source, run_named
from pfocr_ld.store import (
    StoreError,
    derive_store_endpoint,
    dump_format,
    jsonld_to_nquads,
    load_build_output,
    load_dumps,
    memory_store,
    ntriples_stream,
    open_store,
    resolve_dumps,
)

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"
HER2 = "PMC3376449__fonc-02-00062-g001"


def record_triples(build_dir: Path) -> int:
    """The build's own count of distinct record triples (what VoID states as void:triples)."""
    return orjson.loads((build_dir / "report.json").read_bytes())["counts"]["triples"]


def void_triples(build_dir: Path) -> int:
    return len(list(ox.parse(path=str(build_dir / "void.ttl"))))


def test_formats_from_names(tmp_path: Path) -> None:
    assert dump_format(Path("a.nt.gz")).format == ox.RdfFormat.N_TRIPLES  # type: ignore[union-attr]
    assert dump_format(Path("a.nt.gz")).compressed  # type: ignore[union-attr]
    assert dump_format(Path("A.TTL")).format == ox.RdfFormat.TURTLE  # type: ignore[union-attr]
    assert dump_format(Path("x.jsonld")).is_jsonld  # type: ignore[union-attr]
    assert dump_format(Path("notes.txt")) is None
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(StoreError, match="unknown RDF format"):
        resolve_dumps([tmp_path / "notes.txt"])
    with pytest.raises(StoreError, match="no such file"):
        resolve_dumps([tmp_path / "missing.ttl"])


def test_build_folder_resolves_to_one_copy_plus_void(build_dir: Path) -> None:
    dumps = resolve_dumps([build_dir])
    assert [d.path.name for d in dumps] == ["pfocr.nt.gz", "void.ttl"]
    jsonld = resolve_dumps([build_dir / "jsonld"])
    assert len(jsonld) == len(list((SAMPLE / "_figures").glob("*.md"))) and all(d.is_jsonld for d in jsonld)


def test_every_serialisation_loads_the_same_set(build_dir: Path, tmp_path: Path) -> None:
    """N-Triples (multi-member gzip), Turtle and JSON-LD of one build are one set of triples, and
    loading any of them again adds nothing: the store has RDF set semantics."""
    store = open_store(tmp_path / "store")
    first = load_dumps(store, [build_dir / "pfocr.nt.gz"])
    assert first.quads_before == 0
    assert first.quads_after == record_triples(build_dir)
    with gzip.open(build_dir / "pfocr.nt.gz", "rb") as handle:  # the multi-member file read as one
        assert len(handle.read().splitlines()) >= first.quads_after
    again = load_dumps(store, [build_dir / "pfocr.nt.gz"])
    assert again.added == 0 and again.quads_after == first.quads_after
    turtle = load_dumps(store, [build_dir / "pfocr.ttl"])
    assert turtle.added == 0
    separately = ox.Store()
    jsonld = load_dumps(separately, [build_dir / "jsonld"])
    assert len(jsonld.files) == len(list((build_dir / "jsonld").glob("*.jsonld")))
    assert set(separately) == set(store)  # the JSON-LD documents hold exactly the same triples
    void = load_dumps(store, [build_dir / "void.ttl"])
    assert void.added == void_triples(build_dir)


def test_persistent_store_survives_reopening(build_dir: Path, tmp_path: Path) -> None:
    report = load_build_output(build_dir, tmp_path / "db")
    assert report.quads_after == record_triples(build_dir) + void_triples(build_dir)
    assert [Path(name).name for name, _ in report.files] == ["pfocr.nt.gz", "void.ttl"]
    again = load_build_output(build_dir, tmp_path / "db")  # the lock was released; nothing new
    assert again.added == 0
    with open_source(store=tmp_path / "db") as source:
        [row] = list(run_named(source, "dataset-metadata").values())
        assert row["figures"] == len(list((SAMPLE / "_figures").glob("*.md")))
        genes = {r["geneId"] for r in run_named(source, "genes-of-figure", figid=HER2).values()}
        assert "2064" in genes
    with pytest.raises(StoreError, match="not a pfocr-ld build folder"):
        load_build_output(tmp_path, tmp_path / "db2")


def test_named_graph_loading(build_dir: Path) -> None:
    graph = "https://pfocr.wikipathways.org/graph/sample"
    store = ox.Store()
    load_dumps(store, [build_dir / "pfocr.ttl", build_dir / "jsonld" / f"{HER2}.jsonld"], graph=graph)
    assert {g.value for g in store.named_graphs()} == {graph}
    assert len(list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))) == 0
    assert list(run_named(EmbeddedSource(store), "genes-of-figure", figid=HER2)) == []
    in_graph = EmbeddedSource(store, default_graph=graph)
    assert len(list(run_named(in_graph, "genes-of-figure", figid=HER2))) > 10


def test_bad_input_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("<http://a> <http://b> .\n")
    with pytest.raises(StoreError, match=r"broken\.ttl: not valid Turtle"):
        load_dumps(ox.Store(), [broken])
    with pytest.raises(StoreError, match="not an absolute IRI"):
        load_dumps(ox.Store(), [broken], graph="not an iri")
    with pytest.raises(StoreError, match="not a store"):
        open_store(tmp_path / "empty", read_only=True)


def test_ntriples_stream_converts_everything(build_dir: Path) -> None:
    dumps = resolve_dumps(
        [build_dir / "pfocr.ttl", build_dir / "jsonld" / f"{HER2}.jsonld", build_dir / "pfocr.nt.gz"]
    )
    counter = [0]
    body = b"".join(ntriples_stream(dumps, counter))
    assert counter[0] == len(body)
    triples = {q.triple for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)}
    assert len(triples) == record_triples(build_dir)
    her2 = set(ox.parse(jsonld_to_nquads(build_dir / "jsonld" / f"{HER2}.jsonld"), ox.RdfFormat.N_QUADS))
    assert {q.triple for q in her2} <= triples


def test_store_endpoint_derivation() -> None:
    assert derive_store_endpoint("http://127.0.0.1:7878/query") == "http://127.0.0.1:7878/store"
    assert derive_store_endpoint("http://h/sparql/") == "http://h/store"
    assert derive_store_endpoint("http://h/store") == "http://h/store"
    with pytest.raises(StoreError, match="--store-endpoint"):
        derive_store_endpoint("http://h/blazegraph/namespace/kb")


def test_memory_store_from_several_paths(build_dir: Path) -> None:
    store = memory_store([build_dir / "pfocr.nt.gz", build_dir / "void.ttl"])
    assert len(store) == record_triples(build_dir) + void_triples(build_dir)


def test_load_and_query_commands(build_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "cli-db"
    result = runner.invoke(main, ["load", str(build_dir), "--store", str(db)])
    assert result.exit_code == 0, result.output
    total = record_triples(build_dir) + void_triples(build_dir)
    assert f"{total} new quads, the store holds {total}" in result.stderr
    result = runner.invoke(main, ["load", str(build_dir / "pfocr.ttl"), "--store", str(db)])
    assert "0 new quads" in result.stderr
    uncounted = tmp_path / "uncounted-db"
    result = runner.invoke(main, ["load", str(build_dir), "--store", str(uncounted), "--no-count"])
    assert result.exit_code == 0 and "(quads not counted)" in result.stderr
    assert len(open_store(uncounted, read_only=True)) == total
    result = runner.invoke(
        main, ["query", "figures-for-gene", "--param", "gene=7099", "--store", str(db), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    figids = {row["figid"] for row in orjson.loads(result.stdout)}
    expected = {
        p.name.removesuffix("-genes.tsv")
        for p in (SAMPLE / "_data").glob("*-genes.tsv")
        if "\t7099\t" in p.read_text(encoding="utf-8")
    }
    assert figids == expected and len(expected) == 3
    result = runner.invoke(
        main, ["query", "-e", "SELECT * WHERE { ?s ?p ?o }", "--store", str(tmp_path / "nope")]
    )
    assert result.exit_code == 2 and "not a store" in result.output
    graph = vocab.SITE_ROOT + "graph/test"
    result = runner.invoke(main, ["load", str(build_dir / "void.ttl"), "--store", str(db), "--graph", graph])
    assert result.exit_code == 0
    result = runner.invoke(
        main, ["query", "dataset-metadata", "--store", str(db), "--graph", graph, "-f", "json"]
    )
    assert orjson.loads(result.stdout)[0]["figures"] == len(list((SAMPLE / "_figures").glob("*.md")))


@pytest.mark.parametrize(("suffix", "rdflib_format"), [(".n3", "n3"), (".xml", "xml"), (".owl", "xml")])
def test_files_rdflib_writes_load_as_the_turtle_they_came_from(
    build_dir: Path, tmp_path: Path, suffix: str, rdflib_format: str
) -> None:
    """One syntax table by suffix (rdf.syntax_of_suffix) for load and validate: files another library
    wrote, in the syntaxes pyoxigraph knows by other suffixes, load to the same triples."""
    import rdflib

    from pfocr_ld.validate_files import read_triples

    void = build_dir / "void.ttl"  # small, and every kind of term: IRIs, typed and plain literals
    written = tmp_path / f"void{suffix}"
    rdflib.Graph().parse(void, format="turtle").serialize(written, format=rdflib_format)
    db = tmp_path / "db"
    result = CliRunner().invoke(main, ["load", str(written), "--store", str(db)])
    assert result.exit_code == 0, result.output
    loaded = {(q.subject, q.predicate, q.object) for q in ox.Store(str(db))}
    expected = {
        (t.subject, t.predicate, t.object) for t in ox.parse(path=str(void), format=ox.RdfFormat.TURTLE)
    }
    assert len(loaded) == len(expected) > 20
    assert {
        (s, p, o) for s, p, o in loaded if not isinstance(s, ox.BlankNode) and not isinstance(o, ox.BlankNode)
    } == {
        (s, p, o)
        for s, p, o in expected
        if not isinstance(s, ox.BlankNode) and not isinstance(o, ox.BlankNode)
    }
    assert len(list(read_triples(written))) == len(expected)
