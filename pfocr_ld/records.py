"""Reading PFOCR source files: front matter, companion TSV tables and organism pages.

This module owns everything about *files*: finding record files under the paths a user names,
splitting YAML front matter, reading the three generations of TSV tables, and the organism pages.
It returns plain dictionaries and rows exactly as found (apart from YAML typing), plus a
:class:`Problem` for everything it could not read. Every file is read through
:mod:`pfocr_ld.limits` (regular files only, never blocking, never past a limit), and YAML and JSON
are held to the record limits while they are parsed, so a hostile file is one rejected record.
Cleaning and meaning belong to :mod:`pfocr_ld.model`.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pfocr_ld import limits

Severity = Literal["error", "warning"]
TABLE_KINDS: tuple[str, ...] = ("genes", "chemicals", "diseases")
RECORD_SUFFIXES: frozenset[str] = frozenset({".md", ".yaml", ".yml", ".json"})


@dataclass(frozen=True)
class Problem:
    """Something wrong with one record: where (file, field) and why.

    ``severity`` "error" rejects the record; "warning" publishes it and reports the problem.
    """

    file: str
    field: str
    reason: str
    severity: Severity = "error"
    figid: str | None = None
    # Structured particulars of a SHACL result (focus node, path, value, constraint, message);
    # left out of equality and hashing so a Problem stays hashable.
    details: dict[str, str] | None = dataclass_field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "field": self.field,
            "reason": self.reason,
            "severity": self.severity,
        }
        if self.figid is not None:
            out["figid"] = self.figid
        if self.details is not None:
            out["details"] = dict(self.details)
        return out


class RecordError(Exception):
    """A record that cannot be published, with the field and reason to report."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# YAML --------------------------------------------------------------------------------------------
if TYPE_CHECKING:  # typed as libyaml's loader (CParser, not Python's Composer), as RecordLoader needs
    _BaseLoader = yaml.CSafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterLoader(_BaseLoader):
    """``yaml.safe_load`` semantics without YAML 1.1's ``yes``/``no``/``on``/``off`` booleans.

    Gene symbols and keywords such as ``NO`` or ``On`` must stay strings even when a writer forgot
    to quote them; only ``true``/``false`` are booleans (as in YAML 1.2's core schema).
    """


FrontMatterLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
FrontMatterLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


#: Tags a record may write explicitly: the plain YAML core types. Anything else (``!!binary``,
#: ``!!python/…``, ``!!set``, local ``!tags``) would change what a value is behind the reader's back
#: (a ``!!binary`` title was once published as ``"b'hello'"``).
CORE_TAGS: frozenset[str] = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
)
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_INT_TAG = "tag:yaml.org,2002:int"
_NUMBER_TAGS = frozenset({_INT_TAG, "tag:yaml.org,2002:float"})


