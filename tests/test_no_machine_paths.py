"""Committed docs, scripts and code name paths relative to the repository (issue 16, §4).

A doc that names ``/work/...`` or ``/tmp/pfocr-bench/...`` describes the machine it was written
on, not the project: a reader's checkout, temporary folder and home are elsewhere. Docs name
paths relative to the repository, or the command that produces the file; scripts take folders
as options (with defaults from ``tempfile``), and results name files relative to their folder.

No generic example needs an absolute path today, so there is no allow-list: add one (with the
reason) only for a path that is the same on every machine. This file is the one exception: its
examples of what the pattern finds are such paths.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: What readers and users read or run: docs, results, scripts, the package, the tests, CI.
SCANNED = (
    "README.md",
    "docs/*.md",
    "output/README.md",
    "output/example/report.json",
    "benchmarks/*.py",
    "benchmarks/*.md",
    "benchmarks/results/*.md",
    "benchmarks/results/*.json",
    "scripts/*",
    "pfocr_ld/**/*.py",
    "pfocr_ld/data/**/*.md",
    "tests/*.py",
    "tests/conftest.py",
    ".ci/run",
    "pyproject.toml",
)

#: An absolute path into a machine's checkout, temporary folder or home: at the start of a
#: token (after a space, quote, bracket, "=" or "file://"), so URLs such as
#: https://example.org/tmp/x do not count.
MACHINE_PATH = re.compile(
    r"(?:^|[\s\"'`(\[<=,:]|file://)"
    r"(/(?:work|tmp|root|home|Users|var/folders|private/var|private/tmp|mnt/c/Users)/[^\s\"'`)\]>,]*)",
    re.MULTILINE,
)


def scanned_files() -> list[Path]:
    files: set[Path] = set()
    for pattern in SCANNED:
        files.update(path for path in REPO.glob(pattern) if path.is_file())
    files.discard(Path(__file__).resolve())  # the pattern's examples below
    return sorted(files)


def machine_paths(text: str) -> list[str]:
    return [match.group(1) for match in MACHINE_PATH.finditer(text)]


def test_the_scan_covers_the_docs() -> None:
    names = {path.relative_to(REPO).as_posix() for path in scanned_files()}
    assert {"README.md", "docs/queries.md", "docs/jsonld-before-after.md", "benchmarks/run.py"} <= names
    assert any(name.startswith("benchmarks/results/") for name in names)
    assert len(names) > 50  # the package and the tests as well


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("see `/work/shared/docs/rdf-model.md`", ["/work/shared/docs/rdf-model.md"]),
        ("--store-only /tmp/pfocr-bench/build-100000", ["/tmp/pfocr-bench/build-100000"]),
        ('"out": "/tmp/pfocr-bench/build-1000"', ["/tmp/pfocr-bench/build-1000"]),
        ("(value: <file:///work/main/examples/x/CC0>)", ["/work/main/examples/x/CC0"]),
        ("cd /home/someone/pfocr-ld && make", ["/home/someone/pfocr-ld"]),
        ("default=Path('/root/.cache/x')", ["/root/.cache/x"]),
        ("https://example.org/tmp/x and tmp/pfocr-bench/build-1 and ./work/x", []),
        ("the repository's tmp/ folder, docs/queries.md, <work>/build-100000", []),
    ],
)
def test_the_pattern(text: str, found: list[str]) -> None:
    assert machine_paths(text) == found


def test_no_committed_file_names_a_path_of_this_machine() -> None:
    offenders = []
    for path in scanned_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for found in machine_paths(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {found}")
    assert offenders == [], "absolute paths of a machine:\n" + "\n".join(offenders)
