"""Unit tests of :mod:`pfocr_ld.void` on hand-made statistics.

``tests/test_void_counts.py`` checks a whole build's void.ttl against SPARQL counts; these pin the
description's own rules: the three HCLS levels and how they link, every count taken from the
statistics given, optional links only when given, partitions named by CURIE (or a digest), and the
date and bytes reproducible under ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import datetime as dt

import pyoxigraph as ox
import pytest

from pfocr_ld import __version__, vocab
from pfocr_ld.void import DatasetStatistics, _slug, build_date, describe_dataset, version_iri

T = vocab.T
BASE = vocab.DEFAULT_BASE
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


def stats() -> DatasetStatistics:
    return DatasetStatistics(
        figures=3,
        triples=120,
        genes={"a", "b", "c", "d"},
        chemicals={"x"},
        papers={"p1", "p2"},
        mentions=9,
        predicate_triples={T.rdf["type"]: 20, T.schema["name"]: 100},
        class_entities={T.wp["Pathway"]: 3, T.wp["GeneProduct"]: 4},
        typed_entities=7,
    )


def graph(data: bytes) -> ox.Store:
    store = ox.Store()
    store.load(data, format=ox.RdfFormat.TURTLE)
    return store


def objects(store: ox.Store, subject: ox.NamedNode, predicate: str) -> list[ox.NamedNode | ox.Literal]:
    return [q.object for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None, None)]


def one(store: ox.Store, subject: ox.NamedNode, predicate: str) -> str:
    values = objects(store, subject, predicate)
    assert len(values) == 1, (subject, predicate, values)
    return values[0].value


def test_the_three_levels_and_their_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    store = graph(describe_dataset(stats(), BASE, "pfocr.ttl", version_id="2026-01-01-abc"))
    summary = ox.NamedNode(vocab.SITE_ROOT + "dataset")
    version = ox.NamedNode(version_iri(BASE, "2026-01-01-abc"))
    assert version.value == vocab.SITE_ROOT + "dataset/2026-01-01-abc"
    assert one(store, summary, T.dcterms["hasVersion"]) == version.value
    assert one(store, version, T.dcterms["isVersionOf"]) == summary.value
    assert one(store, version, T.pav["version"]) == "2026-01-01-abc"
    assert one(store, version, T.pav["createdOn"]) == "2026-01-01"
    assert one(store, version, T.pav["createdWith"]).endswith(f"/pfocr-ld/{__version__}/")
    assert one(store, version, T.void["uriSpace"]) == BASE

    counts = {
        T.void["triples"]: 120,
        T.void["entities"]: 7,
        T.void["classes"]: 2,
        T.void["properties"]: 2,
        T.pfocr["figureCount"]: 3,
        T.pfocr["geneCount"]: 4,
        T.pfocr["chemicalCount"]: 1,
        T.pfocr["paperCount"]: 2,
        T.pfocr["mentionCount"]: 9,
    }
    for predicate, expected in counts.items():
        literal = objects(store, version, predicate)
        assert len(literal) == 1 and isinstance(literal[0], ox.Literal), predicate
        assert literal[0].datatype.value == T.xsd["integer"] and int(literal[0].value) == expected

    distributions = [
        d for d in objects(store, version, T.dcat["distribution"]) if isinstance(d, ox.NamedNode)
    ]
    assert sorted(d.value.rsplit("/", 1)[1] for d in distributions) == ["jsonld", "nt", "ttl"]
    downloads = {one(store, d, T.dcat["downloadURL"]) for d in distributions}
    files = ("pfocr.ttl", "pfocr.nt.gz", "jsonld/")
    assert downloads == {f"{vocab.SITE_ROOT}downloads/2026-01-01-abc/{name}" for name in files}
    for distribution in distributions:
        assert one(store, distribution, T.void["triples"]) == "120"
        assert one(store, distribution, T.dcterms["isVersionOf"]) == version.value
    ttl = next(d for d in distributions if d.value.endswith("/ttl"))
    assert one(store, ttl, T.dcat["mediaType"]) == "text/turtle"
    # optional links appear only when given
    assert objects(store, version, T.pav["previousVersion"]) == []
    assert objects(store, version, T.void["sparqlEndpoint"]) == []


def test_partitions_one_per_class_and_per_property() -> None:
    store = graph(describe_dataset(stats(), BASE, "pfocr.ttl", version_id="v1"))
    version = ox.NamedNode(version_iri(BASE, "v1"))
    classes = {
        one(store, p, T.void["class"]): int(one(store, p, T.void["entities"]))
        for p in objects(store, version, T.void["classPartition"])
        if isinstance(p, ox.NamedNode)
    }
    assert classes == {T.wp["Pathway"]: 3, T.wp["GeneProduct"]: 4}
    properties = {
        one(store, p, T.void["property"]): int(one(store, p, T.void["triples"]))
        for p in objects(store, version, T.void["propertyPartition"])
        if isinstance(p, ox.NamedNode)
    }
    assert properties == {T.rdf["type"]: 20, T.schema["name"]: 100}
    assert ox.NamedNode(version.value + "#class-wp-Pathway") in {
        p for p in objects(store, version, T.void["classPartition"])
    }


def test_optional_links_and_a_compressed_turtle_file() -> None:
    previous = version_iri(BASE, "2025-12-01-old")
    endpoint = vocab.SITE_ROOT + "sparql"
    links = {"previous_version": previous, "sparql_endpoint": endpoint}
    store = graph(describe_dataset(stats(), BASE, "pfocr.ttl.gz", version_id="v2", **links))
    version = ox.NamedNode(version_iri(BASE, "v2"))
    assert one(store, version, T.pav["previousVersion"]) == previous
    assert one(store, version, T.void["sparqlEndpoint"]) == endpoint
    ttl = ox.NamedNode(version.value + "/ttl")
    assert one(store, ttl, T.dcat["mediaType"]) == "application/gzip"
    assert one(store, ttl, T.dcat["downloadURL"]).endswith("/v2/pfocr.ttl.gz")


def test_reproducible_under_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    first = describe_dataset(stats(), BASE, "pfocr.ttl")
    assert first == describe_dataset(stats(), BASE, "pfocr.ttl")
    # without a version id the release is named by the build date
    store = graph(first)
    assert one(store, ox.NamedNode(version_iri(BASE, "2026-01-01")), T.pav["version"]) == "2026-01-01"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 86_400))
    assert describe_dataset(stats(), BASE, "pfocr.ttl") != first


def test_build_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert build_date() == dt.date(2026, 1, 1)
    for unusable in ("", "yesterday", "-5"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", unusable)
        before = dt.datetime.now(tz=dt.timezone.utc).date()
        assert before <= build_date() <= dt.datetime.now(tz=dt.timezone.utc).date()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert build_date() == dt.datetime.now(tz=dt.timezone.utc).date()


def test_partition_slugs() -> None:
    assert _slug(T.wp["Pathway"]) == "wp-Pathway"
    assert _slug(T.schema["name"]) == "schema-name"
    unknown = _slug("urn:x-unknown:thing")
    assert unknown.startswith("iri-") and len(unknown) == len("iri-") + 12
    assert unknown == _slug("urn:x-unknown:thing") != _slug("urn:x-unknown:other")


def test_add_numbered_counts_distinct_nodes() -> None:
    counted = DatasetStatistics()
    counted.add_numbered([1, 2], [7], [3], mentions=4)
    counted.add_numbered([2, 5], [], [3], mentions=1)
    assert counted.figures == 2
    assert (len(counted.genes), len(counted.chemicals), len(counted.papers)) == (3, 1, 1)
    assert counted.mentions == 5
