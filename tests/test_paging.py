"""Named queries page by page (`limit`/`offset`): the Python API, `pfocr-ld query` and serve's `/query/…`.

On the sample's store (conftest's ``sample_store_dir``): every page is exactly the slice of the full
answer it names, pages read one after another give the full answer, the total is the full answer's
row count, bad numbers are usage errors (exit status 2, HTTP 400), a gene symbol that names no gene
says so, and the served dataset description names the server's own SPARQL endpoint.
"""

from __future__ import annotations

import html.parser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import rdflib
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pfocr_ld.cli import main
from pfocr_ld.gene_index import GeneFigureIndex
from pfocr_ld.query import (
    MAX_LIMIT,
    EmbeddedSource,
    ParameterError,
    bind,
    get_query,
    no_rows_hint,
    open_source,
    paging,
    parse_query_text,
    run_bound,
    run_named,
)
from pfocr_ld.serve import running_server

HUB_QUERY = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?id ?symbol (COUNT(DISTINCT ?f) AS ?n) WHERE {
  ?g a wp:GeneProduct ; dcterms:identifier ?id ; dcterms:isPartOf ?f .
  OPTIONAL { ?g <http://www.w3.org/2000/01/rdf-schema#label> ?symbol }
} GROUP BY ?id ?symbol ORDER BY DESC(?n) ?id LIMIT 1"""
# The chemical and the disease in the most figures, as the queries' parameters spell them.
BUSY_CHEMICAL = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?id (COUNT(DISTINCT ?f) AS ?n) WHERE {
  ?c a wp:Metabolite ; wp:bdbChEBI ?c ; dcterms:identifier ?id ; dcterms:isPartOf ?f .
} GROUP BY ?id ORDER BY DESC(?n) ?id LIMIT 1"""
BUSY_DISEASE = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?d (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f dcterms:subject ?d }
GROUP BY ?d ORDER BY DESC(?n) ?d LIMIT 1"""


@pytest.fixture(scope="module")
def source(sample_store_dir: Path) -> Iterator[EmbeddedSource]:
    with open_source(store=sample_store_dir) as opened:
        assert isinstance(opened, EmbeddedSource)
        yield opened


@pytest.fixture(scope="module")
def hub(source: EmbeddedSource) -> dict[str, Any]:
    """The sample's gene in the most figures (found by a query, not hard-coded)."""
    [row] = _values(source.execute(HUB_QUERY))
    assert row["n"] >= 5, row
    return row


def _values(result: Any) -> list[dict[str, Any]]:
    return list(result.values())


@pytest.fixture(scope="module")
def cases(
    source: EmbeddedSource, hub: dict[str, Any]
) -> list[tuple[str, dict[str, str], list[dict[str, Any]]]]:
    """(query, parameters, full answer) for every query that pages, each with more than a few rows."""
    found = [
        ("figures-for-gene", {"gene": str(hub["id"])}),
        ("figures-for-gene", {"gene": str(hub["symbol"])}),
        ("figures-for-gene", {"gene": str(hub["id"]), "organism": "9606"}),
        ("cooccurring-genes", {"gene": "2064"}),
        ("figures-per-organism", {}),
    ]
    [chemical] = _values(source.execute(BUSY_CHEMICAL))
    [disease] = _values(source.execute(BUSY_DISEASE))
    found.append(("figures-for-chemical", {"chemical": str(chemical["id"])}))
    found.append(("figures-for-disease", {"disease": str(disease["d"]).rsplit("/", 1)[-1]}))
    out = []
    for name, params in found:
        full = _values(run_named(source, name, **params))
        # (every disease of the sample tags one figure)
        assert len(full) >= (1 if name == "figures-for-disease" else 2), (name, params)
        out.append((name, params, full))
    return out


# The Python API --------------------------------------------------------------------------------------
def test_pages_read_in_turn_are_the_full_answer(source: EmbeddedSource, cases: list[Any]) -> None:
    # Kept keys (as serve's workers keep them) make the many one-row pages cheap; the hypothesis
    # test below reads pages without them.
    kept = EmbeddedSource(source.store)
    kept.page_cache = paging.KeyCache(16)
    for name, params, full in cases:
        for size in (1, 3, 7):
            rows: list[dict[str, Any]] = []
            offset = 0
            while True:
                page = run_named(kept, name, **params, limit=size, offset=offset)
                got = _values(page)
                assert page.total == len(full), (name, params)
                assert (page.offset, page.limit) == (offset, size)
                rows += got
                offset += size
                if offset >= page.total:
                    break
            assert rows == full, (name, params, size)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_page_is_the_slice_it_names(
    source: EmbeddedSource, cases: list[Any], data: st.DataObject
) -> None:
    name, params, full = data.draw(st.sampled_from(cases))
    limit = data.draw(st.integers(1, len(full) + 3))
    offset = data.draw(st.integers(0, len(full) + 3))
    page = run_named(source, name, **params, limit=limit, offset=offset)
    assert _values(page) == full[offset : offset + limit]
    assert page.total == len(full)
    only_offset = run_named(source, name, **params, offset=offset)  # no limit: to the end
    assert _values(only_offset) == full[offset:] and only_offset.total == len(full)


def test_kept_keys_fetch_only_the_page(source: EmbeddedSource, hub: dict[str, Any]) -> None:
    """With a KeyCache (serve's workers), a later page of figures-for-gene runs for its own rows only."""
    full = _values(run_named(source, "figures-for-gene", gene=str(hub["id"])))
    kept = EmbeddedSource(source.store)
    kept.page_cache = paging.KeyCache(4)
    first = run_named(kept, "figures-for-gene", gene=str(hub["id"]), limit=2)
    assert _values(first) == full[:2] and first.total == len(full)
    [keys] = kept.page_cache._items.values()  # the (figure, gene) IRIs of every row, in order
    assert [(k[0].value, k[1].value) for k in keys] == [(r["figure"], r["gene"]) for r in full]
    bound = bind(get_query("figures-for-gene"), {"gene": str(hub["id"]), "limit": "3", "offset": "2"})
    page = paging._page_by_keys(kept, bound, keys, 2, 3)
    assert page is not None and _values(page) == full[2:5] and page.total == len(full)
    assert _values(run_bound(kept, bound)) == full[2:5]
    past = run_named(kept, "figures-for-gene", gene=str(hub["id"]), limit=3, offset=len(full) + 1)
    assert _values(past) == [] and past.total == len(full)


def test_a_key_that_does_not_identify_rows_falls_back_to_the_full_answer(source: EmbeddedSource) -> None:
    """A header whose key promises too much still gets exact pages: the full answer is cut instead."""
    text = """# title: genes by figure
# paging:
#   key: [figure]
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?figure ?geneId WHERE {
  ?gene a wp:GeneProduct ; dcterms:isPartOf ?figure ; dcterms:identifier ?geneId .
}
ORDER BY ?figure ?geneId
"""
    query = parse_query_text(text, "by-figure", strict=True)
    full = _values(run_bound(source, bind(query, {})))
    assert len({row["figure"] for row in full}) < len(full)  # several rows a figure
    kept = EmbeddedSource(source.store)
    kept.page_cache = paging.KeyCache(4)
    page = run_bound(kept, bind(query, {"limit": "5", "offset": "3"}))
    assert _values(page) == full[3:8] and page.total == len(full)
    assert not kept.page_cache._items  # keys that do not identify rows are not kept
    # and keys that were kept but give several rows each are not trusted either
    bound = bind(query, {"limit": "5", "offset": "3"})
    figures = list(dict.fromkeys(row["figure"] for row in run_bound(source, bind(query, {}))))
    assert paging._page_by_keys(source, bound, [(f,) for f in figures], 3, 5) is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("limit", "0", "from 1 to 10,000"),
        ("limit", "-1", "from 1 to 10,000"),
        ("limit", str(MAX_LIMIT + 1), "from 1 to 10,000"),
        ("limit", "1.5", "whole number"),
        ("limit", "ten", "whole number"),
        ("limit", "１０", "whole number"),  # full-width digits: isdigit() but not a number here
        ("limit", "9" * 40, "whole number"),
        ("offset", "-1", "from 0 to"),
        ("offset", "1e3", "whole number"),
    ],
)
def test_bad_limit_or_offset_is_a_usage_error(name: str, value: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message) as raised:
        bind(get_query("figures-for-gene"), {"gene": "7099", name: value})
    assert raised.value.exit_code == 2


