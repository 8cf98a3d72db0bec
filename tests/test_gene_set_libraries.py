"""`pfocr-ld query gene-sets` makes PFOCR's own gene-set libraries, checked against the records' tables.

PFOCR's pipeline (``pfocr_gmt.R``) writes two GMT libraries with rWikiPathways' ``writeGMT`` from a
(figid, figtitle, entrez) data frame: the default one keeps figures with at least 3 distinct genes;
"hgnc3" first keeps only direct symbol matches (``source == "hgnc_symbol"``, today's
``ncbigene_symbol``), then at least 3 distinct genes. ``writeGMT`` writes one line per figid:
``figid<TAB>figtitle<TAB>entrez<TAB>entrez…``. The expected libraries here are computed the same
way straight from ``examples/pfocr-sample`` (``_data/*-genes.tsv`` read with the csv module, titles
from the ``_figures/*.md`` front matter), never from pfocr-ld's own output.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pfocr_ld.build import BuildReport
from pfocr_ld.cli import main
from pfocr_ld.query import PARAM_TYPES, ParameterError

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"
#: the genes tables' direct symbol matches, in both table generations (PFOCR's "hgnc3" filter)
SYMBOL_SOURCES = {"ncbigene_symbol", "hgnc_symbol"}

Library = dict[str, tuple[str, set[str]]]


# The records, read independently -------------------------------------------------------------------
@cache
def _titles() -> dict[str, str]:
    titles = {}
    for path in sorted((SAMPLE / "_figures").glob("*.md")):
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---", 2)[1])
        titles[front["figid"]] = " ".join(str(front["figtitle"]).split())
    return titles


@cache
def _gene_rows() -> tuple[dict[str, str], ...]:
    rows = []
    for figid in _titles():
        path = SAMPLE / "_data" / f"{figid}-genes.tsv"
        if path.exists():
            with path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                    entrez = row["ncbigene_id"].strip()
                    if entrez.isdigit() and int(entrez) > 0:
                        rows.append({**row, "figid": figid, "entrez": str(int(entrez))})
    return tuple(rows)


def expected_library(
    *, min_size: int = 3, symbol_only: bool = False, taxon: str | None = None, by_taxon: bool = False
) -> dict[tuple[str, str], tuple[str, set[str]]]:
    """PFOCR's recipe: filter the rows, distinct (figid, entrez), keep sets of at least min_size."""
    titles = _titles()
    sets: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in _gene_rows():
        if symbol_only and row["source"] not in SYMBOL_SOURCES:
            continue
        if taxon is not None and row["organism_id"] != taxon:
            continue
        sets[(row["organism_id"] if by_taxon else "", row["figid"])].add(row["entrez"])
    return {key: (titles[key[1]], genes) for key, genes in sets.items() if len(genes) >= min_size}


def by_figid(library: dict[tuple[str, str], tuple[str, set[str]]]) -> Library:
    return {figid: value for (_, figid), value in library.items()}


def parse_gmt(text: str) -> Library:
    """A GMT file as writeGMT writes it: name, description, then the members, tab-separated."""
    sets: Library = {}
    for line in text.splitlines():
        name, description, *members = line.split("\t")
        assert members, line
        assert name not in sets, f"set {name} twice"
        assert len(members) == len(set(members)), f"{name}: a gene twice"
        assert all(m.isdigit() for m in members), name
        sets[name] = (description, set(members))
    return sets


# pfocr-ld --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def build_dir(sample_build: tuple[Path, BuildReport], sample_store_dir: Path) -> Path:
    """Here: the store of the shared sample build (tests/conftest.py), which each command below opens."""
    assert sample_build[1].published == len(_titles())
    return sample_store_dir


def gene_sets(build_dir: Path, *args: str) -> Library:
    result = CliRunner().invoke(
        main, ["query", "gene-sets", "--store", str(build_dir), "--format", "gmt", *args]
    )
    assert result.exit_code == 0, result.output
    return parse_gmt(result.stdout)


def test_the_sample_tells_the_variants_apart() -> None:
    """The checks below can fail: on the sample, each filter changes which sets are kept."""
    assert by_figid(expected_library(symbol_only=True)) != by_figid(
        expected_library(symbol_only=True, min_size=1)
    )
    assert by_figid(expected_library(min_size=5)) != by_figid(expected_library())
    assert by_figid(expected_library(symbol_only=True)) != by_figid(expected_library())


def test_default_library_is_pfocrs_default(build_dir: Path) -> None:
    """Figures with at least 3 distinct genes of any match; figid, title, Entrez ids (pfocr_genes.gmt)."""
    expected = by_figid(expected_library())
    assert gene_sets(build_dir) == expected
    assert gene_sets(build_dir, "--param", "min_size=3") == expected
    assert len(expected) >= 40


