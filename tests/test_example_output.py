"""output/example/ is what the current code builds (regenerate it: scripts/regenerate-example.sh)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pfocr_ld.build import BuildOptions, build

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "output" / "example"


def test_committed_example_is_not_stale(
    tmp_path: Path, sample_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    record = sample_dir / "_figures" / "PMC3376449__fonc-02-00062-g001.md"
    report = build(BuildOptions([record], tmp_path, workers=1))
    assert report.published == 1
    # what a reader finds through the documented names (the committed example holds those files)
    fresh = {}
    for folder, folders, files in os.walk(tmp_path, followlinks=True):
        folders[:] = [name for name in folders if name != ".pfocr-ld"]
        fresh.update(
            {str((Path(folder) / n).relative_to(tmp_path)): (Path(folder) / n).read_bytes() for n in files}
        )
    committed = {
        str(p.relative_to(EXAMPLE)): p.read_bytes() for p in sorted(EXAMPLE.rglob("*")) if p.is_file()
    }
    assert fresh.keys() == committed.keys()
    # report.json holds file paths of the machine that built it; compare the rest byte for byte
    stale = [name for name in fresh if name != "report.json" and fresh[name] != committed[name]]
    assert stale == [], "output/example is stale: run scripts/regenerate-example.sh and review the diff"
