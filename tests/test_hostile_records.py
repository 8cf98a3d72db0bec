"""Property-based: hostile strings survive the whole pipeline, or the record is rejected with a reason."""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from pathlib import Path

import pyoxigraph as ox
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from pfocr_ld import rdf
from pfocr_ld.contexts import offline_loader
from pfocr_ld.mapping import Mapper
from pfocr_ld.model import figure_from_source
from pfocr_ld.records import OrganismIndex, RecordSource, read_source
from pfocr_ld.vocab import T
from pfocr_ld.writers import serialize_figure

HOSTILE = st.sampled_from(
    [
        '"',
        "'",
        "\\",
        "\n",
        "\r\n",
        "\t",
        "<",
        ">",
        "{",
        "}",
        "|",
        "#",
        "%",
        "&",
        "@",
        "^^",
        '"""',
        "é",
        "Ω",
        "β",
        "–",
        "’",
        "†",
        "\u200b",
        "\U0001f9ec",
        "\x00",
        "\x7f",
        "NA",
        ".na.character",
        "@prefix",
        "_:b0",
        "<http://x/>",
    ]
)
hostile_text = st.lists(st.one_of(HOSTILE, st.text(max_size=5)), max_size=12).map("".join)
figid_chars = st.sampled_from([*"abcXYZ019._-+~", " ", "/", "#", "?", "é", "%", ":"])
odd_figid = st.lists(figid_chars, min_size=1, max_size=30).map(lambda cs: "PMC1__" + "".join(cs))


def collapse(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def literals_of(triples: set[str] | list[ox.Triple], subject: str, predicate: str) -> set[str]:
    return {t.object.value for t in triples if t.subject.value == subject and t.predicate.value == predicate}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    figid=odd_figid,
    title=hostile_text,
    caption=st.one_of(hostile_text, st.text(min_size=3000, max_size=6000)),
    papertitle=hostile_text,
    word=hostile_text,
    keyword=hostile_text,
)
def test_hostile_values_round_trip_or_are_rejected(
    figid: str, title: str, caption: str, papertitle: str, word: str, keyword: str
) -> None:
    word = re.sub(r"[\t\r\n]", " ", word)  # a TSV cell cannot hold a tab or a line break
    fields = {
        "figid": figid,
        "figtitle": title,
        "pmcid": "PMC1",
        "caption": caption,
        "papertitle": papertitle,
        "keywords": keyword.replace("|", "/"),
        "filename": "f.jpg",
        "automl_pathway": 0.5,
    }
    genes = (
        "organism_id\torganism_name\torganism_group\tword\tmatch\tncbigene_symbol\tncbigene_id\tsource\t"
        "count_direct\tcount_match\n"
        f"9606\tHomo sapiens\tPrimates\t{word}\tX\tTP53\t7157\tncbigene_symbol\t1\t1\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        record_path = folder / "record.md"
        record_path.write_text(
            "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\n", encoding="utf-8"
        )
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", figid)
        (folder / f"{figid}-genes.tsv" if "/" not in figid else folder / f"{safe_name}-genes.tsv").write_text(
            genes, encoding="utf-8"
        ) if "\x00" not in figid else None
        source = RecordSource("record", str(record_path), (str(folder),))
        result = figure_from_source(next(read_source(source)), OrganismIndex())

    if result.figure is None:
        errors = [p for p in result.problems if p.severity == "error"]
        assert errors and all(p.field and p.reason for p in errors)
        # rejected only for a reason the record really has
        assert any(p.field in {"figid", "figtitle", "front matter"} for p in errors)
        return

    figure = result.figure
    graph = Mapper().map(figure)
    triples = [rdf.to_oxigraph(t) for t in graph.triples()]
    serialized = serialize_figure(graph, compress_turtle=False)

    turtle = rdf.turtle_prefixes() + serialized.turtle + b"".join(d.turtle for d in serialized.shared)
    nt_bytes = gzip.decompress(serialized.ntriples_gz) + b"".join(d.ntriples for d in serialized.shared)
    from_turtle = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
    from_nt = list(ox.parse(nt_bytes, format=ox.RdfFormat.N_TRIPLES))
    nquads = jsonld.to_rdf(
        json.loads(serialized.jsonld),
        {
            "documentLoader": offline_loader(base="urn:x-base:/"),
            "base": "urn:x-base:/",
            "format": "application/n-quads",
        },
    )
    from_jsonld = list(ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    expected = {str(t) for t in triples}
    assert {str(t) for t in from_turtle} == expected
    assert {str(t) for t in from_nt} == expected
    assert {str(t) for t in from_jsonld} == expected

    iri = graph.iri
    assert literals_of(from_turtle, iri, T.dc["title"]) == {collapse(title)}
    assert literals_of(from_turtle, iri, T.dcterms["identifier"]) == {figid.strip()}
    if caption.strip() not in {"", "NA", ".na.character", "NaN"}:
        assert literals_of(from_turtle, iri, T.dcterms["description"]) == {caption.strip()}
    words = {t.object.value for t in from_turtle if t.predicate.value == T.pfocr["ocrWord"]}
    if collapse(word) and collapse(word) not in {"NA", ".na.character", "NaN"} and "/" not in figid:
        assert words == {collapse(word)}
    # the figure IRI is one absolute IRI whatever the figid held
    assert iri.startswith("https://pfocr.wikipathways.org/figures/") and " " not in iri and "#" not in iri


def test_lone_surrogate_is_rejected_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "surrogate.json"
    path.write_text(
        '{"figid": "PMC1__f", "figtitle": "bad \\ud800 title", "pmcid": "PMC1"}', encoding="utf-8"
    )
    result = figure_from_source(next(read_source(RecordSource("s", str(path), ()))), OrganismIndex())
    assert result.figure is None
    assert [p.field for p in result.problems if p.severity == "error"] == ["figtitle"]
    assert "surrogate" in result.problems[0].reason
