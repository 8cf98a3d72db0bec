"""The terminal's summary line and report.json count the same warnings (issue 16: 30 vs 54).

The line used to print only the SHACL warnings of the published records ("30 validation
warnings" on the sample) while report.json's ``warning_count`` counts every row of its
``warnings`` (54: 24 more from reading the records). Now the line prints report.json's count and
says where the rows come from.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

SUMMARY = re.compile(
    r"(?P<published>\d+) of (?P<read>\d+) records published, (?P<rejected>\d+) rejected, "
    r"(?P<warnings>\d+) warnings in report\.json \((?P<reading>\d+) from reading the records"
    r"(?:, (?P<shacl>\d+) from SHACL validation|; SHACL validation was off)\)"
)


def build(sample: Path, out: Path, *extra: str) -> tuple[re.Match[str], dict]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pfocr_ld.cli",
            "build",
            str(sample),
            "--out",
            str(out),
            "--no-progress",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    match = SUMMARY.search(result.stderr)
    assert match, result.stderr
    return match, json.loads((out / "report.json").read_text(encoding="utf-8"))


def _from_shacl(row: dict) -> bool:
    return "constraint" in (row.get("details") or {})


def test_terminal_warning_count_is_report_json_warning_count(tmp_path: Path, sample_dir: Path) -> None:
    line, report = build(sample_dir, tmp_path / "out")
    assert int(line["warnings"]) == report["warning_count"] == len(report["warnings"])
    shacl_rows = sum(1 for row in report["warnings"] if _from_shacl(row))
    assert int(line["shacl"]) == shacl_rows
    assert int(line["reading"]) == len(report["warnings"]) - shacl_rows
    # on the sample both kinds occur, and nothing is rejected, so the SHACL rows are report.json's
    # validation.warnings (which counts published records only)
    assert shacl_rows and int(line["reading"])
    assert report["rejected_count"] == 0 and shacl_rows == report["validation"]["warnings"]


def test_without_validation_every_warning_is_from_reading(tmp_path: Path, sample_dir: Path) -> None:
    line, report = build(sample_dir, tmp_path / "out", "--no-validate")
    assert line["shacl"] is None
    assert int(line["warnings"]) == int(line["reading"]) == report["warning_count"] == len(report["warnings"])
    assert not any(_from_shacl(row) for row in report["warnings"])
