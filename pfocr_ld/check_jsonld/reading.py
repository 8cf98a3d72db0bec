"""Reading the inputs of check-jsonld: JSON text, HTML pages' JSON-LD script blocks, front-matter records.

Each reader turns its syntax errors into findings with a line and column; :func:`html_document`
follows the JSON-LD 1.1 API's HTML extraction rules (the W3C suite's ``html`` tests), and
:func:`record_block` reads the ``schema-jsonld`` block of a PFOCR record with the line of every
JSON path in it. :func:`iter_inputs` lists the files of a folder by suffix.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final

import yaml
from pyld.iri_resolver import resolve as _resolve_iri

from pfocr_ld import records
from pfocr_ld.check_jsonld.findings import Finding, _child

#: The key of a PFOCR record's front matter that holds the JSON-LD the site embeds.
FRONT_MATTER_KEY: Final = "schema-jsonld"

#: Suffixes read from folders, by kind of input.
JSON_SUFFIXES: Final = frozenset({".jsonld", ".json"})
HTML_SUFFIXES: Final = frozenset({".html", ".htm", ".xhtml"})
RECORD_SUFFIXES: Final = frozenset({".md", ".markdown"})


def _reject_duplicates(findings: list[Finding]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                findings.append(
                    Finding(
                        "warning",
                        "duplicate-key",
                        f"key {key!r}",
                        f"the key {key!r} appears more than once in one object; only the last value is kept",
                    )
                )
            result[key] = value
        return result

    return hook


def parse_json(
    text: str | bytes, *, line_offset: int = 0, column_offset: int = 0, code: str = "json-syntax"
) -> tuple[Any, list[Finding]]:
    """Parse JSON text, reporting syntax errors with their line and column.

    The offsets place the text inside a bigger file (an HTML script block starts mid-page), so
    the reported position is the file's. Returns ``(None, findings)`` when the text is not JSON.
    """
    findings: list[Finding] = []
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            return None, [Finding("error", code, f"byte {error.start}", f"not valid UTF-8: {error.reason}")]
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates(findings)), findings
    except json.JSONDecodeError as error:
        line = error.lineno + line_offset
        column = error.colno + (column_offset if error.lineno == 1 else 0)
        findings.append(
            Finding(
                "error", code, f"line {line}, column {column}", f"invalid JSON: {error.msg}", line, column
            )
        )
        return None, findings
    except (ValueError, RecursionError) as error:
        # Python's own limits on what JSON holds: a number of more than 4,300 digits, nesting
        # deeper than the interpreter's stack (raised where the parser gave up, with no position)
        findings.append(Finding("error", code, "$", f"invalid JSON: {error}"))
        return None, findings


def _is_jsonld_type(media_type: str | None) -> bool:
    return media_type is not None and media_type.split(";")[0].strip().lower() == "application/ld+json"


@dataclass(frozen=True)
class ScriptBlock:
    """One ``<script type="application/ld+json">`` element of an HTML page."""

    index: int  # 1-based, among the JSON-LD script elements
    element_id: str | None
    text: str
    line: int  # where the element's content starts (1-based)
    column: int


@dataclass(frozen=True)
class HtmlScripts:
    """What JSON-LD's HTML rules need from a page: its ``<base href>``, its script blocks, its ids."""

    base_href: str | None
    blocks: tuple[ScriptBlock, ...]
    #: every element id, mapped to whether that element is a JSON-LD script
    ids: Mapping[str, bool]