def test_limit_is_only_for_queries_that_page() -> None:
    with pytest.raises(ParameterError, match="no parameter 'limit'"):
        bind(get_query("genes-of-figure"), {"figid": "PMC3376449__fonc-02-00062-g001", "limit": "5"})
    assert "limit" in get_query("figures-for-gene").describe()


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.integers(-5, MAX_LIMIT + 5),
        st.integers(-(10**15), 10**15),
        st.integers(0, 10**4).map(lambda n: f" {n}\t"),
    )
)
def test_page_numbers_are_ints_or_a_clear_error(value: str | int) -> None:
    plain = bind(get_query("figures-for-gene"), {"gene": "7099"})
    try:
        bound = bind(get_query("figures-for-gene"), {"gene": "7099", "limit": value, "offset": value})
    except ParameterError as error:
        assert "limit" in str(error) or "offset" in str(error)
        return
    assert isinstance(bound.limit, int) and 1 <= bound.limit <= MAX_LIMIT
    assert isinstance(bound.offset, int) and bound.offset == bound.limit == int(str(value).strip())
    # the numbers never enter the query: the text and the bindings are the unpaged query's
    assert bound.text == plain.text and dict(bound.bindings) == dict(plain.bindings)


def test_full_answer_is_unchanged_without_limit(source: EmbeddedSource, hub: dict[str, Any]) -> None:
    bound = bind(get_query("figures-for-gene"), {"gene": str(hub["id"])})
    assert not bound.paged
    result = run_bound(source, bound)
    assert result.total is None and len(_values(result)) == hub["n"]


