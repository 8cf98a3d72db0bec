"""What the server reads from the store to describe a resource, how it writes it, and the cache of both.

This module owns :func:`figure_description` (exactly the triples of a figure's block in the dump,
read back from the store), :func:`dataset_description` (the loaded ``void.ttl``), :func:`rdf_body`
(our triples as Turtle, N-Triples, JSON-LD or RDF/XML, with the dump's own writers) and
:class:`RepresentationCache`, the LRU of rendered representations: the store is read-only, so a
rendered body never goes stale. These run in the server process (the store is opened read-only there
too), never in the query workers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import pyoxigraph as ox

from pfocr_ld import jsonld, rdf, vocab

_TYPE = ox.NamedNode(vocab.T.rdf["type"])
_FIGURE_CLASS = ox.NamedNode(vocab.T.pfocr["Figure"])
_IS_PART_OF = vocab.T.dcterms["isPartOf"]
#: Hops from a figure to the farthest node its block describes (figure → paper → periodical → publisher).
_DESCRIPTION_DEPTH = 3
#: A gene's taxon (RO "in taxon") is described by the figures that name the organism, not by every
#: figure showing one of its genes: the traversal does not go on through this link.
_IN_TAXON = vocab.T.obo["RO_0002162"]
_DATASET_TYPES = (vocab.T.void["Dataset"], vocab.T.dcat["Dataset"], vocab.T.dcat["Distribution"])


def figure_description(store: ox.Store, figure_iri: str) -> list[rdf.Triple] | None:
    """The triples of the figure's block in the dump, read back from ``store``; ``None`` if no such figure.

    That is: the figure, its mention nodes (``{figure}#…``) and every node that is ``dcterms:isPartOf``
    it in full, and the nodes they link to (genes, chemicals, the paper, its periodical and publisher,
    the image, DOID terms, the taxa the figure names) up to three hops out, except the
    ``dcterms:isPartOf`` links of shared nodes to *other* figures, which belong to those figures' blocks,
    and the description of a gene's taxon, which belongs to the figures naming that organism. Only the
    graph holding the figure is read.
    """
    figure = ox.NamedNode(figure_iri)
    graph = next((q.graph_name for q in store.quads_for_pattern(figure, _TYPE, _FIGURE_CLASS, None)), None)
    if graph is None:
        return None
    found: set[rdf.Triple] = set()
    seen = {figure_iri}
    fragment = figure_iri + "#"
    frontier: list[tuple[ox.NamedNode, int]] = [(figure, 0)]
    # Mentions, genes, chemicals and the paper point at the figure, not the other way round.
    for quad in store.quads_for_pattern(None, ox.NamedNode(_IS_PART_OF), figure, graph):
        if isinstance(quad.subject, ox.NamedNode) and quad.subject.value not in seen:
            seen.add(quad.subject.value)
            frontier.append((quad.subject, 1))
    while frontier:
        node, depth = frontier.pop()
        own = node.value == figure_iri or node.value.startswith(fragment)
        for quad in store.quads_for_pattern(node, None, None, graph):
            obj = quad.object
            if not own and quad.predicate.value == _IS_PART_OF and obj != figure:
                continue
            found.add(rdf.from_oxigraph(quad))
            if quad.predicate.value == _IN_TAXON:
                continue
            if isinstance(obj, ox.NamedNode) and depth < _DESCRIPTION_DEPTH and obj.value not in seen:
                seen.add(obj.value)
                frontier.append((obj, depth + 1))
    return sorted(found)


def dataset_description(store: ox.Store) -> list[rdf.Triple]:
    """The dataset description (``void.ttl``) as loaded with the data: every node typed void:Dataset,
    dcat:Dataset or dcat:Distribution, in full. Figures are ``schema:Dataset``, never one of these."""
    subjects: set[ox.NamedNode] = set()
    for type_iri in _DATASET_TYPES:
        for quad in store.quads_for_pattern(None, _TYPE, ox.NamedNode(type_iri), None):
            if isinstance(quad.subject, ox.NamedNode):
                subjects.add(quad.subject)
    found: set[rdf.Triple] = set()
    for subject in subjects:
        found.update(rdf.from_oxigraph(q) for q in store.quads_for_pattern(subject, None, None, None))
    return sorted(found)


def rdf_body(triples: list[rdf.Triple], fmt: str, first: str | None = None) -> bytes:
    """Our triples as Turtle (the dump's own writer, with its prefixes), N-Triples, JSON-LD or RDF/XML."""
    if fmt == "ttl":
        return rdf.turtle_prefixes() + b"\n" + rdf.turtle(sorted(triples))
    if fmt == "nt":
        return rdf.ntriples(sorted(triples))
    if fmt == "jsonld":
        return jsonld.dumps(jsonld.document(triples, first))
    return (
        ox.serialize(
            [rdf.to_oxigraph(t) for t in sorted(triples)],
            format=ox.RdfFormat.RDF_XML,
            prefixes=vocab.PREFIXES,
        )
        or b""
    )


class RepresentationCache:
    """Thread-safe LRU cache; the store is read-only, so a rendered representation never goes stale."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


#: The name older code imports.
_LRU = RepresentationCache
