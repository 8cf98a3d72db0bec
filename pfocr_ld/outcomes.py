"""What a build's workers give back for each record file (:class:`SourceResult`), batch by batch.

Its own module so that the build (which makes them) and the build cache (which stores and revives
them, :mod:`pfocr_ld.cache`) both import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pfocr_ld.records import Problem
from pfocr_ld.void import FigureResult


@dataclass
class SourceResult:
    """What one record file gave: its published figures, its report rows, what it depended on."""

    path: str
    figures: list[FigureResult] = field(default_factory=list)
    #: errors (rejections), in report order
    problems: list[Problem] = field(default_factory=list)
    #: its warnings as report.json rows, one JSON object a line, in report order
    warning_lines: bytes = b""
    #: how many of those rows SHACL validation wrote (the rest come from reading the records)
    validation_warning_rows: int = 0
    records_read: int = 0
    #: for the build cache (:mod:`pfocr_ld.cache`): the files read, organism names looked up, and
    #: each modelled record's values in the release-wide vote
    inputs: list[list[Any]] = field(default_factory=list)
    organisms: dict[str, str | None] = field(default_factory=dict)
    votes: list[list[list[Any]]] = field(default_factory=list)
    #: the previous release's cache entry it was taken from (``None``: built now)
    reused: dict[str, Any] | None = None
    #: a reused file's rejections, as report rows (a built one's are ``problems``)
    rejected_rows: list[dict[str, Any]] | None = None

    def rejections(self) -> list[dict[str, Any]]:
        if self.rejected_rows is not None:
            return self.rejected_rows
        return [problem.as_dict() for problem in self.problems]


@dataclass
class BatchResult:
    sources: list[SourceResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