# A symbol that names no gene ----------------------------------------------------------------------
def test_a_symbol_that_names_no_gene_says_so(source: EmbeddedSource, hub: dict[str, Any]) -> None:
    symbol = str(hub["symbol"])
    wrong_case = symbol.lower() if symbol.lower() != symbol else symbol.upper()
    hint = no_rows_hint(source, bind(get_query("figures-for-gene"), {"gene": wrong_case}))
    assert hint is not None and f"no gene with symbol {wrong_case!r}" in hint and symbol in hint
    nothing = no_rows_hint(source, bind(get_query("figures-for-gene"), {"gene": "NOSUCHGENE1"}))
    assert nothing is not None and "'NOSUCHGENE1'" in nothing and "did you mean" not in nothing
    assert "NCBI Gene id '999999999'" in str(
        no_rows_hint(source, bind(get_query("figures-for-gene"), {"gene": "999999999"}))
    )
    # a gene that exists but the other parameters leave no rows: no hint about the gene
    assert (
        no_rows_hint(source, bind(get_query("figures-for-gene"), {"gene": symbol, "taxon": "4932"})) is None
    )
    page = run_named(source, "figures-for-gene", gene=wrong_case, limit=10)
    assert page.total == 0 and page.hint == hint


# The command line ------------------------------------------------------------------------------------
def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_pages(sample_store_dir: Path, hub: dict[str, Any], source: EmbeddedSource) -> None:
    store = str(sample_store_dir)
    gene = f"gene={hub['id']}"
    full = _values(run_named(source, "figures-for-gene", gene=str(hub["id"])))
    result = invoke(
        "query",
        "figures-for-gene",
        "-p",
        gene,
        "-p",
        "limit=2",
        "-p",
        "offset=1",
        "--store",
        store,
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.output
    answer = orjson.loads(result.stdout)
    assert answer["rows"] == full[1:3]
    assert (answer["total"], answer["offset"], answer["limit"]) == (len(full), 1, 2)
    assert f"rows 2-3 of {len(full)}; next page: --param offset=3" in result.stderr
    tsv = invoke("query", "figures-for-gene", "-p", gene, "-p", "limit=2", "--store", store, "-f", "tsv")
    plain = invoke("query", "figures-for-gene", "-p", gene, "--store", store, "-f", "tsv")
    assert tsv.stdout.splitlines() == plain.stdout.splitlines()[:3]  # same format, the first rows
    assert plain.stderr == ""  # no paging asked: no page line
    unpaged = invoke("query", "figures-for-gene", "-p", gene, "--store", store, "-f", "json")
    assert orjson.loads(unpaged.stdout) == full  # the full answer's format is unchanged


@pytest.mark.parametrize("bad", ["limit=0", "limit=abc", "offset=-5", f"limit={MAX_LIMIT + 1}"])
def test_cli_bad_page_exits_2(sample_store_dir: Path, bad: str) -> None:
    result = invoke(
        "query", "figures-for-gene", "-p", "gene=7099", "-p", bad, "--store", str(sample_store_dir)
    )
    assert result.exit_code == 2
    assert bad.split("=")[0] + ":" in result.output and "Traceback" not in result.output


def test_cli_symbol_hint(sample_store_dir: Path, hub: dict[str, Any]) -> None:
    wrong = str(hub["symbol"]).lower()
    result = invoke("query", "figures-for-gene", "-p", f"gene={wrong}", "--store", str(sample_store_dir))
    assert result.exit_code == 0
    assert f"no gene with symbol {wrong!r}" in result.stderr and str(hub["symbol"]) in result.stderr


# serve's /query/<name> --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(sample_store_dir: Path) -> Iterator[str]:
    with running_server(sample_store_dir, timeout=20, workers=1) as running:
        yield running.url


class _Links(html.parser.HTMLParser):
    """The rel=next/prev links, the result rows and the summary of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self.rows = 0
        self.text: list[str] = []
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("rel") in ("next", "prev"):
            self.links[str(found["rel"])] = str(found["href"])
        if tag == "tbody":
            self._in_body = True
        if tag == "tr" and self._in_body:
            self.rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _page(client: httpx.Client, url: str) -> _Links:
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200, response.text
    parsed = _Links()
    parsed.feed(response.text)
    return parsed


def test_serve_page_shows_the_first_page_and_next_links_walk_the_answer(
    served: str, hub: dict[str, Any], source: EmbeddedSource
) -> None:
    full = _values(run_named(source, "figures-for-gene", gene=str(hub["id"])))
    with httpx.Client(base_url=served, timeout=30) as client:
        first = _page(client, f"/query/figures-for-gene?gene={hub['id']}&limit=2")
        assert first.rows == 2 and "prev" not in first.links
        assert f"Rows 1–2 of {len(full)}" in "".join(first.text)
        seen = first.rows
        page = first
        while "next" in page.links:
            page = _page(client, page.links["next"])
            seen += page.rows
            assert "prev" in page.links
        assert seen == len(full)
        default = _page(client, f"/query/figures-for-gene?gene={hub['id']}")  # a browser's default page
        assert default.rows == min(len(full), 100)
        answer = client.get(f"/query/figures-for-gene?gene={hub['id']}&format=json").json()
        assert answer["rows"] == full and answer["total"] == len(full) and answer["limit"] is None
        paged = client.get(
            f"/query/figures-for-gene?gene={hub['id']}&limit=2&offset=2",
            headers={"Accept": "application/json"},
        )
        body = paged.json()
        assert body["rows"] == full[2:4] and body["total"] == len(full)
        assert paged.headers["x-total-count"] == str(len(full))
        assert 'rel="next"' in paged.headers["link"] and 'rel="prev"' in paged.headers["link"]
        following = client.get(body["next"]).json()
        assert following["rows"] == full[4:6]
        counts = client.get("/query/figures-per-organism?limit=5&offset=1&format=json").json()
        assert (
            counts["rows"] == _values(run_named(source, "figures-per-organism"))[1:6]
        )  # numbers stay numbers
        csv_full = client.get(f"/query/figures-for-gene?gene={hub['id']}&format=csv")
        assert csv_full.status_code == 200 and len(csv_full.text.strip().splitlines()) == len(full) + 1


@pytest.mark.parametrize(
    "query",
    [
        "gene=7099&limit=0",
        "gene=7099&limit=x",
        "gene=7099&offset=-1",
        f"gene=7099&limit={MAX_LIMIT + 1}",
        "gene=7099&gene=2064",
        "gene=7099&nosuch=1",
        "gene=7099&format=xls",
    ],
)
def test_serve_bad_parameters_are_400(served: str, query: str) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        response = client.get(f"/query/figures-for-gene?{query}", headers={"Accept": "application/json"})
        assert response.status_code == 400, response.text
        assert "Traceback" not in response.text
        page = client.get(f"/query/figures-for-gene?{query}", headers={"Accept": "text/html"})
        assert page.status_code == 400


def test_serve_form_unknown_query_and_hint(served: str, hub: dict[str, Any]) -> None:
    with httpx.Client(base_url=served, timeout=30) as client:
        form = client.get("/query/figures-for-gene", headers={"Accept": "text/html"})
        assert form.status_code == 200 and 'name="gene"' in form.text
        missing = client.get("/query/figures-fro-gene")
        assert missing.status_code == 404 and "figures-for-gene" in missing.text
        wrong = str(hub["symbol"]).lower()
        answer = client.get(f"/query/figures-for-gene?gene={wrong}&format=json").json()
        assert answer["rows"] == [] and f"no gene with symbol {wrong!r}" in answer["hint"]
        page = client.get(f"/query/figures-for-gene?gene={wrong}", headers={"Accept": "text/html"})
        assert (
            page.status_code == 200 and "no gene with symbol" in page.text and str(hub["symbol"]) in page.text
        )


def test_served_dataset_description_names_its_sparql_endpoint(served: str) -> None:
    endpoint = rdflib.URIRef(served + "/sparql")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    with httpx.Client(base_url=served, timeout=30) as client:
        for path, accept in (
            ("/", "text/turtle"),
            ("/void", "text/turtle"),
            ("/void.ttl", "*/*"),
            ("/.well-known/void", "text/turtle"),
        ):
            response = client.get(path, headers={"Accept": accept})
            assert response.status_code == 200
            graph = rdflib.Graph().parse(data=response.text, format="turtle")
            datasets = set(graph.subjects(void.sparqlEndpoint, endpoint))
            releases = {
                s
                for s in graph.subjects(rdflib.RDF.type, void.Dataset)
                if (s, void.classPartition, None) in graph
            }
            assert releases and releases <= datasets, path
            partitions = set(graph.objects(None, void.classPartition))
            assert not partitions & datasets  # the release names it, not its partitions
        # rdflib fetches the JSON-LD and the context it names from this server, as a client does
        graph = rdflib.Graph().parse(served + "/void.jsonld", format="json-ld")
        assert set(graph.subjects(void.sparqlEndpoint, endpoint))


# The gene index of serve's workers ------------------------------------------------------------------
GENES = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT DISTINCT ?id ?symbol WHERE {
  ?g a wp:GeneProduct ; dcterms:identifier ?id . OPTIONAL { ?g rdfs:label ?symbol }
} ORDER BY ?id"""


def _indexed(store: Any) -> EmbeddedSource:
    indexed = EmbeddedSource(store)
    index = GeneFigureIndex(store)
    for _ in range(100_000):
        if index.step(0.05):
            break
    assert index.complete and not index.failed
    indexed.gene_index = index
    return indexed


@pytest.fixture(scope="module")
def indexed(source: EmbeddedSource) -> EmbeddedSource:
    return _indexed(source.store)


def test_gene_index_pages_are_the_full_answers_slices(
    source: EmbeddedSource, indexed: EmbeddedSource
) -> None:
    """Every gene of the sample, by id and by symbol: the index's pages are the full answer's slices."""
    genes = _values(source.execute(GENES))
    answered = asked = 0
    for number, gene in enumerate(genes):
        for value in {str(gene["id"]), str(gene["symbol"] or gene["id"])}:
            asked += 1
            full = _values(run_named(source, "figures-for-gene", gene=value))
            bound = bind(
                get_query("figures-for-gene"), {"gene": value, "limit": "2", "offset": str(number % 3)}
            )
            answered += indexed.gene_index.keys_for(indexed, bound) is not None
            page = run_bound(indexed, bound)
            assert _values(page) == full[number % 3 : number % 3 + 2], value
            assert page.total == len(full), value
    assert answered >= 0.95 * asked  # the index answered (nearly) all of them, not the engine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_gene_index_any_page(
    source: EmbeddedSource, indexed: EmbeddedSource, hub: dict[str, Any], data: st.DataObject
) -> None:
    gene = data.draw(st.sampled_from([str(hub["id"]), str(hub["symbol"]), "2064", "ERBB2", "7099", "999999"]))
    full = _values(run_named(source, "figures-for-gene", gene=gene))
    limit = data.draw(st.integers(1, len(full) + 2))
    offset = data.draw(st.integers(0, len(full) + 2))
    page = run_named(indexed, "figures-for-gene", gene=gene, limit=limit, offset=offset)
    assert _values(page) == full[offset : offset + limit] and page.total == len(full)


