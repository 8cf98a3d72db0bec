"""SHACL validation: the sample conforms, each constraint catches its own breakage, engines agree.

The mutation table is the heart of this file: every row takes a conforming record's graph (the
HER2 figure of the sample build; for the nodes HER2 lacks, the made-up record in
``tests/data/shacl/extended``; for the dataset description, the sample's void.ttl), breaks one
property, and names the only (focus node, path, constraint component) results that may change.
The differential test runs pySHACL on the sample and on every mutated graph and requires the same
results as the fast engine.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml

from pfocr_ld import vocab
from pfocr_ld.build import BuildOptions, build
from pfocr_ld.validate_files import iter_chunks, read_triples, validate_files
from pfocr_ld.validation import (
    BatchValidator,
    Finding,
    make_engine,
    validate_triples,
)

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"
EXTENDED = REPO / "tests" / "data" / "shacl" / "extended"
VARIANTS = REPO / "tests" / "data" / "shacl" / "variants"
FIGURES = "https://pfocr.wikipathways.org/figures/"
HER2_ID = "PMC3376449__fonc-02-00062-g001"
EXT_ID = "PMC9000001__shacl-fixture-g001"


def iri(curie_or_iri: str) -> str:
    if curie_or_iri.startswith(("http://", "https://")):
        return curie_or_iri
    expanded = vocab.CONVERTER.expand(curie_or_iri)
    assert expanded, curie_or_iri
    return expanded


def N(curie_or_iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri(curie_or_iri))


def S(value: str) -> ox.Literal:
    return ox.Literal(value)


def typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=N(datatype))


def en(value: str, language: str = "en") -> ox.Literal:
    return ox.Literal(value, language=language)


# Nodes of the base records -----------------------------------------------------------------------
FIG = N(f"{FIGURES}{HER2_ID}.html")
IMG = N("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC3376449/bin/fonc-02-00062-g001.jpg")
PAPER = N("pmc:PMC3376449")
CREATOR = N("https://www.wikipathways.org/")
GENE = N("ncbigene:2064")  # ERBB2
OTHER_GENE = N("ncbigene:1956")  # EGFR, also in HER2
GM = N(f"{FIGURES}{HER2_ID}.html#gene-2064-6e27c7e5")  # "HER2", a synonym match

XFIG = N(f"{FIGURES}{EXT_ID}.html")
XPAPER = N("pmc:PMC9000001")
JOURNAL = N("https://pfocr.wikipathways.org/journals/J%20Fixt")
PUBLISHER = N("https://pfocr.wikipathways.org/journals/J%20Fixt#publisher")
CHEBI = N("chebi:CHEBI:4167")
MESHCHEM = N("mesh:C065987")
XGENE = N("ncbigene:7157")
DOID = N("obo:DOID_1612")
MESHDIS = N("meshv:D001943")
CM = N(f"{FIGURES}{EXT_ID}.html#chemical-CHEBI_4167-089814f0")
DM = N(f"{FIGURES}{EXT_ID}.html#disease-D001943-90ee2ff1")

VOID_BASE = "https://pfocr.wikipathways.org/dataset"
SUMMARY = N(VOID_BASE)


# Builds ------------------------------------------------------------------------------------------
@dataclass
class Builds:
    sample_out: Path
    extended_out: Path
    sample_report: dict
    her2: list[ox.Triple]
    extended: list[ox.Triple]
    void: list[ox.Triple]
    version: ox.NamedNode
    distribution: ox.NamedNode
    partition: ox.NamedNode


def _block(path: Path, figure: ox.NamedNode) -> list[ox.Triple]:
    """A figure's self-contained graph: its own triples and every shared node it reaches."""
    for chunk in iter_chunks([path], 1):
        if chunk.figures == [figure.value]:
            return chunk.triples()
    raise AssertionError(f"{figure} not in {path}")


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory, build_dir: Path) -> Builds:
    # A fixed date keeps void.ttl's IRIs stable; validation is on, as in a user's build. The sample's
    # is the shared build of tests/conftest.py (validated, the same date).
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    sample_out = build_dir
    extended_out = tmp_path_factory.mktemp("shacl-extended")
    build(BuildOptions([EXTENDED], extended_out, workers=1))
    void = list(read_triples(sample_out / "void.ttl"))

    def subject_of(predicate: str) -> ox.NamedNode:
        return next(t.subject for t in void if t.predicate == N(predicate))

    return Builds(
        sample_out=sample_out,
        extended_out=extended_out,
        sample_report=json.loads((sample_out / "report.json").read_text()),
        her2=_block(sample_out / "pfocr.ttl", FIG),
        extended=_block(extended_out / "pfocr.ttl", XFIG),
        void=void,
        version=subject_of("pav:version"),
        distribution=next(t.subject for t in void if t.object == N("dcat:Distribution")),
        partition=subject_of("void:class"),
    )


@pytest.fixture(scope="session")
def shacl_engine():
    return make_engine("shacl")


@pytest.fixture(scope="session")
def pyshacl_engine():
    return make_engine("pyshacl")


# The sample --------------------------------------------------------------------------------------
def test_sample_build_publishes_everything_with_validation_on(builds: Builds) -> None:
    report = builds.sample_report
    assert report["validation"]["enabled"] is True
    assert report["records_read"] == 55
    assert report["published"] == 55
    assert report["rejected"] == []
    assert report["validation"]["warnings"] == 30


def _sample_findings(builds: Builds, engine) -> list[Finding]:
    return validate_files([builds.sample_out / "pfocr.ttl", builds.sample_out / "void.ttl"], engine).findings


def _papers_without_doi() -> set[str]:
    """Read from the source records, independently of the mapping."""
    missing = set()
    for record in (SAMPLE / "_figures").glob("*.md"):
        fields = yaml.safe_load(record.read_text(encoding="utf-8").split("---")[1])
        if str(fields.get("doi") or "NA").strip() in ("NA", ".na.character", "", "nan"):
            missing.add(f"<https://identifiers.org/pmc/{fields['pmcid']}>")
    return missing


def test_sample_conforms_and_its_warnings_are_the_expected_ones(builds: Builds, shacl_engine) -> None:
    findings = _sample_findings(builds, shacl_engine)
    assert [f for f in findings if f.severity == "Violation"] == []
    warnings = {(f.shape.rsplit("#", 1)[1], f.focus) for f in findings if f.severity == "Warning"}
    expected = {("Paper-doiPresent", paper) for paper in _papers_without_doi()}
    # NCBI gene 32640 is listed with ncbigene_symbol NA in PMC171382's genes table.
    expected.add(("Gene-labelPresent", "<https://identifiers.org/ncbigene/32640>"))
    # PMC3393388 names only Micromonospora griseorubida, which no table or organism page resolves.
    expected.add(("FigureOrganismShape", f"<{FIGURES}PMC3393388__zac9991010360001.html>"))
    assert warnings == expected
    assert len(expected) == 30
    infos = {f.shape.rsplit("#", 1)[1] for f in findings if f.severity == "Info"}
    assert infos == {"GeneMention-linked", "ChemicalMention-linked", "DiseaseMention-linked"}
    assert all(f.message for f in findings)


