"""Identifiers come only from canonical source values and are published as written.

``1e5``, ``+42``, ``4.0``, Arabic-Indic digits and ``1e300`` were once published as NCBI Gene ids
100000, 42, 4, 123 and a 301-digit float artefact; an organism page's Arabic-Indic ``ncbi`` became
taxon 9606; ``doid:0060239`` became ``obo:DOID_60239``, an IRI that does not exist; and a genes row
whose word is literally ``NA`` (the fly gene *na*) was dropped with its valid gene id.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pfocr_ld import vocab
from pfocr_ld.limits import ID_DIGITS
from pfocr_ld.mapping import Mapper
from pfocr_ld.model import MISSING_MARKERS, figure_from_source
from pfocr_ld.records import OrganismIndex, RecordSource, read_organism_pages, read_source
from pfocr_ld.vocab import T

GENES_HEADER = (
    "organism_id\torganism_name\torganism_group\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\t"
    "count_direct\tcount_match\n"
)


def expected_id(value: str) -> str | None:
    """The oracle: an id is 1..ID_DIGITS ASCII digits as written (cells are trimmed), not all zeros."""
    stripped = value.strip()
    if re.fullmatch(rf"[0-9]{{1,{ID_DIGITS}}}", stripped) and stripped.strip("0"):
        return stripped
    return None


def is_missing(value: str) -> bool:
    return value.strip() in MISSING_MARKERS or not value.strip().strip("0")


NON_ASCII_DIGITS = st.text(
    alphabet=st.characters(categories=["Nd"], exclude_characters="0123456789"), min_size=1, max_size=6
)
SPELLINGS = st.sampled_from(
    [
        "+42",
        "-42",
        "4.0",
        "1e5",
        "1e300",
        "4_2",
        "0x1F",
        "٤٢",
        "١٢٣",
        "42\u00a0",
        "0042",
        "0",
        "000",
        "NaN",
        "NA",
    ]
)
ID_TEXT = st.one_of(
    SPELLINGS,
    NON_ASCII_DIGITS,
    st.text(alphabet="0123456789", min_size=1, max_size=20),
    st.text(alphabet="0123456789", min_size=13, max_size=4000),  # a cell holds up to 4,096
    st.tuples(
        st.sampled_from(["", "+", "-", " ", "\u2009", "0"]),
        st.text(alphabet="0123456789", min_size=1, max_size=10),
        st.sampled_from(["", ".0", "e5", "E+3", " ", "\u00a0", "_1", "٣"]),
    ).map("".join),
    st.text(max_size=12),
).filter(lambda v: not re.search(r"[\t\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]", v))


def model(folder: Path, tables: dict[str, str], index: OrganismIndex | None = None, **fields: object):
    record = folder / "PMC1__f.md"
    base = {"figid": "PMC1__f", "figtitle": "T", "pmcid": "PMC1"}
    base.update(fields)
    record.write_text("---\n" + yaml.safe_dump(base, allow_unicode=True) + "---\n", encoding="utf-8")
    for kind, text in tables.items():
        (folder / f"PMC1__f-{kind}.tsv").write_text(text, encoding="utf-8")
    source = RecordSource("PMC1__f", str(record), (str(folder),))
    return figure_from_source(next(read_source(source)), index or OrganismIndex())


def iris_with_prefix(triples: list[tuple[str, str, str]], prefix: str) -> set[str]:
    found = set()
    for triple in triples:
        for term in triple:
            term = term.strip("<>")
            if term.startswith(prefix):
                found.add(term[len(prefix) :])
    return found


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=ID_TEXT)
def test_only_ascii_digit_ids_as_written_are_published(value: str) -> None:
    genes = (
        GENES_HEADER + f"{value}\tHomo sapiens\tPrimates\tWORD\tWORD\tSYM\t{value}\tncbigene_symbol\t1\t1\n"
    )
    chemicals = f"word\tmesh\tmatch\tname\tchebi\nsugar\tNA\tNA\tsugar\t{value}\n"
    diseases = f"word\tmesh\tmatch\tname\tdoid\nill\tNA\tNA\till\t{value}\n"
    with tempfile.TemporaryDirectory() as tmp:
        result = model(
            Path(tmp),
            {"genes": genes, "chemicals": chemicals, "diseases": diseases},
            organisms=["Homo sapiens"],
        )
    assert result.figure is not None, result.problems
    figure = result.figure
    want = expected_id(value)
    assert [g.gene_id for g in figure.genes] == [want]
    assert [g.taxon_id for g in figure.genes] == [want]
    assert [c.chebi_number for c in figure.chemicals] == [want]
    assert [d.doid_number for d in figure.diseases] == [want]
    triples = Mapper().map(figure).triples()
    published = {
        "gene": iris_with_prefix(triples, vocab.NCBIGENE),
        "taxon": iris_with_prefix(triples, vocab.NCBITAXON),
        "chebi": iris_with_prefix(triples, vocab.CHEBI + "CHEBI:"),
        "doid": iris_with_prefix(triples, vocab.DOID),
    }
    for kind, ids in published.items():
        assert ids == ({want} if want else set()), (kind, ids)
    if want is None and not is_missing(value):
        # reported as unlinked, naming the table, the field and the offending value
        shown = repr(value.strip() if len(value.strip()) <= 40 else value.strip()[:40] + "…")
        for field_name in ("ncbigene_id", "organism_id", "mesh/chebi", "mesh/doid"):
            assert any(
                p.field == field_name
                and p.severity == "warning"
                and shown in p.reason
                and p.file.endswith(".tsv")
                for p in result.problems
            ), (field_name, result.problems)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=ID_TEXT)
def test_organism_page_taxa_only_from_ascii_digits(value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        page = {"latin": "Testus exemplaris", "ncbi": value}
        (folder / "testus.md").write_text(
            "---\n" + yaml.safe_dump(page, allow_unicode=True) + "---\n", encoding="utf-8"
        )
        problems: list = []
        index = read_organism_pages([folder], problems)
    want = expected_id(value)
    assert index.lookup("Testus exemplaris") == want
    if want is None:
        assert [(Path(p.file).name, p.field) for p in problems] == [("testus.md", "ncbi")]


def test_yaml_integer_spellings_are_not_read_as_ids(tmp_path: Path) -> None:
    # unquoted YAML: +9606 and 0x2586 are integers to YAML 1.1, but not as written
    for spelling in ("+9606", "0x2586", "9_606", "9606.0"):
        (tmp_path / "page.md").write_text(f"---\nlatin: Testus\nncbi: {spelling}\n---\n", encoding="utf-8")
        assert read_organism_pages([tmp_path], []).lookup("Testus") is None, spelling
    (tmp_path / "page.md").write_text("---\nlatin: Testus\nncbi: 9606\n---\n", encoding="utf-8")
    assert read_organism_pages([tmp_path], []).lookup("Testus") == "9606"


def test_real_record_identifiers_end_to_end(tmp_path: Path, sample_dir: Path) -> None:
    """DOID leading zeros, the fly gene na and an Arabic-Indic taxon, through `pfocr-ld build`."""
    checkout = tmp_path / "checkout"
    for folder in ("_figures", "_data", "_organisms"):
        (checkout / folder).mkdir(parents=True)
    (checkout / "_organisms" / "arabicus.md").write_text(
        "---\nlatin: Testus arabicus\ncommon: test organism\nncbi: '٩٦٠٦'\n---\n", encoding="utf-8"
    )
    (checkout / "_organisms" / "fly.md").write_text(
        "---\nlatin: Drosophila melanogaster\nncbi: '7227'\n---\n", encoding="utf-8"
    )
    fields = {
        "figid": "PMC1__ids",
        "figtitle": "Identifiers as written",
        "pmcid": "PMC1",
        "caption": "A figure.",
        "filename": "f.jpg",
        "organisms": ["Testus arabicus", "Drosophila melanogaster"],
    }
    (checkout / "_figures" / "PMC1__ids.md").write_text(
        "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\n", encoding="utf-8"
    )
    (checkout / "_data" / "PMC1__ids-genes.tsv").write_text(
        GENES_HEADER + "7227\tDrosophila melanogaster\tInsects\tNA\tNA\tna\t32640\tncbigene_symbol\t1\t1\n",
        encoding="utf-8",
    )
    (checkout / "_data" / "PMC1__ids-diseases.tsv").write_text(
        "word\tmesh\tmatch\tname\tdoid\nCOVID-19\tmesh:D000086382\tCOVID-19\tCOVID-19\tdoid:0080600\n"
        "long COVID\tNA\tNA\tpost-COVID-19 condition\tdoid:0060239\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "pfocr_ld.cli", "build", str(checkout), "--out", str(out), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr  # validated (SHACL) and published
    graph = ox.Store()
    graph.load(path=str(out / "pfocr.ttl"), format=ox.RdfFormat.TURTLE)
    figure = ox.NamedNode("https://pfocr.wikipathways.org/figures/PMC1__ids.html")

    def objects(subject: ox.NamedNode, predicate: str) -> set[str]:
        return {q.object.value for q in graph.quads_for_pattern(subject, ox.NamedNode(predicate), None)}

    tags = objects(figure, T.wp["diseaseOntologyTag"])
    assert tags == {vocab.doid_iri("0080600"), vocab.doid_iri("0060239")}
    assert "obo/DOID_60239" not in (out / "pfocr.ttl").read_text(encoding="utf-8")
    # the fly gene na keeps its mention and link; its word is "NA" as written
    gene = vocab.gene_iri("32640")
    mentions = [
        q.subject for q in graph.quads_for_pattern(None, ox.NamedNode(T.wp["isAbout"]), ox.NamedNode(gene))
    ]
    assert len(mentions) == 1
    assert objects(mentions[0], T.pfocr["ocrWord"]) == {"NA"}
    assert objects(ox.NamedNode(gene), T.rdfs["label"]) == {"na"}
    # the Arabic-Indic taxon is not read as 9606: the name is kept, no taxon
    assert objects(figure, T.wp["organism"]) == {vocab.taxon_iri("7227")}
    assert "Testus arabicus" in objects(figure, T.wp["organismName"])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    page_warnings = [w for w in report["warnings"] if Path(w["file"]).name == "arabicus.md"]
    assert [w["field"] for w in page_warnings] == ["ncbi"] and "'٩٦٠٦'" in page_warnings[0]["reason"]
