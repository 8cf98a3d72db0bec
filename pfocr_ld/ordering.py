"""A SELECT query's final ``ORDER BY``, evaluated in Python for the embedded store and the server.

Oxigraph compares two long literals (figure ids, titles) by reading both strings from its
dictionary in RocksDB, once per comparison. On a 100,000-figure store that made sorting cost more
than answering: ``figures-for-gene`` for a gene shown in 18,303 figures took 2.5-3.2 s, 1.2-1.7 s
sorted here; ``gene-sets`` (3.3 M rows) 432 s, 159 s sorted here.

So :func:`defer_order` takes a SELECT query whose last clause is ``ORDER BY`` over plain variables
(``?v``, ``ASC(?v)``, ``DESC(?v)``; no ``LIMIT``/``OFFSET``, which would have to see the order)
and returns the query without that clause plus the sort keys, and :func:`sort_rows` sorts the
rows in the order Oxigraph gives them, which is SPARQL's (SPARQL 1.1 §15.1) where that is defined:
unbound < IRIs < literals; IRIs and strings by code point (a language-tagged string just before
the plain one of the same text, then by tag), numbers by value. Where engines may disagree (blank
nodes, dates, booleans, ``xsd:float``, strings mixed with numbers or doubles with integers in one
column) it returns ``None`` and the caller runs the original query, so the engine orders it. Rows
with equal keys keep the engine's order, which SPARQL leaves unspecified either way.

:func:`ordered_select` is that whole step (defer, run, sort or run again as written) for any
caller that runs text on a pyoxigraph store: the embedded query source and the server's workers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from pfocr_ld import sparql, vocab

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

_XSD_STRING = vocab.XSD + "string"
_DECIMAL = vocab.XSD + "decimal"
_DOUBLE = vocab.XSD + "double"
# XSD lexical forms: Python's int() and float() also take "1_000", " 1" and "+INF".
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL_LEXICAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DOUBLE_LEXICAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|-?INF")

_QUERY_FORM = re.compile(r"(?<![\w:?$])(SELECT|CONSTRUCT|ASK|DESCRIBE)(?![\w:])", re.IGNORECASE)
_ORDER_BY = re.compile(r"(?<![\w:?$])ORDER\s+BY(?![\w:])", re.IGNORECASE)
_CONDITION = re.compile(
    r"\s*(?:(?P<dir>ASC|DESC)\s*\(\s*[?$](?P<wrapped>\w+)\s*\)|[?$](?P<plain>\w+))", re.IGNORECASE
)


@dataclass(frozen=True)
class DeferredOrder:
    """A query without its final ``ORDER BY``, and that clause's keys: (variable, descending)."""

    query: str
    keys: tuple[tuple[str, bool], ...]


mask = sparql.mask  # comments, strings and IRIs blanked out (one lexer: pfocr_ld.sparql)


def defer_order(text: str) -> DeferredOrder | None:
    """Split off a SELECT query's final ``ORDER BY`` of plain variables, or ``None`` if it has none.

    Only the query's own last clause counts: an ``ORDER BY`` inside a sub-select stays where it is,
    and a query ending in ``LIMIT``, ``OFFSET`` or a ``VALUES`` block is left to the engine.
    """
    masked = mask(text)
    form = _QUERY_FORM.search(masked)
    if form is None or form.group(1).upper() != "SELECT":
        return None
    end_of_pattern = masked.rfind("}")
    if end_of_pattern < 0:
        return None
    order = _ORDER_BY.search(masked, end_of_pattern + 1)
    if order is None:
        return None
    keys: list[tuple[str, bool]] = []
    position, tail = order.end(), masked[order.end() :].rstrip()
    while position < order.end() + len(tail):
        condition = _CONDITION.match(masked, position)
        if condition is None:
            return None  # an expression, LIMIT or OFFSET: the engine's business
        descending = (condition.group("dir") or "").upper() == "DESC"
        keys.append((condition.group("wrapped") or condition.group("plain"), descending))
        position = condition.end()
    if not keys:
        return None
    return DeferredOrder(text[: order.start()] + text[order.end() + len(tail) :], tuple(keys))


def _literal_key(term: ox.Literal) -> tuple[str, Any] | None:
    """(kind, comparable value) of a literal whose order every engine agrees on, else ``None``.

    Numbers only where Oxigraph holds them exactly as Python does: integers in 64 bits, decimals of
    at most 18 fractional digits below 10^20, doubles; ill-typed and other literals are ``None``.
    """
    datatype, lexical = term.datatype.value, term.value
    if term.language:
        # Oxigraph's order: by text, then a tagged string before the plain one, then by tag
        return "string", (lexical, 0, term.language)
    if datatype == _XSD_STRING:
        return "string", (lexical, 1, "")
    if datatype in vocab.XSD_INTEGER_TYPES and _INTEGER.fullmatch(lexical):
        number = int(lexical)
        return ("integer", number) if -(2**63) <= number < 2**63 else None
    if datatype == _DECIMAL and _DECIMAL_LEXICAL.fullmatch(lexical):
        decimal = Decimal(lexical)
        exponent = decimal.as_tuple().exponent
        fits = isinstance(exponent, int) and exponent >= -18 and abs(decimal) < 10**20
        return ("decimal", decimal) if fits else None
    if datatype == _DOUBLE and _DOUBLE_LEXICAL.fullmatch(lexical):
        return "double", float(lexical)
    return None


