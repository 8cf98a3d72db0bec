"""WikiPathways' own SPARQL queries, unchanged, on Virtuoso (WikiPathways' engine) and on Oxigraph.

The queries are the real files of the public repository ``wikipathways/SPARQLQueries`` (categories
A. Metadata, D. General, E. Literature, F. Datadump), listed with their commit and SHA-256 in
:data:`QUERIES`; ``tests/data/wikipathways-sparql/README.md`` says where they come from, what each
returns on PFOCR and why some cannot return rows. The test checks every file's SHA-256 before running
it, so "unchanged" is proven, and changes the text only by

* filling in the file's own placeholder (``{{species}}``, ``{{pathwayId}}``, ``{{entityType}}``,
  ``{{datasource}}``, or the example id a file says to replace, e.g. ``"WP1560"``), and
* on Oxigraph, PREFIX lines for the prefixes WikiPathways' endpoint predeclares. On Virtuoso the text
  is sent as it is: the server declares those prefixes, as ``sparql.wikipathways.org`` does.

The sample build (``examples/pfocr-sample``, built once per session by ``conftest.sample_build``) is
bulk-loaded from ``pfocr.nt.gz`` (and ``void.ttl``) into Virtuoso's graph :data:`GRAPH` and, through
``pfocr_ld.store.load_dumps`` as ``pfocr-ld load`` does, into an in-memory Oxigraph store. Expected
rows come from an independent reading of the records: front matter with ``yaml.safe_load``, tables
with ``csv`` and the organism pages, none of pfocr_ld's readers.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
import yaml
from virtuoso import Virtuoso, VirtuosoError, environment_ready

from pfocr_ld import vocab
from pfocr_ld.build import BuildOptions, BuildReport, build
from pfocr_ld.store import load_dumps

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"
HERE = REPO / "tests" / "data" / "wikipathways-sparql"
#: A checkout (or the vendored copy) of wikipathways/SPARQLQueries; the files of QUERIES are read there.
QUERY_DIR = Path(os.environ.get("PFOCR_WP_SPARQL_DIR", HERE / "SPARQLQueries"))
#: The named graph the dump is bulk-loaded into. Queries without FROM still see it: Virtuoso's
#: default graph is the union of all graphs unless a query or request names one.
GRAPH = "https://pfocr.wikipathways.org/graph"
BASE = vocab.DEFAULT_BASE
HER2 = "PMC3376449__fonc-02-00062-g001"
WITH_CHEMICALS = "PMC2655529__zjb0070986070001"
CC0 = vocab.CC0

#: The prefixes sparql.wikipathways.org declares for its users' queries (WikiPathways' namespaces).
WP_PREFIXES: dict[str, str] = {
    "wp": vocab.WP,
    "dc": vocab.DC,
    "dcterms": vocab.DCTERMS,
    "foaf": vocab.FOAF,
    "rdf": vocab.RDF,
    "rdfs": vocab.RDFS,
    "skos": vocab.SKOS,
    "void": vocab.VOID,
    "pav": vocab.PAV,
    "owl": vocab.OWL,
    "xsd": vocab.XSD,
    "fn": "http://www.w3.org/2005/xpath-functions#",
}
#: Stock Virtuoso 7.2 predeclares dc, foaf, rdf, rdfs, skos, void, owl, xsd and fn; these it lacks.
VIRTUOSO_EXTRA_PREFIXES = {p: WP_PREFIXES[p] for p in ("wp", "dcterms", "pav")}

# path in wikipathways/SPARQLQueries → (commit the file was read at, SHA-256 of its bytes)
QUERIES: dict[str, tuple[str, str]] = {
    "A. Metadata/datacounts/countPathways.rq": (
        "8f06e80333d11c0c92daabc7cd50fa84d0527644",
        "0759022de7add59ff4a0a696e5e7068045076a8e62026a9c6bb1623b56b9cead",
    ),
    "A. Metadata/datacounts/countDataNodes.rq": (
        "56af22ea28b931bcc0f93575c2e65a5c585b8a12",
        "ce98b4df7fc2fb396bee0998b0897f3cb3eacba67bdb502c310a7c8bb757d543",
    ),
    "A. Metadata/datacounts/countGeneProducts.rq": (
        "8f06e80333d11c0c92daabc7cd50fa84d0527644",
        "d94c619b2b1eff809305f6c719ae04b8d393a0181d983aa9561879fe22da44f1",
    ),
    "A. Metadata/datacounts/countMetabolites.rq": (
        "8f06e80333d11c0c92daabc7cd50fa84d0527644",
        "89376cb1d2b6bb6bcfe1a5a18fdd7a37db0e1c2067b0d0339d2aedace8720bf1",
    ),
    "A. Metadata/datacounts/countOfEntityType.rq": (
        "a494c35575dd5210ad6ddbcf65160f5ea0c0a6db",
        "d9a1df79584037581441be3d600f349ffdaa1b8602a762becb6aae6c47df9857",
    ),
    "A. Metadata/datacounts/averageGeneProducts.rq": (
        "56af22ea28b931bcc0f93575c2e65a5c585b8a12",
        "1c89a422918f436346d6b164e37ae665854bfef483f6687676ef76645d2557a9",
    ),
    "A. Metadata/datacounts/averagePerPathway.rq": (
        "3fd553e6b24c4c9d88604eda578ecd8ad192a5c6",
        "6110c1b2d8e6005f8a95a1a3671dcda00db44b50a956dd0a15a6e85c34f94be0",
    ),
    "A. Metadata/datacounts/linkoutCounts.rq": (
        "4c7fc0763ed5a7e86c14238cfdaddfd68a6d88bc",
        "6fea53eecd5a28f273e5915d266716a0a6025b1b7cbf5271e8b310a86d2aac7c",
    ),
    "A. Metadata/species/PWsforSpecies.rq": (
        "0577f6d69451b4100332bcb07756e7564687246d",
        "1fd85a3170a5a1971cf08028dbf555899ee7fa27e215f8c7ac407048e2b445bf",
    ),
    "A. Metadata/species/countPathwaysPerSpecies.rq": (
        "858b8d06a7952005a79e1a67649274b62e0465f4",
        "56d77030d1d96681e65069548edb4d92185fb9c5544f0287caa5bd292828ce12",
    ),
    "A. Metadata/species/countDataNodePerSpecies.rq": (
        "858b8d06a7952005a79e1a67649274b62e0465f4",
        "1bfe5e7da219ebcf3254147ca25891ffde077b8cac1dcb6eba6fe26e94f29118",
    ),
    "A. Metadata/species/countGeneProductsPerSpecies.rq": (
        "8f06e80333d11c0c92daabc7cd50fa84d0527644",
        "a2dabff77ef13cf0fcdfc2850d8f0179961dfaf007d403b7ce89281db6ee0960",
    ),
    "A. Metadata/species/countMetabolitesPerSpecies.rq": (
        "8f06e80333d11c0c92daabc7cd50fa84d0527644",
        "957010db0c948340cf564bd015c367cc2924073cf9b387a9f24e6742ea26a5db",
    ),
    "A. Metadata/species/countEntityPerSpecies.rq": (
        "9515d7981d5fe31a23dd4b48a187b5deac42024d",
        "bab949f4fba771867cc47aac1dc3e235fbb3887391ed5236d28efe549262186c",
    ),
    "A. Metadata/datasources/WPforNCBI.rq": (
        "8f06e80333d11c0c92daabc7cd50fa84d0527644",
        "cb17430354a9138bb77edf54acb57e8a35308af4a13410f1da18cea6fe07175d",
    ),
    "A. Metadata/datasources/pathwaysForDatasource.rq": (
        "9515d7981d5fe31a23dd4b48a187b5deac42024d",
        "6b427740de5d297fb613f2a1d0219900a0023e32e66dde78bba5c7a845dab32e",
    ),
    "A. Metadata/metadata.rq": (
        "56af22ea28b931bcc0f93575c2e65a5c585b8a12",
        "299addbddd191867ae39fc11cba441f803c531160ce31997bd6a450e585c8030",
    ),
    "D. General/GenesofPathway.rq": (
        "1366822debc316b6cdaf88354b020008d0d3cb71",
        "18dff7bf8068e545b80e86e23b84f2da0554f6d0ff476207b682b81c115ee26c",
    ),
    "D. General/MetabolitesofPathway.rq": (
        "1366822debc316b6cdaf88354b020008d0d3cb71",
        "cdf1de1b4485e3687a3f2da64d66a42218ad3f1ee1fc03230cd0e20912f0f165",
    ),
    "D. General/OntologyofPathway.rq": (
        "533d07fb84faf271e5206b9fcb18cf3daaa10d94",
        "053095deaff51089440747f1b0da9f6213855561abe91cf94cbb72327a38cc22",
    ),
    "D. General/InteractionsofPathway.rq": (
        "1387cc15c81d30333a49aea697b08cdd538f493e",
        "2486323d596874983870ce2a8ab5d81c2b8c73ac9a9f37e79b4fb154e18d4b85",
    ),
    "E. Literature/allPathwayswithPubMed.rq": (
        "65e6d8f23a1967338a20180a3db6ec5bf7f48464",
        "67f14254347b6837526d79ea3330461312753a6cabf500a4e7c5e9942b93bcca",
    ),
    "E. Literature/countRefsPerPW.rq": (
        "65e6d8f23a1967338a20180a3db6ec5bf7f48464",
        "2d8135c17a3515cefbb53f473d2d5572a05f121acdc3471dd2557ef917940570",
    ),
    "F. Datadump/dumpOntologyAndPW.rq": (
        "65e6d8f23a1967338a20180a3db6ec5bf7f48464",
        "378b21231f1cb43d2e8ccc5578d609d79a800273727a78230a21b728ea8f54bf",
    ),
    "F. Datadump/dumpPWsofSpecies.rq": (
        "0577f6d69451b4100332bcb07756e7564687246d",
        "be0e8d3574f715aeab935c0349f25790197f75c62b0ba9d1f076b4cdb6425296",
    ),
    "F. Datadump/CyTargetLinkerLinksetInput.rq": (
        "4db4fbf3538611ce5aeaa7e553fee075d9ec9558",
        "592704718b1921a496ceeebfca2f029dec928a624dd8971993dbcb898b399476",
    ),
}

#: Files Oxigraph (a SPARQL 1.1 engine) refuses, and why: they rely on Virtuoso's extensions.
VIRTUOSO_ONLY: dict[str, str] = {
    "A. Metadata/datacounts/countPathways.rq": "COUNT(?x) AS ?y without parentheses",
    "A. Metadata/datacounts/countDataNodes.rq": "COUNT(?x) AS ?y without parentheses",
    "A. Metadata/datacounts/countGeneProducts.rq": "COUNT(?x) AS ?y without parentheses",
    "A. Metadata/datacounts/countMetabolites.rq": "COUNT(?x) AS ?y without parentheses",
    "E. Literature/countRefsPerPW.rq": "COUNT(?x) AS ?y without parentheses",
    "A. Metadata/datacounts/averageGeneProducts.rq": "an aggregate next to an ungrouped variable",
    "A. Metadata/datacounts/averagePerPathway.rq": "an aggregate next to an ungrouped variable",
    "A. Metadata/species/countPathwaysPerSpecies.rq": "an aggregate next to ungrouped variables",
    "D. General/GenesofPathway.rq": "SELECT (… AS ?geneProduct) rebinds a variable of the pattern",
    "D. General/MetabolitesofPathway.rq": "SELECT (… AS ?Metabolite) rebinds a variable of the pattern",
    "A. Metadata/datasources/WPforNCBI.rq": "fn:substring, an XPath function Oxigraph does not have",
    "F. Datadump/CyTargetLinkerLinksetInput.rq": "fn:substring, an XPath function Oxigraph does not have",
}


# Independent reading of the records -------------------------------------------------------------
MISSING = {"", "NA", "NaN", ".na.character"}


def present(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if text in MISSING else text


def front_matter(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8").split("---", 2)[1])
    assert isinstance(data, dict)
    return data


def read_table(figid: str, kind: str) -> list[dict[str, str]]:
    path = SAMPLE / "_data" / f"{figid}-{kind}.tsv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


class Records:
    """What the sample's source files say, in the terms WikiPathways' queries ask about."""

    def __init__(self) -> None:
        self.front = {
            str(data["figid"]): data
            for data in (front_matter(p) for p in sorted((SAMPLE / "_figures").glob("*.md")))
        }
        self.pages: dict[str, int] = {}
        for page in sorted((SAMPLE / "_organisms").glob("*.md")):
            data = front_matter(page)
            if str(data.get("ncbi") or "").strip().isdigit():
                for key in ("latin", "common"):
                    if isinstance(data.get(key), str) and data[key].strip():
                        self.pages.setdefault(data[key].strip().casefold(), int(data["ncbi"]))
        self.genes: dict[str, dict[int, str | None]] = {}
        self.taxa: dict[str, dict[str, int | None]] = {}
        self.chebi: dict[str, set[int]] = {}
        self.mesh_only: dict[str, set[str]] = {}
        chebi_names: dict[int, set[str]] = defaultdict(set)
        for figid, data in self.front.items():
            local: dict[str, int] = {}
            genes: dict[int, str | None] = {}
            for row in read_table(figid, "genes"):
                name, taxon = present(row.get("organism_name")), present(row.get("organism_id"))
                if name and taxon and taxon.isdigit():
                    local.setdefault(name.casefold(), int(taxon))
                gene = present(row.get("ncbigene_id"))
                if gene and gene.isdigit() and int(gene) != 0:
                    genes.setdefault(int(gene), present(row.get("ncbigene_symbol")))
            self.genes[figid] = genes
            names = data.get("organisms") or []
            names = names if isinstance(names, list) else str(names).split(",")
            self.taxa[figid] = {
                n: local.get(n.casefold(), self.pages.get(n.casefold()))
                for n in dict.fromkeys(p for p in map(present, names) if p)
            }
            chebi: set[int] = set()
            mesh_only: set[str] = set()
            for row in read_table(figid, "chemicals"):
                if "chebi" in row:
                    number = present(row.get("chebi"))
                    mesh = present(row.get("mesh"))
                    mesh = mesh.split(":", 1)[1] if mesh else None
                    name = present(row.get("name"))
                else:  # the old table generation: word, source, identifier
                    source, identifier = (row.get("source") or "").upper(), present(row.get("identifier"))
                    number = identifier if source == "CHEBI" else None
                    mesh = identifier if source == "MESH" else None
                    name = None
                if number:
                    chebi.add(int(number.split(":")[-1]))
                    if name:
                        chebi_names[int(number.split(":")[-1])].add(name)
                elif mesh:
                    mesh_only.add(mesh)
            self.chebi[figid] = chebi
            self.mesh_only[figid] = mesh_only
        self.chebi_names = dict(chebi_names)

    def iri(self, figid: str) -> str:
        return f"{BASE}{figid}.html"

    def title(self, figid: str) -> str:
        return " ".join(str(self.front[figid]["figtitle"]).split())

    def names(self, figid: str) -> list[str]:
        return list(self.taxa[figid])

    def resolved(self, figid: str) -> set[int]:
        return {t for t in self.taxa[figid].values() if t is not None}

    def gene_nodes(self, figid: str) -> set[str]:
        return {vocab.gene_iri(g) for g in self.genes[figid]}

    def metabolite_nodes(self, figid: str) -> set[str]:
        return {vocab.chebi_iri(c) for c in self.chebi[figid]} | {
            vocab.mesh_iri(m) for m in self.mesh_only[figid]
        }

    def data_nodes(self, figid: str) -> set[str]:
        return self.gene_nodes(figid) | self.metabolite_nodes(figid)

    def pmc(self, figid: str) -> str:
        return vocab.pmc_iri(str(self.front[figid]["pmcid"]))


@pytest.fixture(scope="module")
def records() -> Records:
    return Records()


# The engines ------------------------------------------------------------------------------------
Row = dict[str, str]


def query_text(path: str, fill: dict[str, str] | None = None) -> str:
    """The file's text, checked against its SHA-256, with its own placeholders filled in."""
    file = QUERY_DIR / path
    if not file.is_file():
        pytest.skip(
            f"{path}: not found under {QUERY_DIR}; tests/data/wikipathways-sparql/README.md says where "
            "the wikipathways/SPARQLQueries files come from (set PFOCR_WP_SPARQL_DIR to a checkout)"
        )
    data = file.read_bytes()
    commit, digest = QUERIES[path]
    assert hashlib.sha256(data).hexdigest() == digest, f"{path} is not the file of commit {commit}"
    text = data.decode("utf-8")
    for placeholder, value in (fill or {}).items():
        assert placeholder in text, (path, placeholder)
        text = text.replace(placeholder, value)
    return text


