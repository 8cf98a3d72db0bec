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

The same pairs, read the other way (every typed ``pfocr:Figure``'s ``wp:GeneProduct`` genes, as
gene numbers in an ``array('I')``: another 13 MB at 100k), rank a gene's partners for
``cooccurring-genes`` given only a gene id or symbol: :meth:`GeneFigureIndex.partners_for` counts,
over the gene's typed figures, the genes of each figure (``collections.Counter`` over the arrays, at
C speed), drops the gene itself, and sorts as the query's ``ORDER BY DESC(?figures) ?symbol
?partnerSymbol ?gene ?partner`` does: gene numbers are given in (label, IRI) order at build time, so
ties need no key of their own. The rows it gives are the engine's rows (the same terms: IRIs, the
``rdfs:label`` literals, the count as ``xsd:integer``), and :mod:`pfocr_ld.query.paging` reads the
labels and types of a page's genes from the store again before it answers (a mismatch: the engine
answers). The engine keeps a gene whose own labels are more than one or not plain strings (id form:
a row a label), a gene with such a partner, other parameters (``organism``), and any store with a
gene or a typed figure that is a blank node. Measured on the 10,000-figure store below: the hub gene
(1,813 figures, 15,442 partners: 84,381 figure genes counted) ranked in 6-7 ms and checked in 4-5 ms,
against ~1 s for the engine's aggregation; the index holds 13 MB (8 MB without this side) and builds
in the same time as before.

