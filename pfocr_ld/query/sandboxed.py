"""Local queries without network: ``pfocr-ld query`` on a store or dumps runs in a child process that
cannot make sockets (:mod:`pfocr_ld.sandbox`), and this module relays its output and errors back.

The child's entry point :func:`_sandboxed_query` is named by string (``pfocr_ld.query:_sandboxed_query``,
re-exported by the package).
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, cast

import click

from pfocr_ld import sparql
from pfocr_ld.errors import PfocrLdError, QueryError
from pfocr_ld.query.binding import BoundQuery
from pfocr_ld.query.hints import no_rows_hint
from pfocr_ld.query.sources import open_source, run_bound
from pfocr_ld.query.writers import write_result
from pfocr_ld.results import Result, Source

# Local queries without network ------------------------------------------------------------------
FEDERATION_OFF = (
    "federated queries (SERVICE) are off: the query ran without network access; "
    "pass --allow-service to let SERVICE reach other endpoints"
)


class _ConnectionWriter(io.TextIOBase):
    """A text stream that sends what is written to the parent process in chunks of about 64 KiB."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._parts: list[str] = []
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= 1 << 16:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._parts:
            self._conn.send(("out", "".join(self._parts)))
            self._parts, self._size = [], 0


def _answer_notes(source: Source, bound: BoundQuery, result: Result, count: int) -> dict[str, Any]:
    """Where a page is in the full answer (total, offset, limit) and why an answer is empty (hint)."""
    notes: dict[str, Any] = {}
    if result.total is not None:
        notes.update(total=result.total, offset=result.offset or 0, limit=result.limit)
    if result.kind == "select" and count == 0:
        notes["hint"] = result.hint if result.total is not None else no_rows_hint(source, bound)
    return notes


def report_answer(notes: Mapping[str, Any], count: int) -> None:
    """The CLI's lines on standard error about an answer: a page's place and total, an empty one's hint."""
    if "total" in notes:
        total, offset, limit = notes["total"], notes["offset"], notes["limit"]
        shown = f"rows {offset + 1:,}-{offset + count:,}" if count else f"no rows from row {offset + 1:,}"
        following = ""
        if limit is not None and offset + count < total:
            following = f"; next page: --param offset={offset + count}"
        click.echo(f"{shown} of {total:,}{following}", err=True)
    if notes.get("hint"):
        click.echo(f"pfocr-ld query: {notes['hint']}", err=True)


def _sandboxed_query(conn: Any, payload: tuple[Any, ...]) -> None:
    """In the sandboxed process (:func:`pfocr_ld.sandbox.run_in_sandbox`): open the data, run, write."""
    store_dir, data, graph, bound, fmt, tty, limit = payload
    out = _ConnectionWriter(conn)
    try:
        with open_source(store=store_dir, data=data, graph=graph) as source:
            started = time.perf_counter()
            result = run_bound(source, bound)
            chosen = fmt or ("nt" if result.kind == "graph" else "table" if tty else "tsv")
            count = write_result(result, chosen, cast(IO[str], out), query=bound.query, limit=limit)
            out.flush()
            seconds = time.perf_counter() - started
            conn.send(
                (
                    "done",
                    count,
                    chosen,
                    result.kind,
                    source.description,
                    seconds,
                    _answer_notes(source, bound, result, count),
                )
            )
    except Exception as error:  # each becomes one line and an exit status in the parent
        out.flush()
        # Usage errors (syntax, a missing store) stand; what the engine raised while evaluating a
        # query that names SERVICE is the refused federation, whatever its wording.
        usage = isinstance(error, PfocrLdError) and not str(error).startswith("cannot run the query")
        if sparql.mentions_service(bound.text) and not usage:
            conn.send(("error", 2, FEDERATION_OFF))
        elif isinstance(error, PfocrLdError):
            conn.send(("error", error.exit_code, error.message))
        else:
            conn.send(("error", 1, f"the query failed: {error}"))


def run_local_sandboxed(
    *,
    store: Path | None,
    data: Sequence[Path] | None,
    graph: str | None,
    bound: BoundQuery,
    sink: IO[str],
    fmt: str | None = None,
    limit: int | None = None,
) -> tuple[int, str, str, str, float, dict[str, Any]]:
    """Run ``bound`` on a store or dumps in a child process without network; write the result to ``sink``.

    The child cannot make a socket (:mod:`pfocr_ld.sandbox`), so ``SERVICE`` cannot reach any
    address whatever the text says; a query that tries fails with a usage error. Returns
    (rows written, format, result kind, source description, seconds, notes: a page's ``total``,
    ``offset`` and ``limit``, and the ``hint`` of an empty answer).
    """
    from pfocr_ld import sandbox

    state: dict[str, Any] = {}

    def on_message(message: Any) -> None:
        if message[0] == "out":
            sink.write(message[1])
        else:
            state[message[0]] = message[1:]

    payload = (store, list(data) if data else None, graph, bound, fmt, sink.isatty(), limit)
    try:
        sandbox.run_in_sandbox("pfocr_ld.query:_sandboxed_query", payload, on_message)
    except sandbox.SandboxError as error:
        raise QueryError(
            f"cannot take network access away from the query on this system ({error}); "
            "pass --allow-service to run it with network access"
        ) from error
    except RuntimeError as error:
        raise PfocrLdError(f"the query process failed: {error}", exit_code=1) from error
    if "error" in state:
        code, message = state["error"]
        raise PfocrLdError(message, exit_code=code)
    if "done" not in state:
        raise PfocrLdError("the query process ended without an answer", exit_code=1)
    return state["done"]
