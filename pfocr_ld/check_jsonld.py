"""``pfocr-ld check-jsonld``: read JSON-LD the way a strict consumer would, and say what goes wrong.

This module owns the JSON-LD checker: reading the inputs (``.jsonld``/``.json`` files, folders of
them, HTML pages with ``<script type="application/ld+json">`` blocks, PFOCR front-matter records
whose ``schema-jsonld`` block is what the PFOCR site embeds), processing each document with PyLD
through the offline document loader, and turning every problem into a :class:`Finding` with a
severity, a code, a location (a JSON path such as ``$.license`` or a line and column) and a message.

The checks come in layers (:class:`Check`) so that callers can pick them: the W3C test suite runs
only the processing layers (``syntax`` + ``processing``), because the vocabulary checks make no
sense for ``example.org`` vocabularies, while the command line runs them all.

- ``syntax``: JSON syntax (``json-syntax``), duplicate keys, YAML front matter, HTML script blocks.
- ``processing``: JSON-LD expansion errors reported with the specification's error code
  (``invalid term definition``, ``loading remote context failed``, …) and ``remote-context`` for
  any context that is not bundled — contexts are never fetched. The build's relative reference
  ``../context.jsonld``, resolved against the document's base, is the bundled PFOCR context.
- ``dropped``: keys that expansion silently drops (``dropped-term``), found with PyLD's
  ``on_property_dropped`` handler.
- ``iris``: relative IRI references (``relative-iri``) and malformed IRIs (``invalid-iri``).
- ``vocabulary``: properties and types in schema.org, the PFOCR vocabulary or the WikiPathways
  vocabulary that those vocabularies do not define (``unknown-term``), schema.org properties used
  outside their domain (``domain-mismatch``), plain strings where the vocabulary expects an IRI
  (``string-not-iri``) and superseded schema.org terms (``superseded-term``).

On top of the layers, SHACL profiles (``--profile bioschemas`` with the shapes in
``pfocr_ld/data/bioschemas/``, ``--profile pfocr`` with the project's shapes) validate the
document's triples with pySHACL, and ``--against`` compares them with a Turtle graph.

For corpora (a build's 100k ``jsonld/`` documents), :func:`check_files` checks files in worker
processes and returns their reports in input order, so the output does not depend on the number
of workers; the command writes reports as they come, ``--summary`` keeps only the documents with
errors and the counts by finding kind, and a progress bar shows on a terminal. A clean document is
expanded once (the relative-IRI probe and the RDF conversion reuse or skip expansions; see
:func:`_needs_probe` and :func:`_dataset`), and :func:`check_files` first asks the fast path
(:mod:`pfocr_ld.check_jsonld_fast`, ``fast=True``), which vouches for a plain clean document
without PyLD and leaves everything else, and every finding, to the exact path.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import multiprocessing
import os
import posixpath
import re
import sys
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache, lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import click
import rdflib
import yaml
from pyld.identifier_issuer import IdentifierIssuer
from pyld.iri_resolver import resolve as _resolve_iri

# The processor's own tests for "absolute IRI" and "keyword": the dropped-term bookkeeping must
# agree exactly with the rule PyLD applies when it decides to drop a key.
from pyld.jsonld import JsonLdError, JsonLdProcessor, _is_absolute_iri, _is_keyword
from rdflib.compare import graph_diff, to_isomorphic

from pfocr_ld import resources, vocab
from pfocr_ld.check_jsonld_fast import expand_plain
from pfocr_ld.contexts import offline_loader, pfocr_context
from pfocr_ld.limits import is_regular_file

Severity = Literal["error", "warning", "info"]
JsonInput = str | bytes | dict | list

_SEVERITY_RANK: Final[dict[str, int]] = {"error": 0, "warning": 1, "info": 2}


class Check(str, Enum):
    """A layer of checks; :data:`PROCESSING_CHECKS` is what a JSON-LD processor itself would do.

    Expansion (the ``processing`` layer) always runs: every other layer reads its result.
    """

    SYNTAX = "syntax"
    PROCESSING = "processing"
    DROPPED = "dropped"
    IRIS = "iris"
    VOCABULARY = "vocabulary"


#: Only what a conforming JSON-LD processor reports: JSON syntax, JSON-LD errors, remote contexts.
PROCESSING_CHECKS: Final[frozenset[Check]] = frozenset({Check.SYNTAX, Check.PROCESSING})
ALL_CHECKS: Final[frozenset[Check]] = frozenset(Check)

#: Every finding code and what it means. JSON-LD processing errors use the specification's own
#: error code (``invalid term definition``, …), which are not listed one by one.
FINDING_CODES: Final[dict[str, str]] = {
    "json-syntax": "the document is not valid JSON (or not UTF-8)",
    "duplicate-key": "a JSON object repeats a key; JSON parsers keep only one of the values",
    "yaml-syntax": "the front matter of a record is not valid YAML",
    "not-jsonld": "the input holds no JSON-LD document, or its top level is not an object or array",
    "no-jsonld": "an HTML page or record carries no JSON-LD block at all",
    "invalid script element": "(JSON-LD error code) an HTML JSON-LD script block is not valid JSON",
    "loading document failed": "(JSON-LD error code) the HTML script block named by the fragment is missing",
    "remote-context": "a remote context that is not bundled; pfocr-ld never fetches contexts",
    "jsonld-processor-failure": "the JSON-LD processor failed without a JSON-LD error code",
    "dropped-term": "a key that does not expand to an absolute IRI, so expansion drops it and its value",
    "relative-iri": "a relative IRI reference, whose meaning depends on where the document is published",
    "invalid-iri": "an IRI containing characters that IRIs cannot contain (spaces, quotes, braces…)",
    "invalid-language-tag": "a language tag that is not well-formed; its statement is left out of the RDF",
    "processor-warning": "a warning of the JSON-LD processor (e.g. a term or IRI reserved for keywords)",
    "unknown-term": "a property or type in a known vocabulary that the vocabulary does not define",
    "superseded-term": "a schema.org term that schema.org has superseded",
    "domain-mismatch": "a schema.org property used on a type outside its schema.org domain",
    "string-not-iri": "a plain string where the vocabulary expects an IRI (a URL or a thing)",
    "shacl": "a SHACL shape of the selected profile is not met (severity from the shape)",
    "missing-triple": "a triple of the --against graph that the document does not produce",
    "extra-triple": "a triple the document produces that the --against graph does not have",
}

#: The key of a PFOCR record's front matter that holds the JSON-LD the site embeds.
FRONT_MATTER_KEY: Final = "schema-jsonld"

#: Suffixes read from folders, by kind of input.
JSON_SUFFIXES: Final = frozenset({".jsonld", ".json"})
HTML_SUFFIXES: Final = frozenset({".html", ".htm", ".xhtml"})
RECORD_SUFFIXES: Final = frozenset({".md", ".markdown"})

#: Relative references are found by expanding a second time against this base: anything that
#: comes out under it was relative in the document. ``.invalid`` is reserved (RFC 2606), and the
#: deep path keeps ``../`` chains from climbing out of it.
_PROBE_ROOT: Final = "https://relative-iri.pfocr-ld.invalid/"
_PROBE_BASE: Final = _PROBE_ROOT + "p/p/p/p/p/p/p/p/p/p/p/p/document"

_BNODE_PREFIX: Final = "_:pfocr-ld-n"
_INVALID_IRI_CHARS: Final = re.compile(r'[\x00-\x20<>"{}|\\^`]')
_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_IDENTIFIER_KEY: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCHEMA_HTTPS: Final = "https://schema.org/"


# Findings and reports ------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem in one document."""

    severity: Severity
    code: str
    location: str
    message: str
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "location": self.location,
            "message": self.message,
        }
        if self.line is not None:
            data["line"] = self.line
            data["column"] = self.column
        return data

    def where(self) -> str:
        """The location for humans: the JSON path, plus the line and column when known."""
        if self.line is None:
            return self.location
        position = f"line {self.line}, column {self.column}"
        return position if self.location.startswith("line ") else f"{self.location} ({position})"


@dataclass
class DocumentReport:
    """The findings of one document (a file, one HTML script block, one record's block)."""

    document: str
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document, "findings": [f.to_dict() for f in self.findings]}


@dataclass
class CheckResult:
    """Everything :func:`analyse_document` learnt: the findings and the intermediate forms."""

    findings: list[Finding]
    document: Any = None
    expanded: list[Any] | None = None
    #: The document's RDF dataset as N-Quads (PyLD's serialisation), when processing succeeded.
    nquads: str | None = None
    #: The union of the dataset's graphs, for SHACL and ``--against``.
    graph: rdflib.Graph | None = None


class InputError(Exception):
    """An input that cannot be read at all (missing, unreadable): exit status 2 on the CLI."""


class ShapesNotFoundError(Exception):
    """A profile whose shapes are not available (``--profile pfocr`` before shapes exist)."""


# JSON paths ------------------------------------------------------------------------------------


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return path + _key_segment(key)


