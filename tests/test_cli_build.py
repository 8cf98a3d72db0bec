"""`pfocr-ld build` as a user runs it: exit statuses, the report, broken records never stop a build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pfocr_ld.cli", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture()
def damaged_checkout(tmp_path: Path, sample_dir: Path) -> Path:
    """The sample plus three broken records: bad YAML, no figid, a figid that duplicates another."""
    checkout = tmp_path / "checkout"
    shutil.copytree(sample_dir, checkout)
    figures = checkout / "_figures"
    (figures / "PMC9__broken.md").write_text(
        "---\nfigid: PMC9__broken\nfigtitle: [oops\n---\n", encoding="utf-8"
    )
    (figures / "PMC9__nofigid.md").write_text("---\nfigtitle: No id\npmcid: PMC9\n---\n", encoding="utf-8")
    original = (figures / "PMC3376449__fonc-02-00062-g001.md").read_text(encoding="utf-8")
    (figures / "zz-duplicate.md").write_text(original, encoding="utf-8")
    return checkout


def test_build_publishes_the_sample_and_exits_0(tmp_path: Path, sample_dir: Path) -> None:
    out = tmp_path / "out"
    result = run("build", str(sample_dir), "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "55 of 55 records published" in result.stderr
    for name in ("pfocr.ttl", "pfocr.nt.gz", "void.ttl", "report.json", "context.jsonld"):
        assert (out / name).is_file(), name
    assert len(list((out / "jsonld").glob("*.jsonld"))) == 55
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".pfocr-ld"]
    assert len(list((out / ".pfocr-ld" / "releases").iterdir())) == 1, "staging files left behind"


def test_broken_records_are_reported_and_the_rest_is_published(
    tmp_path: Path, damaged_checkout: Path
) -> None:
    out = tmp_path / "out"
    result = run("build", str(damaged_checkout), "--out", str(out), "--no-validate")
    assert result.returncode == 1
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["published"] == 55 and report["records_read"] == 58
    rejected = {(Path(r["file"]).name, r["field"]) for r in report["rejected"]}
    assert rejected == {
        ("PMC9__broken.md", "front matter"),
        ("PMC9__nofigid.md", "figid"),
        ("zz-duplicate.md", "figid"),
    }
    assert all(r["reason"] for r in report["rejected"])
    assert report["validation"]["enabled"] is False and "--no-validate" in report["validation"]["note"]


def test_compress_writes_gzipped_turtle(tmp_path: Path, sample_dir: Path) -> None:
    import gzip

    import pyoxigraph as ox

    out = tmp_path / "out"
    result = run("build", str(sample_dir), "--out", str(out), "--compress", "--no-validate")
    assert result.returncode == 0, result.stderr
    assert not (out / "pfocr.ttl").exists()
    triples = list(ox.parse(gzip.decompress((out / "pfocr.ttl.gz").read_bytes()), format=ox.RdfFormat.TURTLE))
    plain = tmp_path / "plain"
    assert run("build", str(sample_dir), "--out", str(plain), "--no-validate").returncode == 0
    expected = list(ox.parse(path=str(plain / "pfocr.ttl"), format=ox.RdfFormat.TURTLE))
    assert len(triples) > 30000 and {str(t) for t in triples} == {str(t) for t in expected}


def test_base_option_changes_record_iris(tmp_path: Path, sample_dir: Path) -> None:
    out = tmp_path / "out"
    result = run(
        "build",
        str(sample_dir / "_figures" / "PMC3376449__fonc-02-00062-g001.md"),
        "--out",
        str(out),
        "--base",
        "https://example.org/pfocr/fig/",
        "--no-validate",
    )
    assert result.returncode == 0, result.stderr
    text = (out / "pfocr.ttl").read_text(encoding="utf-8")
    assert "<https://example.org/pfocr/fig/PMC3376449__fonc-02-00062-g001.html>" in text
    assert "pfocr.wikipathways.org/figures/" not in text
    # a single file still finds its tables in ../_data and organisms in ../_organisms
    assert "ncbigene:2064" in text and "obo:NCBITaxon_10090" in text


@pytest.mark.parametrize(
    "args",
    [
        ["build"],
        ["build", "x", "--base", "not-an-iri"],
        ["build", "x", "--workers", "-1"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run(*args).returncode == 2


def test_missing_path_is_a_usage_error_that_writes_nothing(tmp_path: Path, sample_dir: Path) -> None:
    """A typo in a path must not publish a release without it (issue 13): exit 2, nothing written."""
    out = tmp_path / "out"
    result = run("build", str(sample_dir), str(tmp_path / "missing"), "--out", str(out), "--no-validate")
    assert result.returncode == 2
    assert "missing: no such file or folder" in result.stderr
    assert not out.exists()


def test_build_can_load_a_store_while_it_builds(tmp_path: Path, sample_dir: Path) -> None:
    import pyoxigraph as ox

    out, store_dir = tmp_path / "out", tmp_path / "store"
    result = run("build", str(sample_dir), "--out", str(out), "--no-validate", "--store", str(store_dir))
    assert result.returncode == 0, result.stderr
    count = "SELECT (COUNT(?f) AS ?n) WHERE { ?f a <https://pfocr.wikipathways.org/vocab#Figure> }"
    store = ox.Store(str(store_dir))
    assert int(next(iter(store.query(count)))["n"].value) == 55
    size = len(store)
    del store  # releases the store's lock for the second build
    again = run("build", str(sample_dir), "--out", str(out), "--no-validate", "--store", str(store_dir))
    assert again.returncode == 0, again.stderr
    assert len(ox.Store(str(store_dir))) == size  # building again adds nothing


def _legacy_record(folder: Path, name: str, figid: str, gene_id: int, symbol: str) -> None:
    import yaml

    fields = {
        "figid": figid,
        "figtitle": f"Figure {name}",
        "pmcid": figid.split("__")[0],
        "filename": "f.jpg",
        "caption": "Caption.",
        "organisms": ["Homo sapiens"],
        "genes": [{"word": symbol, "symbol": symbol, "source": "ncbigene_symbol", "entrez": gene_id}],
    }
    (folder / f"{name}.md").write_text("---\n" + yaml.safe_dump(fields) + "---\n", encoding="utf-8")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_description_first_seen_in_a_rejected_duplicate_is_still_published(
    tmp_path: Path, workers: int
) -> None:
    """Workers send a shared description in full once, then references; the main process must keep
    the full one when the figure that carried it is rejected as a duplicate figid."""
    from pfocr_ld.build import BuildOptions, build

    records = tmp_path / "records"
    records.mkdir()
    _legacy_record(records, "a", "PMC1__x", 7157, "TP53")
    _legacy_record(records, "b", "PMC1__x", 7099, "TLR4")  # duplicate figid: rejected
    _legacy_record(records, "c", "PMC2__y", 7099, "TLR4")
    batch_size = 1 if workers > 1 else 10
    report = build(BuildOptions([records], tmp_path / "out", workers=workers, batch_size=batch_size))
    assert report.published == 2 and [r["field"] for r in report.rejected] == ["figid"]
    turtle = (tmp_path / "out" / "pfocr.ttl").read_text(encoding="utf-8")
    assert turtle.count('rdfs:label "TLR4"') == 1 and turtle.count('rdfs:label "TP53"') == 1


def test_rebuilding_replaces_the_previous_release_and_leaves_no_retired_folders(
    tmp_path: Path, sample_dir: Path
) -> None:
    out = tmp_path / "out"
    checkout = tmp_path / "checkout"
    shutil.copytree(sample_dir, checkout)
    withdrawn = sorted((checkout / "_figures").iterdir())[0]
    assert run("build", str(checkout), "--out", str(out)).returncode == 0
    stale = out / "jsonld" / f"{withdrawn.stem}.jsonld"
    assert stale.exists()
    withdrawn.unlink()  # a figure the next release no longer has
    first = {p.name: p.read_bytes() for p in (out / "jsonld").iterdir() if p != stale}
    assert run("build", str(checkout), "--out", str(out)).returncode == 0
    assert not stale.exists()
    assert {p.name: p.read_bytes() for p in (out / "jsonld").iterdir()} == first
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".pfocr-ld"]
    assert len(list((out / ".pfocr-ld" / "releases").iterdir())) == 1  # the retired release is gone


def test_remove_tree_deletes_many_files_in_nested_folders(tmp_path: Path) -> None:
    from pfocr_ld.writers import remove_tree

    root = tmp_path / "retired"
    for folder in ("jsonld", "schemaorg", "schemaorg/nested"):
        (root / folder).mkdir(parents=True)
        for index in range(700):  # more than the threshold for deleting with threads
            (root / folder / f"{index}.jsonld").write_bytes(b"{}")
    remove_tree(root)
    assert not root.exists()
    remove_tree(root)  # already gone: nothing to do, no error
