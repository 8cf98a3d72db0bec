"""void.ttl tells the truth as SPARQL sees it: every count it states is what a COUNT query over the
release's records (``pfocr.nt.gz``, loaded into pyoxigraph) returns.

Issue 16 §3: the description used to state 2,182 ``pfocr:Mention`` entities where
``SELECT (COUNT(?m) AS ?n) { ?m a pfocr:Mention }`` found 0 (mentions carry only their subclass),
and it had no property partitions.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pfocr_ld import vocab
from pfocr_ld.build import BuildOptions, BuildReport, build, build_command
from pfocr_ld.synth import synthesize

T = vocab.T


def _void(folder: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(folder / "void.ttl"), format=ox.RdfFormat.TURTLE)
    return store


def _records(folder: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(gzip.decompress((folder / "pfocr.nt.gz").read_bytes()), format=ox.RdfFormat.N_TRIPLES)
    return store


def _count(store: ox.Store, query: str) -> int:
    rows = list(store.query(query))
    return int(rows[0]["n"].value)


def _one(void: ox.Store, subject: ox.NamedNode, predicate: str) -> ox.NamedNode | ox.Literal:
    values = [q.object for q in void.quads_for_pattern(subject, ox.NamedNode(predicate), None, None)]
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def _version(void: ox.Store) -> ox.NamedNode:
    versions = [q.subject for q in void.quads_for_pattern(None, ox.NamedNode(T.pav["version"]), None, None)]
    assert len(versions) == 1
    return versions[0]


def _assert_void_matches_sparql(folder: Path) -> dict[str, int]:
    void, records = _void(folder), _records(folder)
    version = _version(void)
    checked: dict[str, int] = {}

    triples = int(_one(void, version, T.void["triples"]).value)
    assert triples == len(records) == _count(records, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    entities = int(_one(void, version, T.void["entities"]).value)
    assert entities == _count(records, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c }")
    assert int(_one(void, version, T.void["classes"]).value) == _count(
        records, "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }"
    )
    assert int(_one(void, version, T.void["properties"]).value) == _count(
        records, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }"
    )
    for distribution in void.quads_for_pattern(version, ox.NamedNode(T.dcat["distribution"]), None, None):
        assert int(_one(void, distribution.object, T.void["triples"]).value) == triples

    partitions = [
        q.object for q in void.quads_for_pattern(version, ox.NamedNode(T.void["classPartition"]), None, None)
    ]
    classes = set()
    for partition in partitions:
        cls = _one(void, partition, T.void["class"])
        stated = int(_one(void, partition, T.void["entities"]).value)
        found = _count(records, f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s a {cls} }}")
        assert stated == found, (cls, stated, found)
        classes.add(cls.value)
        checked[cls.value] = stated
    used = {r["c"].value for r in records.query("SELECT DISTINCT ?c { ?s a ?c }")}
    assert classes == used  # a partition for every class used, and for no other

    partitions = [
        q.object
        for q in void.quads_for_pattern(version, ox.NamedNode(T.void["propertyPartition"]), None, None)
    ]
    properties = set()
    for partition in partitions:
        prop = _one(void, partition, T.void["property"])
        stated = int(_one(void, partition, T.void["triples"]).value)
        found = _count(records, f"SELECT (COUNT(*) AS ?n) {{ ?s {prop} ?o }}")
        assert stated == found, (prop, stated, found)
        properties.add(prop.value)
    used = {r["p"].value for r in records.query("SELECT DISTINCT ?p { ?s ?p ?o }")}
    assert properties == used
    assert (
        sum(int(_one(void, p, T.void["triples"]).value) for p in partitions) == triples
    )  # every triple in exactly one property partition
    return checked


def test_sample_void_matches_sparql(sample_build: tuple[Path, BuildReport]) -> None:
    folder, report = sample_build
    checked = _assert_void_matches_sparql(folder)
    # The mention count the description gives is the sum of the subclasses a query finds.
    mentions = sum(checked.get(T.pfocr[c], 0) for c in ("GeneMention", "ChemicalMention", "DiseaseMention"))
    assert mentions == report.mentions > 0
    assert T.pfocr["Mention"] not in checked  # no class partition a query cannot find


def test_synth_corpus_void_matches_sparql(tmp_path: Path) -> None:
    """A corpus with shared nodes described differently by different figures (variants), duplicate
    figids and rejected records: shared triples are counted once."""
    synthesize(300, tmp_path / "corpus", seed=1)
    report = build(BuildOptions([tmp_path / "corpus"], tmp_path / "out", workers=2, batch_size=40))
    assert report.published > 250
    _assert_void_matches_sparql(tmp_path / "out")


def test_sparql_endpoint_option(tmp_path: Path) -> None:
    sample = Path(__file__).parent.parent / "examples" / "pfocr-sample"
    url = "https://sparql.example.org/pfocr/sparql"
    result = CliRunner().invoke(
        build_command,
        [str(sample), "--out", str(tmp_path / "out"), "--sparql-endpoint", url, "--workers", "1"],
    )
    assert result.exit_code == 0, result.output
    void = _void(tmp_path / "out")
    assert _one(void, _version(void), T.void["sparqlEndpoint"]) == ox.NamedNode(url)
    plain = build(BuildOptions([sample], tmp_path / "plain", workers=1))
    assert plain.published == 55
    assert not list(
        _void(tmp_path / "plain").quads_for_pattern(None, ox.NamedNode(T.void["sparqlEndpoint"]), None, None)
    )


@pytest.mark.parametrize("url", ["ftp://example.org/sparql", "not a url", "https://example.org/a b"])
def test_sparql_endpoint_must_be_an_http_url(tmp_path: Path, url: str) -> None:
    sample = Path(__file__).parent.parent / "examples" / "pfocr-sample"
    result = CliRunner().invoke(
        build_command, [str(sample), "--out", str(tmp_path / "out"), "--sparql-endpoint", url]
    )
    assert result.exit_code == 2
    assert "--sparql-endpoint" in result.output
    assert not (tmp_path / "out").exists()
