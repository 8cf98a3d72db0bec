"""Writing a corpus: :func:`synthesize` plans the papers, then writes the records (in forked workers).

Also :func:`update_corpus`, the synthetic monthly update the incremental benchmarks apply.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pfocr_ld.synth.emitter import dump_front_matter
from pfocr_ld.synth.model import _Model
from pfocr_ld.synth.profile import load_profile


@dataclass
class SynthStats:
    """What :func:`synthesize` wrote."""

    records: int
    genes_tables: int
    chemicals_tables: int
    diseases_tables: int
    gene_rows: int
    distinct_genes: int
    chemical_rows: int
    disease_rows: int
    papers: int
    organism_pages: int
    seconds: float


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def _write(path: Path | str, text: str) -> None:
    # os-level I/O: a text-mode open() per file costs more than the write itself at 250k files.
    fd = os.open(path, _WRITE_FLAGS, 0o644)
    try:
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _plan(model: _Model, n: int) -> list[tuple[int, int, int, int]]:
    """(paper index, first record, figures, PMC number) for records 0..n-1, decided in index order.

    This is the only sequential part of a run: which records share a paper (one draw per record,
    always, so the grouping of record i never depends on n) and PMC-number uniqueness.
    """
    continues = random.Random(f"{model.seed}/papers")
    p_continue = model.a["share_figure_continues_paper"]
    max_figures = model.a["max_figures_per_paper"]
    used_pmc: set[int] = set()
    plan: list[list[int]] = []
    for i in range(n):
        new_paper = continues.random() >= p_continue
        if not plan or new_paper or plan[-1][2] >= max_figures:
            plan.append([len(plan), i, 0, model.paper_number(len(plan), used_pmc)])
        plan[-1][2] += 1
    return [(p, first, count, number) for p, first, count, number in plan]


def _write_records(model: _Model, out: Path, plan: Sequence[tuple[int, int, int, int]]) -> dict[str, Any]:
    """Write the records of the papers in *plan*; return counts and the (taxon, gene id) pairs seen."""
    figures_dir, data_dir = out / "_figures", out / "_data"
    totals: Counter[str] = Counter()
    genes_seen: set[tuple[str, str]] = set()
    for index, first, count, number in plan:
        paper = model.paper(index, number)
        used_figids: set[str] = set()  # PMC numbers are unique, so figids only clash within a paper
        for i in range(first, first + count):
            figid, md, genes_tsv, chem_tsv, dis_tsv, counts = model.figure(i, paper, used_figids)
            _write(figures_dir / f"{figid}.md", md)
            if genes_tsv is not None:
                _write(data_dir / f"{figid}-genes.tsv", genes_tsv)
                totals["genes_tables"] += 1
                genes_seen.update(p for p in counts["gene_pairs"] if p[1] != "NaN")
            if chem_tsv is not None:
                _write(data_dir / f"{figid}-chemicals.tsv", chem_tsv)
                totals["chemicals_tables"] += 1
            if dis_tsv is not None:
                _write(data_dir / f"{figid}-diseases.tsv", dis_tsv)
                totals["diseases_tables"] += 1
            totals["gene_rows"] += counts["gene_rows"]
            totals["chemical_rows"] += counts["chemical_rows"]
            totals["disease_rows"] += counts["disease_rows"]
    return {"totals": totals, "genes": genes_seen}


#: The model a forked worker inherits (set just before the pool forks; never pickled).
_FORK_MODEL: _Model | None = None


def _fork_worker(job: tuple[Path, list[tuple[int, int, int, int]]]) -> dict[str, Any]:
    assert _FORK_MODEL is not None
    return _write_records(_FORK_MODEL, *job)


def _split(plan: list[tuple[int, int, int, int]], parts: int) -> list[list[tuple[int, int, int, int]]]:
    """*plan* cut at paper boundaries into *parts* runs of about equal record counts."""
    total = sum(p[2] for p in plan)
    chunks: list[list[tuple[int, int, int, int]]] = [[]]
    done = 0
    for entry in plan:
        if done >= total * len(chunks) / parts and len(chunks) < parts:
            chunks.append([])
        chunks[-1].append(entry)
        done += entry[2]
    return [c for c in chunks if c]


def synthesize(
    n: int,
    out: Path,
    seed: int = 0,
    profile: dict[str, Any] | None = None,
    workers: int | None = None,
) -> SynthStats:
    """Write *n* synthetic PFOCR records under *out* in the source layout; return what was written.

    *out* must be missing or empty (so a tree is always exactly one run's output). The bytes
    written depend only on (n, seed, profile): not on *workers* (default: one process per CPU for
    large runs, forked where the platform allows), and record *i* does not depend on *n*.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    started = time.perf_counter()
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"output path {out} exists and is not an empty directory")
    model = _Model(profile if profile is not None else load_profile(), seed)
    for directory in (out / "_figures", out / "_data", out / "_organisms"):
        directory.mkdir(parents=True, exist_ok=True)
    for name, text in model.organism_pages.items():
        _write(out / "_organisms" / name, text)

    plan = _plan(model, n)
    if workers is None:
        workers = (os.cpu_count() or 1) if n >= 2000 else 1
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if workers > 1 and can_fork and len(plan) > 1:
        global _FORK_MODEL
        _FORK_MODEL = model
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.map(_fork_worker, [(out, chunk) for chunk in _split(plan, workers)])
        finally:
            _FORK_MODEL = None
    else:
        results = [_write_records(model, out, plan)]
    totals: Counter[str] = Counter()
    genes_seen: set[tuple[str, str]] = set()
    for result in results:
        totals.update(result["totals"])
        genes_seen |= result["genes"]
    return SynthStats(
        records=n,
        genes_tables=totals["genes_tables"],
        chemicals_tables=totals["chemicals_tables"],
        diseases_tables=totals["diseases_tables"],
        gene_rows=totals["gene_rows"],
        distinct_genes=len(genes_seen),
        chemical_rows=totals["chemical_rows"],
        disease_rows=totals["disease_rows"],
        papers=len(plan),
        organism_pages=len(model.organism_pages),
        seconds=round(time.perf_counter() - started, 3),
    )


