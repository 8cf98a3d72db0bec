"""The HTML pages of ``pfocr-ld serve``: plain, accessible HTML built from triples and query results.

This package owns what people see: the page shell (landmarks, skip link, ``lang``), the figure page,
the figure index, the landing page, the dataset-description page, the SPARQL query page with its
server-rendered results table, and error pages. Pages work without JavaScript; the only script
(``static/query.js``) enhances the query form. Every piece of data goes through :func:`esc`
(``html.escape``); JSON embedded in a ``<script>`` data block goes through :func:`script_json`,
which escapes ``<``, ``>`` and ``&`` so no value can close the element.

Figure data arrives as the lean triples of :mod:`pfocr_ld.rdf` (objects in N-Triples syntax), the
same triples the published JSON-LD is made of, so the page and the data never disagree.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

from pfocr_ld import rdf, vocab

T = vocab.T
MESH_BROWSER = "https://meshb.nlm.nih.gov/record/ui?ui="  # the site's own MeSH links are broken
TAXONOMY_BROWSER = "https://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?id="
MATCH_LABELS = {
    T.pfocr["SymbolMatch"]: "official symbol",
    T.pfocr["SynonymMatch"]: "synonym",
    T.pfocr["FamilyExpansion"]: "family expansion",
}
LinkMaker = Callable[[str], str | None]


def esc(value: object) -> str:
    """Text for HTML content and attribute values (quotes escaped too)."""
    return html.escape(str(value), quote=True)


def script_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/…json">``: ``<`` ``>`` ``&`` become ``\\u003c`` etc.

    Escaping every ``<`` (not only ``</``) also rules out ``<!--`` and ``<script`` tricks; the text
    is still exactly the same JSON to any JSON parser.
    """
    text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# Page shell --------------------------------------------------------------------------------------
_NAV = (
    ("", "Home"),
    ("/figures", "Figures"),
    ("/enrich", "Gene list"),
    ("/sparql", "SPARQL"),
    ("/void", "Dataset"),
)


def page(
    title: str,
    body: str,
    *,
    root: str = "",
    figures_path: str = "/figures/",
    head: str = "",
    current: str | None = None,
    scripts: Sequence[str] = (),
) -> str:
    """A complete page: the shared header and navigation, ``body`` inside ``<main>``, the footer."""
    links = []
    for path, label in _NAV:
        href = root + (figures_path if path == "/figures" else path or "/")
        attrs = ' aria-current="page"' if current == label else ""
        links.append(f'<li><a href="{esc(href)}"{attrs}>{esc(label)}</a></li>')
    script_tags = "".join(f'<script src="{esc(root + s)}" defer></script>\n' for s in scripts)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} — PFOCR linked data</title>
<link rel="stylesheet" href="{esc(root)}/static/style.css">
{head}{script_tags}</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<p class="site-name"><a href="{esc(root)}/">Pathway Figure OCR — linked data</a></p>
<nav aria-label="Site">
<ul>{"".join(links)}</ul>
</nav>
</header>
<main id="main" tabindex="-1">
{body}
</main>
<footer class="site-footer">
<p>Data: <a href="https://pfocr.wikipathways.org/">Pathway Figure OCR</a>, released under
<a href="http://creativecommons.org/publicdomain/zero/1.0/" rel="license">CC0 1.0</a>.
Served by pfocr-ld as schema.org- and WikiPathways-aligned RDF.</p>
</footer>
</body>
</html>
"""


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
    items = "".join(f'<li><a href="{esc(href)}">{esc(label)}</a></li>' for href, label in suggestions)
    hints = f'<h2>Did you mean</h2>\n<ul class="suggestions">{items}</ul>\n' if items else ""
    body = f"""<h1>{esc(title)} <span class="status">(HTTP {status})</span></h1>
