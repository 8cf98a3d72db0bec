"""The HTML pages of ``pfocr-ld serve``: plain, accessible HTML built from triples and query results.

This package owns what people see: the page shell (landmarks, skip link, ``lang``), the figure page,
the figure index, the landing page, the dataset-description page, the SPARQL query page with its
server-rendered results table, and error pages. Pages work without JavaScript; the only script
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

from collections import defaultdict
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
    link,
    render,
    safe_href,
    script_json,
    shell,
)

__all__ = [
    "Example",
    "FigureView",
    "Index",
    "Link",
    "ResultsView",
    "TermCell",
    "error_page",
    "figure_index_page",
    "figure_page",
    "figure_view",
    "landing_page",
    "query_page",
    "results_section",
    "safe_href",
    "script_json",
    "void_page",
]

T = vocab.T
MESH_BROWSER = "https://meshb.nlm.nih.gov/record/ui?ui="  # the site's own MeSH links are broken
TAXONOMY_BROWSER = "https://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?id="
MATCH_LABELS = {
    T.pfocr["SymbolMatch"]: "official symbol",
    T.pfocr["SynonymMatch"]: "synonym",
    T.pfocr["FamilyExpansion"]: "family expansion",
}
LinkMaker = Callable[[str], str | None]


def format_links(formats: Sequence[tuple[str, str, str]]) -> list[Link]:
    """(label, media type, href) of a resource's data formats as links with a ``type``."""
    return [Link(label, href, media=media) for label, media, href in formats]


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


# Triples ------------------------------------------------------------------------------------------
class Index:
    """Triples by subject and predicate, with the literal and IRI helpers the pages need."""

    def __init__(self, triples: Iterable[rdf.Triple]) -> None:
        self.nodes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for subject, predicate, obj in triples:
            self.nodes[subject][predicate].append(obj)
        for properties in self.nodes.values():
            for objects in properties.values():
                objects.sort()

    def objects(self, subject: str, predicate: str) -> list[str]:
        return self.nodes.get(subject, {}).get(predicate, [])

    def iris(self, subject: str, predicate: str) -> list[str]:
        return [o[1:-1] for o in self.objects(subject, predicate) if rdf.is_iri(o)]

    def iri(self, subject: str, predicate: str) -> str | None:
        found = self.iris(subject, predicate)
        return found[0] if found else None

    def literals(self, subject: str, predicate: str) -> list[str]:
        return [rdf.decode_literal(o)[0] for o in self.objects(subject, predicate) if not rdf.is_iri(o)]

    def literal(self, subject: str, predicate: str) -> str | None:
        found = self.literals(subject, predicate)
        return found[0] if found else None

    def has_type(self, subject: str, type_iri: str) -> bool:
        return f"<{type_iri}>" in self.objects(subject, T.rdf["type"])

    def parts_of(self, whole: str) -> list[str]:
        """Subjects that are ``dcterms:isPartOf`` ``whole`` (mentions, genes, chemicals, the paper)."""
        ref = f"<{whole}>"
        return sorted(s for s, p in self.nodes.items() if ref in p.get(T.dcterms["isPartOf"], ()))


def _last_segment(iri: str, separator: str = "/") -> str:
    return iri.rsplit(separator, 1)[-1]



# Figure page ---------------------------------------------------------------------------------------
@dataclass
class FigureView:
    """What the figure page shows, read from the figure's triples."""

    iri: str
    figid: str
    title: str
    caption: str
    image: str | None
    paper: dict[str, Any] = field(default_factory=dict)
    organisms: list[str] = field(default_factory=list)
    taxa: list[str] = field(default_factory=list)
    predicted_organisms: list[str] = field(default_factory=list)
    genes: list[dict[str, str]] = field(default_factory=list)
    chemicals: list[dict[str, str]] = field(default_factory=list)
    diseases: list[dict[str, str]] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    see_also: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    license: str | None = None


