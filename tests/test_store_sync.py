"""The store equals the release: ``build --store``, ``load --sync`` and ``publish --incremental``.

Every test builds small synthetic corpora, edits them as a monthly PFOCR update does (a corrected
title, a removed record, a new record, a gene whose symbol changes in every table, a paper two
records describe differently) and checks the store against a fresh load of the new release, quad
for quad. Stores are real on-disk Oxigraph stores; the remote is a real ``oxigraph serve`` on
127.0.0.1.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from corpus_edits import (
    copy_as,
    figids,
    remove,
    rename_gene,
    retitle,
    set_field,
    set_paper_title,
    shared_gene,
)
from serving import oxigraph_server

from pfocr_ld import store as store_module
from pfocr_ld import store_sync
from pfocr_ld.build import BuildOptions, build
from pfocr_ld.cli import main
from pfocr_ld.mapping import Mapper
from pfocr_ld.publish_sync import published_record_path
from pfocr_ld.store import load_build_output
from pfocr_ld.store_sync import RECORD_NAME, Release, SyncError, sync_store

EPOCH = "1767225600"
GRAPH = "https://pfocr.wikipathways.org/graph"
IDENTIFIER = "http://purl.org/dc/terms/identifier"


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def run(*argv: str) -> str:
    result = CliRunner().invoke(main, list(argv), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def synth(path: Path, records: int = 30, seed: int = 3) -> Path:
    run("synth", str(records), "--out", str(path), "--seed", str(seed))
    return path


def do_build(corpus: Path, out: Path) -> None:
    build(BuildOptions([corpus], out, workers=1, validate=False, progress=False))


def quads(store_dir: Path) -> set[ox.Quad]:
    store = ox.Store.read_only(str(store_dir))
    try:
        return set(store)
    finally:
        del store


def fresh(out: Path, tmp: Path, name: str = "fresh") -> set[ox.Quad]:
    """A fresh load of the live release (what `pfocr-ld load OUT` gives in an empty store)."""
    folder = tmp / name
    shutil.rmtree(folder, ignore_errors=True)
    load_build_output(out, folder)
    return quads(folder)


def update_corpus(corpus: Path) -> dict[str, object]:
    """The monthly update of these tests; what it did, for the assertions."""
    ids = figids(corpus)
    retitle(corpus, ids[0])
    remove(corpus, ids[1])
    copy_as(corpus, ids[2], ids[2] + "-new")  # same paper and image as ids[2]
    set_paper_title(corpus, ids[2] + "-new", "A second title for one paper")  # two variants of it
    gene = shared_gene(corpus)
    renamed = rename_gene(corpus, gene, "NEWSYMBOL1")
    return {"retitled": ids[0], "removed": ids[1], "added": ids[2] + "-new", "gene": gene, "renamed": renamed}


def titles(store_dir: Path, figid: str) -> set[str]:
    store = ox.Store.read_only(str(store_dir))
    try:
        figures = {
            q.subject for q in store.quads_for_pattern(None, ox.NamedNode(IDENTIFIER), ox.Literal(figid))
        }
        return {
            q.object.value
            for f in figures
            for q in store.quads_for_pattern(f, ox.NamedNode("http://purl.org/dc/elements/1.1/title"), None)
        }
    finally:
        del store


_WRITES = ("add", "bulk_extend", "bulk_load", "clear", "clear_graph", "extend", "load", "remove", "update")


class _CountingStore:
    """A store whose write calls are recorded (reads pass through)."""

    def __init__(self, store: ox.Store, writes: list[str]) -> None:
        self._store, self._writes = store, writes

    def __getattr__(self, name: str) -> object:
        attribute = getattr(self._store, name)
        if name in _WRITES:

            def recorded(*args: object, **kwargs: object) -> object:
                self._writes.append(name)
                return attribute(*args, **kwargs)

            return recorded
        return attribute


def _counting_open_store(writes: list[str]) -> object:
    original = store_module.open_store

    def open_counted(path: object, **kwargs: object) -> object:
        return _CountingStore(original(path, **kwargs), writes)

    return open_counted


# The embedded store ------------------------------------------------------------------------------
def test_build_store_after_an_update_equals_a_fresh_load_quad_for_quad(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus")
    out, store = tmp_path / "out", tmp_path / "store"
    run("build", str(corpus), "--out", str(out), "--store", str(store), "--workers", "1", "--no-validate")
    assert quads(store) == fresh(out, tmp_path)
    old_title = titles(store, figids(corpus)[0])
    edits = update_corpus(corpus)
    assert len(edits["renamed"]) >= 2  # the vote on the gene's symbol changes across records
    # What the old `build --store` did (load on top) keeps stale data: the test below can fail.
    stale = tmp_path / "stale"
    shutil.copytree(store, stale)
    output = run(
        "build", str(corpus), "--out", str(out), "--store", str(store), "--workers", "1", "--no-validate"
    )
    assert "store synced" in output and "1 added, 1 removed" in output
    expected = fresh(out, tmp_path)
    assert quads(store) == expected
    load_build_output(out, stale)
    assert quads(stale) != expected  # loading on top keeps both titles and the removed figure
    # the removed figure is gone, the retitled one has one title, the gene one symbol
    assert titles(store, str(edits["removed"])) == set()
    retitled = titles(store, str(edits["retitled"]))
    assert len(retitled) == 1 and retitled != old_title
    assert len(titles(stale, str(edits["retitled"]))) == 2
    labels = {
        q.object.value
        for q in ox.Store.read_only(str(store)).quads_for_pattern(
            ox.NamedNode(f"https://identifiers.org/ncbigene/{edits['gene']}"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            None,
        )
    }
    assert labels == {"NEWSYMBOL1"}


def test_sync_reads_only_the_changed_figures_and_a_second_sync_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = synth(tmp_path / "corpus")
    out, store = tmp_path / "out", tmp_path / "store"
    do_build(corpus, out)
    assert sync_store(out, store).mode == "full"
    edits = update_corpus(corpus)
    do_build(corpus, out)
    read: list[str] = []
    original = Release.figure

    def counting(self: Release, figid: str) -> store_sync.FigureBlock:
        read.append(figid)
        return original(self, figid)

    monkeypatch.setattr(Release, "figure", counting)
    writes: list[str] = []
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "open_store", _counting_open_store(writes))
        report = sync_store(out, store)
    assert writes == ["update"]  # one update request: one transaction
    assert report.mode == "incremental" and report.plan is not None
    plan = report.plan
    assert plan.added == [edits["added"]] and plan.removed == [edits["removed"]]
    assert str(edits["retitled"]) in plan.changed
    assert set(edits["renamed"]) - {edits["removed"]} <= set(plan.changed) | set(plan.added)
    # a figure changed only through the gene's voted symbol keeps its own triples: none is written
    only_gene = set(edits["renamed"]) - {edits["retitled"], edits["removed"], edits["added"]}
    assert only_gene
    for figid in only_gene:
        prefix = f"<{Mapper().figure_iri(figid)}"
        assert not any(line.startswith(prefix) for line in plan.insert_lines | plan.delete_lines)
    written = {line.split(" ", 1)[0] for line in plan.insert_lines | plan.delete_lines}
    assert f"<https://identifiers.org/ncbigene/{edits['gene']}>" in written
    # only the changed and added figures' documents are read: the work follows the change
    assert sorted(read) == sorted(plan.added + plan.changed) and len(read) < len(figids(corpus)) / 2
    assert quads(store) == fresh(out, tmp_path)
    # a second sync: nothing read, nothing written (no update request), the record untouched
    record_bytes = (store / RECORD_NAME).read_bytes()
    before = quads(store)
    read.clear()
    writes.clear()
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "open_store", _counting_open_store(writes))
        again = sync_store(out, store)
    assert writes == []  # measured on the store object: no write call at all
    assert again.mode == "unchanged" and again.writes == 0 and read == []
    assert (store / RECORD_NAME).read_bytes() == record_bytes
    assert quads(store) == before


HOSTILE_TITLES = [
    'A "quoted" title with a back\\slash, a tab\t and } braces { ; . <not an IRI>',
    "Line one\nline two\r\nand a \\u0041 escape that is not one",
    "Unicode: é, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, 漢字, a right-to-left mark \u200f and quotes ''' \"\"\" at the end",
]


def test_titles_with_sparql_and_ntriples_syntax_sync_exactly(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus", records=8)
    out, store = tmp_path / "out", tmp_path / "store"
    do_build(corpus, out)
    sync_store(out, store)
    ids = figids(corpus)
    for figid, title in zip(ids, HOSTILE_TITLES, strict=False):
        set_field(corpus, figid, "figtitle", title)
    do_build(corpus, out)
    assert sync_store(out, store).mode == "incremental"
    assert quads(store) == fresh(out, tmp_path)
    for figid, title in zip(ids, HOSTILE_TITLES, strict=False):
        (stored,) = titles(store, figid)
        assert stored.split() == title.split()  # as the build cleans whitespace


def test_load_sync_makes_any_store_the_release_and_plain_load_still_adds(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus", records=12)
    out, store = tmp_path / "out", tmp_path / "store"
    do_build(corpus, out)
    extra = tmp_path / "extra.nt"
    extra.write_text("<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n")
    run("load", str(extra), "--store", str(store))  # a store pfocr-ld has no record for
    output = run("load", str(out), "--store", str(store), "--sync")
    assert "reloaded in full (the store has no record" in output
    assert quads(store) == fresh(out, tmp_path)
    run("load", str(extra), "--store", str(store))  # plain load: adds, as documented
    assert len(quads(store)) == len(fresh(out, tmp_path)) + 1


def test_load_sync_into_a_named_graph(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus", records=12)
    out, store, expected = tmp_path / "out", tmp_path / "store", tmp_path / "expected"
    do_build(corpus, out)
    run("load", str(out), "--store", str(store), "--sync", "--graph", GRAPH)
    update_corpus(corpus)
    do_build(corpus, out)
    assert "store synced" in run("load", str(out), "--store", str(store), "--sync", "--graph", GRAPH)
    run("load", str(out), "--store", str(expected), "--graph", GRAPH)
    held = quads(store)
    assert held == quads(expected) and {q.graph_name for q in held} == {ox.NamedNode(GRAPH)}


@pytest.mark.parametrize("damage", ["missing", "garbage", "other-version"])
def test_an_untrusted_record_means_a_full_reload(tmp_path: Path, damage: str) -> None:
    corpus = synth(tmp_path / "corpus", records=12)
    out, store = tmp_path / "out", tmp_path / "store"
    do_build(corpus, out)
    sync_store(out, store)
    retitle(corpus, figids(corpus)[0])
    do_build(corpus, out)
    record = store / RECORD_NAME
    if damage == "missing":
        record.unlink()
    elif damage == "garbage":
        record.write_bytes(b"not sqlite" * 100)
    else:  # a record that names another release than the store holds (e.g. a kill between commits)
        import sqlite3

        with sqlite3.connect(record) as db:
            db.execute("UPDATE meta SET value = 'https://example.org/other' WHERE key = 'version'")
    report = sync_store(out, store)
    assert report.mode == "full"
    assert quads(store) == fresh(out, tmp_path)
    assert not any(p.name.endswith((".pfocr-ld-new", ".pfocr-ld-old")) for p in tmp_path.iterdir())


def test_a_folder_that_is_not_a_store_is_refused_untouched(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus", records=5)
    out = tmp_path / "out"
    do_build(corpus, out)
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["load", str(out), "--store", str(folder), "--sync"])
    assert result.exit_code == 2 and "not an Oxigraph store" in result.output
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]


# Failures ----------------------------------------------------------------------------------------
def test_a_malformed_document_found_midway_changes_nothing(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus")
    out, store = tmp_path / "out", tmp_path / "store"
    do_build(corpus, out)
    sync_store(out, store)
    old = quads(store)
    record = (store / RECORD_NAME).read_bytes()
    ids = figids(corpus)
    for figid in ids[:6]:
        retitle(corpus, figid)
    do_build(corpus, out)
    # the last changed figure's document is broken: five were read and planned before it
    broken = out / "jsonld" / f"{ids[5]}.jsonld"
    text = broken.read_text()
    broken.write_text(text[: len(text) // 2])
    with pytest.raises(SyncError, match="cannot read the figure's JSON-LD document"):
        sync_store(out, store)
    assert quads(store) == old
    assert (store / RECORD_NAME).read_bytes() == record
    broken.write_text(text)
    assert sync_store(out, store).mode == "incremental"
    assert quads(store) == fresh(out, tmp_path)


def test_one_update_request_is_one_transaction_in_pyoxigraph(tmp_path: Path) -> None:
    """What the sync relies on: an update whose last operation fails leaves nothing of the first."""
    store = ox.Store(str(tmp_path / "s"))
    store.update("CREATE GRAPH <https://example.org/g>")
    with pytest.raises(Exception, match=r"(?i)exist"):
        store.update(
            "INSERT DATA { <https://example.org/a> <https://example.org/p> 1 } ; "
            "DELETE WHERE { ?s ?p ?o } ; CREATE GRAPH <https://example.org/g>"
        )
    assert len(store) == 0 and store.contains_named_graph(ox.NamedNode("https://example.org/g"))


_KILLED_SYNC = textwrap.dedent(
    """
    import sys, time
    from pfocr_ld.store_sync import sync_store

    def announce():
        print("applying", flush=True)

    sync_store(sys.argv[1], sys.argv[2], before_commit=announce)
    print("done", flush=True)
    """
)


def test_a_sync_killed_midway_leaves_the_old_release_or_the_new_never_half(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus", records=100)
    out, store, saved = tmp_path / "out", tmp_path / "store", tmp_path / "saved"
    do_build(corpus, out)
    sync_store(out, store)
    old = quads(store)
    shutil.copytree(store, saved)
    # a large update (every figure IRI changes: all their triples are deleted and inserted again),
    # so that kills land inside it
    build(BuildOptions([corpus], out, base="https://example.org/figures/", workers=1, validate=False))
    new = fresh(out, tmp_path)
    outcomes = []
    for delay in (0.0, 0.0, 0.01, 0.05, 0.5):
        shutil.rmtree(store)
        shutil.copytree(saved, store)
        process = subprocess.Popen(
            [sys.executable, "-c", _KILLED_SYNC, str(out), str(store)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "applying"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        held = quads(store)
        assert held in (old, new), "a killed sync left a store that is neither release"
        outcomes.append(held == new)
        # whatever it left, the next sync makes it the new release (a record out of step: in full)
        sync_store(out, store)
        assert quads(store) == new
    assert False in outcomes  # some kill landed before the commit: the old release, whole


# Readers -----------------------------------------------------------------------------------------
_READER = textwrap.dedent(
    """
    import sys, time, pyoxigraph as ox
    from pfocr_ld.store import open_store
    seen = set()
    deadline = time.monotonic() + float(sys.argv[2])
    while time.monotonic() < deadline:
        store = open_store(sys.argv[1], read_only=True)  # as `serve` and `query --store` open it
        seen.add((len(store), tuple(sorted(q.object.value for q in store.quads_for_pattern(
            None, ox.NamedNode("http://purl.org/dc/terms/hasVersion"), None)))))
        del store
    for item in seen:
        print(item[0], *item[1])
    """
)


def test_a_reader_opening_the_store_during_syncs_sees_one_release_or_the_other(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus", records=40)
    first, second, store = tmp_path / "first", tmp_path / "second", tmp_path / "store"
    do_build(corpus, first)
    update_corpus(corpus)
    for figid in figids(corpus)[:20]:
        retitle(corpus, figid)
    do_build(corpus, second)
    states = set()
    for out in (second, first):
        sync_store(out, store)
        held = ox.Store.read_only(str(store))
        states.add((len(held), tuple(sorted(store_sync.store_versions(held, None)))))
        del held
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(store), "4"], stdout=subprocess.PIPE, text=True
    )
    time.sleep(0.5)
    syncs = 0
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:  # back and forth: every sync is incremental
        for out in (second, first):
            assert sync_store(out, store).mode == "incremental"
            syncs += 1
    seen_text, _ = reader.communicate(timeout=60)
    seen = {(int(line.split()[0]), tuple(line.split()[1:])) for line in seen_text.splitlines()}
    assert syncs >= 2 and seen and seen <= states, (seen, states)


def test_a_wikipathways_style_query_over_the_default_graph_sees_the_synced_release(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus")
    out, store = tmp_path / "out", tmp_path / "store"
    do_build(corpus, out)
    sync_store(out, store)
    edits = update_corpus(corpus)
    do_build(corpus, out)
    sync_store(out, store)
    expected = tmp_path / "expected"
    load_build_output(out, expected)
    # GenesofPathway.rq's shape: gene products with their labels, by the pathway they are part of
    query = WP_QUERY.replace("LABEL", "NEWSYMBOL1")
    rows = sorted(_select(store, query))
    assert rows == sorted(_select(expected, query))
    assert len(rows) == len(set(edits["renamed"]) - {edits["removed"]}) >= 2
    assert _select(store, WP_QUERY.replace("LABEL", "no-such-symbol")) == []


WP_QUERY = """PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dc: <http://purl.org/dc/elements/1.1/>
SELECT DISTINCT ?pathway (str(?label) AS ?geneProduct) WHERE {
  ?gene a wp:GeneProduct ; rdfs:label ?label ; dcterms:isPartOf ?pathwayRes .
  ?pathwayRes a wp:Pathway ; dc:identifier ?pathway .
  FILTER(str(?label) = "LABEL")
}"""


def _select(store_dir: Path, query: str) -> list[tuple[str, ...]]:
    store = ox.Store.read_only(str(store_dir))
    try:
        return [tuple(term.value for term in row) for row in store.query(query)]
    finally:
        del store


# A remote graph: publish --incremental -----------------------------------------------------------
def remote_triples(base: str, graph: str) -> set[ox.Triple]:
    response = httpx.get(
        f"{base}/store", params={"graph": graph}, headers={"Accept": "application/n-triples"}, timeout=60
    )
    assert response.status_code == 200, response.text
    return set(ox.parse(response.content, ox.RdfFormat.N_TRIPLES))


def release_triples(out: Path) -> set[ox.Triple]:
    folder = Release.open(out).folder
    triples = set(ox.parse(gzip.decompress((folder / "pfocr.nt.gz").read_bytes()), ox.RdfFormat.N_TRIPLES))
    return triples | set(ox.parse(path=str(folder / "void.ttl")))


def publish(out: Path, base: str, *extra: str) -> str:
    return run("publish", str(out), "--endpoint", f"{base}/query", "--graph", GRAPH, *extra)


def test_publish_incremental_against_a_real_oxigraph_server(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus")
    out = tmp_path / "out"
    do_build(corpus, out)
    with oxigraph_server(tmp_path / "remote") as base:
        first = publish(out, base, "--incremental")
        assert "published the whole release (no record of an earlier publish" in first
        assert remote_triples(base, GRAPH) == release_triples(out)
        assert published_record_path(out, f"{base}/store", GRAPH).is_file()
        edits = update_corpus(corpus)
        do_build(corpus, out)
        second = publish(out, base, "--incremental")
        assert second.startswith(f"updated <{GRAPH}> at {base}/query") and "1 added, 1 removed" in second
        assert remote_triples(base, GRAPH) == release_triples(out)
        sent = int(second.split("one SPARQL Update of ")[1].split()[0])
        whole = len(gzip.decompress((out / "pfocr.nt.gz").read_bytes()))
        assert sent < whole / 3, (sent, whole)  # only the changed figures' data
        # the default graph (the union, as on WikiPathways' Virtuoso) answers the WikiPathways query
        response = httpx.get(
            f"{base}/query",
            params={"query": WP_QUERY.replace("LABEL", "NEWSYMBOL1")},
            headers={"Accept": "text/csv"},
            timeout=30,
        )
        assert len(response.text.strip().splitlines()) - 1 == len(set(edits["renamed"]) - {edits["removed"]})
        third = publish(out, base, "--incremental")
        assert "already holds this release: nothing was sent" in third


def test_publish_incremental_falls_back_when_the_remote_is_not_the_recorded_release(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus", records=12)
    out, other = tmp_path / "out", tmp_path / "other"
    do_build(corpus, out)
    with oxigraph_server(tmp_path / "remote") as base:
        publish(out, base, "--incremental")
        # someone adds a triple: the count no longer matches the record
        httpx.post(
            f"{base}/update",
            content=f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://example.org/x> <{IDENTIFIER}> 1 }} }}",
            headers={"Content-Type": "application/sparql-update"},
            timeout=30,
        ).raise_for_status()
        retitle(corpus, figids(corpus)[0])
        do_build(corpus, out)
        output = publish(out, base, "--incremental")
        assert "published the whole release (the graph holds" in output and "triples, not the" in output
        assert remote_triples(base, GRAPH) == release_triples(out)
        # another build folder replaces the graph: its version is not the one this folder recorded
        shutil.copytree(corpus, tmp_path / "corpus2")
        retitle(tmp_path / "corpus2", figids(corpus)[1], "Elsewhere ")
        do_build(tmp_path / "corpus2", other)
        publish(other, base)
        retitle(corpus, figids(corpus)[2])
        do_build(corpus, out)
        output = publish(out, base, "--incremental")
        assert "published the whole release (the graph holds release" in output
        assert remote_triples(base, GRAPH) == release_triples(out)


def test_publish_incremental_keeps_the_shrink_guard(tmp_path: Path) -> None:
    corpus = synth(tmp_path / "corpus", records=12)
    out = tmp_path / "out"
    do_build(corpus, out)
    with oxigraph_server(tmp_path / "remote") as base:
        publish(out, base, "--incremental")
        before = remote_triples(base, GRAPH)
        for figid in figids(corpus)[:9]:
            remove(corpus, figid)
        build(BuildOptions([corpus], out, workers=1, validate=False, progress=False, force=True))
        argv = ["publish", str(out), "--endpoint", f"{base}/query", "--graph", GRAPH, "--incremental"]
        refused = CliRunner().invoke(main, argv)
        assert refused.exit_code == 2 and "nothing was sent" in refused.output
        assert remote_triples(base, GRAPH) == before
        assert "updated" in run(*argv, "--force")
        assert remote_triples(base, GRAPH) == release_triples(out)


def test_publish_incremental_to_virtuoso_with_digest_and_wikipathways_queries(tmp_path: Path) -> None:
    """WikiPathways' engine: the update goes to /sparql-auth with Digest, and a query without FROM
    (Virtuoso's default graph is every graph) sees the updated release."""
    from virtuoso import Virtuoso, environment_ready

    why_not = environment_ready()
    if why_not is not None:
        pytest.fail(why_not)  # CI installs Virtuoso (.ci/run)
    corpus = synth(tmp_path / "corpus", records=20)
    out = tmp_path / "out"
    do_build(corpus, out)
    with Virtuoso(tmp_path / "virtuoso", [tmp_path]) as server:
        server.isql("DB.DBA.USER_CREATE('syncer', 'sync-pw');\nGRANT SPARQL_UPDATE TO \"syncer\";\n")
        base = f"http://127.0.0.1:{server.http_port}"
        argv = [
            "publish", str(out), "--graph", GRAPH, "--incremental", "--user", "syncer",
            "--endpoint", f"{base}/sparql-auth", "--store-endpoint", f"{base}/sparql-graph-crud-auth",
        ]  # fmt: skip
        runner = CliRunner(env={"PFOCR_LD_PASSWORD": "sync-pw"})
        first = runner.invoke(main, argv)
        assert first.exit_code == 0 and "published the whole release" in first.output, first.output
        edits = update_corpus(corpus)
        do_build(corpus, out)
        second = runner.invoke(main, argv)
        assert second.exit_code == 0, second.output
        assert f"updated <{GRAPH}>" in second.output and "1 added, 1 removed" in second.output
        rows = server.select(f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH}> WHERE {{ ?s ?p ?o }}")
        assert int(rows[0]["n"]["value"]) == len(release_triples(out))
        answer = server.select(WP_QUERY.replace("LABEL", "NEWSYMBOL1"))
        assert len(answer) == len(set(edits["renamed"]) - {edits["removed"]}) >= 2
        removed = server.select(f'SELECT ?f WHERE {{ ?f <{IDENTIFIER}> "{edits["removed"]}" }}')
        assert removed == []
