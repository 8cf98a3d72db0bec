"""A small YAML emitter for front matters: PyYAML's ``safe_dump`` output, byte for byte.

It reproduces ``yaml.safe_dump(sort_keys=False, allow_unicode=True)`` for the value shapes a front
matter holds (54 of the 55 real front matters are exactly that output) and hands anything else to
PyYAML, because calling a YAML dumper per record is the slow part of a 100k run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

_BEST_WIDTH = 80
#: Anything outside PyYAML's printable set, or a line break, makes it pick a double-quoted or
#: multi-line style this emitter does not reproduce: such a record goes through yaml.dump instead.
_NOT_SIMPLE = re.compile("[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010fffe]|\ufeff")
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
#: A space that is a whole run by itself: the only place PyYAML folds a line.
_SINGLE_SPACE = re.compile(r"(?<! ) (?! )")


class _NeedsDumper(Exception):
    """Raised when a value is outside what the fast emitter reproduces exactly."""


@dataclass(frozen=True)
class Block:
    """A string the real files write as a ``|-`` literal block (the one multi-line keyword)."""

    text: str


def _plain_allowed(value: str) -> bool:
    """PyYAML's analyze_scalar + resolver test, for a non-empty single-line printable string."""
    first = value[0]
    if first in _FIRST_INDICATORS or first == " " or value[-1] == " ":
        return False
    if first in "?:-" and (len(value) == 1 or value[1] == " "):
        return False
    if value.startswith(("---", "...")):
        return False
    if ": " in value or value[-1] == ":" or " #" in value:
        return False
    # A plain scalar that would load back as a bool/int/float/null/timestamp must be quoted.
    return all(not regexp.match(value) for _tag, regexp in _IMPLICIT.get(first, ()))


def _fold(text: str, column: int, indent: int, lo: int, hi: int) -> str:
    """Break *text* (written from *column*) the way PyYAML's writers do.

    PyYAML replaces a single-space run by a line break (and *indent* spaces) when the column has
    passed the best width by the time the run ends; runs of several spaces are never broken. Only
    spaces at indexes in [lo, hi) may break (a quoted scalar keeps its edge spaces).
    """
    out: list[str] = []
    start = 0
    search = _SINGLE_SPACE.search
    pad = "\n" + " " * indent
    while True:
        # The column before a space at index p is column + (p - start); it must exceed the width.
        # (No endpos: the look-ahead must see the character after a candidate space.)
        match = search(text, max(start, lo, start + _BEST_WIDTH + 1 - column))
        if match is None or match.start() >= hi:
            out.append(text[start:])
            return "".join(out)
        p = match.start()
        out.append(text[start:p])
        out.append(pad)
        start = p + 1
        column = indent


def _scalar(value: str, column: int, indent: int) -> str:
    """Emit *value* after a ``key:`` or ``-`` ending at *column*; continuation lines at *indent*."""
    if not value:
        return " ''"
    if _NOT_SIMPLE.search(value):
        raise _NeedsDumper(value)
    if _plain_allowed(value):
        if column + 1 + len(value) <= _BEST_WIDTH:
            return " " + value
        return " " + _fold(value, column + 1, indent, 0, len(value))
    quoted = value.replace("'", "''")
    if column + 2 + len(quoted) <= _BEST_WIDTH:
        return " '" + quoted + "'"
    return " '" + _fold(quoted, column + 2, indent, 1, len(quoted) - 1) + "'"


_ITEM_CACHE: dict[tuple[str, int], str] = {}
_KEY_CACHE: dict[str, str] = {}


def _key(key: str) -> str:
    text = _KEY_CACHE.get(key)
    if text is None:
        text = _KEY_CACHE[key] = _scalar(key, -1, 0)[1:]
    return text


def _item(value: str, indent: int) -> str:
    cached = _ITEM_CACHE.get((value, indent))
    if cached is None:
        cached = f"{' ' * indent}-{_scalar(value, indent + 1, indent + 2)}\n"
        if len(_ITEM_CACHE) < 500_000:  # gene symbols repeat a lot; bound the cache anyway
            _ITEM_CACHE[(value, indent)] = cached
    return cached


def _emit_mapping(pairs: Iterable[tuple[str, Any]], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in pairs:
        k = _key(key)
        if isinstance(value, str):
            out.append(f"{pad}{k}:{_scalar(value, indent + len(k) + 1, indent + 2)}\n")
        elif isinstance(value, list):
            if not value:
                out.append(f"{pad}{k}: []\n")
            else:
                out.append(f"{pad}{k}:\n")
                out.extend(_item(v, indent) for v in value)
        elif isinstance(value, dict):
            out.append(f"{pad}{k}:\n")
            _emit_mapping(value.items(), indent + 2, out)
        elif isinstance(value, float):
            text = repr(value).lower()
            if "." not in text and "e" in text:
                text = text.replace("e", ".0e", 1)
            out.append(f"{pad}{k}: {text}\n")
        elif isinstance(value, Block):
            out.append(f"{pad}{k}: |-\n")
            out.extend(f"{pad}  {line}\n" for line in value.text.split("\n"))
        else:
            raise _NeedsDumper(repr(value))


def dump_front_matter(fields: dict[str, Any]) -> str:
    """The ``---``-delimited front matter of *fields*, as the real files write it.

    Equal to ``yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)`` between the
    ``---`` lines, except that a :class:`Block` value is written as a ``|-`` literal block.
    """
    out = ["---\n"]
    try:
        _emit_mapping(fields.items(), 0, out)
    except _NeedsDumper:
        plain = {k: (v.text if isinstance(v, Block) else v) for k, v in fields.items()}
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        out = ["---\n", yaml.dump(plain, Dumper=dumper, sort_keys=False, allow_unicode=True)]
    out.append("---\n")
    return "".join(out)
