"""Load test for ``pfocr-ld serve``: many concurrent clients fetching figures and running named queries.

Bounded in time and in requests, and only ever against 127.0.0.1 (or ``localhost``/``::1``). Either
starts ``pfocr-ld serve`` on a store itself (``--store``), or targets a server already running on
this machine (``--url``). Each client is an asyncio task sharing one httpx connection pool; it
repeatedly picks a request from a fixed mix (below), seeded so runs are comparable. Clients are
spread over a few generator processes (``--processes``), since one httpx event loop saturates a core
long before the server does:

    figure page (HTML)            35 %     figure as Turtle      15 %
    figure as JSON-LD             15 %     figure as N-Triples    5 %
    a named query (SPARQL JSON)   25 %     home page / VoID       5 %

Named queries are the library's examples with their example parameters bound in (what
``pfocr-ld query NAME --endpoint`` sends). After a warm-up (not counted) it reports throughput,
latency percentiles (p50/p95/p99) and errors per kind of request and overall.

    python benchmarks/load_test.py --store pfocr-store --clients 32 --duration 20
    python benchmarks/load_test.py --url http://127.0.0.1:8080 --json results.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import servers  # benchmarks/servers.py, beside this script

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MIX = (
    ("figure html", 35),
    ("figure ttl", 15),
    ("figure jsonld", 15),
    ("figure nt", 5),
    ("named query", 25),
    ("home/void", 5),
)
FIGIDS_QUERY = """PREFIX pfocr: <https://pfocr.wikipathways.org/vocab#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?figure WHERE { ?figure a pfocr:Figure ; dcterms:identifier ?figid } ORDER BY ?figid"""
BASE = "https://pfocr.wikipathways.org/figures/"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    requests: int = 0


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (no interpolation: every reported value was measured)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@contextlib.contextmanager
def started_server(store: Path, workers: int, timeout: float, base: str) -> Iterator[str]:
    """``pfocr-ld serve`` in a subprocess (so the load generator does not share its GIL)."""
    port = servers.free_port()
    command = [
        sys.executable,
        "-m",
        "pfocr_ld.cli",
        "serve",
        "--store",
        str(store),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
        "--base",
        base,
        "--log-level",
        "warning",
    ]
    url = f"http://127.0.0.1:{port}"
    with servers.running(command, url + "/ld/context.jsonld", what="pfocr-ld serve"):
        yield url


def named_queries() -> list[tuple[str, str]]:
    from pfocr_ld.serve import named_query_examples

    return [(e.name, e.text) for e in named_query_examples()]


async def discover(client: httpx.AsyncClient, base: str) -> list[str]:
    """Server paths of every figure (``/figures/<figid>`` without suffix), from the endpoint itself."""
    response = await client.get(
        "/sparql", params={"query": FIGIDS_QUERY}, headers={"Accept": "application/sparql-results+json"}
    )
    response.raise_for_status()
    rows = response.json()["results"]["bindings"]
    path = urlsplit(base).path
    return [path + row["figure"]["value"].removeprefix(base).removesuffix(".html") for row in rows]


def build_request(
    kind: str, rng: random.Random, figures: list[str], queries: list[tuple[str, str]]
) -> tuple[str, str, dict[str, str], dict[str, str] | None]:
    """(method, path, headers, form) for one request of the given kind."""
    if kind.startswith("figure"):
        suffix = kind.split()[1]
        return "GET", f"{rng.choice(figures)}.{suffix}", {}, None
    if kind == "named query":
        _, text = rng.choice(queries)
        headers = {"Accept": "application/sparql-results+json"}
        if len(text) > 1500:  # as pfocr_ld.query.RemoteSource does: long queries are POSTed
            return "POST", "/sparql", headers, {"query": text}
        return "GET", "/sparql?" + str(httpx.QueryParams({"query": text})), headers, None
    return "GET", rng.choice(["/", "/void"]), {"Accept": "text/html"}, None


async def client_loop(
    number: int,
    client: httpx.AsyncClient,
    stats: Stats,
    figures: list[str],
    queries: list[tuple[str, str]],
    measure_from: float,
    stop_at: float,
    max_requests: int,
    seed: int,
) -> None:
    rng = random.Random(seed * 1000 + number)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    while time.monotonic() < stop_at and stats.requests < max_requests:
        kind = rng.choices(kinds, weights)[0]
        method, path, headers, form = build_request(kind, rng, figures, queries)
        started = time.monotonic()
        failure = None
        try:
            response = await client.request(method, path, headers=headers, data=form)
            if response.status_code >= 400:
                failure = f"{kind}: HTTP {response.status_code} {response.text[:120]!r}"
        except httpx.HTTPError as error:
            failure = f"{kind}: {type(error).__name__}: {error}"
        ended = time.monotonic()
        if started < measure_from:
            continue  # warm-up: fills the server's caches, not counted
        stats.requests += 1
        stats.latencies[kind].append(ended - started)
        if failure:
            stats.errors[kind] += 1
            if len(stats.error_samples) < 10:
                stats.error_samples.append(failure)


