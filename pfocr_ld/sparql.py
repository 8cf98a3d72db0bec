"""SPARQL text as users write it: one lexer, the WHERE group, VALUES binding, prefixes, readable errors.

This module owns reading SPARQL *text* without a parser. Whatever has to know where a string, an
IRI or a comment ends asks :func:`tokens`, so that a brace or keyword inside one never counts:
:func:`pfocr_ld.ordering.defer_order` (through :func:`mask`), :func:`where_group` for binding, and
the server's query guard (``SERVICE``, updates, nesting depth). :func:`tokens` yields
:class:`Token` spans of these kinds:

* ``COMMENT`` (``#`` to the end of the line); ``STRING`` (the four literal forms; a short one stops
  at a raw line break, as the grammar's ``STRING_LITERAL1/2``); ``IRI`` (where ``<`` starts the
  ``IRIREF`` production; otherwise ``<`` is less-than, a ``PUNCT``);
* ``VARIABLE`` (``?x``, ``$x``); ``NAME`` (prefixed names and blank-node labels, never keywords);
  ``WORD`` (a bare word: a keyword, ``a``, ``true``, a function name); ``PUNCT`` (one character:
  brackets, operators, digits, a quote that opens no valid literal).

Names are split where the engine splits them (the SPARQL 1.1 grammar's name characters, §19.8),
and any text is tokenized in linear time. The text is read as written: ``\\uXXXX`` escapes, which
SPARQL allows anywhere, are undone by :func:`unescape_codepoints` where that matters (the server
scans both forms).

It also binds parameters into text for engines that take no substitutions: :func:`inject_values`
puts a ``VALUES`` block of N-Triples-serialised terms at the start of the WHERE group
(:func:`where_group`) or at a ``# @values`` line.

WikiPathways' endpoint (Virtuoso) predeclares its common prefixes, so the queries its users keep
often start with ``SELECT`` and use ``wp:``, ``dcterms:`` or ``rdfs:`` undeclared. Our embedded
store, ``pfocr-ld query`` and ``pfocr-ld serve`` hand the engine the same kind of map
(:data:`PREDECLARED`: every prefix of :data:`pfocr_ld.vocab.PREFIXES`); a query's own ``PREFIX``
lines still win. An undeclared prefix outside that map is answered with its name, not the parser's
list of expected characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Final, NamedTuple

import pyoxigraph as ox

from pfocr_ld import rdf, vocab
from pfocr_ld.errors import ParameterError, QueryError

#: Prefixes a query may use without declaring them.
PREDECLARED: Final[dict[str, str]] = dict(vocab.PREFIXES)

_UNKNOWN_PREFIX = re.compile(r"Unknown namespace prefix : (\S*)")


def undeclared_prefix(text: str) -> str | None:
    """The first prefix a query uses without declaring it, or ``None`` when none is to blame.

    Oxigraph's message for an unknown prefix is a list of expected characters, and it has no
    parse-only call (a trial query would be evaluated, SERVICE included), so rdflib's parser, which
    never evaluates anything here, names the prefix. Only called after Oxigraph rejected the text.
    """
    from rdflib.plugins.sparql import prepareQuery  # the error path only: rdflib takes 0.3 s to import

    try:
        prepareQuery(text, initNs=PREDECLARED)
    except Exception as error:  # rdflib raises a bare Exception for an unknown prefix
        found = _UNKNOWN_PREFIX.search(str(error))
        if found:
            return "" if found.group(1) == "None" else found.group(1)
    return None


def syntax_error_message(text: str, error: SyntaxError) -> str:
    """A one-line message for a parser error; an undeclared prefix is named as such."""
    missing = undeclared_prefix(text)
    if missing is not None:
        known = ", ".join(f"{name}:" for name in sorted(PREDECLARED))
        return (
            f"prefix {missing}: is not declared; add 'PREFIX {missing}: <…>' or use a predeclared "
            f"prefix ({known})"
        )
    message = str(error)
    first_line = message.splitlines()[0] if message else "invalid query"
    return f"SPARQL syntax error: {first_line}"


# The lexer -------------------------------------------------------------------------------------
COMMENT: Final = "COMMENT"
STRING: Final = "STRING"
IRI: Final = "IRI"
VARIABLE: Final = "VARIABLE"
NAME: Final = "NAME"
WORD: Final = "WORD"
PUNCT: Final = "PUNCT"
#: The kinds whose text is data or commentary, never syntax (what :func:`mask` blanks out).
OPAQUE: Final = frozenset({COMMENT, STRING, IRI})

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


class Token(NamedTuple):
    """One lexical unit: its kind and its span ``text[start:end]``."""

    kind: str
    start: int
    end: int


# Literals by regular expression: a long string's body costs one C loop instead of a Python step
# per character. A short literal stops at a raw line break, as in the grammar (STRING_LITERAL1/2).
_STRINGS = {
    "'''": re.compile(r"'''(?:[^'\\]|\\.|'(?!''))*'''", re.DOTALL),
    '"""': re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.DOTALL),
    "'": re.compile(r"'(?:[^'\\\n\r]|\\.)*'", re.DOTALL),
    '"': re.compile(r'"(?:[^"\\\n\r]|\\.)*"', re.DOTALL),
}
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# The SPARQL 1.1 grammar's name characters (§19.8), so names are split exactly where the engine
# splits them: a character not counted as part of a name (U+00B7 was one) followed by an escaped
# quote made an earlier scanner read a string where the engine reads a name.
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
_PNAME = re.compile(f"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?")
_BLANK_NODE = re.compile(f"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?")
_VARIABLE = re.compile(f"[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NAME_RUN = re.compile(f"[{_PN_CHARS}.]*")


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text`` in order, whitespace left out (see the module docstring for the kinds).

    Never fails: what fits no other kind is a one-character ``PUNCT``, and an unterminated literal
    is a ``PUNCT`` quote followed by the tokens of its would-be content (the engine refuses that
    text anyway; reading on keeps the keywords after it visible).
    """
    i, n = 0, len(text)
    # A prefixed name needs ':' right after a run of name characters; the run is measured once, so a
    # long run without one costs linear time, not a failed regex match at each of its characters.
    run_end, colon = -1, False
    match: re.Match[str] | None
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            yield Token(COMMENT, i, end)
            i = end
            continue
        if ch in "\"'":
            opener = ch * 3 if text.startswith(ch * 3, i) else ch
            match = _STRINGS[opener].match(text, i)
            if match is None and len(opener) == 3:
                match = _STRINGS[ch].match(text, i)  # an unclosed ''' may still start with ''
            if match is not None:
                yield Token(STRING, i, match.end())
                i = match.end()
            else:
                yield Token(PUNCT, i, i + 1)
                i += 1
            continue
        if ch == "<":
            match = rdf.IRIREF.match(text, i)
            end = match.end() if match else i + 1
            yield Token(IRI if match else PUNCT, i, end)
            i = end
            continue
        if ch in "?$":
            match = _VARIABLE.match(text, i)
            end = match.end() if match else i + 1
            yield Token(VARIABLE if match else PUNCT, i, end)
            i = end
            continue
        if i >= run_end:
            run_end = _NAME_RUN.match(text, i).end()  # type: ignore[union-attr]
            colon = text.startswith(":", run_end) and not text.startswith(".", run_end - 1)
        if colon and (match := _PNAME.match(text, i) or _BLANK_NODE.match(text, i)):
            yield Token(NAME, i, match.end())  # prefixed names and blank nodes are never keywords
            i = match.end()
        elif match := _WORD.match(text, i):
            yield Token(WORD, i, match.end())
            i = match.end()
        else:
            yield Token(PUNCT, i, i + 1)
            i += 1


def mask(text: str) -> str:
    """``text`` with its comments, strings and IRIs blanked out (same length, same offsets).

    Through the lexer rather than one regular expression: a regex cannot tell a quote escaped in a
    prefixed name (``ex:a\\'b``) from one that opens a string. It costs 1.7 ms for the nine library
    queries together (22 kB; a regex took 0.1 ms) and 14 ms for a 10,000-IRI VALUES block (390 kB;
    4 ms), small beside running any of them.
    """
    parts: list[str] = []
    done = 0
    for kind, start, end in tokens(text):
        if kind in OPAQUE:
            parts.append(text[done:start])
            parts.append(" " * (end - start))
            done = end
    parts.append(text[done:])
    return "".join(parts)


def unescape_codepoints(text: str) -> str:
    """``text`` with its ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes undone, as the parser reads it first.

    SPARQL allows these escapes anywhere in a query, so a check that reads keywords scans this form
    too; an escape of no valid character (a surrogate, beyond U+10FFFF) becomes U+FFFD.
    """

    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"

    return _CODEPOINT.sub(replace, text)


def mentions_service(text: str) -> bool:
    """Whether ``service`` occurs anywhere in the text, escapes undone: a deliberately wide test,
    for deciding that an engine's error may carry what a remote service answered."""
    return "service" in unescape_codepoints(text).casefold()


# The WHERE group and VALUES binding ------------------------------------------------------------
_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


def where_group(text: str) -> int:
    """Index of the ``{`` that opens the query's WHERE pattern (:class:`QueryError` if none).

    The form keyword and ``WHERE`` count only outside brackets; a CONSTRUCT's template ``{`` is
    passed over; the ``CONSTRUCT WHERE { … }`` short form has no separate pattern to bind into.
    """
    depth = parens = 0
    form: str | None = None
    saw_where = False
    last_words: list[str] = []  # the last two words before this token, comments aside
    for kind, start, end in tokens(text):
        if kind == COMMENT:
            continue
        if kind == WORD:
            word = text[start:end].upper()
            if depth == 0 and parens == 0:
                if word in _FORMS and form is None:
                    form = word
                elif word == "WHERE":
                    saw_where = True
            last_words = [*last_words[-1:], word]
            continue
        if kind == PUNCT:
            ch = text[start]
            if ch == "(":
                parens += 1
            elif ch == ")":
                parens -= 1
            elif ch == "{" and parens == 0:
                if depth == 0:
                    if form == "CONSTRUCT" and not saw_where:
                        pass  # the construct template; the pattern follows WHERE
                    elif saw_where or form in {"SELECT", "ASK", "DESCRIBE"}:
                        if form == "CONSTRUCT" and last_words == ["CONSTRUCT", "WHERE"]:
                            raise QueryError(
                                "parameters cannot be bound in the CONSTRUCT WHERE { … } short form"
                            )
                        return start
                depth += 1
            elif ch == "}" and parens == 0:
                depth -= 1
        last_words = [*last_words[-1:], ""]
    raise QueryError("cannot find the WHERE pattern of the query to bind parameters into")


def values_block(bindings: Mapping[str, Term]) -> str:
    """``VALUES (?a ?b) { (<…> "…") }`` with each term in N-Triples syntax.

    pyoxigraph's N-Triples serialisation escapes quotes, backslashes and line breaks (``\\"``,
    ``\\\\``, ``\\n``) and writes other control characters as ``\\uXXXX``, which is also valid inside
    a SPARQL string; IRIs were validated when the :class:`~pyoxigraph.NamedNode` was made. So a
    value can only ever be one term of data.
    """
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(str(term) for term in bindings.values())
    return f"VALUES ({names}) {{ ({terms}) }}"


#: A comment line that marks where a query wants its parameters bound (see :func:`inject_values`).
VALUES_MARKER = re.compile(r"^[ \t]*#[ \t]*@values[ \t]*$", re.MULTILINE)


def inject_values(text: str, bindings: Mapping[str, Term]) -> str:
    """The query with a ``VALUES`` block at the start of its WHERE pattern.

    At the *start* of the top-level group the block joins before any OPTIONAL, FILTER, grouping or
    aggregation, which is what pyoxigraph's substitutions do too; a trailing VALUES clause would
    be joined after GROUP BY and change aggregate queries. A query that aggregates in a sub-select
    marks the place inside it with a line ``# @values`` (SPARQL evaluates a sub-select on its own,
    so parameters bound outside it would be joined only after it had aggregated everything).
    """
    if not bindings:
        return VALUES_MARKER.sub("", text)
    for name in bindings:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ParameterError(f"{name!r} is not a SPARQL variable name")
    marker = VALUES_MARKER.search(text)
    if marker is not None:
        return f"{text[: marker.start()]}  {values_block(bindings)}{text[marker.end() :]}"
    brace = where_group(text)
    return f"{text[: brace + 1]}\n  {values_block(bindings)}\n{text[brace + 1 :]}"
