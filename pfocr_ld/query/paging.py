"""One page of a named query's answer: ``limit``/``offset``, the total, and how it is cut cheaply.

This module owns running a bound query (:class:`pfocr_ld.query.BoundQuery`) whose ``limit`` or
``offset`` parameter was given. A page is exactly rows ``offset … offset + limit - 1`` of the full
answer in the full answer's own order (its ``ORDER BY``), so pages read one after another give the
full answer, and the page says how many rows the full answer has (``total``). The numbers are
ints checked by :func:`pfocr_ld.query.bind`; they never enter a query's text.

A first page is cut from the full answer: the engine evaluates the whole pattern anyway to know the
total and the order (Oxigraph stores IRIs and long strings as hashes, so no index hands out figures in
figid order, and its ``ORDER BY … LIMIT`` sorts everything first, slowly), and the full answer is
sorted in Python (:mod:`pfocr_ld.ordering`). Selecting only the sort keys over the same pattern was
measured too: on a 10,000-figure store the hub gene 4040 (1,818 figures) took 71-88 ms for the keys
against 104 ms for the full answer, and fetching the page's rows afterwards 7-15 ms, so it saved
nothing; on small answers it cost three times the full answer.

What makes later pages cheap is a :class:`KeyCache` on the source (``pfocr-ld serve``'s query workers
keep one), per the query's ``paging:`` header (``pfocr_ld/queries/*.rq``):

``key: [figure, gene]``
    These variables identify a row. The cache keeps their values in the full answer's order (an IRI
    pair a row: a hub's 18,303 rows are a few MB), and a later page runs the query for its own rows
    only, one ``VALUES`` block of the page's IRIs and the parameters' terms (5-15 ms whatever the
    answer's size). The rows come back in the cached order. Should the IRIs not give exactly one row
    each (data the header's promise does not hold for), the page is cut from the full answer again:
    a page is exact by construction.
``rows``
    Aggregations (``cooccurring-genes``, ``figures-per-organism``): the cache keeps the sorted rows.

A source with a :class:`pfocr_ld.gene_index.GeneFigureIndex` (serve's workers build one between
queries) knows the keys of ``figures-for-gene``'s answer for a gene id or symbol alone before any
query, so even its first page fetches only its own rows: 11-20 ms for the hub gene of a
10,000-figure store, whatever the gene's size. For ``cooccurring-genes`` with a gene id or symbol
alone it ranks the gene's partners itself (:meth:`~pfocr_ld.gene_index.GeneFigureIndex.partners_for`:
the counts from the same (gene, figure) pairs, no aggregation in the engine), the cache keeps that
ranking for later pages, and a page's rows are shown only once the store confirms their genes'
types and labels (one ``VALUES`` query); where the index cannot vouch for a gene, the engine answers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

from pfocr_ld.errors import QueryError
from pfocr_ld.query.binding import BoundQuery
from pfocr_ld.query.hints import no_rows_hint
from pfocr_ld.results import Result, Row, Source, Term
from pfocr_ld.sparql import VALUES_MARKER, where_group


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


def _full_answer(source: Source, bound: BoundQuery) -> tuple[list[str], list[Row]]:
    result = source.execute(bound.text, bound.bindings)
    if result.kind != "select":
        raise QueryError("only SELECT queries are answered page by page")
    return list(result.variables), list(result)


def _cut(variables: list[str], rows: list[Row], offset: int, limit: int | None) -> Result:
    end = None if limit is None else offset + limit
    return _page_result(variables, rows[offset:end], total=len(rows), offset=offset, limit=limit)


def _keys_of(rows: list[Row], key: Sequence[str]) -> list[tuple[Term | None, ...]] | None:
    """The key values of every row, in order; ``None`` when they do not identify the rows."""
    keys = [tuple(row.get(name) for name in key) for row in rows]
    return keys if len(set(keys)) == len(keys) else None


def _page_by_keys(
    source: Source, bound: BoundQuery, keys: list[tuple[Term | None, ...]], offset: int, limit: int | None
) -> Result | None:
    """The page's rows fetched by their keys (``None``: they did not come back one a key)."""
    key = list(bound.query.page_key)
    end = len(keys) if limit is None else min(len(keys), offset + limit)
    page = keys[offset:end]
    # One VALUES block, one line a page row: its key IRIs and the parameters' terms. Oxigraph starts
    # from it (100 figures of a hub gene: 7 ms), where a second block with the parameters alone made
    # it evaluate the whole pattern again (50 ms); a page past the end is an empty block, no rows.
    constants = {name: term for name, term in bound.bindings.items() if name not in key}
    block = _values_rows(key + list(constants), [(*values, *constants.values()) for values in page])
    brace = where_group(bound.text)
    result = source.execute(f"{bound.text[: brace + 1]}\n  {block}\n{bound.text[brace + 1 :]}")
    position = {values: index for index, values in enumerate(page)}
    found: list[Row | None] = [None] * len(page)
    for row in result:
        index = position.get(tuple(row.get(name) for name in key))
        if index is None or found[index] is not None:
            return None
        found[index] = row
    if any(row is None for row in found):
        return None
    rows = [row for row in found if row is not None]
    return _page_result(list(result.variables), rows, total=len(keys), offset=offset, limit=limit)


