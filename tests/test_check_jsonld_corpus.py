"""``pfocr-ld check-jsonld`` at corpus scale: ``--summary``, ``--workers``, ``--progress``, and the
speed-ups behind them (one expansion per clean document) giving the same findings as before.

The folders here are small copies of the checker's fixtures and of the sample's records; the
multi-process runs are real ``pfocr-ld`` processes (with timeouts).
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld.jsonld import JsonLdProcessor

from pfocr_ld.check_jsonld import (
    CheckSummary,
    DocumentReport,
    InputError,
    analyse_document,
    check_document,
    check_files,
    check_path,
    format_summary,
    iter_inputs,
)
from pfocr_ld.check_jsonld import rules as check_jsonld
from pfocr_ld.cli import main

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "jsonld"
SAMPLE_FIGURES = REPO / "examples" / "pfocr-sample" / "_figures"
TIMEOUT = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every checker fixture (JSON-LD, HTML, records) and three sample records: errors, warnings, ok."""
    folder = tmp_path_factory.mktemp("corpus")
    for file in iter_inputs(DATA):
        shutil.copy(file, folder / file.name)
    for file in sorted(SAMPLE_FIGURES.glob("*.md"))[:3]:
        shutil.copy(file, folder / file.name)
    return folder


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clean")
    for index in range(5):
        shutil.copy(DATA / "valid-dataset.jsonld", folder / f"doc{index}.jsonld")
    return folder


def pfocr_ld(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, this checkout's code first on the path."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, "-m", "pfocr_ld.cli", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        check=False,
    )


# --summary ---------------------------------------------------------------------------------------


