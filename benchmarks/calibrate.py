"""The machine's speed at the moment: one build worker's CPU time per figure on a fixed workload.

This machine's speed drifts by 5-20 % between runs (the unchanged SHACL stage took 126-141 s at
100k), so a single wall time cannot say whether a change helped. ``run.py`` runs this before and
after its measurements; comparing two benchmark runs, divide by it. Standalone:

    python benchmarks/calibrate.py CORPUS [--warm-up 500] [--figures 1000] [--rounds 3]

It runs the build's own worker function (read, map, serialise, validate) in this process over
``--rounds`` slices of ``--figures`` records after ``--warm-up`` records, and prints JSON: the median
CPU ms per figure, in total and per stage (stage times are wall-clock inside the worker, as the
build reports them).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pfocr_ld import build, vocab  # noqa: E402
from pfocr_ld.records import discover, read_organism_pages  # noqa: E402


def calibrate(corpus: Path, warm_up: int = 500, figures: int = 1000, rounds: int = 3) -> dict[str, float]:
    """Median over ``rounds`` consecutive slices of ``figures`` records, after ``warm_up`` records."""
    found = discover([corpus])
    organisms = read_organism_pages(found.organism_dirs, [])
    build._init_worker(vocab.DEFAULT_BASE, organisms, False, True, None)
    gc.set_threshold(*build._BUILD_GC_THRESHOLDS)  # as in the build's workers
    for batch in build._batches(found.sources[:warm_up], 250):
        build.process_batch(batch)
    per_round: list[dict[str, float]] = []
    for start in range(warm_up, warm_up + rounds * figures, figures):
        measured = found.sources[start : start + figures]
        if not measured:
            break
        stages: dict[str, float] = {}
        started = time.process_time()
        for batch in build._batches(measured, 250):
            for stage, seconds in build.process_batch(batch).seconds.items():
                stages[stage] = stages.get(stage, 0.0) + seconds
        cpu = time.process_time() - started
        per_round.append(
            {"cpu": cpu / len(measured) * 1000, **{k: v / len(measured) * 1000 for k, v in stages.items()}}
        )
    if not per_round:
        raise SystemExit(f"{corpus}: fewer than {warm_up + 1} records")
    median = {key: statistics.median(r[key] for r in per_round) for key in per_round[0]}
    return {
        "figures": sum(
            len(found.sources[start : start + figures])
            for start in range(warm_up, warm_up + len(per_round) * figures, figures)
        ),
        "rounds": len(per_round),
        "cpu_ms_per_figure": round(median.pop("cpu"), 3),
        **{f"{stage}_ms_per_figure": round(value, 3) for stage, value in median.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--warm-up", type=int, default=500)
    parser.add_argument("--figures", type=int, default=1000, help="records a round (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported (default 3)")
    args = parser.parse_args()
    print(json.dumps(calibrate(args.corpus, args.warm_up, args.figures, args.rounds)))


if __name__ == "__main__":
    main()