def test_hgnc3_library_is_symbol_matches_then_3_genes(build_dir: Path) -> None:
    """PFOCR's "hgnc3" library: direct symbol matches only, then at least 3 distinct genes."""
    expected = by_figid(expected_library(symbol_only=True))
    assert gene_sets(build_dir, "--strict") == expected
    assert gene_sets(build_dir, "--param", "strict=true") == expected
    # symbol matches are a strict subset, counted after the filter (not before)
    everything = by_figid(expected_library(min_size=1))
    for figid, (_, genes) in expected.items():
        assert genes <= everything[figid][1]
    dropped = set(by_figid(expected_library(symbol_only=True, min_size=1))) - set(expected)
    assert dropped, "some figure has 1 or 2 symbol-matched genes on the sample"


@pytest.mark.parametrize("min_size", [1, 5, 12, 40])
def test_min_size(build_dir: Path, min_size: int) -> None:
    assert gene_sets(build_dir, "--param", f"min_size={min_size}") == by_figid(
        expected_library(min_size=min_size)
    )
    assert gene_sets(build_dir, "--strict", "--param", f"min_size={min_size}") == by_figid(
        expected_library(min_size=min_size, symbol_only=True)
    )


def test_taxon_sizes_count_that_taxons_genes(build_dir: Path) -> None:
    for taxon in ("9606", "10090"):
        for strict in ((), ("--strict",)):
            assert gene_sets(build_dir, "--param", f"taxon={taxon}", *strict) == by_figid(
                expected_library(taxon=taxon, symbol_only=bool(strict))
            ), (taxon, strict)


@pytest.mark.parametrize("strict", [False, True])
def test_one_file_per_organism(build_dir: Path, tmp_path: Path, strict: bool) -> None:
    folder = tmp_path / "libraries"
    args = ["query", "gene-sets", "--store", str(build_dir), "--per-organism", str(folder)]
    result = CliRunner().invoke(main, args + (["--strict"] if strict else []))
    assert result.exit_code == 0, result.output
    expected: dict[str, Library] = defaultdict(dict)
    for (taxon, figid), value in expected_library(symbol_only=strict, by_taxon=True).items():
        expected[f"NCBITaxon_{taxon}.gmt"][figid] = value
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)  # no temporary files left
    assert len(expected) >= 5
    for name, sets in expected.items():
        assert parse_gmt((folder / name).read_text(encoding="utf-8")) == sets, name
    total = sum(len(sets) for sets in expected.values())
    assert f"{total} sets in {len(expected)} files" in result.stderr


def test_per_organism_usage_errors(build_dir: Path, tmp_path: Path) -> None:
    base = ["query", "--store", str(build_dir), "--per-organism", str(tmp_path / "x")]
    for extra in (
        ["gene-sets", "--format", "csv"],
        ["gene-sets", "-o", str(tmp_path / "f")],
        ["genes-of-figure"],
    ):
        result = CliRunner().invoke(main, base + extra)
        assert result.exit_code == 2, (extra, result.output)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("value", ["0", "-3", "abc", "3.0", "1e3", "٣", " ", "99999999999999999999"])
def test_bad_min_size_is_a_usage_error(build_dir: Path, value: str) -> None:
    result = CliRunner().invoke(
        main, ["query", "gene-sets", "--store", str(build_dir), "--param", f"min_size={value}"]
    )
    assert result.exit_code == 2
    assert "min_size" in result.output or "count" in result.output


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_count_parameter_accepts_exactly_whole_numbers(text: str) -> None:
    parse = PARAM_TYPES["count"].parse
    stripped = text.strip()
    valid = stripped.isascii() and stripped.isdigit() and 1 <= int(stripped) <= 1_000_000
    if valid:
        _, term = parse(text)
        assert term is not None and int(term.value) == int(stripped)
        assert term.datatype.value == "http://www.w3.org/2001/XMLSchema#integer"
    else:
        with pytest.raises(ParameterError):
            parse(text)


def test_python_api_takes_the_same_parameters(build_dir: Path) -> None:
    from pfocr_ld.query import open_source, plain_value, run_named

    with open_source(store=build_dir) as source:
        sets: dict[str, set[str]] = defaultdict(set)
        for row in run_named(source, "gene-sets", min_size=5, strict=True, taxon="9606"):
            sets[str(plain_value(row["figid"]))].add(str(plain_value(row["geneId"])))
    expected = expected_library(min_size=5, symbol_only=True, taxon="9606")
    assert dict(sets) == {figid: genes for (_, figid), (_, genes) in expected.items()}