def test_summary_lists_each_failing_document_once_with_counts_by_kind(corpus: Path) -> None:
    reports = check_path(corpus)
    failing = [report for report in reports if report.errors]
    assert failing and len(failing) < len(reports)  # the corpus has both
    result = CliRunner().invoke(main, ["check-jsonld", str(corpus), "--summary", "--workers", "1"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    document_lines = lines[: len(failing)]
    for report, line in zip(failing, document_lines, strict=True):
        errors = Counter(f.code for f in report.errors)
        warnings = sum(1 for f in report.findings if f.severity == "warning")
        assert line.startswith(f"{report.document}: {len(report.errors)} error(s), {warnings} warning(s): ")
        for code, count in errors.items():
            assert f"{code} ({count})" in line
    assert lines[len(failing)] == "findings by kind (findings, documents):"
    kinds = Counter((f.severity, f.code) for report in reports for f in report.findings)
    documents = Counter(
        kind for report in reports for kind in {(f.severity, f.code) for f in report.findings}
    )
    table = lines[len(failing) + 1 : -1]
    assert len(table) == len(kinds)
    for row in table:
        severity, code_and_counts = row.split(maxsplit=1)
        code, findings, in_documents = code_and_counts.rsplit(maxsplit=2)
        assert (int(findings), int(in_documents)) == (kinds[severity, code], documents[severity, code])
    # the last line is the default report's last line
    full = CliRunner().invoke(main, ["check-jsonld", str(corpus), "--workers", "1"])
    assert lines[-1] == full.output.splitlines()[-1]
    assert lines[-1].startswith(f"{len(reports)} document(s) checked, {len(failing)} with errors")
    # no "ok" lines, no messages: a line per failing document, the table, the totals
    assert len(lines) == len(failing) + 1 + len(kinds) + 1
    assert len(lines) < len(full.output.splitlines())


def test_summary_of_a_clean_folder_is_the_totals_line_and_exit_zero(clean: Path) -> None:
    result = CliRunner().invoke(main, ["check-jsonld", str(clean), "--summary"])
    assert result.exit_code == 0
    assert result.output == "5 document(s) checked, 0 with errors: 0 error(s), 0 warning(s), 0 info\n"


def test_summary_as_json(corpus: Path) -> None:
    reports = check_path(corpus)
    result = CliRunner().invoke(main, ["check-jsonld", str(corpus), "--summary", "--format", "json"])
    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert summary["documents"] == len(reports)
    assert [entry["document"] for entry in summary["failing"]] == [r.document for r in reports if r.errors]
    assert summary["totals"]["error"] == sum(len(r.errors) for r in reports)
    assert sum(kind["findings"] for kind in summary["by_kind"]) == sum(len(r.findings) for r in reports)


def test_format_summary_matches_the_command(corpus: Path) -> None:
    result = CliRunner().invoke(main, ["check-jsonld", str(corpus), "--summary"])
    assert format_summary(check_path(corpus)) + "\n" == result.output


# --workers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra", [[], ["--summary"], ["--format", "json"], ["--summary", "--format", "json"]]
)
def test_output_is_the_same_for_any_number_of_workers(corpus: Path, extra: list[str]) -> None:
    outputs = {}
    for workers in ("1", "3"):  # 3 worker processes for 20 files: several tasks each
        result = CliRunner().invoke(main, ["check-jsonld", str(corpus), "--workers", workers, *extra])
        assert result.exit_code == 1, result.output
        assert result.stderr == ""  # no progress bar when stderr is not a terminal
        outputs[workers] = result.stdout
    assert outputs["1"] == outputs["3"]


def test_workers_report_in_input_order_through_the_api(corpus: Path) -> None:
    files = list(iter_inputs(corpus))
    one = [report for reports in check_files(files, workers=1) for report in reports]
    three = [report for reports in check_files(files, workers=3) for report in reports]
    assert (
        [r.to_dict() for r in one]
        == [r.to_dict() for r in three]
        == [r.to_dict() for r in check_path(corpus)]
    )


def test_unreadable_file_in_a_worker_is_an_input_error(corpus: Path, tmp_path: Path) -> None:
    files = [*list(iter_inputs(corpus))[:3], tmp_path / "vanished.jsonld"]
    with pytest.raises(InputError, match=r"vanished\.jsonld"):
        for _ in check_files(files, workers=2):
            pass


def test_exit_statuses_with_workers(clean: Path, corpus: Path) -> None:
    # the real command line: 0 without errors, 1 with errors, 2 for a usage error
    assert pfocr_ld("check-jsonld", str(clean), "--workers", "2").returncode == 0
    assert pfocr_ld("check-jsonld", str(corpus), "--workers", "2", "--summary").returncode == 1
    usage = CliRunner().invoke(main, ["check-jsonld", str(clean), "--workers", "-1"])
    assert usage.exit_code == 2 and "--workers" in usage.output


# --progress --------------------------------------------------------------------------------------


def _run_with_terminal_stderr(*args: str) -> tuple[int, str, str]:
    """Run pfocr-ld with stderr on a pseudo-terminal; (exit status, stdout, what the terminal got)."""
    controller, terminal = pty.openpty()
    # a terminal of 100 columns (a fresh pseudo-terminal has none, and tqdm then draws nothing)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "pfocr_ld.cli", *args],
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
        env=env,
    )
    os.close(terminal)
    received = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        received += chunk
    stdout, _ = process.communicate(timeout=TIMEOUT)
    os.close(controller)
    return process.returncode, stdout, received.decode("utf-8", "replace")


def test_progress_bar_only_on_a_terminal(clean: Path) -> None:
    status, stdout, terminal = _run_with_terminal_stderr("check-jsonld", str(clean), "--summary")
    assert status == 0
    assert "check-jsonld" in terminal and "5/5" in terminal
    assert stdout == "5 document(s) checked, 0 with errors: 0 error(s), 0 warning(s), 0 info\n"
    status, _, terminal = _run_with_terminal_stderr("check-jsonld", str(clean), "--no-progress")
    assert status == 0 and terminal == ""
    # not a terminal (a pipe): no bar unless asked for (CliRunner's tests above see an empty stderr)
    forced = pfocr_ld("check-jsonld", str(clean), "--summary", "--progress")
    assert "5/5" in forced.stderr and forced.stdout == stdout


# The speed-ups find what the old way found ------------------------------------------------------


