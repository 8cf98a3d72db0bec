"""Figures for a gene list: over-representation of a researcher's genes in PFOCR's figures.

This module owns ``pfocr-ld enrich`` and :func:`enrich`: a list of genes (NCBI Gene ids or symbols,
matched case-insensitively among the genes of one organism) is compared with every figure's gene
set of that organism's library, as Enrichr does with PFOCR's GMT libraries:

- the library is the figures' NCBI genes of the organism's taxon (the ``gene-sets`` named query
  with ``taxon``), keeping figures with at least ``min_size`` distinct genes (3, as PFOCR's own
  GMT files do);
- the background (the population of the test) is the union of the library's genes: ``N`` genes;
  a figure holds ``K`` of them, the list ``n`` (list genes outside the background are reported and
  left out), and ``k`` are shared;
- the p-value is the hypergeometric upper tail ``P(X ≥ k)``, computed in log space (exact to
  ~1e-12 relative; proven against SciPy in the tests); the FDR is Benjamini-Hochberg over every
  figure of the library, so figures that share nothing with the list still count as tests.

SPARQL finds the sets; the statistics are Python, since SPARQL has no log-gamma.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import orjson
import pyoxigraph as ox

from pfocr_ld import vocab
from pfocr_ld.query import (
    BoundQuery,
    QueryError,
    Source,
    bind,
    gene_id_of,
    get_query,
    inject_values,
    open_source,
    plain_value,
    run_bound,
)

#: Smallest figure gene set kept in the library (PFOCR's GMT files keep figures with ≥ 3 genes).
DEFAULT_MIN_SIZE = 3


_SYMBOLS_OF_TAXON = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX obo: <http://purl.obolibrary.org/obo/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
SELECT DISTINCT ?geneId ?symbol WHERE {
  ?gene a wp:GeneProduct ; obo:RO_0002162 ?taxon ; dcterms:identifier ?geneId ; rdfs:label ?symbol .
}
"""


@dataclass(frozen=True)
class GeneSet:
    figid: str
    title: str
    genes: frozenset[str]


@dataclass(frozen=True)
class EnrichedFigure:
    """One figure's overlap with the gene list and its statistics."""

    figid: str
    title: str
    overlap: tuple[str, ...]  # NCBI Gene ids shared with the list, sorted numerically
    set_size: int  # K: the figure's genes in the background
    p_value: float
    fdr: float


@dataclass
class Enrichment:
    """The ranked figures and what the numbers were computed over."""

    taxon: str
    background_size: int  # N
    list_size: int  # n: list genes found in the background
    library_size: int  # figures tested
    figures: list[EnrichedFigure] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # items that name no gene of the taxon
    outside_background: list[str] = field(default_factory=list)  # genes in no figure of the library
    symbols: dict[str, str] = field(default_factory=dict)  # gene id → symbol, for display


def split_gene_items(values: Iterable[str]) -> list[str]:
    """Items of a gene list given as repeated values, comma lists or file lines (``#`` comments)."""
    items: list[str] = []
    for value in values:
        for line in value.splitlines():
            line = line.split("#", 1)[0]
            items.extend(part.strip() for part in re.split(r"[,;\t ]+", line) if part.strip())
    return items


def log_hypergeom_sf(k: int, population: int, successes: int, draws: int) -> float:
    """``log P(X ≥ k)`` for X ~ Hypergeometric(N=population, K=successes, n=draws)."""
    low, high = max(k, 0, draws - (population - successes)), min(successes, draws)
    if low > high:
        return -math.inf
    log_total = _log_comb(population, draws)
    terms = [
        _log_comb(successes, i) + _log_comb(population - successes, draws - i) - log_total
        for i in range(low, high + 1)
    ]
    peak = max(terms)
    return min(0.0, peak + math.log(math.fsum(math.exp(term - peak) for term in terms)))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def benjamini_hochberg(p_values: Sequence[float], tests: int | None = None) -> list[float]:
    """BH adjusted p-values (step-up, monotone), over ``tests`` tests (default: ``len(p_values)``).

    Tests not listed are taken to have p = 1, which cannot lower any listed test's FDR.
    """
    m = tests if tests is not None else len(p_values)
    order = sorted(range(len(p_values)), key=lambda index: p_values[index])
    adjusted = [1.0] * len(p_values)
    running = 1.0
    for rank in range(len(order), 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * m / rank)
        adjusted[index] = min(1.0, running)
    return adjusted


