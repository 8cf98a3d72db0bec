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
from functools import lru_cache
from urllib.parse import quote, urljoin

from pfocr_ld import vocab
from pfocr_ld.model import ChemicalMention, DiseaseMention, Figure, GeneMention, Paper
from pfocr_ld.rdf import Triple, iri, literal
from pfocr_ld.vocab import T

_XSD_DECIMAL = T.xsd["decimal"]
_XSD_GYEAR = T.xsd["gYear"]
_TYPE = T.rdf["type"]


def plain(value: str) -> str:
    return literal(value)


def english(value: str) -> str:
    return literal(value, language="en")


@dataclass
class FigureGraph:
    """The triples of one figure, and what the dataset statistics need to know about it."""

    figid: str
    iri: str
    own: list[Triple] = field(default_factory=list)
    shared: dict[str, tuple[Triple, ...]] = field(default_factory=dict)
    genes: set[str] = field(default_factory=set)
    chemicals: set[str] = field(default_factory=set)
    papers: set[str] = field(default_factory=set)

    def own_triples(self) -> list[Triple]:
        """The figure's own triples, each once: the figure and its fragment nodes first, then by IRI."""
        ordered = sorted(set(self.own))
        first = [t for t in ordered if t[0].startswith(self.iri)]
        return first + [t for t in ordered if not t[0].startswith(self.iri)] if first else ordered

    def triples(self) -> list[Triple]:
        """All triples of the figure's block (own and shared descriptions), each once, sorted."""
        everything = set(self.own)
        for description in self.shared.values():
            everything.update(description)
        return sorted(everything)


def mention_key(*parts: str | None) -> str:
    """Eight hex digits that keep a mention's IRI stable while what the OCR saw is unchanged."""
    joined = "\x1f".join(part or "" for part in parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:8]


# Shared node descriptions depend only on their arguments: memoised, they are built once per worker.
@lru_cache(maxsize=40_000)
def gene_description(gene_id: str, symbol: str | None, taxon_id: str | None) -> tuple[Triple, ...]:
    node = vocab.gene_iri(gene_id)
    ident = plain(gene_id)
    triples = [
        (node, _TYPE, iri(T.wp["GeneProduct"])),
        (node, _TYPE, iri(T.wp["DataNode"])),
        (node, _TYPE, iri(T.schema["Gene"])),
        (node, T.dcterms["identifier"], ident),
        (node, T.schema["identifier"], ident),
        (node, T.dc["source"], plain("Entrez Gene")),
        (node, T.wp["bdbEntrezGene"], iri(node)),
        (node, T.schema["url"], iri(f"{vocab.NCBI_GENE_PAGE}{gene_id}")),
    ]
    if symbol:
        triples.append((node, T.rdfs["label"], plain(symbol)))
        triples.append((node, T.schema["name"], plain(symbol)))
    else:
        # No record of the release gives a symbol: Bioschemas Gene still needs a schema:name. The
        # identifier itself, named as NCBI writes it, is no invented symbol (and no rdfs:label, which
        # symbol queries read).
        triples.append((node, T.schema["name"], plain(f"NCBI Gene {gene_id}")))
    if taxon_id is not None:
        triples.append((node, T.obo["RO_0002162"], iri(vocab.taxon_iri(taxon_id))))
    return tuple(triples)