def test_gene_index_leaves_other_questions_to_the_engine(
    indexed: EmbeddedSource, hub: dict[str, Any]
) -> None:
    index = indexed.gene_index
    for params in ({"organism": "9606"}, {"taxon": "9606"}, {"strict": "true"}):
        bound = bind(get_query("figures-for-gene"), {"gene": str(hub["id"]), "limit": "2", **params})
        assert index.keys_for(indexed, bound) is None
    other = bind(get_query("cooccurring-genes"), {"gene": str(hub["id"]), "limit": "2"})
    assert index.keys_for(indexed, other) is None


def test_gene_index_leaves_irregular_figures_to_the_engine(sample_build: Any, hub: dict[str, Any]) -> None:
    """A figure with a second title gives two rows: its genes are left to the engine, pages stay exact."""
    import pyoxigraph as ox

    from pfocr_ld.store import memory_store

    out, _ = sample_build
    store = memory_store([out])
    plain = EmbeddedSource(store)
    figure = _values(run_named(plain, "figures-for-gene", gene=str(hub["id"])))[0]["figure"]
    store.add(
        ox.Quad(
            ox.NamedNode(figure),
            ox.NamedNode("http://purl.org/dc/elements/1.1/title"),
            ox.Literal("A second title"),
        )
    )
    full = _values(run_named(plain, "figures-for-gene", gene=str(hub["id"])))
    assert len(full) == hub["n"] + 1
    indexed = _indexed(store)
    bound = bind(get_query("figures-for-gene"), {"gene": str(hub["id"]), "limit": "3"})
    assert indexed.gene_index.keys_for(indexed, bound) is None
    page = run_bound(indexed, bound)
    assert _values(page) == full[:3] and page.total == len(full)


