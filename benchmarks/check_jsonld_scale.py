"""check-jsonld at corpus scale: the JSON-LD documents of a synthetic build, checked the old way and the new.

Run from the repository root. The naive run dominates: about 71 ms of CPU per document, so 2,000
documents take 2.5 minutes on an idle core (18 minutes in all on the shared 2-core machine of
results/check-jsonld-2000.md):

    python benchmarks/check_jsonld_scale.py --docs 2000
    python benchmarks/check_jsonld_scale.py --docs 500 --naive-ref 21c7455 --work some/folder

It synthesises ``--docs`` records (``pfocr-ld synth``), builds them (``pfocr-ld build``) and checks
the build's ``jsonld/`` folder three ways, each as its own ``pfocr-ld check-jsonld`` process:

- naive: the checker as it was at ``--naive-ref`` (default: the last commit before the speed-ups),
  exported with ``git archive``; one process, the full text report;
- new, full report: this checkout, ``--workers`` processes (default: one per core), the full text
  report, which must be byte-identical to the naive one (the benchmark fails otherwise);
- new, summary: the same with ``--summary``.

For each it records wall seconds, CPU seconds (the process and its workers), documents per second
and the lines of output; the ratio is naive wall time over new wall time. The 100k figure in the
results is a linear extrapolation of the measured rate, not a measurement. Results go to
``benchmarks/results/check-jsonld-<docs>.json`` and ``.md`` (``--results NAME`` for other names).
Temporary files go to ``--work`` (default: a new temporary folder, removed afterwards).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
#: The last commit before check-jsonld's corpus-scale work: one process, three JSON-LD expansions
#: per document, the full report.
NAIVE_REF = "21c7455"
EXTRAPOLATE_TO = 100_000


#: ``pfocr-ld`` of whichever checkout is first on PYTHONPATH (see :func:`_env`)
CLI = [sys.executable, "-m", "pfocr_ld.cli"]


def _env(source: Path) -> dict[str, str]:
    # the code under test comes first on the path, whatever pfocr-ld is installed
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")])),
    }


def run(command: list[str], source: Path, stdout: Path) -> dict[str, Any]:
    """Run a command of the code in ``source``; wall and CPU seconds, exit status, output lines."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(stdout, "wb") as out:
        completed = subprocess.run(command, cwd=source, env=_env(source), stdout=out, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if completed.returncode not in (0, 1):
        raise SystemExit(
            f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr.decode()[-2000:]}"
        )
    with open(stdout, "rb") as out:
        lines = sum(1 for _ in out)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "exit_status": completed.returncode,
        "lines": lines,
    }


