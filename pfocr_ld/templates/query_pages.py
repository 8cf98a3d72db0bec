"""``serve``'s page of one named query (``/query/<name>``): its form, one page of rows, the way on.

A page shows where it is in the full answer ("rows 101-200 of 18,303"), links to the previous and
next pages, and to the full answer as CSV and JSON; its table is the query page's
(:func:`pfocr_ld.templates._term_cell`: figure IRIs link to their pages on this server).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pfocr_ld.templates import LinkMaker, _term_cell, esc, page


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
    inputs = []
    for item in fields:
        need = " required" if item.required else ""
        hint = f" (e.g. {item.example})" if item.example else ""
        inputs.append(
            f'<p><label for="p-{esc(item.name)}">{esc(item.name)}{" *" if item.required else ""}</label> '
            f'<input id="p-{esc(item.name)}" name="{esc(item.name)}" value="{esc(item.value)}"{need}>'
            f' <span class="help">{esc(item.help)}{esc(hint)}</span></p>'
        )
    form = (
        f'<form method="get" action="{esc(action)}" class="named-query">\n'
        + "\n".join(inputs)
        + '\n<p><button type="submit">Run</button></p>\n</form>'
    )
    body = (
        f"<h1>{esc(title or name)}</h1>\n<p>{esc(description)}</p>\n{form}\n{_result_section(result, local)}"
    )
    return page(title or name, body, root=root, figures_path=figures_path)


def _result_section(result: NamedResultView | None, local: LinkMaker) -> str:
    if result is None:
        return ""
    if result.error:
        return (
            f'<section id="results">\n<div class="error" role="alert">\n'
            f"<h2>The query failed (HTTP {result.error_status})</h2>\n"
            f"<p>{esc(result.error)}</p>\n</div>\n</section>"
        )
    count = len(result.rows)
    if count:
        where = f"Rows {result.offset + 1:,}–{result.offset + count:,} of {result.total:,}"
    elif result.total:
        where = f"No rows from row {result.offset + 1:,}; the answer has {result.total:,}"
    else:
        where = "No rows"
    summary = f'<p class="summary"><span class="row-count">{where}</span> ({result.seconds:.3f} s)</p>'
    hint = f'<p class="hint" role="status">{esc(result.hint)}</p>' if result.hint else ""
    nav = []
    if result.previous_href:
        nav.append(f'<a href="{esc(result.previous_href)}" rel="prev">Previous page</a>')
    if result.next_href:
        nav.append(f'<a href="{esc(result.next_href)}" rel="next">Next page</a>')
    pager = f'<nav class="pager" aria-label="Pages">{" ".join(nav)}</nav>' if nav else ""
    downloads = ""
    if result.downloads:
        links = " · ".join(f'<a href="{esc(href)}">{esc(label)}</a>' for label, href in result.downloads)
        downloads = f'<p class="downloads">All {result.total:,} rows: {links}</p>'
    table = ""
    if result.rows:
        head = "".join(f'<th scope="col">{esc(v)}</th>' for v in result.variables)
        rows = "\n".join(
            "<tr>" + "".join(f"<td>{_term_cell(row.get(v), local)}</td>" for v in result.variables) + "</tr>"
            for row in result.rows
        )
        table = (
            '<div class="table-wrap"><table class="results">\n'
            f'<caption class="visually-hidden">{esc(where)}</caption>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table></div>"
        )
    parts = [summary, hint, table, pager, downloads]
    return '<section id="results">\n<h2>Results</h2>\n' + "\n".join(p for p in parts if p) + "\n</section>"


def field_views(
    parameters: Sequence[tuple[str, str, bool, str | None, str]], values: Mapping[str, str]
) -> list[FieldView]:
    """Form fields for (name, type, required, example, help) parameters, filled with ``values``."""
    return [
        FieldView(name, kind, required, values.get(name, ""), example or "", help_text)
        for name, kind, required, example, help_text in parameters
    ]