<p class="error-message" role="alert">{esc(message)}</p>
{hints}<p>Try the <a href="{esc(root + figures_path)}">list of figures</a>, the
<a href="{esc(root)}/sparql">SPARQL query page</a> or the <a href="{esc(root)}/">home page</a>.</p>"""
    return page(title, body, root=root, figures_path=figures_path)


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


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
#: What browsers ignore in a URL before reading its scheme: leading C0 controls and spaces; tabs and
#: newlines anywhere (so "java\tscript:" is a javascript: URL to them).
_URL_IGNORED = re.compile(r"^[\x00-\x20]+|[\t\n\r]")


def safe_href(href: str | None) -> str | None:
    """``href`` if following it can only load a page: an http(s) URL or a relative reference.

    Values in the data (SPARQL results, figure links) are anyone's: ``javascript:``, ``data:``,
    ``vbscript:`` and every other scheme are shown as text, never made into links (``None``).
    """
    if not href:
        return None
    match = _SCHEME.match(_URL_IGNORED.sub("", href))
    if match is None or match.group(1).lower() in ("http", "https"):
        return href
    return None


def _link(href: str | None, text: str, *, external: bool = True) -> str:
    href = safe_href(href)
    if not href:
        return esc(text)
    rel = ' rel="noopener"' if external else ""
    return f'<a href="{esc(href)}"{rel}>{esc(text)}</a>'


def _dl(rows: Iterable[tuple[str, str]]) -> str:
    """A definition list of (label, already-escaped HTML) pairs, empty values left out."""
    items = "".join(f"<dt>{esc(label)}</dt><dd>{value}</dd>\n" for label, value in rows if value)
    return f'<dl class="facts">\n{items}</dl>' if items else ""


def _section(name: str, heading: str, content: str) -> str:
    return (
        f'<section aria-labelledby="{name}-h">\n<h2 id="{name}-h">{esc(heading)}</h2>\n{content}\n</section>'
    )


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]], *, css: str = "") -> str:
    """A data table: caption, column headers with ``scope``, the first cell of each row a row header."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = []
    for cells in rows:
        first, *rest = cells
        body.append(f'<tr><th scope="row">{first}</th>' + "".join(f"<td>{c}</td>" for c in rest) + "</tr>")
    return (
        f'<div class="table-wrap"><table class="{esc(css)}">\n<caption>{esc(caption)}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table></div>"
    )


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
            mesh = next((_last_segment(a) for a in about if a.startswith(vocab.MESH_RDF)), "")
            doid = next((a for a in about if a.startswith(vocab.DOID)), "")
            view.diseases.append(
                {
                    "mesh": mesh,
                    "doid": doid,
                    "name": (index.literal(doid, T.rdfs["label"]) if doid else None)
                    or index.literal(mention, T.pfocr["meshHeading"])
                    or mesh
                    or _last_segment(doid, "_"),
                    "word": index.literal(mention, T.pfocr["ocrWord"]) or "",
                    "heading": index.literal(mention, T.pfocr["meshHeading"]) or "",
                }
            )
    view.genes.sort(key=lambda g: (g["symbol"].casefold(), g["id"], g["word"], g["matched"]))
    view.chemicals.sort(key=lambda c: (c["name"].casefold(), c["id"], c["word"]))
    view.diseases.sort(key=lambda d: (d["name"].casefold(), d["mesh"], d["doid"], d["word"]))
    return view


def _figures_with(root: str, query: str, parameter: str, value: str, label: str) -> str:
    """A link to the named query's page (``serve``'s ``/query/…``: its first page of figures)."""
    if not value:
        return ""
    href = f"{root}/query/{query}?{urlencode({parameter: value})}"
    return f' <a class="figures-with" href="{esc(href)}" aria-label="Figures with {esc(label)}">figures</a>'


def _gene_rows(view: FigureView, root: str = "") -> list[list[str]]:
    rows = []
    for g in view.genes:
        taxon = _link(TAXONOMY_BROWSER + g["taxon"], g["taxon"]) if g["taxon"] else ""
        rows.append(
            [
                _link(vocab.NCBI_GENE_PAGE + g["id"], g["symbol"] or g["id"])
                + _figures_with(root, "figures-for-gene", "gene", g["id"], g["symbol"] or g["id"]),
                _link(g["page"] or vocab.NCBI_GENE_PAGE + g["id"], g["id"]),
                taxon,
                f'<span class="ocr">{esc(g["word"])}</span>',
                esc(g["matched"]),
                esc(g["how"]),
            ]
        )
    return rows


