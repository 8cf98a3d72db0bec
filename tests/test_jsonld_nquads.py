"""``pfocr_ld.jsonld.to_nquads``: the one JSON-LD → N-Quads path (PyLD, bundled contexts only)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from pyld.jsonld import JsonLdError

from pfocr_ld import jsonld, rdf, vocab

BASE = "file:///build/jsonld/PMC1__fig1.jsonld"


def _lines(nquads: str) -> set[str]:
    return {str(quad.triple) + " ." for quad in ox.parse(nquads, format=ox.RdfFormat.N_QUADS)}


def test_our_documents_come_back_as_their_triples() -> None:
    figure = vocab.T.pfocr["Figure"]
    node = "https://pfocr.wikipathways.org/figures/PMC1__fig1"
    triples = [
        (node, vocab.T.rdf["type"], rdf.iri(figure)),
        (node, vocab.SCHEMA + "name", rdf.literal("A title")),
        (node, vocab.SCHEMA + "about", rdf.iri(vocab.gene_iri("7157"))),
    ]
    # the document names the context by the build's relative reference, served bundled
    document = jsonld.document(triples)
    assert document["@context"] == jsonld.CONTEXT_REFERENCE
    expected = set(rdf.ntriples(triples).decode().splitlines())
    assert len(expected) == 3
    assert _lines(jsonld.to_nquads(document, BASE)) == expected


def test_a_remote_context_is_never_fetched() -> None:
    document = {"@context": "https://example.org/context.jsonld", "@id": "urn:x", "urn:p": "v"}
    with pytest.raises(JsonLdError) as raised:
        jsonld.to_nquads(document, BASE)
    causes = []
    error: BaseException | None = raised.value
    while error is not None:
        causes.append(error)
        error = getattr(error, "cause", None) or error.__cause__
    codes = {getattr(cause, "code", None) for cause in causes}
    assert "loading remote context failed" in codes


def test_a_relative_reference_resolves_against_the_given_base() -> None:
    document = {"@id": "other.jsonld", "http://schema.org/name": "x"}
    assert _lines(jsonld.to_nquads(document, BASE)) == {
        '<file:///build/jsonld/other.jsonld> <http://schema.org/name> "x" .'
    }