@lru_cache(maxsize=1 << 16)
def _key_segment(key: str) -> str:
    # A corpus repeats the same few hundred keys: the regex and json.dumps ran for every key of
    # every object (705k calls for 200 documents, 5% of a check) before this cache.
    if _IDENTIFIER_KEY.match(key):
        return f".{key}"
    return f"[{json.dumps(key, ensure_ascii=False)}]"


_LAST_SEGMENT: Final = re.compile(r'(\.[A-Za-z_][A-Za-z0-9_]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])$')


def _parent(path: str) -> str | None:
    trimmed = _LAST_SEGMENT.sub("", path)
    return trimmed if trimmed != path else None


_PATH_SEGMENT: Final = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def _value_at(document: Any, path: str) -> Any:
    """The value at a JSON path produced by :func:`_child` (``None`` when it is not there)."""
    value = document
    for match in _PATH_SEGMENT.finditer(path):
        name, index, quoted = match.groups()
        key: str | int = name if name is not None else int(index) if index is not None else json.loads(quoted)
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


# Reading inputs --------------------------------------------------------------------------------


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


def _yaml_loader() -> type:
    # libyaml's loader is ~10x faster; the pure-Python one gives the same result.
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    loader = _yaml_loader()
    try:
        data = yaml.load(yaml_text, Loader=loader)  # a SafeLoader, C or Python
        root = yaml.compose(yaml_text, Loader=loader)
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


# JSON-LD processing ----------------------------------------------------------------------------


class _TracingProcessor(JsonLdProcessor):
    """PyLD's processor, remembering where in the input each expanded node and key came from.

    PyLD expands a deep copy of its input and passes the dropped key's *expansion* (not the key)
    to ``on_property_dropped``, so the JSON path of a dropped key is recovered here: the copy is
    indexed by object identity on the outermost ``_expand`` call, and ``_expand_object`` keeps a
    stack of the objects being expanded with their keys' expansions.
    """

    def __init__(self) -> None:
        super().__init__(on_property_dropped=self._on_dropped)
        self.paths: dict[int, str] = {}
        self.node_paths: dict[int, str] = {}
        self.key_paths: dict[tuple[int, str], str] = {}
        self.dropped: list[tuple[str, str | None, str | None]] = []
        self.error_path: str | None = None
        self._indexed = False
        self._frames: list[tuple[int, str, dict[str, Any]]] = []
        self._reported: dict[int, set[str]] = {}
        # keeps every object whose id() is a key above alive, so no id is reused during a run
        self._alive: list[Any] = []

    def _index(self, value: Any, path: str) -> None:
        if isinstance(value, dict):
            self.paths.setdefault(id(value), path)
            self._alive.append(value)
            for key, item in value.items():
                self._index(item, _child(path, key))
        elif isinstance(value, list):
            self.paths.setdefault(id(value), path)
            self._alive.append(value)
            for index, item in enumerate(value):
                self._index(item, _child(path, index))

    def _expand(
        self, active_ctx: Any, active_property: Any, element: Any, options: Any, *args: Any, **kw: Any
    ) -> Any:
        if not self._indexed:
            self._indexed = True
            self._index(element, "$")
        try:
            return super()._expand(active_ctx, active_property, element, options, *args, **kw)
        except JsonLdError:
            if self.error_path is None and isinstance(element, (dict, list)):
                self.error_path = self.paths.get(id(element))
            raise

    def _expand_object(
        self,
        active_ctx: Any,
        active_property: Any,
        expanded_active_property: Any,
        element: Any,
        expanded_parent: Any,
        options: Any,
        *args: Any,
        **kw: Any,
    ) -> Any:
        path = self.paths.get(id(element), "$")
        self.node_paths.setdefault(id(expanded_parent), path)
        self._alive.append(expanded_parent)
        expansions: dict[str, Any] = {}
        for key in element:
            if key == "@context":
                continue
            try:
                expansions[key] = self._expand_iri(active_ctx, key, vocab=True)
            except JsonLdError:
                expansions[key] = None
            if isinstance(expansions[key], str):
                self.key_paths.setdefault((id(expanded_parent), expansions[key]), _child(path, key))
        self._frames.append((id(element), path, expansions))
        try:
            return super()._expand_object(
                active_ctx,
                active_property,
                expanded_active_property,
                element,
                expanded_parent,
                options,
                *args,
                **kw,
            )
        except JsonLdError:
            if self.error_path is None:
                self.error_path = path
            raise
        finally:
            self._frames.pop()

    def _on_dropped(self, expanded: str | None) -> None:
        if not self._frames:
            self.dropped.append(("$", None, expanded))
            return
        element_id, path, expansions = self._frames[-1]
        done = self._reported.setdefault(element_id, set())
        # PyLD walks the keys in sorted order, so the first unreported key with this expansion
        # is the one being dropped.
        for key in sorted(expansions):
            iri = expansions[key]
            if key in done or iri != expanded:
                continue
            if iri is not None and (_is_absolute_iri(iri) or _is_keyword(iri)):
                continue
            done.add(key)
            self.dropped.append((_child(path, key), key, expanded))
            return
        self.dropped.append((path, None, expanded))


def _error_info(error: BaseException) -> tuple[str | None, str, Any]:
    """The JSON-LD error code, message and details of a (possibly wrapped) PyLD error."""
    current: BaseException | None = error
    seen = 0
    while current is not None and seen < 20:
        code = getattr(current, "code", None)
        if code:
            message = str(current.args[0] if current.args else current)
            details = getattr(current, "details", None)
            if code == "loading remote context failed" and isinstance(details, dict) and "url" in details:
                # PyLD's message speaks of CORS and HTTP headers; nothing was fetched here
                return str(code), f"could not load the remote context <{details['url']}>", details
            if isinstance(details, dict):
                extras = [
                    f"{name}={details[name]!r}"
                    for name in ("term", "url", "value", "keyword", "@id")
                    if name in details and len(repr(details[name])) < 120
                ]
                if extras:
                    message = f"{message} ({', '.join(extras)})"
            return str(code), message, details
        current = current.__cause__ or getattr(current, "cause", None)
        seen += 1
    return None, str(error.args[0] if error.args else error), None


def _context_path(document: Any, context: Any, path: str = "$") -> str | None:
    """The JSON path of the local context a context-processing error names (PyLD's details)."""
    if isinstance(document, dict):
        for key, value in document.items():
            child = _child(path, key)
            if key == "@context":
                if value == context:
                    return child
                if isinstance(value, list):
                    for index, item in enumerate(value):
                        if item == context:
                            return _child(child, index)
            found = _context_path(value, context, child)
            if found:
                return found
    elif isinstance(document, list):
        for index, item in enumerate(document):
            found = _context_path(item, context, _child(path, index))
            if found:
                return found
    return None


def _iter_nodes(expanded: Any) -> Iterator[dict[str, Any]]:
    """Every node object of an expanded document, depth first (including nested and reverse)."""
    stack = list(expanded) if isinstance(expanded, list) else [expanded]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        if "@list" in item:
            stack.extend(item["@list"])
            continue
        if "@value" in item:
            continue
        yield item
        for key, value in item.items():
            if key == "@reverse" and isinstance(value, dict):
                for reverse_values in value.values():
                    stack.extend(reverse_values)
            elif key in ("@graph", "@included") or not key.startswith("@"):
                stack.extend(value if isinstance(value, list) else [value])


def _iter_iris(expanded: Any) -> Iterator[tuple[str, str]]:
    """Every IRI position of an expanded document: ``(kind, iri)`` with kind id/type/property/datatype."""
    for node in _iter_nodes(expanded):
        if isinstance(node.get("@id"), str):
            yield "id", node["@id"]
        for type_iri in node.get("@type", []) if isinstance(node.get("@type"), list) else []:
            if isinstance(type_iri, str):
                yield "type", type_iri
        properties = [key for key in node if not key.startswith("@")]
        if isinstance(node.get("@reverse"), dict):
            properties.extend(node["@reverse"])
        for prop in properties:
            yield "property", prop
        for key, values in node.items():
            if key.startswith("@") and key not in ("@reverse",):
                continue
            for value in _flatten_values(values if key != "@reverse" else list(values.values())):
                if (
                    isinstance(value, dict)
                    and "@value" in value
                    and isinstance(value.get("@type"), str)
                    and value["@type"] != "@json"
                ):
                    yield "datatype", value["@type"]


def _flatten_values(values: Any) -> Iterator[Any]:
    stack = [values]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict) and "@list" in item:
            stack.extend(item["@list"])
        else:
            yield item


def _is_blank(iri: str) -> bool:
    return iri.startswith("_:")


# Vocabulary ----------------------------------------------------------------------------------


def _normalise_schema(iri: str) -> str:
    """schema.org terms compare in the ``http://schema.org/`` form the official context expands to."""
    return vocab.SCHEMA + iri[len(_SCHEMA_HTTPS) :] if iri.startswith(_SCHEMA_HTTPS) else iri


