"""The synthetic corpus generator: determinism, record shape, distributions and oddities."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pfocr_ld.synth import (
    CHEMICALS_HEADER,
    CHEMICALS_HEADER_OLD,
    DISEASES_HEADER,
    FIELD_ORDER,
    GENES_HEADER_10,
    GENES_HEADER_11,
    Block,
    dump_front_matter,
    load_profile,
    profile_sample,
    synth_command,
    synthesize,
)

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pfocr-sample"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
HEADERS = {
    "genes": {"\t".join(GENES_HEADER_11), "\t".join(GENES_HEADER_10)},
    "chemicals": {"\t".join(CHEMICALS_HEADER), "\t".join(CHEMICALS_HEADER_OLD)},
    "diseases": {"\t".join(DISEASES_HEADER)},
}
SOURCES = {"ncbigene_symbol", "ncbigene_synonym", "famplex_relations"}


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _front_matter(text: str) -> dict[str, Any]:
    assert text.startswith("---\n") and text.endswith("\n---\n")
    return yaml.load(text[4:-4], Loader=LOADER)


def _tsv(path: Path) -> tuple[str, list[list[str]]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", "a TSV ends with a newline"
    return lines[0], [line.split("\t") for line in lines[1:-1]]


class Corpus:
    """One synthesized tree, parsed once: front matters and TSVs by figid."""

    def __init__(self, root: Path, stats: Any) -> None:
        self.root = root
        self.stats = stats
        self.raw: dict[str, str] = {}
        self.records: dict[str, dict[str, Any]] = {}
        for path in sorted((root / "_figures").glob("*.md")):
            text = path.read_text(encoding="utf-8")
            self.raw[path.stem] = text
            self.records[path.stem] = _front_matter(text)
        self.tables: dict[str, dict[str, tuple[str, list[list[str]]]]] = {
            kind: {} for kind in ("genes", "chemicals", "diseases")
        }
        for path in sorted((root / "_data").glob("*.tsv")):
            figid, kind = path.name[: -len(".tsv")].rsplit("-", 1)
            self.tables[kind][figid] = _tsv(path)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("synth") / "c2000"
    stats = synthesize(2000, root, seed=0)
    return Corpus(root, stats)


@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return load_profile()


# --- the profile ---------------------------------------------------------------------------------


def test_committed_profile_is_the_measurement_of_the_sample(profile: dict[str, Any]) -> None:
    fresh = json.loads(json.dumps(profile_sample(SAMPLE), ensure_ascii=False))
    assert fresh == profile
    assert profile["records"] == 55
    assert profile["genes"]["header_columns"] == {"10": 3, "11": 50}
    genes = profile["genes"]
    # Shares are over distinct organism blocks; the one duplicated block only adds to table sizes.
    assert sum(genes["source_rows"].values()) == genes["block_rows"] < genes["total_rows"]


# --- the emitter ---------------------------------------------------------------------------------


def test_emitter_reproduces_every_real_front_matter_byte_for_byte() -> None:
    figures = sorted((SAMPLE / "_figures").glob("*.md"))
    assert len(figures) == 55
    for path in figures:
        text = path.read_text(encoding="utf-8")
        fields = _front_matter(text)
        if isinstance(fields["keywords"], str) and "\n" in fields["keywords"]:
            fields["keywords"] = Block(fields["keywords"])
        assert dump_front_matter(fields) == text, path.name


_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 :#-'\"?,[]{}|>@%&*!.`~=<+_αβ–’†Ω\t\n")),
    max_size=300,
) | st.sampled_from(
    ["", "NO", "On", "off", "null", "~", "2012", "0.5", "1e3", "- x", "a: b", ".na.character"]
)


@settings(max_examples=300, deadline=None)
@given(
    scalar=_TEXT,
    items=st.lists(_TEXT, max_size=4),
    nested=_TEXT,
    number=st.floats(min_value=0.1, max_value=0.97),
)
def test_emitter_equals_pyyaml_safe_dump(scalar: str, items: list[str], nested: str, number: float) -> None:
    fields = {
        "caption": scalar,
        "organisms": list(items),
        "automl_pathway": number,
        "schema-jsonld": {"@id": nested, "description": scalar, "keywords": items},
    }
    expected = yaml.dump(fields, Dumper=DUMPER, sort_keys=False, allow_unicode=True)
    assert dump_front_matter(fields) == f"---\n{expected}---\n"


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    synthesize(150, tmp_path / "a", seed=7)
    synthesize(150, tmp_path / "b", seed=7)
    synthesize(150, tmp_path / "c", seed=8)
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert len([k for k in a if k.startswith("_figures/")]) == 150
    assert a == b
    figures_a = {k for k in a if k.startswith("_figures/")}
    figures_c = {k for k in c if k.startswith("_figures/")}
    assert figures_a != figures_c


def test_record_i_does_not_depend_on_n(tmp_path: Path) -> None:
    synthesize(40, tmp_path / "small", seed=3)
    synthesize(120, tmp_path / "large", seed=3)
    small, large = _tree(tmp_path / "small"), _tree(tmp_path / "large")
    assert len(large) > len(small)
    assert {name: large.get(name) for name in small} == small


def test_worker_count_does_not_change_a_byte(tmp_path: Path) -> None:
    one = synthesize(400, tmp_path / "one", seed=5, workers=1)
    two = synthesize(400, tmp_path / "two", seed=5, workers=2)
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")
    assert (one.gene_rows, one.distinct_genes) == (two.gene_rows, two.distinct_genes)


def test_output_directory_must_be_empty(tmp_path: Path) -> None:
    (tmp_path / "stale.md").write_text("x")
    with pytest.raises(FileExistsError):
        synthesize(1, tmp_path)


def test_cli_writes_n_records_and_rejects_a_full_directory(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(synth_command, ["5", "--out", str(tmp_path / "out"), "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["records"] == 5
    assert len(list((tmp_path / "out" / "_figures").glob("*.md"))) == 5
    again = runner.invoke(synth_command, ["5", "--out", str(tmp_path / "out")])
    assert again.exit_code == 2


# --- shape of every record -----------------------------------------------------------------------


def test_every_front_matter_parses_and_has_the_real_fields(corpus: Corpus) -> None:
    assert len(corpus.records) == 2000
    alternative = [k for k in FIELD_ORDER if k != "organisms_ner"]
    alternative.insert(alternative.index("figtype") + 1, "organisms_ner")
    orders = Counter(tuple(r) for r in corpus.records.values())
    assert set(orders) <= {FIELD_ORDER, tuple(alternative)}
    assert orders[FIELD_ORDER] > 1800
    for figid, r in corpus.records.items():
        assert r["figid"] == figid
        assert re.fullmatch(r"PMC\d{5,8}__\S+", figid)
        assert r["pmcid"] == figid.split("__")[0]
        assert r["filename"] == figid.split("__", 1)[1] + ".jpg"
        assert re.fullmatch(r"(19|20)\d\d", r["year"])
        assert isinstance(r["automl_pathway"], float) and 0.10 <= r["automl_pathway"] <= 0.97
        assert r["figtype"] in {"Figure", "Scheme", "Supplemental figure"}
        assert isinstance(r["keywords"], str)
        assert r["figid_alias"] == f"{r['pmcid']}__{r['number']}"
        assert r["redirect_from"] == f"/figures/{r['figid_alias']}"
        assert r["seo"] == "CreativeWork"
        assert all(isinstance(o, str) for o in r["organisms"] + r["organisms_ner"])
        sj = r["schema-jsonld"]
        assert list(sj) == [
            "@context",
            "@id",
            "@type",
            "description",
            "license",
            "name",
            "creator",
            "keywords",
        ]
        assert sj["@id"] == f"https://pfocr.wikipathways.org/figures/{figid}.html"
        assert sj["description"] == r["caption"]
        assert all(isinstance(k, str) for k in sj["keywords"])
        assert r["ndex"] == "" or re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-11ea-99da-0ac135e8bacf", r["ndex"])


def test_front_matter_is_what_pyyaml_would_write(corpus: Corpus) -> None:
    checked = 0
    for figid, text in corpus.raw.items():
        if "\nkeywords: |-\n" in text:
            continue  # the real files write that one multi-line keyword string as a block
        fields = corpus.records[figid]
        expected = yaml.dump(fields, Dumper=DUMPER, sort_keys=False, allow_unicode=True)
        assert text == f"---\n{expected}---\n", figid
        checked += 1
    assert checked > 1900


def test_tsv_headers_and_rows_are_real_shapes(corpus: Corpus) -> None:
    for kind, tables in corpus.tables.items():
        assert tables, kind
        for figid, (header, rows) in tables.items():
            assert figid in corpus.records
            assert header in HEADERS[kind]
            width = header.count("\t") + 1
            assert rows and all(len(row) == width for row in rows), (kind, figid)
    for figid, (_header, rows) in corpus.tables["genes"].items():
        assert {row[7] for row in rows} <= SOURCES
        assert all(re.fullmatch(r"\d+|NaN", row[6]) for row in rows)
        names = list(dict.fromkeys(row[1] for row in rows))
        assert corpus.records[figid]["organisms_ner"] == names
    for figid, record in corpus.records.items():
        if figid not in corpus.tables["genes"]:
            assert record["organisms_ner"] == ["NA"]


def test_figids_unique_and_realistically_shaped(corpus: Corpus) -> None:
    figids = list(corpus.records)
    assert len(set(figids)) == len(figids) == 2000
    stems = [f.split("__", 1)[1] for f in figids]
    assert any("." in s for s in stems)
    assert any(any(c.isupper() for c in s) for s in stems)
    papers = Counter(f.split("__")[0] for f in figids)
    assert max(papers.values()) > 1, "some papers contribute several figures"


def test_organism_pages_are_the_samples(corpus: Corpus) -> None:
    written = sorted((corpus.root / "_organisms").glob("*.md"))
    assert len(written) == 22
    for path in written:
        assert path.read_bytes() == (SAMPLE / "_organisms" / path.name).read_bytes()


# --- distributions -------------------------------------------------------------------------------


def test_distributions_follow_the_profile(corpus: Corpus, profile: dict[str, Any]) -> None:
    n = len(corpus.records)
    fig, genes = profile["figures"], profile["genes"]
    combos = fig["table_combos"]
    expected_genes_share = sum(v for k, v in combos.items() if "G" in k) / profile["records"]
    expected_chem_share = sum(v for k, v in combos.items() if "C" in k) / profile["records"]
    assert abs(len(corpus.tables["genes"]) / n - expected_genes_share) < 0.03
    assert abs(len(corpus.tables["chemicals"]) / n - expected_chem_share) < 0.05

    sources = Counter(row[7] for _h, rows in corpus.tables["genes"].values() for row in rows)
    total = sum(sources.values())
    for source, count in genes["source_rows"].items():
        assert abs(sources[source] / total - count / genes["block_rows"]) < 0.05, source

    ten = sum(h == "\t".join(GENES_HEADER_10) for h, _r in corpus.tables["genes"].values())
    assert abs(ten / len(corpus.tables["genes"]) - genes["header_columns"]["10"] / 53) < 0.03

    na_organisms = sum(r["organisms"] == ["NA"] for r in corpus.records.values()) / n
    assert abs(na_organisms - fig["organisms"]["na_only"] / profile["records"]) < 0.05
    with_doi = sum(r["doi"] not in (".na.character", "") for r in corpus.records.values()) / n
    assert abs(with_doi - fig["doi_states"]["present"] / profile["records"]) < 0.08

    captions = [len(r["caption"]) for r in corpus.records.values() if isinstance(r["caption"], str)]
    real_median = fig["caption_chars_quantiles"]["p50"]
    assert abs(statistics.median(captions) - real_median) / real_median < 0.25
    rows_per_table = [len(rows) for _h, rows in corpus.tables["genes"].values()]
    real_rows_median = genes["rows_per_table_quantiles"]["p50"]
    assert abs(statistics.median(rows_per_table) - real_rows_median) / real_rows_median < 0.3

    # Distinct genes grow with N towards the universe size (~30k at 100k records).
    assert 5_000 < corpus.stats.distinct_genes < 20_000


def test_oddities_are_present(corpus: Corpus) -> None:
    gene_rows = [row for _h, rows in corpus.tables["genes"].values() for row in rows]
    assert any(row[5] == "NA" for row in gene_rows), "an NA symbol"
    assert any(row[6] == "NaN" for row in gene_rows), "a NaN gene id"
    assert any(any(ord(c) > 127 for c in row[3]) for row in gene_rows), "a homoglyph OCR word"
    assert any(
        len(rows) != len({tuple(r) for r in rows}) for _h, rows in corpus.tables["chemicals"].values()
    ), "a duplicated chemical row"

    def has_duplicated_block(rows: list[list[str]]) -> bool:
        counts: dict[tuple[str, ...], set[str]] = {}
        for row in rows:
            counts.setdefault(tuple(row[:8]), set()).add(row[8])
        return any(len(c) > 1 and "NA" in c for c in counts.values())

    assert any(has_duplicated_block(rows) for _h, rows in corpus.tables["genes"].values()), (
        "a duplicated gene block differing only in count_direct"
    )
    headers = Counter(h for _f, (h, _r) in corpus.tables["chemicals"].items())
    assert headers["\t".join(CHEMICALS_HEADER_OLD)] > 0

    records = list(corpus.records.values())
    assert any(r["organisms"] == ["NA"] for r in records)
    assert any(len(r["organisms"]) > 1 and "NA" in r["organisms"] for r in records)
    assert any(len(r["organisms"]) >= 20 for r in records)
    assert any(re.search(r"\([^)]*\|[^)]*\)", r["keywords"]) for r in records), "a pipe inside a keyword"
    assert any("\n" in r["keywords"] for r in records), "a |- block keyword"
    assert {r["keywords"] for r in records} >= {"", ".na.character"}
    assert any(r["ndex"] for r in records)
    assert {r["figtype"] for r in records} == {"Figure", "Scheme", "Supplemental figure"}
    assert any(r["figtitle"] != r["figtitle"].rstrip() for r in records), "a title with trailing space"
    assert any(r["caption"] == [] for r in records), "an empty caption list"
    assert any(re.search("[α-ωΑ-Ω–’]", r["caption"] or "") for r in records), "unicode captions"
    assert any(r["schema-jsonld"]["keywords"].count(".na.character") for r in records)

    raw = "".join(corpus.raw.values())
    assert "\n  - 'NO'\n" in raw and "\n  - 'On'\n" in raw, "quoted YAML 1.1 boolean look-alikes"
    assert "\nyear: '" in raw