def check_taxon(taxon: str) -> str:
    """``taxon`` if it is an NCBI taxon id (1-12 ASCII digits), else a :class:`QueryError`."""
    if not re.fullmatch(r"[0-9]{1,12}", taxon):
        raise QueryError(f"taxon: {taxon!r} is not an NCBI taxon id (ASCII digits)")
    return taxon


def _library_bound(taxon: str, min_size: int) -> BoundQuery:
    return bind(get_query("gene-sets"), {"taxon": check_taxon(taxon), "min_size": str(max(1, min_size))})


def library_query(taxon: str, min_size: int = DEFAULT_MIN_SIZE) -> str:
    """The ``gene-sets`` query of ``taxon``'s library, its parameters bound as a VALUES block of RDF
    terms (as :class:`~pfocr_ld.query.EmbeddedSource` sends it); for runners that take only text."""
    bound = _library_bound(taxon, min_size)
    return inject_values(bound.text, bound.bindings)


def symbols_query(taxon: str) -> str:
    """The query of :func:`gene_symbols`, the taxon bound as a VALUES block."""
    return inject_values(_SYMBOLS_OF_TAXON, {"taxon": ox.NamedNode(vocab.NCBITAXON + check_taxon(taxon))})


def library_from_rows(rows: Iterable[Mapping[str, Any]], min_size: int = DEFAULT_MIN_SIZE) -> list[GeneSet]:
    """Gene sets from ``gene-sets`` rows of plain values (``figid``, ``title``, ``geneId``)."""
    titles: dict[str, str] = {}
    members: dict[str, set[str]] = {}
    for row in rows:
        figid = str(row["figid"])
        titles.setdefault(figid, str(row.get("title") or ""))
        members.setdefault(figid, set()).add(str(row["geneId"]))
    return [
        GeneSet(figid, titles[figid], frozenset(genes))
        for figid, genes in sorted(members.items())
        if len(genes) >= min_size
    ]


def symbols_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """NCBI Gene id → symbol from rows of plain values (``geneId``, ``symbol``)."""
    symbols: dict[str, str] = {}
    for row in rows:
        gene_id, symbol = str(row["geneId"]), str(row["symbol"])
        # one label per gene and release; min() keeps the answer stable if a store holds two
        symbols[gene_id] = min(symbol, symbols.get(gene_id, symbol))
    return symbols