class RecordLoader(Composer, FrontMatterLoader):
    """:class:`FrontMatterLoader` that holds a record to the limits of :mod:`pfocr_ld.limits`.

    libyaml still scans and parses (``CParser``); the Python composer on top of it sees every node
    before it is built, so it refuses, with the field's name: anchors and aliases (an alias "bomb"
    expands a few hundred bytes into gigabytes), explicit tags outside :data:`CORE_TAGS`, nesting
    deeper than ``NESTING_DEPTH`` (deep nesting exhausts the stack), scalars longer than
    ``FIELD_CHARS`` and numbers longer than ``NUMBER_DIGITS`` characters. An integer is kept as the
    text written unless it is plain decimal (``+42``, ``0x1F``, ``1_000`` stay strings), so that no
    identifier is ever read from a non-canonical spelling.

    Cost, measured on a 2,000-record synthetic corpus: reading a record (file, YAML, tables) went
    from about 380 to 470 µs of CPU, most of it this Python composer; a build worker spends about
    a fifth of its time reading, so about 5 % of a build.
    """

    def __init__(self, stream: str) -> None:
        FrontMatterLoader.__init__(self, stream)
        self.anchors: dict[str, Node] = {}
        self._path: list[str] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        if isinstance(parent, MappingNode) and isinstance(index, ScalarNode):
            self._path.append(str(index.value)[:80])
        elif isinstance(parent, SequenceNode):
            self._path.append(f"[{index}]")
        else:
            self._path.append("")
        try:
            if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
                raise RecordError(self._where(), "YAML anchors and aliases are not allowed in records")
            tag = getattr(event, "tag", None)
            if tag is not None and tag not in CORE_TAGS and tag != "!":
                raise RecordError(self._where(), f"YAML tag {tag!r} is not allowed in records")
            if len(self._path) > limits.NESTING_DEPTH:
                raise RecordError(
                    self._where(), f"nested deeper than the limit of {limits.NESTING_DEPTH} levels"
                )
            if isinstance(event, ScalarEvent) and len(event.value) > limits.FIELD_CHARS:
                raise RecordError(
                    self._where(),
                    f"{len(event.value):,} characters, over the limit of {limits.FIELD_CHARS:,}",
                )
            node = super().compose_node(parent, index)
            if isinstance(node, ScalarNode) and node.tag in _NUMBER_TAGS:
                if len(node.value) > limits.NUMBER_DIGITS:
                    raise RecordError(
                        self._where(),
                        f"a number of {len(node.value):,} characters, "
                        f"over the limit of {limits.NUMBER_DIGITS}",
                    )
                if node.tag == _INT_TAG and not _CANONICAL_INT.match(node.value):
                    node.tag = "tag:yaml.org,2002:str"  # kept as written
            return node
        finally:
            self._path.pop()

    def _where(self) -> str:
        parts = [part for part in self._path if part]
        return ".".join(parts if len(parts) <= 4 else [*parts[:3], "…"]) or "front matter"


def load_yaml(text: str) -> Any:
    """YAML of a record or organism page, held to the record limits (see :class:`RecordLoader`)."""
    return yaml.load(text, Loader=RecordLoader)


_FENCE = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)  # a record saved on Windows ends lines with CRLF


def split_front_matter(text: str) -> str:
    """The YAML between the first two ``---`` lines of a Jekyll page."""
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        raise RecordError("front matter", "the file does not start with a '---' line")
    first = _FENCE.match(text)
    if first is None:
        raise RecordError("front matter", "the file does not start with a '---' line")
    closing = _FENCE.search(text, first.end())
    if closing is None:
        raise RecordError("front matter", "no closing '---' line")
    return text[first.end() : closing.start()]


#: Front-matter fields the mapping never reads (see docs/mapping.md). ``schema-jsonld`` repeats the
#: caption and every keyword and is a third of a record's YAML: skipping it before parsing is cheap.
UNREAD_FIELDS: tuple[str, ...] = ("schema-jsonld",)


def drop_unread_fields(front_matter: str) -> str:
    """The front matter without the top-level fields in :data:`UNREAD_FIELDS` (and their blocks)."""
    for name in UNREAD_FIELDS:
        start = front_matter.find(f"\n{name}:")
        if start < 0:
            continue
        end = start + 1
        while True:
            end = front_matter.find("\n", end)
            # the block ends at the next line that is not indented (a new top-level key) or at the end
            if end < 0 or (end + 1 < len(front_matter) and front_matter[end + 1] not in " \t\n-"):
                break
            end += 1
        front_matter = front_matter[:start] + (front_matter[end:] if end >= 0 else "\n")
    return front_matter


# JSON --------------------------------------------------------------------------------------------
_JSON_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class _Oversized(str):
    """A JSON number over ``NUMBER_DIGITS`` characters, kept as its text until its field is known."""


def _json_number(kind: type) -> Any:
    def convert(text: str) -> Any:
        return _Oversized(text) if len(text) > limits.NUMBER_DIGITS else kind(text)

    return convert


def _json_mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise RecordError(key[:80], "duplicate key in a JSON object (which value is meant?)")
        mapping[key] = value
    return mapping


