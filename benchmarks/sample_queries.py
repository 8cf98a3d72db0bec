"""The named queries on the bundled sample: in memory, on disk and on a real Oxigraph server.

Regenerates the table "Timings on the bundled sample" of docs/queries.md:

    python benchmarks/sample_queries.py            # prints a Markdown table

It builds ``examples/pfocr-sample`` into a temporary folder, loads it into an in-memory store
(``--data``), an on-disk store (``--store``, via ``load_build_output``) and publishes it to an
``oxigraph serve`` started on 127.0.0.1 (``pfocr-ld publish``), then times each named query with
its documented example parameters (plus ``cooccurring-genes`` over all pairs): median of 5 runs
after one warm-up, query only, rows read to the end.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import servers  # noqa: E402  (benchmarks/servers.py, beside this script)

from pfocr_ld.build import BuildOptions, build  # noqa: E402
from pfocr_ld.query import EmbeddedSource, RemoteSource, Source, library, run_named  # noqa: E402
from pfocr_ld.store import load_build_output, load_dumps, open_store, publish  # noqa: E402

SAMPLE = REPO / "examples" / "pfocr-sample"
GRAPH = "https://pfocr.wikipathways.org/graph/sample"


def time_query(source: Source, name: str, params: dict[str, str], repeats: int = 5) -> tuple[float, int]:
    """(median milliseconds of ``repeats`` runs after a warm-up, rows), every row read."""
    rows = sum(1 for _ in run_named(source, name, **params))  # the warm-up
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        sum(1 for _ in run_named(source, name, **params))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000, rows


@contextlib.contextmanager
def oxigraph_server(location: Path) -> Iterator[str]:
    """``oxigraph serve --union-default-graph`` on a free local port; always stopped afterwards."""
    port = servers.free_port()
    binary = Path(sys.executable).with_name("oxigraph")
    command = [str(binary) if binary.exists() else "oxigraph", "serve", "--location", str(location)]
    command += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    base = f"http://127.0.0.1:{port}"
    with servers.running(command, f"{base}/query?query=ASK%20%7B%7D", what="oxigraph serve", quiet=True):
        yield base


def cases() -> list[tuple[str, str, dict[str, str]]]:
    """(label, query name, parameters): each named query with its example, and all gene pairs."""
    found = []
    for name, query in sorted(library().items()):
        params = {key: str(value) for key, value in (query.example.get("params") or {}).items()}
        shown = ", ".join(f"{key}={value}" for key, value in params.items())
        found.append((f"{name} ({shown})" if shown else name, name, params))
        if name == "cooccurring-genes":
            found.append(("cooccurring-genes, all pairs", name, {}))
    return found


def main() -> None:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    work = Path(tempfile.mkdtemp(prefix="pfocr-sample-queries-"))
    try:
        out = work / "build"
        build(BuildOptions([SAMPLE], out, workers=1, progress=False))
        with gzip.open(out / "pfocr.nt.gz", "rb") as dump:
            triples = sum(1 for _ in dump)

        memory = ox.Store()
        started = time.perf_counter()
        load_dumps(memory, [out], count=False)
        loads = {"memory": time.perf_counter() - started}
        started = time.perf_counter()
        load_build_output(out, work / "store")
        loads["disk"] = time.perf_counter() - started

        with oxigraph_server(work / "server") as base:
            started = time.perf_counter()
            publish([out], endpoint=base + "/query", graph=GRAPH)
            loads["server"] = time.perf_counter() - started
            sources: dict[str, Source] = {
                "memory": EmbeddedSource(memory),
                "disk": EmbeddedSource(open_store(work / "store", read_only=True)),
                "server": RemoteSource(base + "/query", timeout=60),
            }
            rows: list[str] = [
                f"| load / publish the build folder | {loads['memory']:.2f} s | {loads['disk']:.2f} s | "
                f"{loads['server']:.2f} s |"
            ]
            for label, name, params in cases():
                cells = []
                for source in sources.values():
                    milliseconds, count = time_query(source, name, params)
                    cells.append(f"{milliseconds:.1f} ms")
                rows.append(
                    f"| {label}, {count:,} row{'s' if count != 1 else ''} | " + " | ".join(cells) + " |"
                )
            sources["server"].close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{triples:,} record triples; median of 5 runs after a warm-up, query only.\n")
    print("| | in memory (`--data`) | on disk (`--store`) | Oxigraph server |")
    print("|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
