"""What the server needs to know about query text before any engine parses it.

This module owns :func:`inspect_sparql`: the form keyword after the prologue, the deepest bracket
nesting and whether ``SERVICE`` is a keyword, read by :func:`scan` from the tokens of the one shared
SPARQL lexer (:func:`pfocr_ld.sparql.tokens`: keywords outside strings, IRIs, variables, prefixed
names, blank nodes and comments, in one linear pass) over the raw and the ``\\uXXXX``-unescaped
text, so an escape can hide neither a ``SERVICE`` nor an update. What the server *does* with the
answer (refuse an update, a too deep nesting, ``SERVICE``) is :mod:`pfocr_ld.serve.guard`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from pfocr_ld import sparql
from pfocr_ld.sparql import unescape_codepoints

__all__ = ["UPDATE_KEYWORDS", "QueryShape", "inspect_sparql", "scan", "unescape_codepoints"]

#: The first keywords of SPARQL Update operations (``WITH`` starts a ``DELETE``/``INSERT``).
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)


@dataclass(frozen=True)
class QueryShape:
    """What a quick scan of SPARQL text shows: its form keyword, bracket depth, use of SERVICE."""

    form: str | None
    depth: int
    service: bool


def scan(text: str) -> tuple[list[str], int]:
    """Bare keywords (upper-cased) outside strings, IRIs, variables and comments; the deepest nesting."""
    words: list[str] = []
    depth = deepest = 0
    for kind, start, end in sparql.tokens(text):
        if kind == sparql.WORD:
            words.append(text[start:end].upper())
        elif kind == sparql.PUNCT:
            bracket = text[start]
            if bracket in "({[":
                depth += 1
                deepest = max(deepest, depth)
            elif bracket in ")}]":
                depth = max(0, depth - 1)
    return words, deepest


def inspect_sparql(text: str) -> QueryShape:
    """The form keyword after the prologue, the nesting depth, and whether SERVICE appears as a keyword.

    Raw and codepoint-unescaped text are both scanned and the answers combined, so an escape can
    neither hide a SERVICE keyword nor an update.
    """
    form: str | None = None
    depth = 0
    service = False
    for variant in {text, unescape_codepoints(text)}:
        words, deepest = scan(variant)
        depth = max(depth, deepest)
        service = service or "SERVICE" in words
        first = next((w for w in words if w not in ("PREFIX", "BASE")), None)
        if form is None or first in UPDATE_KEYWORDS:
            form = first
    return QueryShape(form, depth, service)
