"""Edits of a PFOCR source corpus (as `pfocr-ld synth` writes it), for update tests and benchmarks.

Each edit is what a monthly PFOCR update does to records: a corrected title, a removed record, a new
record, a gene whose symbol changes in every table that names it (so the release-wide vote changes).
"""

from __future__ import annotations

import random
import re
import shutil
from collections import Counter
from pathlib import Path

import yaml


def figids(corpus: Path) -> list[str]:
    return sorted(p.stem for p in (corpus / "_figures").glob("*.md"))


def retitle(corpus: Path, figid: str, prefix: str = "Corrected ") -> None:
    """Prefix the figure's title (``figtitle``)."""
    path = corpus / "_figures" / f"{figid}.md"
    front = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n", 2)[1])
    set_field(corpus, figid, "figtitle", prefix + str(front["figtitle"]))


def set_field(corpus: Path, figid: str, key: str, value: str) -> None:
    """Replace a front-matter field (possibly folded over several lines) by ``value``, YAML-quoted."""
    path = corpus / "_figures" / f"{figid}.md"
    text = path.read_text(encoding="utf-8")
    dumped = yaml.safe_dump({key: value}, width=float("inf"), allow_unicode=True)
    edited = re.sub(rf"^{key}: .*?(?=^\S)", lambda _: dumped, text, count=1, flags=re.M | re.S)
    assert edited != text, f"{path}: no {key}"
    path.write_text(edited, encoding="utf-8")


def set_paper_title(corpus: Path, figid: str, title: str) -> None:
    """Replace the record's paper title (``papertitle``)."""
    set_field(corpus, figid, "papertitle", title)


def remove(corpus: Path, figid: str) -> None:
    (corpus / "_figures" / f"{figid}.md").unlink()
    for table in (corpus / "_data").glob(f"{figid}-*.tsv"):
        table.unlink()


def copy_as(corpus: Path, figid: str, new_figid: str) -> None:
    """A new record: ``figid``'s record and tables under another figid (same paper)."""
    text = (corpus / "_figures" / f"{figid}.md").read_text(encoding="utf-8")
    (corpus / "_figures" / f"{new_figid}.md").write_text(text.replace(figid, new_figid), encoding="utf-8")
    for table in (corpus / "_data").glob(f"{figid}-*.tsv"):
        shutil.copyfile(table, table.with_name(table.name.replace(figid, new_figid)))


def shared_gene(corpus: Path, minimum: int = 2) -> str:
    """A gene id that at least ``minimum`` genes tables name (the one most tables name)."""
    counts: Counter[str] = Counter()
    for table in (corpus / "_data").glob("*-genes.tsv"):
        counts.update(set(_gene_ids(table)))
    gene, count = counts.most_common(1)[0]
    assert count >= minimum, "no gene is named by several records"
    return gene


def _gene_ids(table: Path) -> list[str]:
    lines = table.read_text(encoding="utf-8").split("\n")
    column = lines[0].split("\t").index("ncbigene_id")
    return [row.split("\t")[column] for row in lines[1:] if row.count("\t") >= column]


def rename_gene(corpus: Path, gene_id: str, symbol: str) -> list[str]:
    """Give ``gene_id`` the symbol ``symbol`` in every genes table; the figids of the tables changed."""
    changed = []
    for table in sorted((corpus / "_data").glob("*-genes.tsv")):
        lines = table.read_text(encoding="utf-8").split("\n")
        header = lines[0].split("\t")
        id_column, symbol_column = header.index("ncbigene_id"), header.index("ncbigene_symbol")
        edited = []
        for line in lines:
            cells = line.split("\t")
            if len(cells) > id_column and cells[id_column] == gene_id:
                cells[symbol_column] = symbol
            edited.append("\t".join(cells))
        if edited != lines:
            table.write_text("\n".join(edited), encoding="utf-8")
            changed.append(table.name[: -len("-genes.tsv")])
    return changed


def monthly_update(corpus: Path, fraction: float, seed: int = 0) -> dict[str, int]:
    """About ``fraction`` of the records edited: a third retitled, a third removed, a third added."""
    rng = random.Random(seed)
    ids = figids(corpus)
    count = max(3, round(len(ids) * fraction))
    chosen = rng.sample(ids, count)
    third = count // 3
    for figid in chosen[:third]:
        retitle(corpus, figid)
    for figid in chosen[third : 2 * third]:
        remove(corpus, figid)
    for number, figid in enumerate(chosen[2 * third :]):
        copy_as(corpus, figid, f"{figid}-new{number}")
    return {"retitled": third, "removed": third, "added": count - 2 * third}
