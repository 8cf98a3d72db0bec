"""The streaming build: identical to a single-batch build, and memory that does not grow with N."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from pfocr_ld.synth import synthesize


def _build(corpus: Path, out: Path, *options: str) -> int:
    """Run `pfocr-ld build`; the peak RSS of its whole process tree, in bytes."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
    command = [
        sys.executable,
        "-m",
        "pfocr_ld.cli",
        "build",
        str(corpus),
        "--out",
        str(out),
        "--no-progress",
        *options,
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parent = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, sum(p.memory_info().rss for p in (parent, *parent.children(recursive=True))))
        time.sleep(0.02)
    assert process.wait() == 0, process.stderr.read().decode() if process.stderr else ""
    return peak


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("synth")
    sizes = {}
    for size in (300, 1200):
        synthesize(size, root / str(size), seed=7)
        sizes[size] = root / str(size)
    return sizes


def test_streaming_build_equals_single_batch_build(
    corpora: dict[int, Path], tmp_path: Path, release_files: Callable[[Path], dict[str, bytes]]
) -> None:
    corpus = corpora[300]
    _build(corpus, tmp_path / "streaming", "--workers", "2", "--batch-size", "17")
    _build(corpus, tmp_path / "single", "--workers", "1", "--batch-size", "100000")
    streaming, single = release_files(tmp_path / "streaming"), release_files(tmp_path / "single")
    assert streaming.keys() == single.keys() and len(streaming) == 2 * 300 + 6
    assert [name for name in streaming if streaming[name] != single[name]] == []


def test_peak_memory_does_not_grow_with_the_corpus(corpora: dict[int, Path], tmp_path: Path) -> None:
    small = _build(corpora[300], tmp_path / "small", "--workers", "2", "--batch-size", "50")
    large = _build(corpora[1200], tmp_path / "large", "--workers", "2", "--batch-size", "50")
    # Four times the records; memory is bounded by the batches in flight and the worker caches
    # (which fill up to their caps while a corpus is small, hence the margin).
    assert large <= small * 1.6, (
        f"peak RSS {small / 2**20:.0f} MB at 300 records, {large / 2**20:.0f} MB at 1200"
    )


@pytest.mark.parametrize("fadvise", [True, False], ids=["posix_fadvise", "read"])
def test_prefetch_tolerates_missing_files_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fadvise: bool
) -> None:
    from pfocr_ld import records

    if not fadvise:
        monkeypatch.setattr(records, "_FADVISE", None)
    synthesize(3, tmp_path / "corpus", seed=2)
    sources = records.discover([tmp_path / "corpus"]).sources
    before = {p: p.read_bytes() for p in (tmp_path / "corpus").rglob("*") if p.is_file()}
    (tmp_path / "corpus" / "_data" / f"{sources[0].sort_key}-genes.tsv").unlink()
    gone = records.RecordSource("PMC0__gone", str(tmp_path / "corpus" / "_figures" / "PMC0__gone.md"), ())
    for source in [*sources, gone]:
        records.prefetch_source(source)  # a missing table or record is not an error here
    after = {p: p.read_bytes() for p in (tmp_path / "corpus").rglob("*") if p.is_file()}
    assert len(after) == len(before) - 1
    assert all(before[p] == content for p, content in after.items())
    assert [r.path for s in sources for r in records.read_source(s)] == [s.path for s in sources]