def _check_json_values(value: Any, path: list[str]) -> None:
    """Numbers and strings of a parsed JSON record within the limits (depth was checked before)."""
    where = ".".join(path[:3] + (["…"] if len(path) > 3 else [])) or "json"
    if isinstance(value, _Oversized):
        raise RecordError(
            where, f"a number of {len(value):,} characters, over the limit of {limits.NUMBER_DIGITS}"
        )
    if isinstance(value, str):
        if len(value) > limits.FIELD_CHARS:
            raise RecordError(where, f"{len(value):,} characters, over the limit of {limits.FIELD_CHARS:,}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json_values(key, path)
            _check_json_values(item, [*path, key[:80]])
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _check_json_values(item, [*path, f"[{position}]"])


def load_json(text: str) -> Any:
    """A JSON record held to the record limits: depth (checked before parsing, which recurses),
    number length, string length, and no duplicate keys."""
    depth = 0
    for match in _JSON_STRUCTURE.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limits.NESTING_DEPTH:
                raise RecordError("json", f"nested deeper than the limit of {limits.NESTING_DEPTH} levels")
        elif token in "]}":
            depth -= 1
    data = json.loads(
        text,
        object_pairs_hook=_json_mapping,
        parse_int=_json_number(int),
        parse_float=_json_number(float),
    )
    _check_json_values(data, [])
    return data


def parse_record_text(text: str, suffix: str) -> list[dict[str, Any]]:
    """Parse one record file's text into one or more record mappings."""
    try:
        if suffix == ".md":
            data: Any = load_yaml(drop_unread_fields(split_front_matter(text)))
        elif suffix == ".json":
            data = load_json(text)
        else:
            data = load_yaml(text)
    except RecordError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RecordError("front matter", f"invalid YAML{where}: {problem}") from exc
    except json.JSONDecodeError as exc:
        raise RecordError(
            "json", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return data
    raise RecordError("front matter", f"expected a mapping of fields, found {type(data).__name__}")


# TSV tables --------------------------------------------------------------------------------------
@dataclass
class Table:
    """One companion table as read: its header and its rows as column → text."""

    path: str
    header: list[str]
    rows: list[dict[str, str]]


class TableRefused(Exception):
    """A companion table over a limit: the record it belongs to is rejected, with this reason."""


def _read_table_text(path: Path) -> str:
    """The text of a table, read line by line and stopped at the first limit it passes.

    Nothing is read past ``TABLE_ROWS`` lines, ``TABLE_BYTES`` bytes or a line of ``LINE_BYTES``
    (``readline`` with a size never holds more), so a table of a million rows costs no more memory
    than one at the limit.
    """
    descriptor = limits.open_regular_file(path)
    with os.fdopen(descriptor, "rb") as handle:
        lines: list[bytes] = []
        total = 0
        while True:
            line = handle.readline(limits.LINE_BYTES + 1)
            if not line:
                break
            total += len(line)
            if total > limits.TABLE_BYTES:
                raise TableRefused(f"larger than the limit of {limits.size_text(limits.TABLE_BYTES)}")
            if len(line) > limits.LINE_BYTES:
                raise TableRefused(
                    f"line {len(lines) + 1} is longer than {limits.size_text(limits.LINE_BYTES)} "
                    f"(a cell may hold at most {limits.CELL_CHARS:,} characters)"
                )
            lines.append(line)
            # the header, the rows, and one line of slack for a trailing blank line
            if len(lines) > limits.TABLE_ROWS + 2:
                raise TableRefused(f"more than the limit of {limits.TABLE_ROWS:,} rows")
    return b"".join(lines).decode("utf-8")


def read_table(path: Path, problems: list[Problem]) -> Table | None:
    """Read a TSV table; rows with the wrong number of cells are reported and skipped.

    A missing file raises ``FileNotFoundError`` (the caller looks in the next folder: opening is
    the existence check, one system call fewer per candidate than asking first); an unreadable
    one, or one over a limit of :mod:`pfocr_ld.limits`, is reported as an error (the record is
    rejected) and gives ``None``.
    """
    try:
        text = _read_table_text(path)
    except FileNotFoundError:
        raise
    except (TableRefused, limits.InputRefused) as exc:
        problems.append(Problem(str(path), "table", str(exc)))
        return None
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), "table", f"not UTF-8: {exc.reason} at byte {exc.start}"))
        return None
    except OSError as exc:
        problems.append(Problem(str(path), "table", f"unreadable: {exc.strerror}"))
        return None
    # Only \n ends a row: str.splitlines() would also split inside cells at U+2028, U+0085, \x1c ...
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    if not lines or not lines[0].strip():
        problems.append(Problem(str(path), "table", "empty table (no header)", "warning"))
        return None
    # PFOCR's TSV has no quoting: a row is its line split at tabs. (The csv module with QUOTE_NONE
    # did the same, but raised on a carriage return inside a line and on cells over 131,072 chars.)
    reader = iter([line.split("\t") if line else [] for line in lines])
    header = [cell.strip() for cell in next(reader)]
    rows: list[dict[str, str]] = []
    for line_number, cells in enumerate(reader, start=2):
        if not cells or not any(cell.strip() for cell in cells):
            continue
        if [cell.strip() for cell in cells] == header:
            continue  # a header repeated where blocks were concatenated
        if len(cells) != len(header):
            problems.append(
                Problem(
                    f"{path}:{line_number}",
                    "table row",
                    f"{len(cells)} cells where the header has {len(header)}; row skipped",
                    "warning",
                )
            )
            continue
        long_cell = next((cell for cell in cells if len(cell) > limits.CELL_CHARS), None)
        if long_cell is not None:
            column = header[cells.index(long_cell)]
            problems.append(
                Problem(
                    f"{path}:{line_number}",
                    column or "table",
                    f"a cell of {len(long_cell):,} characters, over the limit of {limits.CELL_CHARS:,}",
                )
            )
            return None
        rows.append(dict(zip(header, cells, strict=True)))
    return Table(str(path), header, rows)


