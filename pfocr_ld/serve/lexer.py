"""A small SPARQL lexer: what the server needs to know about query text before any engine parses it.

This module owns :func:`scan` (bare keywords outside strings, IRIs, variables, prefixed names, blank
nodes and comments, and the deepest bracket nesting, in one linear pass) and :func:`inspect_sparql`,
which runs it over the raw and the ``\\uXXXX``-unescaped text so an escape can hide neither a
``SERVICE`` nor an update. Name characters follow the SPARQL 1.1 grammar (§19.8), so names split
exactly where the engine splits them. What the server *does* with the answer (refuse an update, a
too deep nesting, ``SERVICE``) is :mod:`pfocr_ld.serve.guard`'s.

It is kept apart, with its own tests (``tests/test_serve_lexer.py``), so that it can later be
swapped for the one shared SPARQL text scanner (issue 17 §3) without touching the server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The first keywords of SPARQL Update operations (``WITH`` starts a ``DELETE``/``INSERT``).
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
_IRIREF = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# The SPARQL 1.1 grammar's name characters (§19.8), so the scanner splits names exactly where the
# engine does: a character it did not count as part of a name (U+00B7 was one) followed by an escaped
# quote made it read a string where the engine reads a name, and miss a SERVICE after it.
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
_PNAME = re.compile(f"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?")
_BLANK_NODE = re.compile(f"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?")
_VARIABLE = re.compile(f"[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*")
_KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NAME_RUN = re.compile(f"[{_PN_CHARS}.]*")


@dataclass(frozen=True)
class QueryShape:
    """What a quick scan of SPARQL text shows: its form keyword, bracket depth, use of SERVICE."""

    form: str | None
    depth: int
    service: bool


def unescape_codepoints(text: str) -> str:
    """``text`` with its ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes replaced by the characters they name."""
    # SPARQL allows \\uXXXX escapes anywhere in a query; scan the text as the parser would read it.
    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"

    return _CODEPOINT.sub(replace, text)


def scan(text: str) -> tuple[list[str], int]:
    """Bare keywords (upper-cased) outside strings, IRIs, variables and comments; the deepest nesting."""
    words: list[str] = []
    depth = deepest = 0
    i, n = 0, len(text)
    # A prefixed name needs ':' right after a run of name characters; the run is measured once, so a
    # long run without one costs linear time, not a failed regex match at each of its characters.
    run_end, colon = -1, False
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch in "\"'":
            quote_chars = ch * 3 if text.startswith(ch * 3, i) else ch
            i += len(quote_chars)
            while i < n and not text.startswith(quote_chars, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote_chars)
        elif ch == "<":
            match = _IRIREF.match(text, i)
            i = match.end() if match else i + 1
        elif ch in "?$":
            match = _VARIABLE.match(text, i)
            i = match.end() if match else i + 1
        elif ch in "({[":
            depth += 1
            deepest = max(deepest, depth)
            i += 1
        elif ch in ")}]":
            depth = max(0, depth - 1)
            i += 1
        else:
            if i >= run_end:
                run_end = _NAME_RUN.match(text, i).end()  # type: ignore[union-attr]
                colon = text.startswith(":", run_end) and not text.startswith(".", run_end - 1)
            if colon and (match := _PNAME.match(text, i) or _BLANK_NODE.match(text, i)):
                i = match.end()  # prefixed names and blank nodes are never keywords
            elif match := _KEYWORD.match(text, i):
                words.append(match.group().upper())
                i = match.end()
            else:
                i += 1
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

