"""check-jsonld at corpus scale: the JSON-LD documents of a synthetic build, checked the old way and the new.

Run from the repository root. The reference runs dominate: about 71 ms of CPU per figure document
for the naive checker, so 2,000 documents of each kind take about 6 minutes on the 2-core machine:

    python benchmarks/check_jsonld_scale.py --docs 2000
    python benchmarks/check_jsonld_scale.py --docs 500 --naive-ref 21c7455 --work some/folder
    python benchmarks/check_jsonld_scale.py --docs 20000 --no-reference   # the new checker only

It synthesises ``--docs`` records (``pfocr-ld synth``), builds them (``pfocr-ld build``), breaks
every ``--broken-every``-th document of each kind in one of five ways (a dropped key, a relative
``@id``, an undefined schema.org term, an ill-formed language tag, a plain string where schema.org
expects a URL), so that the reports have findings to compare, and checks each kind of document
(``jsonld/``, the figure documents; ``schemaorg/``, the schema.org ones) as each its own
``pfocr-ld check-jsonld <build>/<kind>`` process:

- naive: the checker as it was at ``--naive-ref`` (default: the last commit before the corpus
  speed-ups), exported with ``git archive``; one process, the full text report. It predates the
  build's relative context reference (``../context.jsonld``), so on ``jsonld/`` it reports that
  every document's context cannot be loaded and stops there: its report differs and its time is
  not a figure document's check (on ``schemaorg/`` both are comparable);
- before: the checker at ``--before-ref`` (default: the last commit before the fast path),
  ``--workers`` processes, the full text report and ``--summary``;
- new: this checkout, ``--workers`` processes (default: one per core), the full text report and
  ``--summary``, each of which must be byte-identical to the before one (the benchmark fails
  otherwise).

For each it records wall seconds, CPU seconds (the process and its workers), documents per second
and the lines of output; the ratio is naive wall time over new wall time. The 100k figures in the
results are linear extrapolations of the measured rates, not measurements. Results go to
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
#: The last commit before the fast path (``pfocr_ld/check_jsonld_fast.py``): PyLD expands every
#: document once, workers, ``--summary``.
BEFORE_REF = "114df80"
KINDS = ("jsonld", "schemaorg")
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


def _break(document: dict[str, Any], how: int) -> None:
    """Break one built document in way ``how`` (0-4); see the module docstring."""
    figure = "@graph" in document  # a figure document of jsonld/; else a schema.org document
    node = document["@graph"][0] if figure else document
    if how == 0:
        node["undefinedTerm" if figure else "@undefined"] = "x"
    elif how == 1:
        node["@id"] = "figures/relative"
    elif how == 2:
        node["schema:nameX" if figure else "nameX"] = "x"
    elif how == 3:
        node["dc:title" if figure else "name"] = {"@language": "not a tag", "@value": "x"}
    else:
        node["schema:url" if figure else "url"] = {"@value": "see the paper"}


def break_documents(folder: Path, every: int) -> int:
    """Break every ``every``-th document of ``folder``; the number broken."""
    broken = 0
    for index, file in enumerate(sorted(folder.glob("*.jsonld"))):
        if every and index % every == every - 1:
            document = json.loads(file.read_bytes())
            _break(document, broken % 5)
            file.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            broken += 1
    return broken


def export_naive(ref: str, into: Path) -> None:
    """The tree of ``ref`` (its ``pfocr_ld`` package is what the naive run imports)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "pfocr_ld"], check=True, capture_output=True
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def _rates(result: dict[str, Any], count: int, usable: int) -> None:
    result["docs_per_s"] = round(count / result["wall_s"], 1)
    result["extrapolated_100k_min"] = round(EXTRAPOLATE_TO / result["docs_per_s"] / 60, 1)
    # On a shared machine the wall time includes waiting for a core; CPU time per document
    # over the cores the run can use is what the same run would take with the cores to itself.
    result["cpu_ms_per_doc"] = round(1000 * result["cpu_s"] / count, 2)
    result["extrapolated_100k_min_idle"] = round(EXTRAPOLATE_TO * result["cpu_s"] / count / usable / 60, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--docs", type=int, default=2000, help="synthetic records (one JSON-LD document of each kind each)"
    )
    parser.add_argument("--workers", type=int, default=0, help="check-jsonld --workers for the new runs")
    parser.add_argument("--naive-ref", default=NAIVE_REF, help="git revision of the naive checker")
    parser.add_argument("--before-ref", default=BEFORE_REF, help="git revision of the checker before")
    parser.add_argument(
        "--no-reference", action="store_true", help="run the new checker only (no naive or before run)"
    )
    parser.add_argument(
        "--broken-every", type=int, default=50, help="break every N-th document of each kind (0: none)"
    )
    parser.add_argument("--work", type=Path, default=None, help="folder for the corpus (default: temporary)")
    parser.add_argument("--results", default=None, help="results name (default: check-jsonld-<docs>)")
    args = parser.parse_args()
    name = args.results or f"check-jsonld-{args.docs}"
    if Path(name).name != name:
        raise SystemExit("--results is a name, not a path")

    cores = os.cpu_count() or 1
    workers = args.workers or cores
    usable = min(workers, cores)
    # absolute, so that every checker (run from different folders) prints the same file names
    work = (args.work or Path(tempfile.mkdtemp(prefix="pfocr-check-jsonld-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, dict[str, Any]] = {}
    try:
        corpus, build, naive_src, before_src = (
            work / "corpus",
            work / "build",
            work / "naive-src",
            work / "before-src",
        )
        for folder in (corpus, build, naive_src, before_src):
            shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
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
        print(f"synth + build: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if not args.no_reference:
            export_naive(args.naive_ref, naive_src)
            export_naive(args.before_ref, before_src)
        for kind in KINDS:
            documents = build / kind
            broken = break_documents(documents, args.broken_every)
            count = sum(1 for _ in documents.glob("*.jsonld"))
            check = ["check-jsonld", str(documents), "--no-progress"]
            parallel = ["--workers", str(args.workers)]
            runs: dict[str, dict[str, Any]] = {}
            labels = ("naive", "before-full", "before-summary", "full", "summary")
            out = {label: work / f"{kind}-{label}.txt" for label in labels}
            if not args.no_reference:
                runs["naive"] = run([*CLI, *check[:2]], naive_src, out["naive"])
                runs["before (full report)"] = run([*CLI, *check, *parallel], before_src, out["before-full"])
                runs["before (--summary)"] = run(
                    [*CLI, *check, *parallel, "--summary"], before_src, out["before-summary"]
                )
            runs["new (full report)"] = run([*CLI, *check, *parallel], REPO, out["full"])
            runs["new (--summary)"] = run([*CLI, *check, *parallel, "--summary"], REPO, out["summary"])
            for label, result in runs.items():
                _rates(result, count, 1 if label == "naive" else usable)
            summary_text = out["summary"].read_text(encoding="utf-8").splitlines()
            kinds[kind] = {
                "documents": count,
                "broken": broken,
                "full_report_identical_to_naive": None
                if args.no_reference
                else out["naive"].read_bytes() == out["full"].read_bytes(),
                "full_report_identical_to_before": None
                if args.no_reference
                else out["before-full"].read_bytes() == out["full"].read_bytes(),
                "summary_identical_to_before": None
                if args.no_reference
                else out["before-summary"].read_bytes() == out["summary"].read_bytes(),
                "summary_totals": summary_text[-1],
                "runs": runs,
            }
            print(f"{kind}: {json.dumps(runs)}", file=sys.stderr)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    report = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {cores} cores, Python {platform.python_version()}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "docs": args.docs,
        "workers": workers,
        "naive_ref": None if args.no_reference else args.naive_ref,
        "before_ref": None if args.no_reference else args.before_ref,
        "broken_every": args.broken_every,
        "kinds": kinds,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    references = (
        "new only (no reference run)"
        if args.no_reference
        else f"naive = the checker at {args.naive_ref}, one process, full report; before = the checker at "
        f"{args.before_ref} (before the fast path), {workers} worker(s)"
    )
    lines = [
        f"check-jsonld benchmark of {report['date']} on {report['machine']} "
        f"(load average afterwards: {', '.join(map(str, report['load_average_after']))}).",
        "",
        f"`pfocr-ld synth {args.docs}`, `pfocr-ld build`, every {args.broken_every}th document of each kind "
        "broken (see the benchmark's docstring), then `pfocr-ld check-jsonld <build>/<kind>`; "
        f"{references}; new = this checkout, {workers} worker(s).",
        "",
        "| kind | run | wall (s) | CPU (s) | CPU ms/doc | docs/s | output lines | 100k docs (min, "
        "extrapolated from wall) | 100k docs (min, extrapolated from CPU, idle cores) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, data in kinds.items():
        for label, result in data["runs"].items():
            lines.append(
                f"| {kind} ({data['documents']:,} docs) | {label} | {result['wall_s']} | {result['cpu_s']} "
                f"| {result['cpu_ms_per_doc']} | {result['docs_per_s']} | {result['lines']:,} "
                f"| {result['extrapolated_100k_min']} | {result['extrapolated_100k_min_idle']} |"
            )
    lines.append("")
    failures = []
    for kind, data in kinds.items():
        same_full, same_summary = data["full_report_identical_to_before"], data["summary_identical_to_before"]
        if same_full is not None:
            same_naive = data["full_report_identical_to_naive"]
            lines.append(
                f"- {kind}: the full report is {'byte-identical' if same_full else 'NOT identical'} to the "
                f"before one (and {'byte-identical' if same_naive else 'not identical'} to the naive one), "
                f"the summary {'byte-identical' if same_summary else 'NOT identical'} to the before one; "
                f"{data['broken']} broken documents; summary totals: {data['summary_totals']}"
            )
            if not (same_full and same_summary):
                failures.append(kind)
        else:
            lines.append(
                f"- {kind}: {data['broken']} broken documents; summary totals: {data['summary_totals']}"
            )
    measured = args.docs == EXTRAPOLATE_TO
    lines += [
        "",
        (
            "At 100,000 documents the wall column is the measured run"
            if measured
            else f"The 100k columns are extrapolations, not measurements: {EXTRAPOLATE_TO:,} documents at "
            "the measured rate (wall)"
        )
        + "; the idle-cores column is the measured CPU time spread over the cores the run can use "
        "(what the run would take with the machine to itself; naive uses one core). Other jobs "
        "shared the machine: the load average above counts them, and the wall times include "
        "waiting for a core.",
        "",
    ]
    (RESULTS / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    if failures:
        raise SystemExit(f"the new output differs from the reference for: {', '.join(failures)}")


if __name__ == "__main__":
    main()
