"""The streaming build: identical to a single-batch build, and memory that does not grow with N."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from pfocr_ld.synth import synthesize


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


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


def test_streaming_build_equals_single_batch_build(corpora: dict[int, Path], tmp_path: Path) -> None:
    corpus = corpora[300]
    _build(corpus, tmp_path / "streaming", "--workers", "2", "--batch-size", "17")
    _build(corpus, tmp_path / "single", "--workers", "1", "--batch-size", "100000")
    streaming, single = _tree(tmp_path / "streaming"), _tree(tmp_path / "single")
    assert streaming.keys() == single.keys() and len(streaming) == 2 * 300 + 5
    assert [name for name in streaming if streaming[name] != single[name]] == []


def test_peak_memory_does_not_grow_with_the_corpus(corpora: dict[int, Path], tmp_path: Path) -> None:
    small = _build(corpora[300], tmp_path / "small", "--workers", "2", "--batch-size", "50")
    large = _build(corpora[1200], tmp_path / "large", "--workers", "2", "--batch-size", "50")
    # Four times the records; memory is bounded by the batches in flight and the worker caches
    # (which fill up to their caps while a corpus is small, hence the margin).
    assert large <= small * 1.6, (
        f"peak RSS {small / 2**20:.0f} MB at 300 records, {large / 2**20:.0f} MB at 1200"
    )
