"""Incremental builds (pfocr_ld.cache): a build into a folder holding a previous release reuses the
output of unchanged record files, and its release is byte-identical to a clean build of the same inputs.

Every test builds the same inputs twice from the same previous release: once incrementally and once
with ``--full`` (``BuildOptions.full``), and compares every file a reader finds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pfocr_ld.build import BuildOptions, BuildReport, build
from pfocr_ld.cache import CACHE_DIR, DATA_PATTERN, ENTRIES, INDEX, read_index, write_index
from pfocr_ld.synth import synthesize, update_corpus

ReleaseReader = Callable[[Path], dict[str, bytes]]
EPOCH = "1767225600"


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture(scope="module")
def base_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus") / "corpus"
    synthesize(160, folder, seed=3)
    return folder


def _twin_builds(corpus: Path, root: Path, **options: object) -> tuple[Path, Path]:
    """Two output folders holding the same first release of ``corpus``."""
    incremental, clean = root / "incremental", root / "clean"
    build(BuildOptions([corpus], incremental, workers=2, batch_size=40, **options))  # type: ignore[arg-type]
    shutil.copytree(incremental, clean, symlinks=True)
    return incremental, clean


def _rebuild_both(
    corpus: Path, incremental: Path, clean: Path, **options: object
) -> tuple[BuildReport, BuildReport]:
    fast = build(BuildOptions([corpus], incremental, workers=2, batch_size=40, **options))  # type: ignore[arg-type]
    full = build(BuildOptions([corpus], clean, workers=2, batch_size=40, full=True, **options))  # type: ignore[arg-type]
    return fast, full


def _assert_identical(incremental: Path, clean: Path, release_files: ReleaseReader) -> None:
    ours, theirs = release_files(incremental), release_files(clean)
    assert ours.keys() == theirs.keys()
    assert [name for name in ours if ours[name] != theirs[name]] == []


@pytest.mark.parametrize("compress", [False, True])
def test_update_is_byte_identical_to_a_clean_build(
    tmp_path: Path, base_corpus: Path, release_files: ReleaseReader, compress: bool
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(base_corpus, corpus)
    incremental, clean = _twin_builds(corpus, tmp_path, compress=compress)
    update = update_corpus(corpus, 0.1, seed=1)
    assert update.retitled and update.relabelled and update.removed and update.added
    fast, full = _rebuild_both(corpus, incremental, clean, compress=compress)
    _assert_identical(incremental, clean, release_files)
    assert full.reused == 0 and "--full" in full.cache
    # the touched files and those naming a gene whose vote moved are rebuilt, the rest reused
    total = len(list((corpus / "_figures").glob("*.md")))
    assert 0 < fast.reused <= total - len(update.retitled) - len(update.relabelled) - len(update.added)
    changes = orjson.loads((incremental / "changes.json").read_bytes())
    assert set(update.removed) <= set(changes["removed"]) and set(update.added) <= set(changes["added"])
    # and once more with nothing changed: everything reused, still identical
    fast, _ = _rebuild_both(corpus, incremental, clean, compress=compress)
    assert fast.reused == total
    _assert_identical(incremental, clean, release_files)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    share=st.sampled_from([0.02, 0.1, 0.3]),
    batch=st.sampled_from([7, 50]),
    compress=st.booleans(),
)
def test_generated_updates_are_byte_identical(
    tmp_path_factory: pytest.TempPathFactory,
    base_corpus: Path,
    release_files: ReleaseReader,
    seed: int,
    share: float,
    batch: int,
    compress: bool,
) -> None:
    root = tmp_path_factory.mktemp("generated")
    corpus = root / "corpus"
    shutil.copytree(base_corpus, corpus)
    incremental, clean = _twin_builds(corpus, root, validate=False, compress=compress)
    update_corpus(corpus, share, seed=seed)
    options = {"validate": False, "compress": compress}
    build(BuildOptions([corpus], incremental, workers=2, batch_size=batch, **options))  # type: ignore[arg-type]
    build(BuildOptions([corpus], clean, workers=1, batch_size=1000, full=True, **options))  # type: ignore[arg-type]
    _assert_identical(incremental, clean, release_files)


def _gene_rows(table: Path) -> tuple[list[str], list[list[str]]]:
    lines = table.read_text(encoding="utf-8").splitlines()
    return lines[0].split("\t"), [line.split("\t") for line in lines[1:]]


def _set_symbol(table: Path, gene_id: str, symbol: str) -> None:
    header, rows = _gene_rows(table)
    id_column, symbol_column = header.index("ncbigene_id"), header.index("ncbigene_symbol")
    for row in rows:
        if row[id_column] == gene_id:
            row[symbol_column] = symbol
    table.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")


def test_a_changed_tally_rebuilds_an_unchanged_record_that_quotes_it(
    tmp_path: Path, base_corpus: Path, release_files: ReleaseReader
) -> None:
    """Record A's symbol loses the vote and its warning quotes the tally; when record B changes to
    A's symbol, the tally changes, so A (whose files did not change) must be rebuilt."""
    corpus = tmp_path / "corpus"
    shutil.copytree(base_corpus, corpus)
    by_gene: dict[str, list[Path]] = {}
    for table in sorted((corpus / "_data").glob("*-genes.tsv")):
        header, rows = _gene_rows(table)
        if "ncbigene_id" not in header or "ncbigene_symbol" not in header:
            continue
        for gene in {row[header.index("ncbigene_id")] for row in rows}:
            by_gene.setdefault(gene, []).append(table)
    gene, tables = max(by_gene.items(), key=lambda item: len(item[1]))
    assert len(tables) >= 4
    _set_symbol(tables[0], gene, "LOSER1")
    incremental, clean = _twin_builds(corpus, tmp_path)
    _set_symbol(tables[1], gene, "LOSER1")
    fast, _ = _rebuild_both(corpus, incremental, clean)
    _assert_identical(incremental, clean, release_files)
    record_a = tables[0].name.removesuffix("-genes.tsv")
    report = orjson.loads((incremental / "report.json").read_bytes())
    quoted = [
        w["reason"]
        for w in report["warnings"]
        if w.get("figid") == record_a and "'LOSER1' (2 records)" in w["reason"]
    ]
    assert quoted, "record A's warning must quote the new tally"
    assert fast.reused > 0


