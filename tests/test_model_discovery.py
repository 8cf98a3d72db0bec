"""A developer discovering the model: `/`, `/figures/`, `/vocab` and `/vocab/mapping` of `pfocr-ld serve`.

Claims: RDF clients asking `/` or `/figures/` for RDF get RDF (the dataset description; the figure
list with RFC 8288 paging links), browsers get pages; `/vocab`, the namespace of every `pfocr:` term,
is the ontology for programs (each format read back by rdflib with default settings and compared with
`ontology/pfocr.ttl`) and a page naming every term for people; the landing page links the vocabulary,
the mapping document and the example queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from pfocr_ld import vocab
from pfocr_ld.query import open_source, plain_value, run_query
from pfocr_ld.serve import figures, running_server

REPO = Path(__file__).resolve().parent.parent
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


@pytest.fixture(scope="module")
def store(sample_store_dir: Path) -> Path:
    return sample_store_dir


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[httpx.Client]:
    with (
        running_server(store, timeout=10, workers=1) as running,
        httpx.Client(base_url=running.url, timeout=30) as http,
    ):
        yield http


def _graph(response: httpx.Response, media_type: str) -> rdflib.Graph:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media_type)
    # the response's URL is the document's base, as for any client: JSON-LD answers name their context
    # relatively (../context.jsonld), and rdflib fetches it from this server
    return rdflib.Graph().parse(
        data=response.content, format=RDF_FORMATS[media_type], publicID=str(response.url)
    )


@pytest.mark.parametrize("media_type", sorted(RDF_FORMATS))
def test_root_answers_rdf_clients_with_the_dataset_description(client: httpx.Client, media_type: str) -> None:
    root = _graph(client.get("/", headers={"Accept": media_type}), media_type)
    void = rdflib.Graph().parse(data=client.get("/void.ttl").content, format="turtle")
    assert len(root) > 20
    assert isomorphic(root, void)


def test_root_and_figure_list_still_answer_browsers_with_pages(client: httpx.Client) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for path in ("/", "/figures/"):
        page = client.get(path, headers={"Accept": browser})
        assert page.headers["content-type"].startswith("text/html")
        assert "Accept" in page.headers["vary"]
    home = client.get("/", headers={"Accept": "*/*"}).text
    for href in ('href="/vocab"', 'href="/vocab/mapping"', 'href="/sparql?example=figures-for-gene"'):
        assert href in home


@pytest.mark.parametrize("media_type", ["text/turtle", "application/ld+json"])
def test_figure_list_as_rdf(client: httpx.Client, store: Path, media_type: str) -> None:
    listed = _graph(client.get("/figures/", headers={"Accept": media_type}), media_type)
    figure_class = rdflib.URIRef(vocab.PFOCR + "Figure")
    identifier = rdflib.URIRef(vocab.DCTERMS + "identifier")
    figids = {
        str(listed.value(figure, identifier)) for figure in listed.subjects(rdflib.RDF.type, figure_class)
    }
    with open_source(store=store) as source:
        rows = run_query(source, "SELECT ?figid WHERE { ?f a pfocr:Figure ; dcterms:identifier ?figid }")
        expected = {str(plain_value(row["figid"])) for row in rows}
    assert figids == expected
    assert len(figids) == 55


def test_figure_list_pages_are_linked(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures, "FIGURES_PER_PAGE", 20)
    seen: list[str] = []
    with (
        running_server(store, timeout=10, workers=1) as running,
        httpx.Client(base_url=running.url, timeout=30) as http,
    ):
        url: str | None = "/figures/"
        while url:
            response = http.get(url, headers={"Accept": "text/turtle"})
            graph = _graph(response, "text/turtle")
            seen += [str(o) for o in graph.objects(None, rdflib.URIRef(vocab.DCTERMS + "identifier"))]
            links = dict(
                (rel, href)
                for href, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))
            )
            if url != "/figures/":
                assert "prev" in links
            url = links.get("next")
    assert len(seen) == len(set(seen)) == 55


@pytest.mark.parametrize("media_type", sorted(RDF_FORMATS))
def test_vocab_is_the_ontology_for_programs(client: httpx.Client, media_type: str) -> None:
    served = _graph(client.get("/vocab", headers={"Accept": media_type}), media_type)
    ontology = rdflib.Graph().parse(REPO / "ontology" / "pfocr.ttl", format="turtle")
    assert isomorphic(served, ontology)
    suffix = {
        "text/turtle": "ttl",
        "application/n-triples": "nt",
        "application/ld+json": "jsonld",
        "application/rdf+xml": "rdf",
    }[media_type]
    assert isomorphic(_graph(client.get(f"/vocab.{suffix}"), media_type), ontology)


def test_vocab_page_names_every_term(client: httpx.Client) -> None:
    page = client.get("/vocab", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    ontology = rdflib.Graph().parse(REPO / "ontology" / "pfocr.ttl", format="turtle")
    terms = {str(s) for s in ontology.subjects() if str(s).startswith(vocab.PFOCR)}
    assert terms
    for term in terms:
        # every pfocr: IRI of the data resolves to /vocab#<name>, an anchor on this page
        assert f'id="{term.removeprefix(vocab.PFOCR)}"' in page.text, term


def test_mapping_document(client: httpx.Client) -> None:
    markdown = client.get("/vocab/mapping", headers={"Accept": "text/markdown"})
    assert markdown.text == (REPO / "docs" / "mapping.md").read_text(encoding="utf-8")
    page = client.get("/vocab/mapping", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "<table>" in page.text and "<h1>The PFOCR → RDF mapping" in page.text