The index is built in small steps (:meth:`step`, a few tens of ms each) by ``pfocr-ld serve``'s query
workers between queries, so it never holds a query up by more than one step; until it is complete
the engine answers. Measured on a 10,000-figure synthetic store (24,326 genes, 335,386 pairs): 3.9 s
of building on a busy 2-core machine, about 40 s expected at 100k figures. Only for stores that do
not change under it (``serve`` opens the store read-only).
"""

from __future__ import annotations

import re
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Any, cast

import pyoxigraph as ox

from pfocr_ld import sparql, vocab
from pfocr_ld.query.binding import BoundQuery, bind
from pfocr_ld.results import Row, Source, Term

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
#: The genes of a symbol, as ``cooccurring-genes`` finds them (no identifier needed).
_GENES_LABELLED = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?gene WHERE { ?gene rdfs:label ?symbol ; a wp:GeneProduct }
"""
#: Every gene's labels, as the query's ``OPTIONAL { ?partner rdfs:label ?partnerSymbol }`` joins them.
_GENE_LABELS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?gene ?label WHERE { ?gene a wp:GeneProduct ; rdfs:label ?label }
"""
#: A page's genes read again from the store: their type and labels (see :meth:`_Partners.rows`).
_CHECK_GENES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?gene ?label WHERE {
  VALUES ?gene { %s }
  ?gene a wp:GeneProduct .
  OPTIONAL { ?gene rdfs:label ?label }
}
"""
_CHECK_CHUNK = 1000  # genes a check query names (a page is at most 10,000 rows)
_IS_PART_OF = ox.NamedNode(vocab.T.dcterms["isPartOf"])
_XSD_STRING = vocab.T.xsd["string"]
_XSD_INTEGER = ox.NamedNode(vocab.T.xsd["integer"])
_PROJECTION = re.compile(r"SELECT((?:\s+\?\w+)+)\s+WHERE")
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
        # cooccurring-genes (see the module): figure numbers are the ranks, then the typed figures
        # the ranks leave out; gene numbers follow (label, IRI) order
        self._partners_ok = True  # False: a blank node among the genes or typed figures
        self._figure_genes: list[array[int]] = []  # gene numbers by figure number
        self._extra: dict[str, array[int]] = {}  # a gene's typed figures that have no rank
        # by gene number, with plain strings (terms are made for a page's rows only): at 10,000
        # figures the whole co-occurrence side holds ~7 MB, the figures-for-gene side ~8 MB
        self._number: dict[str, int] = {}  # gene IRI -> gene number (the IRI strings are shared)
        self._gene_iris: list[str] = []
        self._labels: list[str | None] = []  # the one plain label of a gene
        self._label_rank = array("I")  # a gene's label's place among the labels (unlabelled first)
        self._odd: set[int] = set()  # several labels, or one that is not a plain string
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
            if not isinstance(row[0], ox.NamedNode):
                self._partners_ok = False
            if number % _BATCH == 0:
                yield
        # figid order, as the query's ORDER BY ?figid sorts plain strings (code points); IRIs break ties
        order = sorted((figid, figure) for figure, (figid, count) in counted.items() if count == 1)
        self.figures = [figure for _, figure in order]
        self._rank = {figure: rank for rank, figure in enumerate(self.figures)}
        uncounted = typed - self._rank.keys()
        unranked = {figure: len(self.figures) + n for n, figure in enumerate(sorted(uncounted))}
        self._figure_genes = [array("I") for _ in range(len(self.figures) + len(unranked))]
        yield
        genes = []
        for number, row in enumerate(self._query(_GENES)):
            genes.append(row[0])
            if not isinstance(row[0], ox.NamedNode):
                self._partners_ok = False
            if number % _BATCH == 0:
                yield
        labels: dict[str, list[Any]] = {}
        for number, row in enumerate(self._query(_GENE_LABELS)):
            labels.setdefault(row[0].value, []).append(row[1])
            if number % _BATCH == 0:
                yield
        self._number_genes([g for g in genes if isinstance(g, ox.NamedNode)], labels)
        yield
        for number, gene in enumerate(genes):
            ranks = array("I")
            extra = array("I")
            partner = self._number.get(gene.value) if isinstance(gene, ox.NamedNode) else None
            iri = gene.value if partner is None else self._gene_iris[partner]
            # the default graph, which the queries see (a named graph's data is not in their answers)
            for quad in self.store.quads_for_pattern(gene, _IS_PART_OF, None, ox.DefaultGraph()):
                target = quad.object.value if isinstance(quad.object, ox.NamedNode) else ""
                rank = self._rank.get(target)
                if rank is not None:
                    ranks.append(rank)
                    if partner is not None:
                        self._figure_genes[rank].append(partner)
                elif target in uncounted:
                    self._irregular.add(iri)
                    extra.append(unranked[target])
                    if partner is not None:
                        self._figure_genes[unranked[target]].append(partner)
            self._genes[iri] = array("I", sorted(set(ranks)))
            if extra:
                self._extra[iri] = extra
            if number % _GENE_BATCH == 0:
                yield

    def _number_genes(self, genes: list[ox.NamedNode], labels: dict[str, list[Any]]) -> None:
        """Number the genes in the order ``ORDER BY ?partnerSymbol ?partner`` gives their rows.

        Unlabelled genes first (an unbound value sorts first), then by label and IRI, both by code
        point (:mod:`pfocr_ld.ordering`); a gene with several labels or a label that is not a plain
        string gets a number but is never ranked (:meth:`partners_for` leaves it to the engine).
        """
        keyed = []
        for gene in genes:
            iri = gene.value
            found = labels.get(iri, [])
            plain = [label.value for label in found if _plain(label)]
            key = (1, plain[0]) if plain else (0, "")
            keyed.append((key, iri, len(found) > 1 or len(plain) != len(found)))
        keyed.sort(key=lambda entry: (entry[0], entry[1]))
        place, previous = -1, None
        for number, (key, iri, odd) in enumerate(keyed):
            self._number[iri] = number
            self._gene_iris.append(iri)
            self._labels.append(key[1] if key[0] else None)
            if key != previous:
                place, previous = place + 1, key
            self._label_rank.append(place)
            if odd:
                self._odd.add(number)

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
                self._figure_genes.clear()
                self._extra.clear()
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

    def partners_for(self, source: Source, bound: BoundQuery) -> _Partners | None:
        """The rows of ``cooccurring-genes`` given only a gene id or symbol, in the answer's order.

        ``None`` when the index cannot vouch for them: not complete, another query, store or
        parameter, a blank node among the genes or figures, a gene (id form) or a partner with
        several labels or one that is not a plain string.
        """
        query = bound.query
        if (
            not self.complete
            or self.failed
            or not self._partners_ok
            or query.name != "cooccurring-genes"
            or query.paging != "rows"
            or len(bound.bindings) != 1
            or getattr(source, "store", None) is not self.store
            or getattr(source, "default_graph", None)  # the index read the store's default graph
        ):
            return None
        gene, symbol = bound.bindings.get("gene"), bound.bindings.get("symbol")
        numbers: list[int]
        if isinstance(gene, ox.NamedNode):
            if bound.text != _plain_text(query, "1"):
                return None
            number = self._number.get(gene.value)
            if number is not None and number in self._odd:
                return None  # OPTIONAL { ?gene rdfs:label ?symbol }: a row a label, or a label's own order
            numbers = [] if number is None else [number]  # not a wp:GeneProduct: no row
            symbols = [_literal(self._labels[n]) for n in numbers]
        elif isinstance(symbol, ox.Literal) and _plain(symbol):
            if bound.text != _plain_text(query, "A"):
                return None
            # the genes of that label (a symbol can name genes of several species), from the store
            numbers = []
            for row in source.execute(_GENES_LABELLED, {"symbol": symbol}):
                named = row.get("gene")
                if not isinstance(named, ox.NamedNode) or named.value not in self._number:
                    return None
                numbers.append(self._number[named.value])
            symbols = [symbol] * len(numbers)
        else:
            return None
        match = _PROJECTION.search(bound.text)
        if match is None:
            return None
        variables = [name.lstrip("?") for name in match.group(1).split()]
        if sorted(variables) != sorted(_ROW_VARIABLES):
            return None
        counts: list[Counter[int]] = []
        for number in numbers:
            iri = self._gene_iris[number]
            figures: Iterable[int] = chain(self._genes.get(iri, ()), self._extra.get(iri, ()))
            # the genes of each of its figures, counted in C (a hub of a 100k store: ~600,000 of them)
            counted: Counter[int] = Counter(chain.from_iterable(map(self._figure_genes.__getitem__, figures)))
            counted.pop(number, None)  # FILTER (?partner != ?gene)
            if any(odd in counted for odd in self._odd):
                return None  # a partner with several labels: a row a label
            counts.append(counted)
        which: list[int] | None = None
        if len(counts) == 1:
            # DESC(?figures), then ?partnerSymbol ?partner: the gene numbers' own order (stable sorts)
            order = sorted(counts[0])
            order.sort(key=counts[0].__getitem__, reverse=True)
        else:
            # several genes of one symbol (species): DESC(?figures) ?partnerSymbol ?gene ?partner
            entries = sorted(
                (-n, self._label_rank[p], self._gene_iris[numbers[w]], p, w)
                for w, counted in enumerate(counts)
                for p, n in counted.items()
            )
            order = [entry[3] for entry in entries]
            which = [entry[4] for entry in entries]
        genes = [ox.NamedNode(self._gene_iris[n]) for n in numbers]
        by_symbol = not isinstance(gene, ox.NamedNode)
        return _Partners(self, variables, genes, symbols, order, which, counts, by_symbol)