async def run_load(
    url: str,
    clients: int,
    duration: float,
    warmup: float,
    max_requests: int,
    seed: int,
    base: str,
    first_client: int = 0,
) -> tuple[Stats, float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        figures = await discover(client, base)
        if not figures:
            raise SystemExit("the server has no figures")
        queries = named_queries()
        stats = Stats()
        now = time.monotonic()
        measure_from, stop_at = now + warmup, now + warmup + duration
        await asyncio.gather(
            *(
                client_loop(
                    first_client + i,
                    client,
                    stats,
                    figures,
                    queries,
                    measure_from,
                    stop_at,
                    max_requests,
                    seed,
                )
                for i in range(clients)
            )
        )
        elapsed = min(time.monotonic(), stop_at) - measure_from
    return stats, max(elapsed, 1e-9)


def run_share(
    arguments: tuple[str, int, float, float, int, int, str, int],
) -> tuple[dict, dict, list, int, float]:
    """One generator process: its share of the clients, on its own event loop (and its own core)."""
    stats, elapsed = asyncio.run(run_load(*arguments))
    return dict(stats.latencies), dict(stats.errors), stats.error_samples, stats.requests, elapsed


def run_processes(
    url: str,
    clients: int,
    processes: int,
    duration: float,
    warmup: float,
    max_requests: int,
    seed: int,
    base: str,
) -> tuple[Stats, float]:
    """Clients spread over ``processes`` generator processes: one httpx event loop is CPU-bound at a
    couple of hundred requests per second, which would measure the generator, not the server."""
    import multiprocessing

    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    firsts = [sum(shares[:i]) for i in range(processes)]
    jobs = [
        (url, share, duration, warmup, max(1, max_requests // processes), seed, base, first)
        for share, first in zip(shares, firsts, strict=True)
        if share
    ]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        results = pool.map(run_share, jobs)
    merged = Stats()
    for latencies, errors, samples, requests, _ in results:
        for kind, values in latencies.items():
            merged.latencies[kind].extend(values)
        for kind, count in errors.items():
            merged.errors[kind] += count
        merged.error_samples.extend(samples[: max(0, 10 - len(merged.error_samples))])
        merged.requests += requests
    return merged, max(r[4] for r in results)


def report(stats: Stats, elapsed: float, clients: int) -> dict[str, object]:
    rows = {}
    everything: list[float] = []
    for kind, _ in MIX:
        values = stats.latencies.get(kind, [])
        everything += values
        rows[kind] = summary(values, stats.errors.get(kind, 0), elapsed)
    rows["all"] = summary(everything, sum(stats.errors.values()), elapsed)
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": stats.requests,
        "by_kind": rows,
        "error_samples": stats.error_samples,
    }


def summary(values: list[float], errors: int, elapsed: float) -> dict[str, float | int]:
    def ms(p: float) -> float:
        return round(percentile(values, p) * 1000, 1) if values else float("nan")

    return {
        "requests": len(values),
        "errors": errors,
        "per_second": round(len(values) / elapsed, 1),
        "p50_ms": ms(50),
        "p95_ms": ms(95),
        "p99_ms": ms(99),
        "max_ms": round(max(values) * 1000, 1) if values else float("nan"),
    }


def print_report(result: dict[str, object]) -> None:
    print(
        f"{result['requests']} requests in {result['seconds']} s from {result['clients']} concurrent clients"
    )
    columns = ("requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms")
    print(f"{'kind':<15}" + "".join(f"{c:>9}" for c in columns))
    for kind, row in result["by_kind"].items():  # type: ignore[attr-defined]
        print(
            f"{kind:<15}{row['requests']:>9}{row['errors']:>8}{row['per_second']:>9}{row['p50_ms']:>9}"
            f"{row['p95_ms']:>9}{row['p99_ms']:>9}{row['max_ms']:>9}"
        )
    for sample in result["error_samples"]:  # type: ignore[attr-defined]
        print("error:", sample)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--store", type=Path, help="start `pfocr-ld serve` on this store")
    target.add_argument("--url", help="a server already running on this machine (127.0.0.1 only)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring (default 3)")
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help="stop after this many (default 100000)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="load-generating processes the clients are spread over (default: cores, up to 4)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="query workers of the started server (default 2)"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="query time limit of the started server")
    parser.add_argument("--base", default=BASE, help="figure IRI base of the data")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.duration > 600 or args.clients > 1000:
        parser.error("keep it bounded: --duration at most 600 s, --clients at most 1000")
    with contextlib.ExitStack() as stack:
        if args.url:
            host = urlsplit(args.url).hostname or ""
            if host not in LOCAL_HOSTS:
                parser.error(f"--url must point at this machine (127.0.0.1, localhost, ::1), not {host!r}")
            url = args.url.rstrip("/")
        else:
            url = stack.enter_context(started_server(args.store, args.workers, args.timeout, args.base))
        processes = max(1, min(args.processes, args.clients))
        stats, elapsed = run_processes(
            url, args.clients, processes, args.duration, args.warmup, args.max_requests, args.seed, args.base
        )
    result = report(stats, elapsed, args.clients)
    result["machine"] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "generator_processes": processes,
    }
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 1 if sum(stats.errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
