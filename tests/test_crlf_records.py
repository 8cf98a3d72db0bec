"""Records saved with Windows line endings (CRLF) publish exactly what their LF originals publish."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pfocr_ld.build import BuildOptions, build

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "examples" / "pfocr-sample"


def _sample_records(root: Path) -> Path:
    corpus = root / "corpus"
    figures = sorted((SAMPLE_DIR / "_figures").glob("*.md"))[:3]
    (corpus / "_figures").mkdir(parents=True)
    (corpus / "_data").mkdir()
    for figure in figures:
        shutil.copy(figure, corpus / "_figures" / figure.name)
        for table in (SAMPLE_DIR / "_data").glob(f"{figure.stem}-*.tsv"):
            shutil.copy(table, corpus / "_data" / table.name)
    if (SAMPLE_DIR / "_organisms").is_dir():
        shutil.copytree(SAMPLE_DIR / "_organisms", corpus / "_organisms")
    return corpus


def test_crlf_records_and_tables_publish_what_lf_ones_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    lf = _sample_records(tmp_path)
    crlf = tmp_path / "crlf"
    shutil.copytree(lf, crlf)
    converted = 0
    for path in [*(crlf / "_figures").iterdir(), *(crlf / "_data").iterdir()]:
        data = path.read_bytes()
        assert b"\r\n" not in data
        path.write_bytes(data.replace(b"\n", b"\r\n"))
        converted += 1
    assert converted > 3  # records and their tables
    lf_report = build(BuildOptions([lf], tmp_path / "lf-out"))
    crlf_report = build(BuildOptions([crlf], tmp_path / "crlf-out"))
    assert crlf_report.rejected == [] and lf_report.rejected == []
    assert crlf_report.published == lf_report.published == 3
    for name in ("pfocr.ttl", "void.ttl"):
        assert (tmp_path / "crlf-out" / name).read_bytes() == (tmp_path / "lf-out" / name).read_bytes()
