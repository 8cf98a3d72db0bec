"""Store sync after a monthly update: how long `build --store` / `load --sync` takes to bring an
on-disk store from one release to the next, against a fresh full load of the new release.

Called by ``benchmarks/run.py`` on its largest build (``--sync-fraction``, default 2 % of the records
edited: a third retitled, a third removed, a third added; ``tests/corpus_edits.py``):

1. ``pfocr-ld load BUILD --store sync-store --sync`` on the release as built: a full load plus the
   store's record (timed as ``first_sync_seconds``);
2. the corpus is copied and edited, and rebuilt into the same build folder (a real update);
3. ``pfocr-ld load BUILD --store sync-store --sync`` again: the incremental sync (timed);
4. ``pfocr-ld load BUILD --store fresh-store --no-count --lenient``: a fresh load of the new release,
   what a store costs without the sync (timed);
5. the two stores' quad counts are compared (they must be equal).

Runnable alone: ``python benchmarks/store_sync_bench.py CORPUS BUILD WORK [--fraction 0.02]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from corpus_edits import monthly_update  # noqa: E402


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pfocr_ld.cli", *args]


def _timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1) or (command[3] == "load" and done.returncode != 0):
        raise SystemExit(f"{' '.join(command[2:4])} failed: {done.stderr[-2000:]}")
    return round(seconds, 2), done.stderr


def _count(store_dir: Path) -> int:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_dir))
    try:
        return len(store)
    finally:
        del store


def bench_store_sync(work: Path, corpus: Path, build_out: Path, fraction: float = 0.02) -> dict[str, Any]:
    sync_store, fresh_store = work / "sync-store", work / "fresh-store"
    for folder in (sync_store, fresh_store):
        shutil.rmtree(folder, ignore_errors=True)
    first, _ = _timed(_cli("load", str(build_out), "--store", str(sync_store), "--sync"))
    edited = work / f"{corpus.name}-edited"
    shutil.rmtree(edited, ignore_errors=True)
    shutil.copytree(corpus, edited)
    edits = monthly_update(edited, fraction, seed=1)
    rebuild, build_log = _timed(_cli("build", str(edited), "--out", str(build_out), "--no-progress"))
    sync, sync_log = _timed(_cli("load", str(build_out), "--store", str(sync_store), "--sync"))
    fresh, _ = _timed(_cli("load", str(build_out), "--store", str(fresh_store), "--no-count", "--lenient"))
    synced_quads, fresh_quads = _count(sync_store), _count(fresh_store)
    changes = json.loads((build_out / "changes.json").read_text())["counts"]
    result = {
        "edited_fraction": fraction,
        "edits": edits,
        "changes": changes,
        "first_sync_seconds": first,
        "rebuild_seconds": rebuild,
        "incremental_sync_seconds": sync,
        "fresh_load_seconds": fresh,
        "sync_summary": sync_log.strip().splitlines()[-1] if sync_log.strip() else "",
        "quads_synced": synced_quads,
        "quads_fresh": fresh_quads,
        "equal_counts": synced_quads == fresh_quads,
    }
    del build_log
    for folder in (fresh_store, edited):
        shutil.rmtree(folder, ignore_errors=True)
    return result


def markdown(sync: dict[str, Any]) -> list[str]:
    changes = sync["changes"]
    return [
        f"Store sync ({sync['records']:,} records, {sync['edited_fraction']:.0%} edited: "
        f"{changes['added']} added, {changes['removed']} removed, {changes['changed']} changed figures): "
        f"incremental `load --sync` {sync['incremental_sync_seconds']} s against a fresh load of the new "
        f"release {sync['fresh_load_seconds']} s (first sync, a full load with the store's record: "
        f"{sync['first_sync_seconds']} s); equal quad counts: {sync['equal_counts']} "
        f"({sync['quads_synced']:,}).",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("build", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--fraction", type=float, default=0.02)
    args = parser.parse_args()
    print(json.dumps(bench_store_sync(args.work, args.corpus, args.build, args.fraction), indent=2))


if __name__ == "__main__":
    main()