@lru_cache(maxsize=50_000)
def chebi_description(
    chebi_number: str, names: tuple[str, ...], mesh_ids: tuple[str, ...]
) -> tuple[Triple, ...]:
    node = vocab.chebi_iri(chebi_number)
    ident = plain(f"CHEBI:{chebi_number}")
    triples = [
        (node, _TYPE, iri(T.wp["Metabolite"])),
        (node, _TYPE, iri(T.wp["DataNode"])),
        (node, _TYPE, iri(T.schema["ChemicalSubstance"])),
        (node, T.dcterms["identifier"], ident),
        (node, T.schema["identifier"], ident),
        (node, T.dc["source"], plain("ChEBI")),
        (node, T.wp["bdbChEBI"], iri(node)),
        (node, T.schema["url"], iri(f"{vocab.CHEBI_PAGE}CHEBI:{chebi_number}")),
    ]
    for name in names:
        triples.append((node, T.rdfs["label"], plain(name)))
        triples.append((node, T.schema["name"], plain(name)))
    if not names:
        # No ChEBI name in the release: the identifier as ChEBI writes it (Bioschemas needs a name).
        triples.append((node, T.schema["name"], ident))
    for mesh_id in mesh_ids:
        triples.append((node, T.skos["exactMatch"], iri(vocab.mesh_rdf_iri(mesh_id))))
    return tuple(triples)


@lru_cache(maxsize=50_000)
def mesh_chemical_description(mesh_id: str) -> tuple[Triple, ...]:
    node = vocab.mesh_iri(mesh_id)
    return (
        (node, _TYPE, iri(T.wp["Metabolite"])),
        (node, _TYPE, iri(T.wp["DataNode"])),
        (node, T.dcterms["identifier"], plain(mesh_id)),
        (node, T.dc["source"], plain("MeSH")),
        (node, T.skos["exactMatch"], iri(vocab.mesh_rdf_iri(mesh_id))),
    )