def with_prefixes(text: str) -> str:
    """PREFIX lines for every endpoint prefix the file does not declare itself (Oxigraph has none)."""
    declared = {m.lower() for m in re.findall(r"(?im)^\s*PREFIX\s+([A-Za-z][\w-]*)\s*:", text)}
    lines = [f"PREFIX {p}: <{iri}>" for p, iri in WP_PREFIXES.items() if p not in declared]
    return "\n".join(lines) + "\n" + text


def virtuoso_rows(bindings: list[dict[str, Any]]) -> list[Row]:
    return [{name: term["value"] for name, term in row.items()} for row in bindings]


def oxigraph_rows(store: ox.Store, text: str) -> list[Row]:
    solutions = store.query(with_prefixes(text))
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [
        {name: term.value for name, term in zip(names, solution, strict=True) if term is not None}
        for solution in solutions
    ]


@pytest.fixture(scope="session")
def virtuoso(
    sample_build: tuple[Path, BuildReport], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Virtuoso]:
    """Virtuoso with the sample bulk-loaded from pfocr.nt.gz (and void.ttl) into GRAPH."""
    why_not = environment_ready()
    if why_not is not None:
        pytest.fail(why_not)  # CI installs Virtuoso (.ci/run): a missing server is a failure here
    out, _ = sample_build
    # DirsAllowed: the whole pytest temporary root, so tests can bulk-load builds of their own
    server = Virtuoso(tmp_path_factory.mktemp("virtuoso"), [tmp_path_factory.getbasetemp()])
    with server:
        server.declare_prefixes(VIRTUOSO_EXTRA_PREFIXES)
        loaded = server.bulk_load(out, ["pfocr.nt.gz", "void.ttl"], GRAPH)
        with gzip.open(out / "pfocr.nt.gz") as dump:
            triples = set(ox.parse(dump, format=ox.RdfFormat.N_TRIPLES))
        triples |= set(ox.parse(path=str(out / "void.ttl"), format=ox.RdfFormat.TURTLE))
        assert loaded == len(triples)  # every triple of the dump, none lost by the loader
        yield server