def _term_key(term: Term) -> tuple[tuple[Any, ...], str] | None:
    """(sort key, literal kind or "") of a bound term, or ``None`` where the engine decides."""
    if isinstance(term, ox.NamedNode):
        return (1, term.value), ""
    if isinstance(term, ox.Literal):
        literal = _literal_key(term)
        return None if literal is None else ((2, literal[1]), literal[0])
    return None  # blank nodes (engines order them by internal ids) and quoted triples


def column_keys(values: Sequence[Term | None]) -> list[tuple[Any, ...]] | None:
    """One sort key a value, in SPARQL's order, or ``None`` if the column needs the engine's rules.

    A column may mix unbound values, IRIs and literals, but its literals must be all strings, all
    doubles, or all integers and decimals (compared exactly); mixed kinds need type promotion or
    have no defined order, so they go to the engine.
    """
    memo: dict[Term | None, tuple[Any, ...]] = {None: (0,)}  # a figure's id recurs in all its rows
    kinds: set[str] = set()
    keys: list[tuple[Any, ...]] = []
    for term in values:
        key = memo.get(term)
        if key is None:
            keyed = _term_key(term)  # type: ignore[arg-type]
            if keyed is None:
                return None
            key = memo[term] = keyed[0]
            kinds.add(keyed[1])
        keys.append(key)
    kinds.discard("")
    return keys if kinds <= {"integer", "decimal"} or len(kinds) == 1 else None


def collect(solutions: Iterable[Iterable[Term | None]]) -> list[tuple[Term | None, ...]]:
    """A result's rows as tuples, each distinct term held once.

    A figure's id and title recur in every row of its genes: held once, 3.3 M ``gene-sets`` rows
    take a fraction of the memory.
    """
    interned: dict[Term | None, Term | None] = {}
    intern = interned.setdefault
    return [tuple([intern(term, term) for term in row]) for row in solutions]


def sort_rows(
    rows: list[tuple[Term | None, ...]], variables: Sequence[str], keys: Sequence[tuple[str, bool]]
) -> list[tuple[Term | None, ...]] | None:
    """``rows`` (one value a variable, in ``variables`` order) sorted by ``keys``, or ``None``.

    ``None`` when a key is not a result variable (ORDER BY may name a variable the projection
    drops) or a key column holds terms whose order :func:`column_keys` leaves to the engine.
    """
    position_of = {name: index for index, name in enumerate(variables)}
    if any(name not in position_of for name, _ in keys):
        return None
    order = list(range(len(rows)))
    # Stable sorts from the last key to the first give the lexicographic order, each in its direction.
    for name, descending in reversed(keys):
        position = position_of[name]
        column = column_keys([row[position] for row in rows])
        if column is None:
            return None
        order.sort(key=column.__getitem__, reverse=descending)
    return [rows[index] for index in order]


Rows = list[tuple[Term | None, ...]]


@dataclass(frozen=True)
class OrderedRows:
    """A SELECT answer sorted here: its variables and its rows (one value a variable, in that order)."""

    variables: list[str]
    rows: Rows


def _all_rows(answer: ox.QuerySolutions) -> tuple[list[str], Rows]:
    return [v.value for v in answer.variables], collect(answer)


def ordered_select(
    run: Callable[[str], Any],
    text: str,
    *,
    rows_of: Callable[[ox.QuerySolutions], tuple[list[str], Rows]] = _all_rows,
    enabled: bool = True,
) -> Any:
    """Run ``text`` through ``run`` (``text -> pyoxigraph answer``), its final ORDER BY sorted here.

    The one copy of the sort-and-fallback step of the embedded source and the server's workers: the
    query runs without its deferrable ``ORDER BY`` (:func:`defer_order`), its rows are taken by
    ``rows_of`` (the server's counts them against its row limit) and sorted (:func:`sort_rows`);
    where only the engine can order them, the original text runs again. Returns
    :class:`OrderedRows` for a sorted answer, else whatever ``run`` returned (solutions in the
    engine's order, a boolean, triples). ``enabled=False`` runs the text as written.
    """
    deferred = defer_order(text) if enabled else None
    answer = run(deferred.query if deferred else text)
    if deferred is None or not isinstance(answer, ox.QuerySolutions):
        return answer
    variables, rows = rows_of(answer)
    ordered = sort_rows(rows, variables, deferred.keys)
    if ordered is None:  # terms whose order only the engine defines
        return run(text)
    return OrderedRows(variables, ordered)