def _chemical_rows(view: FigureView, root: str = "") -> list[list[str]]:
    rows = []
    for c in view.chemicals:
        mesh_links = " ".join(_link(MESH_BROWSER + m, m) for m in c["mesh"].split())
        chebi = _link(c["chebi_page"], c["id"]) if c["chebi_page"] else ""
        name_href = c["chebi_page"] or (MESH_BROWSER + c["mesh"].split()[0] if c["mesh"] else None)
        rows.append(
            [
                _link(name_href, c["name"] or c["id"])
                + _figures_with(root, "figures-for-chemical", "chemical", c["id"], c["name"] or c["id"]),
                chebi,
                mesh_links,
                f'<span class="ocr">{esc(c["word"])}</span>',
                esc(c["heading"]),
            ]
        )
    return rows


def _disease_rows(view: FigureView, root: str = "") -> list[list[str]]:
    rows = []
    for d in view.diseases:
        doid_text = "DOID:" + _last_segment(d["doid"], "_") if d["doid"] else ""
        rows.append(
            [
                esc(d["name"])
                + _figures_with(
                    root, "figures-for-disease", "disease", d["mesh"] or doid_text, d["name"] or d["mesh"]
                ),
                _link(MESH_BROWSER + d["mesh"], d["mesh"]) if d["mesh"] else "",
                _link(d["doid"], doid_text) if d["doid"] else "",
                f'<span class="ocr">{esc(d["word"])}</span>',
                esc(d["heading"]),
            ]
        )
    return rows


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
    alternates = "".join(
        f'<link rel="alternate" type="{esc(media)}" href="{esc(href)}" title="{esc(label)}">\n'
        for label, media, href in formats
    )
    head = (
        f'<link rel="canonical" href="{esc(figure_iri)}">\n{alternates}'
        f'<meta name="description" content="{esc(view.caption[:300])}">\n'
        f'<script type="application/ld+json">\n{script_json(schema_block)}\n</script>\n'
    )
    parts = [
        '<article class="figure" aria-labelledby="figure-title">\n'
        f'<h1 id="figure-title">{esc(view.title)}</h1>'
    ]
    parts.append(f'<p class="figid">Figure <code>{esc(view.figid)}</code></p>')
    if view.image and safe_href(view.image):
        parts.append(
            f'<figure class="pathway-figure">\n<a href="{esc(view.image)}">'
            f'<img src="{esc(view.image)}" alt="Pathway figure: {esc(view.title)}" loading="lazy"></a>\n'
            f"<figcaption>{esc(view.caption)}</figcaption>\n</figure>"
        )
    elif view.caption:
        parts.append(f'<p class="caption">{esc(view.caption)}</p>')

    paper = view.paper
    if paper:
        citation_rows = [
            ("Title", esc(paper.get("title") or "")),
            ("Citation", esc(paper.get("citation") or "")),
            ("Journal", esc(paper.get("journal") or "")),
            ("Publisher", esc(paper.get("publisher") or "")),
            ("Year", esc(paper.get("year") or "")),
            ("DOI", _link(paper["doi"], paper["doi"].removeprefix(vocab.DOI)) if paper.get("doi") else ""),
            ("PubMed Central", _link(paper.get("url"), paper["pmcid"])),
            ("Keywords", esc(", ".join(paper.get("keywords") or []))),
        ]
        parts.append(_section("paper", "Source paper", _dl(citation_rows)))

    taxa = ", ".join(
        _link(
            TAXONOMY_BROWSER + t.removeprefix(vocab.NCBITAXON), "NCBITaxon:" + t.removeprefix(vocab.NCBITAXON)
        )
        for t in view.taxa
    )
    about_rows = [
        ("Organisms", esc(", ".join(view.organisms))),
        ("NCBI Taxonomy", taxa),
        ("Predicted organisms", esc(", ".join(view.predicted_organisms))),
        *((label, esc(value)) for label, value in view.facts.items()),
        ("See also", ", ".join(_link(i, i) for i in view.see_also)),
        (
            "Licence",
            _link(view.license, "CC0 1.0")
            if view.license == vocab.CC0
            else _link(view.license, view.license or ""),
        ),
    ]
    parts.append(_section("about", "About this figure", _dl(about_rows)))

    gene_count = len({g["id"] for g in view.genes})
    parts.append('<section aria-labelledby="genes-h">\n<h2 id="genes-h">Genes</h2>')
    if view.genes:
        parts.append(
            "<p>How OCR matched each word: by a gene's <em>official symbol</em>, by one of its "
            "<em>synonyms</em>, or by <em>family expansion</em> (a family name such as AKT stands for "
            "each member).</p>"
        )
        parts.append(
            _table(
                f"{gene_count} gene{'s' if gene_count != 1 else ''} from {len(view.genes)} OCR match"
                f"{'es' if len(view.genes) != 1 else ''}",
                ["Symbol", "NCBI Gene", "Taxon", "OCR word", "Matched text", "Matched as"],
                _gene_rows(view, root),
                css="genes",
            )
        )
    else:
        parts.append("<p>OCR found no genes in this figure.</p>")
    parts.append("</section>")

    parts.append('<section aria-labelledby="chemicals-h">\n<h2 id="chemicals-h">Chemicals</h2>')
    if view.chemicals:
        parts.append(
            _table(
                f"{len(view.chemicals)} chemical match{'es' if len(view.chemicals) != 1 else ''}",
                ["Chemical", "ChEBI", "MeSH", "OCR word", "MeSH heading"],
                _chemical_rows(view, root),
                css="chemicals",
            )
        )
    else:
        parts.append("<p>OCR found no chemicals in this figure.</p>")
    parts.append("</section>")

    parts.append('<section aria-labelledby="diseases-h">\n<h2 id="diseases-h">Diseases</h2>')
    if view.diseases:
        parts.append(
            _table(
                f"{len(view.diseases)} disease match{'es' if len(view.diseases) != 1 else ''}",
                ["Disease", "MeSH", "Disease Ontology", "OCR word", "MeSH heading"],
                _disease_rows(view, root),
                css="diseases",
            )
        )
    else:
        parts.append("<p>OCR found no diseases in this figure.</p>")
    parts.append("</section>")

    if view.keywords:
        parts.append(
            f'<section aria-labelledby="keywords-h">\n<h2 id="keywords-h">Keywords</h2>\n'
            f'<p class="keywords">{esc(", ".join(view.keywords))}</p>\n</section>'
        )

    data_links = "".join(
        f'<li><a href="{esc(href)}" type="{esc(media)}">{esc(label)}</a> <code>{esc(media)}</code></li>'
        for label, media, href in formats
    )
    parts.append(
        f'<section aria-labelledby="data-h">\n<h2 id="data-h">This figure as data</h2>\n'
        f"<p>Identifier: <code>{esc(figure_iri)}</code>. The same description as RDF "
        f'(also by content negotiation on the identifier):</p>\n<ul class="formats">{data_links}</ul>\n'
        f"<p>The page embeds the figure's schema.org description for search engines.</p>\n</section>"
    )
    parts.append("</article>")
    return page(view.title, "\n".join(parts), root=root, figures_path=figures_path, head=head)