def _plain_text(query: Any, gene: str) -> str:
    return bind(query, {"gene": gene}).text


def _literal(label: str | None) -> ox.Literal | None:
    return None if label is None else ox.Literal(label)


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


_ROW_VARIABLES = ("gene", "symbol", "partner", "partnerSymbol", "figures")


class _Partners(Sequence[Row]):
    """A gene's partners as the rows of ``cooccurring-genes``, in order, made only for a page's slice."""

    def __init__(
        self,
        index: GeneFigureIndex,
        variables: list[str],
        genes: list[ox.NamedNode],
        symbols: list[ox.Literal | None],
        order: list[int],
        which: list[int] | None,
        counts: list[Counter[int]],
        by_symbol: bool,
    ) -> None:
        self.ranked_by, self.variables, self.by_symbol = index, variables, by_symbol
        self.genes, self.symbols, self.order, self.which, self.counts = genes, symbols, order, which, counts

    def __len__(self) -> int:
        return len(self.order)

    def _row(self, position: int) -> Row:
        gene = self.which[position] if self.which is not None else 0
        partner = self.order[position]
        values: dict[str, Term | None] = {
            "gene": self.genes[gene],
            "symbol": self.symbols[gene],
            "partner": ox.NamedNode(self.ranked_by._gene_iris[partner]),
            "partnerSymbol": _literal(self.ranked_by._labels[partner]),
            "figures": ox.Literal(str(self.counts[gene][partner]), datatype=_XSD_INTEGER),
        }
        return {name: values[name] for name in self.variables}

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self.order)))]
        return self._row(index)

    def rows(self, source: Source, start: int, end: int) -> list[Row] | None:
        """Rows ``start … end - 1``, once the store confirms their genes' types and labels, else ``None``.

        The counts come from the same ``dcterms:isPartOf`` pairs the query joins; the genes and
        labels a page shows are read from the store again (one ``VALUES`` query, a few ms a page),
        so a page never shows a gene or label the index got wrong.
        """
        page: list[Row] = self[start:end]
        partners = {row["partner"]: row["partnerSymbol"] for row in page}
        genes = {row["gene"]: row["symbol"] for row in page}
        names = list(dict.fromkeys([*partners, *genes]))
        found: dict[Term | None, set[Term | None]] = {}
        for first in range(0, len(names), _CHECK_CHUNK):
            block = " ".join(str(term) for term in names[first : first + _CHECK_CHUNK])
            for row in source.execute(_CHECK_GENES % block):
                found.setdefault(row.get("gene"), set()).add(row.get("label"))
        for partner, label in partners.items():
            if found.get(partner) != {label}:  # {None}: OPTIONAL found no label
                return None
        for gene, symbol in genes.items():
            labels = found.get(gene, set())
            if symbol not in labels or (not self.by_symbol and len(labels) != 1):
                return None  # by symbol, the gene may have other labels too (the query does not show them)
        return page