# Members as symbols (issue 16) ----------------------------------------------------------------------
def _symbols_of_genes() -> dict[str, set[str]]:
    """Each NCBI Gene id's symbols in the tables (the ncbigene_symbol column; the gene node's label).

    "NA" is R's missing value in PFOCR's tables: such a gene has no symbol.
    """
    symbols: dict[str, set[str]] = defaultdict(set)
    for row in _gene_rows():
        symbol = " ".join((row["ncbigene_symbol"] or "").split())
        if symbol and symbol != "NA":
            symbols[row["entrez"]].add(symbol)
    return symbols


def as_symbols(library: Library) -> Library:
    """The library with each gene written as its symbol(s), or its id when the tables give none."""
    symbols = _symbols_of_genes()
    return {
        figid: (title, {member for gene in genes for member in (symbols.get(gene) or {gene})})
        for figid, (title, genes) in library.items()
    }


def parse_symbol_gmt(text: str) -> Library:
    sets: Library = {}
    for line in text.splitlines():
        name, description, *members = line.split("\t")
        assert members and name not in sets, line
        assert len(members) == len(set(members)), f"{name}: a member twice"
        sets[name] = (description, set(members))
    return sets


def test_symbol_members_differ_from_ids_on_the_sample() -> None:
    """The checks below can fail: symbols are not ids, every gene has at most one symbol, and some
    gene of a kept set has none (it is written as its id)."""
    library = by_figid(expected_library())
    assert as_symbols(library) != library
    symbols = _symbols_of_genes()
    assert all(len(found) == 1 for found in symbols.values())
    assert any(gene not in symbols for _, genes in library.values() for gene in genes)


@pytest.mark.parametrize(
    "args",
    [(), ("--strict",), ("--param", "taxon=9606"), ("--param", "min_size=5", "--param", "taxon=10090")],
)
def test_members_as_symbols(build_dir: Path, args: tuple[str, ...]) -> None:
    """--members symbol (and --param symbols=true) writes the genes' symbols; --members id the ids."""
    params = dict(arg.split("=", 1) for arg in args if "=" in arg)
    expected = by_figid(
        expected_library(
            min_size=int(params.get("min_size", 3)), symbol_only="--strict" in args, taxon=params.get("taxon")
        )
    )
    for option in (("--members", "symbol"), ("--param", "symbols=true")):
        result = CliRunner().invoke(
            main, ["query", "gene-sets", "--store", str(build_dir), "--format", "gmt", *args, *option]
        )
        assert result.exit_code == 0, result.output
        assert parse_symbol_gmt(result.stdout) == as_symbols(expected), option
    assert gene_sets(build_dir, *args, "--members", "id") == expected


def test_members_as_symbols_per_organism(build_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "libraries"
    args = [
        "query",
        "gene-sets",
        "--store",
        str(build_dir),
        "--per-organism",
        str(folder),
        "--members",
        "symbol",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    expected: dict[str, Library] = defaultdict(dict)
    for (taxon, figid), value in expected_library(by_taxon=True).items():
        expected[f"NCBITaxon_{taxon}.gmt"][figid] = value
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)
    for name, sets in expected.items():
        assert parse_symbol_gmt((folder / name).read_text(encoding="utf-8")) == as_symbols(sets), name


def test_members_as_symbols_python_api_and_fallback(build_dir: Path) -> None:
    """run_named(..., symbols=True) adds ?symbol; write_gmt writes it, or the id of a gene without one."""
    import io

    import pyoxigraph as ox

    from pfocr_ld.query import get_query, open_source, plain_value, run_named, write_gmt

    with open_source(store=build_dir) as source:
        rows = list(run_named(source, "gene-sets", symbols=True, taxon="9606"))
    symbols = _symbols_of_genes()
    assert rows and all(
        {str(plain_value(row["symbol"]))} == symbols[str(plain_value(row["geneId"]))] for row in rows
    )
    out = io.StringIO()
    assert write_gmt(rows, out, get_query("gene-sets").gmt or {}) >= 1
    assert parse_symbol_gmt(out.getvalue()) == as_symbols(by_figid(expected_library(taxon="9606")))
    # a gene without a symbol (no ?symbol in its row) is written as its NCBI Gene id
    unlabeled = [{**rows[0], "symbol": None}, *({**row} for row in rows[1:3])]
    out = io.StringIO()
    write_gmt(unlabeled, out, get_query("gene-sets").gmt or {})
    first = out.getvalue().splitlines()[0].split("\t")
    assert str(plain_value(rows[0]["geneId"])) in first[2:]
    assert isinstance(rows[0]["geneId"], ox.Literal)


def test_members_option_is_for_gene_sets_only(build_dir: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "query",
            "genes-of-figure",
            "--store",
            str(build_dir),
            "--members",
            "symbol",
            "--param",
            "figid=PMC3376449__fonc-02-00062-g001",
        ],
    )
    assert result.exit_code == 2 and "symbols" in result.output
