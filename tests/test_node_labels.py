"""Shared nodes: one name per node per release, a name for every gene and ChEBI chemical.

Records are crafted to disagree (two figures naming NCBI gene 7157 with different symbols, a ChEBI
chemical with and without its MeSH link) or to give no symbol or name at all. The release must
label each node once, whatever the record order, worker count or batch size, report the records
that lost, pass the Bioschemas profile, and serve each figure exactly as the build published it.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld
from test_messy_records import write_record

from pfocr_ld import rdf, vocab
from pfocr_ld.build import BuildOptions, build
from pfocr_ld.check_jsonld import check_path
from pfocr_ld.contexts import offline_loader
from pfocr_ld.labels import Votes
from pfocr_ld.serve import running_server

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"
GENES_HEADER = (
    "organism_id\torganism_name\torganism_group\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource"
    "\tcount_direct\tcount_synonym\tcount_match\n"
)
CHEMICALS_HEADER = "word\tmesh\tmatch\tname\tchebi\n"
TP53 = "https://identifiers.org/ncbigene/7157"
LABEL = vocab.T.rdfs["label"]
NAME = vocab.T.schema["name"]


def gene_row(word: str, symbol: str, gene_id: int, taxon: int = 9606) -> str:
    cells = (
        taxon,
        "Homo sapiens",
        "Primates",
        word,
        word.upper(),
        symbol,
        gene_id,
        "ncbigene_symbol",
        1,
        0,
        1,
    )
    return "\t".join(str(cell) for cell in cells) + "\n"


def figure_fields(figid: str) -> dict[str, object]:
    return {
        "figid": figid,
        "figtitle": f"Pathway of {figid}",
        "pmcid": figid.split("__")[0],
        "filename": f"{figid.split('__')[1]}.jpg",
        "caption": "A crafted figure.",
        "papertitle": f"The paper of {figid}",
        "organisms": ["Homo sapiens"],
        "automl_pathway": 0.9,
    }


def write_figure(folder: Path, figid: str, gene_rows: str, chemical_rows: str = "") -> None:
    tables = {"genes": GENES_HEADER + gene_rows}
    if chemical_rows:
        tables["chemicals"] = CHEMICALS_HEADER + chemical_rows
    write_record(folder, figure_fields(figid), tables)


def conflicting_corpus(folder: Path, swap: bool = False) -> Path:
    """Three figures on gene 7157: two say TP53, one P53 (``swap``: the first two trade symbols).

    The first also names EGFR without a symbol (NA) and ChEBI 15422 without a name but with a MeSH
    link the second figure's row lacks.
    """
    first, second = ("P53", "TP53") if swap else ("TP53", "P53")
    write_figure(
        folder,
        "PMC1__f1",
        gene_row("p53", first, 7157) + gene_row("EGFR", "NA", 1956),
        "ATP\tmesh:D000255\tAdenosine Triphosphate\tNA\tchebi:15422\n",
    )
    write_figure(folder, "PMC2__f2", gene_row("P53", second, 7157), "ATP\tNA\tNA\tATP\tchebi:15422\n")
    write_figure(folder, "PMC3__f3", gene_row("TP53", "TP53", 7157))
    return folder


def tree(root: Path) -> dict[str, bytes]:
    # The build cache records its documents' inodes and mtimes (pfocr_ld.cache): never equal between
    # two builds, and not published.
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "build-cache" not in p.parts
    }


def objects(triples: set[rdf.Triple], subject: str, predicate: str) -> set[str]:
    return {o for s, p, o in triples if s == subject and p == predicate}


def dump_triples(out: Path) -> set[rdf.Triple]:
    return {rdf.from_oxigraph(t) for t in ox.parse(path=str(out / "pfocr.ttl"), format=ox.RdfFormat.TURTLE)}


def jsonld_triples(body: bytes) -> set[rdf.Triple]:
    # as if read from a build folder: the relative context reference resolves beside jsonld/
    base = "http://invalid.example/jsonld/document.jsonld"
    nquads = pyld.to_rdf(
        json.loads(body),
        {"documentLoader": offline_loader(base=base), "format": "application/n-quads", "base": base},
    )
    return {rdf.from_oxigraph(q) for q in ox.parse(nquads.encode("utf-8"), ox.RdfFormat.N_QUADS)}


def warnings_about(out: Path, node: str) -> list[dict[str, str]]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return [w for w in report["warnings"] if node in w["reason"]]


# The rule ------------------------------------------------------------------------------------------
def test_most_records_win_ties_go_to_the_smallest_code_point_and_absent_values_do_not_vote() -> None:
    votes = Votes()
    for symbols in ({"b"}, {"a"}, {"B"}, {"B"}, set(), {"a"}):
        votes.add_values({"gene_symbol": {1: symbols}, "gene_taxon": {1: {9606}}})
    resolution = votes.resolve()
    # B and a two records each, b one: "B" (U+0042) sorts before "a" (U+0061).
    assert resolution.chosen["gene_symbol"][1] == "B"
    assert resolution.tallies["gene_symbol"][1] == (("B", 2), ("a", 2), ("b", 1))
    # one taxon, given by every record: nothing to resolve
    assert "gene_taxon" not in resolution.chosen


def test_a_node_some_records_leave_without_a_value_takes_the_value_of_the_others() -> None:
    votes = Votes()
    for symbols in ({"TP53"}, set()):
        votes.add_values({"gene_symbol": {7157: symbols}})
    resolution = votes.resolve()
    assert resolution.chosen["gene_symbol"][7157] == "TP53"
    assert 7157 not in resolution.tallies.get("gene_symbol", {})  # no conflict: nothing to report


@settings(max_examples=60, deadline=None)
@given(
    records=st.lists(
        st.dictionaries(
            st.integers(1, 4), st.sets(st.sampled_from(["TP53", "P53", "p53", "Tp53", "na"]), max_size=2)
        ),
        max_size=12,
    ),
    data=st.data(),
)
def test_the_outcome_does_not_depend_on_record_order_or_batching(records: list, data: st.DataObject) -> None:
    def resolve(order: list[dict], cuts: list[int]) -> tuple:
        total = Votes()
        bounds = [0, *sorted(cuts), len(order)]
        for start, end in itertools.pairwise(bounds):
            batch = Votes()
            for record in order[start:end]:
                batch.add_values({"gene_symbol": record})
            total.merge(batch)
        resolution = total.resolve()
        return resolution.chosen, resolution.tallies

    shuffled = data.draw(st.permutations(records))
    cuts = data.draw(st.lists(st.integers(0, len(records)), max_size=4))
    assert resolve(records, []) == resolve(shuffled, cuts)
    chosen = resolve(records, [])[0].get("gene_symbol", {})
    for gene, symbol in chosen.items():
        counts = {s: sum(s in r.get(gene, ()) for r in records) for s in {"TP53", "P53", "p53", "Tp53", "na"}}
        best = max(counts.values())
        assert counts[symbol] == best and symbol == min(s for s, n in counts.items() if n == best)


# The build -----------------------------------------------------------------------------------------
def test_one_label_per_node_and_the_records_that_lost_are_reported(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = build(BuildOptions([conflicting_corpus(tmp_path / "src")], out, workers=1, progress=False))
    assert report.published == 3 and not report.rejected
    triples = dump_triples(out)
    assert objects(triples, TP53, LABEL) == {'"TP53"'}
    assert objects(triples, TP53, NAME) == {'"TP53"'}
    # every figure's own document says the same
    for figid in ("PMC1__f1", "PMC2__f2", "PMC3__f3"):
        document = jsonld_triples((out / "jsonld" / f"{figid}.jsonld").read_bytes())
        assert objects(document, TP53, LABEL) == {'"TP53"'}, figid
    (warning,) = warnings_about(out, TP53)
    assert warning["figid"] == "PMC2__f2"
    assert warning["field"] == "genes.ncbigene_symbol"
    assert warning["file"].endswith("PMC2__f2.md")
    assert "'P53'" in warning["reason"] and "'TP53' (2 records)" in warning["reason"]
    assert "'P53' (1 record)" in warning["reason"]
    # what the OCR saw is still on the mention
    assert ('"P53"') in {
        o for s, p, o in triples if s.startswith(vocab.DEFAULT_BASE + "PMC2__f2") and p.endswith("ocrWord")
    }


def test_the_label_does_not_depend_on_record_order(tmp_path: Path) -> None:
    labels = []
    for swap in (False, True):
        folder = tmp_path / f"swap-{swap}"
        write_figure(folder, "PMC1__f1", gene_row("p53", "P53" if swap else "TP53", 7157))
        write_figure(folder, "PMC2__f2", gene_row("p53", "TP53" if swap else "P53", 7157))
        out = tmp_path / f"out-{swap}"
        build(BuildOptions([folder], out, workers=1, progress=False))
        labels.append(objects(dump_triples(out), TP53, LABEL))
        # a tie: the record that lost is the one giving TP53 ("P" < "T"), whichever figure it is
        (warning,) = warnings_about(out, TP53)
        assert warning["figid"] == ("PMC2__f2" if swap else "PMC1__f1")
    assert labels == [{'"P53"'}, {'"P53"'}]


@pytest.mark.parametrize(("workers", "batch_size"), [(2, 1), (2, 2), (1, 1)])
def test_output_is_byte_identical_across_workers_and_batch_sizes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, batch_size: int
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    source = conflicting_corpus(tmp_path / "src")
    reference, other = tmp_path / "reference", tmp_path / "other"
    build(BuildOptions([source], reference, workers=1, batch_size=1000, progress=False))
    build(BuildOptions([source], other, workers=workers, batch_size=batch_size, progress=False))
    assert tree(reference) == tree(other)
    assert objects(dump_triples(other), TP53, LABEL) == {'"TP53"'}


def test_a_chebi_node_carries_every_mesh_link_of_the_release_in_every_document(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions([conflicting_corpus(tmp_path / "src")], out, workers=1, progress=False))
    chebi = vocab.chebi_iri(15422)
    mesh = "<" + vocab.mesh_rdf_iri("D000255") + ">"
    for figid in ("PMC1__f1", "PMC2__f2"):
        document = jsonld_triples((out / "jsonld" / f"{figid}.jsonld").read_bytes())
        assert objects(document, chebi, vocab.T.skos["exactMatch"]) == {mesh}, figid
        # the name PMC2__f2's table gives wins over PMC1__f1's NA (which does not vote)
        assert objects(document, chebi, NAME) == {'"ATP"'}, figid


# Names for genes and chemicals without one ---------------------------------------------------------
def test_a_gene_and_a_chemical_without_a_name_are_named_by_their_identifier(tmp_path: Path) -> None:
    source = tmp_path / "src"
    write_figure(
        source,
        "PMC9__nameless",
        gene_row("EGFR", "NA", 1956) + gene_row("ERBB", "", 2064),
        "ATP\tNA\tNA\tNA\tchebi:15422\n",
    )
    out = tmp_path / "out"
    report = build(BuildOptions([source], out, workers=1, progress=False))
    assert report.published == 1 and not report.rejected
    triples = dump_triples(out)
    for gene_id in (1956, 2064):
        node = vocab.gene_iri(gene_id)
        assert objects(triples, node, NAME) == {f'"NCBI Gene {gene_id}"'}
        assert objects(triples, node, LABEL) == set()  # no symbol is invented
    chebi = vocab.chebi_iri(15422)
    assert objects(triples, chebi, NAME) == {'"CHEBI:15422"'}
    assert objects(triples, chebi, LABEL) == set()


def test_every_published_document_passes_the_bioschemas_profile(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(SAMPLE, source)
    for number in range(3):
        write_figure(
            source,
            f"PMC90{number}__nameless",
            gene_row("EGFR", "NA", 1956 + number) + gene_row("p53", ".na.character", 7157),
            f"ATP\tNA\tNA\tNA\tchebi:1542{number}\n",
        )
    out = tmp_path / "out"
    report = build(BuildOptions([source], out, workers=2, progress=False))
    assert report.published == 58 and not report.rejected
    checked = 0
    for folder in ("jsonld", "schemaorg"):
        for document in check_path(out / folder, profiles=["bioschemas"]):
            checked += 1
            errors = [f for f in document.findings if f.severity == "error"]
            assert errors == [], (document.document, errors)
    assert checked == 2 * 58


# The store and the server --------------------------------------------------------------------------
def test_store_and_server_show_one_label_and_serve_the_published_document(tmp_path: Path) -> None:
    out, store_dir = tmp_path / "out", tmp_path / "store"
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pfocr_ld.cli",
            "build",
            str(conflicting_corpus(tmp_path / "src")),
            "--out",
            str(out),
            "--store",
            str(store_dir),
            "--workers",
            "2",
            "--batch-size",
            "1",
            "--no-progress",
        ],
        capture_output=True,
        timeout=120,
        env=environment,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    store = ox.Store(str(store_dir))
    # every graph of the store (the release's graph and any other the load made)
    labels = {
        q.object.value for q in store.quads_for_pattern(ox.NamedNode(TP53), ox.NamedNode(LABEL), None, None)
    }
    assert labels == {"TP53"}
    del store
    with running_server(store_dir, timeout=10.0, workers=1) as running, httpx.Client(timeout=30) as client:
        for figid in ("PMC1__f1", "PMC2__f2", "PMC3__f3"):
            response = client.get(f"{running.url}/figures/{figid}.jsonld")
            assert response.status_code == 200, response.text
            published = (out / "jsonld" / f"{figid}.jsonld").read_bytes()
            assert jsonld_triples(response.content) == jsonld_triples(published), figid
            assert orjson.loads(response.content) == orjson.loads(published), figid
