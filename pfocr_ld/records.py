"""Reading PFOCR source files: front matter, companion TSV tables and organism pages.

This module owns everything about *files*: finding record files under the paths a user names,
splitting YAML front matter, reading the three generations of TSV tables, and the organism pages.
It returns plain dictionaries and rows exactly as found (apart from YAML typing), plus a
:class:`Problem` for everything it could not read. Cleaning and meaning belong to
:mod:`pfocr_ld.model`.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

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
    details: dict[str, str] | None = field(default=None, compare=False)

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
_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterLoader(_BaseLoader):  # type: ignore[misc,valid-type]
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


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=FrontMatterLoader)


_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


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


def parse_record_text(text: str, suffix: str) -> list[dict[str, Any]]:
    """Parse one record file's text into one or more record mappings."""
    try:
        if suffix == ".md":
            data: Any = load_yaml(drop_unread_fields(split_front_matter(text)))
        elif suffix == ".json":
            data = json.loads(text)
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


def read_table(path: Path, problems: list[Problem]) -> Table | None:
    """Read a TSV table; rows with the wrong number of cells are reported and skipped.

    A missing file raises ``FileNotFoundError`` (the caller looks in the next folder: opening is
    the existence check, one system call fewer per candidate than asking first); an unreadable
    one is reported and gives ``None``.
    """
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except FileNotFoundError:
        raise
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
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
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
        rows.append(dict(zip(header, cells, strict=True)))
    return Table(str(path), header, rows)


# Organism pages ----------------------------------------------------------------------------------
@dataclass
class OrganismIndex:
    """Organism names (latin and common, case-folded) → NCBI taxon id, from ``_organisms/*.md``."""

    taxa: dict[str, int] = field(default_factory=dict)
    pages: int = 0

    def add(self, name: str, taxon_id: int) -> None:
        self.taxa.setdefault(name.strip().casefold(), taxon_id)

    def lookup(self, name: str) -> int | None:
        return self.taxa.get(name.strip().casefold())


def read_organism_pages(folders: Iterable[Path], problems: list[Problem]) -> OrganismIndex:
    index = OrganismIndex()
    for folder in folders:
        for page in sorted(folder.glob("*.md")):
            try:
                data = load_yaml(split_front_matter(page.read_text(encoding="utf-8")))
            except (RecordError, yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(str(page), "organism page", str(exc), "warning"))
                continue
            if not isinstance(data, dict):
                continue
            ncbi = str(data.get("ncbi") or "").strip()
            if not ncbi.isdigit():
                problems.append(Problem(str(page), "ncbi", f"no NCBI taxon id ({ncbi!r})", "warning"))
                continue
            index.pages += 1
            for key in ("latin", "common"):
                value = data.get(key)
                if isinstance(value, str) and value.strip():
                    index.add(value, int(ncbi))
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


def discover(paths: Iterable[Path]) -> Discovery:
    """Every record file under ``paths`` (checkouts, folders or files), in a stable order."""
    sources: dict[str, RecordSource] = {}
    organism_dirs: dict[str, Path] = {}
    problems: list[Problem] = []
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
            files = sorted(p for p in record_dir.rglob("*") if p.suffix.lower() in RECORD_SUFFIXES)
            files = [f for f in files if "_organisms" not in f.parts and "_data" not in f.parts]
        else:
            for folder in _organism_dirs_for(path.parent):
                organism_dirs[str(folder.resolve())] = folder
            table_dirs = _table_dirs_for(path.parent)
            files = [path]
        for file in files:
            key = str(file.resolve())
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
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            if _FADVISE is not None:
                _FADVISE(descriptor, 0, 0, os.POSIX_FADV_WILLNEED)
            else:
                while os.read(descriptor, 1 << 20):
                    pass
        except OSError:
            pass
        finally:
            os.close(descriptor)


_FADVISE = getattr(os, "posix_fadvise", None)


def read_source(source: RecordSource) -> Iterator[SourceRecord]:
    """Read one record file (which may hold several records) with its companion tables."""
    path = Path(source.path)
    try:
        text = path.read_text(encoding="utf-8")
        records = parse_record_text(text, path.suffix.lower())
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
                try:
                    table = read_table(Path(folder) / f"{figid}-{kind}.tsv", problems)
                except FileNotFoundError:
                    continue
                if table is not None:
                    tables[kind] = table
                break  # found (perhaps unreadable, which is reported): look no further
        yield SourceRecord(source.path, fields, tables, problems)