# Organism pages ----------------------------------------------------------------------------------
@dataclass
class OrganismIndex:
    """Organism names (latin and common, case-folded) → NCBI taxon id (its digits as written),
    from ``_organisms/*.md``."""

    taxa: dict[str, str] = dataclass_field(default_factory=dict)
    pages: int = 0

    def add(self, name: str, taxon_id: str) -> None:
        self.taxa.setdefault(name.strip().casefold(), taxon_id)

    def lookup(self, name: str) -> str | None:
        return self.taxa.get(name.strip().casefold())


_ASCII_ID = re.compile(r"[0-9]+\Z")


def identifier(value: str | int | None) -> str | None:
    """A numeric identifier (NCBI Gene, NCBI Taxon, ChEBI, DOID) exactly as written, or ``None``.

    Only ASCII digits count, 1 to ``ID_DIGITS`` of them, leading zeros kept: ``str.isdigit`` and
    ``int()`` also accept Arabic-Indic and other scripts' digits, signs, spaces and underscores, and
    ``float()`` exponents, so ``"+42"``, ``"4.0"``, ``"1e5"`` or ``"٤٢"`` would become ids nobody
    wrote. A YAML or JSON integer counts by its decimal digits (the loaders keep non-decimal integer
    spellings as text). All zeros is not an id (PFOCR writes 0 for "no gene").
    """
    if isinstance(value, bool) or value is None:
        return None
    text = str(value) if isinstance(value, int) else value.strip()
    if len(text) > limits.ID_DIGITS or not _ASCII_ID.match(text) or not text.strip("0"):
        return None
    return text


def read_organism_pages(folders: Iterable[Path], problems: list[Problem]) -> OrganismIndex:
    index = OrganismIndex()
    for folder in folders:
        for page in sorted(folder.glob("*.md")):
            try:
                raw = limits.read_regular_file(page, limits.RECORD_BYTES)
                data = load_yaml(split_front_matter(raw.decode("utf-8")))
            except RecordError as exc:
                problems.append(Problem(str(page), exc.field, exc.reason, "warning"))
                continue
            except limits.InputRefused as exc:
                problems.append(Problem(str(page), "organism page", exc.reason, "warning"))
                continue
            except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(str(page), "organism page", str(exc), "warning"))
                continue
            if not isinstance(data, dict):
                continue
            raw_ncbi = data.get("ncbi")
            ncbi = identifier(raw_ncbi if isinstance(raw_ncbi, (str, int)) else None)
            if ncbi is None:
                written = "" if raw_ncbi is None else raw_ncbi
                shown = repr(written[:40] if isinstance(written, str) else written)
                problems.append(
                    Problem(
                        str(page),
                        "ncbi",
                        f"no NCBI taxon id ({shown}: an id is 1 to {limits.ID_DIGITS} ASCII digits "
                        "as written); page not used",
                        "warning",
                    )
                )
                continue
            index.pages += 1
            for key in ("latin", "common"):
                value = data.get(key)
                if isinstance(value, str) and value.strip():
                    index.add(value, ncbi)
    return index


