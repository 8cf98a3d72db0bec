"""Whole-corpus benchmark: synthetic corpora of 1k/10k/100k records, the naive pipeline, the store.

Run from the repository root (takes ~15–30 minutes with the 100k size on a 2-core machine):

    python benchmarks/run.py                      # sizes 1000 10000 100000, naive at 1000 10000
    python benchmarks/run.py --sizes 1000 --naive 1000 --work some/folder

For each size it synthesises a corpus (``pfocr-ld synth``), builds it with validation on
(``pfocr-ld build --timings``) and records wall time, records/s, triples/s, peak RSS of the whole
process tree (sampled every 50 ms with psutil) and its peak PSS (every 0.5 s; the pages the forked
workers share with the main process count once), output sizes and the time per stage. The naive
pipeline (``benchmarks/naive.py``) runs on the same corpora in the same run, and the ratio of
records/s is reported. The largest build is loaded into the embedded on-disk store and every named
query is timed (median of 5 runs after one warm-up), and for the hub gene (the gene in the most
figures) and a typical gene, ``figures-for-gene`` and ``cooccurring-genes`` are timed whole, as
their first page (``limit=100``: total and order included, nothing kept between runs) and as a later
page once the sorted keys are kept (what ``pfocr-ld serve``'s query workers do for "next"), and
the first page of ``figures-for-gene`` once the gene index of serve's workers is built (its build
time is reported).
Before and after all that,
``benchmarks/calibrate.py`` measures the machine's speed (one worker's CPU time per figure on a
fixed slice of a corpus). Results go to ``benchmarks/results/latest.json`` and
``benchmarks/results/latest.md`` (``--results NAME`` for other names). ``--incremental 6000:0.02
100000:0.01`` adds incremental rebuilds of a synthetic update (``benchmarks/incremental.py``).
Last, the largest build is
edited (``--sync-fraction`` of its records) and rebuilt, and the store is synced to it
(``benchmarks/store_sync_bench.py``): the incremental sync's time against a fresh load of the new release.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
# Measure this checkout's code, not whatever pfocr-ld is installed: queries run in this process,
# the build and load in child processes that inherit PYTHONPATH.
sys.path.insert(0, str(REPO))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
WHOLE_CORPUS_QUERIES = {"gene-sets", "figures-per-organism"}


def measure(
    command: list[str], env: dict[str, str] | None = None, timeout: float | None = None
) -> dict[str, Any]:
    """Run ``command``; wall seconds, peak RSS and PSS of its whole process tree, exit status, stderr tail.

    With ``timeout`` the process tree is killed after that many seconds (``timed_out`` says so).
    Output goes to temporary files, not pipes, so a chatty process never blocks on a full pipe.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, text=True)
        parent = psutil.Process(process.pid)
        peak = peak_pss = 0
        timed_out = False
        samples = 0
        while process.poll() is None:
            try:
                tree = [parent, *parent.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
                if samples % 10 == 0:  # every 0.5 s: the kernel walks each process's pages for it
                    peak_pss = max(peak_pss, sum(_pss(p.pid) for p in tree))
            except psutil.Error:
                pass
            samples += 1
            if timeout is not None and time.perf_counter() - started > timeout:
                timed_out = True
                for child in parent.children(recursive=True):
                    child.kill()
                process.kill()
                process.wait()
                break
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(peak / 2**20, 1),
        "peak_pss_mb": round(peak_pss / 2**20, 1),
        "returncode": process.returncode,
        "timed_out": timed_out,
        "stdout": stdout[-2000:],
        "stderr": stderr[-2000:],
    }