@dataclass(frozen=True, eq=False)  # identity hash: the caches below key on the one instance
class Vocabulary:
    """The classes and properties of schema.org, the PFOCR vocabulary and the wp: terms."""

    classes: frozenset[str]
    properties: frozenset[str]
    parents: Mapping[str, frozenset[str]]
    domains: Mapping[str, frozenset[str]]
    ranges: Mapping[str, frozenset[str]]
    superseded: Mapping[str, str]
    #: properties whose values are IRIs (our context's ``@id`` coercions, owl:ObjectProperty)
    iri_properties: frozenset[str]
    #: namespaces whose every term must be defined in this vocabulary
    namespaces: tuple[str, ...] = (vocab.SCHEMA, vocab.PFOCR, vocab.WP)

    def knows_namespace(self, iri: str) -> bool:
        return iri.startswith(self.namespaces)

    def ancestors(self, cls: str) -> frozenset[str]:
        """``cls`` and every class it is (transitively) a subclass of."""
        return _ancestors(self, cls)

    def datatypes(self) -> frozenset[str]:
        """schema.org's data types (Text, Number, Date, …) and their subclasses."""
        return _datatypes(self)


@cache
def _ancestors(vocabulary: Vocabulary, cls: str) -> frozenset[str]:
    seen = {cls}
    stack = [cls]
    while stack:
        for parent in vocabulary.parents.get(stack.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return frozenset(seen)


@cache
def _datatypes(vocabulary: Vocabulary) -> frozenset[str]:
    roots = {
        vocab.SCHEMA + name for name in ("Text", "Number", "Boolean", "Date", "DateTime", "Time", "DataType")
    }
    return frozenset(cls for cls in vocabulary.classes if vocabulary.ancestors(cls) & roots)


def find_ontology() -> Path | None:
    """The PFOCR ontology (``ontology/pfocr.ttl``), bundled or in the checkout; ``None`` if absent."""
    for candidate in (resources.ontology_file(), resources.PACKAGE_DIR.parent / "ontology" / "pfocr.ttl"):
        if candidate.is_file():
            return candidate
    return None


def find_pfocr_shapes() -> list[Path]:
    """The project's SHACL shapes: ``pfocr_ld/_bundled/shapes`` (installed) or the repo's ``shapes/``."""
    for directory in (resources.shapes_dir(), resources.PACKAGE_DIR.parent / "shapes"):
        shapes = sorted(directory.glob("*.ttl")) if directory.is_dir() else []
        if shapes:
            return shapes
    raise ShapesNotFoundError(
        "no SHACL shapes found for --profile pfocr (looked in pfocr_ld/_bundled/shapes and shapes/)"
    )


@cache
def load_vocabulary() -> Vocabulary:
    """Load schema.org (bundled), the PFOCR ontology (if present) and the wp: terms, once."""
    import pyoxigraph  # parsing the 18k schema.org triples takes 20 ms here, 0.4 s with rdflib

    rdf_type, rdfs_class, rdf_property = vocab.RDF + "type", vocab.RDFS + "Class", vocab.RDF + "Property"
    owl_classes = {vocab.OWL + "Class", rdfs_class}
    owl_properties = {
        rdf_property,
        vocab.OWL + "ObjectProperty",
        vocab.OWL + "DatatypeProperty",
        vocab.OWL + "AnnotationProperty",
    }
    classes: set[str] = set()
    properties: set[str] = set()
    parents: dict[str, set[str]] = {}
    domains: dict[str, set[str]] = {}
    ranges: dict[str, set[str]] = {}
    superseded: dict[str, str] = {}
    iri_properties: set[str] = set()

    def add(subject: str, predicate: str, obj: str) -> None:
        if predicate == rdf_type:
            if obj in owl_classes:
                classes.add(subject)
            elif obj in owl_properties:
                properties.add(subject)
                if obj == vocab.OWL + "ObjectProperty":
                    iri_properties.add(subject)
        elif predicate == vocab.RDFS + "subClassOf":
            parents.setdefault(subject, set()).add(obj)
        elif predicate == vocab.SCHEMA + "domainIncludes":
            domains.setdefault(subject, set()).add(obj)
        elif predicate == vocab.SCHEMA + "rangeIncludes":
            ranges.setdefault(subject, set()).add(obj)
        elif predicate == vocab.SCHEMA + "supersededBy":
            superseded[subject] = obj

    def load(path: Path | Any) -> None:
        with open(str(path), "rb") as stream:
            for triple in pyoxigraph.parse(stream, format=pyoxigraph.RdfFormat.TURTLE):
                subject, predicate, obj = triple.subject, triple.predicate, triple.object
                if isinstance(subject, pyoxigraph.NamedNode) and isinstance(obj, pyoxigraph.NamedNode):
                    add(
                        _normalise_schema(subject.value),
                        _normalise_schema(predicate.value),
                        _normalise_schema(obj.value),
                    )

    load(resources.DATA_DIR / "schemaorg" / "schemaorg-current-https.ttl")
    ontology = find_ontology()
    if ontology is not None:
        load(ontology)
    # The term lists in pfocr_ld.vocab are the contract when the ontology is absent (or partial):
    # capitalised names are classes or individuals, the others properties.
    for terms in (vocab.T.pfocr, vocab.T.wp):
        for name, iri in terms.items():
            (classes if name[:1].isupper() else properties).add(iri)
    for term, definition in pfocr_context().items():
        if isinstance(definition, dict) and definition.get("@type") == "@id":
            iri_properties.add(vocab.CONVERTER.expand(term) or term)
    return Vocabulary(
        classes=frozenset(classes),
        properties=frozenset(properties),
        parents={key: frozenset(value) for key, value in parents.items()},
        domains={key: frozenset(value) for key, value in domains.items()},
        ranges={key: frozenset(value) for key, value in ranges.items()},
        superseded=superseded,
        iri_properties=frozenset(iri_properties),
    )


def _vocabulary_name(iri: str) -> str:
    if iri.startswith(vocab.SCHEMA):
        return "schema.org (release 30.0)"
    if iri.startswith(vocab.PFOCR):
        return "the PFOCR vocabulary (ontology/pfocr.ttl)"
    return "the WikiPathways vocabulary (the wp: terms pfocr-ld knows)"


def _short(iri: str) -> str:
    compressed = vocab.CONVERTER.compress(iri) if not _is_blank(iri) else None
    return compressed or iri


# The checker -----------------------------------------------------------------------------------


@dataclass
class _Run:
    """The state of one document's check, shared by the layers."""

    document: Any
    base: str | None
    options: dict[str, Any]
    loader: Callable[[str, Any], Any]
    documents: Mapping[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    processor: _TracingProcessor | None = None
    expanded: list[Any] | None = None
    term_paths: dict[str, str] = field(default_factory=dict)
    #: the document's values by JSON path, when the expansion recorded them (the fast path)
    raw: Mapping[str, Any] | None = None

    def add(self, severity: Severity, code: str, location: str, message: str) -> None:
        self.findings.append(Finding(severity, code, location, message))


def _recording_loader(
    extra: Mapping[str, Any] | None, findings: list[Finding], base: str | None = None
) -> Callable[[str, Any], Any]:
    """The offline loader, turning every request it cannot serve into a ``remote-context`` finding.

    With the document's ``base``, the build's relative context reference is served bundled too.
    """
    inner = offline_loader(dict(extra) if extra else None, base=base)

    def load(url: str, options: Any = None) -> Any:
        try:
            return inner(url, options)
        except JsonLdError:
            findings.append(
                Finding(
                    "error",
                    "remote-context",
                    _child("$", "@context"),
                    f"the remote context <{url}> is not bundled with pfocr-ld; remote contexts are never "
                    "fetched (inline the context or use a bundled one: schema.org or the PFOCR context)",
                )
            )
            raise

    return load


def _process(run: _Run) -> None:
    if not isinstance(run.document, (dict, list)):
        run.add("error", "not-jsonld", "$", "a JSON-LD document is a JSON object or array")
        return
    processor = _TracingProcessor()
    options = {**run.options, "base": run.base, "documentLoader": run.loader}
    emitted: list[tuple[str, str]] = []

    def show(
        message: Any, category: Any, filename: Any, lineno: Any, file: Any = None, line: Any = None
    ) -> None:
        # PyLD warns (SyntaxWarning) about terms and IRIs reserved for keywords, which it then
        # ignores: that is a finding about the document, with the path of the object at hand
        emitted.append((processor._frames[-1][1] if processor._frames else "$", str(message)))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = show
            run.expanded = processor.expand(run.document, options)
        run.processor = processor
        for path, message in emitted:
            run.add("warning", "processor-warning", path, message)
    except JsonLdError as error:
        code, message, details = _error_info(error)
        location = processor.error_path or "$"
        if isinstance(details, dict) and isinstance(details.get("context"), (dict, list)):
            location = _context_path(run.document, details["context"]) or location
        if code is None:
            run.add("error", "jsonld-processor-failure", location, message)
        else:
            run.add("error", code, location, message)
    except Exception as error:  # a processor bug on odd input must not end the whole check
        run.add(
            "error",
            "jsonld-processor-failure",
            processor.error_path or "$",
            f"{type(error).__name__}: {error}",
        )


def _check_dropped(run: _Run) -> None:
    assert run.processor is not None
    for path, key, expanded in run.processor.dropped:
        if key is None and expanded is None:
            run.add("error", "dropped-term", path, "a key of this object is dropped by expansion")
        elif expanded is None:
            run.add(
                "warning",
                "dropped-term",
                path,
                f"{key!r} is mapped to null in the context, so expansion ignores it and its value",
            )
        else:
            run.add(
                "error",
                "dropped-term",
                path,
                f"{key or expanded!r} does not expand to an absolute IRI (it expands to {expanded!r}): "
                "JSON-LD processors silently drop it and its value; define it in the context",
            )


def _probe_loader(run: _Run) -> Callable[[str, Any], Any]:
    """A loader for the probe expansion: context references resolved against the probe base are
    mapped back to the real base, so relative context references still load."""
    # the plain offline loader: remote-context findings came from the processing layer already
    real = offline_loader(dict(run.documents) if run.documents else None, base=run.base)

    def load(url: str, options: Any = None) -> Any:
        if url.startswith(_PROBE_ROOT) and run.base:
            probe_dir = posixpath.dirname(urlsplit(_PROBE_BASE).path)
            parts = urlsplit(url)
            relative = posixpath.relpath(parts.path, probe_dir) + (f"?{parts.query}" if parts.query else "")
            url = _resolve_iri(relative, run.base)
        return real(url, options)

    return load


_IRI_KIND: Final = {
    "id": "a node or link",
    "type": "a type",
    "property": "a property",
    "datatype": "a datatype",
}


def _string_paths(document: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Every string of the document with its JSON path; a key has its entry's path."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield _child(path, key), key
            yield from _string_paths(value, _child(path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _string_paths(value, _child(path, index))
    elif isinstance(document, str):
        yield path, document


def _needs_probe(run: _Run, iris: Sequence[tuple[str, str]]) -> bool:
    """Whether the probe expansion can find a relative reference the real expansion hides.

    A reference resolved against a base takes the base's scheme (RFC 3986, 5.2.2), so when the
    real base has a scheme, no key was dropped and no IRI of the expansion has that scheme (or
    stayed relative), no IRI came from the base: the probe would find nothing. That is the
    common case (``file:`` bases and ``https:`` documents) and skips a whole second expansion,
    a quarter of a check's time. Anything else (an https base, a dropped key whose expansion
    might depend on the base) takes the probe as before.
    """
    match = _SCHEME.match(run.base or "")
    if match is None or run.processor is None or run.processor.dropped:
        return True
    scheme = match.group(0).lower()
    return any(
        not _is_blank(iri) and (iri[: len(scheme)].lower() == scheme or not _absolute(iri))
        for _, iri in iris
        if not _is_keyword(iri)
    )


def _check_iris(run: _Run) -> None:
    assert run.expanded is not None
    cached_strings: list[tuple[str, str]] = []

    def strings() -> list[tuple[str, str]]:
        # only a finding needs the document's strings: most documents never get here
        if not cached_strings:
            cached_strings.extend(_string_paths(run.document))
        return cached_strings

    reported: set[tuple[str, str]] = set()

    def report(path: str, text: str, message: str, code: str = "relative-iri") -> None:
        if (path, text) not in reported:
            reported.add((path, text))
            run.add("error", code, path, message)

    # Malformed IRIs: PyLD writes them out as they are, and RDF parsers then fail on them. The
    # string that produced one is the one it ends with (a relative reference or the full IRI).
    iris = list(_iter_iris(run.expanded))
    for kind, iri in iris:
        if not _is_blank(iri) and _INVALID_IRI_CHARS.search(iri):
            matches = [(path, text) for path, text in strings() if text and iri.endswith(text)] or [
                ("$", iri)
            ]
            for path, _ in matches[:1]:
                report(
                    path,
                    iri,
                    f"the {kind} IRI {iri!r} contains characters IRIs cannot contain",
                    "invalid-iri",
                )

    # Relative references: expand again against a probe base; whatever lands under it (or stays
    # relative because the document set "@base": null) depended on the document's location.
    if not _needs_probe(run, iris):
        return
    processor = JsonLdProcessor()
    options = {**run.options, "base": _PROBE_BASE, "documentLoader": _probe_loader(run)}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the processing layer has reported them
            probe = processor.expand(copy.deepcopy(run.document), options)
    except Exception:  # the processing layer has reported whatever failed
        return
    for kind, iri in _iter_iris(probe):
        if _is_blank(iri) or _is_keyword(iri):
            continue
        if iri.startswith(_PROBE_ROOT):
            matches = [(path, text) for path, text in strings() if _resolves_to(text, iri)] or [("$", iri)]
            for path, text in matches:
                where = _resolve_iri(text, run.base) if run.base and text != iri else None
                report(
                    path,
                    text,
                    f"{text!r} is a relative IRI reference (used as {_IRI_KIND[kind]}): it resolves "
                    "against the document's base"
                    + (f" to <{where}>" if where else "")
                    + ", so its meaning depends on where the document is published",
                )
        elif not _is_absolute_iri(iri):
            path = next((path for path, text in strings() if text == iri), "$")
            report(
                path,
                iri,
                f"{iri!r} stays a relative IRI (used as {_IRI_KIND[kind]}) because the document has "
                "no base; RDF conversion drops every triple that uses it",
            )


def _resolves_to(text: str, probe_iri: str) -> bool:
    """Whether ``text``, a relative reference, became ``probe_iri`` against the probe base."""
    if not text or _SCHEME.match(text):
        return False
    try:
        return _resolve_iri(text, _PROBE_BASE) == probe_iri
    except Exception:  # the resolver trips over some odd strings; they are not the reference
        return False


def _raw_strings(run: _Run, path: str | None) -> list[tuple[str, str]]:
    """The strings written at ``path`` in the document (one, or each item of an array)."""
    if path is None:
        return []
    raw = run.raw.get(path) if run.raw is not None else _value_at(run.document, path)
    if isinstance(raw, str):
        return [(path, raw)]
    if isinstance(raw, list):
        return [(_child(path, index), item) for index, item in enumerate(raw) if isinstance(item, str)]
    return []


def _check_vocabulary(run: _Run) -> None:
    assert run.expanded is not None and run.processor is not None
    vocabulary = load_vocabulary()
    processor = run.processor
    thing = vocab.SCHEMA + "Thing"
    url = vocab.SCHEMA + "URL"
    role = vocab.SCHEMA + "Role"
    datatypes = vocabulary.datatypes()
    # properties whose values :func:`_check_values` cannot report on (most: titles, labels…)
    quiet: dict[str, bool] = {}

    for node in _iter_nodes(run.expanded):
        node_path = processor.node_paths.get(id(node), "$")
        type_path = processor.key_paths.get((id(node), "@type"))
        if type_path is None:
            type_path = _child(node_path, "@type")
        types = [_normalise_schema(t) for t in node.get("@type", []) if isinstance(t, str)]
        known_types = [t for t in types if t in vocabulary.classes]
        # every type counts, through our ontology too: pfocr:Figure is a schema:Dataset
        type_ancestors, schema_typed = _type_ancestors(vocabulary, tuple(known_types))

        for type_iri in types:
            if not vocabulary.knows_namespace(type_iri):
                continue
            if type_iri not in vocabulary.classes:
                what = "a property, not a type" if type_iri in vocabulary.properties else "not defined"
                run.add(
                    "error",
                    "unknown-term",
                    type_path,
                    f"the type {_short(type_iri)} is {what} in {_vocabulary_name(type_iri)}",
                )
            elif type_iri in vocabulary.superseded:
                run.add(
                    "warning",
                    "superseded-term",
                    type_path,
                    f"{_short(type_iri)} is superseded by {_short(vocabulary.superseded[type_iri])}",
                )

        for key, values in node.items():
            if key.startswith("@"):
                continue
            prop = _normalise_schema(key)
            key_path = processor.key_paths.get((id(node), key), node_path)
            if vocabulary.knows_namespace(prop):
                if prop not in vocabulary.properties:
                    what = "a type, not a property" if prop in vocabulary.classes else "not defined"
                    run.add(
                        "error",
                        "unknown-term",
                        key_path,
                        f"the property {_short(prop)} is {what} in {_vocabulary_name(prop)}",
                    )
                    continue
                if prop in vocabulary.superseded:
                    run.add(
                        "warning",
                        "superseded-term",
                        key_path,
                        f"{_short(prop)} is superseded by {_short(vocabulary.superseded[prop])}",
                    )
            domain = vocabulary.domains.get(prop)
            if domain and schema_typed and role not in type_ancestors and not (type_ancestors & domain):
                run.add(
                    "warning",
                    "domain-mismatch",
                    key_path,
                    f"{_short(prop)} is not expected on {', '.join(_short(t) for t in known_types)} "
                    f"(schema.org domain: {', '.join(sorted(_short(d) for d in domain))})",
                )
            if prop not in quiet:
                url_valued, thing_valued, expects = _expectations(vocabulary, prop, datatypes, thing, url)
                quiet[prop] = expects is None and not (url_valued or thing_valued)
            if not quiet[prop]:
                _check_values(run, vocabulary, prop, values, key_path, datatypes, thing, url)


def _check_values(
    run: _Run,
    vocabulary: Vocabulary,
    prop: str,
    values: Any,
    key_path: str,
    datatypes: frozenset[str],
    thing: str,
    url: str,
) -> None:
    url_valued, thing_valued, expects = _expectations(vocabulary, prop, datatypes, thing, url)
    by_text_cache: list[dict[str, str]] = []

    def by_text() -> dict[str, str]:
        # the raw strings are looked up only for values that may be reported (a fifth of the
        # vocabulary layer's time went to looking them up for every property of every node)
        if not by_text_cache:
            raw = dict(_raw_strings(run, key_path))
            by_text_cache.append({text: path for path, text in raw.items()})
        return by_text_cache[0]

    for value in _flatten_values(values):
        if not isinstance(value, dict):
            continue
        if "@id" in value and len(value) == 1 and isinstance(value["@id"], str):
            if not (url_valued or thing_valued):
                continue
            # The context coerced a string to an IRI: fine when the string was an absolute IRI.
            for text, path in by_text().items():
                if _SCHEME.match(text) or (run.base and _resolve_iri(text, run.base) != value["@id"]):
                    continue
                if url_valued or thing_valued:
                    run.add(
                        "error",
                        "string-not-iri",
                        path,
                        f"{text!r} is not an IRI, but {_short(prop)} expects {expects or 'an IRI'} and the "
                        f"context turns the string into the relative IRI <{value['@id']}>; write a full IRI",
                    )
        elif "@value" in value and isinstance(value["@value"], str) and expects is not None:
            if value.get("@type") not in (None, vocab.XSD + "string"):
                continue
            text = value["@value"]
            path = by_text().get(text, key_path)
            looks_like_iri = bool(re.match(r"^https?://\S+$", text))
            hint = (
                'an IRI written as a string: use {"@id": …} or a context that coerces the term to @id'
                if looks_like_iri
                else "a plain string links to nothing"
            )
            # schema.org tolerates text where it expects a thing, so that is a warning; a string
            # where a URL is expected (license, url, sameAs…) is what consumers cannot use at all
            run.add(
                "error" if url_valued or looks_like_iri else "warning",
                "string-not-iri",
                path,
                f"{_short(prop)} expects {expects}, got the plain string {text!r} ({hint})",
            )


@lru_cache(maxsize=4096)  # bounded: the types come from the documents
def _type_ancestors(vocabulary: Vocabulary, known_types: tuple[str, ...]) -> tuple[frozenset[str], bool]:
    """The classes a node of these (known) types is an instance of, and whether any is schema.org's.

    A corpus repeats a few type combinations; the union was rebuilt for every node (a tenth of
    the vocabulary layer's time).
    """
    ancestors: set[str] = set()
    for type_iri in known_types:
        ancestors |= vocabulary.ancestors(type_iri)
    return frozenset(ancestors), any(t.startswith(vocab.SCHEMA) for t in ancestors)


@lru_cache(maxsize=4096)  # bounded: keys come from the documents
def _expectations(
    vocabulary: Vocabulary, prop: str, datatypes: frozenset[str], thing: str, url: str
) -> tuple[bool, bool, str | None]:
    """What ``prop``'s values should be: (URL-valued, thing-valued, what to call it in a message)."""
    ranges = vocabulary.ranges.get(prop, frozenset())
    # schema.org terms follow schema.org's ranges; our context's @id coercions (which make e.g.
    # schema:about always a link in pfocr-ld's own output) only speak for the other vocabularies
    own_iri = prop in vocabulary.iri_properties and not prop.startswith(vocab.SCHEMA)
    url_valued = url in ranges or own_iri
    thing_valued = thing in ranges or any(r not in datatypes and r in vocabulary.classes for r in ranges)
    # Text (or a number, a date…) among the ranges makes any string a legal value
    text_ok = any(r in datatypes and r != url for r in ranges) and not own_iri
    expects: str | None = None
    if (url_valued or thing_valued) and not text_ok:
        expects = (
            "a URL"
            if url_valued
            else "a " + " or ".join(sorted(_short(r) for r in ranges if r not in datatypes))
        )
    return url_valued, thing_valued, expects


def _prune_null_ids(value: Any) -> Any:
    """Drop the ``{"@id": null}`` references expansion leaves for ignored keyword-like IRIs
    (``"@ignoreMe"``): they denote nothing, and PyLD's toRdf cannot sort a ``None`` subject."""
    if isinstance(value, list):
        return [
            _prune_null_ids(item)
            for item in value
            if not (isinstance(item, dict) and item.get("@id", "") is None and len(item) == 1)
        ]
    if isinstance(value, dict):
        if value.get("@id", "") is None:
            del value["@id"]
        for key, item in value.items():
            if key not in ("@value", "@id", "@type", "@language", "@direction", "@index"):
                value[key] = _prune_null_ids(item)
    return value


def _label_blank_nodes(run: _Run) -> dict[str, str]:
    """Give every unlabelled node of the expanded document a blank-node id, and map ids to paths."""
    assert run.expanded is not None and run.processor is not None
    labels: dict[str, str] = {}
    counter = 0
    for node in _iter_nodes(run.expanded):
        path = run.processor.node_paths.get(id(node), "$")
        if "@id" not in node:
            if "@graph" in node:  # a simple graph object stays as it is: toRdf names it alike
                continue
            node["@id"] = f"{_BNODE_PREFIX}{counter}"
            counter += 1
        if isinstance(node["@id"], str):
            labels.setdefault(node["@id"], path)
    return labels


_LANGUAGE_TAG: Final = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


@lru_cache(maxsize=1 << 16)
def _absolute(iri: str) -> bool:
    """PyLD's own absolute-IRI test, remembered: a corpus repeats the same IRIs (predicates,
    types, shared nodes), and the test compiles its pattern anew on every call."""
    return bool(_is_absolute_iri(iri))


@lru_cache(maxsize=1 << 16)
def _well_formed_iri(iri: str) -> bool:
    # PyLD only checks for a scheme and no whitespace; toRdf must also skip IRIs with characters
    # no IRI may hold, or with a second "#"
    return _absolute(iri) and not _INVALID_IRI_CHARS.search(iri) and iri.count("#") <= 1


def _well_formed_term(term: Mapping[str, Any] | None) -> bool:
    if term is None:  # PyLD leaves None for a list item whose IRI stayed relative
        return False
    if term["type"] == "IRI":
        return _well_formed_iri(term["value"])
    if term["type"] == "literal":
        datatype = term.get("datatype")
        return datatype is None or _well_formed_iri(datatype)
    return True


def _well_formed(run: _Run, dataset: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The dataset without the statements JSON-LD's toRdf must skip but PyLD keeps: ill-formed
    IRIs (reported by the iris layer) and ill-formed language tags (reported here)."""
    result: dict[str, list[dict[str, Any]]] = {}
    for graph_name, quads in dataset.items():
        if graph_name != "@default" and not _is_blank(graph_name) and not _well_formed_iri(graph_name):
            continue
        kept = []
        for quad in quads:
            obj = quad.get("object")
            if not all(_well_formed_term(quad.get(part)) for part in ("subject", "predicate", "object")):
                continue
            language = obj.get("language") if obj else None
            if language and not _LANGUAGE_TAG.match(language):
                path = run.term_paths.get(_normalise_schema(quad["subject"]["value"]), "$")
                run.add(
                    "warning",
                    "invalid-language-tag",
                    path,
                    f"{language!r} is not a well-formed language tag (BCP 47): the statement with "
                    f"{obj['value']!r} is left out of the RDF",
                )
                continue
            kept.append(quad)
        result[graph_name] = kept
    return result


def _to_term(term: Mapping[str, Any]) -> rdflib.term.Node | None:
    try:
        return _rdflib_term(term)
    except ValueError:  # rdflib refuses a few lexical forms PyLD passes through
        return None


def _rdflib_term(term: Mapping[str, Any]) -> rdflib.term.Node | None:
    kind, value = term["type"], term["value"]
    if kind == "IRI":
        if value.startswith("_:"):
            return rdflib.BNode(value[2:])
        return None if _INVALID_IRI_CHARS.search(value) else rdflib.URIRef(_normalise_schema(value))
    if kind == "blank node":
        return rdflib.BNode(value[2:])
    language = term.get("language")
    if language:
        return rdflib.Literal(value, lang=language)
    datatype = term.get("datatype")
    if datatype in (None, vocab.XSD + "string"):
        return rdflib.Literal(value)
    return rdflib.Literal(value, datatype=rdflib.URIRef(datatype))


def _dataset(expanded: list[Any], options: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """JSON-LD's toRdf of an already expanded document (PyLD's ``to_rdf`` without its expansion).

    PyLD's ``to_rdf`` expands its input again before building the node map; for a document that
    is already expanded that second expansion is the identity and cost a third of a check's time
    (measured: 16.7 s of 37 s for 200 synthetic figure documents under cProfile). The W3C toRdf
    tests (tests/test_w3c_jsonld_suite.py) pin that the dataset is the same.
    """
    processor = JsonLdProcessor()
    issuer = options["identifierIssuer"]
    node_map: dict[str, Any] = {"@default": {}}
    processor._create_node_map(expanded, node_map, "@default", issuer)
    dataset: dict[str, list[dict[str, Any]]] = {}
    for graph_name, graph in sorted(node_map.items()):
        # relative graph names are skipped, as toRdf does
        if graph_name == "@default" or _is_absolute_iri(graph_name):
            dataset[graph_name] = processor._graph_to_rdf(graph, issuer, options)
    return dataset


def _to_rdf(run: _Run, *, keep: bool = True) -> tuple[str | None, rdflib.Graph | None]:
    """The document's RDF: toRdf of the (blank-node labelled) expanded form.

    Converting the expanded form keeps the node-to-path map valid for blank nodes: the issuer
    records which ``_:bN`` each of our labels became. schema.org IRIs are normalised to http in
    the graph (not in the N-Quads), so https-schema.org documents validate like http ones.
    With ``keep`` false only the findings of the conversion are wanted: no N-Quads, no graph.
    """
    run.expanded = _prune_null_ids(run.expanded)
    labels = _label_blank_nodes(run)
    issuer = IdentifierIssuer("_:b")
    options = {
        # toRdf's defaults, then the caller's
        "produceGeneralizedRdf": False,
        "rdfDirection": None,
        "processingMode": "json-ld-1.1",
        **{
            k: v
            for k, v in run.options.items()
            if k in ("produceGeneralizedRdf", "rdfDirection", "processingMode")
        },
        "identifierIssuer": issuer,
    }
    dataset = _dataset(run.expanded or [], options)
    for label, path in labels.items():
        if _is_blank(label):
            issued = issuer.existing.get(label)
            if issued is not None:
                run.term_paths.setdefault(issued, path)
        else:
            run.term_paths.setdefault(_normalise_schema(label), path)
    dataset = _well_formed(run, dataset)
    if not keep:
        return None, None
    graph = rdflib.Graph()
    for quads in dataset.values():
        for quad in quads:
            terms = (_to_term(quad["subject"]), _to_term(quad["predicate"]), _to_term(quad["object"]))
            if all(term is not None for term in terms):
                graph.add(terms)  # type: ignore[arg-type]
    return JsonLdProcessor.to_nquads(dataset), graph


def _term_key(term: rdflib.term.Node) -> str:
    return f"_:{term}" if isinstance(term, rdflib.BNode) else str(term)


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]


# SHACL profiles --------------------------------------------------------------------------------

#: Profile name -> where its shapes come from.
PROFILES: Final[dict[str, str]] = {
    "bioschemas": "Bioschemas Dataset 1.0, Gene 1.0, MolecularEntity 0.5, ChemicalSubstance 0.4, "
    "ScholarlyArticle 0.2-DRAFT (pfocr_ld/data/bioschemas/*.ttl)",
    "pfocr": "the project's own shapes (shapes/*.ttl, bundled as pfocr_ld/_bundled/shapes)",
}


def profile_shape_files(name: str) -> list[Path]:
    """The Turtle files of a profile's shapes; :class:`ShapesNotFoundError` when there are none."""
    if name == "bioschemas":
        directory = resources.DATA_DIR / "bioschemas"
        files = sorted(directory.glob("*.ttl"))
        if not files:
            raise ShapesNotFoundError(f"no Bioschemas shapes in {directory}")
        return files
    if name == "pfocr":
        return find_pfocr_shapes()
    raise ValueError(f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))}")


@cache
def load_profile(name: str) -> rdflib.Graph:
    """A profile's shapes graph, parsed once per process."""
    graph = rdflib.Graph()
    for path in profile_shape_files(name):
        graph.parse(path, format="turtle")
    return graph


def _check_profile(run: _Run, graph: rdflib.Graph, profile: str) -> None:
    import pyshacl  # imported here: it takes ~0.5 s and most checks do not need it

    shapes = load_profile(profile)
    _, results, _ = pyshacl.validate(
        graph,
        shacl_graph=shapes,
        inference="none",
        advanced=False,
        meta_shacl=False,
        allow_warnings=True,
        allow_infos=True,
    )
    sh = rdflib.Namespace(vocab.SH)
    severity_of: dict[rdflib.term.Node, Severity] = {
        sh.Violation: "error",
        sh.Warning: "warning",
        sh.Info: "info",
    }
    found: list[tuple[str, Finding]] = []
    for result in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus = results.value(result, sh.focusNode)
        path = results.value(result, sh.resultPath)
        severity = severity_of.get(results.value(result, sh.resultSeverity), "error")  # type: ignore[arg-type]
        messages = sorted(str(m) for m in results.objects(result, sh.resultMessage))
        shape = results.value(result, sh.sourceShape)
        value = results.value(result, sh.value)
        location = run.term_paths.get(_term_key(focus), "$") if focus is not None else "$"
        if isinstance(path, rdflib.URIRef):
            # point at the property when the document has it; a missing one is reported on its node
            candidate = _child(location, _local_name(str(path)))
            if _value_at(run.document, candidate) is not None:
                location = candidate
        message = messages[0] if messages else f"{_short(str(shape))} is not met"
        if value is not None and not isinstance(value, rdflib.BNode):
            message += f" (value: {value.n3()})"
        found.append((location, Finding(severity, "shacl", location, f"[{profile}] {message}")))
    for _, finding in sorted(found, key=lambda item: (_SEVERITY_RANK[item[1].severity], item[0])):
        run.findings.append(finding)


def _normalised_graph(graph: rdflib.Graph) -> rdflib.Graph:
    def norm(term: rdflib.term.Node) -> rdflib.term.Node:
        if isinstance(term, rdflib.URIRef):
            return rdflib.URIRef(_normalise_schema(str(term)))
        if isinstance(term, rdflib.Literal) and term.datatype == rdflib.XSD.string:
            return rdflib.Literal(str(term))
        return term

    result = rdflib.Graph()
    for s, p, o in graph:
        result.add((norm(s), norm(p), norm(o)))
    return result


def load_against(source: str | Path | rdflib.Graph) -> rdflib.Graph:
    """The ``--against`` graph: a Turtle file, Turtle text or a graph, schema.org normalised to http."""
    if isinstance(source, rdflib.Graph):
        return _normalised_graph(source)
    graph = rdflib.Graph()
    if isinstance(source, Path):
        graph.parse(source, format="turtle")
    else:
        graph.parse(data=source, format="turtle")
    return _normalised_graph(graph)


def _compare(run: _Run, graph: rdflib.Graph, expected: rdflib.Graph) -> None:
    ours, theirs = to_isomorphic(graph), to_isomorphic(expected)
    if ours == theirs:
        return
    _, only_ours, only_theirs = graph_diff(ours, theirs)

    def location(subject: rdflib.term.Node) -> str:
        return run.term_paths.get(_term_key(subject), "$") if isinstance(subject, rdflib.URIRef) else "$"

    for s, p, o in sorted(only_theirs):
        run.add(
            "error",
            "missing-triple",
            location(s),
            f"not produced by the document: {s.n3()} {p.n3()} {o.n3()} .",
        )
    for s, p, o in sorted(only_ours):
        run.add(
            "error", "extra-triple", location(s), f"not in the expected graph: {s.n3()} {p.n3()} {o.n3()} ."
        )


# Public API ----------------------------------------------------------------------------------


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str, str]] = set()
    result = []
    for finding in findings:
        key = (finding.severity, finding.code, finding.location, finding.message)
        if key not in seen:
            seen.add(key)
            result.append(finding)
    return result


def _place(findings: list[Finding], positions: Mapping[str, tuple[int, int]] | None) -> list[Finding]:
    """Add line and column to findings whose JSON path (or an ancestor's) has a known position."""
    if not positions:
        return findings
    placed = []
    for finding in findings:
        path: str | None = finding.location
        while finding.line is None and path is not None and path.startswith("$"):
            if path in positions:
                line, column = positions[path]
                finding = Finding(
                    finding.severity, finding.code, finding.location, finding.message, line, column
                )
                break
            path = _parent(path)
        placed.append(finding)
    return placed


def _no_loader(url: str, options: Any = None) -> Any:
    raise AssertionError("the fast path loads nothing")  # pragma: no cover


def _fast_clean(document: Any, base: str | None, checks: frozenset[Check]) -> bool:
    """Whether the exact path would find nothing, decided without PyLD's expansion.

    ``False`` means "not known": the document is outside the plain subset, or the layers found
    something, and the exact path checks it (and words every finding). For a 57 kB figure
    document of a build this replaces PyLD's expansion and the RDF conversion (three quarters of
    the exact path's 18 ms of CPU, measured with cProfile); a clean document needs the conversion
    only for its language tags, which the fast expansion checks instead.
    """
    plain = expand_plain(document, base, _key_segment, _LANGUAGE_TAG)
    if plain is None:
        return False
    # the layers read the expansion's records from the processor; nothing was dropped
    processor = _TracingProcessor()
    processor.node_paths, processor.key_paths, processor._alive = (
        plain.node_paths,
        plain.key_paths,
        plain.alive,
    )
    run = _Run(
        document=document, base=base, options={}, loader=_no_loader, processor=processor, raw=plain.raw
    )
    run.expanded = plain.expanded
    if Check.IRIS in checks and not _plain_iris(plain.iris, base):
        return False
    if Check.VOCABULARY in checks:
        _check_vocabulary(run)
    return not run.findings


def _plain_iris(iris: Iterable[str], base: str | None) -> bool:
    """Whether :func:`_check_iris` finds nothing, given (at least) every IRI of the expanded form
    and no dropped key: no IRI has a character IRIs cannot hold, and :func:`_needs_probe` is
    false (the base has a scheme, no IRI has that scheme or stays relative)."""
    match = _SCHEME.match(base or "")
    if match is None:
        return False
    scheme = match.group(0).lower()
    size = len(scheme)
    for iri in iris:
        if iri.startswith("_:"):
            continue
        if _INVALID_IRI_CHARS.search(iri) or iri[:size].lower() == scheme or not _absolute(iri):
            return False
    return True


def analyse_document(
    doc_or_text: JsonInput,
    *,
    base: str | None,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    jsonld_options: Mapping[str, Any] | None = None,
    documents: Mapping[str, Any] | None = None,
    positions: Mapping[str, tuple[int, int]] | None = None,
    keep_forms: bool = True,
    fast: bool = False,
) -> CheckResult:
    """Check one JSON-LD document and return the findings with the intermediate forms.

    ``doc_or_text`` is JSON text (str or bytes) or already parsed JSON. ``base`` is the document's
    base IRI — pass one explicitly (a file's ``file://`` IRI, the page's URL); ``None`` leaves
    relative IRIs relative. ``jsonld_options`` are passed to PyLD (``processingMode``,
    ``expandContext``, ``rdfDirection``, …); ``documents`` maps further IRIs to parsed documents
    the offline loader may serve (never the network). ``positions`` maps JSON paths to line and
    column in the source file, for inputs whose parser knows them (YAML front matter).
    ``keep_forms=False`` leaves ``expanded``, ``nquads`` and ``graph`` out of the result (the
    findings are the same): building them is a fifth of a check's time, and a corpus check
    needs only the findings. ``fast=True`` (with ``keep_forms=False``, no profile, no
    ``against``, no ``documents`` or options) first asks the fast path
    (:mod:`pfocr_ld.check_jsonld_fast`), which answers only "no finding"; the findings are the
    same either way, and every finding comes from the exact path.
    """
    check_set = frozenset(checks)
    findings: list[Finding] = []
    if isinstance(doc_or_text, (str, bytes)):
        document, syntax = parse_json(doc_or_text)
        findings.extend(syntax if Check.SYNTAX in check_set else [f for f in syntax if f.severity == "error"])
        if document is None and syntax:
            return CheckResult(_dedupe(findings))
    else:
        document = doc_or_text
    if (
        fast
        and not keep_forms
        and not findings
        and not profiles
        and against is None
        and not documents
        and not jsonld_options
        and _fast_clean(document, base, check_set)
    ):
        return CheckResult([], document)
    run = _Run(
        document=document,
        base=base,
        options=dict(jsonld_options or {}),
        loader=_recording_loader(documents, findings, base),
        documents=documents,
        findings=findings,
    )
    _process(run)
    result = CheckResult(findings, document)
    if run.expanded is None:
        result.findings = _place(_dedupe(run.findings), positions)
        return result
    if keep_forms:
        # a copy for the caller: the RDF step below labels blank nodes in run.expanded itself
        result.expanded = copy.deepcopy(run.expanded)
    if Check.DROPPED in check_set:
        _check_dropped(run)
    if Check.IRIS in check_set:
        _check_iris(run)
    if Check.VOCABULARY in check_set:
        _check_vocabulary(run)
    try:
        result.nquads, result.graph = _to_rdf(run, keep=keep_forms or bool(profiles) or against is not None)
    except JsonLdError as error:
        code, message, _ = _error_info(error)
        run.add("error", code or "jsonld-processor-failure", "$", message)
    except Exception as error:  # a processor bug on odd input must not end the whole check
        run.add(
            "error",
            "jsonld-processor-failure",
            "$",
            f"RDF conversion failed: {type(error).__name__}: {error}",
        )
    if result.graph is not None:
        for profile in profiles:
            _check_profile(run, result.graph, profile)
        if against is not None:
            _compare(run, result.graph, load_against(against))
    result.findings = _place(_dedupe(run.findings), positions)
    return result


def check_document(
    doc_or_text: JsonInput,
    *,
    base: str | None,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    jsonld_options: Mapping[str, Any] | None = None,
    documents: Mapping[str, Any] | None = None,
    fast: bool = False,
) -> list[Finding]:
    """Check one JSON-LD document (JSON text or parsed JSON); see :func:`analyse_document`.

    Raises :class:`ShapesNotFoundError` for a profile whose shapes are missing.
    """
    return analyse_document(
        doc_or_text,
        base=base,
        profiles=profiles,
        against=against,
        checks=checks,
        jsonld_options=jsonld_options,
        documents=documents,
        keep_forms=False,
        fast=fast,
    ).findings


def check_html(
    text: str,
    *,
    name: str,
    base: str,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    fast: bool = False,
) -> list[DocumentReport]:
    """Check every JSON-LD script block of an HTML page, each as its own document."""
    scripts = html_scripts(text)
    if not scripts.blocks:
        return [
            DocumentReport(
                name, [Finding("warning", "no-jsonld", "$", "the page has no JSON-LD script element")]
            )
        ]
    effective_base = html_base(scripts, base)
    reports = []
    for block in scripts.blocks:
        label = f"{name}#script[{block.index}] (line {block.line})"
        document, syntax = parse_json(
            block.text,
            line_offset=block.line - 1,
            column_offset=block.column - 1,
            code="invalid script element",
        )
        if document is None:
            reports.append(DocumentReport(label, syntax))
            continue
        findings = analyse_document(
            document,
            base=effective_base,
            profiles=profiles,
            against=against,
            checks=checks,
            keep_forms=False,
            fast=fast,
        ).findings
        reports.append(DocumentReport(label, syntax + findings))
    return reports


def check_record(
    text: str,
    *,
    name: str,
    base: str,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    fast: bool = False,
) -> list[DocumentReport]:
    """Check the ``schema-jsonld`` block of a PFOCR front-matter record."""
    block = record_block(text)
    label = f"{name}#{FRONT_MATTER_KEY}"
    if block.document is None:
        return [DocumentReport(label, block.findings)]
    findings = analyse_document(
        block.document,
        base=base,
        profiles=profiles,
        against=against,
        checks=checks,
        positions=block.positions,
        keep_forms=False,
        fast=fast,
    ).findings
    return [DocumentReport(label, block.findings + findings)]


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


def check_path(
    path: str | Path,
    *,
    base: str | None = None,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
) -> list[DocumentReport]:
    """Check a file or every file of a folder; one report per document.

    The base IRI is ``base`` when given, else each file's ``file://`` IRI. Raises
    :class:`InputError` when the path does not exist or a file cannot be read.
    """
    root = Path(path)
    if not root.exists():
        raise InputError(f"{root}: no such file or directory")
    expected = (
        load_against(against) if against is not None and not isinstance(against, rdflib.Graph) else against
    )
    reports: list[DocumentReport] = []
    for file in iter_inputs(root):
        reports.extend(check_file(file, base=base, profiles=profiles, against=expected, checks=checks))
    return reports


def check_file(
    file: Path,
    *,
    base: str | None = None,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    fast: bool = False,
) -> list[DocumentReport]:
    """Check one file (JSON-LD, HTML page or record): one report per document it holds.

    ``fast``: see :func:`analyse_document`. Raises :class:`InputError` when the file cannot be read.
    """
    try:
        regular, reason = is_regular_file(file)
        if not regular:  # a FIFO or device would block the read or never end
            raise InputError(f"{file}: {reason}")
        data = file.read_bytes()
    except OSError as error:
        raise InputError(f"{file}: {error.strerror or error}") from error
    name = str(file)
    file_base = base or file.resolve().as_uri()
    suffix = file.suffix.lower()
    if suffix in HTML_SUFFIXES or suffix in RECORD_SUFFIXES:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            finding = Finding("error", "json-syntax", f"byte {error.start}", "not valid UTF-8")
            return [DocumentReport(name, [finding])]
        checker = check_html if suffix in HTML_SUFFIXES else check_record
        return checker(
            text, name=name, base=file_base, profiles=profiles, against=against, checks=checks, fast=fast
        )
    findings = check_document(
        data, base=file_base, profiles=profiles, against=against, checks=checks, fast=fast
    )
    return [DocumentReport(name, findings)]


# Corpus runs -----------------------------------------------------------------------------------

#: The options every task of a worker process checks with, set once by :func:`_init_worker`.
_WORKER_OPTIONS: dict[str, Any] = {}


def _init_worker(options: dict[str, Any]) -> None:
    _WORKER_OPTIONS.clear()
    _WORKER_OPTIONS.update(options)


def _check_task(file: Path) -> list[DocumentReport]:
    return check_file(file, **_WORKER_OPTIONS)


def check_files(
    files: Sequence[Path],
    *,
    base: str | None = None,
    profiles: Sequence[str] = (),
    against: rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    workers: int = 1,
    fast: bool = True,
) -> Iterator[list[DocumentReport]]:
    """Check ``files``, each file's reports in input order, with up to ``workers`` processes.

    The reports are the same whatever the number of workers: each file is checked on its own,
    and results come back in the order of ``files``. They are the same with ``fast`` (the
    default; see :func:`analyse_document`) as without: a clean document of a build is checked
    in about a fifth of the time. Raises :class:`InputError` for a file that cannot be read
    (at its place in the order).
    """
    options: dict[str, Any] = {
        "base": base,
        "profiles": tuple(profiles),
        "against": against,
        "checks": frozenset(checks),
        "fast": fast,
    }
    workers = min(workers, len(files))
    if workers <= 1:
        for file in files:
            yield check_file(file, **options)
        return
    # loaded once here, inherited by forked workers instead of built in each of them
    load_vocabulary()
    for profile in profiles:
        load_profile(profile)
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    # a few tasks per worker in flight keeps them busy; chunks amortise the pickling of small
    # results (most files of a corpus have no finding) without holding back the first results
    chunksize = max(1, min(16, len(files) // (workers * 8)))
    with context.Pool(workers, initializer=_init_worker, initargs=(options,)) as pool:
        yield from pool.imap(_check_task, files, chunksize=chunksize)


@dataclass
class CheckSummary:
    """Totals of a check, built one report at a time (a corpus never has to fit in memory)."""

    documents: int = 0
    totals: dict[str, int] = field(default_factory=lambda: {"error": 0, "warning": 0, "info": 0})
    #: (severity, code) -> [findings, documents with at least one such finding]
    kinds: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    #: the documents with errors, in input order: (document, errors, warnings, {code: findings})
    failing: list[tuple[str, int, int, dict[str, int]]] = field(default_factory=list)

    def add(self, report: DocumentReport) -> None:
        self.documents += 1
        codes: dict[str, int] = {}
        seen: set[tuple[str, str]] = set()
        for finding in report.findings:
            self.totals[finding.severity] += 1
            kind = (finding.severity, finding.code)
            counts = self.kinds.setdefault(kind, [0, 0])
            counts[0] += 1
            if kind not in seen:
                seen.add(kind)
                counts[1] += 1
            if finding.severity == "error":
                codes[finding.code] = codes.get(finding.code, 0) + 1
        if codes:
            warnings_ = sum(1 for finding in report.findings if finding.severity == "warning")
            self.failing.append((report.document, sum(codes.values()), warnings_, codes))

    def totals_line(self) -> str:
        totals = self.totals
        return (
            f"{self.documents} document(s) checked, {len(self.failing)} with errors: "
            f"{totals['error']} error(s), {totals['warning']} warning(s), {totals['info']} info"
        )

    @staticmethod
    def failing_line(failing: tuple[str, int, int, dict[str, int]]) -> str:
        document, errors, warnings_, codes = failing
        listed = ", ".join(f"{code} ({count})" for code, count in sorted(codes.items()))
        return f"{document}: {errors} error(s), {warnings_} warning(s): {listed}"

    def kind_lines(self) -> list[str]:
        if not self.kinds:
            return []
        lines = ["findings by kind (findings, documents):"]
        for (severity, code), (findings, documents) in sorted(
            self.kinds.items(), key=lambda item: (_SEVERITY_RANK[item[0][0]], -item[1][0], item[0][1])
        ):
            lines.append(f"  {severity:<7} {code:<24} {findings:>8} {documents:>8}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "with_errors": len(self.failing),
            "totals": dict(self.totals),
            "by_kind": [
                {"severity": severity, "code": code, "findings": findings, "documents": documents}
                for (severity, code), (findings, documents) in sorted(
                    self.kinds.items(),
                    key=lambda item: (_SEVERITY_RANK[item[0][0]], -item[1][0], item[0][1]),
                )
            ],
            "failing": [
                {"document": document, "errors": errors, "warnings": warnings_, "codes": codes}
                for document, errors, warnings_, codes in self.failing
            ],
        }


# Command line ----------------------------------------------------------------------------------


def _report_lines(report: DocumentReport) -> list[str]:
    """One document's part of the text report."""
    if not report.findings:
        return [f"{report.document}: ok"]
    lines = [report.document]
    for finding in report.findings:
        lines.append(f"  {finding.severity:<7} {finding.code:<16} {finding.where()}")
        lines.append(f"          {finding.message}")
    return lines


def format_text(reports: Sequence[DocumentReport]) -> str:
    """The human-readable report: findings grouped per document, then a summary line."""
    lines: list[str] = []
    summary = CheckSummary()
    for report in reports:
        summary.add(report)
        lines.extend(_report_lines(report))
    lines.append(summary.totals_line())
    return "\n".join(lines)


def format_summary(reports: Iterable[DocumentReport]) -> str:
    """The errors-only summary: one line per document with errors, counts by kind, the totals."""
    summary = CheckSummary()
    for report in reports:
        summary.add(report)
    lines = [CheckSummary.failing_line(failing) for failing in summary.failing]
    return "\n".join([*lines, *summary.kind_lines(), summary.totals_line()])


def format_json(reports: Sequence[DocumentReport]) -> str:
    return json.dumps([report.to_dict() for report in reports], indent=2, ensure_ascii=False)


class _UnreadableInput(click.ClickException):
    exit_code = 2


class _Output:
    """Lines to stdout; through tqdm while a progress bar is on stderr, so they do not tear it."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.bar: Any = None

    def _start(self) -> None:
        # started with the first result, after the worker processes were forked: tqdm runs a
        # monitor thread, and a fork should not copy a process with threads
        if self.enabled and self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total, unit="file", desc="check-jsonld", dynamic_ncols=True, file=sys.stderr
            )

    def echo(self, text: str) -> None:
        self._start()
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)
        else:
            click.echo(text)

    def advance(self) -> None:
        self._start()
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.command("check-jsonld")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    type=click.Choice(sorted(PROFILES)),
    help="Validate with a SHACL profile (repeatable): bioschemas, pfocr.",
)
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Compare each document's triples with this Turtle graph.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--base", help="Base IRI of the documents (default: each file's file:// IRI).")
@click.option(
    "--summary",
    is_flag=True,
    help="Errors only: one line per document with errors, then finding counts by kind and the totals "
    "(for corpus-scale checks; with --format json, the same as one JSON object).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Worker processes (0: one per core). The output is the same for any number.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal only).")
def check_jsonld_command(
    inputs: tuple[Path, ...],
    profiles: tuple[str, ...],
    against: Path | None,
    output_format: str,
    base: str | None,
    summary: bool,
    workers: int,
    progress: bool | None,
) -> None:
    """Check JSON-LD files, folders, HTML pages or PFOCR records (their schema-jsonld block).

    Exit status: 0 no errors, 1 at least one error finding, 2 unreadable input or usage error.
    """
    for profile in profiles:
        try:
            profile_shape_files(profile)
        except ShapesNotFoundError as error:
            raise click.UsageError(str(error)) from error
    expected: rdflib.Graph | None = None
    if against is not None:
        try:
            expected = load_against(against)
        except Exception as error:  # rdflib raises several parser exception types
            raise _UnreadableInput(f"{against}: not readable as Turtle: {error}") from error
    files = [file for path in inputs for file in iter_inputs(path)]
    show_progress = sys.stderr.isatty() if progress is None else progress
    totals = CheckSummary()
    collected: list[DocumentReport] = []  # only for --format json without --summary
    out = _Output(len(files), show_progress)
    try:
        results = check_files(
            files, base=base, profiles=profiles, against=expected, workers=workers or os.cpu_count() or 1
        )
        # reports are written as they come (in input order), so a corpus never has to fit in memory
        for reports in results:
            for report in reports:
                failing_before = len(totals.failing)
                totals.add(report)
                if output_format == "json":
                    if not summary:
                        collected.append(report)
                elif summary:
                    if len(totals.failing) > failing_before:
                        out.echo(CheckSummary.failing_line(totals.failing[-1]))
                else:
                    out.echo("\n".join(_report_lines(report)))
            out.advance()
    except InputError as error:
        raise _UnreadableInput(str(error)) from error
    finally:
        out.close()
    if output_format == "json":
        click.echo(
            json.dumps(totals.to_dict(), indent=2, ensure_ascii=False) if summary else format_json(collected)
        )
    else:
        if summary:
            for line in totals.kind_lines():
                click.echo(line)
        click.echo(totals.totals_line())
    if totals.failing:
        raise SystemExit(1)