def test_report_json_rows_carry_the_shacl_details(builds: Builds) -> None:
    rows = [row for row in builds.sample_report["warnings"] if "details" in row]
    assert len(rows) == 30
    doi = next(row for row in rows if row["details"]["shape"] == "pfocrsh:Paper-doiPresent")
    assert doi["severity"] == "warning"
    assert doi["field"] == "schema:sameAs"
    assert doi["details"]["constraint"] == "sh:MinCountConstraintComponent"
    assert doi["details"]["focus"] in doi["reason"]
    assert doi["file"].endswith(".md") and doi["figid"]


def test_extended_fixture_conforms(builds: Builds, shacl_engine) -> None:
    findings = validate_triples(shacl_engine, builds.extended)
    assert {(f.severity, f.shape.rsplit("#", 1)[1]) for f in findings} == {
        ("Info", "ChemicalMention-linked"),
        ("Info", "DiseaseMention-linked"),
    }


def test_chunking_does_not_change_the_findings(builds: Builds, shacl_engine) -> None:
    path = [builds.sample_out / "pfocr.ttl"]
    whole = validate_files(path, shacl_engine, figures_per_chunk=0)
    assert whole.chunks == 1
    for size in (1, 7):
        chunked = validate_files(path, shacl_engine, figures_per_chunk=size)
        assert chunked.chunks == -(-55 // size)
        assert chunked.figures == 55
        assert chunked.findings == whole.findings


# Mutations ---------------------------------------------------------------------------------------
Op = Callable[[list[ox.Triple]], list[ox.Triple]]


def drop(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal | None = None) -> Op:
    pred = N(p)
    return lambda ts: [
        t for t in ts if not (t.subject == s and t.predicate == pred and (o is None or t.object == o))
    ]


def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> Op:
    return lambda ts: [*ts, ox.Triple(s, N(p), o)]


def put(s: ox.NamedNode, predicates: str, o: ox.NamedNode | ox.Literal) -> Op:
    """Replace every value of each of the space-separated predicates (mirrors kept in step)."""

    def op(ts: list[ox.Triple]) -> list[ox.Triple]:
        for p in predicates.split():
            ts = add(s, p, o)(drop(s, p)(ts))
        return ts

    return op


class rename:
    """Replace a node everywhere; results about the old node are expected under the new name."""

    def __init__(self, old: ox.NamedNode, new: ox.NamedNode) -> None:
        self.old, self.new = old, new

    def __call__(self, ts: list[ox.Triple]) -> list[ox.Triple]:
        def swap(term):
            return self.new if term == self.old else term

        return [ox.Triple(swap(t.subject), t.predicate, swap(t.object)) for t in ts]


def void_node(name: str) -> Callable[[Builds], ox.NamedNode]:
    return lambda b: getattr(b, name)


Key = tuple[str, str | None, str]


def k(node: ox.NamedNode | ox.Literal, path: str | None, component: str) -> Key:
    return (str(node), iri(path) if path else None, component + "ConstraintComponent")


@dataclass
class Mutation:
    id: str
    base: str  # "her2", "extended" or "void"
    ops: list[Op] | Callable[[Builds], list[Op]]
    added: set[Key] | Callable[[Builds], set[Key]]
    removed: set[Key] = field(default_factory=set)
    severity: str = "Violation"

    def apply(self, builds: Builds) -> list[ox.Triple]:
        triples = list(getattr(builds, self.base))
        ops = self.ops(builds) if callable(self.ops) else self.ops
        for op in ops:
            triples = op(triples)
        return triples

    def expected(self, builds: Builds) -> set[Key]:
        return self.added(builds) if callable(self.added) else self.added

    def renames(self, builds: Builds) -> dict[str, str]:
        ops = self.ops(builds) if callable(self.ops) else self.ops
        return {str(op.old): str(op.new) for op in ops if isinstance(op, rename)}


def _distributions(builds: Builds) -> set[ox.NamedNode]:
    return {t.subject for t in builds.void if t.object == N("dcat:Distribution")}


NEW = N("https://example.org/not-described")
SYN = N("pfocr:SynonymMatch")

MUTATIONS: list[Mutation] = [
    # Figure ----------------------------------------------------------------------------------------
    Mutation(
        "figure-identifier-missing",
        "her2",
        [drop(FIG, "dcterms:identifier"), drop(FIG, "schema:identifier")],
        {k(FIG, "dcterms:identifier", "MinCount"), k(FIG, "schema:identifier", "MinCount")},
    ),
    Mutation(
        "figure-identifier-duplicated",
        "her2",
        [add(FIG, "dcterms:identifier", S("PMC3376449__F1"))],
        {k(FIG, "dcterms:identifier", "MaxCount"), k(FIG, "schema:identifier", "Equals")},
    ),
    Mutation(
        "figure-identifier-not-a-figid",
        "her2",
        [put(FIG, "dcterms:identifier schema:identifier", S("HER2 fig"))],
        {k(FIG, "dcterms:identifier", "Pattern")},
    ),
    Mutation(
        "figure-identifier-wrong-datatype",
        "her2",
        [put(FIG, "dcterms:identifier schema:identifier", typed("123", "xsd:integer"))],
        {k(FIG, "dcterms:identifier", "Datatype")},
    ),
    Mutation(
        "figure-schema-identifier-differs",
        "her2",
        [put(FIG, "schema:identifier", S("PMC3376449__F1"))],
        {k(FIG, "schema:identifier", "Equals")},
    ),
    Mutation(
        "figure-title-missing",
        "her2",
        [drop(FIG, "dc:title"), drop(FIG, "schema:name")],
        {k(FIG, "dc:title", "MinCount")},
    ),
    Mutation(
        "figure-title-not-english",
        "her2",
        [put(FIG, "dc:title schema:name", en("HER2-Signalweg", "de"))],
        {k(FIG, "dc:title", "LanguageIn")},
    ),
    Mutation(
        "figure-title-plain-string",
        "her2",
        [put(FIG, "dc:title schema:name", S("HER2 signaling pathway"))],
        {k(FIG, "dc:title", "Datatype"), k(FIG, "dc:title", "LanguageIn")},
    ),
    Mutation(
        "figure-name-differs",
        "her2",
        [put(FIG, "schema:name", en("HER2"))],
        {k(FIG, "schema:name", "Equals")},
    ),
    Mutation(
        "figure-description-missing",
        "her2",
        [drop(FIG, "dcterms:description"), drop(FIG, "schema:description")],
        {k(FIG, "dcterms:description", "MinCount")},
    ),
    Mutation(
        "figure-description-empty",
        "her2",
        [put(FIG, "dcterms:description schema:description", S(""))],
        {k(FIG, "dcterms:description", "MinLength")},
    ),
    Mutation(
        "figure-description-duplicated",
        "her2",
        [add(FIG, "dcterms:description", S("x")), add(FIG, "schema:description", S("x"))],
        {k(FIG, "dcterms:description", "MaxCount")},
    ),
    Mutation(
        "figure-schema-description-differs",
        "her2",
        [put(FIG, "schema:description", S("x"))],
        {k(FIG, "schema:description", "Equals")},
    ),
    Mutation(
        "figure-source-wrong",
        "her2",
        [put(FIG, "dc:source", S("WikiPathways"))],
        {k(FIG, "dc:source", "HasValue")},
    ),
    Mutation(
        "figure-source-duplicated",
        "her2",
        [add(FIG, "dc:source", S("PMC"))],
        {k(FIG, "dc:source", "MaxCount")},
    ),
    Mutation(
        "figure-license-literal",
        "her2",
        [put(FIG, "dcterms:license schema:license", S("CC0"))],
        {k(FIG, "dcterms:license", "NodeKind")},
    ),
    Mutation(
        "figure-license-missing",
        "her2",
        [drop(FIG, "dcterms:license"), drop(FIG, "schema:license")],
        {k(FIG, "dcterms:license", "MinCount")},
    ),
    Mutation(
        "figure-schema-license-differs",
        "her2",
        [put(FIG, "schema:license", N("https://example.org/l"))],
        {k(FIG, "schema:license", "Equals")},
    ),
    Mutation(
        "figure-url-missing",
        "her2",
        [drop(FIG, "schema:url"), drop(FIG, "foaf:page")],
        # dc:identifier is the figure's IRI, equal to its schema:url: without a url, they differ
        {k(FIG, "schema:url", "MinCount"), k(FIG, "dc:identifier", "Equals")},
    ),
    Mutation(
        "figure-page-differs",
        "her2",
        [put(FIG, "foaf:page", N("https://example.org/page"))],
        {k(FIG, "foaf:page", "Equals")},
    ),
    Mutation(
        "figure-creator-missing",
        "her2",
        [drop(FIG, "schema:creator")],
        {k(FIG, "schema:creator", "MinCount")},
    ),
    Mutation(
        "figure-image-wrong-class",
        "her2",
        [put(FIG, "schema:image foaf:depiction", PAPER)],
        {k(FIG, "schema:image", "Class")},
    ),
    Mutation(
        "figure-depiction-differs",
        "her2",
        [drop(FIG, "foaf:depiction")],
        {k(FIG, "foaf:depiction", "Equals")},
    ),
    Mutation(
        "figure-references-missing",
        "her2",
        [drop(FIG, p) for p in ("dcterms:references", "cito:cites", "schema:isBasedOn", "schema:citation")],
        {k(FIG, "dcterms:references", "MinCount")},
    ),
    Mutation(
        "figure-references-not-pmc",
        "her2",
        [put(FIG, "dcterms:references cito:cites schema:isBasedOn schema:citation", NEW)],
        {k(FIG, "dcterms:references", "Pattern"), k(FIG, "dcterms:references", "Class")},
    ),
    Mutation("figure-cites-differs", "her2", [drop(FIG, "cito:cites")], {k(FIG, "cito:cites", "Equals")}),
    Mutation(
        "figure-keywords-without-pathway-figure",
        "her2",
        [drop(FIG, "schema:keywords", S("pathway figure"))],
        {k(FIG, "schema:keywords", "HasValue")},
    ),
    Mutation(
        "figure-score-above-one",
        "her2",
        [put(FIG, "pfocr:pathwayScore", typed("1.5", "xsd:decimal"))],
        {k(FIG, "pfocr:pathwayScore", "MaxInclusive")},
    ),
    Mutation(
        "figure-score-negative",
        "her2",
        [put(FIG, "pfocr:pathwayScore", typed("-0.2", "xsd:decimal"))],
        {k(FIG, "pfocr:pathwayScore", "MinInclusive")},
    ),
    Mutation(
        "figure-score-duplicated",
        "her2",
        [add(FIG, "pfocr:pathwayScore", typed("0.5", "xsd:decimal"))],
        {k(FIG, "pfocr:pathwayScore", "MaxCount")},
    ),
    Mutation(
        "figure-score-wrong-datatype",
        "her2",
        [put(FIG, "pfocr:pathwayScore", typed("0.5", "xsd:double"))],
        {k(FIG, "pfocr:pathwayScore", "Datatype")},
    ),
    Mutation(
        "figure-type-not-in-list",
        "her2",
        [put(FIG, "pfocr:figureType", S("Poster"))],
        {k(FIG, "pfocr:figureType", "In")},
    ),
    Mutation(
        "figure-number-duplicated",
        "her2",
        [add(FIG, "pfocr:figureNumber", S("F2"))],
        {k(FIG, "pfocr:figureNumber", "MaxCount")},
    ),
    Mutation(
        "figure-alias-duplicated",
        "her2",
        [add(FIG, "pfocr:figidAlias", S("PMC3376449__F2"))],
        {k(FIG, "pfocr:figidAlias", "MaxCount")},
    ),
    Mutation(
        "figure-seealso-literal",
        "her2",
        [add(FIG, "rdfs:seeAlso", S("https://example.org/x"))],
        {k(FIG, "rdfs:seeAlso", "NodeKind")},
    ),
    Mutation(
        "figure-organism-not-ncbitaxon",
        "her2",
        [add(FIG, "wp:organism", N("obo:NCBITaxon_human"))],
        # ... and the added taxon has no name (TaxonShape)
        {k(FIG, "wp:organism", "Pattern"), k(N("obo:NCBITaxon_human"), "rdfs:label", "MinCount")},
    ),
    Mutation(
        "figure-predicted-organism-literal",
        "her2",
        [add(FIG, "pfocr:predictedOrganism", S("9606"))],
        {
            k(FIG, "pfocr:predictedOrganism", "NodeKind"),
            k(FIG, "pfocr:predictedOrganism", "Pattern"),
            k(S("9606"), "rdfs:label", "MinCount"),  # TaxonShape targets every predicted organism
        },
    ),
    Mutation(
        "figure-organism-name-empty",
        "her2",
        [add(FIG, "wp:organismName", S(""))],
        {k(FIG, "wp:organismName", "MinLength")},
    ),
    Mutation(
        "figure-organisms-unresolved",
        "her2",
        [drop(FIG, "wp:organism")],
        {k(FIG, None, "Or")},
        severity="Warning",
    ),
    Mutation(
        "figure-genes-all-synonym-matches",
        "her2",
        lambda b: [
            lambda ts: [
                ox.Triple(t.subject, t.predicate, SYN) if t.predicate == N("pfocr:matchType") else t
                for t in ts
            ]
        ],
        {k(FIG, None, "Not")},
        severity="Warning",
    ),
    Mutation(
        "figure-not-a-pathway", "her2", [drop(FIG, "rdf:type", N("wp:Pathway"))], {k(FIG, None, "Class")}
    ),
    Mutation(
        "figure-not-a-collection",
        "her2",
        [drop(FIG, "rdf:type", N("skos:Collection"))],
        {k(FIG, None, "Class")},
    ),
    Mutation(
        "figure-dc-identifier-missing",
        "her2",
        [drop(FIG, "dc:identifier")],
        {k(FIG, "dc:identifier", "MinCount"), k(FIG, "dc:identifier", "Equals")},
    ),
    Mutation(
        "figure-dc-identifier-literal",
        "her2",
        [drop(FIG, "dc:identifier"), add(FIG, "dc:identifier", S(HER2_ID))],
        {k(FIG, "dc:identifier", "NodeKind"), k(FIG, "dc:identifier", "Equals")},
    ),
    Mutation(
        "taxon-label-missing",
        "her2",
        [drop(N("obo:NCBITaxon_9606"), "rdfs:label")],
        {k(N("obo:NCBITaxon_9606"), "rdfs:label", "MinCount")},
    ),
    Mutation(
        "taxon-label-typed",
        "her2",
        [
            drop(N("obo:NCBITaxon_9606"), "rdfs:label"),
            add(N("obo:NCBITaxon_9606"), "rdfs:label", ox.Literal("Homo sapiens", language="la")),
        ],
        {k(N("obo:NCBITaxon_9606"), "rdfs:label", "Datatype")},
    ),
    Mutation(
        "pathway-not-a-figure", "her2", [add(NEW, "rdf:type", N("wp:Pathway"))], {k(NEW, None, "Class")}
    ),
    Mutation(
        "figure-subject-not-mesh",
        "extended",
        [put(XFIG, "dcterms:subject", N("meshv:Q000000"))],
        {k(XFIG, "dcterms:subject", "Pattern")},
    ),
    Mutation(
        "figure-disease-tag-not-doid",
        "extended",
        [put(XFIG, "wp:diseaseOntologyTag wp:ontologyTag", N("obo:HP_0000001"))],
        {k(XFIG, "wp:diseaseOntologyTag", "Pattern"), k(XFIG, "wp:ontologyTag", "Pattern")},
    ),
    # Image -----------------------------------------------------------------------------------------
    Mutation(
        "image-not-at-pmc",
        "her2",
        [rename(IMG, N("https://example.org/figure.jpg"))],
        {k(N("https://example.org/figure.jpg"), None, "Pattern")},
    ),
    Mutation(
        "image-not-a-foaf-image", "her2", [drop(IMG, "rdf:type", N("foaf:Image"))], {k(IMG, None, "Class")}
    ),
    Mutation(
        "image-content-url-missing",
        "her2",
        [drop(IMG, "schema:contentUrl")],
        {k(IMG, "schema:contentUrl", "MinCount")},
    ),
    Mutation(
        "image-format-not-a-media-type",
        "her2",
        [put(IMG, "schema:encodingFormat", S("JPEG"))],
        {k(IMG, "schema:encodingFormat", "Pattern")},
    ),
    # Paper -----------------------------------------------------------------------------------------
    Mutation(
        "paper-not-pmc-iri",
        "her2",
        [rename(PAPER, N("https://example.org/paper"))],
        {k(N("https://example.org/paper"), None, "Pattern"), k(FIG, "dcterms:references", "Pattern")},
    ),
    Mutation(
        "paper-not-a-publication-reference",
        "her2",
        [drop(PAPER, "rdf:type", N("wp:PublicationReference"))],
        {k(PAPER, None, "Class"), k(FIG, "dcterms:references", "Class")},
    ),
    Mutation(
        "paper-identifier-not-pmcid",
        "her2",
        [put(PAPER, "dcterms:identifier schema:identifier", S("3376449"))],
        {k(PAPER, "dcterms:identifier", "Pattern")},
    ),
    Mutation(
        "paper-identifier-missing",
        "her2",
        [drop(PAPER, "dcterms:identifier"), drop(PAPER, "schema:identifier")],
        {k(PAPER, "dcterms:identifier", "MinCount")},
    ),
    Mutation(
        "paper-source-wrong",
        "her2",
        [put(PAPER, "dc:source", S("PubMed"))],
        {k(PAPER, "dc:source", "HasValue")},
    ),
    Mutation(
        "paper-url-not-pmc-page",
        "her2",
        [put(PAPER, "schema:url", N("https://example.org/article"))],
        {k(PAPER, "schema:url", "Pattern")},
    ),
    Mutation(
        "paper-title-not-english",
        "her2",
        [put(PAPER, "dcterms:title schema:headline schema:name", en("Trastuzumab", "fr"))],
        {k(PAPER, "dcterms:title", "LanguageIn")},
    ),
    Mutation(
        "paper-title-missing",
        "her2",
        [drop(PAPER, "dcterms:title"), drop(PAPER, "schema:headline"), drop(PAPER, "schema:name")],
        {k(PAPER, "dcterms:title", "MinCount")},
        severity="Warning",
    ),
    Mutation(
        "paper-headline-differs",
        "her2",
        [put(PAPER, "schema:headline", en("Trastuzumab"))],
        {k(PAPER, "schema:headline", "Equals")},
    ),
    Mutation(
        "paper-year-not-gyear",
        "her2",
        [put(PAPER, "schema:datePublished dcterms:issued", S("2012"))],
        {k(PAPER, "schema:datePublished", "Datatype")},
    ),
    Mutation(
        "paper-issued-differs",
        "her2",
        [put(PAPER, "dcterms:issued", typed("2013", "xsd:gYear"))],
        {k(PAPER, "dcterms:issued", "Equals")},
    ),
    Mutation(
        "paper-doi-added",
        "her2",
        [add(PAPER, "schema:sameAs", N("https://doi.org/10.3389/fonc.2012.00062"))],
        set(),
        removed={k(PAPER, "schema:sameAs", "MinCount")},
        severity="Warning",
    ),
    Mutation(
        "paper-doi-malformed",
        "her2",
        [add(PAPER, "schema:sameAs", N("https://doi.org/fonc.2012.00062"))],
        {k(PAPER, "schema:sameAs", "Pattern")},
        removed={k(PAPER, "schema:sameAs", "MinCount")},
    ),
    Mutation(
        "paper-doi-duplicated",
        "extended",
        [add(XPAPER, "schema:sameAs", N("https://doi.org/10.1234/other"))],
        {k(XPAPER, "schema:sameAs", "MaxCount")},
        severity="Warning",
    ),
    Mutation(
        "paper-not-part-of-a-figure",
        "her2",
        [drop(PAPER, "dcterms:isPartOf")],
        {k(PAPER, "dcterms:isPartOf", "MinCount")},
    ),
    Mutation(
        "paper-part-of-wrong-class",
        "her2",
        [put(PAPER, "dcterms:isPartOf", IMG)],
        {k(PAPER, "dcterms:isPartOf", "Class")},
    ),
    Mutation(
        "paper-journal-wrong-class",
        "her2",
        [add(PAPER, "schema:isPartOf", IMG)],
        {k(PAPER, "schema:isPartOf", "Class")},
    ),
    Mutation(
        "paper-keyword-empty",
        "extended",
        [add(XPAPER, "schema:keywords", S(""))],
        {k(XPAPER, "schema:keywords", "MinLength")},
    ),
    Mutation(
        "paper-citation-duplicated",
        "her2",
        [add(PAPER, "dcterms:bibliographicCitation", S("Vu T. 2012."))],
        {k(PAPER, "dcterms:bibliographicCitation", "MaxCount")},
        severity="Warning",
    ),
    # Journal, publisher, creator -------------------------------------------------------------------
    Mutation(
        "journal-name-missing",
        "extended",
        [drop(JOURNAL, "schema:name")],
        {k(JOURNAL, "schema:name", "MinCount")},
    ),
    Mutation(
        "journal-abbreviation-duplicated",
        "extended",
        [add(JOURNAL, "schema:alternateName", S("J. Fixt."))],
        {k(JOURNAL, "schema:alternateName", "MaxCount")},
        severity="Warning",
    ),
    Mutation(
        "publisher-iri-not-under-journal",
        "extended",
        [rename(PUBLISHER, N("https://example.org/press"))],
        {k(N("https://example.org/press"), None, "Pattern")},
    ),
    Mutation(
        "publisher-not-an-organization",
        "extended",
        [drop(PUBLISHER, "rdf:type")],
        {k(PUBLISHER, None, "Class"), k(JOURNAL, "schema:publisher", "Class")},
    ),
    Mutation(
        "publisher-name-missing",
        "extended",
        [drop(PUBLISHER, "schema:name")],
        {k(PUBLISHER, "schema:name", "MinCount")},
    ),
    Mutation(
        "creator-not-wikipathways",
        "her2",
        [rename(CREATOR, N("https://example.org/org"))],
        {k(N("https://example.org/org"), None, "In")},
    ),
    Mutation(
        "creator-name-wrong",
        "her2",
        [put(CREATOR, "schema:name", S("WP"))],
        {k(CREATOR, "schema:name", "HasValue")},
    ),
    Mutation(
        "creator-name-duplicated",
        "her2",
        [add(CREATOR, "schema:name", S("WikiPathways.org"))],
        {k(CREATOR, "schema:name", "MaxCount")},
        severity="Warning",
    ),
    Mutation(
        "creator-url-missing", "her2", [drop(CREATOR, "schema:url")], {k(CREATOR, "schema:url", "MinCount")}
    ),
    # Gene ------------------------------------------------------------------------------------------
    Mutation(
        "gene-not-ncbigene-iri",
        "her2",
        [rename(GENE, N("https://identifiers.org/ncbigene/ERBB2"))],
        {
            k(N("https://identifiers.org/ncbigene/ERBB2"), None, "Pattern"),
            k(N("https://identifiers.org/ncbigene/ERBB2"), "wp:bdbEntrezGene", "Pattern"),
        },
    ),
    Mutation(
        "gene-not-a-schema-gene", "her2", [drop(GENE, "rdf:type", N("schema:Gene"))], {k(GENE, None, "Class")}
    ),
    Mutation(
        "gene-identifier-missing",
        "her2",
        [drop(GENE, "dcterms:identifier"), drop(GENE, "schema:identifier")],
        {k(GENE, "dcterms:identifier", "MinCount")},
    ),
    Mutation(
        "gene-identifier-not-numeric",
        "her2",
        [put(GENE, "dcterms:identifier schema:identifier", S("ERBB2"))],
        {k(GENE, "dcterms:identifier", "Pattern")},
    ),
    Mutation(
        "gene-source-wrong",
        "her2",
        [put(GENE, "dc:source", S("NCBI"))],
        {k(GENE, "dc:source", "In"), k(GENE, "dc:source", "HasValue")},
    ),
    Mutation(
        "gene-bdb-missing",
        "her2",
        [drop(GENE, "wp:bdbEntrezGene")],
        {k(GENE, "wp:bdbEntrezGene", "MinCount")},
    ),
    Mutation(
        "gene-url-not-ncbi",
        "her2",
        [put(GENE, "schema:url", N("https://example.org/gene/2064"))],
        {k(GENE, "schema:url", "Pattern")},
    ),
    Mutation(
        "gene-label-duplicated",
        "her2",
        [add(GENE, "rdfs:label", S("HER2")), add(GENE, "schema:name", S("HER2"))],
        {k(GENE, "rdfs:label", "MaxCount")},
        severity="Warning",
    ),
    Mutation(
        "gene-label-missing",
        "her2",
        # as published when no record gives a symbol: named by the identifier, no rdfs:label
        [drop(GENE, "rdfs:label"), put(GENE, "schema:name", S("NCBI Gene 2064"))],
        {k(GENE, "rdfs:label", "MinCount")},
        severity="Warning",
    ),
    Mutation(
        "gene-name-missing",
        "her2",
        [drop(GENE, "schema:name")],
        {k(GENE, "schema:name", "MinCount"), k(GENE, None, "Or")},
    ),
    Mutation("gene-name-differs", "her2", [put(GENE, "schema:name", S("HER2"))], {k(GENE, None, "Or")}),
    Mutation(
        "gene-taxon-literal",
        "her2",
        [put(GENE, "obo:RO_0002162", S("9606"))],
        {k(GENE, "obo:RO_0002162", "NodeKind"), k(GENE, "obo:RO_0002162", "Pattern")},
    ),
    Mutation(
        "gene-not-part-of-a-figure",
        "her2",
        [drop(GENE, "dcterms:isPartOf")],
        {k(GENE, "dcterms:isPartOf", "MinCount")},
    ),
    Mutation(
        "gene-part-of-wrong-class",
        "her2",
        [put(GENE, "dcterms:isPartOf", PAPER)],
        {k(GENE, "dcterms:isPartOf", "Class")},
    ),
    # Chemicals -------------------------------------------------------------------------------------
    Mutation(
        "chebi-not-chebi-iri",
        "extended",
        [rename(CHEBI, N("https://identifiers.org/chebi/4167"))],
        {
            k(N("https://identifiers.org/chebi/4167"), None, "Pattern"),
            k(N("https://identifiers.org/chebi/4167"), "wp:bdbChEBI", "Pattern"),
        },
    ),
    Mutation(
        "chebi-identifier-without-prefix",
        "extended",
        [put(CHEBI, "dcterms:identifier schema:identifier", S("4167"))],
        {k(CHEBI, "dcterms:identifier", "Pattern")},
    ),
    Mutation(
        "chebi-source-wrong",
        "extended",
        [put(CHEBI, "dc:source", S("MeSH"))],
        {k(CHEBI, "dc:source", "HasValue")},
    ),
    Mutation(
        "chebi-bdb-duplicated",
        "extended",
        [add(CHEBI, "wp:bdbChEBI", N("chebi:CHEBI:17234"))],
        {k(CHEBI, "wp:bdbChEBI", "MaxCount")},
    ),
    Mutation(
        "chebi-url-literal",
        "extended",
        [put(CHEBI, "schema:url", S("https://www.ebi.ac.uk/chebi/"))],
        {k(CHEBI, "schema:url", "NodeKind")},
    ),
    Mutation(
        "chebi-conflicting-names",
        "extended",
        [add(CHEBI, "rdfs:label", S("glucose")), add(CHEBI, "schema:name", S("glucose"))],
        {k(CHEBI, "rdfs:label", "MaxCount")},
        severity="Warning",
    ),
    Mutation(
        "chebi-label-wrong-datatype",
        "extended",
        [put(CHEBI, "rdfs:label schema:name", en("D-glucose"))],
        {k(CHEBI, "rdfs:label", "Datatype"), k(CHEBI, "schema:name", "Datatype")},
    ),
    Mutation(
        "chebi-label-missing",
        "extended",
        # as published when no record gives a name: named by the identifier, no rdfs:label
        [drop(CHEBI, "rdfs:label"), put(CHEBI, "schema:name", S("CHEBI:4167"))],
        {k(CHEBI, "rdfs:label", "MinCount")},
        severity="Warning",
    ),
    Mutation(
        "chebi-name-missing",
        "extended",
        [drop(CHEBI, "schema:name")],
        {k(CHEBI, "schema:name", "MinCount"), k(CHEBI, None, "Or")},
    ),
    Mutation(
        "chebi-name-differs", "extended", [put(CHEBI, "schema:name", S("sugar"))], {k(CHEBI, None, "Or")}
    ),
    Mutation(
        "chebi-not-a-chemical-substance",
        "extended",
        [drop(CHEBI, "rdf:type", N("schema:ChemicalSubstance"))],
        {k(CHEBI, None, "Or")},
    ),
    Mutation(
        "chemical-exact-match-not-mesh",
        "extended",
        [put(CHEBI, "skos:exactMatch", N("chebi:CHEBI:4167"))],
        {k(CHEBI, "skos:exactMatch", "Pattern")},
    ),
    Mutation(
        "mesh-chemical-source-wrong",
        "extended",
        [put(MESHCHEM, "dc:source", S("ChEBI"))],
        {k(MESHCHEM, None, "Or")},
    ),
    Mutation(
        "mesh-chemical-not-mesh-iri",
        "extended",
        [rename(MESHCHEM, N("https://identifiers.org/mesh/acetyl"))],
        {k(N("https://identifiers.org/mesh/acetyl"), None, "Or")},
    ),
    Mutation(
        "mesh-chemical-two-exact-matches",
        "extended",
        [add(MESHCHEM, "skos:exactMatch", N("meshv:D000105"))],
        {k(MESHCHEM, None, "Or")},
    ),
    Mutation(
        "chemical-not-a-data-node",
        "extended",
        [drop(MESHCHEM, "rdf:type", N("wp:DataNode"))],
        {k(MESHCHEM, None, "Class")},
    ),
    Mutation(
        "chemical-source-unknown",
        "extended",
        [put(MESHCHEM, "dc:source", S("PubChem"))],
        {k(MESHCHEM, "dc:source", "In"), k(MESHCHEM, None, "Or")},
    ),
    # Disease tags ----------------------------------------------------------------------------------
    Mutation(
        "disease-tag-conflicting-labels",
        "extended",
        [add(DOID, "rdfs:label", S("breast carcinoma"))],
        {k(DOID, "rdfs:label", "MaxCount")},
        severity="Warning",
    ),
    Mutation(
        "disease-tag-literal",
        "extended",
        [add(XFIG, "dcterms:subject", S("http://id.nlm.nih.gov/mesh/D001943"))],
        {
            k(XFIG, "dcterms:subject", "NodeKind"),
            k(S("http://id.nlm.nih.gov/mesh/D001943"), None, "NodeKind"),
        },
    ),
    # Mentions --------------------------------------------------------------------------------------
    Mutation(
        "mention-ocr-word-missing", "her2", [drop(GM, "pfocr:ocrWord")], {k(GM, "pfocr:ocrWord", "MinCount")}
    ),
    Mutation(
        "mention-ocr-word-duplicated",
        "her2",
        [add(GM, "pfocr:ocrWord", S("HER-2"))],
        {k(GM, "pfocr:ocrWord", "MaxCount")},
    ),
    Mutation(
        "mention-ocr-word-empty",
        "her2",
        [put(GM, "pfocr:ocrWord", S(""))],
        {k(GM, "pfocr:ocrWord", "MinLength")},
    ),
    Mutation(
        "mention-not-part-of-a-figure",
        "her2",
        [drop(GM, "dcterms:isPartOf")],
        {k(GM, "dcterms:isPartOf", "MinCount")},
    ),
    Mutation(
        "mention-part-of-wrong-class",
        "her2",
        [put(GM, "dcterms:isPartOf", PAPER)],
        {k(GM, "dcterms:isPartOf", "Class")},
    ),
    Mutation(
        "gene-mention-iri-not-a-fragment",
        "her2",
        [rename(GM, N("https://example.org/mention-of-erbb2"))],
        {k(N("https://example.org/mention-of-erbb2"), None, "Pattern")},
    ),
    Mutation(
        "gene-mention-about-wrong-class",
        "her2",
        [put(GM, "wp:isAbout schema:about", PAPER)],
        {k(GM, "wp:isAbout", "Class")},
    ),
    Mutation(
        "gene-mention-about-two-genes",
        "her2",
        [add(GM, "wp:isAbout", OTHER_GENE), add(GM, "schema:about", OTHER_GENE)],
        {k(GM, "wp:isAbout", "MaxCount")},
    ),
    Mutation(
        "gene-mention-unlinked",
        "her2",
        [drop(GM, "wp:isAbout"), drop(GM, "schema:about")],
        {k(GM, "wp:isAbout", "MinCount")},
        severity="Info",
    ),
    Mutation(
        "gene-mention-match-type-unknown",
        "her2",
        [put(GM, "pfocr:matchType", N("pfocr:GuessMatch"))],
        {k(GM, "pfocr:matchType", "In")},
    ),
    Mutation(
        "gene-mention-match-type-duplicated",
        "her2",
        [add(GM, "pfocr:matchType", N("pfocr:SymbolMatch"))],
        {k(GM, "pfocr:matchType", "MaxCount")},
    ),
    Mutation(
        "gene-mention-match-type-missing",
        "her2",
        [drop(GM, "pfocr:matchType")],
        {k(GM, "pfocr:matchType", "MinCount")},
        severity="Warning",
    ),
    Mutation(
        "gene-mention-match-source-wrong-datatype",
        "her2",
        [put(GM, "pfocr:matchSource", typed("1", "xsd:integer"))],
        {k(GM, "pfocr:matchSource", "Datatype")},
    ),
    Mutation(
        "gene-mention-matched-text-duplicated",
        "her2",
        [add(GM, "pfocr:matchedText", S("HER-2")), add(GM, "pfocr:matchedText", S("HER 2"))],
        {k(GM, "pfocr:matchedText", "MaxCount")},
    ),
    Mutation(
        "chemical-mention-about-a-gene",
        "extended",
        [put(CM, "wp:isAbout schema:about", XGENE)],
        {k(CM, "wp:isAbout", "Class")},
    ),
    Mutation(
        "chemical-mention-heading-duplicated",
        "extended",
        [add(CM, "pfocr:meshHeading", S("Dextrose"))],
        {k(CM, "pfocr:meshHeading", "MaxCount")},
    ),
    Mutation(
        "disease-mention-about-not-a-disease-term",
        "extended",
        [add(DM, "wp:isAbout", N("ncbigene:7157"))],
        {k(DM, "wp:isAbout", "Or"), k(DM, "wp:isAbout", "MaxCount")},
    ),
    Mutation(
        "disease-mention-unlinked",
        "extended",
        [drop(DM, "wp:isAbout")],
        {k(DM, "wp:isAbout", "MinCount")},
        severity="Info",
    ),
    # Dataset description ---------------------------------------------------------------------------
    Mutation(
        "summary-has-statistics",
        "void",
        lambda b: [add(SUMMARY, "void:triples", typed("1", "xsd:integer"))],
        {k(SUMMARY, "void:triples", "MaxCount")},
    ),
    Mutation(
        "summary-page-missing",
        "void",
        lambda b: [drop(SUMMARY, "foaf:page")],
        {k(SUMMARY, "foaf:page", "MinCount")},
    ),
    Mutation(
        "summary-title-not-english",
        "void",
        lambda b: [put(SUMMARY, "dcterms:title", en("PFOCR", "fr"))],
        {k(SUMMARY, "dcterms:title", "LanguageIn")},
    ),
    Mutation(
        "summary-version-wrong-class",
        "void",
        lambda b: [add(SUMMARY, "dcterms:hasVersion", NEW)],
        {k(SUMMARY, "dcterms:hasVersion", "Class")},
    ),
    Mutation(
        "dataset-publisher-missing",
        "void",
        lambda b: [drop(SUMMARY, "dcterms:publisher")],
        {k(SUMMARY, "dcterms:publisher", "MinCount")},
    ),
    Mutation(
        "version-triples-negative",
        "void",
        lambda b: [put(b.version, "void:triples", typed("-1", "xsd:integer"))],
        lambda b: {k(b.version, "void:triples", "MinInclusive")},
    ),
    Mutation(
        "version-triples-missing",
        "void",
        lambda b: [drop(b.version, "void:triples")],
        lambda b: {k(b.version, "void:triples", "MinCount")},
    ),
    Mutation(
        "version-created-not-a-date",
        "void",
        lambda b: [put(b.version, "pav:createdOn", S("today"))],
        lambda b: {k(b.version, "pav:createdOn", "Datatype")},
    ),
    Mutation(
        "version-figure-count-missing",
        "void",
        lambda b: [drop(b.version, "pfocr:figureCount")],
        lambda b: {k(b.version, "pfocr:figureCount", "MinCount")},
    ),
    # A string is not comparable with 0, which SHACL counts as failing sh:minInclusive as well.
    Mutation(
        "version-gene-count-wrong-datatype",
        "void",
        lambda b: [put(b.version, "pfocr:geneCount", S("1447"))],
        lambda b: {
            k(b.version, "pfocr:geneCount", "Datatype"),
            k(b.version, "pfocr:geneCount", "MinInclusive"),
        },
    ),
    Mutation(
        "version-summary-wrong-class",
        "void",
        lambda b: [put(b.version, "dcterms:isVersionOf", b.distribution)],
        lambda b: {k(b.version, "dcterms:isVersionOf", "Class")},
    ),
    Mutation(
        "version-without-distribution",
        "void",
        lambda b: [drop(b.version, "dcat:distribution")],
        lambda b: {k(b.version, "dcat:distribution", "MinCount")},
    ),
    Mutation(
        "version-not-a-void-dataset",
        "void",
        lambda b: [drop(b.version, "rdf:type", N("void:Dataset"))],
        lambda b: (
            {k(b.version, None, "Class"), k(SUMMARY, "dcterms:hasVersion", "Class")}
            | {k(d, "dcterms:isVersionOf", "Class") for d in _distributions(b)}
        ),
    ),
    Mutation(
        "distribution-media-type-differs",
        "void",
        lambda b: [put(b.distribution, "dcat:mediaType", S("text/plain"))],
        lambda b: {k(b.distribution, "dcat:mediaType", "Equals")},
    ),
    Mutation(
        "distribution-download-missing",
        "void",
        lambda b: [drop(b.distribution, "dcat:downloadURL"), drop(b.distribution, "void:dataDump")],
        lambda b: {k(b.distribution, "dcat:downloadURL", "MinCount")},
    ),
    Mutation(
        "distribution-format-not-a-media-type",
        "void",
        lambda b: [put(b.distribution, "dcterms:format dcat:mediaType", S("Turtle"))],
        lambda b: {k(b.distribution, "dcterms:format", "Pattern")},
    ),
    Mutation(
        "distribution-not-a-void-dataset",
        "void",
        lambda b: [drop(b.distribution, "rdf:type", N("void:Dataset"))],
        lambda b: {k(b.distribution, None, "Class")},
    ),
    Mutation(
        "partition-class-literal",
        "void",
        lambda b: [put(b.partition, "void:class", S("pfocr:Figure"))],
        lambda b: {k(b.partition, "void:class", "NodeKind")},
    ),
    Mutation(
        "partition-entities-wrong-datatype",
        "void",
        lambda b: [put(b.partition, "void:entities", S("55"))],
        lambda b: {
            k(b.partition, "void:entities", "Datatype"),
            k(b.partition, "void:entities", "MinInclusive"),
        },
    ),
]


def _keys(findings: list[Finding]) -> set[Key]:
    return {(f.focus, f.path, f.component) for f in findings}


@pytest.fixture(scope="session")
def base_findings(builds: Builds, shacl_engine) -> dict[str, list[Finding]]:
    return {
        name: validate_triples(shacl_engine, getattr(builds, name)) for name in ("her2", "extended", "void")
    }


def test_bases_have_no_violations(base_findings: dict[str, list[Finding]]) -> None:
    for name, findings in base_findings.items():
        assert [f for f in findings if f.severity == "Violation"] == [], name


def test_mutation_ids_are_unique() -> None:
    ids = [m.id for m in MUTATIONS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)
def test_mutation_is_reported_exactly(
    mutation: Mutation, builds: Builds, shacl_engine, base_findings: dict[str, list[Finding]]
) -> None:
    renames = mutation.renames(builds)
    base = [replace(f, focus=renames.get(f.focus, f.focus)) for f in base_findings[mutation.base]]
    mutated_triples = mutation.apply(builds)
    assert set(mutated_triples) != set(getattr(builds, mutation.base)), "the mutation changed nothing"
    mutated = validate_triples(shacl_engine, mutated_triples)
    added = _keys(mutated) - _keys(base)
    removed = _keys(base) - _keys(mutated)
    assert added == mutation.expected(builds)
    assert removed == mutation.removed
    # The severity named in the table is that of what the mutation adds (or, when it only
    # resolves something, of what it removes).
    changed = [f for f in mutated if (f.focus, f.path, f.component) in added]
    if not changed:
        changed = [f for f in base if (f.focus, f.path, f.component) in removed]
    assert {f.severity for f in changed} == {mutation.severity}
    assert all(f.message and f.shape for f in changed)


# Differential: pySHACL (reference) vs shacl (fast) -----------------------------------------------
def _engine_keys(findings: list[Finding]) -> set[tuple[str, str | None, str, str]]:
    return {f.key for f in findings}


def test_engines_agree_on_the_sample(builds: Builds, shacl_engine, pyshacl_engine) -> None:
    fast = _sample_findings(builds, shacl_engine)
    reference = _sample_findings(builds, pyshacl_engine)
    assert len(fast) == 45
    assert _engine_keys(fast) == _engine_keys(reference)
    # Beyond the required key, the engines also agree on value, message and source shape.
    assert set(fast) == set(reference)


def _nt(triples: list[ox.Triple]) -> str:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


@functools.cache
def _reference_engine():
    return make_engine("pyshacl")


def _reference_keys(text: str) -> set[tuple[str, str | None, str, str]]:
    return _engine_keys(_reference_engine().run(text))


def test_engines_agree_on_every_mutation(builds: Builds, shacl_engine) -> None:
    """pySHACL and shacl report the same (focus, path, component, severity) on every mutated graph.

    Each graph is validated whole by both engines. pySHACL needs ~0.3 s for a HER2 graph, so its
    runs are spread over the machine's cores (at most two) to keep the test short.
    """
    graphs = {name: getattr(builds, name) for name in ("her2", "extended", "void")}
    graphs.update({m.id: m.apply(builds) for m in MUTATIONS})
    texts = {name: _nt(triples) for name, triples in graphs.items()}
    fast = {name: _engine_keys(shacl_engine.run(text)) for name, text in texts.items()}
    workers = max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        reference = dict(zip(texts, pool.map(_reference_keys, texts.values(), chunksize=8), strict=True))
    disagreements = {name: fast[name] ^ reference[name] for name in texts if fast[name] != reference[name]}
    assert disagreements == {}
    assert len(texts) == len(MUTATIONS) + 3
    # Not vacuous: the mutations do change what both engines report.
    assert sum(fast[m.id] != fast[m.base] for m in MUTATIONS) == len(MUTATIONS)


# The build's batch validator ---------------------------------------------------------------------
def _items(builds: Builds, figids: list[str]) -> list[tuple[str, str, list[ox.Triple], str]]:
    wanted = {f"{FIGURES}{figid}.html": figid for figid in figids}
    items = []
    for chunk in iter_chunks([builds.sample_out / "pfocr.ttl"], 1):
        figid = wanted.get(chunk.figures[0]) if chunk.figures else None
        if figid:
            items.append((figid, chunk.figures[0], chunk.triples(), f"{figid}.md"))
    assert len(items) == len(figids)
    return items


def _sharing_pair(builds: Builds) -> tuple[str, str, ox.NamedNode]:
    """Two sample figures that both describe one gene node."""
    owners: dict[ox.NamedNode, list[str]] = {}
    for triple in read_triples(builds.sample_out / "pfocr.ttl"):
        if triple.predicate == N("dcterms:isPartOf") and triple.subject.value.startswith(vocab.NCBIGENE):
            owners.setdefault(triple.subject, []).append(triple.object.value[len(FIGURES) : -len(".html")])
    gene, figids = next((g, f) for g, f in sorted(owners.items(), key=lambda kv: kv[0].value) if len(f) >= 2)
    return figids[0], figids[1], gene


def test_batch_validator_attributes_shared_and_own_nodes(builds: Builds) -> None:
    first, second, gene = _sharing_pair(builds)
    items = _items(builds, [first, second, HER2_ID])
    validator = BatchValidator()
    clean = validator.validate(items)
    assert clean.rejected == {}

    # Breaking the shared gene node (in both blocks, as a mapping bug would) rejects both figures
    # that describe it, and nothing else.
    broken = [
        (
            f,
            i,
            add(gene, "dcterms:identifier", S("extra"))(ts) if any(t.subject == gene for t in ts) else ts,
            p,
        )
        for f, i, ts, p in items
    ]
    outcome = validator.validate(broken)
    assert set(outcome.rejected) == {first, second}
    problem = outcome.rejected[first][0]
    assert problem.severity == "error" and problem.figid == first and problem.file == f"{first}.md"
    assert problem.field == "dcterms:identifier"
    assert problem.details is not None and problem.details["focus"] == str(gene)
    assert problem.details["constraint"] == "sh:MaxCountConstraintComponent"
    assert str(gene) in problem.reason

    # Breaking a mention (a fragment of HER2) rejects HER2 only.
    broken = [(f, i, drop(GM, "pfocr:ocrWord")(ts) if f == HER2_ID else ts, p) for f, i, ts, p in items]
    outcome = validator.validate(broken)
    assert set(outcome.rejected) == {HER2_ID}
    assert [p.field for p in outcome.rejected[HER2_ID]] == ["pfocr:ocrWord"]


def test_batch_validator_counts_warnings_per_figure(builds: Builds) -> None:
    items = _items(builds, [HER2_ID, "PMC3393388__zac9991010360001"])
    outcome = BatchValidator().validate(items)
    assert outcome.rejected == {}
    # HER2: its paper has no DOI. PMC3393388: no DOI, and no resolved organism.
    assert outcome.warnings == {HER2_ID: 1, "PMC3393388__zac9991010360001": 2}
    assert {p.severity for p in outcome.problems} == {"warning"}
    assert len(outcome.problems) == 3


def test_batch_validator_pyshacl_engine_gives_the_same_outcome(builds: Builds) -> None:
    items = _items(builds, ["PMC3393388__zac9991010360001"])
    fast = BatchValidator(engine="shacl").validate(items)
    reference = BatchValidator(engine="pyshacl").validate(items)
    assert fast.warnings == reference.warnings == {"PMC3393388__zac9991010360001": 2}
    assert [p.as_dict() for p in fast.problems] == [p.as_dict() for p in reference.problems]


def test_build_rejects_a_figure_that_violates_the_shapes(tmp_path: Path) -> None:
    # A shapes file that HER2 cannot satisfy proves the build withholds violating figures.
    shapes = tmp_path / "strict.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix pfocr: <https://pfocr.wikipathways.org/vocab#> .\n"
        "<urn:test:NoHer2> a sh:NodeShape ;\n"
        f"  sh:targetNode <{FIGURES}{HER2_ID}.html> ;\n"
        '  sh:property [ sh:path pfocr:notMapped ; sh:minCount 1 ; sh:message "needs pfocr:notMapped" ] .\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    report = build(BuildOptions([SAMPLE], out, workers=1, shapes=shapes))
    assert report.published == 54
    assert report.exit_status == 1
    assert [r["figid"] for r in report.rejected] == [HER2_ID]
    assert report.rejected[0]["details"]["message"] == "needs pfocr:notMapped"
    assert HER2_ID not in (out / "pfocr.ttl").read_text(encoding="utf-8")


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown SHACL engine"):
        make_engine("jena")


# Shared nodes that figure records describe differently ---------------------------------------------
def test_variants_never_change_what_the_build_publishes(tmp_path: Path) -> None:
    # Two records of one article disagree on its DOI and on a gene symbol: whether they share a
    # batch (one validation graph) or not, both are published; the conflicts are warnings.
    for batch_size in (1, 2):
        report = build(BuildOptions([VARIANTS], tmp_path / str(batch_size), workers=1, batch_size=batch_size))
        assert (report.published, report.rejected) == (2, [])


def test_validate_sees_all_variants_whatever_the_chunk_size(tmp_path: Path, shacl_engine) -> None:
    build(BuildOptions([VARIANTS], tmp_path, workers=1, validate=False))
    whole = validate_files([tmp_path / "pfocr.ttl"], shacl_engine, figures_per_chunk=0)
    # The records' two symbols for gene 7157 are one label in the release (pfocr_ld/labels.py), so
    # only the paper's two DOIs remain a variant.
    assert {(f.focus, f.shape.rsplit("#", 1)[1]) for f in whole.findings} == {
        ("<https://identifiers.org/pmc/PMC9000002>", "Paper-doiConsistent"),
    }
    chunked = validate_files([tmp_path / "pfocr.ttl"], shacl_engine, figures_per_chunk=1)
    assert chunked.chunks == 2 and chunked.findings == whole.findings


def test_a_bad_value_of_a_shared_node_concerns_only_the_figure_that_holds_it(tmp_path: Path) -> None:
    build(BuildOptions([VARIANTS], tmp_path, workers=1, validate=False))
    blocks = {c.figures[0]: c.triples() for c in iter_chunks([tmp_path / "pfocr.ttl"], 1) if c.figures}
    a, b = (f"{FIGURES}PMC9000002__variant-{v}.html" for v in "ab")
    paper = N("pmc:PMC9000002")
    bad = N("https://doi.org/not-a-doi")
    items = [
        ("variant-a", a, blocks[a], "a.md"),
        ("variant-b", b, add(paper, "schema:sameAs", bad)(blocks[b]), "b.md"),
    ]
    outcome = BatchValidator().validate(items)
    assert set(outcome.rejected) == {"variant-b"}
    assert [p.details["shape"] for p in outcome.rejected["variant-b"]] == ["pfocrsh:Paper-doi"]
    # The conflict itself (two DOIs in one graph) is reported, as a warning, to both figures.
    doi_conflicts = [p.figid for p in outcome.problems if p.details["shape"] == "pfocrsh:Paper-doiConsistent"]
    assert sorted(doi_conflicts) == ["variant-a", "variant-b"]
