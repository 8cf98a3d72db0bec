"""The library's errors: one :class:`PfocrLdError` hierarchy, which the CLI maps to exit statuses.

Python callers (``run_named``, the server, a notebook) catch :class:`PfocrLdError`; none of these is
a click exception. Each says with ``exit_code`` what ``pfocr-ld`` exits with when it reaches the
command line (:class:`pfocr_ld.cli.LazyGroup` turns it into one line and that status): 2 for a usage
problem or unreadable input, 1 for a failure of something outside (an endpoint, a full disk).

The query errors live here because the lowest modules raise them (:mod:`pfocr_ld.sparql`,
:mod:`pfocr_ld.remote`); the others live beside the module that raises them and subclass
:class:`PfocrLdError`: ``StoreError`` (and ``PublishRefused``, ``PublishError``) in
:mod:`pfocr_ld.store`, ``SyncError`` in :mod:`pfocr_ld.store_sync`, ``ReleaseRefused`` and
``ReleaseWriteError`` in :mod:`pfocr_ld.release`.
"""

from __future__ import annotations


class PfocrLdError(Exception):
    """A problem worth one clear line to the user; ``exit_code`` is the CLI's exit status for it."""

    exit_code: int = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def format_message(self) -> str:
        return self.message

    def __str__(self) -> str:
        return self.message


class QueryError(PfocrLdError):
    """A usage problem: unknown query, bad parameter, no source, SPARQL syntax (exit status 2)."""

    exit_code = 2


class ParameterError(QueryError):
    """A parameter value that does not fit its declared type."""


class EndpointError(PfocrLdError):
    """A remote endpoint failed: HTTP error status, timeout, unreachable (exit status 1)."""

    exit_code = 1

    def __init__(self, message: str, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body
