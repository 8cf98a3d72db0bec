"""Per-record limits, and reading a source file without trusting what it is.

This module owns the bounds every input record is held to (:data:`LIMITS`, with the reason for
each value next to what real PFOCR records hold) and :func:`read_regular_file`, the one way the
build reads a record, table or organism page: only regular files, never more than the limit plus
one byte, never blocking on a FIFO or device. A record over a limit is one rejected record with a
report entry (file, field, reason); it never stops the build or takes its memory.

What the real corpus holds (PFOCR site, 2024): front matter of a record well under 50 KB (captions
≤ 2,800 characters, up to 58 organisms, the repeated ``schema-jsonld`` block included), genes
tables of a few hundred rows (a few thousand at most), cells of words and symbols under 100
characters, nesting depth 3 (legacy inline tables: list → row mapping → value), numbers of at most
nine digits (gene ids, taxa, years, scores).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """One bound: its value, its unit and why that value."""

    name: str
    value: int
    unit: str
    reason: str


#: Every bound a record is held to. The values leave one to two orders of magnitude of headroom
#: above real records while keeping one record's cost (memory, time, literal size) small.
LIMITS: tuple[Limit, ...] = (
    Limit(
        "record_bytes",
        1 << 20,
        "bytes per record file (front matter, YAML or JSON) and per organism page",
        "real records are under 50 KB; 1 MiB keeps every literal far below the 16 MiB parser buffer "
        "of the SPARQL store (a 17 MB caption once left `build --store` with an empty store)",
    ),
    Limit(
        "field_chars",
        100_000,
        "characters per front-matter value",
        "captions are at most 2,800 characters; 100,000 is 35 times that",
    ),
    Limit(
        "table_bytes",
        32 << 20,
        "bytes per companion table (genes, chemicals, diseases)",
        "real tables are tens of KB; 32 MiB is read line by line and stops at the limit",
    ),
    Limit(
        "table_rows",
        50_000,
        "data rows per companion table",
        "genes tables hold a few hundred rows (a few thousand at most); 50,000 rows keep a worker "
        "under a few hundred MB, where a 1M-row table once took a build past 7.9 GB",
    ),
    Limit(
        "cell_chars",
        4_096,
        "characters per table cell",
        "cells are OCR words, symbols and ids under 100 characters; Python's csv module fails at "
        "131,072, so a line is cut off long before that",
    ),
    Limit(
        "nesting_depth",
        32,
        "levels of nested lists/mappings in a record",
        "records nest 3 levels (inline table → row → value), schema-jsonld a few more; deep nesting "
        "(100k levels) exhausts the parser's stack",
    ),
    Limit(
        "number_digits",
        30,
        "characters of a number in front matter or JSON",
        "ids, years and scores have at most 20 characters; Python refuses to convert integers of "
        "more than 4,300 digits, and huge floats turn into artefacts",
    ),
    Limit(
        "id_digits",
        12,
        "ASCII digits of an NCBI Gene, NCBI Taxon, ChEBI or DOID identifier",
        "the largest NCBI Gene ids have 9 digits, taxa 7, ChEBI 6, DOID 7",
    ),
)

_BY_NAME = {limit.name: limit.value for limit in LIMITS}
RECORD_BYTES: int = _BY_NAME["record_bytes"]
FIELD_CHARS: int = _BY_NAME["field_chars"]
TABLE_BYTES: int = _BY_NAME["table_bytes"]
TABLE_ROWS: int = _BY_NAME["table_rows"]
CELL_CHARS: int = _BY_NAME["cell_chars"]
NESTING_DEPTH: int = _BY_NAME["nesting_depth"]
NUMBER_DIGITS: int = _BY_NAME["number_digits"]
ID_DIGITS: int = _BY_NAME["id_digits"]
#: bytes of one table line, read with ``readline(LINE_BYTES)`` so that no line is ever held whole:
#: real lines are under 200 bytes; 64 KiB is four cells at their limit in 4-byte UTF-8 characters,
#: and half of the csv module's field limit.
LINE_BYTES: int = 64 << 10


class InputRefused(Exception):
    """A source file the build will not read: not a regular file, or over a limit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _size(value: int) -> str:
    return f"{value // (1 << 20)} MiB" if value >= 1 << 20 and value % (1 << 20) == 0 else f"{value:,} bytes"


def not_regular_reason(mode: int) -> str:
    kind = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a folder"
        if stat.S_ISDIR(mode)
        else "not a regular file"
    )
    return f"not a regular file ({kind}); not read"


def is_regular_file(path: str | os.PathLike[str]) -> tuple[bool, str]:
    """Whether ``path`` (following symbolic links) is a regular file, without opening it.

    ``stat`` never opens, so asking about a FIFO or device neither blocks nor has any effect on it.
    Raises ``FileNotFoundError`` when nothing is there.
    """
    mode = os.stat(path).st_mode
    return (True, "") if stat.S_ISREG(mode) else (False, not_regular_reason(mode))


def open_regular_file(path: str | os.PathLike[str]) -> int:
    """A read-only descriptor of ``path``, which must be a regular file (after symbolic links).

    The type is checked with ``stat`` before opening (opening some devices has effects) and again
    with ``fstat`` on the descriptor (the path could have been replaced in between). ``O_NONBLOCK``
    makes even that race harmless: opening a FIFO without a writer returns at once. Raises
    :class:`InputRefused` for anything else, ``OSError`` when unreadable.
    """
    regular, reason = is_regular_file(path)
    if not regular:
        raise InputRefused(reason)
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise InputRefused(not_regular_reason(mode))
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def read_regular_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; reads at most ``limit + 1`` bytes.

    The size is checked before reading (``fstat``) and while reading (a file that grows, or a
    file system that reports no size, cannot make the read exceed the limit).
    """
    descriptor = open_regular_file(path)
    try:
        size = os.fstat(descriptor).st_size
        if size > limit:
            raise InputRefused(f"larger than the limit of {_size(limit)} ({size:,} bytes)")
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise InputRefused(f"larger than the limit of {_size(limit)}")
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def size_text(value: int) -> str:
    """A byte count as the report writes it (``1 MiB``, ``4,096 bytes``)."""
    return _size(value)
