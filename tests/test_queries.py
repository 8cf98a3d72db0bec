"""The named-query library against the bundled sample, checked against the source files themselves.

Expected values are computed here from ``examples/pfocr-sample`` (the ``_data/*.tsv`` tables read
with csv, the ``_figures/*.md`` front matter with yaml) — never from stored query output — so a
mapping or query mistake shows up as a difference. Also covered: parameter binding and injection
attempts, conditional lines, the result writers, the WikiPathways example queries and the CLI.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import orjson
import pyoxigraph as ox
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pfocr_ld import ordering, vocab
from pfocr_ld.build import BuildOptions, BuildReport, build
from pfocr_ld.cli import main
from pfocr_ld.query import (
    EmbeddedSource,
    ParameterError,
    QueryError,
    Result,
    apply_conditions,
    bind,
    get_query,
    inject_values,
    library,
    parse_query_text,
    run_named,
    run_query,
    values_block,
    write_result,
)
from pfocr_ld.store import load_dumps

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"
HER2 = "PMC3376449__fonc-02-00062-g001"
MISSING = {"", "NA", "NaN", ".na.character"}
NAMES = sorted(p.stem for p in (REPO / "pfocr_ld" / "queries").glob("*.rq"))


# Independent reading of the sample ------------------------------------------------------------
def present(value: str | None) -> str | None:
    if value is None or value.strip() in MISSING:
        return None
    return value.strip()


def front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---", 2)[1])


def table(figid: str, kind: str) -> list[dict[str, str]]:
    path = SAMPLE / "_data" / f"{figid}-{kind}.tsv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


class Sample:
    """What the source files say, in the shape the queries answer."""

    def __init__(self) -> None:
        self.figures = {
            front_matter(p)["figid"]: front_matter(p) for p in sorted((SAMPLE / "_figures").glob("*.md"))
        }
        self.gene_rows = {
            f: [r for r in table(f, "genes") if (present(r["ncbigene_id"]) or "").isdigit()]
            for f in self.figures
        }
        self.genes = {f: {r["ncbigene_id"].strip() for r in rows} for f, rows in self.gene_rows.items()}
        self.chemicals = {f: table(f, "chemicals") for f in self.figures}
        self.diseases = {f: table(f, "diseases") for f in self.figures}

    def organisms(self, figid: str) -> set[str]:
        return {str(o) for o in self.figures[figid].get("organisms") or [] if present(str(o))}

    def title(self, figid: str) -> str:
        return " ".join(str(self.figures[figid]["figtitle"]).split())

    def figures_with_gene(
        self, gene: str, *, source: str | None = None, taxon: str | None = None
    ) -> set[str]:
        return {
            f
            for f, rows in self.gene_rows.items()
            for r in rows
            if r["ncbigene_id"].strip() == gene
            and (source is None or r["source"] == source)
            and (taxon is None or r["organism_id"] == taxon)
        }

    def chemical_ids(self, row: dict[str, str]) -> tuple[str | None, str | None]:
        """(ChEBI number, MeSH id) of a chemicals row, in either table generation."""
        if "chebi" in row:
            chebi, mesh = present(row.get("chebi")), present(row.get("mesh"))
            return (chebi.split(":")[1] if chebi else None, mesh.split(":")[1] if mesh else None)
        source, identifier = (row.get("source") or "").upper(), present(row.get("identifier"))
        return (
            identifier.split(":")[-1] if source == "CHEBI" and identifier else None,
            identifier if source == "MESH" and identifier else None,
        )

    def figures_with_chebi(self, number: str) -> set[str]:
        return {f for f, rows in self.chemicals.items() for r in rows if self.chemical_ids(r)[0] == number}

    def figures_with_mesh_chemical(self, mesh: str) -> set[str]:
        # The mapping links a shared ChEBI node to every MeSH id any row pairs it with, so a MeSH id
        # reaches the figures of those ChEBI ids too.
        chebis = {
            c
            for rows in self.chemicals.values()
            for r in rows
            for c, m in [self.chemical_ids(r)]
            if m == mesh and c
        }
        return {
            f
            for f, rows in self.chemicals.items()
            for r in rows
            for c, m in [self.chemical_ids(r)]
            if m == mesh or (c and c in chebis)
        }


@pytest.fixture(scope="module")
def sample() -> Sample:
    return Sample()


@pytest.fixture(scope="module")
def build_dir(build_dir: Path, sample_build: tuple[Path, BuildReport]) -> Path:
    """The shared sample build (tests/conftest.py), every record of the sample published."""
    assert sample_build[1].published == len(list((SAMPLE / "_figures").glob("*.md")))
    return build_dir


@pytest.fixture(scope="module")
def source(build_dir: Path) -> EmbeddedSource:
    store = ox.Store()
    load_dumps(store, [build_dir])
    return EmbeddedSource(store)


def rows(result: Result) -> list[dict[str, Any]]:
    return list(result.values())


def column(result: Result, name: str) -> set[Any]:
    return {row[name] for row in result.values()}


# The library itself ---------------------------------------------------------------------------
def test_library_has_the_named_queries() -> None:
    assert set(library()) == {
        "genes-of-figure",
        "figures-for-gene",
        "figures-for-chemical",
        "figures-for-disease",
        "figures-per-organism",
        "cooccurring-genes",
        "figures-of-paper",
        "gene-sets",
        "dataset-metadata",
    }
    assert set(library()) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_header_documents_the_query(name: str) -> None:
    query = library()[name]
    assert query.title and len(query.description) > 40
    assert query.example.get("command", "").startswith(f"pfocr-ld query {name}")
    assert "params" in query.example
    body = "\n".join(line for line in query.text.splitlines() if not line.startswith("#"))
    for parameter in query.parameters:
        assert parameter.example is not None and parameter.description
        for variable in parameter.bound_variables():
            # pyoxigraph substitutes only projected variables: each bindable one must be selected.
            select = body.split("WHERE")[0]
            assert f"?{variable}" in select, (name, variable)
    # PREFIX lines agree with the package's prefix map.
    for prefix, iri in re.findall(r"^PREFIX\s+(\w*):\s*<([^>]+)>", body, re.MULTILINE):
        assert vocab.PREFIXES[prefix] == iri, (name, prefix)


@pytest.mark.parametrize("name", NAMES)
def test_every_variant_is_plain_sparql_11(name: str) -> None:
    """Each combination of parameters yields a query that a second, independent SPARQL 1.1 parser
    (rdflib's) accepts — so no Oxigraph-only syntax slips in."""
    from rdflib.plugins.sparql import prepareQuery

    query = library()[name]
    optional = [p for p in query.parameters if not p.required]
    required = {p.name: p.example for p in query.parameters if p.required}
    for size in range(len(optional) + 1):
        for chosen in combinations(optional, size):
            params = dict(required) | {p.name: p.example for p in chosen}
            prepareQuery(bind(query, params).text)


def test_example_rows_match_the_sample(source: EmbeddedSource) -> None:
    for name, query in library().items():
        result = rows(run_named(source, name, **query.example["params"]))
        assert result, name
        if "rows" in query.example:
            assert len(result) == query.example["rows"], name
        for expected in query.example.get("result") or []:
            assert any(all(str(row.get(k)) == str(v) for k, v in expected.items()) for row in result), (
                name,
                expected,
            )


# Each named query against the source files -----------------------------------------------------
def test_genes_of_figure(source: EmbeddedSource, sample: Sample) -> None:
    result = rows(run_named(source, "genes-of-figure", figid=HER2))
    assert {r["geneId"] for r in result} == sample.genes[HER2]
    assert len(result) == len(sample.genes[HER2])  # one row per gene however often it was matched
    symbols = {r["ncbigene_id"]: r["ncbigene_symbol"] for r in sample.gene_rows[HER2]}
    assert {r["geneId"]: r["symbol"] for r in result} == symbols
    assert {r["gene"] for r in result} == {vocab.NCBIGENE + g for g in sample.genes[HER2]}


@pytest.mark.parametrize(
    "figid", ["PMC100003__mb2410470011", "PMC171382__pq1632821001", "PMC100028__ii1110348001"]
)
def test_genes_of_other_figures(source: EmbeddedSource, sample: Sample, figid: str) -> None:
    assert column(run_named(source, "genes-of-figure", figid=figid), "geneId") == sample.genes[figid]


@pytest.mark.parametrize("gene", ["2064", "7099", "5594", "32640"])
def test_figures_for_gene(source: EmbeddedSource, sample: Sample, gene: str) -> None:
    expected = sample.figures_with_gene(gene)
    assert expected
    assert column(run_named(source, "figures-for-gene", gene=gene), "figid") == expected
    strict = column(run_named(source, "figures-for-gene", gene=gene, strict=True), "figid")
    assert strict == sample.figures_with_gene(gene, source="ncbigene_symbol")


def test_figures_for_gene_by_symbol_and_taxon(source: EmbeddedSource, sample: Sample) -> None:
    by_symbol = defaultdict(set)
    for figid, gene_rows in sample.gene_rows.items():
        for r in gene_rows:
            by_symbol[r["ncbigene_symbol"]].add(figid)
    result = rows(run_named(source, "figures-for-gene", gene="ERBB2"))
    assert {r["figid"] for r in result} == by_symbol["ERBB2"]
    assert {r["geneId"] for r in result} == {"2064"}
    assert column(run_named(source, "figures-for-gene", gene="erbb2"), "figid") == set()  # case-sensitive
    # The gene whose symbol is NA has no label: found by id only.
    assert rows(run_named(source, "figures-for-gene", gene="32640"))[0]["symbol"] is None
    mouse = sample.figures_with_gene("11651", taxon="10090")
    assert (
        mouse and column(run_named(source, "figures-for-gene", gene="11651", taxon="10090"), "figid") == mouse
    )
    assert column(run_named(source, "figures-for-gene", gene="11651", taxon="9606"), "figid") == set()
    assert column(run_named(source, "figures-for-gene", gene="Akt1"), "geneId") == {"11651"}


def test_figures_for_gene_by_organism(source: EmbeddedSource, sample: Sample) -> None:
    gene = "2064"
    for name in ("Homo sapiens", "Mus musculus", "Danio rerio"):
        expected = {f for f in sample.figures_with_gene(gene) if name in sample.organisms(f)}
        result = rows(run_named(source, "figures-for-gene", gene=gene, organism=name))
        assert {r["figid"] for r in result} == expected, name
        assert all(r["organismName"] == name for r in result)
    human = column(run_named(source, "figures-for-gene", gene=gene, organism="9606"), "figid")
    assert human == {f for f in sample.figures_with_gene(gene) if "Homo sapiens" in sample.organisms(f)}


def test_figures_for_chemical(source: EmbeddedSource, sample: Sample) -> None:
    for chebi in ("35366", "4167", "23981"):
        expected = sample.figures_with_chebi(chebi)
        assert expected
        for spelling in (f"CHEBI:{chebi}", f"chebi:{chebi}"):
            assert column(run_named(source, "figures-for-chemical", chemical=spelling), "figid") == expected
    for mesh in ("D005227", "D005947", "D014530", "D008314"):
        expected = sample.figures_with_mesh_chemical(mesh)
        assert expected, mesh
        assert column(run_named(source, "figures-for-chemical", chemical=mesh), "figid") == expected, mesh


def test_figures_for_disease(source: EmbeddedSource, sample: Sample) -> None:
    meshes = Counter(
        r["mesh"].split(":")[1] for rs in sample.diseases.values() for r in rs if present(r["mesh"])
    )
    assert len(meshes) >= 5
    for mesh in meshes:
        expected = {f for f, rs in sample.diseases.items() for r in rs if r["mesh"] == f"mesh:{mesh}"}
        result = rows(run_named(source, "figures-for-disease", disease=mesh))
        assert {r["figid"] for r in result} == expected, mesh
        assert {r["disease"] for r in result} == {vocab.MESH_RDF + mesh}
    # The sample has no Disease Ontology ids: a DOID is a clean "no rows"; see the next test for one.
    assert rows(run_named(source, "figures-for-disease", disease="DOID:1612")) == []


def test_figures_for_disease_by_doid(tmp_path: Path) -> None:
    """A one-figure checkout whose diseases table has DOIDs, built and queried here."""
    site = tmp_path / "site"
    for sub in ("_figures", "_data"):
        (site / sub).mkdir(parents=True)
    shutil.copy(SAMPLE / "_figures" / f"{HER2}.md", site / "_figures")
    shutil.copy(SAMPLE / "_data" / f"{HER2}-genes.tsv", site / "_data")
    (site / "_data" / f"{HER2}-diseases.tsv").write_text(
        "word\tmesh\tmatch\tname\tdoid\n"
        "breast cancer\tmesh:D001943\tBreast Neoplasms\tbreast cancer\tdoid:1612\n"
        "tumor\tmesh:D009369\tNeoplasms\tcancer\tdoid:162\n",
        encoding="utf-8",
    )
    build(BuildOptions([site], tmp_path / "out", workers=1, validate=False, progress=False))
    store = ox.Store()
    load_dumps(store, [tmp_path / "out"])
    one = EmbeddedSource(store)
    for disease, name in (("DOID:1612", "breast cancer"), ("doid:162", "cancer"), ("D001943", None)):
        result = rows(run_named(one, "figures-for-disease", disease=disease))
        assert [r["figid"] for r in result] == [HER2], disease
        assert result[0]["name"] == name
    assert rows(run_named(one, "figures-for-disease", disease="DOID:9255")) == []


def test_figures_per_organism(source: EmbeddedSource, sample: Sample) -> None:
    expected = Counter(name for figid in sample.figures for name in sample.organisms(figid))
    result = rows(run_named(source, "figures-per-organism"))
    assert {r["organismName"]: r["figures"] for r in result} == dict(expected)
    assert "NA" not in {r["organismName"] for r in result}
    counts = [r["figures"] for r in result]
    assert counts == sorted(counts, reverse=True)
    assert result[0] == {
        "organismName": "Homo sapiens",
        "organism": vocab.taxon_iri(9606),
        "figures": expected["Homo sapiens"],
    }


def _pair_counts(sample: Sample) -> Counter[tuple[str, str]]:
    pairs: Counter[tuple[str, str]] = Counter()
    for genes in sample.genes.values():
        iris = sorted(vocab.NCBIGENE + g for g in genes)
        pairs.update(combinations(iris, 2))
    return pairs


def test_cooccurring_genes_of_one_gene(source: EmbeddedSource, sample: Sample) -> None:
    for gene in ("2064", "5594"):
        expected: Counter[str] = Counter()
        for genes in sample.genes.values():
            if gene in genes:
                expected.update(g for g in genes if g != gene)
        result = rows(run_named(source, "cooccurring-genes", gene=gene))
        assert {r["partner"].rsplit("/", 1)[1]: r["figures"] for r in result} == dict(expected)
        assert [r["figures"] for r in result] == sorted((r["figures"] for r in result), reverse=True)
    by_symbol = rows(run_named(source, "cooccurring-genes", gene="MAPK1"))
    assert {r["gene"] for r in by_symbol} == {vocab.NCBIGENE + "5594"}


def test_cooccurring_genes_all_pairs(source: EmbeddedSource, sample: Sample) -> None:
    expected = _pair_counts(sample)
    result = rows(run_named(source, "cooccurring-genes"))
    assert len(result) == min(100, len(expected))
    assert result[0]["figures"] == max(expected.values())
    for r in result:
        assert r["gene"] < r["partner"]
        assert r["figures"] == expected[(r["gene"], r["partner"])]
    # Nothing left out ranks above the last row returned.
    returned = {(r["gene"], r["partner"]) for r in result}
    assert (
        max((n for pair, n in expected.items() if pair not in returned), default=0) <= result[-1]["figures"]
    )


def test_cooccurring_genes_by_organism(source: EmbeddedSource, sample: Sample) -> None:
    human = [f for f in sample.figures if "Homo sapiens" in sample.organisms(f)]
    expected: Counter[str] = Counter()
    for figid in human:
        if "2064" in sample.genes[figid]:
            expected.update(g for g in sample.genes[figid] if g != "2064")
    result = rows(run_named(source, "cooccurring-genes", gene="2064", organism="Homo sapiens"))
    assert {r["partner"].rsplit("/", 1)[1]: r["figures"] for r in result} == dict(expected)


def test_figures_of_paper(source: EmbeddedSource, sample: Sample) -> None:
    by_pmcid = defaultdict(set)
    by_doi = defaultdict(set)
    for figid, fm in sample.figures.items():
        by_pmcid[fm["pmcid"]].add(figid)
        if present(str(fm.get("doi") or "")):
            by_doi[str(fm["doi"])].add(figid)
    assert by_doi
    for pmcid, figids in by_pmcid.items():
        result = rows(run_named(source, "figures-of-paper", paper=pmcid))
        assert {r["figid"] for r in result} == figids
        assert {r["pmcid"] for r in result} == {pmcid}
    for doi, figids in by_doi.items():
        for spelling in (doi, f"doi:{doi}", f"https://doi.org/{doi}"):
            assert column(run_named(source, "figures-of-paper", paper=spelling), "figid") == figids, spelling
    assert (
        column(run_named(source, "figures-of-paper", paper="pmc3376449"), "figid") == by_pmcid["PMC3376449"]
    )


def _gmt(result: Result, name: str = "gene-sets") -> dict[str, tuple[str, list[str]]]:
    out = io.StringIO()
    write_result(result, "gmt", out, query=get_query(name))
    sets = {}
    for line in out.getvalue().splitlines():
        fields = line.split("\t")
        assert len(fields) >= 3 and fields[0] not in sets
        sets[fields[0]] = (fields[1], fields[2:])
    return sets


def test_gene_sets_gmt(source: EmbeddedSource, sample: Sample) -> None:
    sets = _gmt(run_named(source, "gene-sets"))
    assert {k: set(v[1]) for k, v in sets.items()} == {f: g for f, g in sample.genes.items() if g}
    for figid, (description, genes) in sets.items():
        assert description == sample.title(figid)
        assert len(genes) == len(set(genes))
    human = _gmt(run_named(source, "gene-sets", taxon="9606"))
    expected = defaultdict(set)
    for figid, gene_rows in sample.gene_rows.items():
        for r in gene_rows:
            if r["organism_id"] == "9606":
                expected[figid].add(r["ncbigene_id"])
    assert {k: set(v[1]) for k, v in human.items()} == dict(expected)


def test_dataset_metadata(source: EmbeddedSource, sample: Sample, build_dir: Path) -> None:
    [row] = rows(run_named(source, "dataset-metadata"))
    assert row["figures"] == len(sample.figures)
    assert row["genes"] == len(set().union(*sample.genes.values()))
    assert row["papers"] == len({fm["pmcid"] for fm in sample.figures.values()})
    chemical_nodes = set()
    for chemical_rows in sample.chemicals.values():
        for r in chemical_rows:
            chebi, mesh = sample.chemical_ids(r)
            if chebi or mesh:
                chemical_nodes.add(f"chebi:{chebi}" if chebi else f"mesh:{mesh}")
    assert row["chemicals"] == len(chemical_nodes)
    assert row["license"] == vocab.CC0
    # SOURCE_DATE_EPOCH of the test build, then the digest of the release's content
    assert re.fullmatch(r"2026-01-01-[0-9a-f]{8}", row["version"])
    # No void.ttl loaded, no rows.
    store = ox.Store()
    load_dumps(store, [build_dir / "pfocr.nt.gz"])
    assert rows(run_named(EmbeddedSource(store), "dataset-metadata")) == []


# WikiPathways-style queries (the model doc's paraphrases; the real files: test_wikipathways_sparql)
WP_PREFIXES = "\n".join(f"PREFIX {p}: <{vocab.PREFIXES[p]}>" for p in ("wp", "rdfs", "dcterms", "dc"))


def test_wikipathways_genes_of_a_pathway(source: EmbeddedSource, sample: Sample) -> None:
    query = (
        WP_PREFIXES
        + """
SELECT DISTINCT ?geneProduct ?label WHERE {
  ?geneProduct a wp:GeneProduct ; rdfs:label ?label ; dcterms:isPartOf ?pathway .
  ?pathway a wp:Pathway ; dcterms:identifier "PMC3376449__fonc-02-00062-g001" .
}"""
    )
    result = rows(run_query(source, query))
    expected = {(vocab.NCBIGENE + r["ncbigene_id"], r["ncbigene_symbol"]) for r in sample.gene_rows[HER2]}
    assert {(r["geneProduct"], r["label"]) for r in result} == expected


def test_wikipathways_pathways_for_a_species(source: EmbeddedSource, sample: Sample) -> None:
    query = (
        WP_PREFIXES
        + """
SELECT DISTINCT ?wpIdentifier ?pathway ?title WHERE {
  ?pathway dc:title ?title ; wp:organismName "Homo sapiens" ; dcterms:identifier ?wpIdentifier .
}"""
    )
    result = rows(run_query(source, query))
    expected = {f for f in sample.figures if "Homo sapiens" in sample.organisms(f)}
    assert {r["wpIdentifier"] for r in result} == expected
    assert {r["title"] for r in result} == {sample.title(f) for f in expected}


def test_wikipathways_pathways_for_a_datasource_identifier(source: EmbeddedSource, sample: Sample) -> None:
    query = (
        WP_PREFIXES
        + """
SELECT DISTINCT ?pathway ?node WHERE {
  ?node wp:bdbEntrezGene <https://identifiers.org/ncbigene/7099> ; dcterms:isPartOf ?pathway .
  ?pathway a wp:Pathway .
}"""
    )
    result = rows(run_query(source, query))
    expected = {vocab.DEFAULT_BASE + f + ".html" for f in sample.figures_with_gene("7099")}
    assert {r["pathway"] for r in result} == expected and len(expected) == 3


# Binding --------------------------------------------------------------------------------------
INJECTIONS = [
    '" } ; DROP ALL ; SELECT * { ?s ?p ?o',
    "> <http://evil.example/> <",
    '"} UNION { ?figure ?p ?o } #',
    'Homo sapiens" . } INSERT DATA { <a:b> <a:c> <a:d> } #',
    "'''\\u0022 } \\\\",
    "Homo sapiens 🧬 ünïcödé",
    "\\n } ; CLEAR DEFAULT",
]


def test_injections_are_data(source: EmbeddedSource) -> None:
    size = len(source.store)
    for text in INJECTIONS:
        # organism names may hold spaces and punctuation: each is one literal, matching nothing.
        assert rows(run_named(source, "figures-for-gene", gene="2064", organism=text)) == [], text
        assert rows(run_named(source, "figures-per-organism")) != []
        # The same values through the remote path's VALUES block, run here by the embedded engine.
        bound = bind(get_query("figures-for-gene"), {"gene": "2064", "organism": text})
        assert rows(source.execute(inject_values(bound.text, bound.bindings))) == [], text
    for text in ['"}>', 'TLR4"}', "<x>", "TLR4'"]:
        assert rows(run_named(source, "figures-for-gene", gene=text)) == [], text
    assert len(source.store) == size


@pytest.mark.parametrize(
    "name,params",
    [
        ("figures-for-gene", {"gene": "TLR4\n} DROP ALL"}),
        ("figures-for-gene", {"gene": "TLR4 } ; DROP ALL"}),
        ("figures-for-gene", {"gene": "2064", "organism": "Homo\nsapiens"}),
        ("genes-of-figure", {"figid": '" } ; DROP ALL ; SELECT * {'}),
        ("figures-for-chemical", {"chemical": "CHEBI:1> <x"}),
        ("figures-for-disease", {"disease": "DOID:12 }"}),
        ("figures-of-paper", {"paper": "PMC1 } #"}),
        ("figures-for-gene", {"gene": "2064", "taxon": "human"}),
        ("figures-for-gene", {"gene": "2064", "strict": "maybe"}),
        ("figures-for-gene", {"gen": "2064"}),
        ("figures-for-gene", {}),
    ],
)
def test_bad_parameters_are_usage_errors(name: str, params: dict[str, str]) -> None:
    with pytest.raises(ParameterError) as error:
        bind(get_query(name), params)
    assert error.value.exit_code == 2


def test_ad_hoc_parameters_with_any_text(source: EmbeddedSource) -> None:
    query = "PREFIX dcterms: <http://purl.org/dc/terms/>\nSELECT ?id ?s WHERE { ?s dcterms:identifier ?id }"
    assert len(rows(run_query(source, query, id=HER2))) == 1
    size = len(source.store)
    for text in [*INJECTIONS, "line\nbreak", "tab\there", "\x00nul"]:
        assert rows(run_query(source, query, id=text)) == []
        bound = bind(parse_query_text(query, "q"), {"id": text})
        assert rows(source.execute(inject_values(bound.text, bound.bindings))) == []
    assert len(source.store) == size
    iri = rows(
        run_query(
            source,
            "SELECT ?s ?id WHERE { ?s <http://purl.org/dc/terms/identifier> ?id }",
            s=f"<{vocab.DEFAULT_BASE}{HER2}.html>",
        )
    )
    assert [r["id"] for r in iri] == [HER2]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_values_block_round_trips_any_text(text: str) -> None:
    """Whatever the text, the VALUES block parses to exactly that literal (one term, no syntax)."""
    query = inject_values("SELECT ?x ?n WHERE { BIND(STRLEN(?x) AS ?n) }", {"x": ox.Literal(text)})
    [solution] = list(ox.Store().query(query))
    assert solution["x"] == ox.Literal(text)
    assert int(solution["n"].value) == len(text)


def test_values_go_at_the_start_of_the_where_group() -> None:
    bindings = {"gene": ox.NamedNode(vocab.gene_iri("1"))}
    query = (
        'PREFIX x: <http://x/#{>\n# a { comment\nSELECT ?gene (COUNT(*) AS ?n) WHERE { ?gene ?p "}{" . '
        "FILTER(?n < 3 && EXISTS { ?a ?b ?c }) } GROUP BY ?gene"
    )
    injected = inject_values(query, bindings)
    assert '"}{" .' in injected
    assert injected.index("VALUES (?gene) { (<https://identifiers.org/ncbigene/1>) }") > injected.index(
        "WHERE {"
    )
    construct = inject_values("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": ox.NamedNode("http://a/")})
    assert construct.startswith("CONSTRUCT { ?s ?p ?o } WHERE {\n  VALUES (?s)")
    with pytest.raises(QueryError):
        inject_values("CONSTRUCT WHERE { ?s ?p ?o }", {"s": ox.NamedNode("http://a/")})
    assert (
        values_block({"a": ox.Literal('x"y'), "b": ox.Literal("1", language="en")})
        == 'VALUES (?a ?b) { ("x\\"y" "1"@en) }'
    )


