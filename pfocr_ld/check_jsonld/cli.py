"""The ``pfocr-ld check-jsonld`` command: options, progress bar, streamed reports, exit statuses."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click
import rdflib

from pfocr_ld.check_jsonld.corpus import check_files
from pfocr_ld.check_jsonld.findings import DocumentReport, ShapesNotFoundError
from pfocr_ld.check_jsonld.profiles import PROFILES, load_against, profile_shape_files
from pfocr_ld.check_jsonld.reading import iter_inputs
from pfocr_ld.check_jsonld.report import CheckSummary, _report_lines, format_json


class _Output:
    """Lines to stdout; through tqdm while a progress bar is on stderr, so they do not tear it."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.bar: Any = None

    def _start(self) -> None:
        # started with the first result, after the worker processes were forked: tqdm runs a
        # monitor thread, and a fork should not copy a process with threads
        if self.enabled and self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total, unit="file", desc="check-jsonld", dynamic_ncols=True, file=sys.stderr
            )

    def echo(self, text: str) -> None:
        self._start()
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)
        else:
            click.echo(text)

    def advance(self) -> None:
        self._start()
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.command("check-jsonld")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    type=click.Choice(sorted(PROFILES)),
    help="Validate with a SHACL profile (repeatable): bioschemas, pfocr.",
)
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Compare each document's triples with this Turtle graph.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--base", help="Base IRI of the documents (default: each file's file:// IRI).")
@click.option(
    "--summary",
    is_flag=True,
    help="Errors only: one line per document with errors, then finding counts by kind and the totals "
    "(for corpus-scale checks; with --format json, the same as one JSON object).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Worker processes (0: one per core). The output is the same for any number.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal only).")
def check_jsonld_command(
    inputs: tuple[Path, ...],
    profiles: tuple[str, ...],
    against: Path | None,
    output_format: str,
    base: str | None,
    summary: bool,
    workers: int,
    progress: bool | None,
) -> None:
    """Check JSON-LD files, folders, HTML pages or PFOCR records (their schema-jsonld block).

    Exit status: 0 no errors, 1 at least one error finding, 2 unreadable input or usage error.
    """
    for profile in profiles:
        try:
            profile_shape_files(profile)
        except ShapesNotFoundError as error:
            raise click.UsageError(str(error)) from error
    # An unreadable input or --against graph raises InputError, a PfocrLdError whose exit_code (2)
    # pfocr_ld.cli turns into the exit status, as it does for every library error.
    expected: rdflib.Graph | None = None
    if against is not None:
        expected = load_against(against)
    files = [file for path in inputs for file in iter_inputs(path)]
    show_progress = sys.stderr.isatty() if progress is None else progress
    totals = CheckSummary()
    collected: list[DocumentReport] = []  # only for --format json without --summary
    out = _Output(len(files), show_progress)
    try:
        results = check_files(
            files, base=base, profiles=profiles, against=expected, workers=workers or os.cpu_count() or 1
        )
        # reports are written as they come (in input order), so a corpus never has to fit in memory
        for reports in results:
            for report in reports:
                failing_before = len(totals.failing)
                totals.add(report)
                if output_format == "json":
                    if not summary:
                        collected.append(report)
                elif summary:
                    if len(totals.failing) > failing_before:
                        out.echo(CheckSummary.failing_line(totals.failing[-1]))
                else:
                    out.echo("\n".join(_report_lines(report)))
            out.advance()
    finally:
        out.close()
    if output_format == "json":
        click.echo(
            json.dumps(totals.to_dict(), indent=2, ensure_ascii=False) if summary else format_json(collected)
        )
    else:
        if summary:
            for line in totals.kind_lines():
                click.echo(line)
        click.echo(totals.totals_line())
    if totals.failing:
        raise SystemExit(1)
