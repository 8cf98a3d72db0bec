"""Unit tests of :mod:`pfocr_ld.writers` on small hand-made figure graphs.

The build's tests see the writer through whole releases; these pin its own promises one by one: a
shared description is serialised the same whatever the order of its triples, a worker sends each
description once (:func:`~pfocr_ld.writers.drop_sent`), ``pfocr.ttl`` describes a shared node once
(at its first figure), a variant of a node adds only its new triples to the counts, the counts are
what a SPARQL engine finds in ``pfocr.nt.gz``, and the spans point at each figure's own block.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from pfocr_ld import rdf, vocab
from pfocr_ld.mapping import FigureGraph
from pfocr_ld.writers import (
    CONTEXT_FILE,
    JSONLD_DIR,
    NTRIPLES_GZ,
    SCHEMAORG_DIR,
    TURTLE,
    TURTLE_GZ,
    VOID,
    OutputWriter,
    SerializedFigure,
    drop_sent,
    remove_tree,
    serialize_description,
    serialize_figure,
)

T = vocab.T
NAME = T.schema["name"]
ABOUT = T.schema["about"]
GENE = vocab.gene_iri("7157")
OTHER_GENE = vocab.gene_iri("1956")


def lit(text: str) -> str:
    return f'"{text}"'


def ref(iri: str) -> str:
    return f"<{iri}>"


def gene_description(gene: str, symbol: str) -> tuple[rdf.Triple, ...]:
    return (
        (gene, rdf.RDF_TYPE, ref(T.wp["GeneProduct"])),
        (gene, T.rdfs["label"], lit(symbol)),
    )


def figure(figid: str, shared: dict[str, tuple[rdf.Triple, ...]]) -> FigureGraph:
    iri = vocab.DEFAULT_BASE + figid
    own = [
        (iri, rdf.RDF_TYPE, ref(T.wp["Pathway"])),
        (iri, rdf.RDF_TYPE, ref(T.schema["ImageObject"])),
        (iri, NAME, lit(f"Figure {figid}")),
        *((iri, ABOUT, ref(node)) for node in shared),
    ]
    return FigureGraph(figid=figid, iri=iri, own=own, shared=dict(shared))


def parse_nt(data: bytes) -> set[ox.Triple]:
    return set(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))


# Descriptions and figures --------------------------------------------------------------------------
def test_a_description_is_the_same_whatever_the_order_of_its_triples() -> None:
    triples = gene_description(GENE, "TP53")
    forward = serialize_description(GENE, triples)
    backward = serialize_description(GENE, tuple(reversed(triples)))
    assert forward == backward
    assert forward.ntriples == rdf.ntriples(sorted(triples))
    assert forward.key == (GENE, forward.digest)
    renamed = serialize_description(GENE, gene_description(GENE, "P53"))
    assert renamed.digest != forward.digest  # variants of one node are told apart by digest


def test_serialize_figure_counts_and_bytes() -> None:
    graph = figure("PMC1__f1", {GENE: gene_description(GENE, "TP53")})
    serialized = serialize_figure(graph, compress_turtle=False, keep_block_ntriples=True)
    own = graph.own_triples()
    assert serialized.own_triples == len(own) == 4
    assert gzip.decompress(serialized.ntriples_gz) == rdf.ntriples(own)
    assert serialized.turtle == rdf.turtle_nodes(rdf.group(own), once=graph.iri)
    assert serialized.own_predicates == {rdf.RDF_TYPE: 2, NAME: 1, ABOUT: 1}
    assert serialized.own_classes == {T.wp["Pathway"]: 1, T.schema["ImageObject"]: 1}
    assert serialized.own_typed == 1  # two types, one subject
    assert serialized.shared_keys == [d.key for d in serialized.shared] and len(serialized.shared) == 1
    block = parse_nt(serialized.block_ntriples)
    assert block == parse_nt(rdf.ntriples(graph.triples()))
    document = json.loads(serialized.jsonld)
    assert graph.iri in json.dumps(document)
    compressed = serialize_figure(graph, compress_turtle=True)
    assert gzip.decompress(compressed.turtle) == serialized.turtle
    assert compressed.block_ntriples == b""  # kept only when asked for


def test_the_figure_digest_follows_its_shared_descriptions() -> None:
    one = serialize_figure(figure("PMC1__f1", {GENE: gene_description(GENE, "TP53")}), False)
    same = serialize_figure(figure("PMC1__f1", {GENE: gene_description(GENE, "TP53")}), False)
    renamed = serialize_figure(figure("PMC1__f1", {GENE: gene_description(GENE, "P53")}), False)
    assert one.digest == same.digest and len(one.digest) == 32
    assert renamed.digest != one.digest  # same own triples, another description of the gene


def test_drop_sent_keeps_each_description_in_full_once() -> None:
    shared = {GENE: gene_description(GENE, "TP53")}
    first = serialize_figure(figure("PMC1__f1", shared), False)
    second = serialize_figure(
        figure("PMC2__f2", {**shared, OTHER_GENE: gene_description(OTHER_GENE, "EGFR")}), False
    )
    sent: set[tuple[str, int]] = set()
    drop_sent(first, sent)
    assert [d.node for d in first.shared] == [GENE]
    drop_sent(second, sent)
    assert [d.node for d in second.shared] == [OTHER_GENE]  # TP53 went with the first figure
    assert len(second.shared_keys) == 2  # its keys still name both
    assert sent == {*first.shared_keys, *second.shared_keys}


# The writer -------------------------------------------------------------------------------------------
def write(staging: Path, figures: list[SerializedFigure], compress: bool = False) -> OutputWriter:
    writer = OutputWriter(staging, compress_turtle=compress)
    for serialized in figures:
        writer.add(serialized)
    writer.fold_counts()
    writer.finish(b"# void\n")
    return writer


def test_shared_nodes_are_published_once_and_counted_as_sparql_finds_them(tmp_path: Path) -> None:
    shared = {GENE: gene_description(GENE, "TP53")}
    graphs = [
        figure("PMC1__f1", shared),
        figure("PMC2__f2", {**shared, OTHER_GENE: gene_description(OTHER_GENE, "EGFR")}),
    ]
    serialized = [serialize_figure(g, False) for g in graphs]
    sent: set[tuple[str, int]] = set()
    for s in serialized:
        drop_sent(s, sent)
    writer = write(tmp_path, serialized)

    turtle = (tmp_path / TURTLE).read_text()
    assert turtle.count('"TP53"') == 1 and turtle.count('"EGFR"') == 1
    assert turtle.startswith(rdf.turtle_prefixes().decode())
    published = set(ox.parse(gzip.decompress((tmp_path / NTRIPLES_GZ).read_bytes()), ox.RdfFormat.N_TRIPLES))
    expected = set().union(*(parse_nt(rdf.ntriples(g.triples())) for g in graphs))
    assert published == expected
    assert set(ox.parse(path=str(tmp_path / TURTLE), format=ox.RdfFormat.TURTLE)) == expected

    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in published)
    assert writer.figures == 2
    assert writer.triples == len(published) == 4 + 5 + 2 * 2  # own (one "about" a gene), genes
    for predicate, count in writer.predicate_triples.items():
        rows = list(store.query(f"SELECT (COUNT(*) AS ?n) {{ ?s <{predicate}> ?o }}"))
        assert int(rows[0]["n"].value) == count, predicate
    assert sum(writer.predicate_triples.values()) == writer.triples
    assert writer.class_entities == {T.wp["Pathway"]: 2, T.schema["ImageObject"]: 2, T.wp["GeneProduct"]: 2}
    typed = list(store.query("SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c }"))
    assert writer.typed_entities == int(typed[0]["n"].value) == 4

    for folder in (JSONLD_DIR, SCHEMAORG_DIR):
        assert sorted(p.name for p in (tmp_path / folder).iterdir()) == [
            "PMC1__f1.jsonld",
            "PMC2__f2.jsonld",
        ]
    assert (tmp_path / JSONLD_DIR / "PMC2__f2.jsonld").read_bytes() == serialized[1].jsonld
    assert (tmp_path / VOID).read_bytes() == b"# void\n"
    assert "@context" in json.loads((tmp_path / CONTEXT_FILE).read_bytes())


def test_a_variant_description_adds_only_its_new_triples(tmp_path: Path) -> None:
    first = serialize_figure(figure("PMC1__f1", {GENE: gene_description(GENE, "TP53")}), False)
    variant = gene_description(GENE, "P53")  # same type triple, another label
    second = serialize_figure(figure("PMC2__f2", {GENE: variant}), False)
    writer = write(tmp_path, [first, second])
    labels = {
        t.object.value
        for t in ox.parse(gzip.decompress((tmp_path / NTRIPLES_GZ).read_bytes()), ox.RdfFormat.N_TRIPLES)
        if t.predicate.value == T.rdfs["label"]
    }
    assert labels == {"TP53", "P53"}
    assert writer.triples == 2 * 4 + 2 + 1  # the variant's type triple was published already
    assert writer.class_entities[T.wp["GeneProduct"]] == 1


def test_spans_point_at_each_figures_own_block(tmp_path: Path) -> None:
    serialized = [
        serialize_figure(figure(f"PMC{n}__f{n}", {GENE: gene_description(GENE, "TP53")}), False)
        for n in (1, 2, 3)
    ]
    writer = OutputWriter(tmp_path)
    spans = [writer.add(s) for s in serialized]
    writer.finish(b"")
    turtle = (tmp_path / TURTLE).read_bytes()
    ntriples = (tmp_path / NTRIPLES_GZ).read_bytes()
    for s, span in zip(serialized, spans, strict=True):
        assert turtle[span.turtle_offset : span.turtle_offset + span.turtle_length] == s.turtle
        member = ntriples[span.ntriples_offset : span.ntriples_offset + span.ntriples_length]
        assert gzip.decompress(member) == gzip.decompress(s.ntriples_gz)
    # the first figure's tail holds the gene; the others publish nothing after them
    assert spans[0].tail_digest != spans[1].tail_digest == spans[2].tail_digest


def test_compressed_turtle_is_one_gzip_stream(tmp_path: Path) -> None:
    shared = {GENE: gene_description(GENE, "TP53")}
    serialized = [serialize_figure(figure(f"PMC{n}__f{n}", shared), True) for n in (1, 2)]
    write(tmp_path, serialized, compress=True)
    assert not (tmp_path / TURTLE).exists()
    text = gzip.decompress((tmp_path / TURTLE_GZ).read_bytes())
    assert len(set(ox.parse(text, format=ox.RdfFormat.TURTLE))) == 2 * 4 + 2


def test_held_descriptions_serve_later_figures(tmp_path: Path) -> None:
    """A duplicate figure is held, not published: the next figure that names its descriptions by key
    finds them; a key never sent in full is an internal error, not a silent gap."""
    shared = {GENE: gene_description(GENE, "TP53")}
    duplicate = serialize_figure(figure("PMC1__f1", shared), False)
    later = serialize_figure(figure("PMC2__f2", shared), False)
    sent: set[tuple[str, int]] = set()
    drop_sent(duplicate, sent)
    drop_sent(later, sent)
    assert later.shared == []
    writer = OutputWriter(tmp_path)
    writer.hold(duplicate)
    writer.add(later)
    writer.finish(b"")
    assert (tmp_path / TURTLE).read_text().count('"TP53"') == 1

    orphan = serialize_figure(figure("PMC3__f3", {OTHER_GENE: gene_description(OTHER_GENE, "EGFR")}), False)
    orphan.shared = []
    (tmp_path / "again").mkdir()
    writer = OutputWriter(tmp_path / "again")
    with pytest.raises(RuntimeError, match="never sent in full"):
        writer.add(orphan)
    writer.abort()


def test_abort_closes_without_raising_and_remove_tree_removes_everything(tmp_path: Path) -> None:
    writer = OutputWriter(tmp_path)
    writer.add(serialize_figure(figure("PMC1__f1", {}), False))
    writer.abort()
    writer.abort()  # twice: still no exception
    many = tmp_path / "many"
    for n in range(1200):  # over the threshold where deletion is shared out among threads
        folder = many / f"d{n % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{n}.jsonld").write_bytes(b"{}")
    remove_tree(many)
    assert not many.exists()
