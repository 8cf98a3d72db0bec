"""Every term the output uses is declared: ours in ontology/pfocr.ttl, schema.org's in its release."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import rdflib

from pfocr_ld import vocab
from pfocr_ld.build import BuildReport
from pfocr_ld.resources import DATA_DIR, ontology_file


def _used_terms(paths: list[Path]) -> set[str]:
    terms: set[str] = set()
    for path in paths:
        for triple in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            terms.add(triple.predicate.value)
            if triple.predicate.value == vocab.T.rdf["type"]:
                terms.add(triple.object.value)
            if (
                isinstance(triple.object, ox.NamedNode)
                and triple.object.value.startswith(vocab.PFOCR)
                and (triple.predicate.value != vocab.T.void["vocabulary"])
            ):
                terms.add(triple.object.value)
    return terms


def test_every_pfocr_term_in_the_output_is_declared(sample_build: tuple[Path, BuildReport]) -> None:
    out, _ = sample_build
    used = {t for t in _used_terms([out / "pfocr.ttl", out / "void.ttl"]) if t.startswith(vocab.PFOCR)}
    ontology = rdflib.Graph().parse(ontology_file(), format="turtle")
    declared = {str(s) for s in ontology.subjects(rdflib.RDFS.label, None)}
    assert used, "the build uses no pfocr: terms at all?"
    assert used - declared == set()
    # and every declared term is in the vocabulary module, where the code takes its IRIs from
    assert {t for t in declared if t.startswith(vocab.PFOCR)} <= set(vocab.T.pfocr.values())


def test_ontology_declares_label_definition_and_alignment() -> None:
    ontology = rdflib.Graph().parse(ontology_file(), format="turtle")
    skos_definition = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#definition")
    for term in vocab.T.pfocr.values():
        node = rdflib.URIRef(term)
        assert (node, rdflib.RDFS.label, None) in ontology, term
        assert (node, skos_definition, None) in ontology, term
        types = set(ontology.objects(node, rdflib.RDF.type))
        if rdflib.OWL.ObjectProperty in types or rdflib.OWL.DatatypeProperty in types:
            assert (node, rdflib.RDFS.domain, None) in ontology, term
    figure = rdflib.URIRef(vocab.T.pfocr["Figure"])
    assert set(ontology.objects(figure, rdflib.RDFS.subClassOf)) == {
        rdflib.URIRef(vocab.T.wp["Pathway"]),
        rdflib.URIRef(vocab.T.skos["Collection"]),
        rdflib.URIRef(vocab.T.schema["Dataset"]),
    }


def test_every_schema_org_term_in_the_output_exists_in_schema_org(
    sample_build: tuple[Path, BuildReport],
) -> None:
    out, _ = sample_build
    used = {t for t in _used_terms([out / "pfocr.ttl"]) if t.startswith(vocab.SCHEMA)}
    schema = rdflib.Graph().parse(DATA_DIR / "schemaorg" / "schemaorg-current-https.ttl", format="turtle")
    # the release file spells schema.org with https; our data uses http like schema.org's context
    defined = {
        str(s).replace("https://schema.org/", vocab.SCHEMA) for s in schema.subjects(rdflib.RDF.type, None)
    }
    assert used and used - defined == set()


def test_wikipathways_terms_are_the_ones_wikipathways_defines(sample_build: tuple[Path, BuildReport]) -> None:
    out, _ = sample_build
    used = {t for t in _used_terms([out / "pfocr.ttl"]) if t.startswith(vocab.WP)}
    known = {
        "Pathway",
        "DataNode",
        "GeneProduct",
        "Metabolite",
        "PublicationReference",
        "organism",
        "organismName",
        "bdbEntrezGene",
        "bdbChEBI",
        "isAbout",
        "diseaseOntologyTag",
        "ontologyTag",
    }
    assert {t[len(vocab.WP) :] for t in used} <= known
