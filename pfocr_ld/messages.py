"""Outside text inside one-line messages: error messages, log lines, HTTP error details.

A remote endpoint's error page, a query text or a parser's report can be long and span lines;
a message quotes it as :func:`excerpt` does, on one line and bounded, so that one bad response
never floods a log or a terminal.
"""

from __future__ import annotations


def excerpt(text: str, limit: int = 300) -> str:
    """``text`` on one line (each run of whitespace one space), cut after ``limit`` characters with ``…``."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
