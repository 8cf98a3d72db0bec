"""The shapes graph itself: valid SHACL, documented, in step with the mapping and vocab.py.

"In step" is tested both ways on a real build of the sample: every targeted shape selects nodes the
build produces (no dead shapes), and every class and predicate the build emits is covered by some
shape. The identifier patterns are vocab.IRI_PATTERNS, character for character.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
import rdflib
import shacl
from pyshacl.errors import ReportableRuntimeError
from rdflib import RDF, RDFS, Namespace
from rdflib.collection import Collection

from pfocr_ld import resources, vocab
from pfocr_ld.validation import load_shapes_ntriples, shape_files

SH = Namespace(vocab.SH)
REPO = Path(__file__).resolve().parent.parent

#: Patterns that are not identifier IRIs, with why they are spelled out in the shapes.
LOCAL_PATTERNS: dict[str, str] = {
    "^[A-Za-z0-9][A-Za-z0-9._~+\\-]{0,199}$": "figid (pfocr_ld.model._FIGID)",
    "^PMC[0-9]+$": "PMC id literal",
    "^[0-9]+$": "NCBI Gene id literal",
    "^CHEBI:[0-9]+$": "ChEBI id literal",
    "^[CD][0-9]{6,9}$": "MeSH id literal",
    "^[a-z]+/[-+.a-z0-9]+$": "media type",
    "#publisher$": "publisher IRIs minted under their journal",
    "^https://www\\.ncbi\\.nlm\\.nih\\.gov/pmc/articles/PMC[0-9]+/bin/\\S+$": "PMC image file",
    "^https://www\\.ncbi\\.nlm\\.nih\\.gov/pmc/articles/PMC[0-9]+/$": "PMC article page",
    "^https://www\\.ncbi\\.nlm\\.nih\\.gov/gene/[0-9]+$": "NCBI Gene page",
    "^https?://[^#]+#gene-[^#]+$": "gene mention: a fragment of its figure",
    "^https?://[^#]+#chemical-[^#]+$": "chemical mention: a fragment of its figure",
    "^https?://[^#]+#disease-[^#]+$": "disease mention: a fragment of its figure",
}


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(data=load_shapes_ntriples(), format="nt")


@pytest.fixture(scope="module")
def sample(build_dir: Path) -> rdflib.Graph:
    out = build_dir  # the shared sample build (tests/conftest.py)
    graph = rdflib.Graph()
    graph.parse(out / "pfocr.ttl", format="turtle")
    graph.parse(out / "void.ttl", format="turtle")
    return graph


def node_shapes(shapes: rdflib.Graph) -> set[rdflib.term.Node]:
    found = set(shapes.subjects(RDF.type, SH.NodeShape))
    for target in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        found.update(shapes.subjects(target, None))
    return found


def property_shapes(shapes: rdflib.Graph) -> set[rdflib.term.Node]:
    return set(shapes.objects(None, SH.property))


def test_bundled_shapes_are_the_repository_folder() -> None:
    files = shape_files()
    assert files == sorted((REPO / "shapes").glob("*.ttl"))
    assert resources.shapes_dir() == REPO / "shapes"
    assert {f.name for f in files} == {"figure.ttl", "paper.ttl", "entities.ttl", "dataset.ttl"}


SHACL_SHACL = Path(pyshacl.__file__).parent / "assets" / "shacl-shacl.ttl"


def test_shapes_graph_is_valid_shacl(shapes: rdflib.Graph) -> None:
    # pySHACL's meta-check validates the shapes graph against SHACL-for-SHACL (the shapes of the
    # SHACL specification, Appendix C) and raises when it does not conform.
    conforms, _, _ = pyshacl.validate(rdflib.Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms
    # The same SHACL-for-SHACL shapes, run by the fast engine, agree.
    report = shacl.Shapes.from_file(str(SHACL_SHACL)).validate_text(load_shapes_ntriples(), format="ntriples")
    assert report.conforms and len(report) == 0


def test_meta_check_catches_a_broken_shape(shapes: rdflib.Graph) -> None:
    # The check above is not vacuous: a non-integer sh:minCount fails it, in both engines.
    broken = rdflib.Graph()
    broken += shapes
    identifier = rdflib.URIRef("https://pfocr.wikipathways.org/shapes#Figure-identifier")
    broken.set((identifier, SH.minCount, rdflib.Literal("one")))
    report = shacl.Shapes.from_file(str(SHACL_SHACL)).validate_text(
        broken.serialize(format="nt"), format="ntriples"
    )
    assert not report.conforms
    assert {r.component for r in report.results} == {"DatatypeConstraintComponent"}
    with pytest.raises(ReportableRuntimeError, match="does not validate against the SHACL Shapes SHACL"):
        pyshacl.validate(rdflib.Graph(), shacl_graph=broken, meta_shacl=True)


def test_no_shacl_sparql(shapes: rdflib.Graph) -> None:
    # SHACL-SPARQL constraints cost ~18x in pySHACL; every rule here is SHACL Core.
    for predicate in (SH.sparql, SH.select, SH.ask, SH.target):
        assert not list(shapes.subject_objects(predicate)), predicate
    assert not list(shapes.subjects(RDF.type, SH.SPARQLTarget))


def test_every_named_shape_is_documented(shapes: rdflib.Graph) -> None:
    named_nodes = {s for s in node_shapes(shapes) if isinstance(s, rdflib.URIRef)}
    named_props = {s for s in property_shapes(shapes) if isinstance(s, rdflib.URIRef)}
    assert len(named_nodes) >= 25 and len(named_props) >= 130
    for shape in named_nodes | named_props:
        message = shapes.value(shape, SH.message)
        assert message is not None and len(str(message)) > 20, f"{shape}: sh:message"
        why = (
            shapes.value(shape, RDFS.comment) if shape in named_nodes else shapes.value(shape, SH.description)
        )
        assert why is not None and len(str(why)) > 10, f"{shape}: rdfs:comment / sh:description"
        assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info), (
            f"{shape}: sh:severity"
        )
        assert str(shape).startswith("https://pfocr.wikipathways.org/shapes#")
    for node in node_shapes(shapes):
        assert isinstance(node, rdflib.URIRef), "node shapes are named, so results can name them"
    # Every property shape a node shape lists directly is named (results name their shape).
    for shape in named_nodes:
        for prop in shapes.objects(shape, SH.property):
            if shape != rdflib.URIRef("https://pfocr.wikipathways.org/shapes#MeshChemicalShape"):
                assert isinstance(prop, rdflib.URIRef), f"{shape} has an anonymous property shape"


def test_severities_mean_what_the_docs_say(shapes: rdflib.Graph) -> None:
    severity = {
        str(s).rsplit("#", 1)[1]: str(o).rsplit("#", 1)[1]
        for s, o in shapes.subject_objects(SH.severity)
        if isinstance(s, rdflib.URIRef)
    }
    warnings = {name for name, level in severity.items() if level == "Warning"}
    infos = {name for name, level in severity.items() if level == "Info"}
    assert warnings == {
        "FigureSynonymOnlyShape",
        "FigureOrganismShape",
        "Paper-doiPresent",
        "Paper-titlePresent",
        "Gene-labelPresent",
        "Chebi-labelPresent",
        "GeneMention-matchTypePresent",
    } | {name for name in severity if name.endswith("Consistent")}
    # Values of shared nodes that figure records may disagree on: a curator's matter, never a reason
    # to withhold a figure (and so never dependent on which figures share a build batch).
    assert {name for name in severity if name.endswith("Consistent")} == {
        "Gene-labelConsistent",
        "Gene-taxonConsistent",
        "Chebi-labelConsistent",
        "DiseaseTag-labelConsistent",
        "Paper-titleConsistent",
        "Paper-citationTextConsistent",
        "Paper-datePublishedConsistent",
        "Paper-doiConsistent",
        "Paper-periodicalConsistent",
        "Periodical-nameConsistent",
        "Periodical-alternateNameConsistent",
        "Periodical-publisherConsistent",
        "Organization-nameConsistent",
    }
    assert infos == {"GeneMention-linked", "ChemicalMention-linked", "DiseaseMention-linked"}


def _patterns(shapes: rdflib.Graph) -> set[str]:
    return {str(o) for o in shapes.objects(None, SH.pattern)}


def test_identifier_patterns_are_vocab_iri_patterns(shapes: rdflib.Graph) -> None:
    patterns = _patterns(shapes)
    identifier_patterns = set(vocab.IRI_PATTERNS.values())
    assert patterns - identifier_patterns - set(LOCAL_PATTERNS) == set(), (
        "a pattern neither in vocab nor listed"
    )
    assert identifier_patterns <= patterns, "an identifier space has no shape checking it"
    assert set(LOCAL_PATTERNS) <= patterns, "LOCAL_PATTERNS lists a pattern no shape uses"


def _targets(shapes: rdflib.Graph, shape: rdflib.term.Node, data: rdflib.Graph) -> set[rdflib.term.Node]:
    nodes: set[rdflib.term.Node] = set()
    for cls in shapes.objects(shape, SH.targetClass):
        nodes.update(data.subjects(RDF.type, cls))
    nodes.update(shapes.objects(shape, SH.targetNode))
    for predicate in shapes.objects(shape, SH.targetSubjectsOf):
        nodes.update(data.subjects(predicate, None))
    for predicate in shapes.objects(shape, SH.targetObjectsOf):
        nodes.update(data.objects(None, predicate))
    return nodes


def _has_target(shapes: rdflib.Graph, shape: rdflib.term.Node) -> bool:
    return any(
        shapes.value(shape, t) is not None
        for t in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    )


def test_no_dead_shapes(shapes: rdflib.Graph, sample: rdflib.Graph) -> None:
    targeted = [s for s in node_shapes(shapes) if _has_target(shapes, s)]
    assert len(targeted) >= 25
    dead = sorted(str(s) for s in targeted if not _targets(shapes, s, sample))
    assert dead == []
    # A node shape without a target must be used by another shape (sh:node, sh:or, ...).
    for shape in node_shapes(shapes) - set(targeted):
        referenced = [s for s, p, o in shapes.triples((None, None, shape)) if p != RDF.type]
        assert referenced, f"{shape} has no target and is not referenced"


def test_every_emitted_class_is_targeted(shapes: rdflib.Graph, sample: rdflib.Graph) -> None:
    emitted = set(sample.objects(None, RDF.type))
    targeted = set(shapes.objects(None, SH.targetClass))
    assert emitted - targeted == set()
    assert len(emitted) == 21  # 18 in pfocr.ttl (skos:Collection among them), 3 in void.ttl


def _paths(shapes: rdflib.Graph) -> set[rdflib.term.Node]:
    paths = set(shapes.objects(None, SH.path))
    for shape in shapes.subjects(SH.targetSubjectsOf, None):
        paths.update(shapes.objects(shape, SH.targetSubjectsOf))
    return paths


def test_every_emitted_predicate_is_constrained(shapes: rdflib.Graph, sample: rdflib.Graph) -> None:
    emitted = set(sample.predicates()) - {RDF.type}
    assert emitted - _paths(shapes) == set()


def test_closed_value_sets(shapes: rdflib.Graph) -> None:
    def values(shape: str) -> list[rdflib.term.Node]:
        head = shapes.value(rdflib.URIRef("https://pfocr.wikipathways.org/shapes#" + shape), SH["in"])
        return list(Collection(shapes, head))

    pfocr = Namespace(vocab.PFOCR)
    assert values("GeneMention-matchType") == [pfocr.SymbolMatch, pfocr.SynonymMatch, pfocr.FamilyExpansion]
    assert set(values("GeneMention-matchType")) == {rdflib.URIRef(v) for v in vocab.MATCH_TYPES.values()}
    assert [str(v) for v in values("Figure-figureType")] == ["Figure", "Scheme", "Supplemental figure"]