@pytest.mark.parametrize("name", NAMES)
def test_substitution_and_values_agree(source: EmbeddedSource, name: str) -> None:
    """pyoxigraph substitutions (embedded) and the VALUES block (remote) give the same rows."""
    query = library()[name]
    for params in (query.example["params"], {p.name: p.example for p in query.parameters}):
        bound = bind(query, params)
        substituted = rows(source.execute(bound.text, bound.bindings))
        injected = rows(source.execute(inject_values(bound.text, bound.bindings)))
        assert sorted(map(repr, substituted)) == sorted(map(repr, injected)), (name, params)


@pytest.mark.parametrize("name", NAMES)
def test_python_and_engine_order_agree(source: EmbeddedSource, name: str) -> None:
    """The embedded source sorts in Python (pfocr_ld.ordering); Oxigraph's ORDER BY gives the same order."""
    query = library()[name]
    engine = EmbeddedSource(source.store, sort_in_python=False)
    for params in (query.example["params"], {p.name: p.example for p in query.parameters}, {}):
        try:
            bound = bind(query, params)
        except ParameterError:
            continue  # a required parameter left out
        in_python = list(source.execute(bound.text, bound.bindings))
        by_engine = list(engine.execute(bound.text, bound.bindings))
        assert Counter(map(repr, in_python)) == Counter(map(repr, by_engine)), (name, params)
        deferred = ordering.defer_order(inject_values(bound.text, bound.bindings))
        if deferred is not None:
            keys = [variable for variable, _ in deferred.keys]
            # ids, symbols and counts are ordered in Python; dates (dataset-metadata) by the engine
            in_python_order = [ordering.column_keys([r.get(k) for r in by_engine]) is not None for k in keys]
            assert all(in_python_order) == (name != "dataset-metadata"), (name, keys)
            assert [[r.get(k) for k in keys] for r in in_python] == [
                [r.get(k) for k in keys] for r in by_engine
            ]
        else:
            assert in_python == by_engine


