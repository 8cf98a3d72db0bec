"""The synth profiler reads records as the build does, and ``python -m pfocr_ld.synth`` still runs.

The profiler used to split front matter on ``"---\\n"`` with a plain ``SafeLoader``; it now reads it
with :mod:`pfocr_ld.records` (the build's fences, YAML schema and limits), so a record the build
reads is a record the profiler reads, with the same values.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from pfocr_ld.synth import PROFILE_PATH, load_profile, profile_sample

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"


def test_module_command_rewrites_the_committed_profile_byte_for_byte(tmp_path: Path) -> None:
    written = tmp_path / "profile.json"
    result = subprocess.run(
        [sys.executable, "-m", "pfocr_ld.synth", "--profile", str(SAMPLE), "--write", str(written)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr
    assert written.read_bytes() == PROFILE_PATH.read_bytes()


def test_fences_the_build_accepts_are_read_by_the_profiler(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    shutil.copytree(SAMPLE, sample)
    figures = sorted((sample / "_figures").glob("*.md"))
    for index, path in enumerate(figures[:6]):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("---\n")
        # a byte-order mark and blanks after a fence: the build reads these records unchanged
        head = "\ufeff---  \n" if index % 2 else "--- \t\n"
        path.write_text(head + text[len("---\n") :], encoding="utf-8")
    measured = json.loads(json.dumps(profile_sample(sample), ensure_ascii=False))
    assert measured == load_profile()
