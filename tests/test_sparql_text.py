"""The one SPARQL lexer (pfocr_ld.sparql.tokens) and what is built on it: mask, where_group, VALUES.

Literals are checked against the engine itself: every generated literal, in each of the four
forms, is read by pyoxigraph as exactly the text it encodes, and by the lexer as exactly one string
token, so whatever it holds (braces, ``#``, quotes, ``SERVICE``) never counts as syntax. Hostile
text is bounded in size and must tokenize in linear time.
"""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pfocr_ld import ordering, sparql
from pfocr_ld.errors import QueryError
from pfocr_ld.sparql import COMMENT, IRI, NAME, OPAQUE, PUNCT, STRING, VARIABLE, WORD

EX = "http://example.org/"
BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def kinds(text: str) -> list[tuple[str, str]]:
    return [(kind, text[start:end]) for kind, start, end in sparql.tokens(text)]


def words(text: str) -> list[str]:
    return [text[s:e].upper() for kind, s, e in sparql.tokens(text) if kind == WORD]


# Each kind ---------------------------------------------------------------------------------------
def test_every_kind_of_token() -> None:
    text = (
        "PREFIX ex: <http://example.org/#x> # a comment { SERVICE\n"
        "SELECT ?s $o WHERE { ?s ex:p 'a' , \"b\" , '''c\n''' , \"\"\"d\"\"\" ; a _:b1 . FILTER(?o < 3) }"
    )
    assert kinds(text) == [
        (WORD, "PREFIX"), (NAME, "ex:"), (IRI, "<http://example.org/#x>"),
        (COMMENT, "# a comment { SERVICE"),
        (WORD, "SELECT"), (VARIABLE, "?s"), (VARIABLE, "$o"), (WORD, "WHERE"), (PUNCT, "{"),
        (VARIABLE, "?s"), (NAME, "ex:p"), (STRING, "'a'"), (PUNCT, ","), (STRING, '"b"'), (PUNCT, ","),
        (STRING, "'''c\n'''"), (PUNCT, ","), (STRING, '"""d"""'), (PUNCT, ";"), (WORD, "a"),
        (NAME, "_:b1"), (PUNCT, "."), (WORD, "FILTER"), (PUNCT, "("), (VARIABLE, "?o"), (PUNCT, "<"),
        (PUNCT, "3"), (PUNCT, ")"), (PUNCT, "}"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'''it's ''quoted'' here'''", "it's ''quoted'' here"),
        ('"""a "b" ""c"" d"""', 'a "b" ""c"" d'),
        ("'''ends in a quote\\''''", "ends in a quote'"),
        ('"""line\nbreaks { } # SERVICE\n"""', "line\nbreaks { } # SERVICE\n"),
        ("'esc\\'aped \\\\'", "esc'aped \\"),
        ('"tab\\t{"', "tab\t{"),
    ],
)
def test_long_and_escaped_strings_are_one_token(literal: str, value: str) -> None:
    text = f"SELECT ?x WHERE {{ BIND({literal} AS ?x) }}"
    assert [t for t in kinds(text) if t[0] == STRING] == [(STRING, literal)]
    assert _engine_value(text) == value


def test_less_than_is_an_iri_only_where_the_grammar_says() -> None:
    assert kinds("FILTER(?a < ?b)")[3] == (PUNCT, "<")
    assert kinds("FILTER(?a<3 && ?b>4)")[3] == (PUNCT, "<")  # a space is not allowed in an IRIREF
    assert kinds("?s <http://x/a#{> ?o")[1] == (PUNCT, "<")  # nor a brace
    assert kinds("?s <http://x/a#b> ?o")[1] == (IRI, "<http://x/a#b>")


def test_an_unterminated_or_broken_literal_hides_nothing_after_it() -> None:
    # The engine refuses these texts; the lexer reads on, so a keyword after the quote stays visible.
    assert "SERVICE" in words("SELECT * WHERE { ?s ?p 'no end\n SERVICE <http://x/> { } }")
    assert "SERVICE" in words('SELECT * WHERE { ?s ?p """never closed SERVICE')
    assert "SERVICE" in words("SELECT * WHERE { ?s ?p ''' SERVICE <http://x/> {} ")


