"""Why an answer is empty, when the data can tell (:func:`no_rows_hint`): a gene that is not there."""

from __future__ import annotations

import pyoxigraph as ox

from pfocr_ld.query.binding import BoundQuery
from pfocr_ld.results import Source, text_value

# Empty answers -----------------------------------------------------------------------------------
_GENE_NAMED = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?gene WHERE { ?gene a wp:GeneProduct ; rdfs:label ?symbol } LIMIT 1
"""
_GENE_EXISTS = """PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT ?gene WHERE { ?gene a wp:GeneProduct } LIMIT 1
"""
#: The symbols a gene's symbol is commonly mistyped as: human (TP53), mouse/rat (Tp53), lower case.
_SYMBOLS_AMONG = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT DISTINCT ?label WHERE {{
  VALUES ?label {{ {labels} }}
  ?gene rdfs:label ?label ; a wp:GeneProduct .
}}
ORDER BY ?label
"""


def no_rows_hint(source: Source, bound: BoundQuery) -> str | None:
    """Why an answer may be empty, when the data can tell: a gene parameter that names no gene.

    ``figures-for-gene`` and ``cooccurring-genes`` match a symbol exactly (case-sensitively), across
    organisms; a symbol no gene has gets its case-insensitive namesakes as suggestions (``erbb2`` →
    ``ERBB2``), an id no gene has says so. ``None`` when the gene exists (the other parameters left
    nothing) or the query has no gene parameter. Costs one or two lookups, never a scan.
    """
    for parameter in bound.query.parameters:
        if parameter.type.name != "gene":
            continue
        symbol = bound.bindings.get(parameter.variable("symbol"))
        gene = bound.bindings.get(parameter.variable("id"))
        if isinstance(symbol, ox.Literal):
            if any(True for _ in source.execute(_GENE_NAMED, {"symbol": symbol})):
                return None
            text = symbol.value
            variants = {text.upper(), text[:1].upper() + text[1:].lower(), text.lower()} - {text}
            # each variant an N-Triples literal, escaped by pyoxigraph: data, never query text
            labels = " ".join(sorted(str(ox.Literal(v)) for v in variants))
            close = [
                text_value(row.get("label")) for row in source.execute(_SYMBOLS_AMONG.format(labels=labels))
            ]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            return (
                f"no gene with symbol {text!r} in this store (symbols are matched exactly, "
                f"case-sensitively, in every organism; or give the NCBI Gene id){hint}"
            )
        if isinstance(gene, ox.NamedNode):
            if any(True for _ in source.execute(_GENE_EXISTS, {"gene": gene})):
                return None
            return f"no gene with NCBI Gene id {gene.value.rsplit('/', 1)[-1]!r} in this store"
    return None
