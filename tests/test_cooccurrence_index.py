"""``cooccurring-genes`` for one gene, page by page from the gene index: exactly the engine's rows.

serve's query workers rank a gene's partners from :class:`pfocr_ld.gene_index.GeneFigureIndex`
instead of running the aggregation (the hub of a 100k store: seconds in the engine). These tests
compare every page the index gives with the engine's full answer cut by ``limit``/``offset`` (same
variables, terms, order and total) on a generated corpus (``synth`` + ``build`` + ``load``): the hub
gene, typical genes, absent genes, ties, every offset boundary, by id and by symbol, and hypothesis
over (gene, limit, offset). A store edited to hold what the index must get right (unlabelled and
same-labelled partners, a typed figure without a title, untyped and named-graph pairs, a symbol of
two genes) is compared the same way, and what the index cannot vouch for (several labels, other
parameters, a label it got wrong) is shown to reach the engine, with pages still exact.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pfocr_ld import vocab
from pfocr_ld.build import BuildOptions, build
from pfocr_ld.gene_index import GeneFigureIndex
from pfocr_ld.query import EmbeddedSource, bind, get_query, open_source, paging, run_bound, run_named
from pfocr_ld.store import load_build_output, memory_store
from pfocr_ld.synth import synthesize

QUERY = "cooccurring-genes"
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
IS_PART_OF = ox.NamedNode(vocab.T.dcterms["isPartOf"])
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
FIGURE = ox.NamedNode("https://pfocr.wikipathways.org/vocab#Figure")
#: Every gene with its id, label and number of typed figures, most figures first.
GENES = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX pfocr: <https://pfocr.wikipathways.org/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?gene ?id ?symbol (COUNT(?f) AS ?n) WHERE {
  ?gene a wp:GeneProduct ; dcterms:identifier ?id ; dcterms:isPartOf ?f . ?f a pfocr:Figure .
  OPTIONAL { ?gene rdfs:label ?symbol }
} GROUP BY ?gene ?id ?symbol ORDER BY DESC(?n) ?id"""


# A generated store -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 synthetic records built (no validation: the output is the same) into a release folder."""
    root = tmp_path_factory.mktemp("cooc")
    synthesize(200, root / "corpus", seed=11, workers=1)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    build(BuildOptions([root / "corpus"], root / "out", workers=1, validate=False, progress=False))
    return root / "out"


@pytest.fixture(scope="module")
def plain(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSource]:
    """The release loaded into an on-disk store, opened read-only as serve's workers open it."""
    store_dir = tmp_path_factory.mktemp("cooc-store") / "store"
    load_build_output(release, store_dir)
    with open_source(store=store_dir) as source:
        assert isinstance(source, EmbeddedSource)
        yield source


def indexed_source(store: ox.Store) -> EmbeddedSource:
    """A source with a complete gene index, as a serve worker has once it has built it."""
    source = EmbeddedSource(store)
    index = GeneFigureIndex(store)
    for _ in range(100_000):
        if index.step(0.05):
            break
    assert index.complete and not index.failed
    source.gene_index = index
    return source


@pytest.fixture(scope="module")
def indexed(plain: EmbeddedSource) -> EmbeddedSource:
    return indexed_source(plain.store)


@pytest.fixture(scope="module")
def genes(plain: EmbeddedSource) -> list[dict[str, Any]]:
    found = list(plain.execute(GENES).values())
    assert len(found) > 100 and found[0]["n"] >= 10, found[:3]
    return found