# Discovering records -----------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class RecordSource:
    """One record file and the folders where its companion tables may be."""

    sort_key: str
    path: str
    table_dirs: tuple[str, ...]


@dataclass
class SourceRecord:
    """One record as read from disk: its fields and its companion tables."""

    path: str
    fields: dict[str, Any]
    tables: dict[str, Table]
    problems: list[Problem]
    #: every companion-table path looked for, found or not (what an incremental build must watch)
    consulted: tuple[str, ...] = ()


@dataclass
class Discovery:
    sources: list[RecordSource]
    organism_dirs: list[Path]
    problems: list[Problem]


def _table_dirs_for(folder: Path) -> tuple[str, ...]:
    candidates = [folder, folder.parent / "_data"]
    if folder.name != "_data":
        candidates.append(folder / "_data")
    return tuple(dict.fromkeys(str(c) for c in candidates if c.is_dir()))


def _organism_dirs_for(folder: Path) -> list[Path]:
    return [c for c in (folder / "_organisms", folder.parent / "_organisms") if c.is_dir()]


def _identity(file: Path, real_folders: dict[str, str]) -> tuple[str, bool, str]:
    """A record file's real path (the same file reached twice is read once), and whether it is a
    regular file (and why not). Resolves each folder once: ``Path.resolve`` per file, one
    ``lstat`` per path component, was most of discovering 100k records."""
    text = str(file)
    status = os.lstat(text)
    if stat.S_ISLNK(status.st_mode):
        regular, reason = limits.is_regular_file(text)
        return os.path.realpath(text), regular, reason
    folder, name = os.path.split(text)
    real_folder = real_folders.get(folder)
    if real_folder is None:
        real_folder = real_folders[folder] = os.path.realpath(folder or ".")
    if stat.S_ISREG(status.st_mode):
        return os.path.join(real_folder, name), True, ""
    return os.path.join(real_folder, name), False, limits.not_regular_reason(status.st_mode)


def discover(paths: Iterable[Path]) -> Discovery:
    """Every record file under ``paths`` (checkouts, folders or files), in a stable order."""
    sources: dict[str, RecordSource] = {}
    organism_dirs: dict[str, Path] = {}
    problems: list[Problem] = []
    real_folders: dict[str, str] = {}
    for given in paths:
        path = Path(given)
        if not path.exists():
            problems.append(Problem(str(path), "path", "no such file or folder"))
            continue
        if path.is_dir():
            record_dir = path / "_figures" if (path / "_figures").is_dir() else path
            for folder in _organism_dirs_for(record_dir):
                organism_dirs[str(folder.resolve())] = folder
            table_dirs = _table_dirs_for(record_dir)
            # sorted as Paths sort (by parts), with the tuples compared in C
            found = (p for p in record_dir.rglob("*") if p.suffix.lower() in RECORD_SUFFIXES)
            files = sorted(found, key=lambda p: p.parts)
            files = [f for f in files if "_organisms" not in f.parts and "_data" not in f.parts]
        else:
            for folder in _organism_dirs_for(path.parent):
                organism_dirs[str(folder.resolve())] = folder
            table_dirs = _table_dirs_for(path.parent)
            files = [path]
        for file in files:
            try:
                key, regular, reason = _identity(file, real_folders)
            except OSError as exc:
                key, regular, reason = "", False, f"unreadable: {exc.strerror}"
            if not regular:
                problems.append(Problem(str(file), "file", f"{reason}; skipped", "warning"))
                continue
            if key not in sources:
                sources[key] = RecordSource(file.stem, str(file), table_dirs)
    return Discovery(sorted(sources.values()), list(organism_dirs.values()), problems)


