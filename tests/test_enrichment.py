"""Gene-list enrichment (`pfocr-ld enrich`, :func:`pfocr_ld.enrichment.enrich`).

Claims: the p-values are the hypergeometric upper tail and the FDR is Benjamini-Hochberg (both
checked against SciPy, an independent implementation); the library is each figure's human genes as
the records' own tables list them (read here with the csv module); symbols match case-insensitively;
a gene that matches nothing is named.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pfocr_ld.enrichment import (
    benjamini_hochberg,
    enrich,
    gene_set_library,
    log_hypergeom_sf,
    split_gene_items,
)
from pfocr_ld.query import open_source


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_hypergeometric_tail_equals_scipy(data) -> None:
    population = data.draw(st.integers(1, 30_000))
    successes = data.draw(st.integers(0, population))
    draws = data.draw(st.integers(0, min(population, 2_000)))
    k = data.draw(st.integers(0, min(successes, draws) + 1))
    ours = math.exp(log_hypergeom_sf(k, population, successes, draws))
    theirs = float(stats.hypergeom.sf(k - 1, population, successes, draws))
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=40),
    st.integers(0, 20),
)
def test_benjamini_hochberg_equals_scipy(p_values: list[float], untested: int) -> None:
    ours = benjamini_hochberg(p_values, tests=len(p_values) + untested)
    theirs = stats.false_discovery_control(p_values + [1.0] * untested, method="bh")[: len(p_values)]
    assert ours == pytest.approx(list(theirs), rel=1e-12, abs=1e-15)


def test_gene_items_from_repeats_commas_and_files() -> None:
    assert split_gene_items(["TP53,egfr", "7157", "# a comment\nKRAS\tBRAF  # tail\n"]) == [
        "TP53",
        "egfr",
        "7157",
        "KRAS",
        "BRAF",
    ]


def _human_sets_from_tables(sample_dir: Path) -> dict[str, set[str]]:
    sets: dict[str, set[str]] = {}
    for table in sorted((sample_dir / "_data").glob("*-genes.tsv")):
        figid = table.name[: -len("-genes.tsv")]
        with table.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                gene = (row.get("ncbigene_id") or "").strip()
                if row.get("organism_id") == "9606" and gene.isascii() and gene.isdigit():
                    sets.setdefault(figid, set()).add(gene)
    return {figid: genes for figid, genes in sets.items() if len(genes) >= 3}


@pytest.fixture(scope="module")
def sample_source(sample_build):
    out, _ = sample_build
    with open_source(data=out) as source:
        yield source


def test_library_is_the_tables_human_genes(sample_dir: Path, sample_source) -> None:
    library = {gene_set.figid: set(gene_set.genes) for gene_set in gene_set_library(sample_source, "9606")}
    assert library == _human_sets_from_tables(sample_dir)


def test_enrichment_on_the_sample_equals_an_independent_computation(sample_dir: Path, sample_source) -> None:
    sets = _human_sets_from_tables(sample_dir)
    background = set().union(*sets.values())
    listed = ["tp53", "EGFR", "7099", "2064", "MTOR", "no-such-gene"]
    result = enrich(sample_source, listed, taxon="9606")
    assert result.unmatched == ["no-such-gene"]
    ids = {"7157", "1956", "7099", "2064", "2475"} & background
    assert result.list_size == len(ids)
    assert result.background_size == len(background)
    assert result.library_size == len(sets)
    expected_p = {
        figid: float(stats.hypergeom.sf(len(genes & ids) - 1, len(background), len(genes), len(ids)))
        for figid, genes in sets.items()
        if genes & ids
    }
    all_p = [expected_p.get(figid, 1.0) for figid in sorted(sets)]
    expected_fdr = dict(zip(sorted(sets), stats.false_discovery_control(all_p, method="bh"), strict=True))
    assert {figure.figid for figure in result.figures} == set(expected_p)
    for figure in result.figures:
        assert set(figure.overlap) == sets[figure.figid] & ids
        assert figure.p_value == pytest.approx(expected_p[figure.figid], rel=1e-9)
        assert figure.fdr == pytest.approx(expected_fdr[figure.figid], rel=1e-9)
    assert [figure.p_value for figure in result.figures] == sorted(
        figure.p_value for figure in result.figures
    )


def test_enrich_command(sample_build, tmp_path: Path) -> None:
    out, _ = sample_build
    genes_file = tmp_path / "genes.txt"
    genes_file.write_text("# my list\nerbb2\nEGFR, akt1\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pfocr_ld.cli",
            "enrich",
            "--genes-file",
            str(genes_file),
            "--gene",
            "Nope1",
            "--data",
            str(out),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "'Nope1'" in result.stderr
    answer = json.loads(result.stdout)
    assert answer["unmatched"] == ["Nope1"]
    assert answer["list_size"] == 3
    her2 = next(f for f in answer["figures"] if f["figid"] == "PMC3376449__fonc-02-00062-g001")
    assert sorted(her2["overlap_symbols"]) == ["AKT1", "EGFR", "ERBB2"]

    nothing = subprocess.run(
        [sys.executable, "-m", "pfocr_ld.cli", "enrich", "--gene", "Nope1", "--data", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert nothing.returncode == 1
    assert "Nope1" in nothing.stderr


@pytest.mark.parametrize("value", [["TP53", "EGFR"], ("7157",), {"7157"}])
def test_a_list_where_one_value_is_expected_says_so(sample_source, value) -> None:
    from pfocr_ld.query import ParameterError, run_named, run_query

    with pytest.raises(ParameterError, match=r"gene takes one value, not a (list|tuple|set) of"):
        run_named(sample_source, "figures-for-gene", gene=value)
    with pytest.raises(ParameterError, match=r"symbol takes one value"):
        run_query(
            sample_source,
            "SELECT ?g WHERE { ?g <http://www.w3.org/2000/01/rdf-schema#label> ?symbol }",
            symbol=value,
        )