def test_names_are_split_where_the_engine_splits_them() -> None:
    # An escaped quote inside a prefixed name (PN_LOCAL_ESC) opens no string, nor an escaped # a
    # comment, also after U+00B7 (a name character an earlier scanner did not count): the SERVICE
    # that follows is a keyword.
    for name in ("ex:a\\'b", "ex:a\u00b7\\'b", "ex:a\\#b"):
        text = f"SELECT * WHERE {{ ?s {name} ?o . SERVICE <http://127.0.0.1:9/> {{ ?a ?b ?c }} }} # '"
        assert (NAME, name) in kinds(text)
        assert "SERVICE" in words(text)
    assert kinds("ex:SERVICE service:x ?service") == [
        (NAME, "ex:SERVICE"),
        (NAME, "service:x"),
        (VARIABLE, "?service"),
    ]


def test_codepoint_escapes_are_undone_for_keyword_checks() -> None:
    assert words(sparql.unescape_codepoints("\\u0053ERVICE <x>")) == ["SERVICE"]
    assert sparql.unescape_codepoints("\\uD800 \\U00110000 \\u00e9") == "\ufffd \ufffd \u00e9"
    assert sparql.mentions_service("SELECT * { \\u0073ervice <x> {} }")
    assert not sparql.mentions_service("SELECT * { ?s ?p ?o }")


# Built on it ---------------------------------------------------------------------------------------
def test_mask_blanks_exactly_the_opaque_tokens() -> None:
    text = 'SELECT ?x # { ORDER BY ?y\nWHERE { ?x <http://a/{> "}" } ORDER BY ?x'
    masked = sparql.mask(text)
    assert len(masked) == len(text)
    comment = " " * len("# { ORDER BY ?y")
    assert masked == "SELECT ?x " + comment + "\nWHERE { ?x <http://a/{> " + "   " + " } ORDER BY ?x"
    assert ordering.mask is sparql.mask


@pytest.mark.parametrize(
    "prologue",
    [
        "SELECT * ",
        "SELECT ('{' AS ?b) ",
        'SELECT ("""}\n{""" AS ?b) # WHERE {\n',
        "PREFIX where: <http://x/where#> SELECT (where:x AS ?w) ",
        "CONSTRUCT { ?s ?p ?o } ",
        "DESCRIBE ?s FROM <http://g/> ",
        "ASK ",
    ],
)
def test_where_group_finds_the_pattern_brace(prologue: str) -> None:
    text = prologue + "WHERE { ?s ?p ?o }"
    assert sparql.where_group(text) == text.rindex("WHERE {") + len("WHERE ")


def test_where_group_refuses_what_has_no_pattern_to_bind_into() -> None:
    with pytest.raises(QueryError, match="short form"):
        sparql.where_group("CONSTRUCT # { \n WHERE { ?s ?p ?o }")
    with pytest.raises(QueryError, match="cannot find"):
        sparql.where_group("SELECT ?x # WHERE { }")
    with pytest.raises(QueryError, match="cannot find"):
        sparql.where_group("SELECT ('WHERE {' AS ?x)")


# Against the engine ---------------------------------------------------------------------------------
_CONTENT = st.lists(
    st.sampled_from([*"ab {}#<>?$:'\"\\\n\r\t", "SERVICE", "WHERE", "\u00e9", "\u00b7"]), max_size=40
).map("".join)


def _short(content: str, quote: str) -> str:
    escaped = content.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return quote + escaped.replace("\n", "\\n").replace("\r", "\\r") + quote


def _long(content: str, quote: str) -> str:
    # Backslashes always escaped; a quote escaped where it could close the literal: in a run of
    # three or more, or at the end of the content.
    out: list[str] = []
    i = 0
    while i < len(content):
        if content[i] == quote:
            end = i
            while end < len(content) and content[end] == quote:
                end += 1
            run = end - i
            out.append(("\\" + quote) * run if run >= 3 or end == len(content) else quote * run)
            i = end
            continue
        out.append("\\\\" if content[i] == "\\" else content[i])
        i += 1
    return quote * 3 + "".join(out) + quote * 3


def _engine_value(text: str) -> str:
    solutions = ox.Store().query(text)
    assert isinstance(solutions, ox.QuerySolutions)
    term = next(iter(solutions))["x"]
    assert isinstance(term, ox.Literal)
    return term.value