# Figure index -------------------------------------------------------------------------------------
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
    table_rows = [
        [_link(href, title, external=False), f"<code>{esc(figid)}</code>"] for href, figid, title in rows
    ]
    nav = []
    if previous_href:
        nav.append(f'<a href="{esc(previous_href)}" rel="prev">Previous page</a>')
    if next_href:
        nav.append(f'<a href="{esc(next_href)}" rel="next">Next page</a>')
    pager = f'<nav class="pager" aria-label="Pages">{" ".join(nav)}</nav>' if nav else ""
    table = (
        _table(f"Figures, page {page_number}", ["Title", "Figure id"], table_rows, css="figures")
        if rows
        else "<p>No figures on this page.</p>"
    )
    body = f"<h1>Figures</h1>\n{table}\n{pager}"
    return page(f"Figures, page {page_number}", body, root=root, figures_path=figures_path, current="Figures")


# Landing page -------------------------------------------------------------------------------------
def landing_page(
    *,
    counts: Mapping[str, int] | None,
    dataset: Mapping[str, str],
    examples: Sequence[tuple[str, str]],
    root: str = "",
    figures_path: str = "/figures/",
) -> str:
    """The home page: what this is, how much of it there is, and where to go."""
    if counts:
        count_rows = "".join(
            f'<div class="count"><dt>{esc(label)}</dt><dd>{counts.get(key, 0):,}</dd></div>'
            for key, label in (
                ("figures", "Figures"),
                ("genes", "Genes"),
                ("chemicals", "Chemicals"),
                ("papers", "Papers"),
            )
        )
        count_html = f'<dl class="counts">{count_rows}</dl>'
    else:
        count_html = "<p>The counts are not available right now.</p>"
    release = ""
    if dataset.get("title"):
        release = f"<p>Release: {_link(root + '/void', dataset['title'], external=False)}"
        release += f" ({esc(dataset['version'])})</p>" if dataset.get("version") else "</p>"
    example_items = "".join(
        f'<li><a href="{esc(root)}/sparql?{esc(urlencode({"example": name}))}">{esc(title or name)}</a></li>'
        for name, title in examples
    )
    body = f"""<h1>Pathway Figure OCR as linked data</h1>
<p>Pathway figures mined from the published literature, with the genes, chemicals and diseases that
optical character recognition found in them, as schema.org- and WikiPathways-aligned RDF.</p>
{release}
<section aria-labelledby="counts-h">
<h2 id="counts-h">In this store</h2>
{count_html}
</section>
<section aria-labelledby="explore-h">
<h2 id="explore-h">Explore</h2>
<ul>
<li><a href="{esc(root + figures_path)}">Browse the figures</a>: each figure's page is also its identifier,
and answers with Turtle, N-Triples or JSON-LD to clients that ask for them.</li>
<li><a href="{esc(root)}/enrich">Find figures for a gene list</a>: figures ranked by over-representation
of your genes (hypergeometric p-value, FDR), also as JSON for programs.</li>
<li><a href="{esc(root)}/sparql">Query with SPARQL</a> on the query page, or from any SPARQL 1.1 client
at <code>{esc(root)}/sparql</code>.</li>
<li><a href="{esc(root)}/void">The dataset description</a> (VoID, DCAT): release, licence, counts and
downloads.</li>
<li><a href="{esc(root)}/ld/context.jsonld">The JSON-LD context</a> the published documents name.</li>
<li><a href="{esc(root)}/vocab">The PFOCR vocabulary</a> (classes and properties of <code>pfocr:</code>,
also as
RDF) and <a href="{esc(root)}/vocab/mapping">how each record field is mapped</a> to RDF.</li>
</ul>
</section>
<section aria-labelledby="examples-h">
<h2 id="examples-h">Example questions</h2>
<ul class="examples">{example_items}</ul>
</section>"""
    return page("Home", body, root=root, figures_path=figures_path, current="Home")