def test_a_changed_organism_page_rebuilds_the_records_using_it(
    tmp_path: Path, base_corpus: Path, release_files: ReleaseReader
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(base_corpus, corpus)
    incremental, clean = _twin_builds(corpus, tmp_path)
    pages = sorted((corpus / "_organisms").glob("*.md"))
    page = next(p for p in pages if "ncbi:" in p.read_text(encoding="utf-8"))
    text = page.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("ncbi:"))
    page.write_text(text.replace(line, "ncbi: 999999", 1), encoding="utf-8")
    fast, _ = _rebuild_both(corpus, incremental, clean)
    _assert_identical(incremental, clean, release_files)
    assert 0 < fast.reused < 160
    assert b"999999" in (incremental / "pfocr.ttl").read_bytes()


def test_a_changed_shapes_file_is_a_clean_build(
    tmp_path: Path, base_corpus: Path, release_files: ReleaseReader
) -> None:
    from pfocr_ld import resources

    shapes = tmp_path / "shapes"
    shutil.copytree(resources.shapes_dir(), shapes)
    incremental, clean = _twin_builds(base_corpus, tmp_path, shapes=shapes)
    first = sorted(shapes.glob("*.ttl"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n# a comment changes the fingerprint\n")
    fast, _ = _rebuild_both(base_corpus, incremental, clean, shapes=shapes)
    assert fast.reused == 0 and "shapes" in fast.cache
    _assert_identical(incremental, clean, release_files)


def _live_cache(out: Path) -> Path:
    return Path(os.path.realpath(out / ".pfocr-ld" / "current")) / CACHE_DIR


@pytest.mark.parametrize("damage", ["entries", "index", "data", "foreign", "turtle", "document"])
def test_a_damaged_or_foreign_cache_is_never_trusted(
    tmp_path: Path, base_corpus: Path, release_files: ReleaseReader, damage: str
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(base_corpus, corpus)
    incremental, clean = _twin_builds(corpus, tmp_path, validate=False)
    cache = _live_cache(incremental)
    release = cache.parent
    if damage == "entries":
        data = bytearray((cache / ENTRIES).read_bytes())
        data[len(data) // 2] ^= 0x01
        (cache / ENTRIES).write_bytes(bytes(data))
    elif damage == "index":
        (cache / INDEX).write_bytes(b"{not json")
    elif damage == "data":
        # every byte of the data file is used by some entry or description: flip one in the middle
        data_file = cache / DATA_PATTERN.format(1)
        data = bytearray(data_file.read_bytes())
        data[len(data) // 2] ^= 0x20
        data_file.write_bytes(bytes(data))
    elif damage == "foreign":
        index = read_index(cache)  # a well-formed cache of other code: its checksum holds
        index["fingerprint"] = "0" * 32
        write_index(cache, index)
    elif damage == "turtle":
        with open(release / "pfocr.ttl", "ab") as handle:
            handle.write(b"# appended by hand\n")
    else:  # a user edits a published document in place (through OUT/jsonld)
        document = sorted((incremental / "jsonld").iterdir())[3]
        content = document.read_bytes()
        document.write_bytes(content.replace(b'"name"', b'"nAme"', 1))
        os.utime(document, ns=(1, 1))
    update_corpus(corpus, 0.05, seed=7)
    fast, _ = _rebuild_both(corpus, incremental, clean, validate=False)
    _assert_identical(incremental, clean, release_files)
    if damage == "document":
        assert 0 < fast.reused < 160
    else:
        assert fast.reused == 0 and fast.cache.startswith("a clean build ("), fast.cache


def test_duplicate_figids_and_rejected_records_stay_identical(
    tmp_path: Path, base_corpus: Path, release_files: ReleaseReader
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(base_corpus, corpus)
    records = sorted((corpus / "_figures").glob("*.md"))
    shutil.copyfile(records[5], corpus / "_figures" / "zz-duplicate.md")  # same figid, later file
    records[9].write_text("---\nfigid: [unclosed\n---\n", encoding="utf-8")  # rejected
    incremental, clean = _twin_builds(corpus, tmp_path, validate=False)
    records[5].unlink()  # the duplicate is now the one published
    fast, full = _rebuild_both(corpus, incremental, clean, validate=False)
    _assert_identical(incremental, clean, release_files)
    assert fast.exit_status == full.exit_status == 1
    assert fast.reused > 0


def test_cli_full_flag_and_cache_line(tmp_path: Path, base_corpus: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "pfocr_ld.cli", "build", str(base_corpus), "--out", str(out)]
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert "Build cache: a clean build (no previous release)." in first.stderr
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert "Build cache: an incremental build: 160 of 160 record files reused" in again.stderr
    full = subprocess.run([*command, "--full"], capture_output=True, text=True, env=env, timeout=300)
    assert "Build cache: a clean build (--full)." in full.stderr
    assert first.returncode == again.returncode == full.returncode


def test_touched_files_are_reused_and_documents_are_hard_links(tmp_path: Path, base_corpus: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(base_corpus, corpus)
    out = tmp_path / "out"
    build(BuildOptions([corpus], out, validate=False))
    document = sorted((out / "jsonld").iterdir())[0]
    inode = os.stat(document).st_ino
    for path in corpus.rglob("*"):
        os.utime(path, ns=(10**18, 10**18))  # a new mtime, the same bytes: a `touch`
    again = build(BuildOptions([corpus], out, validate=False))
    assert again.reused == 160
    # the new release's document is the previous release's file, linked, not written again
    assert os.stat(out / "jsonld" / document.name).st_ino == inode


def test_a_companion_table_that_appears_or_goes_rebuilds_its_record(
    tmp_path: Path, base_corpus: Path, release_files: ReleaseReader
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(base_corpus, corpus)
    tables = sorted((corpus / "_data").glob("*-chemicals.tsv"))
    appearing, going = tables[0], tables[1]
    kept = appearing.read_bytes()
    appearing.unlink()
    incremental, clean = _twin_builds(corpus, tmp_path, validate=False)
    appearing.write_bytes(kept)  # a table the first build looked for and did not find
    going.unlink()
    fast, _ = _rebuild_both(corpus, incremental, clean, validate=False)
    _assert_identical(incremental, clean, release_files)
    assert fast.reused == 160 - 2


def test_record_files_are_known_by_the_path_given(
    tmp_path: Path, base_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's claim: the same folder named another way is other files (report.json names them)."""
    shutil.copytree(base_corpus, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    build(BuildOptions([Path("corpus")], out, workers=2, batch_size=40))
    same = build(BuildOptions([Path("corpus")], out, workers=2, batch_size=40))
    assert same.reused == same.records_read > 0
    other = build(BuildOptions([tmp_path / "corpus"], out, workers=2, batch_size=40))
    assert other.reused == 0 and other.published == same.published