def _pss(pid: int) -> int:
    """A process's proportional set size in bytes (Linux ``smaps_rollup``; 0 elsewhere).

    The build's workers are forked: the pages they share with the main process (the interpreter,
    libraries, the organism index) count in every process's RSS but only once in the sum of PSS,
    so the sum of PSS is the tree's real memory and the sum of RSS an upper bound.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pfocr_ld.cli", *args]


def calibrate(corpus: Path) -> dict[str, Any]:
    """The machine's speed now (``benchmarks/calibrate.py``), in a fresh process like a worker's."""
    command = [sys.executable, str(REPO / "benchmarks" / "calibrate.py"), str(corpus)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def ensure_corpus(work: Path, size: int, seed: int) -> Path:
    corpus = work / f"corpus-{size}-seed{seed}"
    if not (corpus / "_figures").is_dir() or len(list((corpus / "_figures").iterdir())) != size:
        subprocess.run(["rm", "-rf", str(corpus)], check=True)
        run = measure(cli("synth", str(size), "--out", str(corpus), "--seed", str(seed)))
        if run["returncode"] != 0:
            raise SystemExit(f"synth failed: {run['stderr']}")
    return corpus


def retire(path: Path, work: Path) -> None:
    """Move a previous output aside; :func:`empty_trash` deletes it after the measurements.

    Deleting 200,000 files just before a timed build slows the build: on an ext4 without a journal
    every new inode is checked against the recently freed ones for half a minute or so.
    """
    if path.exists():
        trash = work / "trash"
        trash.mkdir(exist_ok=True)
        path.rename(trash / f"{path.name}-{time.time_ns()}")


def empty_trash(work: Path) -> None:
    subprocess.run(["rm", "-rf", str(work / "trash")], check=True)


def bench_build(work: Path, corpus: Path, size: int) -> dict[str, Any]:
    out = work / f"build-{size}"
    timings = work / f"timings-{size}.json"
    retire(out, work)
    run = measure(cli("build", str(corpus), "--out", str(out), "--no-progress", "--timings", str(timings)))
    if run["returncode"] not in (0, 1):
        raise SystemExit(f"build failed: {run['stderr']}")
    stages = json.loads(timings.read_text())
    report = json.loads((out / "report.json").read_text())
    return {
        "records": size,
        "published": report["published"],
        "rejected": report["rejected_count"],
        "validation_warnings": report["validation"]["warnings"],
        "triples": report["counts"]["triples"],
        "wall_seconds": run["seconds"],
        "records_per_second": round(size / run["seconds"], 1),
        "triples_per_second": round(report["counts"]["triples"] / run["seconds"]),
        "peak_rss_mb": run["peak_rss_mb"],
        "peak_pss_mb": run["peak_pss_mb"],
        "stage_seconds": stages["worker_seconds"],
        "output_mb": {
            name: round(tree_size(out / name) / 2**20, 1)
            for name in ("pfocr.ttl", "pfocr.nt.gz", "jsonld", "schemaorg", "void.ttl", "report.json")
        },
        "out": out.name,  # under --work: the results name no path of the machine they ran on
    }


def bench_naive(work: Path, corpus: Path, size: int, timeout: float) -> dict[str, Any]:
    """The naive pipeline on ``corpus``; stopped after ``timeout`` s (then its rate is an upper bound)."""
    out = work / f"naive-{size}"
    retire(out, work)
    run = measure(
        [sys.executable, str(REPO / "benchmarks" / "naive.py"), str(corpus), str(out)], timeout=timeout
    )
    if run["returncode"] != 0 and not run["timed_out"]:
        raise SystemExit(f"naive pipeline failed: {run['stderr']}")
    lines = run["stdout"].strip().splitlines()
    return {
        "records": size,
        "finished": not run["timed_out"],
        "wall_seconds": run["seconds"],
        # when stopped, the records/s it would have reached had it finished that instant: an upper bound
        "records_per_second": round(size / run["seconds"], 1),
        "peak_rss_mb": run["peak_rss_mb"],
        "stages": lines[-1] if lines else "",
    }


def typical_parameters(store_dir: Path) -> dict[str, dict[str, str]]:
    """Parameters that exist in the corpus: its most frequent gene, a figure, a chemical, a paper …"""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_dir))

    def first(query: str) -> str:
        for row in store.query(query):
            return row[0].value
        return ""

    gene = first(
        "SELECT ?id WHERE { ?g <http://vocabularies.wikipathways.org/wp#bdbEntrezGene> ?g ;"
        " <http://purl.org/dc/terms/identifier> ?id } LIMIT 1"
    )
    figid = first(
        "SELECT ?id WHERE { ?f a <https://pfocr.wikipathways.org/vocab#Figure> ;"
        " <http://purl.org/dc/terms/identifier> ?id } LIMIT 1"
    )
    chebi = first(
        "SELECT ?id WHERE { ?c <http://vocabularies.wikipathways.org/wp#bdbChEBI> ?c ;"
        " <http://purl.org/dc/terms/identifier> ?id } LIMIT 1"
    )
    mesh = first("SELECT ?m WHERE { ?f <http://purl.org/dc/terms/subject> ?m } LIMIT 1").rsplit("/", 1)[-1]
    pmcid = first(
        "SELECT ?id WHERE { ?p a <http://vocabularies.wikipathways.org/wp#PublicationReference> ;"
        " <http://purl.org/dc/terms/identifier> ?id } LIMIT 1"
    )
    # the gene in the most figures: the worst case of the per-gene queries
    hub = first(
        "SELECT ?id WHERE { ?g a <http://vocabularies.wikipathways.org/wp#GeneProduct> ;"
        " <http://purl.org/dc/terms/identifier> ?id ; <http://purl.org/dc/terms/isPartOf> ?f }"
        " GROUP BY ?id ORDER BY DESC(COUNT(?f)) LIMIT 1"
    )
    return {
        "genes-of-figure": {"figid": figid},
        "figures-for-gene": {"gene": gene},
        "figures-for-gene (hub gene)": {"gene": hub},
        "cooccurring-genes (one hub gene)": {"gene": hub},
        "figures-for-chemical": {"chemical": chebi},
        "figures-for-disease": {"disease": mesh},
        "figures-per-organism": {},
        "cooccurring-genes (one gene)": {"gene": gene},
        "figures-of-paper": {"paper": pmcid},
        "gene-sets": {},
        "gene-sets (human genes)": {"taxon": "9606"},
        "dataset-metadata": {},
    }


def bench_store(work: Path, build_out: Path) -> dict[str, Any]:
    from pfocr_ld.query import open_source, run_named

    store_dir = work / "store"
    subprocess.run(["rm", "-rf", str(store_dir)], check=True)
    # --no-count: the quad count before and after is a full scan (~5-20 s at 30M quads), not loading;
    # --lenient: the build wrote and checked these IRIs (what `build --store` does too)
    load = measure(cli("load", str(build_out), "--store", str(store_dir), "--no-count", "--lenient"))
    if load["returncode"] != 0:
        raise SystemExit(f"load failed: {load['stderr']}")
    results: dict[str, Any] = {"load_seconds": load["seconds"], "load_peak_rss_mb": load["peak_rss_mb"]}
    queries: dict[str, Any] = {}
    with open_source(store=str(store_dir)) as source:
        for label, params in typical_parameters(store_dir).items():
            name = label.split(" ")[0]
            timings = []
            rows = 0
            # whole-corpus aggregations take seconds to minutes: timed once, after no warm-up
            runs = 1 if name in WHOLE_CORPUS_QUERIES else 6
            for attempt in range(runs):
                started = time.perf_counter()
                rows = sum(1 for _ in run_named(source, name, **params))
                if attempt or runs == 1:  # the first run warms caches
                    timings.append(time.perf_counter() - started)
            queries[label] = {
                "params": params,
                "rows": rows,
                "median_ms": round(statistics.median(timings) * 1000, 1),
            }
    results["queries"] = queries
    with open_source(store=str(store_dir)) as source:
        results["paging"] = bench_paging(source, typical_parameters(store_dir))
    return results


PAGE_ROWS = 100


def _median_ms(run: Any, runs: int = 5) -> tuple[float, Any]:
    """Median milliseconds of ``runs`` calls of ``run`` after one warm-up call, and its last value."""
    value = run()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        value = run()
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings) * 1000, 1), value


def bench_paging(source: Any, parameters: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Full answer, first page and a later page (keys kept) for the hub gene and a typical gene; the
    first page also from the gene index (``figures-for-gene``: its keys; ``cooccurring-genes``: its
    ranking), checked equal to the engine's."""
    from pfocr_ld.gene_index import GeneFigureIndex
    from pfocr_ld.query import EmbeddedSource, run_named
    from pfocr_ld.query.paging import KeyCache

    kept = EmbeddedSource(source.store)  # as a serve query worker: sorted keys kept between pages
    indexed = EmbeddedSource(source.store)  # as a serve query worker once its gene index is built
    started = time.perf_counter()
    index = GeneFigureIndex(source.store)
    while not index.step(1.0):
        pass
    indexed.gene_index = index
    found: dict[str, Any] = {"gene index build seconds": round(time.perf_counter() - started, 2)}
    genes = {"hub gene": parameters["figures-for-gene (hub gene)"]["gene"]}
    genes["typical gene"] = parameters["figures-for-gene"]["gene"]
    for who, gene in genes.items():
        for name in ("figures-for-gene", "cooccurring-genes"):
            full_ms, rows = _median_ms(lambda n=name, g=gene: sum(1 for _ in run_named(source, n, gene=g)))

            def first(n: str = name, g: str = gene) -> int:
                page = run_named(source, n, gene=g, limit=PAGE_ROWS)
                sum(1 for _ in page)
                return page.total or 0

            first_ms, total = _median_ms(first)
            kept.page_cache = KeyCache(4)
            later = min(PAGE_ROWS, max(0, rows - PAGE_ROWS))  # the second page, or the first if only one
            next_ms, _ = _median_ms(
                lambda n=name, g=gene, o=later: sum(
                    1 for _ in run_named(kept, n, gene=g, limit=PAGE_ROWS, offset=o)
                )
            )
            assert total == rows, (name, gene, total, rows)
            # as a serve worker with its index built, no page kept: every call ranks or fetches anew
            indexed_ms, indexed_rows = _median_ms(
                lambda n=name, g=gene: list(run_named(indexed, n, gene=g, limit=PAGE_ROWS))
            )
            assert indexed_rows == list(run_named(source, name, gene=gene, limit=PAGE_ROWS)), (name, gene)
            found[f"{name} ({who})"] = {
                "gene": gene,
                "rows": rows,
                "full_ms": full_ms,
                "first_page_ms": first_ms,
                "first_page_indexed_ms": indexed_ms,
                "next_page_kept_ms": next_ms,
            }
    return found


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Benchmark of {result['date']} on {result['machine']}.",
        "",
        "| records | wall (s) | records/s | triples | triples/s | peak RSS (PSS) MB | read | map | serialize "
        "| validate | write | Turtle MB | N-Triples.gz MB | JSON-LD MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for build in result["builds"]:
        stage = build["stage_seconds"]
        sizes = build["output_mb"]
        lines.append(
            f"| {build['records']:,} | {build['wall_seconds']} | {build['records_per_second']} | "
            f"{build['triples']:,} | {build['triples_per_second']:,} | {build['peak_rss_mb']}"
            f"{' (' + str(build['peak_pss_mb']) + ')' if build.get('peak_pss_mb') else ''} | "
            f"{stage.get('read', 0):.0f} | {stage.get('map', 0):.0f} | {stage.get('serialize', 0):.0f} | "
            f"{stage.get('validate', 0):.0f} | {stage.get('write (main process)', 0):.0f} | "
            f"{sizes['pfocr.ttl']} | {sizes['pfocr.nt.gz']} | {sizes['jsonld']} |"
        )
    lines += [
        "",
        "Stage columns: seconds spent in each stage inside the worker processes, summed over the "
        "workers (wall-clock time, so it includes time a worker waited for a core); write: the main "
        "process.",
        "",
    ]
    calibration = result.get("calibration")
    if calibration:
        moments = ", ".join(
            f"{moment} {calibration[moment]['cpu_ms_per_figure']} ms"
            for moment in ("before", "after")
            if moment in calibration
        )
        lines += [
            f"Machine speed (`benchmarks/calibrate.py {calibration['corpus']}`: one build worker's CPU "
            f"time per figure, median of {calibration['before']['rounds']} rounds over "
            f"{calibration['before']['figures']:,} records): {moments}. Compare runs by it.",
            "",
        ]
    if result["naive"]:
        lines += [
            "| records | naive wall (s) | naive records/s | naive peak RSS (MB) | ours records/s | ratio |",
            "|---|---|---|---|---|---|",
        ]
        for naive in result["naive"]:
            # ours at the same size; else (e.g. --sizes 100000 --naive 1000) the nearest size built,
            # named in the cell: ours runs no faster on a smaller corpus, so the ratio is not flattered
            ours = min(result["builds"], key=lambda b: abs(b["records"] - naive["records"]))
            other = "" if ours["records"] == naive["records"] else f" (at {ours['records']:,})"
            ratio = ours["records_per_second"] / naive["records_per_second"]
            stopped = not naive.get("finished", True)
            lines.append(
                f"| {naive['records']:,} | {naive['wall_seconds']}{' (stopped)' if stopped else ''} | "
                f"{'< ' if stopped else ''}{naive['records_per_second']} | {naive['peak_rss_mb']} | "
                f"{ours['records_per_second']}{other} | {'> ' if stopped else ''}{ratio:.1f}× |"
            )
        if not all(n.get("finished", True) for n in result["naive"]):
            lines += [
                "",
                "(stopped): the naive pipeline had not finished when the benchmark stopped it "
                "(`--naive-timeout`); its rate is at most records / elapsed, so the ratio is at least "
                "the one shown.",
            ]
        lines.append("")
    if result.get("store"):
        store = result["store"]
        lines += [
            f"Store ({store['records']:,} records"
            f"{', measured ' + store['date'] if store.get('date') else ''}): load {store['load_seconds']} s, "
            f"peak RSS {store['load_peak_rss_mb']} MB.",
            "",
            "| query | parameters | rows | median ms |",
            "|---|---|---|---|",
        ]
        for label, query in store["queries"].items():
            params = ", ".join(f"{k}={v}" for k, v in query["params"].items())
            lines.append(f"| {label} | {params} | {query['rows']} | {query['median_ms']} |")
        if store.get("paging"):
            lines += [
                "",
                f"Page by page (`limit={PAGE_ROWS}`; median of 5 after a warm-up; first page: total and "
                "order computed every time; next page: with the sorted keys kept, as serve's query "
                "workers keep them):",
                "",
                "| query | gene | rows | full ms | first page ms | first page ms, gene index "
                "| next page ms (keys kept) |",
                "|---|---|---|---|---|---|---|",
            ]
            paging = dict(store["paging"])
            build_seconds = paging.pop("gene index build seconds", None)
            for label, row in paging.items():
                indexed = row.get("first_page_indexed_ms")
                lines.append(
                    f"| {label} | {row['gene']} | {row['rows']:,} | {row['full_ms']} | "
                    f"{row['first_page_ms']} | {'–' if indexed is None else indexed} | "
                    f"{row['next_page_kept_ms']} |"
                )
            lines += [
                "",
                f"Gene index (what each of serve's query workers builds between queries; "
                f"`pfocr_ld/gene_index.py`): built in {build_seconds} s here.",
            ]
    if result.get("incremental"):
        from incremental import markdown as incremental_markdown

        lines += ["", *incremental_markdown(result["incremental"], result.get("date", "")).splitlines()[2:]]
    if result.get("store_sync"):
        from store_sync_bench import markdown as sync_markdown

        lines += ["", *sync_markdown(result["store_sync"])]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--naive", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument(
        "--naive-timeout",
        type=float,
        default=1200,
        help="stop the naive pipeline after this many seconds (default 1200; the ratio is then a bound)",
    )
    parser.add_argument("--seed", type=int, default=1)
    # corpora and builds are kept between runs; the results name them relative to this folder
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "pfocr-bench")
    parser.add_argument("--no-store", action="store_true")
    parser.add_argument(
        "--sync-fraction",
        type=float,
        default=0.02,
        help="share of the largest corpus's records edited for the store sync measurement "
        "(benchmarks/store_sync_bench.py; default 0.02)",
    )
    parser.add_argument(
        "--results",
        default="latest",
        help="name of the result files in benchmarks/results/ (default: latest.json and latest.md)",
    )
    parser.add_argument(
        "--store-only",
        type=Path,
        default=None,
        help="only load this existing build folder into a store and time the named queries "
        "(results merged into benchmarks/results/RESULTS.json, --results)",
    )
    parser.add_argument(
        "--incremental",
        nargs="*",
        default=[],
        metavar="SIZE:SHARE",
        help="also rebuild a synthetic update incrementally and with --full from the same previous "
        "release (benchmarks/incremental.py), e.g. --incremental 6000:0.02 100000:0.01",
    )
    parser.add_argument(
        "--markdown-only",
        action="store_true",
        help="only rewrite benchmarks/results/RESULTS.md from RESULTS.json",
    )
    args = parser.parse_args()
    if args.markdown_only:
        saved = json.loads((RESULTS / f"{args.results}.json").read_text())
        (RESULTS / f"{args.results}.md").write_text(markdown(saved))
        return
    if args.store_only is not None:
        saved = RESULTS / f"{args.results}.json"
        result = json.loads(saved.read_text()) if saved.exists() else {"builds": [], "naive": []}
        report = json.loads((args.store_only / "report.json").read_text())
        result["store"] = {
            "records": report["records_read"],
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            **bench_store(args.work, args.store_only),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"{args.results}.md").write_text(markdown(result))
        print(markdown(result))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {psutil.cpu_count()} cores, "
        f"{round(psutil.virtual_memory().total / 2**30)} GiB, Python {platform.python_version()}",
        "builds": [],
        "naive": [],
    }
    corpora = {
        size: ensure_corpus(args.work, size, args.seed) for size in sorted(set(args.sizes) | set(args.naive))
    }
    # the smallest corpus with the warm-up and three rounds of 1,000 records
    calibration_corpus = corpora[min((size for size in corpora if size >= 3500), default=max(corpora))]
    result["calibration"] = {"corpus": calibration_corpus.name, "before": calibrate(calibration_corpus)}
    print(json.dumps(result["calibration"]), flush=True)
    for size in sorted(args.sizes):
        build = bench_build(args.work, corpora[size], size)
        result["builds"].append(build)
        print(json.dumps(build), flush=True)
    for size in sorted(args.naive):
        naive = bench_naive(args.work, corpora[size], size, args.naive_timeout)
        result["naive"].append(naive)
        print(json.dumps(naive), flush=True)
    if not args.no_store and result["builds"]:
        largest = max(result["builds"], key=lambda b: b["records"])
        store = bench_store(args.work, args.work / largest["out"])
        result["store"] = {"records": largest["records"], **store}
        print(json.dumps(result["store"]), flush=True)
        # after the store benchmark: it rebuilds the largest build folder with an edited corpus
        from store_sync_bench import bench_store_sync

        sync = bench_store_sync(
            args.work, corpora[largest["records"]], args.work / largest["out"], args.sync_fraction
        )
        result["store_sync"] = {"records": largest["records"], **sync}
        print(json.dumps(result["store_sync"]), flush=True)
    if args.incremental:
        from incremental import bench as bench_incremental

        result["incremental"] = []
        for spec in args.incremental:
            size, share = spec.split(":")
            result["incremental"].append(bench_incremental(args.work, int(size), float(share)))
            print(json.dumps(result["incremental"][-1], default=str), flush=True)
    result["calibration"]["after"] = calibrate(calibration_corpus)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.results}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.results}.md").write_text(markdown(result))
    print(markdown(result))
    empty_trash(args.work)


if __name__ == "__main__":
    main()
