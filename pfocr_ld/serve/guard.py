"""The query guard: what refuses SPARQL text before any engine sees it.

:func:`check_query` refuses an empty or too long query, an update (``403``), brackets nested deeper
than :data:`MAX_NESTING` and ``SERVICE``, from what :func:`pfocr_ld.serve.lexer.inspect_sparql` reads
in the text. It is the first of two walls, and the friendlier one: query workers cannot open a
socket at all (:mod:`pfocr_ld.sandbox`), so a ``SERVICE`` the lexer missed still reaches no address,
and :func:`mentions_service` makes sure the engine's error for it is not passed on either.
"""

from __future__ import annotations

from pfocr_ld.serve.http_errors import HttpError, read_only
from pfocr_ld.serve.lexer import UPDATE_KEYWORDS, inspect_sparql
from pfocr_ld.sparql import mentions_service

__all__ = ["FEDERATION_REFUSED", "MAX_NESTING", "check_query", "mentions_service"]

#: Deeper bracket nesting is refused before any parser sees it: pyoxigraph's recursive-descent
#: parser overflows its stack (a segfault) somewhere past ten thousand levels, and no real query
#: needs more than a few dozen.
MAX_NESTING = 100

FEDERATION_REFUSED = "federated queries (SERVICE) are disabled on this endpoint"


def check_query(text: str, max_length: int) -> None:
    """Refuse, before any engine sees it: empty, too long, too deeply nested, an update, SERVICE."""
    if not text.strip():
        raise HttpError(400, "Empty query", "the query parameter is empty")
    if len(text) > max_length:
        raise HttpError(
            413,
            "Query too long",
            f"queries are limited to {max_length:,} characters; this one has {len(text):,}",
        )
    shape = inspect_sparql(text)
    if shape.form in UPDATE_KEYWORDS:
        raise read_only()
    if shape.depth > MAX_NESTING:
        raise HttpError(
            400,
            "Query too deeply nested",
            f"brackets nest {shape.depth} levels deep; this server accepts at most {MAX_NESTING}",
        )
    if shape.service:
        raise HttpError(
            400,
            "Federated query refused",
            FEDERATION_REFUSED + ": this server does not fetch data from other addresses",
        )