def figure_view(triples: Iterable[rdf.Triple], figure_iri: str) -> FigureView:
    """Read the figure page's content out of the figure's description."""
    index = Index(triples)
    fig = figure_iri
    view = FigureView(
        iri=fig,
        figid=index.literal(fig, T.dcterms["identifier"]) or _last_segment(fig),
        title=index.literal(fig, T.dc["title"]) or index.literal(fig, T.schema["name"]) or "Untitled figure",
        caption=index.literal(fig, T.dcterms["description"]) or "",
        image=index.iri(fig, T.schema["image"]),
        organisms=index.literals(fig, T.wp["organismName"]),
        taxa=index.iris(fig, T.wp["organism"]),
        predicted_organisms=index.literals(fig, T.pfocr["predictedOrganismName"]),
        see_also=index.iris(fig, T.rdfs["seeAlso"]),
        keywords=index.literals(fig, T.schema["keywords"]),
        license=index.iri(fig, T.dcterms["license"]),
    )
    for label, predicate in (
        ("Figure type", T.pfocr["figureType"]),
        ("Figure number", T.pfocr["figureNumber"]),
        ("Figure id alias", T.pfocr["figidAlias"]),
        ("Pathway score", T.pfocr["pathwayScore"]),
    ):
        value = index.literal(fig, predicate)
        if value:
            view.facts[label] = value
    paper = index.iri(fig, T.dcterms["references"])
    if paper:
        periodical = index.iri(paper, T.schema["isPartOf"])
        publisher = index.iri(periodical, T.schema["publisher"]) if periodical else None
        view.paper = {
            "iri": paper,
            "pmcid": index.literal(paper, T.dcterms["identifier"]) or _last_segment(paper),
            "title": index.literal(paper, T.dcterms["title"]) or index.literal(paper, T.schema["name"]),
            "citation": index.literal(paper, T.dcterms["bibliographicCitation"]),
            "year": index.literal(paper, T.schema["datePublished"]),
            "doi": next((i for i in index.iris(paper, T.schema["sameAs"]) if i.startswith(vocab.DOI)), None),
            "url": index.iri(paper, T.schema["url"]),
            "journal": index.literal(periodical, T.schema["name"]) if periodical else None,
            "publisher": index.literal(publisher, T.schema["name"]) if publisher else None,
            "keywords": index.literals(paper, T.schema["keywords"]),
        }
    for mention in index.parts_of(fig):
        if index.has_type(mention, T.pfocr["GeneMention"]):
            gene = index.iri(mention, T.wp["isAbout"]) or ""
            taxon = index.iri(gene, T.obo["RO_0002162"]) or ""
            match_type = index.iri(mention, T.pfocr["matchType"]) or ""
            view.genes.append(
                {
                    "gene": gene,
                    "id": index.literal(gene, T.dcterms["identifier"]) or _last_segment(gene),
                    "symbol": index.literal(gene, T.rdfs["label"]) or "",
                    "taxon": taxon.removeprefix(vocab.NCBITAXON) if taxon.startswith(vocab.NCBITAXON) else "",
                    "word": index.literal(mention, T.pfocr["ocrWord"]) or "",
                    "matched": index.literal(mention, T.pfocr["matchedText"])
                    or index.literal(mention, T.pfocr["ocrWord"])
                    or "",
                    "how": MATCH_LABELS.get(match_type, index.literal(mention, T.pfocr["matchSource"]) or ""),
                    "page": index.iri(gene, T.schema["url"]) or "",
                }
            )
        elif index.has_type(mention, T.pfocr["ChemicalMention"]):
            node = index.iri(mention, T.wp["isAbout"]) or ""
            mesh = [
                _last_segment(m)
                for m in index.iris(node, T.skos["exactMatch"])
                if m.startswith(vocab.MESH_RDF)
            ]
            identifier = index.literal(node, T.dcterms["identifier"]) or _last_segment(node)
            view.chemicals.append(
                {
                    "node": node,
                    "id": identifier,
                    "name": index.literal(node, T.rdfs["label"])
                    or index.literal(mention, T.pfocr["meshHeading"])
                    or "",
                    "chebi_page": (index.iri(node, T.schema["url"]) or "")
                    if identifier.startswith("CHEBI:")
                    else "",
                    "mesh": " ".join(mesh),
                    "word": index.literal(mention, T.pfocr["ocrWord"]) or "",
                    "heading": index.literal(mention, T.pfocr["meshHeading"]) or "",
                }
            )
        elif index.has_type(mention, T.pfocr["DiseaseMention"]):
            about = index.iris(mention, T.wp["isAbout"])
            mesh_id = next((_last_segment(a) for a in about if a.startswith(vocab.MESH_RDF)), "")
            doid = next((a for a in about if a.startswith(vocab.DOID)), "")
            view.diseases.append(
                {
                    "mesh": mesh_id,
                    "doid": doid,
                    "name": (index.literal(doid, T.rdfs["label"]) if doid else None)
                    or index.literal(mention, T.pfocr["meshHeading"])
                    or mesh_id
                    or _last_segment(doid, "_"),
                    "word": index.literal(mention, T.pfocr["ocrWord"]) or "",
                    "heading": index.literal(mention, T.pfocr["meshHeading"]) or "",
                }
            )
    view.genes.sort(key=lambda g: (g["symbol"].casefold(), g["id"], g["word"], g["matched"]))
    view.chemicals.sort(key=lambda c: (c["name"].casefold(), c["id"], c["word"]))
    view.diseases.sort(key=lambda d: (d["name"].casefold(), d["mesh"], d["doid"], d["word"]))
    return view



