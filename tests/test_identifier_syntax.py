"""Identifier syntax in one place (``vocab.ID_SYNTAX``): the IRIs pfocr-ld mints from identifiers of
that syntax match the IRI patterns the SHACL shapes check, and the record model reads the same syntax."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pfocr_ld import model, vocab

MINTERS = {
    "ncbigene": (vocab.gene_iri, "ncbigene"),
    "mesh": (vocab.mesh_iri, "mesh"),
    "mesh_rdf": (vocab.mesh_rdf_iri, "mesh"),
    "doid": (vocab.doid_iri, "doid"),
    "ncbitaxon": (vocab.taxon_iri, "ncbitaxon"),
    "pmc": (vocab.pmc_iri, "pmc"),
}


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_minted_iris_match_the_iri_patterns(data: st.DataObject) -> None:
    for name, (mint, syntax) in MINTERS.items():
        identifier = data.draw(st.from_regex(vocab.ID_SYNTAX[syntax], fullmatch=True))
        assert re.match(vocab.IRI_PATTERNS[name], mint(identifier)), (name, identifier)
    number = data.draw(st.from_regex(r"[0-9]{1,9}", fullmatch=True))
    chebi = vocab.chebi_iri(number)
    assert re.match(vocab.IRI_PATTERNS["chebi"], chebi)
    assert re.fullmatch(vocab.ID_SYNTAX["chebi"], chebi.rsplit("/", 1)[1])


def test_the_model_reads_the_published_syntax() -> None:
    for pattern, syntax in ((model._MESH, "mesh"), (model._DOI, "doi"), (model._WPID, "wikipathways")):
        assert vocab.ID_SYNTAX[syntax] in pattern.pattern
    assert model._MESH.match("D014530") and not model._MESH.match("D01453")
    assert model._DOI.match("10.3389/fonc.2012.00062") and not model._DOI.match("10.33/x")
    assert model._WPID.match("WP4172") and not model._WPID.match("WP")
