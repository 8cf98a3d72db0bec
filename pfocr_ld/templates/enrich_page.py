"""The page of ``/enrich``: a gene-list form and the figures ranked for the list.

:func:`enrich_page` builds the view-model (:class:`EnrichView`: the form's values and the result's
numbers, links and rows) and ``html/enrich.html.j2`` lays it out, escaped by the environment of
:mod:`pfocr_ld.templates._render`. The form is a plain HTML form (no script) with labels and hints
tied to its fields, and the result is a data table with a caption and header cells, as the other
pages of ``pfocr-ld serve``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pfocr_ld.templates._render import Link, link, render, shell

#: The organisms PFOCR curates most, for the taxon hint.
_COMMON_TAXA = "9606 human, 10090 mouse, 10116 rat, 7227 fruit fly, 6239 C. elegans, 3702 A. thaliana"
#: How many unmatched items and genes outside the library the page lists (the JSON has them all).
_SHOWN = 50


@dataclass
class EnrichRow:
    """One ranked figure."""

    rank: int
    figure: Link
    figid: str
    overlap: int
    symbols: str
    set_size: int
    p_value: str
    fdr: str


@dataclass
class EnrichResultView:
    taxon: str
    background_size: int
    library_size: int
    min_size: int
    list_size: int
    listed: int
    unmatched: list[str] = field(default_factory=list)  # the first _SHOWN
    unmatched_count: int = 0
    outside: list[str] = field(default_factory=list)  # the first _SHOWN
    outside_count: int = 0
    caption: str = ""
    rows: list[EnrichRow] = field(default_factory=list)


@dataclass
class EnrichView:
    """The page: the form's values and, once a list was sent, the result."""

    genes_text: str
    taxon: str
    min_size: int
    common_taxa: str
    result: EnrichResultView | None
    shown: int = _SHOWN


def enrich_view(
    *,
    genes_text: str,
    taxon: str,
    min_size: int,
    answer: Mapping[str, Any] | None,
    figure_href: Callable[[str], str | None],
    listed: int = 0,
) -> EnrichView:
    """The page's view-model; ``answer`` is :func:`pfocr_ld.enrichment.enrichment_json`'s."""
    result = _result(answer, figure_href, listed) if answer is not None else None
    return EnrichView(genes_text, taxon, min_size, _COMMON_TAXA, result)


def _result(
    answer: Mapping[str, Any], figure_href: Callable[[str], str | None], listed: int
) -> EnrichResultView:
    unmatched = list(answer.get("unmatched") or [])
    outside = list(answer.get("outside_background") or [])
    figures = answer.get("figures") or []
    return EnrichResultView(
        taxon=str(answer["taxon"]),
        background_size=answer["background_size"],
        library_size=answer["library_size"],
        min_size=answer["min_size"],
        list_size=answer["list_size"],
        listed=listed,
        unmatched=[str(item) for item in unmatched[:_SHOWN]],
        unmatched_count=len(unmatched),
        outside=[str(gene) for gene in outside[:_SHOWN]],
        outside_count=len(outside),
        caption=f"{len(figures):,} figures sharing genes with the list, most significant first",
        rows=[
            EnrichRow(
                rank=rank,
                figure=link(figure_href(figure["figid"]), figure["title"] or figure["figid"], external=False),
                figid=figure["figid"],
                overlap=len(figure["overlap"]),
                symbols=", ".join(figure["overlap_symbols"]),
                set_size=figure["set_size"],
                p_value=f"{figure['p_value']:.3g}",
                fdr=f"{figure['fdr']:.3g}",
            )
            for rank, figure in enumerate(figures, 1)
        ],
    )


def enrich_page(
    *,
    genes_text: str,
    taxon: str,
    min_size: int,
    answer: Mapping[str, Any] | None,
    figure_href: Callable[[str], str | None],
    listed: int = 0,
    root: str = "",
    figures_path: str = "/figures/",
) -> str:
    """The form, and when ``answer`` is given (:func:`pfocr_ld.enrichment.enrichment_json`) the result."""
    view = enrich_view(
        genes_text=genes_text,
        taxon=taxon,
        min_size=min_size,
        answer=answer,
        figure_href=figure_href,
        listed=listed,
    )
    page_shell = shell("Gene list", root=root, figures_path=figures_path, current="Gene list")
    return render("enrich.html.j2", page_shell, view)
