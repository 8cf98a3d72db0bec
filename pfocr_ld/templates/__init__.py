"""The HTML pages of ``pfocr-ld serve``: plain, accessible HTML built from triples and query results.

This package owns what people see: the page shell (landmarks, skip link, ``lang``), the figure page
(:mod:`~pfocr_ld.templates.figure_pages`), the figure index, the landing page, the
dataset-description page, the SPARQL query page with its server-rendered results table, and error
pages. Pages work without JavaScript; the only script
(``static/query.js``) enhances the query form.

Each page is two halves: a function here builds its view-model (dataclasses of the plain texts,
:class:`Link` s and rows the page shows, read from triples or query results), and a Jinja2 template
under ``templates/html/`` lays it out. The environment (:mod:`pfocr_ld.templates._render`) escapes
every value (``autoescape``), so no code here writes HTML or escapes by hand; links to addresses from
the data go through :func:`safe_href` (only http(s) and relative references become links). JSON
embedded in a ``<script>`` data block goes through :func:`script_json`, which escapes ``<``, ``>``
and ``&`` so no value can close the element.

Figure data arrives as the lean triples of :mod:`pfocr_ld.rdf` (objects in N-Triples syntax), the
same triples the published JSON-LD is made of, so the page and the data never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

from pfocr_ld import rdf, vocab
from pfocr_ld.templates._render import (
    Fact,
    Link,
    facts,
    format_links,
    link,
    render,
    safe_href,
    script_json,
    shell,
)
from pfocr_ld.templates.figure_pages import (
    ChemicalRow,
    DiseaseRow,
    FigurePageView,
    FigureView,
    GeneRow,
    Index,
    figure_page,
    figure_page_view,
    figure_view,
)

__all__ = [
    "ChemicalRow",
    "DiseaseRow",
    "Example",
    "FigurePageView",
    "FigureView",
    "GeneRow",
    "Index",
    "Link",
    "ResultsView",
    "TermCell",
    "error_page",
    "figure_index_page",
    "figure_page",
    "figure_page_view",
    "figure_view",
    "landing_page",
    "query_page",
    "results_section",
    "safe_href",
    "script_json",
    "void_page",
]

T = vocab.T
LinkMaker = Callable[[str], str | None]


@dataclass
class ErrorView:
    status: int
    title: str
    message: str
    suggestions: list[Link]


def error_page(
    status: int,
    title: str,
    message: str,
    *,
    root: str = "",
    figures_path: str = "/figures/",
    suggestions: Sequence[tuple[str, str]] = (),
) -> str:
    """An error page that says what went wrong and where to go next."""
    view = ErrorView(status, title, message, [Link(label, href) for href, label in suggestions])
    return render("error.html.j2", shell(title, root=root, figures_path=figures_path), view)


# Figure index -------------------------------------------------------------------------------------
@dataclass
class FigureIndexRow:
    title: Link
    figid: str


@dataclass
class FigureIndexView:
    caption: str
    rows: list[FigureIndexRow]
    previous_href: str | None
    next_href: str | None


def figure_index_page(
    rows: Sequence[tuple[str, str, str]],
    *,
    page_number: int,
    previous_href: str | None,
    next_href: str | None,
    root: str = "",
    figures_path: str = "/figures/",
) -> str:
    """One page of the figure list; ``rows`` are (href, figid, title)."""
    title = f"Figures, page {page_number}"
    view = FigureIndexView(
        caption=title,
        rows=[FigureIndexRow(link(href, title, external=False), figid) for href, figid, title in rows],
        previous_href=previous_href,
        next_href=next_href,
    )
    page_shell = shell(title, root=root, figures_path=figures_path, current="Figures")
    return render("figure_index.html.j2", page_shell, view)


# Landing page -------------------------------------------------------------------------------------
@dataclass
class Count:
    label: str
    value: int


@dataclass
class LandingView:
    root: str
    figures_href: str
    counts: list[Count]  # empty when the counts are not available
    release: Link | None
    version: str
    examples: list[Link]


def landing_page(
    *,
    counts: Mapping[str, int] | None,
    dataset: Mapping[str, str],
    examples: Sequence[tuple[str, str]],
    root: str = "",
    figures_path: str = "/figures/",
) -> str:
    """The home page: what this is, how much of it there is, and where to go."""
    count_rows = (
        [
            Count(label, counts.get(key, 0))
            for key, label in (
                ("figures", "Figures"),
                ("genes", "Genes"),
                ("chemicals", "Chemicals"),
                ("papers", "Papers"),
            )
        ]
        if counts
        else []
    )
    release = link(root + "/void", dataset["title"], external=False) if dataset.get("title") else None
    view = LandingView(
        root=root,
        figures_href=root + figures_path,
        counts=count_rows,
        release=release,
        version=dataset.get("version") or "",
        examples=[
            Link(title or name, f"{root}/sparql?{urlencode({'example': name})}") for name, title in examples
        ],
    )
    page_shell = shell("Home", root=root, figures_path=figures_path, current="Home")
    return render("landing.html.j2", page_shell, view)


# Dataset description --------------------------------------------------------------------------------
@dataclass
class Download:
    """One distribution of the release: its link and its media type."""

    link: Link
    media: str


@dataclass
class VoidView:
    has_release: bool
    facts: list[Fact]
    downloads: list[Download]
    formats: list[Link]
    turtle: str


def void_page(
    triples: Iterable[rdf.Triple],
    turtle: str,
    *,
    formats: Sequence[tuple[str, str, str]],
    root: str = "",
    figures_path: str = "/figures/",
) -> str:
    """The dataset description for people: the release's facts, its downloads, then the Turtle itself."""
    index = Index(triples)
    releases = [s for s in index.nodes if index.literal(s, T.pav["version"])]
    release = sorted(releases)[-1] if releases else None
    release_facts: list[Fact] = []
    downloads: list[Download] = []
    if release:
        counts = [
            Fact(label, f"{int(value):,}")
            for label, predicate in (
                ("Figures", "figureCount"),
                ("Genes", "geneCount"),
                ("Chemicals", "chemicalCount"),
                ("Papers", "paperCount"),
                ("Mentions", "mentionCount"),
            )
            if (value := index.literal(release, T.pfocr[predicate])) and value.isdigit()
        ]
        triples_count = index.literal(release, T.void["triples"])
        licence = index.iri(release, T.dcterms["license"])
        release_facts = facts(
            [
                Fact("Title", index.literal(release, T.dcterms["title"]) or ""),
                Fact("Description", index.literal(release, T.dcterms["description"]) or ""),
                Fact("Version", index.literal(release, T.pav["version"]) or ""),
                Fact("Created", index.literal(release, T.pav["createdOn"]) or ""),
                Fact("Licence", links=[link(licence, licence or "")]),
                Fact(
                    "Triples", f"{int(triples_count):,}" if triples_count and triples_count.isdigit() else ""
                ),
                *counts,
                Fact("Identifier", release, code=True),
            ]
        )
        for distribution in index.iris(release, T.dcat["distribution"]):
            url = index.iri(distribution, T.dcat["downloadURL"])
            media = index.literal(distribution, T.dcat["mediaType"]) or ""
            title = index.literal(distribution, T.dcterms["title"]) or distribution
            downloads.append(Download(link(url, title), media))
    view = VoidView(
        has_release=release is not None,
        facts=release_facts,
        downloads=downloads,
        formats=format_links(formats),
        turtle=turtle,
    )
    page_shell = shell("Dataset description", root=root, figures_path=figures_path, current="Dataset")
    return render("void.html.j2", page_shell, view)


