"""One description per shared node per release: the release-wide vote on labels, taxa and links.

Gene, ChEBI and DOID nodes are shared by every figure that names them, but each record's table
says what *it* calls the node: one genes table gives NCBI gene 7157 the symbol ``TP53``, another
``P53``. Mapped record by record, the dump held both labels, the store showed both on every figure
naming the gene, and a figure served from the store differed from the build's own document for it.

This module owns the rule that makes a node's description a property of the release rather than
of the record that happened to describe it first:

* the build's first pass (``build_worker.collect_batch``, in the workers) reads and models every record and
  counts, per node, how many records give each value (each record votes once per value);
* :meth:`Votes.resolve` (main process) picks, per node, the value most records give, ties broken by
  the smallest value in code point order (taxon ids too, as written); records that give no value
  do not vote. MeSH cross-references of a ChEBI node are the union over the release;
* the second pass applies the :class:`Resolution` to each figure before mapping
  (:meth:`Resolution.apply`) and reports every record whose own value lost, naming the node, the
  values with their record counts, and the record.

Counts are merged per batch, so the outcome does not depend on record order, batch size or worker
count; memory is one counter per distinct (node, value), never the corpus. Only nodes that records
disagree about reach the workers of the second pass.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pfocr_ld import rdf, vocab
from pfocr_ld.mapping import FigureGraph
from pfocr_ld.model import Figure
from pfocr_ld.rdf import iri
from pfocr_ld.records import Problem
from pfocr_ld.vocab import T

_EXACT_MATCH = T.skos["exactMatch"]

#: the kinds of node values that are voted on, and how a warning names them
_KINDS = {
    "gene_symbol": ("genes", "ncbigene_symbol", "symbol"),
    "gene_taxon": ("genes", "organism_id", "taxon"),
    "chebi_name": ("chemicals", "name", "name"),
    "doid_name": ("diseases", "name", "name"),
}


def _node_name(kind: str, key: Hashable) -> str:
    if kind.startswith("gene"):
        return f"gene {key} <{vocab.gene_iri(key)}>"  # type: ignore[arg-type]
    if kind.startswith("chebi"):
        return f"ChEBI {key} <{vocab.chebi_iri(key)}>"  # type: ignore[arg-type]
    return f"DOID {key} <{vocab.doid_iri(key)}>"  # type: ignore[arg-type]


def figure_values(figure: Figure) -> dict[str, dict[Hashable, set[Any]]]:
    """What one record says about each shared node: kind → node key → the distinct values it gives.

    A node the record names without giving a value gets an empty set (it is counted as naming the
    node, which the MeSH union needs, and does not vote).
    """
    values: dict[str, dict[Hashable, set[Any]]] = {kind: {} for kind in (*_KINDS, "chebi_mesh")}
    for gene in figure.genes:
        if gene.gene_id is None:
            continue
        symbols = values["gene_symbol"].setdefault(gene.gene_id, set())
        taxa = values["gene_taxon"].setdefault(gene.gene_id, set())
        if gene.symbol:
            symbols.add(gene.symbol)
        if gene.taxon_id is not None:
            taxa.add(gene.taxon_id)
    for chemical in figure.chemicals:
        if chemical.chebi_number is None:
            continue
        names = values["chebi_name"].setdefault(chemical.chebi_number, set())
        mesh = values["chebi_mesh"].setdefault(chemical.chebi_number, set())
        if chemical.name:
            names.add(chemical.name)
        if chemical.mesh_id:
            mesh.add(chemical.mesh_id)
    for disease in figure.diseases:
        if disease.doid_number is None:
            continue
        names = values["doid_name"].setdefault(disease.doid_number, set())
        if disease.name:
            names.add(disease.name)
    return values


@dataclass
class Votes:
    """How many records name each node, and how many give each value.

    Flat counters keyed by tuples: a batch's votes pickle small and merge with one ``update``.
    """

    #: (kind, node key) → records naming the node
    named: Counter[tuple[str, Hashable]] = field(default_factory=Counter)
    #: (kind, node key, value) → records giving the value
    counts: Counter[tuple[str, Hashable, Any]] = field(default_factory=Counter)

    def add_figure(self, figure: Figure) -> None:
        self.add_values(figure_values(figure))

    def add_values(self, values: dict[str, dict[Hashable, set[Any]]]) -> None:
        """Count one record's values (:func:`figure_values`)."""
        named, counts = self.named, self.counts
        for kind, nodes in values.items():
            for key, given in nodes.items():
                named[kind, key] += 1
                for value in given:
                    counts[kind, key, value] += 1

    def merge(self, other: Votes) -> None:
        self.named.update(other.named)
        self.counts.update(other.counts)

    def resolve(self) -> Resolution:
        """The release's value for every node whose records disagree (given values or their absence)."""
        grouped: dict[tuple[str, Hashable], list[tuple[Any, int]]] = {}
        for (kind, key, value), count in self.counts.items():
            grouped.setdefault((kind, key), []).append((value, count))
        chosen: dict[str, dict[Hashable, Any]] = {}
        tallies: dict[str, dict[Hashable, tuple[tuple[Any, int], ...]]] = {}
        mesh: dict[Hashable, tuple[str, ...]] = {}
        for (kind, key), given in grouped.items():
            named = self.named[kind, key]
            # Consistent: one value, given by every record that names the node.
            if len(given) == 1 and given[0][1] == named:
                continue
            if kind == "chebi_mesh":
                mesh[key] = tuple(sorted(value for value, _ in given))
                continue
            ranked = sorted(given, key=lambda item: (-item[1], item[0]))
            chosen.setdefault(kind, {})[key] = ranked[0][0]
            if len(ranked) > 1:
                tallies.setdefault(kind, {})[key] = tuple(ranked)
        return Resolution(chosen, tallies, mesh)


