"""One page of a named query's answer: ``limit``/``offset``, the total, and how it is cut cheaply.

This module owns running a bound query (:class:`pfocr_ld.query.BoundQuery`) whose ``limit`` or
``offset`` parameter was given. A page is exactly rows ``offset … offset + limit - 1`` of the full
answer in the full answer's own order (its ``ORDER BY``), so pages read one after another give the
full answer, and the page says how many rows the full answer has (``total``). The numbers are
ints checked by :func:`pfocr_ld.query.bind`; they never enter a query's text.

How a page is cut depends on the query's ``paging:`` header (``pfocr_ld/queries/*.rq``):

``keys``
    The query's ORDER BY variables identify a row (``figures-for-gene``: ``?figid ?geneId``). First
    only those variables are selected (``SELECT DISTINCT ?figid ?geneId`` over the same pattern: no
    title or label is read back from the store), sorted in Python (:mod:`pfocr_ld.ordering`) and
    counted: that is the total and the order. Then the full query runs again for the page's keys
    only, as a ``VALUES`` block of N-Triples terms. Should a key give more or fewer than one row
    (data the header's promise does not hold for), the page is cut from the full answer instead.
    Sources that keep a :class:`KeyCache` (``pfocr-ld serve``'s query workers) keep the sorted keys
    of recent answers, so the next pages cost only the second query.
``rows``
    Aggregations (``cooccurring-genes``, ``figures-per-organism``): the full answer is computed,
    sorted and cut (and kept in the :class:`KeyCache` when there is one).

Measured on a 10,000-figure synthetic store (the hub gene 4040 in 1,818 figures; see the README's
Performance section for the commands): the full ``figures-for-gene`` answer 104 ms, its first page
76 ms uncached (the keys 71 ms, the page 5 ms), 5 ms for any page once the keys are cached; a
typical gene under 1 ms either way. Oxigraph stores IRIs and long literals as hashes, so no index
gives figures in figid order: the keys cost about 40 µs a row, linear in the gene's figures (not in
the store's size).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

from pfocr_ld import ordering
from pfocr_ld.query import _VALUES_MARKER, BoundQuery, QueryError, Result, Row, Source, Term, _where_group

#: A page's keys go into the query as one VALUES block; the largest page is query.MAX_LIMIT rows.
_WHERE = re.compile(r"(?<![\w:?$])WHERE(?![\w:])", re.IGNORECASE)
_SELECT = re.compile(r"(?<![\w:?$])SELECT(?![\w:])", re.IGNORECASE)


class KeyCache:
    """The sorted keys (or rows) of recent answers, by query text and bindings (thread-safe LRU).

    Only for sources whose data does not change under it (a read-only store): an entry is never
    invalidated.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def project(text: str, variables: Sequence[str], *, distinct: bool = True) -> str:
    """``text`` with its top-level projection replaced by ``SELECT [DISTINCT] ?v …`` (the same pattern)."""
    masked = ordering.mask(text)
    select = _SELECT.search(masked)
    where = _WHERE.search(masked, select.end()) if select else None
    if select is None or where is None:
        raise QueryError("cannot page this query: no SELECT … WHERE")
    names = " ".join(f"?{name}" for name in variables)
    return f"{text[: select.start()]}SELECT {'DISTINCT ' if distinct else ''}{names}\n{text[where.start() :]}"


def _values_rows(variables: Sequence[str], rows: Sequence[Sequence[Term | None]]) -> str:
    """``VALUES (?a ?b) { (t t) (t UNDEF) … }``: each term in N-Triples syntax, as query.values_block."""
    names = " ".join(f"?{name}" for name in variables)
    body = " ".join("(" + " ".join("UNDEF" if t is None else str(t) for t in row) + ")" for row in rows)
    return f"VALUES ({names}) {{ {body} }}"


def _page_result(
    variables: list[str], rows: list[Row], *, total: int, offset: int, limit: int | None
) -> Result:
    result = Result("select", variables, rows)
    result.total, result.offset, result.limit = total, offset, limit
    return result


def _cache_of(source: Source) -> KeyCache | None:
    cache = getattr(source, "page_cache", None)
    return cache if isinstance(cache, KeyCache) else None


def _binding_key(bound: BoundQuery) -> tuple[Any, ...]:
    return (bound.text, tuple(sorted((name, str(term)) for name, term in bound.bindings.items())))