@dataclass
class CorpusUpdate:
    """What :func:`update_corpus` did, by figid."""

    retitled: list[str]
    relabelled: list[str]
    removed: list[str]
    added: list[str]

    @property
    def touched(self) -> int:
        return len(self.retitled) + len(self.relabelled) + len(self.removed) + len(self.added)


def update_corpus(corpus: Path | str, share: float, seed: int = 0) -> CorpusUpdate:
    """Apply a synthetic monthly update to a corpus in place: ``share`` of its records touched.

    A quarter each: titles corrected, a gene symbol renamed in the genes table (which moves the
    release-wide label vote for that gene), records removed (with their tables), and records added
    (copies of existing ones under a new figid). Deterministic for (corpus, share, seed).
    """
    folder = Path(corpus)
    records = sorted((folder / "_figures").glob("*.md"))
    rng = random.Random(f"update-{seed}")
    count = max(4, round(share * len(records)))
    chosen = rng.sample(records, min(count, len(records)))
    quarter = max(1, len(chosen) // 4)
    groups = [chosen[:quarter], chosen[quarter : 2 * quarter], chosen[2 * quarter : 3 * quarter]]
    update = CorpusUpdate([], [], [], [])
    for path in groups[0]:
        text = path.read_text(encoding="utf-8")
        _, head, body = text.split("---\n", 2)
        fields = yaml.safe_load(head)
        fields["figtitle"] = f"Corrected {fields.get('figtitle') or ''}".strip()
        path.write_text(dump_front_matter(fields) + body, encoding="utf-8")  # still valid YAML
        update.retitled.append(path.stem)
    for path in groups[1]:
        genes = folder / "_data" / f"{path.stem}-genes.tsv"
        if not genes.is_file():
            continue
        lines = genes.read_text(encoding="utf-8").split("\n")
        header = lines[0].split("\t")
        if "ncbigene_symbol" not in header or len(lines) < 3:
            continue
        column = header.index("ncbigene_symbol")
        cells = lines[1].split("\t")
        cells[column] = cells[column] + "-RENAMED"
        lines[1] = "\t".join(cells)
        genes.write_text("\n".join(lines), encoding="utf-8")
        update.relabelled.append(path.stem)
    for path in groups[2]:
        path.unlink()
        for kind in ("genes", "chemicals", "diseases"):
            (folder / "_data" / f"{path.stem}-{kind}.tsv").unlink(missing_ok=True)
        update.removed.append(path.stem)
    for path in chosen[3 * quarter : 4 * quarter] or chosen[:1]:
        if not path.exists():
            continue
        new = f"{path.stem}-update{seed}"
        text = path.read_text(encoding="utf-8")
        (path.parent / f"{new}.md").write_text(
            text.replace(f"figid: {path.stem}\n", f"figid: {new}\n", 1), encoding="utf-8"
        )
        for kind in ("genes", "chemicals", "diseases"):
            table = folder / "_data" / f"{path.stem}-{kind}.tsv"
            if table.is_file():
                (folder / "_data" / f"{new}-{kind}.tsv").write_bytes(table.read_bytes())
        update.added.append(new)
    return update