def engine(source: EmbeddedSource, gene: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The engine's full answer (terms, not plain values), without any index."""
    result = run_named(EmbeddedSource(source.store), QUERY, gene=gene)
    return list(result.variables), list(result)


def answered_by_index(source: EmbeddedSource, gene: str) -> bool:
    bound = bind(get_query(QUERY), {"gene": gene, "limit": "5"})
    return source.gene_index.partners_for(source, bound) is not None


def assert_page(source: EmbeddedSource, gene: str, full: tuple[list[str], list[Any]], **page: int) -> None:
    variables, rows = full
    result = run_named(source, QUERY, gene=gene, **page)
    offset, limit = page.get("offset", 0), page.get("limit")
    end = None if limit is None else offset + limit
    assert list(result.variables) == variables, gene
    assert list(result) == rows[offset:end], (gene, page)
    assert (result.total, result.offset, result.limit) == (len(rows), offset, limit), (gene, page)


def boundaries(total: int, limit: int) -> list[int]:
    return sorted(
        {o for o in (0, 1, limit - 1, limit, limit + 1, total - limit, total - 1, total, total + 1) if o >= 0}
    )


def spread(genes: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """``count`` genes from the most to the least depicted, evenly spaced."""
    step = max(1, len(genes) // count)
    return genes[::step][:count]


# Exactness --------------------------------------------------------------------------------------------
def test_the_hub_gene_every_boundary_by_id_and_symbol(
    indexed: EmbeddedSource, genes: list[dict[str, Any]]
) -> None:
    hub = genes[0]
    for gene in (str(hub["id"]), str(hub["symbol"])):
        full = engine(indexed, gene)
        assert len(full[1]) > 50, len(full[1])
        assert answered_by_index(indexed, gene), gene
        for limit in (1, 3, 10, 100):
            for offset in boundaries(len(full[1]), limit):
                assert_page(indexed, gene, full, limit=limit, offset=offset)
        assert_page(indexed, gene, full, offset=len(full[1]) // 2)  # no limit: to the end
        walked: list[Any] = []
        for offset in range(0, len(full[1]), 7):
            walked += list(run_named(indexed, QUERY, gene=gene, limit=7, offset=offset))
        assert walked == full[1]


def test_ties_are_broken_as_the_query_breaks_them(
    indexed: EmbeddedSource, genes: list[dict[str, Any]]
) -> None:
    """The hub's partners share counts: their order is then by partner symbol, then partner IRI."""
    hub = str(genes[0]["id"])
    rows = list(run_named(indexed, QUERY, gene=hub, limit=10_000))
    counts = [int(row["figures"].value) for row in rows]
    assert len(set(counts)) < len(counts) / 3  # many ties
    tied = [
        (rows[i]["partnerSymbol"].value, rows[i]["partner"].value)
        for i in range(len(rows))
        if counts[i] == counts[-1]
    ]
    assert len(tied) > 5 and tied == sorted(tied)
    assert rows == engine(indexed, hub)[1]


def test_genes_from_the_hub_to_the_rarest_and_absent_ones(
    indexed: EmbeddedSource, genes: list[dict[str, Any]]
) -> None:
    answered = asked = 0
    for number, found in enumerate(spread(genes, 25)):
        for gene in (str(found["id"]), str(found["symbol"])):
            full = engine(indexed, gene)
            asked += 1
            answered += answered_by_index(indexed, gene)
            total = len(full[1])
            for limit, offset in ((1, 0), (2, number % 3), (max(1, total), 0), (3, max(0, total - 2))):
                assert_page(indexed, gene, full, limit=limit, offset=offset)
    assert answered == asked  # the synthetic data has nothing the index leaves to the engine
    for absent in ("999999999", "NOSUCHGENE1", "tp53-like"):
        assert answered_by_index(indexed, absent)
        page = run_named(indexed, QUERY, gene=absent, limit=5)
        assert list(page) == [] and page.total == 0 and page.hint is not None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_page_of_any_gene(
    indexed: EmbeddedSource, genes: list[dict[str, Any]], data: st.DataObject
) -> None:
    found = data.draw(st.sampled_from(spread(genes, 40)))
    gene = data.draw(st.sampled_from([str(found["id"]), str(found["symbol"])]))
    full = engine(indexed, gene)
    limit = data.draw(st.integers(1, len(full[1]) + 3))
    offset = data.draw(st.integers(0, len(full[1]) + 3))
    assert_page(indexed, gene, full, limit=limit, offset=offset)


def test_the_index_runs_no_aggregation(indexed: EmbeddedSource, genes: list[dict[str, Any]]) -> None:
    """An indexed page sends the engine only the check of its genes' labels, never the COUNT; a later
    page with the ranking kept (serve's KeyCache) the same."""
    sent: list[str] = []

    class Recording(EmbeddedSource):
        def execute(self, query: str, bindings: Any = None) -> Any:
            sent.append(query)
            return super().execute(query, bindings)

    source = Recording(indexed.store)
    source.gene_index = indexed.gene_index
    source.page_cache = paging.KeyCache(4)
    hub = str(genes[0]["id"])
    first = run_named(source, QUERY, gene=hub, limit=100)
    second = run_named(source, QUERY, gene=hub, limit=100, offset=100)
    assert first.total == second.total == len(engine(indexed, hub)[1])
    assert len(sent) == 2 and not any("COUNT" in text for text in sent)
    assert all(len(text) < 20_000 for text in sent)  # a page's genes, not all of them


# An edited store: what the index must get right, and what it leaves to the engine ----------------------
@pytest.fixture(scope="module")
def edited(release: Path, plain: EmbeddedSource, genes: list[dict[str, Any]]) -> dict[str, Any]:
    store = memory_store([release])
    hub = ox.NamedNode(genes[0]["gene"])
    partners = engine(plain, str(genes[0]["id"]))[1]
    low = [row["partner"] for row in partners if row["figures"].value == partners[-1]["figures"].value]
    assert len(low) >= 4
    for quad in list(store.quads_for_pattern(low[0], LABEL, None)):
        store.remove(quad)  # an unlabelled partner: sorts first among its ties (unbound < strings)
    for quad in list(store.quads_for_pattern(low[1], LABEL, None)):
        store.remove(quad)
    store.add(ox.Quad(low[1], LABEL, ox.Literal("SHARED")))  # two partners with one label: by IRI
    for quad in list(store.quads_for_pattern(low[2], LABEL, None)):
        store.remove(quad)
    store.add(ox.Quad(low[2], LABEL, ox.Literal("SHARED")))
    # a typed figure without a title or an id (counts here; figures-for-gene leaves its genes out)
    bare = ox.NamedNode("https://example.org/bare-figure")
    store.add(ox.Quad(bare, TYPE, FIGURE))
    # an untyped figure and pairs in a named graph: the query does not count them
    untyped = ox.NamedNode("https://example.org/untyped-figure")
    graph = ox.NamedNode("https://example.org/graph")
    for gene in (hub, low[3], ox.NamedNode(genes[-1]["gene"])):
        store.add(ox.Quad(gene, IS_PART_OF, bare))
        store.add(ox.Quad(gene, IS_PART_OF, untyped))
        store.add(ox.Quad(gene, IS_PART_OF, ox.NamedNode(partners[0]["partner"].value + "-x"), graph))
    figure = next(store.quads_for_pattern(hub, IS_PART_OF, None, ox.DefaultGraph())).object
    store.add(ox.Quad(low[3], IS_PART_OF, figure, graph))
    # the hub's symbol on a second gene (a symbol of two species): two genes by symbol
    twin = ox.NamedNode(genes[len(genes) // 2]["gene"])
    for quad in list(store.quads_for_pattern(twin, LABEL, None)):
        store.remove(quad)
    store.add(ox.Quad(twin, LABEL, ox.Literal(genes[0]["symbol"])))
    return {"store": store, "hub": genes[0], "low": low, "twin": twin}


def test_edited_store_pages_are_exact(edited: dict[str, Any]) -> None:
    source = indexed_source(edited["store"])
    hub = edited["hub"]
    for gene in (str(hub["id"]), str(hub["symbol"]), str(edited["twin"].value.rsplit("/", 1)[-1]), "SHARED"):
        full = engine(source, gene)
        assert full[1], gene
        assert answered_by_index(source, gene), gene
        for limit in (1, 4, 50):
            for offset in boundaries(len(full[1]), limit):
                assert_page(source, gene, full, limit=limit, offset=offset)
    rows = engine(source, str(hub["id"]))[1]
    assert any(row["partnerSymbol"] is None for row in rows)  # the unlabelled partner is a row
    assert len({row["gene"] for row in engine(source, str(hub["symbol"]))[1]}) == 2  # the twin too


def test_what_the_index_cannot_vouch_for_goes_to_the_engine(
    edited: dict[str, Any], genes: list[dict[str, Any]]
) -> None:
    store = ox.Store()
    store.extend(edited["store"])
    hub, odd = edited["hub"], edited["low"][3]
    # a partner with a second label gives two rows: the engine's business
    store.add(ox.Quad(odd, LABEL, ox.Literal("SECOND")))
    # a gene with a second label: by id a row a label (the engine's); by symbol its labels are not
    # shown, so the index answers as long as none of its partners has two labels
    plain = EmbeddedSource(store)
    lone = next(
        found
        for found in spread(genes, 40)[1:]
        if ox.NamedNode(found["gene"]) not in [*edited["low"], edited["twin"]]
        and found["symbol"]
        and all(
            odd not in {row["partner"] for row in engine(plain, str(found[form]))[1]}
            for form in ("id", "symbol")
        )
    )
    store.add(ox.Quad(ox.NamedNode(lone["gene"]), LABEL, ox.Literal("ANOTHER")))
    source = indexed_source(store)
    for gene, vouched in (
        (str(hub["id"]), False),
        (str(hub["symbol"]), False),
        (str(lone["id"]), False),
        (str(lone["symbol"]), True),
        ("ANOTHER", True),
    ):
        assert answered_by_index(source, gene) is vouched, gene
        full = engine(source, gene)
        assert full[1], gene
        for limit, offset in ((3, 0), (3, 2), (100, 0)):
            assert_page(source, gene, full, limit=limit, offset=offset)
    # other parameters, an index not yet built, another store than the index's
    with_organism = bind(get_query(QUERY), {"gene": "ANOTHER", "organism": "9606", "limit": "3"})
    assert source.gene_index.partners_for(source, with_organism) is None
    just_made = GeneFigureIndex(store)
    assert just_made.partners_for(source, bind(get_query(QUERY), {"gene": "ANOTHER"})) is None
    other = EmbeddedSource(edited["store"])
    assert source.gene_index.partners_for(other, bind(get_query(QUERY), {"gene": "ANOTHER"})) is None


def test_a_label_the_index_got_wrong_never_reaches_a_page(edited: dict[str, Any]) -> None:
    """The page's genes are read from the store again: a wrong label sends the page to the engine."""
    source = indexed_source(edited["store"])
    index = source.gene_index
    gene = str(edited["hub"]["id"])
    full = engine(source, gene)
    top = full[1][0]["partner"].value
    index._labels[index._number[top]] = "WRONG"
    bound = bind(get_query(QUERY), {"gene": gene, "limit": "5"})
    ranked = index.partners_for(source, bound)
    assert ranked is not None and ranked.rows(source, 0, 5) is None
    assert ranked.rows(source, 5, 10) is not None  # a page without that partner is still vouched for
    page = run_bound(source, bound)
    assert list(page) == full[1][:5] and page.total == len(full[1])