def test_conditional_lines() -> None:
    text = "a\nb  #? x\nc  #? !x\nd  #? ?v y\n"
    assert apply_conditions(text, set()) == "a\nc  #? !x\n"
    assert apply_conditions(text, {"x", "?v", "y"}) == "a\nb  #? x\nd  #? ?v y\n"
    assert apply_conditions(text, {"x", "?v"}) == "a\nb  #? x\n"
    strict = bind(get_query("figures-for-gene"), {"gene": "TLR4", "strict": True})
    assert "pfocr:SymbolMatch ." in strict.text and set(strict.bindings) == {"symbol"}
    assert not strict.text.startswith("#") and strict.text.startswith("PREFIX")  # header stripped
    loose = bind(get_query("figures-for-gene"), {"gene": "7099"})
    assert "pfocr:SymbolMatch ." not in loose.text and set(loose.bindings) == {"gene"}


# Output formats -------------------------------------------------------------------------------
def _written(source: EmbeddedSource, fmt: str, name: str = "genes-of-figure", params: Any = None) -> str:
    out = io.StringIO()
    params = {"figid": HER2} if params is None else params
    write_result(run_named(source, name, **params), fmt, out, query=get_query(name))
    return out.getvalue()


def test_formats_agree(source: EmbeddedSource, sample: Sample) -> None:
    reference = [dict(r) for r in run_named(source, "genes-of-figure", figid=HER2)]
    expected_ids = sample.genes[HER2]
    for fmt, result_format in (("srj", ox.QueryResultsFormat.JSON), ("srx", ox.QueryResultsFormat.XML)):
        parsed = ox.parse_query_results(_written(source, fmt), result_format)
        assert [v.value for v in parsed.variables] == ["figid", "gene", "geneId", "symbol", "taxon"]
        assert [
            {k: s[k] for k in ("figid", "gene", "geneId", "symbol", "taxon")} for s in parsed
        ] == reference
    data = json.loads(_written(source, "json"))
    assert isinstance(data, list) and {r["geneId"] for r in data} == expected_ids
    assert set(data[0]) == {"figid", "gene", "geneId", "symbol", "taxon"}
    with_csv = list(csv.DictReader(io.StringIO(_written(source, "csv"))))
    assert {r["geneId"] for r in with_csv} == expected_ids
    tsv = _written(source, "tsv").splitlines()
    assert tsv[0].split("\t") == ["figid", "gene", "geneId", "symbol", "taxon"]
    assert {line.split("\t")[2] for line in tsv[1:]} == expected_ids
    table_text = _written(source, "table")
    assert table_text.splitlines()[0].split() == ["figid", "gene", "geneId", "symbol", "taxon"]
    assert table_text.rstrip().endswith(f"({len(expected_ids)} rows)")
    assert "ncbigene:2064" in table_text
    with pytest.raises(QueryError):
        _written(source, "gmt")  # genes-of-figure is not a gene-set query
    typed = json.loads(_written(source, "json", "figures-per-organism", {}))
    assert all(isinstance(r["figures"], int) for r in typed)