_CREATOR: tuple[Triple, ...] = (
    (vocab.WIKIPATHWAYS_ORG, _TYPE, iri(T.schema["Organization"])),
    (vocab.WIKIPATHWAYS_ORG, T.schema["name"], plain("WikiPathways")),
    (vocab.WIKIPATHWAYS_ORG, T.schema["url"], iri(vocab.WIKIPATHWAYS_ORG)),
)


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
        fig = self.figure_iri(figure.figid)
        graph = FigureGraph(figure.figid, fig)
        own = graph.own
        fig_ref = iri(fig)

        # wp:Pathway and skos:Collection: every WikiPathways pathway has both types, and WikiPathways'
        # own queries (countPathways.rq) select pathways by the pair.
        for cls in (T.wp["Pathway"], T.skos["Collection"], T.schema["Dataset"], T.pfocr["Figure"]):
            own.append((fig, _TYPE, iri(cls)))
        figid = plain(figure.figid)
        title = english(figure.title)
        description = plain(figure.caption or figure.title)
        cc0 = iri(vocab.CC0)
        own += [
            (fig, T.dcterms["identifier"], figid),
            # WikiPathways' dc:identifier is the versionless IRI of the pathway; a figure has no
            # revisions, so its own IRI is that identifier (GenesofPathway.rq returns it).
            (fig, T.dc["identifier"], fig_ref),
            (fig, T.schema["identifier"], figid),
            (fig, T.dc["title"], title),
            (fig, T.schema["name"], title),
            (fig, T.dcterms["description"], description),
            (fig, T.schema["description"], description),
            (fig, T.dc["source"], plain("PFOCR")),
            (fig, T.dcterms["license"], cc0),
            (fig, T.schema["license"], cc0),
            (fig, T.schema["url"], fig_ref),
            (fig, T.foaf["page"], fig_ref),
            (fig, T.schema["creator"], iri(vocab.WIKIPATHWAYS_ORG)),
        ]
        graph.shared[vocab.WIKIPATHWAYS_ORG] = _CREATOR
        if figure.score is not None:
            own.append((fig, T.pfocr["pathwayScore"], literal(figure.score, datatype=_XSD_DECIMAL)))
        if figure.figure_type:
            own.append((fig, T.pfocr["figureType"], plain(figure.figure_type)))
        if figure.number:
            own.append((fig, T.pfocr["figureNumber"], plain(figure.number)))
        if figure.alias:
            own.append((fig, T.pfocr["figidAlias"], plain(figure.alias)))
        if figure.figure_link:
            link = vocab.NCBI_ROOT + quote(figure.figure_link, safe="/-._~")
            own.append((fig, T.rdfs["seeAlso"], iri(link)))
        if figure.ndex:
            own.append((fig, T.rdfs["seeAlso"], iri(vocab.NDEX_NETWORK + figure.ndex)))
        if figure.wpid:
            own.append((fig, T.rdfs["seeAlso"], iri(vocab.WIKIPATHWAYS + figure.wpid)))
        for organism in figure.organisms:
            own.append((fig, T.wp["organismName"], plain(organism.name)))
            if organism.taxon_id is not None:
                own.append((fig, T.wp["organism"], iri(vocab.taxon_iri(organism.taxon_id))))
                _name_taxon(graph, organism.taxon_id, organism.name)
        for organism in figure.predicted_organisms:
            own.append((fig, T.pfocr["predictedOrganismName"], plain(organism.name)))
            if organism.taxon_id is not None:
                own.append((fig, T.pfocr["predictedOrganism"], iri(vocab.taxon_iri(organism.taxon_id))))
                _name_taxon(graph, organism.taxon_id, organism.name)

        if figure.filename:
            image = vocab.PMC_IMAGE.format(
                pmcid=figure.paper.pmcid, filename=quote(figure.filename, safe="-._~+")
            )
            image_ref = iri(image)
            own += [
                (fig, T.schema["image"], image_ref),
                (fig, T.foaf["depiction"], image_ref),
                (image, _TYPE, iri(T.schema["ImageObject"])),
                (image, _TYPE, iri(T.foaf["Image"])),
                (image, T.schema["contentUrl"], image_ref),
                (image, T.schema["encodingFormat"], plain(_media_type(figure.filename))),
            ]

        self._paper(figure, fig, graph)
        keywords: set[str] = {"pathway figure"}
        for gene in figure.genes:
            self._gene(gene, fig, graph)
        chebi_names: dict[str, set[str]] = {}
        chebi_mesh: dict[str, set[str]] = {}
        for chemical in figure.chemicals:
            self._chemical(chemical, fig, graph, keywords, chebi_names, chebi_mesh)
        for number in chebi_names.keys() | chebi_mesh.keys():
            graph.shared[vocab.chebi_iri(number)] = chebi_description(
                number, tuple(sorted(chebi_names.get(number, ()))), tuple(sorted(chebi_mesh.get(number, ())))
            )
        for disease in figure.diseases:
            self._disease(disease, fig, graph, keywords)
        for keyword in keywords:
            own.append((fig, T.schema["keywords"], plain(keyword)))
        return graph

    # The paper -----------------------------------------------------------------------------------
    def _paper(self, figure: Figure, fig: str, graph: FigureGraph) -> None:
        paper = figure.paper
        node = vocab.pmc_iri(paper.pmcid)
        node_ref = iri(node)
        graph.papers.add(node)
        for predicate in (
            T.dcterms["references"],
            T.cito["cites"],
            T.schema["isBasedOn"],
            T.schema["citation"],
        ):
            graph.own.append((fig, predicate, node_ref))
        graph.own.append((node, T.dcterms["isPartOf"], iri(fig)))
        journal_name = paper.journal_abbreviation or paper.journal_title
        journal = self.journal_base + quote(journal_name, safe="") if journal_name else None
        graph.shared[node] = _paper_description(paper, journal)
        if journal is not None:
            graph.shared[journal] = _journal_description(
                journal, paper.journal_title, paper.journal_abbreviation, paper.publisher
            )

    # Genes, chemicals, diseases ------------------------------------------------------------------
    def _mention(
        self, graph: FigureGraph, fig: str, kind: str, local_id: str, key: str, word: str, cls: str
    ) -> str:
        mention = f"{fig}#{kind}-{local_id}-{key}"
        graph.own += [
            (mention, _TYPE, iri(cls)),
            (mention, T.pfocr["ocrWord"], plain(word)),
            (mention, T.dcterms["isPartOf"], iri(fig)),
        ]
        return mention

    def _link(self, graph: FigureGraph, fig: str, mention: str, node: str) -> None:
        graph.own += [(mention, T.wp["isAbout"], iri(node)), (node, T.dcterms["isPartOf"], iri(fig))]

    def _gene(self, gene: GeneMention, fig: str, graph: FigureGraph) -> None:
        local = gene.gene_id if gene.gene_id is not None else "unmapped"
        key = mention_key(gene.word, gene.matched_text, gene.source)
        mention = self._mention(graph, fig, "gene", local, key, gene.word, T.pfocr["GeneMention"])
        own = graph.own
        # Only what the mention adds: the matched text when it differs from the word, the raw source
        # only when no match type interprets it; the symbol is the gene node's label.
        if gene.matched_text and gene.matched_text != gene.word:
            own.append((mention, T.pfocr["matchedText"], plain(gene.matched_text)))
        match_type = vocab.MATCH_TYPES.get(gene.source or "")
        if match_type:
            own.append((mention, T.pfocr["matchType"], iri(match_type)))
        elif gene.source:
            own.append((mention, T.pfocr["matchSource"], plain(gene.source)))
        if gene.gene_id is None:
            return
        node = vocab.gene_iri(gene.gene_id)
        graph.genes.add(gene.gene_id)
        self._link(graph, fig, mention, node)
        description = gene_description(gene.gene_id, gene.symbol, gene.taxon_id)
        known = graph.shared.get(node)
        # The same gene under several words of one figure: one description, however its rows differ.
        graph.shared[node] = (
            description
            if known is None or known == description
            else tuple(dict.fromkeys(known + description))
        )

    def _chemical(
        self,
        chemical: ChemicalMention,
        fig: str,
        graph: FigureGraph,
        keywords: set[str],
        chebi_names: dict[str, set[str]],
        chebi_mesh: dict[str, set[str]],
    ) -> None:
        if chemical.chebi_number is not None:
            local = f"CHEBI_{chemical.chebi_number}"
        else:
            local = chemical.mesh_id or "unmapped"
        key = mention_key(chemical.word, chemical.mesh_heading, chemical.mesh_id)
        mention = self._mention(graph, fig, "chemical", local, key, chemical.word, T.pfocr["ChemicalMention"])
        if chemical.mesh_heading:
            graph.own.append((mention, T.pfocr["meshHeading"], plain(chemical.mesh_heading)))
        label = chemical.name or chemical.mesh_heading
        if label:
            keywords.add(label)
        if chemical.chebi_number is not None:
            node = vocab.chebi_iri(chemical.chebi_number)
            self._link(graph, fig, mention, node)
            graph.chemicals.add(node)
            chebi_names.setdefault(chemical.chebi_number, set())
            chebi_mesh.setdefault(chemical.chebi_number, set())
            if chemical.name:
                chebi_names[chemical.chebi_number].add(chemical.name)
            if chemical.mesh_id:
                chebi_mesh[chemical.chebi_number].add(chemical.mesh_id)
        elif chemical.mesh_id is not None:
            node = vocab.mesh_iri(chemical.mesh_id)
            self._link(graph, fig, mention, node)
            graph.chemicals.add(node)
            graph.shared[node] = mesh_chemical_description(chemical.mesh_id)

    def _disease(self, disease: DiseaseMention, fig: str, graph: FigureGraph, keywords: set[str]) -> None:
        if disease.mesh_id is not None:
            local = disease.mesh_id
        elif disease.doid_number is not None:
            local = f"DOID_{disease.doid_number}"
        else:
            local = "unmapped"
        key = mention_key(disease.word, disease.mesh_heading, disease.mesh_id, disease.doid_number or "")
        mention = self._mention(graph, fig, "disease", local, key, disease.word, T.pfocr["DiseaseMention"])
        own = graph.own
        if disease.mesh_heading:
            own.append((mention, T.pfocr["meshHeading"], plain(disease.mesh_heading)))
            keywords.add(disease.mesh_heading)
        if disease.mesh_id is not None:
            mesh = iri(vocab.mesh_rdf_iri(disease.mesh_id))
            own.append((fig, T.dcterms["subject"], mesh))
            own.append((mention, T.wp["isAbout"], mesh))
        if disease.doid_number is not None:
            doid_iri = vocab.doid_iri(disease.doid_number)
            doid = iri(doid_iri)
            own += [
                (fig, T.wp["diseaseOntologyTag"], doid),
                (fig, T.wp["ontologyTag"], doid),
                (mention, T.wp["isAbout"], doid),
            ]
            if disease.name:
                keywords.add(disease.name)
                label = (doid_iri, T.rdfs["label"], plain(disease.name))
                graph.shared[doid_iri] = tuple(dict.fromkeys((*graph.shared.get(doid_iri, ()), label)))


