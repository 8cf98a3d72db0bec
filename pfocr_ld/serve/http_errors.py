"""The error a ``pfocr-ld serve`` handler raises to answer with a status, a title and a message.

The app answers it as plain text or an HTML page by negotiation
(:meth:`pfocr_ld.serve.server.ServerCore.error_response`); the handlers, the query guard and the
``/enrich`` and ``/query/<name>`` services raise it.
"""

from __future__ import annotations

from collections.abc import Sequence


class HttpError(Exception):
    """An error answered with a status, a title and a message for the client (text or HTML)."""

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        suggestions: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.headers = headers or {}
        self.suggestions = suggestions


def read_only() -> HttpError:
    """The ``403`` for SPARQL Update, in whichever way a request carries it."""
    return HttpError(
        403,
        "Read-only endpoint",
        "this SPARQL endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, …) is not accepted",
    )