def test_special_values_in_formats() -> None:
    store = ox.Store()
    literal = ox.Literal('tab\there "quoted" <b>&</b>\nnext', language="en")
    store.add(ox.Quad(ox.NamedNode("http://a/s"), ox.NamedNode("http://a/p"), literal))
    src = EmbeddedSource(store)
    query = "SELECT ?s ?o ?none WHERE { ?s ?p ?o }"
    for fmt, result_format in (("srj", ox.QueryResultsFormat.JSON), ("srx", ox.QueryResultsFormat.XML)):
        out = io.StringIO()
        write_result(src.execute(query), fmt, out)
        [solution] = list(ox.parse_query_results(out.getvalue(), result_format))
        assert solution["o"] == literal and solution["none"] is None
    out = io.StringIO()
    write_result(src.execute(query), "tsv", out)
    assert out.getvalue().splitlines()[1] == 'http://a/s\ttab\\there "quoted" <b>&</b>\\nnext\t'
    out = io.StringIO()
    write_result(src.execute(query), "csv", out)
    assert list(csv.reader(io.StringIO(out.getvalue())))[1] == ["http://a/s", literal.value, ""]
    out = io.StringIO()
    write_result(src.execute("ASK { ?s ?p ?o }"), "json", out)
    assert out.getvalue() == "true\n"
    out = io.StringIO()
    write_result(src.execute("CONSTRUCT WHERE { ?s ?p ?o }"), "nt", out)
    assert next(iter(ox.parse(out.getvalue(), ox.RdfFormat.N_TRIPLES))).object == literal