def _plain_rows(result: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in result:
        yield {name: plain_value(term) for name, term in row.items()}


def gene_set_library(source: Source, taxon: str, min_size: int = DEFAULT_MIN_SIZE) -> list[GeneSet]:
    """The organism's library: each figure's NCBI genes of ``taxon``, figures with ≥ ``min_size``."""
    return library_from_rows(_plain_rows(run_bound(source, _library_bound(taxon, min_size))), min_size)


def gene_symbols(source: Source, taxon: str) -> dict[str, str]:
    """NCBI Gene id → symbol of every gene of ``taxon`` in the data."""
    bindings = {"taxon": ox.NamedNode(vocab.NCBITAXON + check_taxon(taxon))}
    return symbols_from_rows(_plain_rows(source.execute(_SYMBOLS_OF_TAXON, bindings)))


def resolve_genes(items: Sequence[str], symbols: dict[str, str]) -> tuple[list[str], list[str]]:
    """Gene ids for the list's items: ids as written, symbols case-insensitively; and the unmatched."""
    by_symbol: dict[str, list[str]] = {}
    for known_id, symbol in symbols.items():
        by_symbol.setdefault(symbol.casefold(), []).append(known_id)
    ids: list[str] = []
    unmatched: list[str] = []
    for item in items:
        gene_id = gene_id_of(item)
        if gene_id is not None:
            ids.append(gene_id)
            continue
        found = by_symbol.get(item.casefold())
        if found:
            ids.extend(sorted(found, key=int))
        else:
            unmatched.append(item)
    return list(dict.fromkeys(ids)), unmatched


def library_background(library: Sequence[GeneSet]) -> frozenset[str]:
    """The background of a library: the union of its sets' genes."""
    return frozenset().union(*(gene_set.genes for gene_set in library)) if library else frozenset()


def enrich_sets(
    library: Sequence[GeneSet],
    gene_ids: Iterable[str],
    *,
    taxon: str = "",
    background: frozenset[str] | None = None,
) -> Enrichment:
    """Rank the library's figures by over-representation of ``gene_ids`` (see the module docstring).

    ``background`` is :func:`library_background` of ``library``, for callers that keep it.
    """
    if background is None:
        background = library_background(library)
    listed = list(dict.fromkeys(gene_ids))
    in_background = [gene for gene in listed if gene in background]
    result = Enrichment(taxon, len(background), len(in_background), len(library))
    result.outside_background = [gene for gene in listed if gene not in background]
    chosen = frozenset(in_background)
    candidates: list[tuple[GeneSet, tuple[str, ...], float]] = []
    for gene_set in library:
        shared = gene_set.genes & chosen
        if not shared:
            continue
        log_p = log_hypergeom_sf(len(shared), len(background), len(gene_set.genes), len(chosen))
        candidates.append((gene_set, tuple(sorted(shared, key=int)), math.exp(log_p)))
    fdrs = benjamini_hochberg([p for _, _, p in candidates], tests=len(library))
    result.figures = sorted(
        (
            EnrichedFigure(gene_set.figid, gene_set.title, shared, len(gene_set.genes), p, fdr)
            for (gene_set, shared, p), fdr in zip(candidates, fdrs, strict=True)
        ),
        key=lambda figure: (figure.p_value, -len(figure.overlap), figure.figid),
    )
    return result


def enrich(
    source: Source, genes: Sequence[str], *, taxon: str = "9606", min_size: int = DEFAULT_MIN_SIZE
) -> Enrichment:
    """Figures of ``taxon``'s library ranked for the gene list ``genes`` (ids or symbols).

    >>> # with open_source(store="pfocr-store") as source: enrich(source, ["TP53", "MDM2", "7157"])
    """
    check_taxon(taxon)
    if not genes:
        raise QueryError("give at least one gene (NCBI Gene id or symbol)")
    symbols = gene_symbols(source, taxon)
    return enrich_with(gene_set_library(source, taxon, min_size), symbols, genes, taxon=taxon)


def enrich_with(
    library: Sequence[GeneSet],
    symbols: Mapping[str, str],
    genes: Sequence[str],
    *,
    taxon: str,
    background: frozenset[str] | None = None,
) -> Enrichment:
    """:func:`enrich` over a library and symbols already read (``pfocr-ld serve`` keeps them)."""
    ids, unmatched = resolve_genes(genes, dict(symbols))
    result = enrich_sets(library, ids, taxon=taxon, background=background)
    result.unmatched = unmatched
    result.symbols = {
        gene: symbols[gene] for figure in result.figures for gene in figure.overlap if gene in symbols
    }
    return result


def enrichment_json(result: Enrichment, *, min_size: int, limit: int | None = None) -> dict[str, Any]:
    """The answer as ``pfocr-ld enrich --format json`` prints it (and ``/enrich`` of serve returns)."""
    figures = result.figures[:limit] if limit is not None else result.figures
    return {
        "taxon": result.taxon,
        "min_size": min_size,
        "background_size": result.background_size,
        "list_size": result.list_size,
        "library_size": result.library_size,
        "unmatched": result.unmatched,
        "outside_background": result.outside_background,
        "figures": [
            {
                "figid": f.figid,
                "title": f.title,
                "overlap": list(f.overlap),
                "overlap_symbols": [result.symbols.get(g, g) for g in f.overlap],
                "set_size": f.set_size,
                "p_value": f.p_value,
                "fdr": f.fdr,
            }
            for f in figures
        ],
    }


# Command -----------------------------------------------------------------------------------------
def _overlap_text(figure: EnrichedFigure, symbols: dict[str, str]) -> str:
    return ",".join(symbols.get(gene, gene) for gene in figure.overlap)


@click.command("enrich")
@click.option(
    "--gene", "genes", multiple=True, metavar="GENE", help="NCBI Gene id or symbol; repeat, or a comma list."
)
@click.option(
    "--genes-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of genes: one or more per line, separated by commas, tabs or spaces; # starts a comment.",
)
@click.option("--taxon", default="9606", show_default=True, help="NCBI taxon id of the organism's library.")
@click.option(
    "--min-size",
    type=click.IntRange(1),
    default=DEFAULT_MIN_SIZE,
    show_default=True,
    help="Smallest figure gene set in the library.",
)
@click.option("--store", "store_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--data", multiple=True, type=click.Path(exists=True, path_type=Path))
@click.option("--endpoint", default=None, help="SPARQL endpoint URL.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "tsv", "json"]), default="table", show_default=True
)
@click.option("--limit", type=click.IntRange(0), default=None, help="At most this many figures.")
def enrich_command(
    genes: tuple[str, ...],
    genes_file: Path | None,
    taxon: str,
    min_size: int,
    store_dir: Path | None,
    data: tuple[Path, ...],
    endpoint: str | None,
    fmt: str,
    limit: int | None,
) -> None:
    """Rank figures by over-representation of a gene list (hypergeometric p-value, BH FDR).

    Genes are NCBI Gene ids or symbols (matched case-insensitively among the taxon's genes). The
    background is the taxon's gene-set library: every gene of that taxon in a figure with at least
    --min-size of them. Items that match nothing are named on standard error.
    """
    values = list(genes)
    if genes_file is not None:
        values.append(genes_file.read_text(encoding="utf-8"))
    items = split_gene_items(values)
    if not items:
        raise click.UsageError("give genes with --gene or --genes-file")
    with open_source(store=store_dir, data=list(data) or None, endpoint=endpoint) as source:
        result = enrich(source, items, taxon=taxon, min_size=min_size)
    for item in result.unmatched:
        click.echo(
            f"no gene of taxon {taxon} has the id or symbol {item!r} (symbols are matched "
            "case-insensitively; check the organism with --taxon)",
            err=True,
        )
    if result.outside_background:
        click.echo(
            f"{len(result.outside_background)} listed gene(s) are in no figure of the library: "
            + ", ".join(result.outside_background[:20]),
            err=True,
        )
    figures = result.figures[:limit] if limit is not None else result.figures
    click.echo(
        f"background: {result.background_size} genes of taxon {taxon} in {result.library_size} figures "
        f"(≥ {min_size} genes each); {result.list_size} of {len(items)} listed genes in it",
        err=True,
    )
    if fmt == "json":
        click.echo(
            orjson.dumps(
                enrichment_json(result, min_size=min_size, limit=limit), option=orjson.OPT_INDENT_2
            ).decode()
        )
    else:
        separator = "\t" if fmt == "tsv" else "  "
        click.echo(separator.join(["figid", "overlap", "set_size", "p_value", "fdr", "genes", "title"]))
        for figure in figures:
            click.echo(
                separator.join(
                    [
                        figure.figid,
                        str(len(figure.overlap)),
                        str(figure.set_size),
                        f"{figure.p_value:.3g}",
                        f"{figure.fdr:.3g}",
                        _overlap_text(figure, result.symbols),
                        figure.title if fmt == "tsv" else figure.title[:60],
                    ]
                )
            )
    if not result.list_size:
        raise SystemExit(1)