def _full_rows(source: Source, bound: BoundQuery) -> tuple[list[str], list[Row]]:
    cache = _cache_of(source)
    key = ("rows", *_binding_key(bound))
    cached = cache.get(key) if cache else None
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    result = source.execute(bound.text, bound.bindings)
    if result.kind != "select":
        raise QueryError("only SELECT queries are answered page by page")
    found = (list(result.variables), list(result))
    if cache:
        cache.put(key, found)
    return found


def _by_rows(source: Source, bound: BoundQuery, offset: int, limit: int | None) -> Result:
    variables, rows = _full_rows(source, bound)
    end = None if limit is None else offset + limit
    return _page_result(variables, rows[offset:end], total=len(rows), offset=offset, limit=limit)


def _sorted_keys(
    source: Source, bound: BoundQuery, deferred: ordering.DeferredOrder
) -> list[tuple[Term | None, ...]] | None:
    """Every row's (sort values…, key values…), in the answer's order, each once.

    ``None`` when they cannot be: terms only the engine orders, or key values that come with two
    different sort values (then the key does not identify a row).
    """
    cache = _cache_of(source)
    cache_key = ("keys", *_binding_key(bound))
    cached = cache.get(cache_key) if cache else None
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    order = [name for name, _ in deferred.keys]
    key = list(bound.query.page_key)
    names = order + [name for name in key if name not in order]
    # No DISTINCT: Oxigraph's costs about 10 µs a row; the same rows are made distinct here.
    result = source.execute(project(deferred.query, names, distinct=False), bound.bindings)
    rows = list(dict.fromkeys(ordering.collect(tuple(row.get(name) for name in names) for row in result)))
    ordered = ordering.sort_rows(rows, names, deferred.keys)
    if ordered is None:
        return None
    positions = [names.index(name) for name in key]
    if len({tuple(row[i] for i in positions) for row in ordered}) != len(ordered):
        return None
    if cache:
        cache.put(cache_key, ordered)
    return ordered


def _by_key(source: Source, bound: BoundQuery, offset: int, limit: int | None) -> Result | None:
    """The page by its rows' keys (``paging: {key: […]}``), or ``None`` to cut the full answer instead."""
    deferred = ordering.defer_order(bound.text)
    key = list(bound.query.page_key)
    if deferred is None or _VALUES_MARKER.search(bound.text):
        return None
    rows = _sorted_keys(source, bound, deferred)
    if rows is None:
        return None
    order = [name for name, _ in deferred.keys]
    names = order + [name for name in key if name not in order]
    positions = [names.index(name) for name in key]
    end = len(rows) if limit is None else min(len(rows), offset + limit)
    page = [tuple(row[i] for i in positions) for row in rows[offset:end]]
    # One VALUES block, one row per page row: its key values and the parameters' terms. Oxigraph
    # starts from it (100 figures of a hub gene: 7 ms), where a second block with the parameters
    # alone made it evaluate the whole pattern again (50 ms); a page past the end is an empty
    # block, which answers no rows at once.
    constants = {name: term for name, term in bound.bindings.items() if name not in key}
    columns = key + list(constants)
    block = _values_rows(columns, [(*values, *constants.values()) for values in page])
    brace = _where_group(bound.text)
    result = source.execute(f"{bound.text[: brace + 1]}\n  {block}\n{bound.text[brace + 1 :]}")
    found = list(result)
    counts: dict[tuple[Term | None, ...], int] = {}
    for row in found:
        values = tuple(row.get(name) for name in key)
        counts[values] = counts.get(values, 0) + 1
    if len(found) != len(page) or any(counts.get(values) != 1 for values in page):
        return None  # a key with several rows (or none): cut the full answer instead
    return _page_result(list(result.variables), found, total=len(rows), offset=offset, limit=limit)


def run_page(source: Source, bound: BoundQuery) -> Result:
    """Rows ``offset … offset + limit - 1`` of ``bound``'s full answer, with ``total`` (see the module)."""
    query = bound.query
    if query.paging is None:
        raise QueryError(f"{query.name} is not answered page by page (no limit/offset)")
    offset = bound.offset or 0
    limit = bound.limit
    page: Result | None = None
    if query.paging == "key":
        page = _by_key(source, bound, offset, limit)
    if page is None:
        page = _by_rows(source, bound, offset, limit)
    if page.total == 0:
        from pfocr_ld.query import no_rows_hint

        page.hint = no_rows_hint(source, bound)
    return page