def test_rows_stream(source: EmbeddedSource) -> None:
    """Writers consume rows one by one: the first row is written before the last is produced."""
    seen: list[str] = []

    def produce() -> Iterator[dict[str, ox.Literal]]:
        for i in range(3):
            seen.append(f"made {i}")
            yield {"n": ox.Literal(str(i))}

    class Spy(io.StringIO):
        def write(self, text: str) -> int:
            seen.append("wrote")
            return super().write(text)

    for fmt in ("json", "tsv", "csv", "srj", "srx"):
        seen.clear()
        write_result(Result("select", ["n"], produce()), fmt, Spy())
        assert seen.index("wrote", seen.index("made 0")) < seen.index("made 2"), fmt


# Command line ---------------------------------------------------------------------------------
def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_named_queries(build_dir: Path, sample: Sample) -> None:
    data = str(build_dir)
    result = invoke("query", "figures-for-gene", "--param", "gene=7099", "--data", data, "--format", "json")
    assert result.exit_code == 0, result.output
    listed = orjson.loads(result.stdout)
    assert isinstance(listed, list) and all(isinstance(r, dict) for r in listed)
    assert {r["figid"] for r in listed} == sample.figures_with_gene("7099")
    result = invoke(
        "query", "genes-of-figure", "--param", f"figid={HER2}", "--data", data, "--format", "json"
    )
    assert {r["geneId"] for r in orjson.loads(result.stdout)} == sample.genes[HER2]
    strict = invoke("query", "figures-for-gene", "-p", "gene=7099", "--strict", "--data", data, "-f", "json")
    assert {r["figid"] for r in orjson.loads(strict.stdout)} == sample.figures_with_gene(
        "7099", source="ncbigene_symbol"
    )
    tsv = invoke("query", "figures-per-organism", "--data", data)  # not a terminal: TSV
    assert tsv.stdout.splitlines()[0] == "organismName\torganism\tfigures"
    gmt = invoke("query", "gene-sets", "--data", data, "--format", "gmt", "--param", "taxon=9606")
    assert all(len(line.split("\t")) >= 3 for line in gmt.stdout.splitlines())