def _figures_with(root: str, query: str, parameter: str, value: str, label: str) -> Link | None:
    """A link to the named query's page (``serve``'s ``/query/…``: its first page of figures)."""
    if not value:
        return None
    href = f"{root}/query/{query}?{urlencode({parameter: value})}"
    return link(href, "figures", external=False, css="figures-with", aria_label=f"Figures with {label}")


@dataclass
class GeneRow:
    symbol: Link
    figures: Link | None
    gene: Link
    taxon: Link | None
    word: str
    matched: str
    how: str


@dataclass
class ChemicalRow:
    name: Link
    figures: Link | None
    chebi: Link | None
    mesh: list[Link]
    word: str
    heading: str


@dataclass
class DiseaseRow:
    name: str
    figures: Link | None
    mesh: Link | None
    doid: Link | None
    word: str
    heading: str


@dataclass
class FigurePageView:
    """The figure page: :class:`FigureView`'s values as the links, facts and rows the page lays out."""

    iri: str
    figid: str
    title: str
    caption: str
    description: str
    image: str | None
    schema_block: Any
    formats: list[Link]
    paper: list[Fact]
    about: list[Fact]
    gene_caption: str
    genes: list[GeneRow]
    chemical_caption: str
    chemicals: list[ChemicalRow]
    disease_caption: str
    diseases: list[DiseaseRow]
    keywords: str


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def figure_page_view(
    view: FigureView,
    *,
    schema_block: Any,
    formats: Sequence[tuple[str, str, str]],
    root: str = "",
) -> FigurePageView:
    """The figure page's view-model from the figure's :class:`FigureView`."""
    genes = []
    for g in view.genes:
        genes.append(
            GeneRow(
                symbol=link(vocab.NCBI_GENE_PAGE + g["id"], g["symbol"] or g["id"]),
                figures=_figures_with(root, "figures-for-gene", "gene", g["id"], g["symbol"] or g["id"]),
                gene=link(g["page"] or vocab.NCBI_GENE_PAGE + g["id"], g["id"]),
                taxon=link(TAXONOMY_BROWSER + g["taxon"], g["taxon"]) if g["taxon"] else None,
                word=g["word"],
                matched=g["matched"],
                how=g["how"],
            )
        )
    chemicals = []
    for c in view.chemicals:
        name_href = c["chebi_page"] or (MESH_BROWSER + c["mesh"].split()[0] if c["mesh"] else None)
        chemicals.append(
            ChemicalRow(
                name=link(name_href, c["name"] or c["id"]),
                figures=_figures_with(
                    root, "figures-for-chemical", "chemical", c["id"], c["name"] or c["id"]
                ),
                chebi=link(c["chebi_page"], c["id"]) if c["chebi_page"] else None,
                mesh=[link(MESH_BROWSER + m, m) for m in c["mesh"].split()],
                word=c["word"],
                heading=c["heading"],
            )
        )
    diseases = []
    for d in view.diseases:
        doid_text = "DOID:" + _last_segment(d["doid"], "_") if d["doid"] else ""
        diseases.append(
            DiseaseRow(
                name=d["name"],
                figures=_figures_with(
                    root, "figures-for-disease", "disease", d["mesh"] or doid_text, d["name"] or d["mesh"]
                ),
                mesh=link(MESH_BROWSER + d["mesh"], d["mesh"]) if d["mesh"] else None,
                doid=link(d["doid"], doid_text) if d["doid"] else None,
                word=d["word"],
                heading=d["heading"],
            )
        )
    paper = view.paper
    paper_facts = (
        facts(
            [
                Fact("Title", paper.get("title") or ""),
                Fact("Citation", paper.get("citation") or ""),
                Fact("Journal", paper.get("journal") or ""),
                Fact("Publisher", paper.get("publisher") or ""),
                Fact("Year", paper.get("year") or ""),
                Fact(
                    "DOI", links=[link(doi, doi.removeprefix(vocab.DOI))] if (doi := paper.get("doi")) else []
                ),
                Fact("PubMed Central", links=[link(paper.get("url"), paper["pmcid"])]),
                Fact("Keywords", ", ".join(paper.get("keywords") or [])),
            ]
        )
        if paper
        else []
    )
    licence = (
        link(view.license, "CC0 1.0") if view.license == vocab.CC0 else link(view.license, view.license or "")
    )
    about = facts(
        [
            Fact("Organisms", ", ".join(view.organisms)),
            Fact(
                "NCBI Taxonomy",
                links=[
                    link(
                        TAXONOMY_BROWSER + t.removeprefix(vocab.NCBITAXON),
                        "NCBITaxon:" + t.removeprefix(vocab.NCBITAXON),
                    )
                    for t in view.taxa
                ],
            ),
            Fact("Predicted organisms", ", ".join(view.predicted_organisms)),
            *(Fact(label, value) for label, value in view.facts.items()),
            Fact("See also", links=[link(i, i) for i in view.see_also]),
            Fact("Licence", links=[licence]),
        ]
    )
    gene_count = len({g["id"] for g in view.genes})
    return FigurePageView(
        iri=view.iri,
        figid=view.figid,
        title=view.title,
        caption=view.caption,
        description=view.caption[:300],
        image=view.image if view.image and safe_href(view.image) else None,
        schema_block=schema_block,
        formats=format_links(formats),
        paper=paper_facts,
        about=about,
        gene_caption=f"{_plural(gene_count, 'gene', 'genes')} from "
        f"{_plural(len(view.genes), 'OCR match', 'OCR matches')}",
        genes=genes,
        chemical_caption=_plural(len(view.chemicals), "chemical match", "chemical matches"),
        chemicals=chemicals,
        disease_caption=_plural(len(view.diseases), "disease match", "disease matches"),
        diseases=diseases,
        keywords=", ".join(view.keywords),
    )


def figure_page(
    triples: Iterable[rdf.Triple],
    figure_iri: str,
    *,
    schema_block: Mapping[str, Any],
    formats: Sequence[tuple[str, str, str]],
    root: str = "",
    figures_path: str = "/figures/",
) -> str:
    """The page of one figure. ``formats`` are (label, media type, relative href) of its data."""
    view = figure_view(triples, figure_iri)
    return render(
        "figure.html.j2",
        shell(view.title, root=root, figures_path=figures_path),
        figure_page_view(view, schema_block=schema_block, formats=formats, root=root),
    )


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