def export_naive(ref: str, into: Path) -> None:
    """The tree of ``ref`` (its ``pfocr_ld`` package is what the naive run imports)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "pfocr_ld"], check=True, capture_output=True
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--docs", type=int, default=2000, help="synthetic records (one JSON-LD document each)"
    )
    parser.add_argument("--workers", type=int, default=0, help="check-jsonld --workers for the new runs")
    parser.add_argument("--naive-ref", default=NAIVE_REF, help="git revision of the naive checker")
    parser.add_argument("--work", type=Path, default=None, help="folder for the corpus (default: temporary)")
    parser.add_argument("--results", default=None, help="results name (default: check-jsonld-<docs>)")
    args = parser.parse_args()
    name = args.results or f"check-jsonld-{args.docs}"
    if Path(name).name != name:
        raise SystemExit("--results is a name, not a path")

    # absolute, so that both checkers (run from different folders) print the same file names
    work = (args.work or Path(tempfile.mkdtemp(prefix="pfocr-check-jsonld-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    try:
        corpus, build, naive_src = work / "corpus", work / "build", work / "naive-src"
        for folder in (corpus, build, naive_src):
            shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [*CLI, "synth", str(args.docs), "--out", str(corpus)],
            cwd=REPO,
            env=_env(REPO),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*CLI, "build", str(corpus), "--out", str(build), "--no-progress"],
            cwd=REPO,
            env=_env(REPO),
            check=False,
            capture_output=True,
        )
        documents = build / "jsonld"
        count = sum(1 for _ in documents.glob("*.jsonld"))
        export_naive(args.naive_ref, naive_src)
        check = ["check-jsonld", str(documents), "--no-progress"]
        naive = run([*CLI, "check-jsonld", str(documents)], naive_src, work / "naive.txt")
        full = run([*CLI, *check, "--workers", str(args.workers)], REPO, work / "full.txt")
        summary = run([*CLI, *check, "--workers", str(args.workers), "--summary"], REPO, work / "summary.txt")
        identical = (work / "naive.txt").read_bytes() == (work / "full.txt").read_bytes()
        totals_line = (work / "summary.txt").read_text(encoding="utf-8").splitlines()[-1]
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    runs = {"naive": naive, "new (full report)": full, "new (--summary)": summary}
    cores = os.cpu_count() or 1
    workers = args.workers or cores
    for label, result in runs.items():
        result["docs_per_s"] = round(count / result["wall_s"], 1)
        result["extrapolated_100k_min"] = round(EXTRAPOLATE_TO / result["docs_per_s"] / 60, 1)
        # On a shared machine the wall time includes waiting for a core; CPU time per document
        # over the cores the run can use is what the same run would take with the cores to itself.
        result["cpu_ms_per_doc"] = round(1000 * result["cpu_s"] / count, 1)
        usable = 1 if label == "naive" else min(workers, cores)
        result["extrapolated_100k_min_idle"] = round(
            EXTRAPOLATE_TO * result["cpu_s"] / count / usable / 60, 1
        )
    report = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "documents": count,
        "workers": workers,
        "naive_ref": args.naive_ref,
        "full_report_identical_to_naive": identical,
        "summary_totals": totals_line,
        "runs": runs,
        "ratio_full": round(naive["wall_s"] / full["wall_s"], 2),
        "ratio_summary": round(naive["wall_s"] / summary["wall_s"], 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"check-jsonld benchmark of {report['date']} on {report['machine']} "
        f"(load average afterwards: {', '.join(map(str, report['load_average_after']))}).",
        "",
        f"{count:,} JSON-LD documents of a synthetic build (`pfocr-ld synth {args.docs}`, `pfocr-ld build`), "
        f"`pfocr-ld check-jsonld <build>/jsonld`; naive = the checker at {args.naive_ref}, one process; "
        f"new = this checkout, {report['workers']} worker(s).",
        "",
        "| run | wall (s) | CPU (s) | CPU ms/doc | docs/s | output lines | 100k docs (min, extrapolated "
        "from wall) | 100k docs (min, extrapolated from CPU, idle cores) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, result in runs.items():
        lines.append(
            f"| {label} | {result['wall_s']} | {result['cpu_s']} | {result['cpu_ms_per_doc']} "
            f"| {result['docs_per_s']} | {result['lines']:,} | {result['extrapolated_100k_min']} "
            f"| {result['extrapolated_100k_min_idle']} |"
        )
    lines += [
        "",
        f"Ratio (naive wall / new wall): {report['ratio_full']}× with the full report, "
        f"{report['ratio_summary']}× with `--summary`. The full report is "
        f"{'byte-identical' if identical else 'NOT identical'} to the naive one. "
        f"Summary totals: {totals_line}",
        "",
        f"The 100k columns are extrapolations, not measurements: {EXTRAPOLATE_TO:,} documents at the "
        "measured rate (wall), and at the measured CPU time per document spread over the cores the run "
        "can use (what the run would take with the machine to itself; naive uses one core).",
        "",
    ]
    (RESULTS / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    if not identical:
        raise SystemExit("the new full report differs from the naive one")


if __name__ == "__main__":
    main()