def test_cli_files_expressions_and_listing(build_dir: Path, tmp_path: Path) -> None:
    listing = invoke("query", "--list")
    assert listing.exit_code == 0 and all(name in listing.stdout for name in NAMES)
    as_json = orjson.loads(invoke("query", "--list", "--format", "json").stdout)
    assert {q["name"] for q in as_json} == set(NAMES)
    described = invoke("query", "figures-for-gene", "--describe")
    assert "strict" in described.stdout and "SELECT DISTINCT" in described.stdout
    rq = tmp_path / "count.rq"
    rq.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n", encoding="utf-8")
    counted = invoke("query", str(rq), "--data", str(build_dir / "pfocr.ttl"), "-f", "json")
    triples = orjson.loads((build_dir / "report.json").read_bytes())["counts"]["triples"]
    assert orjson.loads(counted.stdout) == [{"n": triples}]
    expression = invoke(
        "query",
        "-e",
        "SELECT ?id WHERE { ?s <http://purl.org/dc/terms/identifier> ?id }",
        "-p",
        f"id={HER2}",
        "--data",
        str(build_dir),
        "-f",
        "csv",
    )
    assert expression.stdout.splitlines() == ["id", HER2]
    shown = invoke(
        "query",
        "genes-of-figure",
        "-p",
        f"figid={HER2}",
        "--data",
        str(build_dir),
        "--show-query",
        "--limit",
        "2",
        "-f",
        "tsv",
    )
    assert f'VALUES (?figid) {{ ("{HER2}") }}' in shown.stderr
    assert len(shown.stdout.splitlines()) == 3