def test_figure_pages_link_to_the_pages_of_their_genes(
    served: str, hub: dict[str, Any], source: EmbeddedSource
) -> None:
    """A figure's genes, chemicals and diseases link to their /query pages, which list the figure."""
    from pfocr_ld import vocab

    figure = _values(run_named(source, "figures-for-gene", gene=str(hub["id"])))[0]
    path = figure["figure"].removeprefix(vocab.DEFAULT_BASE)
    with httpx.Client(base_url=served, timeout=30) as client:
        response = client.get(f"/figures/{path}", headers={"Accept": "text/html"})
        assert response.status_code == 200
        page = response.text
        href = f"/query/figures-for-gene?gene={hub['id']}"
        assert f'href="{href}"' in page
        assert figure["figid"] in client.get(href, headers={"Accept": "text/html"}).text
        for query in ("figures-for-chemical", "figures-for-disease"):
            links = [
                part.split('"')[0].replace("&amp;", "&") for part in page.split(f'href="/query/{query}?')[1:]
            ]
            for link in links[:3]:
                listed = client.get(f"/query/{query}?{link}&format=json").json()
                assert figure["figid"] in {row["figid"] for row in listed["rows"]}, (query, link)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(["gene", "limit", "offset", "organism", "strict", "format", "x"]),
            st.text(max_size=40),
        ),
        max_size=5,
    )
)
def test_serve_hostile_parameters_are_answered_not_crashed(
    served: str, params: list[tuple[str, str]]
) -> None:
    """Any query string gets an answer or a clear 4xx, never a 500 or a traceback."""
    with httpx.Client(base_url=served, timeout=30) as client:
        response = client.get(
            "/query/figures-for-gene", params=params, headers={"Accept": "application/json"}
        )
        assert response.status_code in (200, 400, 406), response.text
        assert "Traceback" not in response.text