def _expansions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = JsonLdProcessor.expand

    def counting(self: JsonLdProcessor, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(JsonLdProcessor, "expand", counting)
    return calls


def test_a_clean_document_is_expanded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old checker expanded every document three times (checked, probed, converted to RDF)."""
    calls = _expansions(monkeypatch)
    (report,) = check_path(DATA / "valid-dataset.jsonld")
    assert report.findings == [] and len(calls) == 1
    calls.clear()
    # a base of the documents' own scheme could hide a relative reference: the probe runs
    (report,) = check_path(DATA / "valid-dataset.jsonld", base="https://example.org/doc.jsonld")
    assert report.findings == [] and len(calls) == 2


def _with_probe_always(monkeypatch: pytest.MonkeyPatch, run: Any) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(check_jsonld, "_needs_probe", lambda *_: True)
        return run()


def _findings(reports: list[DocumentReport]) -> list[dict[str, Any]]:
    return [report.to_dict() for report in reports]


def test_skipping_the_probe_finds_the_same_on_every_fixture(
    monkeypatch: pytest.MonkeyPatch, corpus: Path
) -> None:
    for base in (None, "file:///corpus/doc.jsonld", "https://example.org/a/doc.jsonld"):
        fast = _findings(check_path(corpus, base=base))
        slow = _with_probe_always(monkeypatch, lambda base=base: _findings(check_path(corpus, base=base)))
        assert fast == slow, base


_IRI_TEXTS = st.sampled_from(
    [
        "CC0",
        "figures/PMC1",
        "../up",
        "//host.example/x",
        "#frag",
        "?q=1",
        "",
        "https://example.org/x",
        "file:///elsewhere/x",
        "FILE:///upper",
        "urn:isbn:1",
        "http://schema.org/Dataset",
        "_:b0",
        "a b",
        "mailto:x@example.org",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ids=st.lists(_IRI_TEXTS, min_size=1, max_size=4),
    types=st.lists(_IRI_TEXTS, max_size=2),
    base_in_document=st.sampled_from([None, "sub/", "https://base.example/", "file:///b/"]),
    vocab=st.sampled_from([None, "http://schema.org/", "", "terms/"]),
    base=st.sampled_from(["file:///corpus/doc.jsonld", "https://example.org/doc.jsonld", None]),
)
def test_skipping_the_probe_finds_the_same_on_generated_documents(
    ids: list[str], types: list[str], base_in_document: str | None, vocab: str | None, base: str | None
) -> None:
    context: dict[str, Any] = {
        "license": {"@type": "@id"},
        "url": {"@id": "http://schema.org/url", "@type": "@id"},
    }
    if base_in_document is not None:
        context["@base"] = base_in_document
    if vocab is not None:
        context["@vocab"] = vocab
    document = {
        "@context": context,
        "@id": ids[0],
        "@type": types,
        "license": ids[-1],
        "url": ids,
        "hasPart": [{"@id": text, "name": "x"} for text in ids],
    }
    fast = check_document(document, base=base)
    original = check_jsonld._needs_probe
    try:
        check_jsonld._needs_probe = lambda *_: True  # type: ignore[assignment]
        slow = check_document(document, base=base)
    finally:
        check_jsonld._needs_probe = original  # type: ignore[assignment]
    assert fast == slow


def test_keep_forms_changes_nothing_but_the_forms(corpus: Path) -> None:
    for file in sorted(corpus.glob("*.jsonld")):
        kept = analyse_document(file.read_bytes(), base=file.as_uri())
        lean = analyse_document(file.read_bytes(), base=file.as_uri(), keep_forms=False)
        assert kept.findings == lean.findings, file.name
        assert lean.graph is None and lean.nquads is None and lean.expanded is None
        if kept.expanded is not None:
            assert kept.nquads is not None and kept.graph is not None


def test_summary_counts_add_up() -> None:
    summary = CheckSummary()
    summary.add(DocumentReport("a", []))
    summary.add(DocumentReport("b", check_document('{"@context": {"x": 1}, "x": 2}', base=None)))
    assert summary.documents == 2 and len(summary.failing) == 1
    assert summary.failing[0][0] == "b"
    assert sum(findings for findings, _ in summary.kinds.values()) == sum(summary.totals.values())
