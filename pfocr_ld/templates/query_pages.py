"""``serve``'s page of one named query (``/query/<name>``): its form, one page of rows, the way on.

A page shows where it is in the full answer ("rows 101-200 of 18,303"), links to the previous and
next pages, and to the full answer as CSV and JSON; its table is the query page's
(:func:`pfocr_ld.templates.term_cell`: figure IRIs link to their pages on this server). Python builds
the view-models (:class:`FieldView`, :class:`NamedResultView` read into :class:`NamedResultSection`);
``html/named_query.html.j2`` lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pfocr_ld.templates import LinkMaker, TermCell, term_rows
from pfocr_ld.templates._render import Link, render, shell


@dataclass
class FieldView:
    """One parameter of the query's form."""

    name: str
    type: str
    required: bool
    value: str = ""
    example: str = ""
    help: str = ""


@dataclass
class NamedResultView:
    """One answer (a page or the full answer) as the page shows it; ``rows`` are SPARQL JSON bindings."""

    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, dict[str, str]]] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int | None = None
    seconds: float = 0.0
    hint: str | None = None
    previous_href: str | None = None
    next_href: str | None = None
    downloads: Sequence[tuple[str, str]] = ()  # (label, href) of the full answer
    error: str = ""
    error_status: int = 0


@dataclass
class NamedResultSection:
    """The results section's view-model: where the page is in the answer, its rows, the way on."""

    error: str
    error_status: int
    where: str
    seconds: str
    total: int
    hint: str
    variables: list[str]
    rows: list[list[TermCell]]
    previous_href: str | None
    next_href: str | None
    downloads: list[Link]


def result_section_view(result: NamedResultView, local: LinkMaker) -> NamedResultSection:
    """What the results section shows for ``result``."""
    count = len(result.rows)
    if count:
        where = f"Rows {result.offset + 1:,}–{result.offset + count:,} of {result.total:,}"
    elif result.total:
        where = f"No rows from row {result.offset + 1:,}; the answer has {result.total:,}"
    else:
        where = "No rows"
    return NamedResultSection(
        error=result.error,
        error_status=result.error_status,
        where=where,
        seconds=f"{result.seconds:.3f} s",
        total=result.total,
        hint=result.hint or "",
        variables=list(result.variables),
        rows=term_rows(result.variables, result.rows, local),
        previous_href=result.previous_href,
        next_href=result.next_href,
        downloads=[Link(label, href) for label, href in result.downloads],
    )


@dataclass
class NamedQueryView:
    title: str
    description: str
    fields: list[FieldView]
    action: str
    result: NamedResultSection | None


def named_query_page(
    *,
    name: str,
    title: str,
    description: str,
    fields: Sequence[FieldView],
    action: str,
    result: NamedResultView | None,
    local: LinkMaker,
    root: str = "",
    figures_path: str = "/figures/",
) -> str:
    """The page of one named query: a GET form of its parameters and, when run, one page of rows."""
    view = NamedQueryView(
        title=title or name,
        description=description,
        fields=list(fields),
        action=action,
        result=result_section_view(result, local) if result is not None else None,
    )
    return render("named_query.html.j2", shell(title or name, root=root, figures_path=figures_path), view)


def field_views(
    parameters: Sequence[tuple[str, str, bool, str | None, str]], values: Mapping[str, str]
) -> list[FieldView]:
    """Form fields for (name, type, required, example, help) parameters, filled with ``values``."""
    return [
        FieldView(name, kind, required, values.get(name, ""), example or "", help_text)
        for name, kind, required, example, help_text in parameters
    ]