@pytest.fixture(scope="module")
def oxigraph(sample_build: tuple[Path, BuildReport]) -> ox.Store:
    out, _ = sample_build
    store = ox.Store()
    load_dumps(store, [out])
    return store


def run_both(
    virtuoso: Virtuoso, oxigraph: ox.Store, path: str, fill: dict[str, str] | None = None
) -> list[Row]:
    """Virtuoso's rows; on Oxigraph the same rows (in any order), or, for VIRTUOSO_ONLY, a refusal."""
    text = query_text(path, fill)
    rows = virtuoso_rows(virtuoso.select(text))
    if path in VIRTUOSO_ONLY:
        # a syntax error, or (fn:substring) a RuntimeError for the unsupported function
        with pytest.raises((SyntaxError, RuntimeError)):
            oxigraph_rows(oxigraph, text)
    else:
        other = oxigraph_rows(oxigraph, text)
        assert Counter(map(_frozen, other)) == Counter(map(_frozen, rows)), path
    return rows


def _frozen(row: Row) -> frozenset[tuple[str, str]]:
    return frozenset((k, _canonical(v)) for k, v in row.items())


def _canonical(value: str) -> str:
    # Virtuoso writes averages with 16 digits, Oxigraph with 18: compare numbers as numbers.
    if re.fullmatch(r"-?[0-9]+\.[0-9]+", value):
        return str(round(Decimal(value), 12).normalize())
    return value


