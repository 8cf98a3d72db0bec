"""What the server hands a query worker and what the worker answers: plain, picklable data.

:class:`QueryJob` (a SPARQL query, the formats to write its result in, its limits), :class:`NamedJob`
(a named query of :mod:`pfocr_ld.query` with its parameters, for ``/query/<name>``) and
:class:`QueryOutcome` (a serialised result or an error status and message). They travel over the
pipe between the server and :mod:`pfocr_ld.serve.workers`; this module imports nothing of the server,
so both sides (and :mod:`pfocr_ld.serve.named`) can import it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The most rows of a full named-query answer (beside the byte limit): far above any named query's on
#: 100k figures but for gene-sets (3.3 M rows), which is for files (``pfocr-ld query gene-sets``), not pages.
FULL_ROWS = 1_000_000


@dataclass(frozen=True)
class QueryJob:
    """One query for a worker, and the formats to write each kind of result in (``None``: not acceptable)."""

    text: str
    select_format: str | None = "json"
    graph_format: str | None = "ttl"
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 10_000
    max_bytes: int = 64 << 20


@dataclass(frozen=True)
class QueryOutcome:
    """A worker's answer: a serialised result (``status`` 200) or an error status and message."""

    status: int
    kind: str = ""  # "select", "ask" or "graph"
    format: str = ""
    body: bytes = b""
    count: int = 0
    seconds: float = 0.0
    message: str = ""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class NamedJob:
    """A named query for a query worker: its parameters as given (``limit``/``offset`` among them)."""

    name: str
    params: tuple[tuple[str, str], ...]
    max_rows: int = FULL_ROWS
    max_bytes: int = 64 << 20

    @property
    def text(self) -> str:  # what the pool logs about a job that timed out
        return f"named query {self.name} " + " ".join(f"{k}={v}" for k, v in self.params)
