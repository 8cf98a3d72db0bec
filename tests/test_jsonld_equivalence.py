"""The JSON-LD documents mean exactly what the Turtle dump means (checked with PyLD, offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyld import jsonld

from pfocr_ld import rdf
from pfocr_ld.build import BuildReport
from pfocr_ld.contexts import CONTEXT_REFERENCE, offline_loader
from pfocr_ld.vocab import CONTEXT_IRI


def strict_to_rdf(document: dict, base: str) -> set[str]:
    """Expand strictly (any dropped key fails) with an explicit base, then convert to N-Quads."""
    dropped: list[str | None] = []
    options = {"documentLoader": offline_loader(base=base), "base": base}
    expanded = jsonld.expand(document, options, on_property_dropped=dropped.append)
    assert dropped == [], f"keys dropped by expansion: {dropped}"
    nquads = jsonld.to_rdf(expanded, {**options, "format": "application/n-quads"})
    return {str(t) for t in ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS)}


def test_union_of_jsonld_documents_equals_turtle(sample_build: tuple[Path, BuildReport]) -> None:
    out, _ = sample_build
    union: set[str] = set()
    documents = sorted((out / "jsonld").glob("*.jsonld"))
    assert len(documents) == 55
    for path in documents:
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["@context"] == CONTEXT_REFERENCE
        # a base no IRI of ours lives under: a relative IRI would show up as one of these
        triples = strict_to_rdf(document, base="urn:x-relative-iri-bug:/")
        assert not any("urn:x-relative-iri-bug" in t for t in triples), path.name
        union |= triples
    turtle = {str(t) for t in ox.parse(path=str(out / "pfocr.ttl"), format=ox.RdfFormat.TURTLE)}
    assert union == turtle


def test_each_document_carries_exactly_its_figures_triples(
    sample_build: tuple[Path, BuildReport], sample_dir: Path
) -> None:
    from pfocr_ld.mapping import Mapper
    from pfocr_ld.model import figure_from_source
    from pfocr_ld.records import RecordSource, read_organism_pages, read_source

    figid = "PMC3376449__fonc-02-00062-g001"
    source = RecordSource(figid, str(sample_dir / "_figures" / f"{figid}.md"), (str(sample_dir / "_data"),))
    organisms = read_organism_pages([sample_dir / "_organisms"], [])
    figure = figure_from_source(next(read_source(source)), organisms).figure
    assert figure is not None
    expected = {str(rdf.to_oxigraph(t)) for t in Mapper().map(figure).triples()}
    out, _ = sample_build
    document = json.loads((out / "jsonld" / f"{figid}.jsonld").read_text(encoding="utf-8"))
    assert strict_to_rdf(document, base="urn:x-relative-iri-bug:/") == expected


def test_context_file_is_written_and_matches_the_bundled_one(sample_build: tuple[Path, BuildReport]) -> None:
    out, _ = sample_build
    written = json.loads((out / "context.jsonld").read_text(encoding="utf-8"))
    bundled = offline_loader()(CONTEXT_IRI, {})["document"]
    assert written == bundled


def test_unbundled_remote_context_is_never_fetched() -> None:
    document = {"@context": "https://example.org/remote-context.jsonld", "name": "x"}
    with pytest.raises(jsonld.JsonLdError) as failure:
        jsonld.expand(document, {"documentLoader": offline_loader(), "base": "https://example.org/"})
    assert "loading remote context failed" in str(
        failure.value.code
    ) or "loading remote context failed" in repr(failure.value)


def test_web_page_blocks_copy_published_triples(sample_build: tuple[Path, BuildReport]) -> None:
    out, _ = sample_build
    turtle = {str(t) for t in ox.parse(path=str(out / "pfocr.ttl"), format=ox.RdfFormat.TURTLE)}
    blocks = sorted((out / "schemaorg").glob("*.jsonld"))
    assert len(blocks) == 55
    for path in blocks:
        block = json.loads(path.read_text(encoding="utf-8"))
        assert block["@context"] == "https://schema.org/" and block["@type"] == "Dataset"
        assert block["license"] == "http://creativecommons.org/publicdomain/zero/1.0/"
        assert block["name"] != "CreativeWork" and block["identifier"] == path.stem
        triples = strict_to_rdf(block, base="urn:x-relative-iri-bug:/")
        # mentions, about and the genes' symbols as keywords are derived for search engines
        derived = (
            "<http://schema.org/mentions>",
            "<http://schema.org/about>",
            "<http://schema.org/keywords>",
        )
        copied = {t for t in triples if not any(f"> {p} " in t for p in derived)}
        assert copied <= turtle, sorted(copied - turtle)[:3]
        assert all("http://schema.org/" in t for t in triples if "22-rdf-syntax-ns#type" not in t)


def test_figure_document_equals_the_general_compaction(sample_dir: Path) -> None:
    """The cached fast path writes exactly what compacting all of the figure's triples writes."""
    from pfocr_ld.jsonld import document, figure_document
    from pfocr_ld.mapping import Mapper
    from pfocr_ld.model import figure_from_source
    from pfocr_ld.rdf import group
    from pfocr_ld.records import discover, read_organism_pages, read_source

    found = discover([sample_dir])
    organisms = read_organism_pages(found.organism_dirs, [])
    mapper = Mapper()
    for source in found.sources:
        figure = figure_from_source(next(read_source(source)), organisms).figure
        assert figure is not None
        graph = mapper.map(figure)
        # two variants of one node (as when a figure's rows disagree) go through the merge path
        extra = tuple(graph.shared.values())[:1]
        shared = [*graph.shared.values(), *extra]
        own = group(graph.own_triples())
        assert figure_document(own, shared, graph.iri) == document(graph.triples(), graph.iri)


def test_web_page_block_fast_path_equals_the_general_one(sample_dir: Path) -> None:
    from pfocr_ld.mapping import Mapper
    from pfocr_ld.model import figure_from_source
    from pfocr_ld.rdf import group
    from pfocr_ld.records import discover, read_organism_pages, read_source
    from pfocr_ld.schemaorg import embed_block, embed_block_parts

    found = discover([sample_dir])
    organisms = read_organism_pages(found.organism_dirs, [])
    for source in found.sources:
        figure = figure_from_source(next(read_source(source)), organisms).figure
        assert figure is not None
        graph = Mapper().map(figure)
        general = embed_block(graph.triples(), graph.iri)
        assert embed_block_parts(group(graph.own_triples()), graph.shared, graph.iri) == general
        assert general.get("mentions") or not figure.genes