def as_set(rows: list[Row]) -> set[tuple[tuple[str, str], ...]]:
    return {tuple(sorted(row.items())) for row in rows}


def rowset(*rows: dict[str, str]) -> set[tuple[tuple[str, str], ...]]:
    return {tuple(sorted(row.items())) for row in rows}


# Tests ------------------------------------------------------------------------------------------
def test_the_files_are_the_listed_ones() -> None:
    found = (
        {p.relative_to(QUERY_DIR).as_posix() for p in QUERY_DIR.rglob("*.rq")}
        if QUERY_DIR.exists()
        else set()
    )
    if not found:
        pytest.skip(f"no wikipathways/SPARQLQueries files under {QUERY_DIR} (see the README there)")
    assert set(QUERIES) <= found
    for path in QUERIES:
        query_text(path)  # the SHA-256 check


def test_the_readme_lists_each_file_as_tested() -> None:
    """tests/data/wikipathways-sparql/README.md: one row per file, its commit, digest and engines."""
    rows = {
        cells[1].strip("` "): cells
        for line in (HERE / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `") and len(cells := line.split("|")) == 7
    }
    assert set(rows) == set(QUERIES)
    for path, (commit, digest) in QUERIES.items():
        cells = rows[path]
        assert cells[2].strip(" `") == commit[:12] and cells[3].strip(" `") == digest[:12], path
        assert cells[5].strip().startswith("refuses") == (path in VIRTUOSO_ONLY), path


def test_the_default_graph_is_every_graph(virtuoso: Virtuoso, records: Records) -> None:
    """What WikiPathways users rely on: a query without FROM sees the bulk-loaded graph."""
    pathway = vocab.T.wp["Pathway"]

    def count(dataset: str) -> str:
        query = f"SELECT (COUNT(DISTINCT ?f) AS ?n) {dataset} WHERE {{ ?f a <{pathway}> }}"
        return str(virtuoso.select(query)[0]["n"]["value"])

    assert count("") == str(len(records.front))
    assert count(f"FROM <{GRAPH}>") == str(len(records.front))
    assert count("FROM <https://example.org/empty>") == "0"


def test_a_broken_dump_is_a_clear_load_error(virtuoso: Virtuoso, tmp_path: Path) -> None:
    """The bulk loader records a file it cannot parse instead of failing: the helper turns that into
    an error naming the file and Virtuoso's message (and the end of its log)."""
    folder = tmp_path / "broken"
    folder.mkdir()
    with gzip.open(folder / "pfocr.nt.gz", "wt", encoding="utf-8") as dump:
        dump.write("<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n")
        dump.write('<https://example.org/s> <https://example.org/p> "unterminated .\n')
    graph = GRAPH + "/broken-test"
    try:
        with pytest.raises(VirtuosoError, match="did not load every file") as raised:
            virtuoso.bulk_load(folder, ["pfocr.nt.gz"], graph)
        assert str(folder / "pfocr.nt.gz") in str(raised.value)
        assert "virtuoso.log" in str(raised.value)
    finally:
        virtuoso.isql(
            f"SPARQL CLEAR GRAPH <{graph}>;\nDELETE FROM DB.DBA.load_list WHERE ll_graph = '{graph}';\n"
        )


def test_count_pathways(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    rows = run_both(virtuoso, oxigraph, "A. Metadata/datacounts/countPathways.rq")
    assert rows == [{"PathwayCount": str(len(records.front))}]


def test_counts_of_data_nodes(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    genes = set().union(*(records.gene_nodes(f) for f in records.front))
    metabolites = set().union(*(records.metabolite_nodes(f) for f in records.front))
    assert genes and metabolites
    for path, column, expected in (
        ("A. Metadata/datacounts/countDataNodes.rq", "DataNodeCount", genes | metabolites),
        ("A. Metadata/datacounts/countGeneProducts.rq", "GeneProductCount", genes),
        ("A. Metadata/datacounts/countMetabolites.rq", "MetaboliteCount", metabolites),
    ):
        assert run_both(virtuoso, oxigraph, path) == [{column: str(len(expected))}], path
    for entity, expected in (
        ("DataNode", genes | metabolites),
        ("GeneProduct", genes),
        ("Metabolite", metabolites),
        ("Interaction", set()),
        ("Protein", set()),
    ):
        rows = run_both(
            virtuoso, oxigraph, "A. Metadata/datacounts/countOfEntityType.rq", {"{{entityType}}": entity}
        )
        assert rows == [{"count": str(len(expected))}], entity


def test_averages_per_pathway(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    def stats(per_figure: list[int]) -> tuple[Decimal, int, int]:
        return Decimal(sum(per_figure)) / len(per_figure), min(per_figure), max(per_figure)

    def check(rows: list[Row], expected: tuple[Decimal, int, int]) -> None:
        assert len(rows) == 1
        average, low, high = expected
        assert abs(Decimal(rows[0]["avg"]) - average) < Decimal("1e-9")
        assert (int(rows[0]["min"]), int(rows[0]["max"])) == (low, high)

    genes = [len(records.gene_nodes(f)) for f in records.front if records.genes[f]]
    check(run_both(virtuoso, oxigraph, "A. Metadata/datacounts/averageGeneProducts.rq"), stats(genes))
    for entity, nodes in (("DataNode", records.data_nodes), ("Metabolite", records.metabolite_nodes)):
        counts = [len(nodes(f)) for f in records.front if nodes(f)]
        rows = run_both(
            virtuoso, oxigraph, "A. Metadata/datacounts/averagePerPathway.rq", {"{{entityType}}": entity}
        )
        check(rows, stats(counts))


def test_linkout_counts(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    genes = set().union(*(records.genes[f] for f in records.front))
    chebi = set().union(*(records.chebi[f] for f in records.front))
    rows = run_both(virtuoso, oxigraph, "A. Metadata/datacounts/linkoutCounts.rq")
    assert as_set(rows) == rowset(
        {"pred": vocab.T.wp["bdbEntrezGene"], "count": str(len(genes))},
        {"pred": vocab.T.wp["bdbChEBI"], "count": str(len(chebi))},
    )


@pytest.mark.parametrize("path", ["A. Metadata/species/PWsforSpecies.rq", "F. Datadump/dumpPWsofSpecies.rq"])
@pytest.mark.parametrize("species", ["Homo sapiens", "Mus musculus"])
def test_pathways_for_a_species(
    virtuoso: Virtuoso, oxigraph: ox.Store, records: Records, path: str, species: str
) -> None:
    rows = run_both(virtuoso, oxigraph, path, {"{{species}}": species})
    figures = sorted(records.iri(f) for f in records.front if species in records.names(f))
    assert len(figures) >= 5
    assert [r["wpIdentifier"] for r in rows] == figures  # ORDER BY ?wpIdentifier
    for row in rows:
        # dc:identifier and foaf:page are the figure's own IRI, as WikiPathways' versionless IRI is
        assert row["pathway"] == row["page"] == row["wpIdentifier"]
    if "title" in rows[0]:
        titles = {records.iri(f): records.title(f) for f in records.front}
        assert all(r["title"] == titles[r["pathway"]] for r in rows)


def test_count_pathways_per_species_crosses_names_and_taxa(
    virtuoso: Virtuoso, oxigraph: ox.Store, records: Records
) -> None:
    """Written for one organism per pathway: on multi-organism figures it pairs each name with each taxon."""
    rows = run_both(virtuoso, oxigraph, "A. Metadata/species/countPathwaysPerSpecies.rq")
    expected: Counter[tuple[str, str]] = Counter()
    for figid in records.front:
        for name in records.names(figid):
            for taxon in records.resolved(figid):
                expected[name, vocab.taxon_iri(taxon)] += 1
    assert {(r["name"], r["organism"]): int(r["pathwayCount"]) for r in rows} == dict(expected)
    # The crossing is real in the sample: HER2 (human and mouse) puts "Homo sapiens" next to mouse.
    assert ("Homo sapiens", vocab.taxon_iri(10090)) in expected


@pytest.mark.parametrize(
    ("path", "fill", "nodes", "column"),
    [
        ("A. Metadata/species/countDataNodePerSpecies.rq", None, "data_nodes", "count"),
        ("A. Metadata/species/countGeneProductsPerSpecies.rq", None, "gene_nodes", "count"),
        ("A. Metadata/species/countMetabolitesPerSpecies.rq", None, "metabolite_nodes", "count"),
        (
            "A. Metadata/species/countEntityPerSpecies.rq",
            {"{{entityType}}": "DataNode"},
            "data_nodes",
            "count",
        ),
        (
            "A. Metadata/species/countEntityPerSpecies.rq",
            {"{{entityType}}": "GeneProduct"},
            "gene_nodes",
            "count",
        ),
        (
            "A. Metadata/species/countEntityPerSpecies.rq",
            {"{{entityType}}": "Metabolite"},
            "metabolite_nodes",
            "count",
        ),
    ],
)
def test_entities_per_species(
    virtuoso: Virtuoso,
    oxigraph: ox.Store,
    records: Records,
    path: str,
    fill: dict[str, str] | None,
    nodes: str,
    column: str,
) -> None:
    rows = run_both(virtuoso, oxigraph, path, fill)
    per_name: dict[str, set[str]] = defaultdict(set)
    for figid in records.front:
        if not records.resolved(figid):
            continue  # the query asks for ?pw wp:organism ?organism: a figure with no taxon drops out
        for name in records.names(figid):
            per_name[name] |= getattr(records, nodes)(figid)
    expected = {name: len(found) for name, found in per_name.items() if found}
    assert {r["species"]: int(r[column]) for r in rows} == expected
    counts = [int(r[column]) for r in rows]
    assert counts == sorted(counts, reverse=True)  # ORDER BY DESC(?count)


def test_pathways_for_ncbi_gene_identifiers(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    rows = run_both(virtuoso, oxigraph, "A. Metadata/datasources/WPforNCBI.rq")
    expected = {
        # fn:substring(?ncbiGeneId, 33): XPath counts from 1, so the id with the '/' before it
        (records.iri(f), f, records.title(f), vocab.gene_iri(g)[32:])
        for f in records.front
        for g in records.genes[f]
    }
    assert {(r["pathwayRes"], r["pathway"], r["pathwayTitle"], r["NCBIGene"]) for r in rows} == expected
    assert len(rows) == len(expected)


def test_pathways_for_a_datasource(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    rows = run_both(
        virtuoso,
        oxigraph,
        "A. Metadata/datasources/pathwaysForDatasource.rq",
        {"{{datasource}}": "EntrezGene"},
    )
    expected = {
        (records.iri(f), f, records.title(f), vocab.gene_iri(g))
        for f in records.front
        for g in records.genes[f]
    }
    assert {(r["pathwayRes"], r["pathway"], r["pathwayTitle"], r["identifier"]) for r in rows} == expected
    # PFOCR has no Ensembl, HGNC, HMDB, ChemSpider or PubChem links: those choices find nothing.
    for source in ("Ensembl", "HgncSymbol", "Hmdb", "Chemspider", "PubChem"):
        assert (
            run_both(
                virtuoso,
                oxigraph,
                "A. Metadata/datasources/pathwaysForDatasource.rq",
                {"{{datasource}}": source},
            )
            == []
        ), source


def test_dataset_metadata(
    virtuoso: Virtuoso, oxigraph: ox.Store, sample_build: tuple[Path, BuildReport]
) -> None:
    rows = run_both(virtuoso, oxigraph, "A. Metadata/metadata.rq")
    void = rdflib.Graph().parse(sample_build[0] / "void.ttl", format="turtle")
    datasets = {str(s) for s in void.subjects(rdflib.RDF.type, rdflib.URIRef(vocab.T.void["Dataset"]))}
    assert {r["dataset"] for r in rows} <= datasets and rows
    release = os.environ.get("SOURCE_DATE_EPOCH")
    assert release == "1767225600"  # conftest's sample_build fixes the release date
    assert {(r["date"], r["license"]) for r in rows} == {("2026-01-01", CC0)}


def test_genes_of_a_pathway(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    rows = run_both(virtuoso, oxigraph, "D. General/GenesofPathway.rq", {"{{pathwayId}}": HER2})
    symbols = {s for s in records.genes[HER2].values() if s}
    assert len(symbols) > 50
    assert as_set(rows) == {(("geneProduct", s), ("pathway", records.iri(HER2))) for s in symbols}


def test_metabolites_of_a_pathway(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    rows = run_both(
        virtuoso, oxigraph, "D. General/MetabolitesofPathway.rq", {"{{pathwayId}}": WITH_CHEMICALS}
    )
    # Labelled metabolites are the ChEBI ones, with every name the corpus's tables give them.
    names = {n for c in records.chebi[WITH_CHEMICALS] for n in records.chebi_names.get(c, ())}
    assert len(names) >= 5
    assert as_set(rows) == {(("Metabolite", n), ("pathway", records.iri(WITH_CHEMICALS))) for n in names}


def test_interactions_of_a_pathway_finds_none(
    virtuoso: Virtuoso, oxigraph: ox.Store, records: Records
) -> None:
    """PFOCR records no interactions (figures are OCR'd words, not drawn edges): no rows, by design."""
    fill = {"<https://identifiers.org/wikipathways/WP1425>": f"<{records.iri(HER2)}>"}
    assert run_both(virtuoso, oxigraph, "D. General/InteractionsofPathway.rq", fill) == []
    # ... and only the interactions are missing: the pathway part of the pattern matches the figure.
    pathway = f"SELECT ?p WHERE {{ ?p a wp:Pathway ; dc:identifier <{records.iri(HER2)}> }}"
    assert virtuoso_rows(virtuoso.select(pathway)) == [{"p": records.iri(HER2)}]


def test_cytargetlinker_input_finds_no_hgnc_links(virtuoso: Virtuoso, oxigraph: ox.Store) -> None:
    """The query needs wp:bdbHgncSymbol; PFOCR tables give NCBI symbols, not HGNC ids: no rows."""
    assert run_both(virtuoso, oxigraph, "F. Datadump/CyTargetLinkerLinksetInput.rq") == []


def test_all_pathways_with_references(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    rows = run_both(virtuoso, oxigraph, "E. Literature/allPathwayswithPubMed.rq")
    pairs = sorted((records.iri(f), records.pmc(f)) for f in records.front)
    assert [(r["pathway"], r["pubmed"]) for r in rows] == pairs[:50]  # ORDER BY ?pathway LIMIT 50


def test_reference_count_per_pathway(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    rows = run_both(virtuoso, oxigraph, "E. Literature/countRefsPerPW.rq")
    # every PFOCR figure comes from exactly one paper
    assert {(r["pathway"], r["numberOfReferences"]) for r in rows} == {
        (records.iri(f), "1") for f in records.front
    }


def test_ontology_and_pathway_dump(virtuoso: Virtuoso, oxigraph: ox.Store, records: Records) -> None:
    rows = run_both(virtuoso, oxigraph, "F. Datadump/dumpOntologyAndPW.rq")
    # The sample's disease tables carry no DOID, so no figure has a wp:ontologyTag (OPTIONAL: unbound).
    expected = {
        (records.iri(f), records.title(f), name, records.iri(f))
        for f in records.front
        if records.resolved(f)
        for name in records.names(f)
    }
    assert {(r["depicts"], r["title"], r["speciesLabel"], r["identifier"]) for r in rows} == expected
    assert len(rows) == len(expected) and not any("ontology" in r for r in rows)


def test_ontology_of_a_pathway(
    virtuoso: Virtuoso, oxigraph: ox.Store, records: Records, tmp_path: Path
) -> None:
    """The sample has no DOID: a copy of the HER2 record with a diseases table, in a graph of its own."""
    site = tmp_path / "site"
    for folder in ("_figures", "_data"):
        (site / folder).mkdir(parents=True)
    figid = "PMC3376449__ontology-test"
    text = (SAMPLE / "_figures" / f"{HER2}.md").read_text(encoding="utf-8").replace(HER2, figid)
    (site / "_figures" / f"{figid}.md").write_text(text, encoding="utf-8")
    (site / "_data" / f"{figid}-diseases.tsv").write_text(
        "word\tmesh\tmatch\tname\tdoid\n"
        "breast cancer\tmesh:D001943\tBreast Neoplasms\tbreast cancer\tdoid:1612\n"
        "cancer\tNA\tNA\tcancer\tdoid:162\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    build(BuildOptions([site], out, workers=1, progress=False))
    graph = GRAPH + "/ontology-test"
    virtuoso.bulk_load(out, ["pfocr.nt.gz"], graph)
    store = ox.Store()
    load_dumps(store, [out / "pfocr.nt.gz"])
    try:
        rows = run_both(virtuoso, store, "D. General/OntologyofPathway.rq", {'"WP1560"': f'"{figid}"'})
    finally:
        virtuoso.isql(
            f"SPARQL CLEAR GRAPH <{graph}>;\nDELETE FROM DB.DBA.load_list WHERE ll_graph = '{graph}';\n"
        )
    title = records.title(HER2)
    iri = f"{BASE}{figid}.html"
    assert as_set(rows) == {
        (("pathway", iri), ("pwOntologyTerm", vocab.OBO + f"DOID_{n}"), ("title", title)) for n in (1612, 162)
    }
    # the temporary graph is gone again: the sample's counts stay the sample's
    assert virtuoso.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ <{iri}> ?p ?o }}")[0]["n"]["value"] == "0"


# figures-per-organism: each name with its own taxon, on both engines -----------------------------
def test_figures_per_organism_pairs_names_with_their_taxa(
    virtuoso: Virtuoso, oxigraph: ox.Store, records: Records
) -> None:
    text = (REPO / "pfocr_ld" / "queries" / "figures-per-organism.rq").read_text(encoding="utf-8")
    expected: Counter[tuple[str, str | None]] = Counter()
    for figid in records.front:
        for name, taxon in records.taxa[figid].items():
            expected[name, vocab.taxon_iri(taxon) if taxon is not None else None] += 1
    multi = [f for f in records.front if len(records.resolved(f)) > 1]
    assert len(multi) >= 5  # the sample has multi-organism figures, the case this is about
    for rows in (virtuoso_rows(virtuoso.select(text)), oxigraph_rows(oxigraph, text)):
        got = {(r["organismName"], r.get("organism")): int(r["figures"]) for r in rows}
        assert got == dict(expected)
    # the taxon nodes carry the names, plain literals: names and taxa join
    label = f"SELECT ?name WHERE {{ <{vocab.taxon_iri(9606)}> <{vocab.T.rdfs['label']}> ?name }}"
    assert virtuoso.select(label) == [{"name": {"type": "literal", "value": "Homo sapiens"}}]
