"""Builds are byte-identical for the same input, whatever the worker count or batch size."""

from __future__ import annotations

import filecmp
from collections.abc import Callable
from pathlib import Path

import pytest

from pfocr_ld.build import BuildOptions, build


@pytest.mark.parametrize(("workers", "batch_size"), [(1, 1000), (2, 7), (2, 1)])
def test_output_is_identical_across_workers_and_batch_sizes(
    tmp_path: Path,
    sample_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
    batch_size: int,
    release_files: Callable[[Path], dict[str, bytes]],
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    reference = tmp_path / "reference"
    build(BuildOptions([sample_dir], reference, workers=2, batch_size=250, validate=False))
    other = tmp_path / "other"
    build(BuildOptions([sample_dir], other, workers=workers, batch_size=batch_size, validate=False))
    reference_files, other_files = release_files(reference), release_files(other)
    assert reference_files.keys() == other_files.keys()
    assert len(reference_files) == 2 * 55 + 6
    differing = [name for name in reference_files if reference_files[name] != other_files[name]]
    assert differing == []


def test_two_builds_with_validation_are_byte_identical(
    tmp_path: Path,
    sample_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    release_files: Callable[[Path], dict[str, bytes]],
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first, second = tmp_path / "first", tmp_path / "second"
    build(BuildOptions([sample_dir], first))
    build(BuildOptions([sample_dir], second))
    comparison = filecmp.dircmp(first, second)
    assert comparison.diff_files == [] and comparison.left_only == [] and comparison.right_only == []
    assert release_files(first) == release_files(second)


def test_turtle_blocks_are_sorted_by_figid(tmp_path: Path, sample_dir: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions([sample_dir], out, validate=False))
    text = (out / "pfocr.ttl").read_text(encoding="utf-8")
    prefix = "<https://pfocr.wikipathways.org/figures/"
    heads = [
        line.split(".html>")[0][len(prefix) :]
        for line in text.splitlines()
        if line.startswith(prefix) and ".html> a " in line
    ]
    assert len(heads) == 55
    assert heads == sorted(heads)
    assert text.count("@prefix ") == len({line for line in text.splitlines() if line.startswith("@prefix ")})