@BOUNDED
@given(content=_CONTENT, form=st.sampled_from(["'", '"', "'''", '"""']))
@example(content="\\'", form="'''")  # a backslash, then the closing quote's character
@example(content='a""', form='"""')
def test_any_literal_is_one_string_token_and_the_engine_agrees(content: str, form: str) -> None:
    literal = _long(content, form[0]) if len(form) == 3 else _short(content, form)
    text = f"SELECT ({literal} AS ?x) # {content.splitlines()[0] if content else ''}\nWHERE {{ }}"
    assert _engine_value(text) == content
    strings = [t for t in kinds(text) if t[0] == STRING]
    assert strings == [(STRING, literal)]
    brace = sparql.where_group(text)
    assert text[brace:] == "{ }"
    injected = sparql.inject_values(text, {"y": ox.Literal(content)})
    assert _engine_value(injected) == content


@BOUNDED
@given(content=st.text(max_size=60))
def test_values_bind_any_text_as_one_literal(content: str) -> None:
    injected = sparql.inject_values("SELECT ?x WHERE { }", {"x": ox.Literal(content)})
    assert _engine_value(injected) == content


# Hostile text --------------------------------------------------------------------------------------
_HOSTILE = st.lists(
    st.sampled_from([*"ab:._-\u00b7 {}()<>#'\"\\?$\n", "'''", '"""', "\\u0053"]), max_size=300
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(_HOSTILE, st.text(max_size=300)))
def test_tokens_cover_the_text_in_order_and_never_fail(text: str) -> None:
    done = 0
    for kind, start, end in sparql.tokens(text):
        assert done <= start < end <= len(text), (kind, start, end)
        assert text[done:start].strip() == "", "only whitespace between tokens"
        if kind == PUNCT:
            assert end == start + 1
        done = end
    assert text[done:].strip() == ""
    masked = sparql.mask(text)
    assert len(masked) == len(text)
    for kind, start, end in sparql.tokens(text):
        part = masked[start:end]
        assert part == (" " * (end - start) if kind in OPAQUE else text[start:end])


@pytest.mark.parametrize(
    "text",
    [
        "a-" * 100_000,  # a name run without a colon: measured once, not at each character
        "a\u00b7" * 100_000 + ":",
        "'" * 200_000,
        "'''" + "''x" * 60_000,
        '"' + "\\" * 200_001,
        "<" * 200_000,
        "?" * 200_000,
        "{" * 200_000,
    ],
    ids=lambda text: f"{text[:6]!r}x{len(text)}",
)
def test_hostile_text_tokenizes_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    count = sum(1 for _ in sparql.tokens(text))
    seconds = time.perf_counter() - started
    assert 0 < count <= len(text)
    # ~0.2 s each on a loaded 2-core machine; a quadratic scan of 200,000 characters takes minutes
    assert seconds < 5, seconds


# The ordered select --------------------------------------------------------------------------------
def _store() -> ox.Store:
    store = ox.Store()
    for index, label in enumerate(["c", "a", "b"]):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{index}"), ox.NamedNode(EX + "p"), ox.Literal(label)))
    store.add(ox.Quad(ox.BlankNode("z"), ox.NamedNode(EX + "q"), ox.Literal("blank")))
    return store


def test_ordered_select_sorts_here_and_falls_back_to_the_engine() -> None:
    store, ran = _store(), []

    def run(text: str) -> object:
        ran.append(text)
        return store.query(text)

    text = f"SELECT ?o ?s WHERE {{ ?s <{EX}p> ?o }} ORDER BY DESC(?o)"
    answer = ordering.ordered_select(run, text)
    assert isinstance(answer, ordering.OrderedRows)
    assert answer.variables == ["o", "s"]
    assert [row[0].value for row in answer.rows] == ["c", "b", "a"]  # type: ignore[union-attr]
    assert ran == [ordering.defer_order(text).query]  # type: ignore[union-attr]

    ran.clear()
    blank = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s"  # blank nodes: only the engine orders them
    answer = ordering.ordered_select(run, blank)
    assert isinstance(answer, ox.QuerySolutions)
    assert ran == [ordering.defer_order(blank).query, blank]  # type: ignore[union-attr]

    ran.clear()
    assert isinstance(ordering.ordered_select(run, text, enabled=False), ox.QuerySolutions)
    assert ran == [text]
    assert isinstance(ordering.ordered_select(run, "ASK { ?s ?p ?o }"), ox.QueryBoolean)
