"""One description per shared node per release: the release-wide vote on labels, taxa and links.

Gene, ChEBI and DOID nodes are shared by every figure that names them, but each record's table
says what *it* calls the node: one genes table gives NCBI gene 7157 the symbol ``TP53``, another
``P53``. Mapped record by record, the dump held both labels, the store showed both on every figure
naming the gene, and a figure served from the store differed from the build's own document for it.

This module owns the rule that makes a node's description a property of the release rather than
of the record that happened to describe it first:

* the build's first pass (``build.collect_batch``, in the workers) reads and models every record and
  counts, per node, how many records give each value (each record votes once per value);
* :meth:`Votes.resolve` (main process) picks, per node, the value most records give, ties broken by
  the smallest value in code point order (taxa: the smallest taxon id); records that give no value
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
from typing import Any

from pfocr_ld import vocab
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
    """Per kind and node: how many records name the node, and how many give each value."""

    named: dict[str, Counter[Hashable]] = field(default_factory=dict)
    counts: dict[str, dict[Hashable, Counter[Any]]] = field(default_factory=dict)

    def add_figure(self, figure: Figure) -> None:
        self.add_values(figure_values(figure))

    def add_values(self, values: dict[str, dict[Hashable, set[Any]]]) -> None:
        """Count one record's values (:func:`figure_values`)."""
        for kind, nodes in values.items():
            named = self.named.setdefault(kind, Counter())
            counts = self.counts.setdefault(kind, {})
            for key, given in nodes.items():
                named[key] += 1
                if given:
                    counts.setdefault(key, Counter()).update(given)

    def merge(self, other: Votes) -> None:
        for kind, named in other.named.items():
            self.named.setdefault(kind, Counter()).update(named)
        for kind, nodes in other.counts.items():
            mine = self.counts.setdefault(kind, {})
            for key, counter in nodes.items():
                mine.setdefault(key, Counter()).update(counter)

    def resolve(self) -> Resolution:
        """The release's value for every node whose records disagree (given values or their absence)."""
        chosen: dict[str, dict[Hashable, Any]] = {}
        tallies: dict[str, dict[Hashable, tuple[tuple[Any, int], ...]]] = {}
        for kind in _KINDS:
            named = self.named.get(kind, Counter())
            for key, counter in self.counts.get(kind, {}).items():
                # Consistent: one value, given by every record that names the node.
                if len(counter) == 1 and next(iter(counter.values())) == named[key]:
                    continue
                ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
                chosen.setdefault(kind, {})[key] = ranked[0][0]
                if len(counter) > 1:
                    tallies.setdefault(kind, {})[key] = tuple(ranked)
        mesh: dict[Hashable, tuple[str, ...]] = {}
        named = self.named.get("chebi_mesh", Counter())
        for key, counter in self.counts.get("chebi_mesh", {}).items():
            if any(count != named[key] for count in counter.values()):
                mesh[key] = tuple(sorted(counter))
        return Resolution(chosen, tallies, mesh)


@dataclass
class Resolution:
    """The release-wide values of the nodes records disagree about, applied figure by figure."""

    chosen: dict[str, dict[Hashable, Any]] = field(default_factory=dict)
    #: for nodes given several values: every value with its record count, winner first
    tallies: dict[str, dict[Hashable, tuple[tuple[Any, int], ...]]] = field(default_factory=dict)
    #: ChEBI number → every MeSH id any record links it to, for nodes records disagree about
    chebi_mesh: dict[Hashable, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.chosen or self.chebi_mesh)

    def apply(self, figure: Figure) -> tuple[Figure, list[Problem]]:
        """The figure with the release's values on its nodes, and a warning per value it loses."""
        if not self:
            return figure, []
        problems = self._conflicts(figure)
        genes_symbol = self.chosen.get("gene_symbol", {})
        genes_taxon = self.chosen.get("gene_taxon", {})
        chebi_name = self.chosen.get("chebi_name", {})
        doid_name = self.chosen.get("doid_name", {})
        genes = tuple(
            dataclasses.replace(
                gene,
                symbol=genes_symbol.get(gene.gene_id, gene.symbol),
                taxon_id=genes_taxon.get(gene.gene_id, gene.taxon_id),
            )
            if gene.gene_id in genes_symbol or gene.gene_id in genes_taxon
            else gene
            for gene in figure.genes
        )
        chemicals = []
        for chemical in figure.chemicals:
            number = chemical.chebi_number
            if number in chebi_name:
                chemical = dataclasses.replace(chemical, name=chebi_name[number])
            chemicals.append(chemical)
        diseases = tuple(
            dataclasses.replace(disease, name=doid_name[disease.doid_number])
            if disease.doid_number in doid_name
            else disease
            for disease in figure.diseases
        )
        resolved = dataclasses.replace(figure, genes=genes, chemicals=tuple(chemicals), diseases=diseases)
        return resolved, problems

    def complete(self, graph: FigureGraph) -> None:
        """Give the figure's ChEBI nodes every MeSH link of the release (after mapping)."""
        if not self.chebi_mesh:
            return
        for number, mesh_ids in self.chebi_mesh.items():
            node = vocab.chebi_iri(number)  # type: ignore[arg-type]
            description = graph.shared.get(node)
            if description is None:
                continue
            links = tuple((node, _EXACT_MATCH, iri(vocab.mesh_rdf_iri(m))) for m in mesh_ids)
            graph.shared[node] = tuple(t for t in description if t[1] != _EXACT_MATCH) + links

    def _conflicts(self, figure: Figure) -> list[Problem]:
        problems: list[Problem] = []
        for kind, nodes in figure_values(figure).items():
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
                counts = ", ".join(f"{value!r} ({count} records)" for value, count in tally)
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
