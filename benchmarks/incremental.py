"""Incremental rebuild benchmark: a monthly update rebuilt from the previous release's build cache.

Run from the repository root (the 100k size takes ~20 minutes on a 2-core machine):

    python benchmarks/incremental.py                       # 6,000 records (2%) and 100,000 (1%)
    python benchmarks/incremental.py --sizes 6000 --shares 0.02 --work some/folder

For each size it synthesises a corpus (``pfocr-ld synth``), builds it (the clean build), applies a
synthetic update (:func:`pfocr_ld.synth.update_corpus`: titles corrected, gene symbols renamed,
records removed and added, a quarter each), then rebuilds it twice from the same previous release:
incrementally (what users run) and with ``--full`` (the clean build of the same inputs, the naive
approach, measured in the same run). It reports wall time and peak RSS of each, the ratio, how many
record files were reused, and whether the two releases are byte-identical. Results go to
``benchmarks/results/incremental.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")

from run import RESULTS, cli, measure  # noqa: E402

from pfocr_ld.synth import update_corpus  # noqa: E402


def release_digest(out: Path) -> dict[str, str]:
    """A digest per file a reader finds through the documented names (the tool's folder aside)."""
    found: dict[str, str] = {}
    for folder, folders, files in os.walk(out, followlinks=True):
        if Path(folder) == out:
            folders[:] = [name for name in folders if name != ".pfocr-ld"]
        for name in files:
            path = Path(folder) / name
            with open(path, "rb") as handle:
                found[str(path.relative_to(out))] = hashlib.file_digest(handle, "blake2b").hexdigest()
    return found


def build(corpus: Path, out: Path, *extra: str) -> dict[str, Any]:
    timings = out.parent / f"{out.name}-timings.json"
    result = measure([*cli("build", str(corpus), "--out", str(out), "--timings", str(timings)), *extra])
    if result["returncode"] not in (0, 1):
        raise SystemExit(f"build failed: {result['stderr_tail']}")
    result.update(json.loads(timings.read_text()))
    return result


def bench(work: Path, size: int, share: float, full: bool = True) -> dict[str, Any]:
    root = work / f"incremental-{size}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    corpus = root / "corpus"
    subprocess.run(cli("synth", str(size), "--out", str(corpus)), check=True, capture_output=True)
    out = root / "out"
    clean = build(corpus, out)
    update = update_corpus(corpus, share, seed=1)
    # The same previous release for the --full rebuild: a hard-linked copy (builds never change files)
    # with a lock file of its own.
    twin = root / "out-full"
    subprocess.run(["cp", "-al", str(out), str(twin)], check=True)
    (twin / ".pfocr-ld" / "lock").unlink()
    incremental = build(corpus, out)
    full_rebuild = build(corpus, twin, "--full") if full else None
    identical = release_digest(out) == release_digest(twin) if full else None
    unchanged = build(corpus, out)
    result = {
        "records": size,
        "share": share,
        "touched": {
            "retitled": len(update.retitled),
            "relabelled": len(update.relabelled),
            "removed": len(update.removed),
            "added": len(update.added),
        },
        "clean_build": clean,
        "incremental": incremental,
        "full_rebuild": full_rebuild,
        "unchanged_rebuild": unchanged,
        "byte_identical": identical,
        "ratio": full_rebuild["seconds"] / incremental["seconds"] if full_rebuild else None,
    }
    shutil.rmtree(root, ignore_errors=True)
    return result


def markdown(results: list[dict[str, Any]], started: str) -> str:
    lines = [
        f"Incremental rebuild benchmark of {started} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()} (load average afterwards: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}).",
        "",
        "| records | update | clean build (s) | incremental (s) | reused files | --full rebuild (s) | "
        "ratio | nothing changed (s) | peak RSS incremental (MB) | byte-identical |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        touched = r["touched"]
        update = (
            f"{r['share']:.0%}: {touched['retitled']} retitled, {touched['relabelled']} relabelled, "
            f"{touched['removed']} removed, {touched['added']} added"
        )
        full = r["full_rebuild"]
        identical = {True: "yes", False: "NO", None: "(not compared)"}[r["byte_identical"]]
        full_seconds = f"{full['seconds']:.1f}" if full else "–"
        ratio = f"{r['ratio']:.1f}×" if full else "–"
        lines.append(
            f"| {r['records']:,} | {update} | {r['clean_build']['seconds']:.1f} | "
            f"{r['incremental']['seconds']:.1f} | {r['incremental']['reused_record_files']:,} | "
            f"{full_seconds} | {ratio} | "
            f"{r['unchanged_rebuild']['seconds']:.1f} | {r['incremental']['peak_rss_mb']:.0f} | "
            f"{identical} |"
        )
    lines += [
        "",
        "incremental: the rebuild after the update, from the previous release's build cache; --full: the "
        "same rebuild reusing nothing (the naive approach), from the same previous release; ratio: "
        "--full / incremental; reused files: record files whose output came from the cache (the rest, "
        "and those naming a gene whose release-wide label vote moved, were rebuilt); byte-identical: "
        "every file of the two releases compared.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[6000, 100_000])
    parser.add_argument("--shares", type=float, nargs="+", default=[0.02, 0.01])
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--results", default="incremental")
    parser.add_argument(
        "--full-up-to",
        type=int,
        default=None,
        metavar="N",
        help="the --full rebuild and the byte comparison only for sizes up to N (default: every size)",
    )
    args = parser.parse_args()
    shares = args.shares + [args.shares[-1]] * (len(args.sizes) - len(args.shares))
    work = args.work or Path(os.environ.get("TMPDIR", "/tmp")) / "pfocr-incremental-bench"
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results = []
    for size, share in zip(args.sizes, shares, strict=False):
        results.append(bench(work, size, share, full=args.full_up_to is None or size <= args.full_up_to))
        print(json.dumps(results[-1], indent=1, default=str), file=sys.stderr)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.results}.json").write_text(json.dumps(results, indent=1, default=str))
    (RESULTS / f"{args.results}.md").write_text(markdown(results, started))
    print(markdown(results, started))


if __name__ == "__main__":
    main()