class _ScriptParser(HTMLParser):
    """Collects JSON-LD script blocks; script content is raw text (no character references)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base_href: str | None = None
        self.blocks: list[ScriptBlock] = []
        self.ids: dict[str, bool] = {}
        self._open: tuple[str | None, int, int] | None = None
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "base" and self.base_href is None and attributes.get("href") is not None:
            self.base_href = attributes["href"]
        is_script = tag == "script" and _is_jsonld_type(attributes.get("type"))
        element_id = attributes.get("id")
        if element_id is not None:
            self.ids.setdefault(element_id, is_script)
        if is_script:
            line, column = self.getpos()
            start_tag = self.get_starttag_text() or ""
            if "\n" in start_tag:
                line += start_tag.count("\n")
                column = len(start_tag) - start_tag.rfind("\n") - 1
            else:
                column += len(start_tag)
            self._open = (element_id, line, column + 1)
            self._parts = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._finish()

    def close(self) -> None:
        super().close()
        self._finish()

    def _finish(self) -> None:
        if self._open is None:
            return
        element_id, line, column = self._open
        self.blocks.append(ScriptBlock(len(self.blocks) + 1, element_id, "".join(self._parts), line, column))
        self._open = None


def html_scripts(text: str) -> HtmlScripts:
    """The JSON-LD script blocks of an HTML page (the standard library's parser; no network)."""
    parser = _ScriptParser()
    parser.feed(text)
    parser.close()
    return HtmlScripts(parser.base_href, tuple(parser.blocks), parser.ids)


def html_base(scripts: HtmlScripts, base: str) -> str:
    """The base IRI of a page's JSON-LD: its ``<base href>`` resolved against the page's IRI."""
    return _resolve_iri(scripts.base_href, base) if scripts.base_href else base


class HtmlExtractionError(Exception):
    """JSON-LD's HTML extraction failed; ``code`` is the specification's error code."""

    def __init__(self, code: str, message: str, finding: Finding | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.finding = finding or Finding("error", code, "$", message)


def html_document(
    text: str, *, base: str, fragment: str | None = None, extract_all: bool = False
) -> tuple[Any, str]:
    """Extract the JSON-LD document of an HTML page by the JSON-LD 1.1 API's rules.

    With a ``fragment`` the script element with that id is the document; otherwise the first
    JSON-LD script, or with ``extract_all`` every script's content combined into one array.
    Returns ``(document, base IRI)``; raises :class:`HtmlExtractionError` with the
    specification's error code (``loading document failed``, ``invalid script element``).
    """
    scripts = html_scripts(text)
    effective_base = html_base(scripts, base)
    if fragment:
        chosen = [block for block in scripts.blocks if block.element_id == fragment]
        if not chosen:
            raise HtmlExtractionError(
                "loading document failed", f"no JSON-LD script element has the id {fragment!r}"
            )
        return _script_json(chosen[0]), effective_base
    if extract_all:
        combined: list[Any] = []
        for block in scripts.blocks:
            content = _script_json(block)
            combined.extend(content if isinstance(content, list) else [content])
        return combined, effective_base
    if not scripts.blocks:
        raise HtmlExtractionError("loading document failed", "the page has no JSON-LD script element")
    return _script_json(scripts.blocks[0]), effective_base


def _script_json(block: ScriptBlock) -> Any:
    document, findings = parse_json(
        block.text, line_offset=block.line - 1, column_offset=block.column - 1, code="invalid script element"
    )
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        raise HtmlExtractionError("invalid script element", errors[0].message, errors[0])
    return document


_FRONT_MATTER: Final = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*\r?$", re.S | re.M)


def _jsonable(value: Any) -> Any:
    """YAML values as JSON values: dates become ISO strings, as Jekyll's ``jsonify`` writes them."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def _yaml_positions(node: yaml.Node, path: str, line_offset: int, into: dict[str, tuple[int, int]]) -> None:
    into.setdefault(path, (node.start_mark.line + 1 + line_offset, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = _child(path, str(key_node.value))
            into[child] = (key_node.start_mark.line + 1 + line_offset, key_node.start_mark.column + 1)
            _yaml_positions(value_node, child, line_offset, into)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _yaml_positions(item, _child(path, index), line_offset, into)


@dataclass
class RecordBlock:
    """The ``schema-jsonld`` block of a PFOCR record, with the line of every JSON path in it."""

    document: Any
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def record_block(text: str, key: str = FRONT_MATTER_KEY) -> RecordBlock:
    """Read the JSON-LD block of a PFOCR front-matter record (YAML between ``---`` lines)."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return RecordBlock(
            None, findings=[Finding("warning", "no-jsonld", "$", "the file has no YAML front matter")]
        )
    yaml_text = match.group(1)
    line_offset = text[: match.start(1)].count("\n")
    # The build's reader (yaml.safe_load semantics with the record limits): it refuses anchors and
    # aliases, which the plain SafeLoader expands — a 700-byte alias "bomb" became tens of millions
    # of list items here and the check never ended.
    loader = records.RecordLoader(yaml_text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except records.RecordError as error:
        return RecordBlock(None, findings=[Finding("error", "yaml-refused", "$", str(error))])
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark else None
        column = mark.column + 1 if mark else None
        location = f"line {line}, column {column}" if mark else "$"
        message = str(getattr(error, "problem", None) or error)
        context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and context_mark:  # YAML counts lines from the block; the file has more above
            message += f" ({context} started at line {context_mark.line + 1 + line_offset})"
        return RecordBlock(None, findings=[Finding("error", "yaml-syntax", location, message, line, column)])
    finally:
        loader.dispose()
    if not isinstance(data, dict) or key not in data:
        return RecordBlock(
            None, findings=[Finding("warning", "no-jsonld", "$", f"the front matter has no {key!r} block")]
        )
    positions: dict[str, tuple[int, int]] = {}
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            if key_node.value == key:
                _yaml_positions(value_node, "$", line_offset, positions)
    return RecordBlock(_jsonable(data[key]), positions)


def iter_inputs(path: Path) -> Iterator[Path]:
    """The files to check under ``path``: itself, or a folder's JSON-LD, HTML and record files."""
    if not path.is_dir():
        yield path
        return
    suffixes = JSON_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES
    for candidate in sorted(path.rglob("*")):
        relative = candidate.relative_to(path).parts
        if (
            candidate.is_file()
            and candidate.suffix.lower() in suffixes
            and not any(p.startswith(".") for p in relative)
        ):
            yield candidate
