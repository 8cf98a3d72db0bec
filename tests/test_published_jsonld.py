"""Every JSON-LD document the build publishes passes `check-jsonld` (our profile, Bioschemas, --against)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pfocr_ld import rdf
from pfocr_ld.build import BuildReport
from pfocr_ld.check_jsonld import check_path
from pfocr_ld.mapping import Mapper
from pfocr_ld.model import figure_from_source
from pfocr_ld.records import discover, read_organism_pages, read_source

# The one gene of the sample whose genes table has no symbol (ncbigene_symbol NA): Bioschemas' Gene
# minimum asks for a name the source does not have. The checker is right to say so.
NAMELESS_GENE = ("PMC171382__pq1632821001", "ncbigene:32640")


@pytest.fixture(scope="module")
def figure_blocks(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each figure's own complete Turtle block (its triples and those of every node it links to)."""
    folder = tmp_path_factory.mktemp("blocks")
    found = discover([sample_dir])
    organisms = read_organism_pages(found.organism_dirs, [])
    blocks = {}
    for source in found.sources:
        figure = figure_from_source(next(read_source(source)), organisms).figure
        assert figure is not None
        path = folder / f"{figure.figid}.ttl"
        path.write_bytes(rdf.turtle_prefixes() + rdf.turtle(Mapper().map(figure).triples()))
        blocks[figure.figid] = path
    return blocks


def test_published_documents_pass_every_check(
    sample_build: tuple[Path, BuildReport], figure_blocks: dict[str, Path]
) -> None:
    out, _ = sample_build
    documents = sorted((out / "jsonld").glob("*.jsonld"))
    assert len(documents) == 55
    # what the build's own validation told the curator, per figure: the checker must say the same
    build_warnings: dict[str, list[str]] = {}
    unlinked_in_report: set[str] = set()
    for problem in json.loads((out / "report.json").read_text(encoding="utf-8"))["warnings"]:
        if "details" in problem:
            build_warnings.setdefault(problem["figid"], []).append(problem["details"]["message"])
        elif "unlinked mentions" in problem["reason"]:
            unlinked_in_report.add(problem["figid"])
    unlinked_in_checker: set[str] = set()
    unexpected = []
    warnings = 0
    for document in documents:
        curator_warnings: list[str] = []
        (report,) = check_path(
            document,
            base="urn:x-no-relative-iris:/",
            profiles=["pfocr", "bioschemas"],
            against=figure_blocks[document.stem],
        )
        for finding in report.findings:
            if finding.severity == "warning" and "recommended property" in finding.message:
                warnings += 1  # Bioschemas' recommended properties PFOCR has no data for
                continue
            if document.stem == NAMELESS_GENE[0] and "schema:name is missing" in finding.message:
                continue
            if finding.severity == "info" and "kept as OCR evidence only" in finding.message:
                unlinked_in_checker.add(document.stem)
                continue
            if finding.severity == "warning" and finding.message.startswith("[pfocr] "):
                message = finding.message.removeprefix("[pfocr] ")
                curator_warnings.append(re.sub(r" \(value: .*\)$", "", message))
                continue
            unexpected.append(
                (document.stem, finding.code, finding.severity, finding.location, finding.message)
            )
        assert sorted(curator_warnings) == sorted(build_warnings.get(document.stem, [])), document.stem
    assert unexpected == []
    assert unlinked_in_checker == unlinked_in_report != set()
    assert warnings > 0  # the recommended-property layer did run


def test_against_finds_a_missing_triple(
    sample_build: tuple[Path, BuildReport], figure_blocks: dict[str, Path]
) -> None:
    """The comparison is not vacuous: another figure's block shows as missing and extra triples."""
    out, _ = sample_build
    her2, other = "PMC3376449__fonc-02-00062-g001", "PMC10003241__ijms-24-04893-g003"
    (report,) = check_path(out / "jsonld" / f"{her2}.jsonld", base="urn:x:/", against=figure_blocks[other])
    codes = {finding.code for finding in report.findings}
    assert {"missing-triple", "extra-triple"} <= codes


def test_web_page_blocks_meet_the_bioschemas_dataset_minimum(sample_build: tuple[Path, BuildReport]) -> None:
    out, _ = sample_build
    blocks = sorted((out / "schemaorg").glob("*.jsonld"))
    assert len(blocks) == 55
    for block in blocks:
        (report,) = check_path(block, base="urn:x-no-relative-iris:/", profiles=["bioschemas"])
        errors = [
            (f.code, f.message)
            for f in report.findings
            if f.severity == "error"
            and not (block.stem == NAMELESS_GENE[0] and "schema:name is missing" in f.message)
        ]
        assert errors == [], block.name
        assert not [f for f in report.findings if "Dataset" in f.message and "minimum" in f.message]
