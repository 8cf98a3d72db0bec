"""check-jsonld's reports: the running totals (:class:`CheckSummary`) and the text and JSON formats."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pfocr_ld.check_jsonld.findings import _SEVERITY_RANK, DocumentReport


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
