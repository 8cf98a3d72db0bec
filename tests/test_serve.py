"""`pfocr-ld serve` over HTTP: the sample built, loaded into a store and served on 127.0.0.1.

One server (uvicorn in a background thread, on a free port) serves the whole module; a second,
one-worker server with a small memory limit shows a memory-hungry query costs only its worker.
Every response is parsed: the figure's Turtle, N-Triples and JSON-LD must be the same graph as the
published JSON-LD, which the served JSON-LD must equal byte for byte; every named query must return
over HTTP exactly what the embedded store returns.
"""

from __future__ import annotations

import csv
import html.parser
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyoxigraph as ox
import pytest
from pyld import jsonld as pyld
from serving import MAX_RESULTS, TIMEOUT, Served

from pfocr_ld import ordering, rdf, templates, vocab
from pfocr_ld.contexts import offline_loader
from pfocr_ld.mapping import Mapper
from pfocr_ld.serve import inspect_sparql, negotiate, parse_accept, running_server

HER2 = "PMC3376449__fonc-02-00062-g001"
# A figure with genes (all three match types), chemicals (ChEBI and MeSH-only) and a disease.
RICH = "PMC10003241__ijms-24-04893-g003"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # constant memory, ~forever


@pytest.fixture(scope="module")
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=30) as http:
        yield http


# Parsing helpers -----------------------------------------------------------------------------------
def rdf_graph(body: bytes | str, fmt: str) -> set[rdf.Triple]:
    """The triples of a response, whatever its syntax (JSON-LD via PyLD with the bundled contexts)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    if fmt in ("jsonld", "schema"):
        nquads = pyld.to_rdf(
            json.loads(data),
            {
                "documentLoader": offline_loader(base="http://invalid.example/"),
                "format": "application/n-quads",
                "base": "http://invalid.example/",
            },
        )
        return {rdf.from_oxigraph(q) for q in ox.parse(nquads.encode("utf-8"), ox.RdfFormat.N_QUADS)}
    rdf_format = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML}[
        fmt
    ]
    return {rdf.from_oxigraph(t) for t in ox.parse(data, rdf_format)}


def solutions(response: httpx.Response) -> list[dict[str, str]]:
    """SELECT rows of any SPARQL results format as {variable: N-Triples term}, sorted."""
    media = response.headers["content-type"].split(";")[0]
    if media == "text/csv":
        rows = list(csv.DictReader(io.StringIO(response.text)))
        return sorted((dict(r) for r in rows), key=repr)
    fmt = {
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    }[media]
    parsed = ox.parse_query_results(response.content, fmt)
    names = [v.value for v in parsed.variables]
    return sorted(({n: str(s[n]) for n in names if s[n] is not None} for s in parsed), key=repr)


class PageParser(html.parser.HTMLParser):
    """Just enough of an HTML page for accessibility and content checks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: dict[str, str] = {}
        self.text: list[str] = []
        self._script: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script" and attributes.get("type", "").endswith("json"):  # type: ignore[union-attr]
            self._script = attributes.get("id") or attributes.get("type")  # type: ignore[assignment]
            self._buffer = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts[self._script] = "".join(self._buffer)
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._buffer.append(data)
        else:
            self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def parse_page(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


# Content negotiation (unit) ----------------------------------------------------------------------------
OFFERS = (
    ("text/html", "html"),
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"),
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "html"),
        ("", "html"),
        ("*/*", "html"),
        ("text/turtle", "ttl"),
        ("text/turtle;q=0.5, application/ld+json;q=0.9", "jsonld"),
        ("application/ld+json;q=0, */*", "html"),
        ("text/*;q=0.2, text/turtle;q=0.6, application/n-triples;q=0.4", "ttl"),
        ("text/turtle;q=0.3, text/*;q=0.8", "html"),  # the more specific range sets text/turtle's q
        ("*/*;q=0.1, application/n-triples", "nt"),
        ("TEXT/TURTLE", "ttl"),
        ("image/png", None),
        ("text/turtle;q=0", None),
        ("garbage, ;;;, /", "html"),  # nothing parsable: as if no header
        ("text/turtle;q=abc, application/n-triples", "nt"),  # a malformed q drops its range only
        ("application/rdf+xml, text/html;q=0.1", "html"),
    ],
)
def test_negotiate_follows_q_values_and_specificity(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, OFFERS) == expected


