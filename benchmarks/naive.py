"""The naive pipeline the benchmark compares against: one rdflib Graph, pySHACL, rdflib serialisers.

Same reading, cleaning and mapping code as the real build (so the comparison isolates the graph,
validation and serialisation strategy), but everything goes into one in-memory rdflib Graph,
pySHACL validates that whole graph once, and rdflib writes Turtle, N-Triples and JSON-LD.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pyshacl
import rdflib

from pfocr_ld import rdf
from pfocr_ld.mapping import Mapper
from pfocr_ld.model import figure_from_source
from pfocr_ld.records import discover, read_organism_pages, read_source
from pfocr_ld.resources import shapes_dir


def _term(term: str) -> rdflib.term.Node:
    if term.startswith("<"):
        return rdflib.URIRef(term[1:-1])
    value, language, datatype = rdf.decode_literal(term)
    return rdflib.Literal(value, lang=language, datatype=rdflib.URIRef(datatype) if datatype else None)


def run_naive(source: Path, out: Path) -> dict[str, float]:
    """Build ``source`` the naive way into ``out``; return seconds per stage."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    found = discover([source])
    organisms = read_organism_pages(found.organism_dirs, [])
    mapper = Mapper()
    graph = rdflib.Graph()
    for prefix, namespace in rdf.vocab.PREFIXES.items():
        graph.bind(prefix, namespace)
    for record_source in found.sources:
        for record in read_source(record_source):
            figure = figure_from_source(record, organisms).figure
            if figure is None:
                continue
            for subject, predicate, obj in mapper.map(figure).triples():
                graph.add((rdflib.URIRef(subject), rdflib.URIRef(predicate), _term(obj)))
    seconds["read+map"] = time.perf_counter() - started

    started = time.perf_counter()
    shapes = rdflib.Graph()
    for path in sorted(shapes_dir().glob("*.ttl")):
        shapes.parse(path, format="turtle")
    pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False, meta_shacl=False)
    seconds["validate"] = time.perf_counter() - started

    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    graph.serialize(out / "pfocr.ttl", format="turtle")
    graph.serialize(out / "pfocr.nt", format="nt")
    graph.serialize(out / "pfocr.jsonld", format="json-ld")
    seconds["write"] = time.perf_counter() - started
    seconds["triples"] = len(graph)
    return seconds


if __name__ == "__main__":
    print(run_naive(Path(sys.argv[1]), Path(sys.argv[2])))
