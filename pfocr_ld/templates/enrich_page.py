"""The page of ``/enrich``: a gene-list form and the figures ranked for the list.

Every value shown is escaped (:func:`pfocr_ld.templates.esc`); the form is a plain HTML form (no
script) with labels and hints tied to its fields, and the result is a data table with a caption and
header cells, as the other pages of ``pfocr-ld serve``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pfocr_ld.templates import _table, esc, page

#: The organisms PFOCR curates most, for the taxon hint.
_COMMON_TAXA = "9606 human, 10090 mouse, 10116 rat, 7227 fruit fly, 6239 C. elegans, 3702 A. thaliana"


def _form(genes_text: str, taxon: str, min_size: int, root: str) -> str:
    return f"""<form method="post" action="{esc(root)}/enrich" class="enrich-form">
<p><label for="genes">Genes</label><br>
<textarea id="genes" name="genes" rows="10" cols="60" spellcheck="false" autocapitalize="off"
 aria-describedby="genes-hint" required>{esc(genes_text)}</textarea><br>
<span id="genes-hint" class="hint">NCBI Gene ids (7157) or symbols (TP53), separated by commas, spaces or
new lines; symbols are matched case-insensitively among the organism's genes.</span></p>
<p><label for="taxon">Organism (NCBI taxon id)</label>
<input id="taxon" name="taxon" value="{esc(taxon)}" inputmode="numeric" pattern="[0-9]{{1,12}}" size="10"
 aria-describedby="taxon-hint" required>
<span id="taxon-hint" class="hint">{esc(_COMMON_TAXA)}</span></p>
<p><label for="min_size">Smallest figure gene set</label>
<input id="min_size" name="min_size" type="number" min="1" max="1000000" value="{min_size}" size="6"
 aria-describedby="min-size-hint" required>
<span id="min-size-hint" class="hint">figures with fewer genes of the organism are left out of the
library (3, as PFOCR's own GMT libraries)</span></p>
<p><button type="submit">Find figures</button></p>
</form>"""


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
    parts = [
        "<h1>Figures for a gene list</h1>",
        "<p>Ranks the figures of an organism by over-representation of your genes: a hypergeometric "
        "p-value for each figure's overlap with the list, and the Benjamini-Hochberg FDR over every "
        "figure of the organism's gene-set library, as Enrichr does with PFOCR's libraries. Programs "
        "can ask for the same answer as JSON (<code>Accept: application/json</code> or "
        "<code>format=json</code>), as <code>pfocr-ld enrich --format json</code> prints it.</p>",
        _form(genes_text, taxon, min_size, root),
    ]
    if answer is not None:
        parts.append(_result(answer, figure_href, listed))
    return page("Gene list", "\n".join(parts), root=root, figures_path=figures_path, current="Gene list")


def _result(answer: Mapping[str, Any], figure_href: Callable[[str], str | None], listed: int) -> str:
    out = ['<section aria-labelledby="result-h">', '<h2 id="result-h">Result</h2>']
    out.append(
        f'<p class="background">Background: {answer["background_size"]:,} genes of taxon '
        f"{esc(answer['taxon'])} in {answer['library_size']:,} figures (each with at least "
        f"{answer['min_size']:,} of them); {answer['list_size']:,} of the {listed:,} listed genes are in "
        "it.</p>"
    )
    unmatched = answer.get("unmatched") or []
    if unmatched:
        shown = ", ".join(f"<code>{esc(item)}</code>" for item in unmatched[:50])
        more = f" and {len(unmatched) - 50:,} more" if len(unmatched) > 50 else ""
        out.append(
            f'<div class="unmatched" role="note"><p>{len(unmatched):,} item(s) name no gene of taxon '
            f"{esc(answer['taxon'])}: {shown}{more}.</p><p>Hint: symbols are matched case-insensitively "
            "among this organism's genes, and ids must be NCBI Gene ids; check the organism (a mouse "
            "symbol such as Trp53 is not a human gene), or give the NCBI Gene id.</p></div>"
        )
    outside = answer.get("outside_background") or []
    if outside:
        out.append(
            f"<p>{len(outside):,} listed gene(s) are in no figure of the library and were left out: "
            + ", ".join(f"<code>{esc(gene)}</code>" for gene in outside[:50])
            + ("…" if len(outside) > 50 else "")
            + "</p>"
        )
    figures = answer.get("figures") or []
    if not figures:
        out.append("<p>No figure of the library shares a gene with the list.</p>")
    else:
        rows = []
        for rank, figure in enumerate(figures, 1):
            href = figure_href(figure["figid"])
            title = esc(figure["title"] or figure["figid"])
            link = f'<a href="{esc(href)}">{title}</a>' if href else title
            rows.append(
                [
                    str(rank),
                    f"{link}<br><small><code>{esc(figure['figid'])}</code></small>",
                    str(len(figure["overlap"])),
                    esc(", ".join(figure["overlap_symbols"])),
                    str(figure["set_size"]),
                    f"{figure['p_value']:.3g}",
                    f"{figure['fdr']:.3g}",
                ]
            )
        out.append(
            _table(
                f"{len(figures):,} figures sharing genes with the list, most significant first",
                ["rank", "figure", "overlap", "genes in common", "set size", "p-value", "FDR"],
                rows,
                css="enrichment",
            )
        )
    out.append("</section>")
    return "\n".join(out)