@dataclass
class Resolution:
    """The release-wide values of the nodes records disagree about, applied figure by figure."""

    chosen: dict[str, dict[Hashable, Any]] = field(default_factory=dict)
    #: for nodes given several values: every value with its record count, winner first
    tallies: dict[str, dict[Hashable, tuple[tuple[Any, int], ...]]] = field(default_factory=dict)
    #: ChEBI number → every MeSH id any record links it to, for nodes records disagree about
    chebi_mesh: dict[Hashable, tuple[str, ...]] = field(default_factory=dict)

    def apply(self, figure: Figure) -> tuple[Figure, list[Problem]]:
        """The figure with one value per node (the release's), and a warning per value it loses.

        Also a record that gives a value on one row and none on another (``AKT1`` and ``NA`` for
        gene 207) gets the value on every row, so that each node has one description.
        """
        values = figure_values(figure)
        problems = self._conflicts(figure, values) if self.tallies else []

        def settled(kind: str) -> dict[Hashable, Any]:
            chosen = self.chosen.get(kind, {})
            return {
                key: chosen[key] if key in chosen else min(given, default=None)
                for key, given in values[kind].items()
            }

        symbols, taxa = settled("gene_symbol"), settled("gene_taxon")
        chebi_names, doid_names = settled("chebi_name"), settled("doid_name")
        genes = tuple(
            gene
            if gene.gene_id is None
            or (gene.symbol == symbols[gene.gene_id] and gene.taxon_id == taxa[gene.gene_id])
            else dataclasses.replace(gene, symbol=symbols[gene.gene_id], taxon_id=taxa[gene.gene_id])
            for gene in figure.genes
        )
        chemicals = tuple(
            chemical
            if chemical.chebi_number is None or chemical.name == chebi_names[chemical.chebi_number]
            else dataclasses.replace(chemical, name=chebi_names[chemical.chebi_number])
            for chemical in figure.chemicals
        )
        diseases = tuple(
            disease
            if disease.doid_number is None or disease.name == doid_names[disease.doid_number]
            else dataclasses.replace(disease, name=doid_names[disease.doid_number])
            for disease in figure.diseases
        )
        if genes == figure.genes and chemicals == figure.chemicals and diseases == figure.diseases:
            return figure, problems
        return dataclasses.replace(figure, genes=genes, chemicals=chemicals, diseases=diseases), problems

    @cached_property
    def _mesh_links(self) -> dict[str, tuple[rdf.Triple, ...]]:
        links: dict[str, tuple[rdf.Triple, ...]] = {}
        for number, mesh_ids in self.chebi_mesh.items():
            node = vocab.chebi_iri(number)  # type: ignore[arg-type]
            links[node] = tuple((node, _EXACT_MATCH, iri(vocab.mesh_rdf_iri(m))) for m in mesh_ids)
        return links

    def complete(self, graph: FigureGraph) -> None:
        """Give the figure's ChEBI nodes every MeSH link of the release (after mapping)."""
        if not self.chebi_mesh:
            return
        links = self._mesh_links
        for node in graph.chemicals & links.keys():
            description = graph.shared[node]
            graph.shared[node] = tuple(t for t in description if t[1] != _EXACT_MATCH) + links[node]

    def _conflicts(self, figure: Figure, values: dict[str, dict[Hashable, set[Any]]]) -> list[Problem]:
        problems: list[Problem] = []
        for kind, nodes in values.items():
            tallies = self.tallies.get(kind)
            if not tallies:
                continue
            table, column, noun = _KINDS[kind]
            for key in sorted(nodes, key=repr):
                tally = tallies.get(key)
                given = nodes[key]
                if tally is None or not given or given == {tally[0][0]}:
                    continue
                lost = ", ".join(repr(value) for value in sorted(given - {tally[0][0]}))
                counts = ", ".join(
                    f"{value!r} ({count} record{'s' if count > 1 else ''})" for value, count in tally
                )
                problems.append(
                    Problem(
                        figure.source_file,
                        f"{table}.{column}",
                        f"{_node_name(kind, key)}: this record's {noun} {lost} replaced by the release's "
                        f"{tally[0][0]!r}; records disagree: {counts} (most records win, ties by "
                        "code point order)",
                        "warning",
                        figure.figid,
                    )
                )
        return problems
