"""The server's SPARQL lexer (``pfocr_ld.serve.lexer``) and query guard (``pfocr_ld.serve.guard``) alone.

The lexer is its own module so that it can later be swapped for the one shared scanner (issue 17
§3); these tests pin what the swap has to keep. The server-level behaviour (a refused query's status
over HTTP) is in tests/test_serve.py and tests/test_no_outbound.py.
"""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pfocr_ld.serve.guard import FEDERATION_REFUSED, MAX_NESTING, check_query, mentions_service
from pfocr_ld.serve.http_errors import HttpError
from pfocr_ld.serve.lexer import UPDATE_KEYWORDS, inspect_sparql, scan, unescape_codepoints


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("select * where { ?s ?p ?o }", ["SELECT", "WHERE"]),
        ('SELECT * { ?s ?p "SERVICE" }', ["SELECT"]),
        ("SELECT * { ?s ?p 'INSERT' }", ["SELECT"]),
        ('SELECT * { ?s ?p """a "quoted" SERVICE\nline""" }', ["SELECT"]),
        ("SELECT * { ?s ?p 'it\\'s SERVICE' }", ["SELECT"]),  # an escaped quote does not end the string
        ("SELECT * { ?s <http://x/SERVICE> ?o }", ["SELECT"]),
        ("SELECT ?service { ?s ?p $SERVICE }", ["SELECT"]),
        ("SELECT * { ?s ex:SERVICE ?o . ?s :INSERT ?o }", ["SELECT"]),  # prefixed names are not keywords
        ("SELECT * { _:SERVICE ?p ?o }", ["SELECT"]),
        ("SELECT * # SERVICE {\n{ ?s ?p ?o }", ["SELECT"]),
        ("ASK { FILTER(true) }", ["ASK", "FILTER", "TRUE"]),
    ],
)
def test_scan_reads_keywords_outside_strings_iris_names_and_comments(text: str, words: list[str]) -> None:
    assert scan(text)[0] == words


def test_scan_measures_the_deepest_nesting_of_any_bracket() -> None:
    assert scan("SELECT * { ?s ?p ?o }")[1] == 1
    assert scan("SELECT * { { ( [ ] ) } } { }")[1] == 4
    assert scan("} } } SELECT * { ?s ?p ?o }")[1] == 1  # stray closers never go below zero
    assert scan('SELECT * { ?s ?p "{{{{" }')[1] == 1  # brackets in strings do not count


def test_a_name_character_before_an_escaped_quote_does_not_start_a_string() -> None:
    """U+00B7 is a name character (SPARQL 1.1 §19.8): ``ex:a·\\'`` is one name, as the engine reads it."""
    text = "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\u00b7\\' ?o }"
    ox.Store().query(text)  # the engine parses it: the name ends before " ?o"
    assert "SERVICE" in scan(text.replace("?o }", "SERVICE <http://x/> { ?s ?p ?o } }"))[0]


def test_unescape_codepoints_reads_text_as_the_parser_does() -> None:
    assert unescape_codepoints("\\u0053ERVICE \\U00000041") == "SERVICE A"
    assert unescape_codepoints("\\uD800 \\U00110000") == "\ufffd \ufffd"  # surrogates, beyond Unicode
    assert unescape_codepoints("\\u00 \\x41") == "\\u00 \\x41"  # not escapes


def test_inspect_sparql_combines_the_raw_and_the_unescaped_text() -> None:
    assert inspect_sparql("PREFIX ex: <http://e/> BASE <http://b/> SELECT * {}").form == "SELECT"
    # An escape can hide neither an update (the update keyword wins) nor a SERVICE.
    assert inspect_sparql("\\u0049NSERT DATA { <a:b> <a:c> <a:d> }").form == "INSERT"
    assert inspect_sparql("SELECT * { \\u0053ERVICE <http://x/> { } }").service
    assert inspect_sparql("").form is None
    assert {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "WITH"} <= UPDATE_KEYWORDS


def test_a_long_run_of_name_characters_costs_linear_time() -> None:
    started = time.perf_counter()
    words, _ = scan("a\u00e9" * 100_000 + " SERVICE")
    # Measured 0.04 s here; a scan retrying the prefixed-name regex at each character took minutes.
    assert time.perf_counter() - started < 5
    assert words[-1] == "SERVICE"


#: What trips a lexer: the keyword's letters, brackets, quotes, escapes, name and comment starters.
_LEXER_ALPHABET = "SERVICEservice{}()[]<>\"'#\\:_?$. \nu0053ab\u00b7"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list(_LEXER_ALPHABET)), max_size=300))
def test_the_lexer_never_claims_a_service_the_text_does_not_name(text: str) -> None:
    shape = inspect_sparql(text)
    assert shape.depth >= 0
    if shape.service:
        assert mentions_service(text)  # the word is there, raw or escaped
    if shape.form is not None:
        assert shape.form.isupper()


@pytest.mark.parametrize(
    ("text", "status", "title"),
    [
        ("  \n", 400, "Empty query"),
        ("SELECT * { ?s ?p ?o } #" + "x" * 300, 413, "Query too long"),
        ("INSERT DATA { <a:b> <a:c> <a:d> }", 403, "Read-only endpoint"),
        ("PREFIX x: <http://x/> with <http://g/> DELETE { ?s ?p ?o } WHERE {}", 403, "Read-only endpoint"),
        ("SELECT * " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1), 400, "Query too deeply nested"),
        ("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 400, "Federated query refused"),
    ],
)
def test_check_query_refuses_before_any_engine(text: str, status: int, title: str) -> None:
    with pytest.raises(HttpError) as refused:
        check_query(text, max_length=300)
    assert (refused.value.status, refused.value.title) == (status, title)
    if title == "Federated query refused":
        assert refused.value.message.startswith(FEDERATION_REFUSED)


def test_check_query_lets_a_plain_query_through() -> None:
    check_query("SELECT * " + "{" * MAX_NESTING + "}" * MAX_NESTING, max_length=10_000)
    check_query('SELECT * { ?s ?p "SERVICE INSERT" }', max_length=10_000)
