"""The oddities of real PFOCR records: missing markers, keywords, table generations, legacy lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pfocr_ld.model import figure_from_source, is_missing, split_keywords
from pfocr_ld.records import OrganismIndex, RecordSource, load_yaml, read_source

MINIMAL = {
    "figid": "PMC1__fig1",
    "figtitle": "A title ",
    "pmcid": "PMC1",
    "filename": "fig1.jpg",
    "caption": "Caption.",
    "organisms": ["Homo sapiens"],
    "automl_pathway": 0.5,
}


def write_record(
    folder: Path, fields: dict, tables: dict[str, str] | None = None, suffix: str = ".md"
) -> Path:
    figures = folder / "_figures"
    data = folder / "_data"
    figures.mkdir(parents=True, exist_ok=True)
    data.mkdir(exist_ok=True)
    path = figures / f"{fields.get('figid', 'record')}{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(fields), encoding="utf-8")
    else:
        import yaml

        path.write_text("---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\n", encoding="utf-8")
    for kind, text in (tables or {}).items():
        (data / f"{fields['figid']}-{kind}.tsv").write_text(text, encoding="utf-8")
    return path


def model_of(path: Path, organisms: OrganismIndex | None = None):
    source = RecordSource(path.stem, str(path), (str(path.parent.parent / "_data"),))
    record = next(read_source(source))
    return figure_from_source(record, organisms or OrganismIndex())


@pytest.mark.parametrize("marker", ["NA", ".na.character", "", "NaN", "  "])
def test_missing_markers(marker: str) -> None:
    assert is_missing(marker)


@pytest.mark.parametrize("value", ["na", "nan", "NO", "On", "Off", "0"])
def test_real_values_that_look_missing_or_boolean_are_kept(value: str) -> None:
    assert not is_missing(value)


def test_yaml_boolean_look_alikes_stay_strings() -> None:
    data = load_yaml("a: NO\nb: 'On'\nc: off\nd: yes\ne: true\nf: '2012'\n")
    assert data == {"a": "NO", "b": "On", "c": "off", "d": "yes", "e": True, "f": "2012"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("osteoblasts | metabolism | glutamine", ("osteoblasts", "metabolism", "glutamine")),
        (
            "ADP | P2 purinergic receptor (P2Y12 | P2Y1) | NAADP",
            ("ADP", "P2 purinergic receptor (P2Y12 | P2Y1)", "NAADP"),
        ),
        ("amination | reaction\nmechanism", ("amination", "reaction mechanism")),
        (".na.character", ()),
        ("", ()),
        ("a | | a | b |", ("a", "b")),
    ],
)
def test_keywords_split_on_pipes_outside_brackets(raw: str, expected: tuple[str, ...]) -> None:
    assert split_keywords(raw) == expected


def test_three_generations_of_tables(tmp_path: Path) -> None:
    genes_10 = (
        "organism_id\torganism_name\torganism_group\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\t"
        "count_direct\tcount_match\n"
        "9606\tHomo sapiens\tPrimates\tHER2\tHER2\tERBB2\t2064\tncbigene_synonym\t6\t23\n"
        # a duplicate that differs only in a count column
        "9606\tHomo sapiens\tPrimates\tHER2\tHER2\tERBB2\t2064\tncbigene_synonym\t6\t24\n"
        "9606\tHomo sapiens\tPrimates\thistones\tHISTONE\tNA\tNaN\tfamplex_relations\t8\t29\n"
        "7227\tDrosophila melanogaster\tInvertebrates\tGAT\tGAT\tna\t32640\tncbigene_synonym\t6\t9\n"
    )
    chemicals_old = "word\tsource\tidentifier\nUDP\tMESH\tD014530\nUDP\tMESH\tD014530\n"
    diseases = (
        "word\tmesh\tmatch\tname\tdoid\n"
        "Melanoma\tmesh:D008545\tNA\tNA\tNA\n"
        "X\tmesh:D000001\tM\tmel\tdoid:1909\n"
    )
    fields = dict(MINIMAL, organisms=["NA", "Homo sapiens", "Drosophila melanogaster", "Unknownia"])
    path = write_record(
        tmp_path, fields, {"genes": genes_10, "chemicals": chemicals_old, "diseases": diseases}
    )
    result = model_of(path)
    figure = result.figure
    assert figure is not None
    # duplicate rows collapse; the NaN id is kept as an unlinked mention; lower-case "na" is a symbol
    assert [(g.gene_id, g.symbol, g.word) for g in figure.genes] == [
        (None, None, "histones"),
        ("2064", "ERBB2", "HER2"),
        ("32640", "na", "GAT"),
    ]
    assert [(c.mesh_id, c.chebi_number, c.word) for c in figure.chemicals] == [("D014530", None, "UDP")]
    assert [(d.mesh_id, d.doid_number) for d in figure.diseases] == [("D000001", "1909"), ("D008545", None)]
    # organisms: NA skipped, names resolved from the genes table, unknown kept and reported
    assert [(o.name, o.taxon_id) for o in figure.organisms] == [
        ("Homo sapiens", "9606"),
        ("Drosophila melanogaster", "7227"),
        ("Unknownia", None),
    ]
    reasons = " ".join(p.reason for p in result.problems)
    assert "Unknownia" in reasons and "unlinked" in reasons


def test_current_chemicals_table_with_chebi(tmp_path: Path) -> None:
    chemicals = (
        "word\tmesh\tmatch\tname\tchebi\n"
        "Fatty acids\tmesh:D005227\tFatty Acids\tfatty acid\tchebi:35366\n"
        "L-tyrosine\tNA\tNA\tNA\tNA\n"
    )
    result = model_of(write_record(tmp_path, MINIMAL, {"chemicals": chemicals}))
    assert result.figure is not None
    chems = result.figure.chemicals
    assert [(c.chebi_number, c.mesh_id, c.name, c.mesh_heading) for c in chems] == [
        (None, None, None, None),
        ("35366", "D005227", "fatty acid", "Fatty Acids"),
    ]


def test_legacy_inline_lists(tmp_path: Path) -> None:
    fields = dict(
        MINIMAL,
        organisms="Homo sapiens",
        genes=[
            {
                "word": "TP53",
                "symbol": "TP53",
                "source": "ncbigene_symbol",
                "hgnc_symbol": "TP53",
                "entrez": 7157,
            }
        ],
        chemicals=[{"word": "UDP", "source": "MESH", "identifier": "D014530"}],
    )
    result = model_of(write_record(tmp_path, fields))
    assert result.figure is not None
    assert [(g.gene_id, g.symbol) for g in result.figure.genes] == [("7157", "TP53")]
    assert [c.mesh_id for c in result.figure.chemicals] == ["D014530"]
    assert [o.name for o in result.figure.organisms] == ["Homo sapiens"]


@pytest.mark.parametrize(
    ("figlink", "expected"),
    [
        ("/pmc/articles/PMC1/figure/F1/", "pmc/articles/PMC1/figure/F1/"),
        ("pmc/articles/PMC1/figure/F1", "pmc/articles/PMC1/figure/F1/"),
        (".na.character", None),
    ],
)
def test_figlink_slashes_are_normalised(tmp_path: Path, figlink: str, expected: str | None) -> None:
    result = model_of(write_record(tmp_path, dict(MINIMAL, figlink=figlink)))
    assert result.figure is not None and result.figure.figure_link == expected


def test_title_whitespace_and_missing_paper_fields(tmp_path: Path) -> None:
    fields = dict(
        MINIMAL,
        figtitle="  Two  spaces\nand a fold  ",
        doi=".na.character",
        journal_title="",
        year="2012",
        keywords="''",
    )
    figure = model_of(write_record(tmp_path, fields)).figure
    assert figure is not None
    assert figure.title == "Two spaces and a fold"
    assert figure.paper.doi is None and figure.paper.journal_title is None and figure.paper.year == "2012"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"figid": None}, "figid"),
        ({"figid": "has space"}, "figid"),
        ({"figid": "../escape"}, "figid"),
        ({"figtitle": "NA"}, "figtitle"),
        ({"pmcid": "12345"}, "pmcid"),
        ({"automl_pathway": "high"}, "automl_pathway"),
    ],
)
def test_unusable_records_are_rejected_with_field_and_reason(
    tmp_path: Path, change: dict, field: str
) -> None:
    fields = {k: v for k, v in dict(MINIMAL, **change).items() if v is not None}
    path = tmp_path / "record.json"
    path.write_text(json.dumps(fields), encoding="utf-8")
    result = model_of(path)
    assert result.figure is None
    errors = [p for p in result.problems if p.severity == "error"]
    assert [p.field for p in errors] == [field]
    assert errors[0].file == str(path) and errors[0].reason


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text("---\nfigid: a\nfigtitle: [unclosed\n---\n", encoding="utf-8")
    result = model_of(path)
    assert result.figure is None
    assert "line" in result.problems[0].reason and result.problems[0].field == "front matter"


def test_unread_fields_are_skipped_without_changing_anything_else(sample_dir: Path) -> None:
    from pfocr_ld.records import drop_unread_fields, split_front_matter

    for page in sorted((sample_dir / "_figures").glob("*.md")):
        front_matter = split_front_matter(page.read_text(encoding="utf-8"))
        everything = load_yaml(front_matter)
        assert "schema-jsonld" in everything
        del everything["schema-jsonld"]
        assert load_yaml(drop_unread_fields(front_matter)) == everything, page.name
    # the block may sit anywhere and hold sequences at the key's own indentation
    text = "a: 1\nschema-jsonld:\n  '@type': Dataset\n  keywords:\n  - x\n- y\nb: 2\n"
    assert load_yaml(drop_unread_fields(text)) == {"a": 1, "b": 2}
    assert load_yaml(drop_unread_fields("a: 1\nschema-jsonld:\n  k: v")) == {"a": 1}
