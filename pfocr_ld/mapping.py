"""The RDF mapping: one :class:`~pfocr_ld.model.Figure` → its triples.

This module owns *which* triples describe a figure (``docs/mapping.md`` is the same mapping as a
table). It mints no blank nodes and keeps a figure's triples in two parts: ``own`` triples that
only this figure produces (the figure, its image, its mention nodes, the ``dcterms:isPartOf`` links
into it) and ``shared`` descriptions of nodes other figures describe identically (genes,
chemicals, the paper, the periodical), keyed by node. Writers put both into the figure's block;
counting distinct triples only needs the shared part de-duplicated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import quote, urljoin

import pyoxigraph as ox

from pfocr_ld import vocab
from pfocr_ld.model import ChemicalMention, DiseaseMention, Figure, GeneMention
from pfocr_ld.vocab import T

Term = ox.NamedNode | ox.Literal


@cache
def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def N(value: str) -> ox.NamedNode:
    """A named node; predicates and classes are cached because they recur millions of times."""
    return _iri(value) if len(value) < 80 else ox.NamedNode(value)


_XSD_DECIMAL = ox.NamedNode(T.xsd["decimal"])
_XSD_GYEAR = ox.NamedNode(T.xsd["gYear"])
_TYPE = N(T.rdf["type"])


def plain(value: str) -> ox.Literal:
    return ox.Literal(value)


def english(value: str) -> ox.Literal:
    return ox.Literal(value, language="en")


@dataclass
class FigureGraph:
    """The triples of one figure, and what the dataset statistics need to know about it."""

    figid: str
    iri: str
    own: list[ox.Triple] = field(default_factory=list)
    shared: dict[str, list[ox.Triple]] = field(default_factory=dict)
    genes: set[int] = field(default_factory=set)
    chemicals: set[str] = field(default_factory=set)
    papers: set[str] = field(default_factory=set)

    def triples(self) -> list[ox.Triple]:
        """All triples of the figure's block, each once, in the block order of the writers."""
        seen: set[ox.Triple] = set()
        out: list[ox.Triple] = []
        for triple in self.own:
            if triple not in seen:
                seen.add(triple)
                out.append(triple)
        for node_triples in self.shared.values():
            for triple in node_triples:
                if triple not in seen:
                    seen.add(triple)
                    out.append(triple)
        return sort_block(out, self.iri)


def sort_block(triples: list[ox.Triple], figure_iri: str) -> list[ox.Triple]:
    """Deterministic order: the figure first, its fragment nodes next, then other nodes by IRI."""
    fragment_prefix = figure_iri + "#"

    def key(triple: ox.Triple) -> tuple[int, str, int, str, str]:
        subject = triple.subject.value
        if subject == figure_iri:
            rank = 0
        elif subject.startswith(fragment_prefix):
            rank = 1
        else:
            rank = 2
        is_type = 0 if triple.predicate == _TYPE else 1
        return (rank, subject, is_type, triple.predicate.value, str(triple.object))

    return sorted(triples, key=key)


def mention_key(*parts: str | None) -> str:
    """Eight hex digits that keep a mention's IRI stable while what the OCR saw is unchanged."""
    joined = "\x1f".join(part or "" for part in parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:8]