def _inline_table(path: str, kind: str, value: Any, problems: list[Problem]) -> Table | None:
    """Legacy records carry their genes/chemicals/diseases as inline YAML lists of mappings."""
    if not isinstance(value, list):
        problems.append(
            Problem(path, kind, f"expected a list of rows, found {type(value).__name__}", "warning")
        )
        return None
    rows: list[dict[str, str]] = []
    for position, row in enumerate(value):
        if not isinstance(row, dict):
            problems.append(Problem(path, f"{kind}[{position}]", "row is not a mapping; skipped", "warning"))
            continue
        rows.append({str(k): "" if v is None else str(v) for k, v in row.items()})
    header = sorted({key for row in rows for key in row})
    return Table(f"{path}#{kind}", header, rows)


def prefetch_source(source: RecordSource) -> None:
    """Ask the OS to read a record file and its likely tables into the page cache.

    Run ahead of the workers (in a thread of the main process) so that their reads hit memory:
    on a cold cache, waiting for the disk was a quarter of a 10k build's wall time. Tables are
    guessed from the file name (PFOCR names a record ``<figid>.md``); a wrong guess costs one
    failed ``open``, and nothing here can change what the build reads. ``posix_fadvise`` queues
    the reads without copying the bytes out (where it is missing, the file is read and dropped).
    """
    paths = [source.path] + [
        os.path.join(folder, f"{source.sort_key}-{kind}.tsv")
        for folder in source.table_dirs
        for kind in TABLE_KINDS
    ]
    for path in paths:
        try:
            # never a FIFO or device: opening one could block this thread or act on the device
            descriptor = limits.open_regular_file(path)
        except (OSError, limits.InputRefused):
            continue
        try:
            if _FADVISE is not None:
                _FADVISE(descriptor, 0, 0, os.POSIX_FADV_WILLNEED)
            else:
                left = limits.TABLE_BYTES
                while left > 0 and (chunk := os.read(descriptor, 1 << 20)):
                    left -= len(chunk)
        except OSError:
            pass
        finally:
            os.close(descriptor)


_FADVISE = getattr(os, "posix_fadvise", None)


def read_source(source: RecordSource) -> Iterator[SourceRecord]:
    """Read one record file (which may hold several records) with its companion tables."""
    path = Path(source.path)
    try:
        text = limits.read_regular_file(path, limits.RECORD_BYTES).decode("utf-8")
        records = parse_record_text(text, path.suffix.lower())
    except limits.InputRefused as exc:
        yield SourceRecord(source.path, {}, {}, [Problem(source.path, "file", exc.reason)])
        return
    except RecordError as exc:
        yield SourceRecord(source.path, {}, {}, [Problem(source.path, exc.field, exc.reason)])
        return
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8: {exc.reason} at byte {exc.start}"
        yield SourceRecord(source.path, {}, {}, [Problem(source.path, "file", reason)])
        return
    except OSError as exc:
        yield SourceRecord(source.path, {}, {}, [Problem(source.path, "file", f"unreadable: {exc.strerror}")])
        return
    for fields in records:
        problems: list[Problem] = []
        tables: dict[str, Table] = {}
        consulted: list[str] = []
        figid = fields.get("figid")
        for kind in TABLE_KINDS:
            if kind in fields and fields[kind] not in (None, "", [], ".na.character", "NA"):
                table = _inline_table(source.path, kind, fields[kind], problems)
                if table is not None:
                    tables[kind] = table
                continue
            if not isinstance(figid, str) or not figid or "/" in figid or "\\" in figid:
                continue
            for folder in source.table_dirs:
                table_path = os.path.join(folder, f"{figid}-{kind}.tsv")
                consulted.append(table_path)
                try:
                    table = read_table(Path(table_path), problems)
                except FileNotFoundError:
                    continue
                if table is not None:
                    tables[kind] = table
                break  # found (perhaps unreadable, which is reported): look no further
        yield SourceRecord(source.path, fields, tables, problems, tuple(consulted))