# Dataset description --------------------------------------------------------------------------------
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
    parts = ["<h1>Dataset description</h1>"]
    if release:
        counts = [
            (label, f"{int(value):,}")
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
        rows = [
            ("Title", esc(index.literal(release, T.dcterms["title"]) or "")),
            ("Description", esc(index.literal(release, T.dcterms["description"]) or "")),
            ("Version", esc(index.literal(release, T.pav["version"]) or "")),
            ("Created", esc(index.literal(release, T.pav["createdOn"]) or "")),
            (
                "Licence",
                _link(
                    index.iri(release, T.dcterms["license"]), index.iri(release, T.dcterms["license"]) or ""
                ),
            ),
            ("Triples", f"{int(triples_count):,}" if triples_count and triples_count.isdigit() else ""),
            *((label, value) for label, value in counts),
            ("Identifier", f"<code>{esc(release)}</code>"),
        ]
        parts.append(_dl(rows))
        downloads = []
        for distribution in index.iris(release, T.dcat["distribution"]):
            url = index.iri(distribution, T.dcat["downloadURL"])
            media = index.literal(distribution, T.dcat["mediaType"]) or ""
            title = index.literal(distribution, T.dcterms["title"]) or distribution
            downloads.append(f"<li>{_link(url, title)} <code>{esc(media)}</code></li>")
        if downloads:
            parts.append(f"<h2>Downloads</h2>\n<ul>{''.join(downloads)}</ul>")
    else:
        parts.append(
            "<p>This store holds no dataset description (load <code>void.ttl</code> with the data, "
            "or start the server with <code>--void FILE</code>).</p>"
        )
    links = "".join(
        f'<li><a href="{esc(href)}" type="{esc(media)}">{esc(label)}</a></li>'
        for label, media, href in formats
    )
    parts.append(f'<h2>As data</h2>\n<ul class="formats">{links}</ul>')
    parts.append(f'<h2>Turtle</h2>\n<pre class="rdf"><code>{esc(turtle)}</code></pre>')
    return page(
        "Dataset description", "\n".join(parts), root=root, figures_path=figures_path, current="Dataset"
    )


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


def _term_cell(term: Mapping[str, str] | None, local: LinkMaker) -> str:
    if term is None:
        return ""
    kind, value = term.get("type"), term.get("value", "")
    if kind == "uri":
        href = local(value)
        compact = vocab.CONVERTER.compress(value) or value
        if href:
            return f'<a href="{esc(href)}" title="{esc(value)}">{esc(compact)}</a>'
        if safe_href(value) is None:  # javascript: and the like: shown, never a link
            return f'<span class="iri" title="{esc(value)}">{esc(compact)}</span>'
        return f'<a href="{esc(value)}" title="{esc(value)}" rel="noopener">{esc(compact)}</a>'
    if kind == "bnode":
        return f"<code>_:{esc(value)}</code>"
    if kind == "triple":
        return f"<code>{esc(orjson.dumps(value).decode())}</code>"
    note = ""
    if term.get("xml:lang"):
        note = f' <span class="lang">@{esc(term["xml:lang"])}</span>'
    elif term.get("datatype"):
        datatype = term["datatype"]
        note = f' <span class="datatype">{esc(vocab.CONVERTER.compress(datatype) or datatype)}</span>'
    return esc(value) + note


_RESULTS_OPEN = '<section id="results" aria-live="polite">\n<h2>Results</h2>\n'


def results_section(results: ResultsView | None, *, local: LinkMaker, root: str = "") -> str:
    """The results part of the query page (also what the page's script swaps in after a fetch)."""
    if results is None:
        return '<section id="results" aria-live="polite"></section>'
    if results.error:
        return (
            f'<section id="results" aria-live="polite">\n<div class="error" role="alert">\n'
            f"<h2>The query failed (HTTP {results.error_status})</h2>\n"
            f"<p>{esc(results.error)}</p>\n</div>\n</section>"
        )
    timing = f"{results.seconds:.3f} s"
    downloads = ""
    query = results.download_query
    if query:
        formats = (
            (("json", "SPARQL JSON"), ("xml", "SPARQL XML"), ("csv", "CSV"), ("tsv", "TSV"))
            if results.kind != "graph"
            else (("ttl", "Turtle"), ("nt", "N-Triples"), ("jsonld", "JSON-LD"), ("rdfxml", "RDF/XML"))
        )
        links = " · ".join(
            f'<a href="{esc(root)}/sparql?{esc(urlencode({"query": query, "format": key}))}">{esc(label)}</a>'
            for key, label in formats
        )
        downloads = f'<p class="downloads">Download: {links}</p>'
    if results.kind == "ask":
        answer = "yes" if results.boolean else "no"
        return (
            f"{_RESULTS_OPEN}"
            f'<p class="answer">Answer: <strong>{answer}</strong> ({timing})</p>\n{downloads}\n</section>'
        )
    if results.kind == "graph":
        return (
            f'{_RESULTS_OPEN}<p class="summary">Triples in {timing}:</p>\n'
            f'<pre class="rdf"><code>{esc(results.graph_text)}</code></pre>\n{downloads}\n</section>'
        )
    count = len(results.rows)
    plural = "s" if count != 1 else ""
    summary = f'<p class="summary"><span class="row-count">{count}</span> row{plural} in {timing}</p>'
    if not results.rows:
        return f"{_RESULTS_OPEN}{summary}\n{downloads}\n</section>"
    head = "".join(f'<th scope="col">{esc(v)}</th>' for v in results.variables)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{_term_cell(row.get(v), local)}</td>" for v in results.variables) + "</tr>"
        for row in results.rows
    )
    return (
        f"{_RESULTS_OPEN}{summary}\n"
        '<div class="table-wrap"><table class="results">\n'
        '<caption class="visually-hidden">Query results</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table></div>\n{downloads}\n</section>"
    )


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
    prefix_rows = "".join(
        f"<li><code>PREFIX {esc(name)}: &lt;{esc(namespace)}&gt;</code></li>"
        for name, namespace in sorted((prefixes or {}).items())
    )
    predeclared = (
        '<details id="predeclared-prefixes"><summary>Predeclared prefixes: a query may use these without '
        "PREFIX lines, as on WikiPathways' endpoint</summary><ul>" + prefix_rows + "</ul></details>\n"
        if prefix_rows
        else ""
    )
    options = ['<option value="">Choose an example…</option>'] + [
        f'<option value="{esc(e.name)}"{" selected" if e.name == selected else ""}>'
        f"{esc(e.title or e.name)}</option>"
        for e in examples
    ]
    chosen = next((e for e in examples if e.name == selected), None)
    # Sent along with the query, so the page still shows which example the results came from.
    hidden_example = f'<input type="hidden" name="example" value="{esc(chosen.name)}">\n' if chosen else ""
    description = esc(chosen.description) if chosen else ""
    data = {e.name: {"title": e.title, "description": e.description, "text": e.text} for e in examples}
    body = f"""<h1>SPARQL query</h1>
<p>Ask the store a question in <a href="https://www.w3.org/TR/sparql11-query/">SPARQL 1.1</a>. This address is
also a SPARQL 1.1 Protocol endpoint for programs (<code>{esc(root)}/sparql</code>, GET or POST; results as
JSON, XML, CSV or TSV; graphs as Turtle, N-Triples, RDF/XML or JSON-LD). It is read-only; each query may run
for {timeout:g} s and return up to {max_results:,} rows.</p>
{predeclared}<form method="get" action="{esc(root)}/sparql" class="example-picker" id="example-form">
<label for="example">Example</label>
<select id="example" name="example">{"".join(options)}</select>
<button type="submit" id="load-example">Load example</button>
</form>
<p id="example-description" class="description">{description}</p>
<form method="get" action="{esc(root)}/sparql" id="query-form">
{hidden_example}<label for="query">Query</label>
<textarea id="query" name="query" rows="18" cols="100" spellcheck="false" autocapitalize="off"
 autocomplete="off" required>{esc(text)}</textarea>
<div class="form-row">
<label for="format">Show results as</label>
<select id="format" name="format">
<option value="">a table on this page</option>
<option value="json">SPARQL JSON</option>
<option value="xml">SPARQL XML</option>
<option value="csv">CSV</option>
<option value="tsv">TSV</option>
<option value="ttl">Turtle (CONSTRUCT, DESCRIBE)</option>
<option value="jsonld">JSON-LD (CONSTRUCT, DESCRIBE)</option>
</select>
<button type="submit" id="run-query">Run query</button>
<span id="query-status" class="status" role="status"></span>
</div>
</form>
{results_section(results, local=local, root=root)}
<script type="application/json" id="examples-data">
{script_json(data)}
</script>"""
    return page(
        "SPARQL query",
        body,
        root=root,
        figures_path=figures_path,
        current="SPARQL",
        scripts=["/static/query.js"],
    )
