"""Query workers: the jobs the server hands them, how a worker runs one, and the pool that runs them.

This module owns everything that happens outside the server process: :class:`QueryJob` and
:class:`QueryOutcome` (what goes over the pipe), :func:`run_job` (one SPARQL query against the
read-only store, its result serialised under ``--max-results`` and a byte limit), the worker's main
loop (network cut off first by :mod:`pfocr_ld.sandbox`, an address-space limit, then the store opened
read-only) and :class:`QueryPool`, which kills and replaces a worker past ``--timeout`` or killed by its
memory limit. pyoxigraph cannot interrupt a running query from Python, which is why queries never run
in the server process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pyoxigraph as ox

from pfocr_ld import ordering, sandbox, sparql, vocab
from pfocr_ld.errors import PfocrLdError
from pfocr_ld.messages import excerpt
from pfocr_ld.serve.guard import FEDERATION_REFUSED, mentions_service
from pfocr_ld.serve.jobs import NamedJob, QueryJob, QueryOutcome

if TYPE_CHECKING:
    from pfocr_ld.query import Source

log = logging.getLogger("pfocr_ld.serve")


class _TooLarge(Exception):
    pass


def _tsv_cell(term: Any) -> str:
    # str() of a pyoxigraph term is its N-Triples form, with tabs and newlines escaped: valid SPARQL TSV.
    return "" if term is None else str(term)


def _select_rows(answer: ox.QuerySolutions, job: QueryJob) -> tuple[list[str], list[tuple[Any, ...]]]:
    variables = [v.value for v in answer.variables]
    rows: list[tuple[Any, ...]] = []
    size = 0
    for solution in answer:
        if len(rows) >= job.max_rows:
            raise _TooLarge(
                f"the result has more than {job.max_rows:,} rows, the limit of this server (--max-results); "
                "add a LIMIT to the query, or page through the results with LIMIT and OFFSET"
            )
        row = tuple(solution)
        size += sum(len(str(term)) + 8 for term in row if term is not None)
        if size > job.max_bytes:
            raise _TooLarge(
                f"the result is larger than {job.max_bytes >> 20} MiB, the limit of this server; "
                "ask for fewer rows or shorter values"
            )
        rows.append(row)
    return variables, rows


def _select_body(variables: list[str], ordered: list[tuple[Any, ...]], fmt: str) -> tuple[bytes, int]:
    from pfocr_ld.query import write_delimited, write_srj, write_srx

    rows = [dict(zip(variables, row, strict=True)) for row in ordered]
    out = io.StringIO()
    if fmt == "json":
        write_srj(variables, rows, out)
    elif fmt == "xml":
        write_srx(variables, rows, out)
    elif fmt == "csv":
        write_delimited(variables, rows, out, ",")
    else:
        out.write("\t".join("?" + v for v in variables) + "\n")
        for row in rows:
            out.write("\t".join(_tsv_cell(row[v]) for v in variables) + "\n")
    return out.getvalue().encode("utf-8"), len(rows)


def _ask_body(value: bool, fmt: str) -> bytes:
    from pfocr_ld.query import write_boolean

    out = io.StringIO()
    write_boolean(value, {"json": "srj", "xml": "srx"}.get(fmt, fmt), out)
    return out.getvalue().encode("utf-8")


def _graph_body(answer: Any, fmt: str, job: QueryJob) -> tuple[bytes, int]:
    triples: list[ox.Triple] = []
    size = 0
    for triple in answer:
        if len(triples) >= job.max_rows:
            raise _TooLarge(
                f"the result has more than {job.max_rows:,} triples, the limit of this server "
                "(--max-results); add a LIMIT to the query"
            )
        size += len(str(triple))
        if size > job.max_bytes:
            raise _TooLarge(f"the result is larger than {job.max_bytes >> 20} MiB, the limit of this server")
        triples.append(triple)
    if fmt == "ttl":
        body = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=vocab.PREFIXES)
    elif fmt == "nt":
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    elif fmt == "rdfxml":
        body = ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=vocab.PREFIXES)
    else:
        body = ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
    return body or b"", len(triples)


def _not_acceptable(kind: str) -> QueryOutcome:
    offered = (
        "SPARQL JSON, SPARQL XML, CSV, TSV" if kind != "graph" else "Turtle, N-Triples, RDF/XML, JSON-LD"
    )
    return QueryOutcome(
        406,
        message=f"the result of this {'CONSTRUCT/DESCRIBE' if kind == 'graph' else 'SELECT/ASK'} "
        f"query is available as {offered}; none of them is acceptable to the client",
    )


def _federation_refused() -> QueryOutcome:
    # The engine's error is not passed on: without the sandbox it could hold a remote service's answer.
    return QueryOutcome(400, message=FEDERATION_REFUSED + ": the query workers cannot open connections")


def run_job(store: ox.Store, job: QueryJob) -> QueryOutcome:
    """Run one query against ``store`` and serialise its result (in a worker process)."""
    started = time.perf_counter()
    options: dict[str, Any] = {"prefixes": sparql.PREDECLARED}
    if job.default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    # As in pfocr-ld query: a final ORDER BY of plain variables is cheaper sorted here (the rows
    # are collected anyway, under --max-results); the engine orders whatever this cannot.
    try:
        answer = ordering.ordered_select(
            lambda text: store.query(text, **options),
            job.text,
            rows_of=lambda found: _select_rows(found, job),
        )
        if isinstance(answer, ox.QueryBoolean):
            kind, fmt = "ask", job.select_format
            if fmt is None:
                return _not_acceptable(kind)
            body, count = _ask_body(bool(answer), fmt), 1
        elif isinstance(answer, (ordering.OrderedRows, ox.QuerySolutions)):
            kind, fmt = "select", job.select_format
            if fmt is None:
                return _not_acceptable(kind)
            if isinstance(answer, ordering.OrderedRows):
                variables, rows = answer.variables, answer.rows
            else:
                variables, rows = _select_rows(answer, job)
            body, count = _select_body(variables, rows, fmt)
        else:
            kind, fmt = "graph", job.graph_format
            if fmt is None:
                return _not_acceptable(kind)
            body, count = _graph_body(answer, fmt, job)
    except SyntaxError as error:
        return QueryOutcome(400, message=sparql.syntax_error_message(job.text, error))
    except _TooLarge as error:
        return QueryOutcome(422, message=str(error))
    except (ValueError, RuntimeError, TypeError) as error:
        if mentions_service(job.text):  # never pass on what a remote service may have answered
            return _federation_refused()
        return QueryOutcome(400, message=f"the query cannot be evaluated: {error}")
    except OSError as error:
        if mentions_service(job.text):
            return _federation_refused()
        return QueryOutcome(500, message=f"the store could not be read: {error}")
    return QueryOutcome(
        200, kind=kind, format=fmt, body=body, count=count, seconds=time.perf_counter() - started
    )


def run_named_job(source: Source, job: NamedJob) -> QueryOutcome:
    """In a query worker: bind, run (a page, or the full answer), and answer JSON for the server."""
    from pfocr_ld.query import _srj_term, bind, get_query, no_rows_hint, run_bound

    started = time.perf_counter()
    try:
        bound = bind(get_query(job.name), dict(job.params))
        result = run_bound(source, bound)
        if result.kind != "select":
            return QueryOutcome(400, message=f"{job.name} is not a SELECT query")
        rows: list[dict[str, Any]] = []
        size = 0
        for row in result:
            if len(rows) >= job.max_rows:
                return QueryOutcome(
                    422,
                    message=f"the answer has more than {job.max_rows:,} rows; page through it with limit "
                    "and offset (or use pfocr-ld query for whole files)",
                )
            binding = {name: _srj_term(term) for name, term in row.items() if term is not None}
            size += sum(len(t.get("value", "")) + 16 for t in binding.values())
            if size > job.max_bytes:
                return QueryOutcome(
                    422,
                    message=f"the answer is larger than {job.max_bytes >> 20} MiB, the limit of this "
                    "server; page through it with limit and offset",
                )
            rows.append(binding)
        hint = result.hint
        if not rows and result.total is None:
            hint = no_rows_hint(source, bound)
        body = {
            "variables": result.variables,
            "rows": rows,
            "total": len(rows) if result.total is None else result.total,
            "offset": result.offset or 0,
            "limit": result.limit,
            "hint": hint,
        }
    except PfocrLdError as error:  # a bad parameter, an unknown query: the user's to fix
        return QueryOutcome(400, message=error.format_message())
    except (ValueError, RuntimeError, OSError) as error:
        return QueryOutcome(500, message=f"the query failed: {error}")
    return QueryOutcome(
        200,
        kind="select",
        format="named",
        body=orjson.dumps(body),
        count=len(rows),
        seconds=time.perf_counter() - started,
    )


#: Answers whose sorted keys (or rows) a query worker keeps for the next pages: a hub gene's keys on a
#: 100k-figure store are ~18,000 small tuples (a few MB), so the worst case stays far below --worker-memory.
NAMED_ANSWERS_KEPT = 16


def _worker_main(conn: Connection, store_dir: str, memory_mib: int, sandboxed: bool = True) -> None:
    """A query worker: lose the network, open the store read-only, run jobs from ``conn`` until it closes."""
    # The server shuts workers down itself; a Ctrl-C meant for it must not print tracebacks here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from pfocr_ld.store import StoreError, open_store  # imported before the sandbox closes sockets

    if sandboxed:
        # First of all, while single-threaded and before any query text: no socket can be made from
        # here on (the pipe to the server exists already), so SERVICE cannot reach any address.
        try:
            sandbox.deny_network()
        except sandbox.SandboxError as error:
            conn.send(("no-sandbox", str(error)))
            return
    if memory_mib:
        try:
            import resource

            limit = memory_mib << 20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):  # not on this platform: the time limit still holds
            pass
    try:
        # retries while a sync or load compacts the store (pfocr_ld.store_sync)
        store = open_store(store_dir, read_only=True)
    except StoreError as error:
        conn.send(("failed", str(error)))
        return
    from pfocr_ld.gene_index import GeneFigureIndex
    from pfocr_ld.query import EmbeddedSource
    from pfocr_ld.query.paging import KeyCache

    # Named queries (/query/<name>) keep the sorted keys of recent answers: "next page" costs the page;
    # and every gene's figures in figid order, built between queries: a hub's first page at once.
    source = EmbeddedSource(store, description=store_dir)
    source.page_cache = KeyCache(NAMED_ANSWERS_KEPT)
    index = source.gene_index = GeneFigureIndex(store)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            while not index.complete and not conn.poll(0):
                index.step(0.05)  # a query waits at most one step
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = run_named_job(source, job) if isinstance(job, NamedJob) else run_job(store, job)
        except MemoryError:
            outcome = QueryOutcome(
                503,
                message="the query needed more memory than a query may use on this server (--worker-memory)",
            )
        try:
            conn.send(outcome)
        except (OSError, ValueError):
            return


def _worker_entry() -> None:
    """``python -c`` entry point of a worker process: ``FD STORE_DIR MEMORY_MIB SANDBOX`` as arguments."""
    fd, store_dir, memory_mib, sandboxed = sys.argv[1:5]
    _worker_main(Connection(int(fd)), store_dir, int(memory_mib), sandboxed == "sandbox")


class _Worker:
    def __init__(self, process: subprocess.Popen[bytes], conn: Connection, number: int) -> None:
        self.process = process
        self.conn = conn
        self.number = number

    def call(self, job: QueryJob | NamedJob, timeout: float) -> QueryOutcome | str:
        """The worker's outcome, ``"timeout"`` past the deadline, ``"died"`` when the worker is gone."""
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                return "timeout"
            outcome: QueryOutcome = self.conn.recv()
            return outcome
        except (EOFError, OSError):
            return "died"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


