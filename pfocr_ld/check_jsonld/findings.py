"""What a check reports: :class:`Finding`, the per-document report, the check layers, the codes.

Also the JSON paths findings point at (``$.license``, ``$["@graph"][0]``): :func:`_child` builds
them while a document is walked, :func:`_value_at` reads the value back, :func:`_parent` climbs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, Final, Literal

import rdflib

from pfocr_ld.errors import PfocrLdError

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
    "yaml-refused": "the front matter uses YAML the build refuses (anchors, aliases, tags) or breaks a limit",
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


_IDENTIFIER_KEY: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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


class InputError(PfocrLdError):
    """An input that cannot be read at all (missing, unreadable, not Turtle): exit status 2 on the CLI."""

    exit_code = 2


class ShapesNotFoundError(PfocrLdError):
    """A profile whose shapes are not available (``--profile pfocr`` before shapes exist)."""

    exit_code = 2


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
