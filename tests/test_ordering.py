"""ORDER BY in Python (pfocr_ld.ordering) against Oxigraph's own ORDER BY.

The claim is that the embedded source returns rows in the order the engine would: every test
runs the same query with ``sort_in_python`` on and off and compares the sequence of sort keys
(rows with equal keys may come in any order, as SPARQL allows) and the rows as a multiset.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pfocr_ld import ordering
from pfocr_ld.query import EmbeddedSource

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"


def test_defer_order_splits_the_final_clause() -> None:
    text = "SELECT ?a ?b WHERE { ?a <http://p> ?b } ORDER BY ?a DESC(?b) asc( $c )  # done\n"
    deferred = ordering.defer_order(text)
    assert deferred is not None
    assert deferred.keys == (("a", False), ("b", True), ("c", False))
    assert deferred.query == "SELECT ?a ?b WHERE { ?a <http://p> ?b }   # done\n"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?a WHERE { ?a ?p ?o } ORDER BY ?a LIMIT 10",
        "SELECT ?a WHERE { ?a ?p ?o } ORDER BY ?a OFFSET 1",
        "SELECT ?a WHERE { ?a ?p ?o } ORDER BY STR(?a)",
        "SELECT ?a WHERE { ?a ?p ?o } ORDER BY (?a + 1)",
        "SELECT ?a WHERE { { SELECT ?a WHERE { ?a ?p ?o } ORDER BY ?a } }",
        "SELECT ?a WHERE { ?a ?p ?o } ORDER BY ?a VALUES ?a { <http://x> }",
        "CONSTRUCT { ?a ?p ?o } WHERE { ?a ?p ?o } ORDER BY ?a",
        "ASK { ?a ?p ?o }",
        "SELECT ?a WHERE { ?a ?p ?o }",
        "SELECT ?a WHERE { ?a ?p ?o }  # ORDER BY ?a",
        'SELECT ?a WHERE { ?a ?p "} ORDER BY ?a" }',
        "PREFIX order: <http://x/> SELECT ?a WHERE { ?a order:by ?o }",
    ],
)
def test_defer_order_leaves_everything_else_to_the_engine(text: str) -> None:
    assert ordering.defer_order(text) is None


def test_a_prefixed_name_is_not_a_keyword() -> None:
    text = "PREFIX select: <http://x/> CONSTRUCT { ?a select:p ?o } WHERE { ?a select:p ?o } ORDER BY ?a"
    assert ordering.defer_order(text) is None
    text = "PREFIX ex: <http://x/SELECT> SELECT ?o WHERE { ?a ex:p ?o } ORDER BY ?o"
    assert ordering.defer_order(text) is not None


# Differential: the same query ordered by the engine and by Python -------------------------------
def typed(lexical: str, datatype: str) -> ox.Literal:
    return ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype))


def sort_key(row: dict[str, Any], keys: list[str]) -> tuple[str, ...]:
    return tuple(str(row[name]) for name in keys)


def both_ways(
    store: ox.Store, query: str, keys: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    in_python = list(EmbeddedSource(store).execute(query))
    by_engine = list(EmbeddedSource(store, sort_in_python=False).execute(query))
    assert [sort_key(r, keys) for r in in_python] == [sort_key(r, keys) for r in by_engine], query
    assert Counter(map(repr, in_python)) == Counter(map(repr, by_engine)), query
    return in_python, by_engine


def store_of(values: list[ox.NamedNode | ox.BlankNode | ox.Literal | None]) -> ox.Store:
    """One subject a value (``ex:v`` absent for None) plus a group number, for two-key orders."""
    store = ox.Store()
    for index, value in enumerate(values):
        subject = ox.NamedNode(f"{EX}s{index}")
        store.add(
            ox.Quad(
                subject,
                ox.NamedNode(EX + "group"),
                ox.Literal(str(index % 3), datatype=ox.NamedNode(XSD + "integer")),
            )
        )
        if value is not None:
            store.add(ox.Quad(subject, ox.NamedNode(EX + "v"), value))
    return store


QUERY = "PREFIX ex: <http://example.org/> SELECT ?s ?g ?v WHERE { ?s ex:group ?g OPTIONAL { ?s ex:v ?v } } "
SORTABLE_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
SORTABLE = st.one_of(
    st.none(),
    st.builds(lambda text: ox.Literal(text), SORTABLE_TEXT),
    st.builds(
        lambda text, tag: ox.Literal(text, language=tag),
        SORTABLE_TEXT,
        st.sampled_from(["en", "de", "en-GB", "en-gb", "x-a"]),
    ),
    st.builds(lambda local: ox.NamedNode(f"{EX}{local}"), st.text(alphabet="abcXYZ019_é~", max_size=4)),
)
INTEGERS = st.builds(
    lambda n: ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer")), st.integers(-(2**63), 2**63 - 1)
)
DECIMALS = st.builds(
    lambda n: ox.Literal(str(n), datatype=ox.NamedNode(XSD + "decimal")),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000),
)
DOUBLES = st.builds(
    lambda n: ox.Literal(repr(n), datatype=ox.NamedNode(XSD + "double")),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)
ANY_NUMBER = st.one_of(INTEGERS, DECIMALS, DOUBLES)
IRIS = st.builds(ox.NamedNode, st.sampled_from([EX + "a", EX + "b"]))
#: one column's values: doubles, integers and decimals, or all three (the engine's case)
NUMBER_COLUMNS = st.one_of(
    *(
        st.lists(st.one_of(st.none(), IRIS, kind), max_size=25)
        for kind in (DOUBLES, st.one_of(INTEGERS, DECIMALS))
    )
) | st.lists(st.one_of(st.none(), ANY_NUMBER), max_size=25)


@settings(max_examples=60, deadline=None)
@given(st.lists(SORTABLE, max_size=25))
def test_strings_tagged_strings_iris_and_unbound_sort_as_the_engine_does(values: list[Any]) -> None:
    assert ordering.column_keys(values) is not None  # sorted in Python, not handed back
    store = store_of(values)
    both_ways(store, QUERY + "ORDER BY ?v ?s", ["v", "s"])
    both_ways(store, QUERY + "ORDER BY DESC(?v) ?g ?s", ["v", "g", "s"])
    both_ways(store, QUERY + "ORDER BY ?g DESC(?s)", ["g", "s"])


@settings(max_examples=80, deadline=None)
@given(NUMBER_COLUMNS)
def test_numbers_sort_by_value_as_the_engine_does(values: list[Any]) -> None:
    kinds = {v.datatype.value for v in values if isinstance(v, ox.Literal)}
    if not (XSD + "double" in kinds and len(kinds) > 1):
        assert ordering.column_keys(values) is not None
    store = store_of(values)
    both_ways(store, QUERY + "ORDER BY ?v ?s", ["v", "s"])
    both_ways(store, QUERY + "ORDER BY DESC(?v) ?s", ["v", "s"])


@pytest.mark.parametrize(
    "values",
    [
        [ox.BlankNode(), ox.BlankNode(), ox.Literal("a")],
        [ox.Literal("10"), ox.Literal("9", datatype=ox.NamedNode(XSD + "integer"))],
        [
            ox.Literal("2024-01-02", datatype=ox.NamedNode(XSD + "date")),
            ox.Literal("2023-12-31", datatype=ox.NamedNode(XSD + "date")),
        ],
        [
            ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
            ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean")),
        ],
        [
            ox.Literal("x", datatype=ox.NamedNode(XSD + "integer")),
            ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),
        ],
        [
            ox.Literal("NaN", datatype=ox.NamedNode(XSD + "double")),
            ox.Literal("1", datatype=ox.NamedNode(XSD + "double")),
        ],
        [typed("0.1", "decimal"), typed("0.1", "double")],
        [typed("0.1", "float"), typed("0.2", "float")],
        [typed("1_000", "integer"), typed("2", "integer")],
        [typed(str(2**64), "integer"), typed("2", "integer")],
    ],
)
def test_terms_only_the_engine_orders_fall_back_to_it(values: list[Any]) -> None:
    store = store_of(values)
    deferred = ordering.defer_order(QUERY + "ORDER BY ?v")
    assert deferred is not None
    solutions = store.query(deferred.query)
    variables = [v.value for v in solutions.variables]
    assert ordering.sort_rows([tuple(s) for s in solutions], variables, deferred.keys) is None
    in_python = list(EmbeddedSource(store).execute(QUERY + "ORDER BY ?v ?s"))
    by_engine = list(EmbeddedSource(store, sort_in_python=False).execute(QUERY + "ORDER BY ?v ?s"))
    assert in_python == by_engine  # the engine's own answer, rows and order


def test_a_key_outside_the_projection_falls_back_to_the_engine() -> None:
    store = store_of([ox.Literal("b"), ox.Literal("a"), ox.Literal("c")])
    query = "PREFIX ex: <http://example.org/> SELECT ?s WHERE { ?s ex:v ?v } ORDER BY DESC(?v)"
    in_python = [row["s"] for row in EmbeddedSource(store).execute(query)]
    assert [s.value for s in in_python] == [EX + "s2", EX + "s0", EX + "s1"]


def test_tagged_and_plain_strings_of_one_text_interleave_as_in_oxigraph() -> None:
    texts = [("b", None), ("a", "en-gb"), ("a", None), ("ab", "en"), ("a", "de"), ("b", "en"), ("a", "en")]
    values = [ox.Literal(text, language=tag) if tag else ox.Literal(text) for text, tag in texts]
    assert ordering.column_keys(values) is not None
    in_python, _ = both_ways(store_of(values), QUERY + "ORDER BY ?v", ["v"])
    assert [str(row["v"]) for row in in_python] == [
        '"a"@de',
        '"a"@en',
        '"a"@en-gb',
        '"a"',
        '"ab"@en',
        '"b"@en',
        '"b"',
    ]