# Query page ------------------------------------------------------------------------------------------
@dataclass
class Example:
    name: str
    title: str
    description: str
    text: str


@dataclass
class ResultsView:
    """A query's outcome as the page shows it."""

    kind: str = ""  # "select", "ask", "graph"; "" when the query failed
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, dict[str, str]]] = field(default_factory=list)  # SPARQL JSON bindings
    boolean: bool | None = None
    graph_text: str = ""
    seconds: float = 0.0
    error_status: int = 0
    error: str = ""
    download_query: str = ""


@dataclass
class TermCell:
    """One RDF term of a SPARQL result as a table cell shows it.

    ``kind``: ``"link"`` (``text`` linking to ``href``, the full IRI as ``title``), ``"iri"`` (an IRI
    that is not followed: ``text`` with the full IRI as ``title``), ``"code"`` (a blank node or an
    RDF-star triple), ``"literal"`` (``text`` with an optional language or datatype ``note``), ``""``
    (unbound).
    """

    kind: str
    text: str = ""
    href: str | None = None
    title: str = ""
    external: bool = False  # rel="noopener"
    note: str = ""
    note_css: str = ""


def term_cell(term: Mapping[str, Any] | None, local: LinkMaker) -> TermCell:
    """The cell of a SPARQL JSON term; ``local`` gives this server's page of an IRI, if it has one."""
    if term is None:
        return TermCell("")
    kind, value = term.get("type"), term.get("value", "")
    if kind == "uri":
        href = local(value)
        compact = vocab.CONVERTER.compress(value) or value
        if href:
            return TermCell("link", compact, href, value)
        if safe_href(value) is None:  # javascript: and the like: shown, never a link
            return TermCell("iri", compact, title=value)
        return TermCell("link", compact, value, value, external=True)
    if kind == "bnode":
        return TermCell("code", text=f"_:{value}")
    if kind == "triple":
        return TermCell("code", text=orjson.dumps(value).decode())
    if term.get("xml:lang"):
        return TermCell("literal", text=value, note=f"@{term['xml:lang']}", note_css="lang")
    if term.get("datatype"):
        datatype = term["datatype"]
        compact = vocab.CONVERTER.compress(datatype) or datatype
        return TermCell("literal", text=value, note=compact, note_css="datatype")
    return TermCell("literal", text=value)