@pytest.mark.parametrize(
    "args,message",
    [
        (["query", "no-such-query", "--data", "."], "no named query"),
        (["query", "figures-for-gene", "--data", "."], "needs gene"),
        (
            ["query", "figures-for-gene", "-p", "gene=7099", "-p", "colour=red", "--data", "."],
            "no parameter 'colour'",
        ),
        (["query", "figures-for-chemical", "-p", "chemical=aspirin", "--data", "."], "neither a ChEBI"),
        (["query", "figures-for-gene", "-p", "gene=7099"], "give exactly one of"),
        (["query", "figures-for-gene", "-p", "gene"], "NAME=VALUE"),
        (
            ["query", "genes-of-figure", "--strict", "-p", "figid=PMC1__x", "--data", "."],
            "no strict parameter",
        ),
        (["query", "-e", "SELEC nothing", "--data", "."], "syntax"),
    ],
)
def test_cli_usage_errors(build_dir: Path, args: list[str], message: str) -> None:
    args = [str(build_dir) if a == "." else a for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_values_marker_binds_parameters_inside_the_sub_select() -> None:
    """Bound outside an aggregating sub-select, a parameter would join only after it had counted
    every gene pair; the ``# @values`` line puts the VALUES block where the query says."""
    from pfocr_ld.query import inject_values

    text = (
        "SELECT ?gene ?n WHERE {\n  { SELECT ?gene (COUNT(?f) AS ?n) WHERE {\n"
        "      # @values\n      ?gene <urn:p> ?f .\n    } GROUP BY ?gene }\n}\n"
    )
    bound = inject_values(text, {"gene": ox.NamedNode("urn:g")})
    inner = bound.index("{ SELECT")
    assert bound.index("VALUES (?gene) { (<urn:g>) }") > inner
    assert "@values" not in bound and bound.count("VALUES") == 1
    unbound = inject_values(text, {})
    assert "@values" not in unbound and "VALUES" not in unbound
    store = ox.Store()
    for gene, figures in (("urn:g", 2), ("urn:h", 3)):
        for index in range(figures):
            store.add(ox.Quad(ox.NamedNode(gene), ox.NamedNode("urn:p"), ox.NamedNode(f"urn:f{index}")))
    rows = list(store.query(bound))
    assert [(r["gene"].value, int(r["n"].value)) for r in rows] == [("urn:g", 2)]
