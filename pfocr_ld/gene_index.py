"""The figures of every gene in figid order, kept by a long-lived process: a hub gene's first page at once.

A page of ``figures-for-gene`` is rows ``offset …`` of the answer in figid order, with its total.
Oxigraph keeps IRIs and long strings as hashes, so no index of the store gives a gene's figures in
figid order: the engine must read all of them (about 50 µs a row: the hub gene of a 100k-figure
store, in 18,303 figures, takes about 1 s), whatever the page. This module owns a small in-memory
index that answers the order and the total without the engine:

* the figures, sorted by figid, each with its rank (a figure counts only when it has exactly one
  ``dcterms:identifier`` and one ``dc:title``, the rows the query's figure pattern gives);
* for every ``wp:GeneProduct``, the ranks of the figures it is ``dcterms:isPartOf``, sorted, as an
  ``array('I')`` (4 bytes a (gene, figure) pair: 3.3 M pairs on a 100k store are 13 MB).

:meth:`GeneFigureIndex.keys_for` gives, for ``figures-for-gene`` with only a gene id, the page keys
(figure, gene) of every row in the answer's order; :mod:`pfocr_ld.query.paging` fetches the page's rows by
them and checks that each gives exactly one row (else it cuts the full answer), so a page stays exact.
A gene whose figures include one the index does not count (a figure with no or several titles) is
left to the engine, and so is a gene with more than one identifier or label.

The index is built in small steps (:meth:`step`, a few tens of ms each) by ``pfocr-ld serve``'s query
workers between queries, so it never holds a query up by more than one step; until it is complete
the engine answers. Measured on a 10,000-figure synthetic store (24,326 genes, 335,386 pairs): 3.9 s
of building on a busy 2-core machine, about 40 s expected at 100k figures. Only for stores that do
not change under it (``serve`` opens the store read-only).
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Iterator, Sequence
from typing import Any, cast

import pyoxigraph as ox

from pfocr_ld import sparql, vocab
from pfocr_ld.query.binding import BoundQuery, bind
from pfocr_ld.results import Source, Term

_FIGURES = """PREFIX dc: <http://purl.org/dc/elements/1.1/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX pfocr: <https://pfocr.wikipathways.org/vocab#>
SELECT ?figure ?figid WHERE { ?figure a pfocr:Figure ; dcterms:identifier ?figid ; dc:title ?title }
"""
_TYPED_FIGURES = """PREFIX pfocr: <https://pfocr.wikipathways.org/vocab#>
SELECT ?figure WHERE { ?figure a pfocr:Figure }
"""
_GENES = """PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?gene WHERE { ?gene a wp:GeneProduct }
"""
#: The gene side of a row: one identifier and at most one label make one row a figure.
_GENE_SIDE = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?geneId ?symbol WHERE {
  ?gene a wp:GeneProduct ; dcterms:identifier ?geneId .
  OPTIONAL { ?gene rdfs:label ?symbol }
}
"""
_GENES_NAMED = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?gene ?geneId WHERE { ?gene rdfs:label ?symbol ; a wp:GeneProduct ; dcterms:identifier ?geneId }
"""
_IS_PART_OF = ox.NamedNode(vocab.T.dcterms["isPartOf"])
_XSD_STRING = vocab.T.xsd["string"]
#: Rows read from a query (~10 µs each), or genes scanned (~80 figures each on a 100k store, ~8 µs a
#: figure), between two looks at the clock: a step overruns its budget by a few ms at most.
_BATCH = 200
_GENE_BATCH = 10


class GeneFigureIndex:
    """Every gene's figures in figid order (see the module); built by :meth:`step` calls."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.complete = False
        self.failed = False
        self.figures: list[str] = []  # figure IRIs by rank (figid order)
        self._rank: dict[str, int] = {}
        self._genes: dict[str, array[int]] = {}
        self._irregular: set[str] = set()  # genes left to the engine
        self._work = self._build()

    def _query(self, text: str) -> Iterator[Any]:
        # Only this module's SELECT queries come here: their answer is a QuerySolutions.
        yield from cast("ox.QuerySolutions", self.store.query(text, prefixes=sparql.PREDECLARED))

    def _build(self) -> Iterator[None]:
        counted: dict[str, tuple[str, int]] = {}
        for number, row in enumerate(self._query(_FIGURES)):
            figure, figid = row[0].value, row[1]
            plain = (
                isinstance(figid, ox.Literal) and figid.datatype.value == _XSD_STRING and not figid.language
            )
            # a figid that is not a plain string sorts by other rules: such a figure is not counted
            counted[figure] = (figid.value, counted.get(figure, ("", 0))[1] + (1 if plain else 2))
            if number % _BATCH == 0:
                yield
        typed: set[str] = set()
        for number, row in enumerate(self._query(_TYPED_FIGURES)):
            typed.add(row[0].value)
            if number % _BATCH == 0:
                yield
        # figid order, as the query's ORDER BY ?figid sorts plain strings (code points); IRIs break ties
        order = sorted((figid, figure) for figure, (figid, count) in counted.items() if count == 1)
        self.figures = [figure for _, figure in order]
        self._rank = {figure: rank for rank, figure in enumerate(self.figures)}
        uncounted = typed - self._rank.keys()
        yield
        genes = []
        for number, row in enumerate(self._query(_GENES)):
            genes.append(row[0])
            if number % _BATCH == 0:
                yield
        for number, gene in enumerate(genes):
            ranks = array("I")
            # the default graph, which the queries see (a named graph's data is not in their answers)
            for quad in self.store.quads_for_pattern(gene, _IS_PART_OF, None, ox.DefaultGraph()):
                target = quad.object.value if isinstance(quad.object, ox.NamedNode) else ""
                rank = self._rank.get(target)
                if rank is not None:
                    ranks.append(rank)
                elif target in uncounted:
                    self._irregular.add(gene.value)
            self._genes[gene.value] = array("I", sorted(set(ranks)))
            if number % _GENE_BATCH == 0:
                yield

    def step(self, seconds: float = 0.05) -> bool:
        """Build for about ``seconds``; ``True`` once the index is complete."""
        deadline = time.perf_counter() + seconds
        while not self.complete and time.perf_counter() < deadline:
            try:
                next(self._work)
            except StopIteration:
                self.complete = True
            except (OSError, RuntimeError, ValueError, MemoryError):
                # the store could not be read (or memory ran short): the engine answers every query
                self.failed = self.complete = True
                self._genes.clear()
        return self.complete

    def keys_for(self, source: Source, bound: BoundQuery) -> Sequence[tuple[Term | None, ...]] | None:
        """The (figure, gene) key of every row of ``figures-for-gene`` given only a gene, in order.

        ``None`` when the index cannot answer: not complete, another query or parameter, a gene it
        leaves to the engine, a gene side of other than one row a gene.
        """
        query = bound.query
        if (
            not self.complete
            or self.failed
            or query.name != "figures-for-gene"
            or query.page_key != ("figure", "gene")
            or len(bound.bindings) != 1
        ):
            return None
        gene, symbol = bound.bindings.get("gene"), bound.bindings.get("symbol")
        # Flags (strict) change the text, not the bindings: only the plain form of the query is known here.
        if bound.text != _plain_text(query, "1" if isinstance(gene, ox.NamedNode) else "A"):
            return None
        sides: list[tuple[Term | None, Term | None]]
        if isinstance(gene, ox.NamedNode):
            if gene.value not in self._genes:
                return []  # not a wp:GeneProduct: the query's pattern has no row for it
            sides = [(row.get("geneId"), gene) for row in source.execute(_GENE_SIDE, {"gene": gene})]
        elif isinstance(symbol, ox.Literal):
            sides = [
                (row.get("geneId"), row.get("gene"))
                for row in source.execute(_GENES_NAMED, {"symbol": symbol})
            ]
        else:
            return None
        genes = [g for _, g in sides if isinstance(g, ox.NamedNode)]
        if len(genes) != len(sides) or len(set(genes)) != len(genes):
            return None  # a gene with several identifiers (or labels): several rows a figure
        ids = [gene_id for gene_id, _ in sides if isinstance(gene_id, ox.Literal) and _plain(gene_id)]
        if len(ids) != len(sides):
            return None
        if any(g.value in self._irregular or g.value not in self._genes for g in genes):
            return None
        # ORDER BY ?figid ?geneId: by figure rank, then by the gene's id (code points)
        named = [g for _, g in sorted(zip(ids, genes, strict=True), key=lambda side: side[0].value)]
        if len(named) == 1:
            return _Keys(self.figures, self._genes[named[0].value], named)
        merged = sorted((rank, which) for which, g in enumerate(named) for rank in self._genes[g.value])
        return _Keys(
            self.figures,
            array("I", (r for r, _ in merged)),
            named,
            array("I", (w for _, w in merged)),
        )


def _plain_text(query: Any, gene: str) -> str:
    return bind(query, {"gene": gene}).text


def _plain(term: Any) -> bool:
    return isinstance(term, ox.Literal) and term.datatype.value == _XSD_STRING and not term.language


class _Keys(Sequence[tuple[ox.NamedNode, ox.NamedNode]]):
    """(figure, gene) keys in order, made only for the slice a page asks for."""

    def __init__(
        self,
        figures: list[str],
        ranks: array[int],
        genes: list[ox.NamedNode],
        which: array[int] | None = None,
    ) -> None:
        self.figures, self.ranks, self.genes, self.which = figures, ranks, genes, which

    def __len__(self) -> int:
        return len(self.ranks)

    def _key(self, index: int) -> tuple[ox.NamedNode, ox.NamedNode]:
        gene = self.genes[self.which[index] if self.which is not None else 0]
        return (ox.NamedNode(self.figures[self.ranks[index]]), gene)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._key(i) for i in range(*index.indices(len(self.ranks)))]
        return self._key(index)