def _name_taxon(graph: FigureGraph, taxon_id: str, name: str) -> None:
    """The taxon node with the organism name the record gives it (``rdfs:label``, a plain literal).

    A figure with several organisms has several ``wp:organism`` and ``wp:organismName`` values that
    nothing pairs; the label on the taxon node is the pairing: ``?figure wp:organism ?taxon .
    ?taxon rdfs:label ?name`` joins each name to its own taxon.
    """
    taxon = vocab.taxon_iri(taxon_id)
    label = (taxon, T.rdfs["label"], plain(name))
    known = graph.shared.get(taxon, ())
    if label not in known:
        graph.shared[taxon] = (*known, label)


# Papers have one to a few figures, which sort next to each other: a small cache is enough.
@lru_cache(maxsize=1024)
def _paper_description(paper: Paper, journal: str | None) -> tuple[Triple, ...]:
    node = vocab.pmc_iri(paper.pmcid)
    triples: list[Triple] = [
        (node, _TYPE, iri(T.wp["PublicationReference"])),
        (node, _TYPE, iri(T.schema["ScholarlyArticle"])),
        (node, T.dcterms["identifier"], plain(paper.pmcid)),
        (node, T.schema["identifier"], plain(paper.pmcid)),
        (node, T.dc["source"], plain("PubMed Central")),
        (node, T.schema["url"], iri(f"https://www.ncbi.nlm.nih.gov/pmc/articles/{paper.pmcid}/")),
    ]
    if paper.title:
        title = english(paper.title)
        triples += [(node, p, title) for p in (T.dcterms["title"], T.schema["headline"], T.schema["name"])]
    if paper.citation:
        triples.append((node, T.dcterms["bibliographicCitation"], plain(paper.citation)))
    if paper.year:
        year = literal(paper.year, datatype=_XSD_GYEAR)
        triples += [(node, T.schema["datePublished"], year), (node, T.dcterms["issued"], year)]
    if paper.doi:
        triples.append((node, T.schema["sameAs"], iri(vocab.DOI + quote(paper.doi, safe="/:;()-._~+"))))
    triples += [(node, T.schema["keywords"], plain(keyword)) for keyword in paper.keywords]
    if journal is not None:
        triples.append((node, T.schema["isPartOf"], iri(journal)))
    return tuple(triples)


@lru_cache(maxsize=20_000)
def _journal_description(
    journal: str, title: str | None, abbreviation: str | None, publisher: str | None
) -> tuple[Triple, ...]:
    triples: list[Triple] = [(journal, _TYPE, iri(T.schema["Periodical"]))]
    triples.append((journal, T.schema["name"], plain(title or abbreviation or "")))
    if abbreviation:
        triples.append((journal, T.schema["alternateName"], plain(abbreviation)))
    if publisher:
        organisation = journal + "#publisher"
        triples += [
            (journal, T.schema["publisher"], iri(organisation)),
            (organisation, _TYPE, iri(T.schema["Organization"])),
            (organisation, T.schema["name"], plain(publisher)),
        ]
    return tuple(triples)


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