def _ranked_page(
    source: Source, bound: BoundQuery, index: Any, cache: KeyCache | None, offset: int, limit: int | None
) -> Result | None:
    """A page of the rows the gene index ranks itself (``None``: it cannot vouch for them)."""
    cache_key = ("ranked", *_binding_key(bound))
    ranked = cache.get(cache_key) if cache else None
    if ranked is None:
        ranked = index.partners_for(source, bound)
        if ranked is None:
            return None
        if cache:
            cache.put(cache_key, ranked)
    end = len(ranked) if limit is None else min(len(ranked), offset + limit)
    rows = ranked.rows(source, offset, end)
    if rows is None:
        return None
    return _page_result(list(ranked.variables), rows, total=len(ranked), offset=offset, limit=limit)


def run_page(source: Source, bound: BoundQuery) -> Result:
    """Rows ``offset … offset + limit - 1`` of ``bound``'s full answer, with ``total`` (see the module)."""
    query = bound.query
    if query.paging is None:
        raise QueryError(f"{query.name} is not answered page by page (no limit/offset)")
    offset = bound.offset or 0
    limit = bound.limit
    cache = _cache_of(source)
    by_key = query.paging == "key" and not VALUES_MARKER.search(bound.text)
    cache_key = ("keys" if by_key else "rows", *_binding_key(bound))
    cached = cache.get(cache_key) if cache else None
    page: Result | None = None
    if cached is not None and by_key:
        page = _page_by_keys(source, bound, cached, offset, limit)
    elif cached is not None:
        variables, rows = cached
        page = _cut(variables, rows, offset, limit)
    index = getattr(source, "gene_index", None)
    if page is None and by_key and index is not None:
        # serve's workers: every gene's figures in figid order, kept (pfocr_ld/gene_index.py)
        keys = index.keys_for(source, bound)
        if keys is not None:
            page = _page_by_keys(source, bound, keys, offset, limit)
    if page is None and not by_key and index is not None:
        # serve's workers: cooccurring-genes for one gene, ranked from the same index
        page = _ranked_page(source, bound, index, cache, offset, limit)
    if page is None:
        variables, rows = _full_answer(source, bound)
        if cache:
            keys = _keys_of(rows, query.page_key) if by_key else None
            if by_key and keys is not None:
                cache.put(cache_key, keys)
            elif not by_key:
                cache.put(cache_key, (variables, rows))
        page = _cut(variables, rows, offset, limit)
    if page.total == 0:
        page.hint = no_rows_hint(source, bound)
    return page
