"""Predeclared prefixes and readable prefix errors, on the embedded store and on `pfocr-ld serve`.

WikiPathways' endpoint predeclares its common prefixes, so its users' queries often use `wp:` or
`dcterms:` without PREFIX lines; the same text must run here, and an undeclared prefix must be named
as such instead of a dump of the parser's expected characters.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pfocr_ld.query import QueryError, open_source, plain_value, run_query
from pfocr_ld.serve import running_server
from pfocr_ld.sparql import PREDECLARED, syntax_error_message

# "Genes of a pathway" as WikiPathways users write it, prefixes left to the endpoint.
UNDECLARED = """SELECT DISTINCT ?geneProduct ?label WHERE {
  ?geneProduct a wp:GeneProduct ; rdfs:label ?label ; dcterms:isPartOf ?pathway .
  ?pathway a wp:Pathway ; dcterms:identifier "PMC3376449__fonc-02-00062-g001" .
} ORDER BY ?label"""
DECLARED = (
    "".join(f"PREFIX {name}: <{PREDECLARED[name]}>\n" for name in ("wp", "rdfs", "dcterms")) + UNDECLARED
)
UNKNOWN = 'SELECT * WHERE { ?s a wp:Pathway ; xyz:bar ?o . FILTER(?o != "a:b") }'


@pytest.fixture(scope="module")
def store(sample_store_dir: Path) -> Path:
    return sample_store_dir


def _labels(rows) -> list[str]:
    return [str(plain_value(row["label"])) for row in rows]


def test_embedded_store_predeclares_the_common_prefixes(store: Path) -> None:
    with open_source(store=store) as source:
        undeclared = _labels(run_query(source, UNDECLARED))
        declared = _labels(run_query(source, DECLARED))
    assert undeclared == declared
    assert "ERBB2" in undeclared


def test_embedded_store_names_an_undeclared_prefix(store: Path) -> None:
    with open_source(store=store) as source, pytest.raises(QueryError) as caught:
        run_query(source, UNKNOWN)
    assert "prefix xyz: is not declared" in str(caught.value)
    assert "expected one of" not in str(caught.value)


def test_a_syntax_error_that_is_not_a_prefix_keeps_its_position() -> None:
    import pyoxigraph as ox

    text = "SELECT * WHERE { ?s ?p ?o"
    with pytest.raises(SyntaxError) as caught:
        ox.Store().query(text, prefixes=PREDECLARED)
    message = syntax_error_message(text, caught.value)
    assert message.startswith("SPARQL syntax error: error at 1:")
    assert "prefix" not in message


@pytest.fixture(scope="module")
def served(store: Path) -> Iterator[str]:
    with running_server(store, timeout=10, workers=1) as running:
        yield running.url


def test_endpoint_predeclares_prefixes_and_names_a_missing_one(served: str, store: Path) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    with httpx.Client(base_url=served, timeout=30) as http:
        answer = http.get("/sparql", params={"query": UNDECLARED}, headers=accept)
        assert answer.status_code == 200, answer.text
        labels = [row["label"]["value"] for row in answer.json()["results"]["bindings"]]
        with open_source(store=store) as source:
            assert labels == _labels(run_query(source, DECLARED))
        refused = http.get("/sparql", params={"query": UNKNOWN}, headers=accept)
        assert refused.status_code == 400
        assert "prefix xyz: is not declared" in refused.text
        assert "expected one of" not in refused.text
        page = http.get("/sparql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert 'id="predeclared-prefixes"' in page.text
        assert f"PREFIX wp: &lt;{PREDECLARED['wp']}&gt;" in page.text
