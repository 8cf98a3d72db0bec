"""The bundled sample builds completely and every identifier of its tables is published as mapped."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import yaml
from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS

from pfocr_ld.build import BuildReport

WP = rdflib.Namespace("http://vocabularies.wikipathways.org/wp#")
SCHEMA = rdflib.Namespace("http://schema.org/")
PFOCR = rdflib.Namespace("https://pfocr.wikipathways.org/vocab#")
OBO = rdflib.Namespace("http://purl.obolibrary.org/obo/")
FIGURE_BASE = "https://pfocr.wikipathways.org/figures/"
MISSING = {"", "NA", "NaN", ".na.character"}
MATCH_TYPES = {
    "ncbigene_symbol": PFOCR.SymbolMatch,
    "ncbigene_synonym": PFOCR.SynonymMatch,
    "famplex_relations": PFOCR.FamilyExpansion,
}


def _tsv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def graph(sample_build: tuple[Path, BuildReport]) -> rdflib.Graph:
    out, _ = sample_build
    return rdflib.Graph().parse(out / "pfocr.ttl", format="turtle")


def test_all_55_figures_published(sample_build: tuple[Path, BuildReport], sample_dir: Path) -> None:
    out, report = sample_build
    figids = sorted(p.stem for p in (sample_dir / "_figures").glob("*.md"))
    assert len(figids) == 55
    assert report.published == 55 and report.rejected == []
    assert sorted(p.stem for p in (out / "jsonld").glob("*.jsonld")) == figids
    data = json.loads((out / "report.json").read_text())
    assert data["published"] == 55 and data["rejected_count"] == 0


def test_turtle_parses_with_rdflib_and_pyoxigraph(
    sample_build: tuple[Path, BuildReport], graph: rdflib.Graph
) -> None:
    out, report = sample_build
    store = ox.Store()
    store.load(path=str(out / "pfocr.ttl"), format=ox.RdfFormat.TURTLE)
    assert len(store) == len(graph) == report.triples
    nt = gzip.decompress((out / "pfocr.nt.gz").read_bytes()).decode("utf-8")
    # no blank nodes are minted, so graph equality is plain set equality
    assert set(rdflib.Graph().parse(data=nt, format="nt")) == set(graph)


def test_ntriples_and_turtle_hold_the_same_triples(sample_build: tuple[Path, BuildReport]) -> None:
    out, _ = sample_build
    from_turtle = {str(q) for q in ox.parse(path=str(out / "pfocr.ttl"), format=ox.RdfFormat.TURTLE)}
    nt = gzip.decompress((out / "pfocr.nt.gz").read_bytes())
    from_nt = {str(q) for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)}
    assert from_turtle == from_nt


def test_every_gene_of_the_tables_is_published(graph: rdflib.Graph, sample_dir: Path) -> None:
    checked = 0
    for table in sorted((sample_dir / "_data").glob("*-genes.tsv")):
        figid = table.name[: -len("-genes.tsv")]
        figure = URIRef(f"{FIGURE_BASE}{figid}.html")
        for row in _tsv_rows(table):
            if row["ncbigene_id"] in MISSING:
                continue
            gene = URIRef(f"https://identifiers.org/ncbigene/{int(row['ncbigene_id'])}")
            assert (gene, RDF.type, WP.GeneProduct) in graph
            assert (gene, RDF.type, WP.DataNode) in graph
            assert (gene, WP.bdbEntrezGene, gene) in graph
            assert (gene, DCTERMS.isPartOf, figure) in graph
            assert (gene, DCTERMS.identifier, Literal(str(int(row["ncbigene_id"])))) in graph
            assert (gene, OBO.RO_0002162, OBO[f"NCBITaxon_{row['organism_id']}"]) in graph
            if row["ncbigene_symbol"] not in MISSING:
                assert (gene, RDFS.label, Literal(row["ncbigene_symbol"])) in graph
            # the mention keeps what the OCR saw and how it matched
            mentions = {
                m
                for m in graph.subjects(WP.isAbout, gene)
                if str(m).startswith(str(figure) + "#")
                and (m, PFOCR.ocrWord, Literal(row["word"].strip())) in graph
                and (m, PFOCR.matchType, MATCH_TYPES[row["source"]]) in graph
                and (
                    (m, PFOCR.matchedText, Literal(row["match"])) in graph
                    or row["match"] == row["word"].strip()
                )
            }
            assert mentions, f"no mention of {gene} for word {row['word']!r} in {figid}"
            checked += 1
    assert checked > 1000


def test_every_chemical_of_the_tables_is_published(graph: rdflib.Graph, sample_dir: Path) -> None:
    chebi_checked = mesh_checked = 0
    for table in sorted((sample_dir / "_data").glob("*-chemicals.tsv")):
        figid = table.name[: -len("-chemicals.tsv")]
        figure = URIRef(f"{FIGURE_BASE}{figid}.html")
        for row in _tsv_rows(table):
            chebi = row.get("chebi", "NA")
            mesh = row.get("mesh") or (row.get("identifier") if row.get("source") == "MESH" else None)
            if chebi not in MISSING:
                number = int(chebi.split(":")[-1])
                node = URIRef(f"https://identifiers.org/chebi/CHEBI:{number}")
                assert (node, RDF.type, WP.Metabolite) in graph
                assert (node, WP.bdbChEBI, node) in graph
                assert (node, DCTERMS.isPartOf, figure) in graph
                chebi_checked += 1
            elif mesh not in MISSING and mesh is not None:
                mesh_id = mesh.split(":")[-1]
                node = URIRef(f"https://identifiers.org/mesh/{mesh_id}")
                assert (node, RDF.type, WP.Metabolite) in graph
                assert (
                    node,
                    URIRef("http://www.w3.org/2004/02/skos/core#exactMatch"),
                    URIRef(f"http://id.nlm.nih.gov/mesh/{mesh_id}"),
                ) in graph
                assert (node, DCTERMS.isPartOf, figure) in graph
                mesh_checked += 1
    assert chebi_checked > 20 and mesh_checked > 5


def test_every_disease_of_the_tables_is_published(graph: rdflib.Graph, sample_dir: Path) -> None:
    checked = 0
    for table in sorted((sample_dir / "_data").glob("*-diseases.tsv")):
        figid = table.name[: -len("-diseases.tsv")]
        figure = URIRef(f"{FIGURE_BASE}{figid}.html")
        for row in _tsv_rows(table):
            if row["mesh"] not in MISSING:
                mesh = URIRef(f"http://id.nlm.nih.gov/mesh/{row['mesh'].split(':')[-1]}")
                assert (figure, DCTERMS.subject, mesh) in graph
                checked += 1
            if row["doid"] not in MISSING:
                doid = OBO[f"DOID_{int(row['doid'].split(':')[-1])}"]
                assert (figure, WP.diseaseOntologyTag, doid) in graph
                assert (figure, WP.ontologyTag, doid) in graph
    assert checked > 5


def test_figure_metadata_matches_front_matter(graph: rdflib.Graph, sample_dir: Path) -> None:
    for page in sorted((sample_dir / "_figures").glob("*.md")):
        fields = yaml.safe_load(page.read_text(encoding="utf-8").split("---")[1])
        figure = URIRef(f"{FIGURE_BASE}{fields['figid']}.html")
        assert (figure, RDF.type, WP.Pathway) in graph
        assert (figure, DCTERMS.identifier, Literal(fields["figid"])) in graph
        titles = list(graph.objects(figure, URIRef("http://purl.org/dc/elements/1.1/title")))
        assert titles == [Literal(" ".join(fields["figtitle"].split()), lang="en")]
        paper = URIRef(f"https://identifiers.org/pmc/{fields['pmcid']}")
        assert (figure, DCTERMS.references, paper) in graph
        assert (paper, RDF.type, WP.PublicationReference) in graph
        curated = [o for o in fields["organisms"] if o != "NA"]
        assert {str(o) for o in graph.objects(figure, WP.organismName)} == set(curated)
        score = next(graph.objects(figure, PFOCR.pathwayScore))
        assert abs(float(score) - float(fields["automl_pathway"])) < 1e-12


def test_her2_figure_in_detail(graph: rdflib.Graph) -> None:
    figure = URIRef(f"{FIGURE_BASE}PMC3376449__fonc-02-00062-g001.html")
    assert set(graph.objects(figure, WP.organism)) == {OBO.NCBITaxon_9606, OBO.NCBITaxon_10090}
    assert (figure, SCHEMA.license, URIRef("http://creativecommons.org/publicdomain/zero/1.0/")) in graph
    image = URIRef("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC3376449/bin/fonc-02-00062-g001.jpg")
    assert (figure, SCHEMA.image, image) in graph and (image, RDF.type, SCHEMA.ImageObject) in graph
    assert (
        figure,
        RDFS.seeAlso,
        URIRef("https://www.ndexbio.org/viewer/networks/b17bd5d8-ded3-11ea-99da-0ac135e8bacf"),
    ) in graph
    assert (
        figure,
        RDFS.seeAlso,
        URIRef("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC3376449/figure/F1/"),
    ) in graph
    # HER2 was found through a synonym of ERBB2
    erbb2 = URIRef("https://identifiers.org/ncbigene/2064")
    mention = next(m for m in graph.subjects(WP.isAbout, erbb2) if str(m).startswith(str(figure)))
    assert (mention, PFOCR.ocrWord, Literal("HER2")) in graph
    assert (mention, PFOCR.matchType, PFOCR.SynonymMatch) in graph


def test_void_counts_match_the_data(sample_build: tuple[Path, BuildReport], graph: rdflib.Graph) -> None:
    out, _ = sample_build
    void = rdflib.Graph().parse(out / "void.ttl", format="turtle")
    VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
    # the release and its files (property partitions count their own predicate's triples)
    versions = [v for v in void.subjects(RDF.type, VOID.Dataset) if (v, VOID.property, None) not in void]
    triples = {int(o) for v in versions for o in void.objects(v, VOID.triples)}
    assert triples == {len(graph)}
    genes = set(graph.subjects(RDF.type, WP.GeneProduct))
    version = next(s for s in void.subjects(PFOCR.geneCount, None))
    assert int(next(void.objects(version, PFOCR.geneCount))) == len(genes)
    assert int(next(void.objects(version, PFOCR.figureCount))) == 55
    papers = set(graph.subjects(RDF.type, WP.PublicationReference))
    assert int(next(void.objects(version, PFOCR.paperCount))) == len(papers)
    # the dataset description stays out of the corpus dump
    assert not set(graph.subjects(RDF.type, VOID.Dataset))