def test_parse_accept_bounds_its_work() -> None:
    assert len(parse_accept(",".join(["text/plain"] * 10_000))) == 64


def test_inspect_sparql_sees_through_strings_comments_and_escapes() -> None:
    assert inspect_sparql("PREFIX x: <http://x/> INSERT DATA { x:a x:b x:c }").form == "INSERT"
    assert inspect_sparql("# SELECT\nBASE <http://x/> DELETE WHERE { ?s ?p ?o }").form == "DELETE"
    assert inspect_sparql('SELECT * WHERE { ?s ?p "INSERT SERVICE {" }').form == "SELECT"
    assert not inspect_sparql('SELECT * WHERE { ?s ?p "SERVICE <http://x> { }" } # SERVICE').service
    assert not inspect_sparql(
        "SELECT ?service WHERE { ?s <http://x/service> ?service . ?s ex:SERVICE 1 }"
    ).service
    assert inspect_sparql("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }").service
    assert inspect_sparql("SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }").service
    assert inspect_sparql("select * where { service silent <http://x/> { ?s ?p ?o } }").service
    assert inspect_sparql("SELECT * WHERE " + "{" * 500 + "}" * 500).depth == 500


# Figures ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("accept", "media", "suffix"),
    [
        ("text/html", "text/html", "html"),
        ("text/turtle", "text/turtle", "ttl"),
        ("application/ld+json", "application/ld+json", "jsonld"),
        ("application/n-triples", "application/n-triples", "nt"),
    ],
)
def test_figure_iri_negotiates_each_format(
    client: httpx.Client, served: Served, accept: str, media: str, suffix: str
) -> None:
    response = client.get(served.figure(HER2), headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert response.headers["vary"] == "Accept"
    assert response.headers["content-location"] == f"/figures/{HER2}.{suffix}"
    assert response.headers["etag"].startswith('"')
    assert "max-age=" in response.headers["cache-control"]


def test_every_served_jsonld_is_the_published_file(client: httpx.Client, served: Served) -> None:
    published = sorted((served.out / "jsonld").glob("*.jsonld"))
    assert len(published) == 55
    for path in published:
        figid = path.name.removesuffix(".jsonld")
        response = client.get(served.figure(figid, "jsonld"))
        assert response.status_code == 200, figid
        assert response.content == path.read_bytes(), figid
    negotiated = client.get(served.figure(HER2), headers={"Accept": "application/ld+json"})
    assert negotiated.content == (served.out / "jsonld" / f"{HER2}.jsonld").read_bytes()


@pytest.mark.parametrize("figid", [HER2, RICH])
def test_turtle_ntriples_and_jsonld_are_the_published_graph(
    client: httpx.Client, served: Served, figid: str
) -> None:
    expected = rdf_graph((served.out / "jsonld" / f"{figid}.jsonld").read_bytes(), "jsonld")
    assert len(expected) > 100
    for suffix in ("ttl", "nt", "jsonld"):
        response = client.get(served.figure(figid, suffix), headers={"Accept": "text/html"})
        assert response.status_code == 200
        assert "vary" not in response.headers  # the suffix chose the format, not the Accept header
        assert rdf_graph(response.content, suffix) == expected, suffix


def test_served_turtle_is_the_dump_writer_output(client: httpx.Client, served: Served) -> None:
    """The Turtle uses the dump's prefixes and grouping, and every triple is in pfocr.ttl."""
    body = client.get(served.figure(HER2, "ttl")).text
    assert body.startswith(rdf.turtle_prefixes().decode())
    dump = rdf_graph((served.out / "pfocr.ttl").read_bytes(), "ttl")
    served_graph = rdf_graph(body, "ttl")
    assert served_graph <= dump
    assert (
        "https://pfocr.wikipathways.org/figures/" + HER2 + ".html",
        vocab.T.rdf["type"],
        f"<{vocab.T.pfocr['Figure']}>",
    ) in served_graph


def test_shared_nodes_keep_only_this_figures_links(client: httpx.Client, served: Served) -> None:
    """A gene shown in many figures is described with the isPartOf link to this figure only."""
    iri = Mapper().figure_iri(RICH)
    graph = rdf_graph(client.get(served.figure(RICH, "nt")).content, "nt")
    part_of = {o for s, p, o in graph if p == vocab.T.dcterms["isPartOf"]}
    assert part_of == {f"<{iri}>"}
    dump = rdf_graph((served.out / "pfocr.ttl").read_bytes(), "ttl")
    genes = {s for s, p, o in graph if o == f"<{vocab.T.wp['GeneProduct']}>"}
    elsewhere = {s for s, p, o in dump if s in genes and p == vocab.T.dcterms["isPartOf"] and o != f"<{iri}>"}
    assert elsewhere, "the sample should have genes shared between figures"


def test_unknown_figures_are_404_with_help(client: httpx.Client, served: Served) -> None:
    plain = client.get(served.url + "/figures/PMC0__nothing.html", headers={"Accept": "text/turtle"})
    assert plain.status_code == 404
    assert plain.headers["content-type"].startswith("text/plain")
    assert "no figure 'PMC0__nothing'" in plain.text
    page = client.get(served.url + "/figures/PMC3376449__fonc-02-00062.html", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "Did you mean" in page.text and f"/figures/{HER2}.html" in page.text  # same paper, close name
    for path in (
        "/figures/%ff%fe.ttl",
        "/figures/" + "x" * 5000 + ".html",
        "/figures/a/../../etc/passwd",
        "/figures/..%2f..%2fpfocr.ttl",
        "/nothing-here",
    ):
        assert client.get(served.url + path).status_code == 404, path


def test_figure_without_suffix_redirects_to_its_iri(client: httpx.Client, served: Served) -> None:
    response = client.get(served.url + f"/figures/{HER2}", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == f"/figures/{HER2}.html"


def test_unsupported_accept_is_406(client: httpx.Client, served: Served) -> None:
    response = client.get(served.figure(HER2), headers={"Accept": "image/png, application/pdf"})
    assert response.status_code == 406
    assert "text/turtle" in response.text and "application/ld+json" in response.text
    # An explicit suffix is served whatever the Accept header says.
    assert client.get(served.figure(HER2, "ttl"), headers={"Accept": "image/png"}).status_code == 200


def test_etag_and_if_none_match(client: httpx.Client, served: Served) -> None:
    first = client.get(served.figure(HER2), headers={"Accept": "text/turtle"})
    etag = first.headers["etag"]
    again = client.get(served.figure(HER2), headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["vary"] == "Accept"
    weak = client.get(
        served.figure(HER2), headers={"Accept": "text/turtle", "If-None-Match": f'"x", W/{etag}'}
    )
    assert weak.status_code == 304
    assert (
        client.get(served.figure(HER2), headers={"Accept": "text/turtle", "If-None-Match": "*"}).status_code
        == 304
    )
    other = client.get(served.figure(HER2), headers={"Accept": "text/turtle", "If-None-Match": '"stale"'})
    assert other.status_code == 200 and other.content == first.content
    # Another representation of the same resource has another validator.
    html_etag = client.get(served.figure(HER2), headers={"Accept": "text/html"}).headers["etag"]
    assert html_etag != etag
    assert (
        client.get(served.figure(HER2), headers={"Accept": "text/html", "If-None-Match": etag}).status_code
        == 200
    )


def test_head_answers_like_get_without_a_body(client: httpx.Client, served: Served) -> None:
    get = client.get(served.figure(HER2, "nt"))
    head = client.head(served.figure(HER2, "nt"))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert int(head.headers["content-length"]) == len(get.content)


def test_figure_page_is_a_page_for_people(client: httpx.Client, served: Served) -> None:
    response = client.get(served.figure(RICH), headers={"Accept": "text/html"})
    text = response.text
    page = parse_page(text)
    assert page.all("html")[0]["lang"] == "en"
    assert page.all("main") and page.all("header") and page.all("footer") and page.all("nav")
    assert len(page.all("h1")) == 1
    images = page.all("img")
    assert images and all(img.get("alt") for img in images)
    assert (
        images[0]["src"] == "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC10003241/bin/ijms-24-04893-g003.jpg"
    )
    assert all(th.get("scope") in ("col", "row") for th in page.all("th"))
    assert len(page.all("caption")) == 3  # genes, chemicals, diseases
    hrefs = {a.get("href") for a in page.all("a")}
    assert "https://www.ncbi.nlm.nih.gov/gene/10000" in hrefs  # AKT3
    assert "https://doi.org/10.3390/ijms24054893" in hrefs
    assert "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC10003241/" in hrefs
    assert "https://www.ebi.ac.uk/chebi/searchId.do?chebiId=CHEBI:15422" in hrefs  # ATP
    assert "https://meshb.nlm.nih.gov/record/ui?ui=D011488" in hrefs  # the disease's MeSH record
    assert not any("nlm.nih.gov/mesh/" in (h or "") and "meshb" not in (h or "") for h in hrefs)
    for match_type in ("official symbol", "synonym", "family expansion"):
        assert f"<td>{match_type}</td>" in text
    body_text = " ".join(page.text)
    assert "Metabolic Features of Osteoblasts" in body_text and "Oxana Lungu" in body_text
    for suffix in ("ttl", "jsonld", "nt"):
        href = f"/figures/{RICH}.{suffix}"
        assert href in hrefs
        assert client.get(served.url + href).status_code == 200
    # The embedded schema.org block is the corrected one the build publishes, and cannot end the script early.
    block = page.scripts["application/ld+json"]
    assert "</" not in block
    published = json.loads((served.out / "schemaorg" / f"{RICH}.jsonld").read_bytes())
    assert json.loads(block) == published
    dump = rdf_graph((served.out / "jsonld" / f"{RICH}.jsonld").read_bytes(), "jsonld")
    # mentions, about and the genes' symbols as keywords are derived for search engines; the rest is copied
    derived = {"http://schema.org/mentions", "http://schema.org/about", "http://schema.org/keywords"}
    stated = rdf_graph(block, "schema")
    assert {t for t in stated if t[1] not in derived} <= dump
    parts = {
        s
        for s, p, o in dump
        if p == "http://purl.org/dc/terms/isPartOf" and o == f"<{Mapper().figure_iri(RICH)}>"
    }
    mentioned = {o[1:-1] for s, p, o in stated if p == "http://schema.org/mentions"}
    assert mentioned and mentioned <= parts
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_pages_escape_hostile_data() -> None:
    """Titles, captions and OCR words are data: no markup gets through, in the body or the JSON-LD block."""
    iri = "https://pfocr.wikipathways.org/figures/PMC1__evil.html"
    evil = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
    triples = [
        (iri, vocab.T.rdf["type"], f"<{vocab.T.pfocr['Figure']}>"),
        (iri, vocab.T.dc["title"], rdf.literal(evil, language="en")),
        (iri, vocab.T.schema["name"], rdf.literal(evil, language="en")),
        (iri, vocab.T.dcterms["description"], rdf.literal("a & b < c " + evil)),
        (iri, vocab.T.schema["description"], rdf.literal("a & b < c " + evil)),
    ]
    from pfocr_ld import schemaorg

    text = templates.figure_page(triples, iri, schema_block=schemaorg.embed_block(triples, iri), formats=[])
    assert "<script>alert" not in text and "<img src=x" not in text
    assert text.count("</script>") == 1  # only the JSON-LD block's own end tag
    block = parse_page(text).scripts["application/ld+json"]
    assert json.loads(block)["name"]["@value"] == evil


# Dataset description, context, home -------------------------------------------------------------------
def test_void_is_the_build_description(client: httpx.Client, served: Served) -> None:
    expected = rdf_graph((served.out / "void.ttl").read_bytes(), "ttl")

    def without_endpoint(triples: set[rdf.Triple]) -> set[rdf.Triple]:
        # the server adds where it answers SPARQL (tests/test_paging.py checks those triples)
        endpoint = {t for t in triples if t[1] == vocab.T.void["sparqlEndpoint"]}
        assert endpoint and {t[2] for t in endpoint} == {f"<{served.url}/sparql>"}
        return triples - endpoint

    for path in ("/void", "/.well-known/void"):
        response = client.get(served.url + path, headers={"Accept": "text/turtle"})
        assert response.status_code == 200 and response.headers["vary"] == "Accept"
        assert without_endpoint(rdf_graph(response.content, "ttl")) == expected
    for suffix, fmt in (("nt", "nt"), ("rdf", "rdfxml")):
        assert (
            without_endpoint(rdf_graph(client.get(served.url + f"/void.{suffix}").content, fmt)) == expected
        )
    negotiated = client.get(served.url + "/void", headers={"Accept": "application/ld+json"})
    assert without_endpoint(rdf_graph(negotiated.content, "jsonld")) == expected
    page = client.get(served.url + "/void", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "Downloads" in page.text
    assert client.get(served.url + "/void", headers={"Accept": "image/png"}).status_code == 406


def test_context_is_served(client: httpx.Client, served: Served) -> None:
    response = client.get(served.url + "/ld/context.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    assert response.content == (served.out / "context.jsonld").read_bytes()


def test_home_page_counts_the_store(client: httpx.Client, served: Served) -> None:
    text = client.get(served.url + "/").text
    void = rdf_graph((served.out / "void.ttl").read_bytes(), "ttl")
    counts = {
        p.removeprefix(vocab.PFOCR): rdf.decode_literal(o)[0]
        for _, p, o in void
        if p in {vocab.T.pfocr[k] for k in ("figureCount", "geneCount", "chemicalCount", "paperCount")}
    }
    for label, key in (
        ("Figures", "figureCount"),
        ("Genes", "geneCount"),
        ("Chemicals", "chemicalCount"),
        ("Papers", "paperCount"),
    ):
        assert f"<dt>{label}</dt><dd>{int(counts[key]):,}</dd>" in text
    index = parse_page(client.get(served.url + "/figures/").text)
    figure_links = [a["href"] for a in index.all("a") if (a.get("href") or "").endswith(".html")]
    assert len(figure_links) == 55 and f"/figures/{HER2}.html" in figure_links
    assert client.get(served.url + "/figures/?page=x").status_code == 400


# SPARQL protocol ------------------------------------------------------------------------------------------
GENES_OF_HER2 = f"""PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?gene ?symbol WHERE {{
  ?gene dcterms:isPartOf <{Mapper().figure_iri(HER2)}> ; rdfs:label ?symbol .
}} ORDER BY ?symbol"""


def test_sparql_get_form_post_and_direct_post_agree(client: httpx.Client, served: Served) -> None:
    get = client.get(served.url + "/sparql", params={"query": GENES_OF_HER2})
    form = client.post(served.url + "/sparql", data={"query": GENES_OF_HER2})
    direct = client.post(
        served.url + "/sparql",
        content=GENES_OF_HER2.encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert get.status_code == form.status_code == direct.status_code == 200
    assert get.headers["content-type"] == "application/sparql-results+json"
    rows = solutions(get)
    assert len(rows) > 50
    assert solutions(form) == rows == solutions(direct)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv", "text/csv"),
        ("application/json;q=0.5, text/csv;q=0.9", "text/csv"),
    ],
)
def test_select_results_in_every_format(
    client: httpx.Client, served: Served, accept: str, media: str
) -> None:
    reference = solutions(client.get(served.url + "/sparql", params={"query": GENES_OF_HER2}))
    response = client.get(served.url + "/sparql", params={"query": GENES_OF_HER2}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    rows = solutions(response)
    if media == "text/csv":  # CSV carries values, not terms
        assert rows == sorted(
            (
                {k: v.split('"')[1] if v.startswith('"') else v.strip("<>") for k, v in r.items()}
                for r in reference
            ),
            key=repr,
        )
    else:
        assert rows == reference


def test_construct_results_in_every_format(client: httpx.Client, served: Served) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{Mapper().figure_iri(HER2)}> AS ?s) ?s ?p ?o }}"
    graphs = {}
    for accept, fmt in (
        ("text/turtle", "ttl"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "rdfxml"),
        ("application/ld+json", "jsonld"),
    ):
        response = client.get(served.url + "/sparql", params={"query": query}, headers={"Accept": accept})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == accept
        graphs[fmt] = rdf_graph(response.content, fmt)
    assert len(graphs["ttl"]) > 20
    assert graphs["ttl"] == graphs["nt"] == graphs["rdfxml"] == graphs["jsonld"]
    # A SELECT-only Accept header cannot take a graph.
    refused = client.get(served.url + "/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert refused.status_code == 406


def test_ask_and_format_parameter(client: httpx.Client, served: Served) -> None:
    ask = client.get(
        served.url + "/sparql", params={"query": "ASK { ?s a <https://pfocr.wikipathways.org/vocab#Figure> }"}
    )
    assert ask.json() == {"head": {}, "boolean": True}
    csv_rows = client.get(served.url + "/sparql", params={"query": GENES_OF_HER2, "format": "csv"})
    assert csv_rows.headers["content-type"].startswith("text/csv")
    assert (
        client.get(served.url + "/sparql", params={"query": GENES_OF_HER2, "format": "pdf"}).status_code
        == 400
    )


def test_service_description(client: httpx.Client, served: Served) -> None:
    response = client.get(served.url + "/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = rdf_graph(response.content, "ttl")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = served.url + "/sparql"
    assert (endpoint, vocab.T.rdf["type"], f"<{sd}Service>") in graph
    assert (endpoint, sd + "endpoint", f"<{endpoint}>") in graph
    assert (endpoint, sd + "supportedLanguage", f"<{sd}SPARQL11Query>") in graph
    assert (endpoint, sd + "resultFormat", "<http://www.w3.org/ns/formats/SPARQL_Results_JSON>") in graph
    # Without an Accept header (a SPARQL client), still the description; a browser gets the query page.
    assert (
        client.get(served.url + "/sparql", headers={"Accept": "*/*"})
        .headers["content-type"]
        .startswith("text/turtle")
    )
    page = client.get(served.url + "/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html") and "<textarea" in page.text


def test_every_named_query_over_http_equals_the_embedded_result(served: Served) -> None:
    from pfocr_ld.query import EmbeddedSource, RemoteSource, bind, library, open_source, run_named

    queries = library()
    assert len(queries) >= 5
    with open_source(data=[served.out]) as local, RemoteSource(served.url + "/sparql", timeout=30) as remote:
        assert isinstance(local, EmbeddedSource)
        engine_order = EmbeddedSource(local.store, sort_in_python=False)
        nonempty = 0
        for name, query in queries.items():
            params = dict(query.example.get("params") or {})
            expected = list(run_named(local, name, **params).values())
            got = list(run_named(remote, name, **params).values())
            assert sorted(map(repr, got)) == sorted(map(repr, expected)), name
            nonempty += bool(expected)
            # the server sorts in Python too (pfocr_ld.ordering): same order as Oxigraph's ORDER BY
            deferred = ordering.defer_order(bind(query, params).text)
            if deferred is not None:
                by_engine = list(run_named(engine_order, name, **params).values())
                keys = [variable for variable, _ in deferred.keys]
                assert [[r.get(k) for k in keys] for r in got] == [
                    [r.get(k) for k in keys] for r in by_engine
                ]
        assert nonempty >= len(queries) - 1


def test_query_page_renders_results_without_javascript(client: httpx.Client, served: Served) -> None:
    headers = {"Accept": "text/html"}
    example = client.get(served.url + "/sparql", params={"example": "genes-of-figure"}, headers=headers)
    assert example.status_code == 200
    textarea = example.text.split("<textarea", 1)[1].split("</textarea>", 1)[0]
    assert HER2 in textarea and "&lt;http://purl.org/dc/terms/&gt;" in textarea  # escaped, prefilled
    page = client.get(served.url + "/sparql", params={"query": GENES_OF_HER2}, headers=headers)
    expected = len(solutions(client.get(served.url + "/sparql", params={"query": GENES_OF_HER2})))
    parsed = parse_page(page.text)
    results_table = page.text.split('<table class="results">', 1)[1].split("</table>", 1)[0]
    assert results_table.count("<tr>") == expected + 1  # the header row and one per solution
    assert any(a.get("href") == "https://identifiers.org/ncbigene/2064" for a in parsed.all("a"))
    failed = client.get(served.url + "/sparql", params={"query": "SELECT nonsense"}, headers=headers)
    assert failed.status_code == 400 and 'role="alert"' in failed.text and "<textarea" in failed.text


# Read-only ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "GET", "params": {"update": "INSERT DATA { <a:s> <a:p> <a:o> }"}},
        {"method": "POST", "data": {"update": "INSERT DATA { <a:s> <a:p> <a:o> }"}},
        {"method": "POST", "content": b"DROP ALL", "headers": {"Content-Type": "application/sparql-update"}},
        {"method": "GET", "params": {"query": "INSERT DATA { <a:s> <a:p> <a:o> }"}},
        {"method": "POST", "data": {"query": "PREFIX a: <a:> # comment\nDELETE WHERE { ?s ?p ?o }"}},
        {
            "method": "POST",
            "content": b"CLEAR DEFAULT",
            "headers": {"Content-Type": "application/sparql-query"},
        },
        {"method": "GET", "params": {"query": "LOAD <http://127.0.0.1:9/data.ttl>"}},
    ],
)
def test_updates_are_refused(client: httpx.Client, served: Served, request_kwargs: dict[str, Any]) -> None:
    kwargs = dict(request_kwargs)
    response = client.request(kwargs.pop("method"), served.url + "/sparql", **kwargs)
    assert response.status_code == 403
    assert "read-only" in response.text


def test_store_is_unchanged_and_opened_read_only(client: httpx.Client, served: Served) -> None:
    count = client.get(served.url + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    quads = len(ox.Store.read_only(str(served.store)))
    assert orjson.loads(count.content)["results"]["bindings"][0]["n"]["value"] == str(quads)
    with pytest.raises((OSError, RuntimeError)):  # what the server holds: a read-only store has no writes
        ox.Store.read_only(str(served.store)).add(
            ox.Quad(ox.NamedNode("a:s"), ox.NamedNode("a:p"), ox.NamedNode("a:o"))
        )


# Limits and hostile input -----------------------------------------------------------------------------------
def test_timeout_stops_a_cartesian_product_and_others_are_served_meanwhile(
    client: httpx.Client, served: Served
) -> None:
    outcome: dict[str, Any] = {}

    def slow() -> None:
        started = time.perf_counter()
        with httpx.Client(timeout=60) as own:
            outcome["response"] = own.get(served.url + "/sparql", params={"query": CARTESIAN})
        outcome["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    started = time.perf_counter()
    assert client.get(served.figure(RICH), headers={"Accept": "text/html"}).status_code == 200
    assert client.get(served.url + "/sparql", params={"query": GENES_OF_HER2}).status_code == 200
    assert time.perf_counter() - started < 2.0
    assert thread.is_alive(), "the cartesian product should still be running"
    thread.join(60)
    response = outcome["response"]
    assert response.status_code == 503
    assert "--timeout" in response.text and f"{TIMEOUT:g} s" in response.text
    assert TIMEOUT <= outcome["seconds"] < TIMEOUT + 3
    right_after = client.get(served.url + "/sparql", params={"query": GENES_OF_HER2})
    assert right_after.status_code == 200 and len(solutions(right_after)) > 50
    # The killed worker was replaced: the pool is back to full strength.
    pool = served.server.pool
    deadline = time.monotonic() + 20
    while pool.workers_alive() < pool.size and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pool.workers_alive() == pool.size and pool.restarts >= 1


def test_max_results_is_a_clear_error(client: httpx.Client, served: Served) -> None:
    too_many = client.get(served.url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert too_many.status_code == 422
    assert "--max-results" in too_many.text and f"{MAX_RESULTS:,}" in too_many.text
    limited = client.get(
        served.url + "/sparql", params={"query": f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_RESULTS}"}
    )
    assert (
        limited.status_code == 200
        and len(orjson.loads(limited.content)["results"]["bindings"]) == MAX_RESULTS
    )
    construct = client.get(served.url + "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert construct.status_code == 422


def direct(query: str) -> dict[str, Any]:
    return {
        "method": "POST",
        "content": query.encode(),
        "headers": {"Content-Type": "application/sparql-query"},
    }


@pytest.mark.parametrize(
    ("request_kwargs", "status", "words"),
    [
        ({"params": {"query": "SELECT ?x WHERE { ?x"}}, 400, "syntax"),
        ({"params": {"query": "   "}}, 400, "empty"),
        ({"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "one query"),
        (direct("SELECT * WHERE " + "{" * 60_000 + "}" * 60_000), 413, "limited to 100,000 characters"),
        (direct("SELECT * WHERE " + "{" * 20_000 + "?s ?p ?o" + "}" * 20_000), 400, "nest"),
        (direct("SELECT * WHERE { FILTER(" + "(" * 400 + "1" + ")" * 400 + ") }"), 400, "nest"),
        (
            {"params": {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}},
            400,
            "SERVICE",
        ),
        ({"params": {"query": "ASK {}", "default-graph-uri": "not an iri"}}, 400, "not an IRI"),
        ({"params": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}}, 406, "sparql-results+json"),
        ({"method": "POST", "content": b"query=ASK", "headers": {"Content-Type": "text/plain"}}, 415, "POST"),
        (
            {
                "method": "POST",
                "content": b"\xff\xfe\x00",
                "headers": {"Content-Type": "application/sparql-query"},
            },
            400,
            "UTF-8",
        ),
        (
            {
                "method": "POST",
                "content": b"x" * 1_000_001,
                "headers": {"Content-Type": "application/sparql-query"},
            },
            413,
            "limited to 1,000,000 bytes",
        ),
        ({"method": "POST", "data": {"nothing": "here"}}, 400, "POST a query"),
        ({"method": "PUT", "content": b"ASK {}"}, 405, "not allowed"),
    ],
)
def test_malformed_and_hostile_requests_get_4xx(
    client: httpx.Client, served: Served, request_kwargs: dict[str, Any], status: int, words: str
) -> None:
    kwargs = dict(request_kwargs)
    method = kwargs.pop("method", "GET")
    response = client.request(method, served.url + "/sparql", **kwargs)
    assert response.status_code == status, response.text[:300]
    assert words.lower() in response.text.lower()
    # ... and the server is still there for everyone else.
    assert client.get(served.url + "/sparql", params={"query": "ASK {}"}).status_code == 200


def test_malformed_headers_and_requests_never_crash(client: httpx.Client, served: Served) -> None:
    for accept in ("", ";;;", "*/*;q=NaN", "text/turtle;q=2", "a" * 8000, "text/html;" + "x=y;" * 500):
        response = client.get(served.figure(HER2), headers={"Accept": accept})
        assert response.status_code in (200, 406), accept[:40]
    host, port = served.url.removeprefix("http://").split(":")
    for raw in (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nASK {}",
        b"GARBAGE\r\n\r\n",
        b"GET /sparql?query=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
    ):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(raw)
            status_line = sock.recv(4096).split(b"\r\n", 1)[0]
        assert status_line.startswith(b"HTTP/1.1 4"), (raw, status_line)
    assert client.get(served.url + "/sparql", params={"query": "ASK {}"}).status_code == 200


# CORS ------------------------------------------------------------------------------------------------------
def test_cors_headers_and_preflight(client: httpx.Client, served: Served) -> None:
    origin = {"Origin": "https://example.org"}
    for path in (
        served.figure(HER2, "jsonld"),
        "/sparql?query=ASK%20%7B%7D",
        "/void",
        "/ld/context.jsonld",
        "/figures/PMC0__missing.html",
    ):
        url = path if path.startswith("http") else served.url + path
        assert client.get(url, headers=origin).headers["access-control-allow-origin"] == "*", path
    preflight = client.options(
        served.url + "/sparql",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    assert client.options(served.figure(HER2)).status_code == 204
    exposed = client.get(served.figure(HER2, "ttl"), headers=origin).headers["access-control-expose-headers"]
    assert "ETag" in exposed


# Memory limit -----------------------------------------------------------------------------------------------
def test_a_memory_hungry_query_costs_only_its_worker(sample_store: tuple[Path, Path]) -> None:
    _, store = sample_store
    with (
        running_server(store, timeout=30, workers=1, worker_memory=400) as running,
        httpx.Client(base_url=running.url, timeout=60) as http,
    ):
        url = running.url
        started = time.perf_counter()
        # ORDER BY an expression: the engine sorts, holding the whole cartesian product
        response = http.get(
            url + "/sparql",
            params={"query": "SELECT ?a ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY STR(?c) ?f"},
        )
        assert response.status_code == 503
        assert "--worker-memory" in response.text and "400 MiB" in response.text
        assert time.perf_counter() - started < 25  # the memory limit, not the time limit, stopped it
        after = http.get(url + "/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert after.status_code == 200 and after.json()["boolean"] is True
        # ORDER BY plain variables is sorted by the worker, which stops reading at --max-results
        response = http.get(
            url + "/sparql", params={"query": "SELECT ?a ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"}
        )
        assert response.status_code == 422 and "--max-results" in response.text