class WorkerStartError(RuntimeError):
    pass


class QueryPool:
    """Worker processes that run SPARQL with a deadline; a worker past it is killed and replaced.

    Requests take an idle worker from a queue (waiting at most the time limit when all are busy),
    hand it the job over a socket and wait in a thread for its answer. A timeout or a dead worker
    (killed by its memory limit, or crashed) costs that worker, which a background thread replaces
    while the others go on serving.

    Workers are plain ``python -c`` subprocesses speaking :class:`multiprocessing.connection.Connection`
    over a socket pair, not ``multiprocessing`` processes: no fork of a threaded server holding a
    store, and no re-import of the embedding program's ``__main__`` as the spawn method does.
    """

    def __init__(
        self, store_dir: Path, *, workers: int, timeout: float, memory_mib: int, sandboxed: bool = True
    ) -> None:
        self.store_dir = store_dir
        self.sandboxed = sandboxed
        self.size = workers
        self.timeout = timeout
        self.memory_mib = memory_mib
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers + 2, thread_name_prefix="pfocr-query"
        )
        self._idle: asyncio.Queue[_Worker] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._numbers = iter(range(1, 1 << 62))
        self._closed = False
        self.restarts = 0

    def _spawn(self) -> _Worker:
        parent, child = socket.socketpair()
        with self._lock:
            number = next(self._numbers)
        # The package's own folder goes first on the path, so the worker imports this very pfocr_ld.
        # Few malloc arenas: a worker runs one query at a time, and glibc's default of eight arenas
        # per core reserves hundreds of MiB of address space that --worker-memory would count.
        package_root = str(Path(__file__).resolve().parents[2])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
            "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        }
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from pfocr_ld.serve.workers import _worker_entry; _worker_entry()",
                    str(child.fileno()),
                    str(self.store_dir),
                    str(self.memory_mib),
                    "sandbox" if self.sandboxed else "none",
                ],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
            )
        finally:
            child.close()
        worker = _Worker(process, Connection(parent.detach()), number)
        try:
            if not worker.conn.poll(60):
                raise WorkerStartError("a query worker did not start within 60 s")
            status, detail = worker.conn.recv()
        except (EOFError, OSError) as error:
            worker.stop()
            raise WorkerStartError(
                f"a query worker died while starting (exit code {process.returncode})"
            ) from error
        except WorkerStartError:
            worker.stop()
            raise
        if status == "no-sandbox":
            worker.stop()
            raise WorkerStartError(
                f"a query worker cannot be cut off from the network ({detail}); "
                "see docs/serve.md, or run with --no-sandbox (unsafe on a public endpoint)"
            )
        if status != "ready":
            worker.stop()
            raise WorkerStartError(f"a query worker cannot open the store {self.store_dir}: {detail}")
        with self._lock:
            self._all.add(worker)
        return worker

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        spawned = await asyncio.gather(
            *(self._loop.run_in_executor(self._executor, self._spawn) for _ in range(self.size)),
            return_exceptions=True,
        )
        failures = [s for s in spawned if isinstance(s, BaseException)]
        for worker in spawned:
            if isinstance(worker, _Worker):
                self._idle.put_nowait(worker)
        if failures:
            self.close()
            raise failures[0]

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop()

    def _replace(self) -> None:
        """Start a worker in the background and add it to the idle queue when it is ready."""
        if self._closed or self._loop is None:
            return
        self.restarts += 1
        future = self._loop.run_in_executor(self._executor, self._spawn)

        def ready(done: asyncio.Future[_Worker]) -> None:
            if done.cancelled():
                return
            error = done.exception()
            if error is not None:
                log.error("cannot restart a query worker: %s", error)
                return
            if self._closed:
                self._retire(done.result())
            elif self._idle is not None:
                self._idle.put_nowait(done.result())

        future.add_done_callback(ready)

    async def run(self, job: QueryJob | NamedJob) -> QueryOutcome:
        assert self._idle is not None and self._loop is not None, "the pool is not started"
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=self.timeout)
        except TimeoutError:
            return QueryOutcome(
                503,
                message=f"all {self.size} query workers stayed busy for {self.timeout:g} s; "
                "try again shortly",
                headers=(("Retry-After", "5"),),
            )
        # The deadline starts when a worker takes the query: time spent queueing is not the query's fault.
        try:
            result = await self._loop.run_in_executor(self._executor, worker.call, job, self.timeout)
        except BaseException:
            # Cancelled (the client went away, the server stops): the worker may still be busy; retire it.
            self._retire(worker)
            self._replace()
            raise
        if isinstance(result, QueryOutcome):
            self._idle.put_nowait(worker)
            return result
        worker.stop()
        exit_code = worker.process.returncode
        self._retire(worker)
        self._replace()
        if result == "timeout":
            log.warning("query stopped at the time limit (%gs): %s", self.timeout, excerpt(job.text, 200))
            return QueryOutcome(
                503,
                message=f"the query did not finish within {self.timeout:g} s, the time "
                "limit of this server (--timeout); make it more selective or add "
                "a LIMIT",
            )
        log.warning(
            "query worker %s stopped (exit code %s) on: %s", worker.number, exit_code, excerpt(job.text, 200)
        )
        return QueryOutcome(
            503,
            message="the query stopped the worker running it (exit code "
            f"{exit_code}): it needed more than the {self.memory_mib} MiB a query may "
            "use on this server (--worker-memory), or more resources than the engine "
            "has; make it more selective or add a LIMIT",
        )

    def workers_alive(self) -> int:
        with self._lock:
            return sum(1 for w in self._all if w.alive())

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)