class Mapper:
    """Maps figures to triples under one record IRI base."""

    def __init__(self, base: str = vocab.DEFAULT_BASE) -> None:
        if not base.endswith(("/", "#")):
            base += "/"
        self.base = base
        self.journal_base = urljoin(base, "../journals/")

    def figure_iri(self, figid: str) -> str:
        return f"{self.base}{quote(figid, safe='-._~+')}.html"

    def map(self, figure: Figure) -> FigureGraph:
        iri = self.figure_iri(figure.figid)
        graph = FigureGraph(figure.figid, iri)
        fig = N(iri)
        own = graph.own

        def add(subject: ox.NamedNode, predicate: str, obj: Term) -> None:
            own.append(ox.Triple(subject, N(predicate), obj))

        for cls in (T.wp["Pathway"], T.schema["Dataset"], T.pfocr["Figure"]):
            add(fig, T.rdf["type"], N(cls))
        add(fig, T.dcterms["identifier"], plain(figure.figid))
        add(fig, T.schema["identifier"], plain(figure.figid))
        add(fig, T.dc["title"], english(figure.title))
        add(fig, T.schema["name"], english(figure.title))
        description = figure.caption or figure.title
        add(fig, T.dcterms["description"], plain(description))
        add(fig, T.schema["description"], plain(description))
        add(fig, T.dc["source"], plain("PFOCR"))
        add(fig, T.dcterms["license"], N(vocab.CC0))
        add(fig, T.schema["license"], N(vocab.CC0))
        add(fig, T.schema["url"], fig)
        add(fig, T.foaf["page"], fig)
        add(fig, T.schema["creator"], N(vocab.WIKIPATHWAYS_ORG))
        graph.shared[vocab.WIKIPATHWAYS_ORG] = [
            ox.Triple(N(vocab.WIKIPATHWAYS_ORG), _TYPE, N(T.schema["Organization"])),
            ox.Triple(N(vocab.WIKIPATHWAYS_ORG), N(T.schema["name"]), plain("WikiPathways")),
            ox.Triple(N(vocab.WIKIPATHWAYS_ORG), N(T.schema["url"]), N(vocab.WIKIPATHWAYS_ORG)),
        ]
        if figure.score is not None:
            add(fig, T.pfocr["pathwayScore"], ox.Literal(figure.score, datatype=_XSD_DECIMAL))
        if figure.figure_type:
            add(fig, T.pfocr["figureType"], plain(figure.figure_type))
        if figure.number:
            add(fig, T.pfocr["figureNumber"], plain(figure.number))
        if figure.alias:
            add(fig, T.pfocr["figidAlias"], plain(figure.alias))
        if figure.figure_link:
            add(
                fig,
                T.rdfs["seeAlso"],
                ox.NamedNode(vocab.NCBI_ROOT + quote(figure.figure_link, safe="/-._~")),
            )
        if figure.ndex:
            add(fig, T.rdfs["seeAlso"], ox.NamedNode(vocab.NDEX_NETWORK + figure.ndex))
        if figure.wpid:
            add(fig, T.rdfs["seeAlso"], ox.NamedNode(vocab.WIKIPATHWAYS + figure.wpid))
        for organism in figure.organisms:
            add(fig, T.wp["organismName"], plain(organism.name))
            if organism.taxon_id is not None:
                add(fig, T.wp["organism"], N(vocab.taxon_iri(organism.taxon_id)))
        for organism in figure.predicted_organisms:
            add(fig, T.pfocr["predictedOrganismName"], plain(organism.name))
            if organism.taxon_id is not None:
                add(fig, T.pfocr["predictedOrganism"], N(vocab.taxon_iri(organism.taxon_id)))

        if figure.filename:
            image = ox.NamedNode(
                vocab.PMC_IMAGE.format(
                    pmcid=figure.paper.pmcid, filename=quote(figure.filename, safe="-._~+")
                )
            )
            add(fig, T.schema["image"], image)
            add(fig, T.foaf["depiction"], image)
            add(image, T.rdf["type"], N(T.schema["ImageObject"]))
            add(image, T.rdf["type"], N(T.foaf["Image"]))
            add(image, T.schema["contentUrl"], image)
            add(image, T.schema["encodingFormat"], plain(_media_type(figure.filename)))
            add(image, T.schema["caption"], plain(description))

        self._paper(figure, fig, graph)
        keywords: set[str] = set()
        for gene in figure.genes:
            self._gene(gene, fig, iri, graph, keywords)
        for chemical in figure.chemicals:
            self._chemical(chemical, fig, iri, graph, keywords)
        for disease in figure.diseases:
            self._disease(disease, fig, iri, graph, keywords)
        keywords.add("pathway figure")
        for keyword in sorted(keywords):
            add(fig, T.schema["keywords"], plain(keyword))
        return graph

    # The paper -----------------------------------------------------------------------------------
    def _paper(self, figure: Figure, fig: ox.NamedNode, graph: FigureGraph) -> None:
        paper = figure.paper
        iri = vocab.pmc_iri(paper.pmcid)
        node = N(iri)
        graph.papers.add(iri)
        for predicate in (
            T.dcterms["references"],
            T.cito["cites"],
            T.schema["isBasedOn"],
            T.schema["citation"],
        ):
            graph.own.append(ox.Triple(fig, N(predicate), node))
        graph.own.append(ox.Triple(node, N(T.dcterms["isPartOf"]), fig))
        shared: list[ox.Triple] = []

        def add(predicate: str, obj: Term, subject: ox.NamedNode = node) -> None:
            shared.append(ox.Triple(subject, N(predicate), obj))

        add(T.rdf["type"], N(T.wp["PublicationReference"]))
        add(T.rdf["type"], N(T.schema["ScholarlyArticle"]))
        add(T.dcterms["identifier"], plain(paper.pmcid))
        add(T.schema["identifier"], plain(paper.pmcid))
        add(T.dc["source"], plain("PubMed Central"))
        add(T.schema["url"], N(f"https://www.ncbi.nlm.nih.gov/pmc/articles/{paper.pmcid}/"))
        if paper.title:
            for predicate in (T.dcterms["title"], T.schema["headline"], T.schema["name"]):
                add(predicate, english(paper.title))
        if paper.citation:
            add(T.dcterms["bibliographicCitation"], plain(paper.citation))
        if paper.year:
            add(T.schema["datePublished"], ox.Literal(paper.year, datatype=_XSD_GYEAR))
            add(T.dcterms["issued"], ox.Literal(paper.year, datatype=_XSD_GYEAR))
        if paper.doi:
            add(T.schema["sameAs"], ox.NamedNode(vocab.DOI + quote(paper.doi, safe="/:;()-._~+")))
        for keyword in paper.keywords:
            add(T.schema["keywords"], plain(keyword))
        graph.shared[iri] = shared
        journal_name = paper.journal_abbreviation or paper.journal_title
        if journal_name:
            journal_iri = self.journal_base + quote(journal_name, safe="")
            journal = N(journal_iri)
            add(T.schema["isPartOf"], journal)
            journal_triples = [ox.Triple(journal, _TYPE, N(T.schema["Periodical"]))]
            if paper.journal_title:
                journal_triples.append(ox.Triple(journal, N(T.schema["name"]), plain(paper.journal_title)))
            if paper.journal_abbreviation:
                journal_triples.append(
                    ox.Triple(journal, N(T.schema["alternateName"]), plain(paper.journal_abbreviation))
                )
            if not paper.journal_title and paper.journal_abbreviation:
                journal_triples.append(
                    ox.Triple(journal, N(T.schema["name"]), plain(paper.journal_abbreviation))
                )
            if paper.publisher:
                publisher = N(journal_iri + "#publisher")
                journal_triples.append(ox.Triple(journal, N(T.schema["publisher"]), publisher))
                journal_triples.append(ox.Triple(publisher, _TYPE, N(T.schema["Organization"])))
                journal_triples.append(ox.Triple(publisher, N(T.schema["name"]), plain(paper.publisher)))
            graph.shared[journal_iri] = journal_triples

    # Genes, chemicals, diseases ------------------------------------------------------------------
    def _mention(
        self,
        graph: FigureGraph,
        fig: ox.NamedNode,
        figure_iri: str,
        kind: str,
        local_id: str,
        key: str,
        word: str,
        classes: tuple[str, ...],
    ) -> ox.NamedNode:
        mention = ox.NamedNode(f"{figure_iri}#{kind}-{local_id}-{key}")
        own = graph.own
        own.append(ox.Triple(fig, N(T.pfocr["hasMention"]), mention))
        for cls in classes:
            own.append(ox.Triple(mention, _TYPE, N(cls)))
        own.append(ox.Triple(mention, _TYPE, N(T.pfocr["Mention"])))
        own.append(ox.Triple(mention, N(T.pfocr["ocrWord"]), plain(word)))
        own.append(ox.Triple(mention, N(T.dcterms["isPartOf"]), fig))
        return mention

    def _link(self, graph: FigureGraph, fig: ox.NamedNode, mention: ox.NamedNode, node: ox.NamedNode) -> None:
        own = graph.own
        own.append(ox.Triple(mention, N(T.wp["isAbout"]), node))
        own.append(ox.Triple(mention, N(T.schema["about"]), node))
        own.append(ox.Triple(node, N(T.dcterms["isPartOf"]), fig))
        own.append(ox.Triple(fig, N(T.schema["mentions"]), node))

    def _gene(
        self, gene: GeneMention, fig: ox.NamedNode, figure_iri: str, graph: FigureGraph, keywords: set[str]
    ) -> None:
        local = str(gene.gene_id) if gene.gene_id is not None else "unmapped"
        mention = self._mention(
            graph,
            fig,
            figure_iri,
            "gene",
            local,
            mention_key(gene.word, gene.matched_text, gene.source),
            gene.word,
            (T.pfocr["GeneMention"],),
        )
        own = graph.own
        if gene.matched_text:
            own.append(ox.Triple(mention, N(T.pfocr["matchedText"]), plain(gene.matched_text)))
        if gene.source:
            own.append(ox.Triple(mention, N(T.pfocr["matchSource"]), plain(gene.source)))
            match_type = vocab.MATCH_TYPES.get(gene.source)
            if match_type:
                own.append(ox.Triple(mention, N(T.pfocr["matchType"]), N(match_type)))
        if gene.symbol:
            own.append(ox.Triple(mention, N(T.pfocr["ncbiSymbol"]), plain(gene.symbol)))
            keywords.add(gene.symbol)
        if gene.gene_id is None:
            return
        iri = vocab.gene_iri(gene.gene_id)
        node = N(iri)
        graph.genes.add(gene.gene_id)
        self._link(graph, fig, mention, node)
        if iri in graph.shared:
            return
        ident = str(gene.gene_id)
        shared = [
            ox.Triple(node, _TYPE, N(T.wp["GeneProduct"])),
            ox.Triple(node, _TYPE, N(T.wp["DataNode"])),
            ox.Triple(node, _TYPE, N(T.schema["Gene"])),
            ox.Triple(node, N(T.dcterms["identifier"]), plain(ident)),
            ox.Triple(node, N(T.schema["identifier"]), plain(ident)),
            ox.Triple(node, N(T.dc["source"]), plain("Entrez Gene")),
            ox.Triple(node, N(T.wp["bdbEntrezGene"]), node),
            ox.Triple(node, N(T.schema["url"]), ox.NamedNode(vocab.NCBI_GENE_PAGE + ident)),
        ]
        if gene.symbol:
            shared.append(ox.Triple(node, N(T.rdfs["label"]), plain(gene.symbol)))
            shared.append(ox.Triple(node, N(T.schema["name"]), plain(gene.symbol)))
        if gene.taxon_id is not None:
            shared.append(ox.Triple(node, N(T.obo["RO_0002162"]), N(vocab.taxon_iri(gene.taxon_id))))
        graph.shared[iri] = shared

    def _chemical(
        self,
        chemical: ChemicalMention,
        fig: ox.NamedNode,
        figure_iri: str,
        graph: FigureGraph,
        keywords: set[str],
    ) -> None:
        if chemical.chebi_number is not None:
            local = f"CHEBI_{chemical.chebi_number}"
        else:
            local = chemical.mesh_id or "unmapped"
        mention = self._mention(
            graph,
            fig,
            figure_iri,
            "chemical",
            local,
            mention_key(chemical.word, chemical.mesh_heading, chemical.mesh_id),
            chemical.word,
            (T.pfocr["ChemicalMention"],),
        )
        if chemical.mesh_heading:
            graph.own.append(ox.Triple(mention, N(T.pfocr["meshHeading"]), plain(chemical.mesh_heading)))
        label = chemical.name or chemical.mesh_heading
        if label:
            keywords.add(label)
        if chemical.chebi_number is not None:
            iri = vocab.chebi_iri(chemical.chebi_number)
            ident = f"CHEBI:{chemical.chebi_number}"
            node = N(iri)
            self._link(graph, fig, mention, node)
            graph.chemicals.add(iri)
            shared = graph.shared.setdefault(iri, [])
            if not shared:
                shared.extend(
                    [
                        ox.Triple(node, _TYPE, N(T.wp["Metabolite"])),
                        ox.Triple(node, _TYPE, N(T.wp["DataNode"])),
                        ox.Triple(node, _TYPE, N(T.schema["ChemicalSubstance"])),
                        ox.Triple(node, N(T.dcterms["identifier"]), plain(ident)),
                        ox.Triple(node, N(T.schema["identifier"]), plain(ident)),
                        ox.Triple(node, N(T.dc["source"]), plain("ChEBI")),
                        ox.Triple(node, N(T.wp["bdbChEBI"]), node),
                        ox.Triple(node, N(T.schema["url"]), ox.NamedNode(vocab.CHEBI_PAGE + ident)),
                    ]
                )
            if chemical.name:
                for predicate in (T.rdfs["label"], T.schema["name"]):
                    triple = ox.Triple(node, N(predicate), plain(chemical.name))
                    if triple not in shared:
                        shared.append(triple)
            if chemical.mesh_id:
                triple = ox.Triple(node, N(T.skos["exactMatch"]), N(vocab.mesh_rdf_iri(chemical.mesh_id)))
                if triple not in shared:
                    shared.append(triple)
        elif chemical.mesh_id is not None:
            iri = vocab.mesh_iri(chemical.mesh_id)
            node = N(iri)
            self._link(graph, fig, mention, node)
            graph.chemicals.add(iri)
            if iri not in graph.shared:
                graph.shared[iri] = [
                    ox.Triple(node, _TYPE, N(T.wp["Metabolite"])),
                    ox.Triple(node, _TYPE, N(T.wp["DataNode"])),
                    ox.Triple(node, N(T.dcterms["identifier"]), plain(chemical.mesh_id)),
                    ox.Triple(node, N(T.dc["source"]), plain("MeSH")),
                    ox.Triple(node, N(T.skos["exactMatch"]), N(vocab.mesh_rdf_iri(chemical.mesh_id))),
                ]

    def _disease(
        self,
        disease: DiseaseMention,
        fig: ox.NamedNode,
        figure_iri: str,
        graph: FigureGraph,
        keywords: set[str],
    ) -> None:
        if disease.mesh_id is not None:
            local = disease.mesh_id
        elif disease.doid_number is not None:
            local = f"DOID_{disease.doid_number}"
        else:
            local = "unmapped"
        mention = self._mention(
            graph,
            fig,
            figure_iri,
            "disease",
            local,
            mention_key(disease.word, disease.mesh_heading, disease.mesh_id, str(disease.doid_number or "")),
            disease.word,
            (T.pfocr["DiseaseMention"],),
        )
        own = graph.own
        if disease.mesh_heading:
            own.append(ox.Triple(mention, N(T.pfocr["meshHeading"]), plain(disease.mesh_heading)))
            keywords.add(disease.mesh_heading)
        if disease.mesh_id is not None:
            mesh = N(vocab.mesh_rdf_iri(disease.mesh_id))
            own.append(ox.Triple(fig, N(T.dcterms["subject"]), mesh))
            own.append(ox.Triple(mention, N(T.schema["about"]), mesh))
        if disease.doid_number is not None:
            iri = vocab.doid_iri(disease.doid_number)
            doid = N(iri)
            own.append(ox.Triple(fig, N(T.wp["diseaseOntologyTag"]), doid))
            own.append(ox.Triple(fig, N(T.wp["ontologyTag"]), doid))
            own.append(ox.Triple(mention, N(T.schema["about"]), doid))
            if disease.name:
                keywords.add(disease.name)
                shared = graph.shared.setdefault(iri, [])
                triple = ox.Triple(doid, N(T.rdfs["label"]), plain(disease.name))
                if triple not in shared:
                    shared.append(triple)


_MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".svg": "image/svg+xml",
}


def _media_type(filename: str) -> str:
    dot = filename.rfind(".")
    return (
        _MEDIA_TYPES.get(filename[dot:].lower(), "application/octet-stream")
        if dot >= 0
        else ("application/octet-stream")
    )
