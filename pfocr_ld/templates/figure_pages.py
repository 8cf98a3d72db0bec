"""The figure page of ``pfocr-ld serve``: a figure's triples read into a view-model and laid out.

:class:`Index` reads the lean triples of :mod:`pfocr_ld.rdf` (the same triples the published
JSON-LD is made of) by subject; :func:`figure_view` picks a figure's facts from them and
:func:`figure_page` renders ``figure.html.j2`` (genes, chemicals and diseases with how each was
matched, links to the other figures that show them, the paper, the organisms, the data formats).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pfocr_ld import rdf, vocab
from pfocr_ld.templates._render import (
    Fact,
    Link,
    facts,
    format_links,
    link,
    render,
    safe_href,
    shell,
)

T = vocab.T
MESH_BROWSER = "https://meshb.nlm.nih.gov/record/ui?ui="  # the site's own MeSH links are broken
TAXONOMY_BROWSER = "https://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?id="
MATCH_LABELS = {
    T.pfocr["SymbolMatch"]: "official symbol",
    T.pfocr["SynonymMatch"]: "synonym",
    T.pfocr["FamilyExpansion"]: "family expansion",
}


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