def term_rows(
    variables: Sequence[str], rows: Sequence[Mapping[str, Mapping[str, Any]]], local: LinkMaker
) -> list[list[TermCell]]:
    """Result rows as table rows of cells, one per variable."""
    return [[term_cell(row.get(v), local) for v in variables] for row in rows]


@dataclass
class ResultsSectionView:
    """The results section's view-model (``state``: "empty", "error", "ask", "graph", "select")."""

    state: str
    error_status: int = 0
    error: str = ""
    timing: str = ""
    answer: str = ""
    graph_text: str = ""
    count: int = 0
    variables: list[str] = field(default_factory=list)
    rows: list[list[TermCell]] = field(default_factory=list)
    downloads: list[Link] = field(default_factory=list)


def results_section_view(
    results: ResultsView | None, *, local: LinkMaker, root: str = ""
) -> ResultsSectionView:
    """What the results section shows for ``results``."""
    if results is None:
        return ResultsSectionView("empty")
    if results.error:
        return ResultsSectionView("error", error_status=results.error_status, error=results.error)
    downloads = []
    if results.download_query:
        formats = (
            (("json", "SPARQL JSON"), ("xml", "SPARQL XML"), ("csv", "CSV"), ("tsv", "TSV"))
            if results.kind != "graph"
            else (("ttl", "Turtle"), ("nt", "N-Triples"), ("jsonld", "JSON-LD"), ("rdfxml", "RDF/XML"))
        )
        downloads = [
            Link(label, f"{root}/sparql?{urlencode({'query': results.download_query, 'format': key})}")
            for key, label in formats
        ]
    timing = f"{results.seconds:.3f} s"
    if results.kind in ("ask", "graph"):
        return ResultsSectionView(
            results.kind,
            timing=timing,
            answer="yes" if results.boolean else "no",
            graph_text=results.graph_text,
            downloads=downloads,
        )
    return ResultsSectionView(
        "select",
        timing=timing,
        count=len(results.rows),
        variables=list(results.variables),
        rows=term_rows(results.variables, results.rows, local),
        downloads=downloads,
    )


def results_section(results: ResultsView | None, *, local: LinkMaker, root: str = "") -> str:
    """The results part of the query page (also what the page's script swaps in after a fetch)."""
    return render("results.html.j2", None, results_section_view(results, local=local, root=root))


@dataclass
class ExampleOption:
    name: str
    title: str
    selected: bool


@dataclass
class Prefix:
    name: str
    namespace: str


@dataclass
class QueryPageView:
    """The SPARQL page: the example picker's options, the editor's text, the results section."""

    root: str
    timeout: str
    max_results: int
    prefixes: list[Prefix]
    options: list[ExampleOption]
    chosen: str | None  # the example the text came from
    description: str
    text: str
    results: ResultsSectionView
    data: dict[str, dict[str, str]]  # the examples for the page's script


def query_page(
    *,
    examples: Sequence[Example],
    selected: str | None,
    text: str,
    results: ResultsView | None,
    local: LinkMaker,
    timeout: float,
    max_results: int,
    root: str = "",
    figures_path: str = "/figures/",
    prefixes: Mapping[str, str] | None = None,
) -> str:
    """The SPARQL page: example picker, editor, and the results of the submitted query."""
    chosen = next((e for e in examples if e.name == selected), None)
    view = QueryPageView(
        root=root,
        timeout=f"{timeout:g}",
        max_results=max_results,
        prefixes=[Prefix(name, namespace) for name, namespace in sorted((prefixes or {}).items())],
        options=[ExampleOption(e.name, e.title or e.name, e.name == selected) for e in examples],
        # Sent along with the query, so the page still shows which example the results came from.
        chosen=chosen.name if chosen else None,
        description=chosen.description if chosen else "",
        text=text,
        results=results_section_view(results, local=local, root=root),
        data={e.name: {"title": e.title, "description": e.description, "text": e.text} for e in examples},
    )
    page_shell = shell(
        "SPARQL query", root=root, figures_path=figures_path, current="SPARQL", scripts=["/static/query.js"]
    )
    return render("query.html.j2", page_shell, view)
