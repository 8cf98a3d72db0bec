"""One definition of the characters no IRI may hold (:data:`pfocr_ld.rdf.IRI_FORBIDDEN_CHARS`).

The N-Triples writer, check-jsonld's layers, the record model and the SPARQL scanners all read it;
these tests pin the set itself (RFC 3987: controls and space, ``<>"{}|^`\\``) and the model's use.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pfocr_ld import rdf
from pfocr_ld.model import figure_from_source
from pfocr_ld.records import OrganismIndex, RecordSource, read_source

FORBIDDEN = {chr(c) for c in range(0x21)} | set('<>"{}|^`\\')


def test_bad_iri_char_is_exactly_the_forbidden_set() -> None:
    for code in [*range(0x3000), 0xFEFF, 0x10FFFF]:
        char = chr(code)
        assert bool(rdf.BAD_IRI_CHAR.search(char)) == (char in FORBIDDEN), hex(code)


def test_iriref_token_and_the_writer_agree() -> None:
    assert rdf.IRIREF.fullmatch("<https://example.org/a#b?c=d>")
    assert rdf.IRIREF.fullmatch("<>")
    for char in sorted(FORBIDDEN - {">"}):
        text = f"https://example.org/a{char}b"
        assert not rdf.IRIREF.fullmatch(f"<{text}>"), repr(char)
        with pytest.raises(ValueError):
            rdf.iri(text)
    assert rdf.iri("https://example.org/é") == "<https://example.org/é>"
    # the SPARQL scanners embed the class in bigger patterns
    assert re.compile(f"[^{rdf.IRI_FORBIDDEN_CHARS}]+").fullmatch("urn:x:y")


def _figure(tmp_path: Path, **fields: str):  # type: ignore[no-untyped-def]
    record = {
        "figid": "PMC1__fig1",
        "figtitle": "A title",
        "pmcid": "PMC1",
        "filename": "fig1.jpg",
        "caption": "Caption.",
        "organisms": ["Homo sapiens"],
        **fields,
    }
    (tmp_path / "_figures").mkdir()
    (tmp_path / "_data").mkdir()
    path = tmp_path / "_figures" / "PMC1__fig1.md"
    path.write_text("---\n" + yaml.safe_dump(record, allow_unicode=True) + "---\n", encoding="utf-8")
    source = RecordSource(path.stem, str(path), (str(tmp_path / "_data"),))
    return figure_from_source(next(read_source(source)), OrganismIndex())


@pytest.mark.parametrize(
    ("figlink", "kept"),
    [
        ("pmc/articles/PMC1/figure/F1", True),
        ("pmc/articles/PMC1/fig\x01ure/F1", False),  # a control character (was kept before)
        ("pmc/articles/PMC1/figure\u2003F1", False),  # Unicode whitespace stays refused
        ("pmc/articles/PMC1/figure/{F1}", False),
    ],
)
def test_figure_links_with_characters_no_iri_holds_are_dropped(
    tmp_path: Path, figlink: str, kept: bool
) -> None:
    result = _figure(tmp_path, figlink=figlink)
    assert result.figure is not None
    assert (result.figure.figure_link is not None) == kept


@pytest.mark.parametrize(
    ("filename", "kept"),
    [("fig1.jpg", True), ("fig\x7f1.jpg", True), ("fig\x021.jpg", False), ("a/b.jpg", False)],
)
def test_image_file_names_with_characters_no_iri_holds_are_dropped(
    tmp_path: Path, filename: str, kept: bool
) -> None:
    result = _figure(tmp_path, filename=filename)
    assert result.figure is not None
    warned = [p for p in result.problems if p.field == "filename"]
    assert (not warned) == kept, warned
