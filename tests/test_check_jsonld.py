"""``pfocr-ld check-jsonld``: one small fixture per finding code, the real PFOCR block, the CLI.

Fixtures are in ``tests/data/jsonld/``. Nothing here may touch the network: an autouse fixture
makes every socket connection fail, so a context the checker tried to fetch would show up as an
error rather than a slow pass.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import rdflib
from click.testing import CliRunner

from pfocr_ld import check_jsonld, resources
from pfocr_ld.check_jsonld import (
    ALL_CHECKS,
    FINDING_CODES,
    PROCESSING_CHECKS,
    Check,
    Finding,
    HtmlExtractionError,
    analyse_document,
    check_document,
    check_path,
    html_document,
    load_vocabulary,
)
from pfocr_ld.cli import main

DATA = Path(__file__).resolve().parent / "data" / "jsonld"
SAMPLE_RECORD = (
    Path(__file__).resolve().parent.parent
    / "examples"
    / "pfocr-sample"
    / "_figures"
    / "PMC3376449__fonc-02-00062-g001.md"
)
BASE = "https://example.org/docs/doc.jsonld"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("check-jsonld tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def findings_of(name: str, **kwargs: Any) -> list[Finding]:
    reports = check_path(DATA / name, **kwargs)
    assert len(reports) == 1
    return reports[0].findings


def codes(findings: list[Finding], severity: str | None = None) -> set[str]:
    return {f.code for f in findings if severity is None or f.severity == severity}


def at(findings: list[Finding], code: str) -> dict[str, Finding]:
    return {f.location: f for f in findings if f.code == code}


# A clean document -------------------------------------------------------------------------------


def test_valid_dataset_has_no_findings() -> None:
    assert findings_of("valid-dataset.jsonld") == []


def test_valid_dataset_meets_the_bioschemas_minimum() -> None:
    findings = findings_of("valid-dataset.jsonld", profiles=["bioschemas"])
    assert codes(findings, "error") == set()
    # the recommended properties it lacks are warnings, never errors
    assert {f.severity for f in findings} == {"warning"}
    assert any("citation" in f.message for f in findings)


# Syntax -----------------------------------------------------------------------------------------


def test_json_syntax_error_has_line_and_column() -> None:
    (finding,) = findings_of("json-syntax.jsonld")
    assert (finding.severity, finding.code) == ("error", "json-syntax")
    assert (finding.line, finding.column) == (4, 3)
    assert finding.location == "line 4, column 3"


def test_duplicate_key_is_a_warning() -> None:
    findings = check_document('{"@context": "https://schema.org/", "name": "a", "name": "b"}', base=BASE)
    assert [(f.severity, f.code) for f in findings] == [("warning", "duplicate-key")]


def test_not_an_object_or_array() -> None:
    findings = check_document('"just a string"', base=BASE)
    assert codes(findings, "error") == {"not-jsonld"}


def test_utf8_is_required() -> None:
    findings = check_document(b'{"name": "\xff"}', base=BASE)
    assert codes(findings, "error") == {"json-syntax"}


# JSON-LD processing errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "code", "location"),
    [
        ("invalid-term-definition.jsonld", "invalid term definition", '$["@context"]'),
        ("protected-term.jsonld", "protected term redefinition", '$["@context"][1]'),
    ],
)
def test_processing_errors_carry_the_spec_error_code(fixture: str, code: str, location: str) -> None:
    findings = findings_of(fixture)
    assert [(f.severity, f.code, f.location) for f in findings] == [("error", code, location)]


def test_invalid_iri_mapping() -> None:
    findings = check_document({"@context": {"term": {"@id": 5}}, "term": 1}, base=BASE)
    assert [(f.severity, f.code, f.location) for f in findings] == [
        ("error", "invalid IRI mapping", '$["@context"]')
    ]


def test_remote_context_is_never_fetched() -> None:
    findings = findings_of("remote-context.jsonld")
    by_code = {f.code: f for f in findings}
    assert by_code["remote-context"].severity == "error"
    assert "https://example.org/contexts/not-bundled.jsonld" in by_code["remote-context"].message
    assert by_code["loading remote context failed"].severity == "error"


def test_bundled_contexts_need_no_network() -> None:
    for context in ("https://schema.org/", "http://schema.org", check_jsonld.vocab.CONTEXT_IRI):
        document = {"@context": context, "@id": "https://example.org/x", "@type": "schema:Dataset"}
        assert "remote-context" not in codes(check_document(document, base=BASE))


def test_processor_warnings_become_findings() -> None:
    document = {
        "@context": {"@vocab": "http://schema.org/", "@reserved": "http://example.org/r"},
        "name": "x",
    }
    findings = check_document(document, base=BASE)
    assert [(f.severity, f.code) for f in findings] == [("warning", "processor-warning")]
    assert "reserved" in findings[0].message


# Dropped terms ------------------------------------------------------------------------------------


def test_dropped_terms_are_reported_with_their_path() -> None:
    dropped = at(findings_of("dropped-term.jsonld"), "dropped-term")
    assert set(dropped) == {"$.descripton", "$.ignored", "$.part"}
    assert dropped["$.descripton"].severity == "error"
    assert dropped["$.part"].severity == "error"
    # a term the context maps to null is dropped on purpose: a warning
    assert dropped["$.ignored"].severity == "warning"


def test_dropped_term_in_nested_objects_and_arrays() -> None:
    document = {
        "@context": {"@vocab": "http://schema.org/", "hasPart": {"@id": "http://schema.org/hasPart"}},
        "@id": "https://example.org/a",
        "hasPart": [
            {"@context": {"@vocab": None}, "@id": "https://example.org/b", "lost": 1},
        ],
    }
    assert set(at(check_document(document, base=BASE), "dropped-term")) == {"$.hasPart[0].lost"}


# IRIs ---------------------------------------------------------------------------------------------


def test_relative_iris_are_errors() -> None:
    relative = at(
        findings_of("relative-iri.jsonld", base="https://pfocr.example/x/doc.jsonld"), "relative-iri"
    )
    assert set(relative) == {'$["@id"]', "$.license"}
    assert all(f.severity == "error" for f in relative.values())
    assert "https://pfocr.example/x/CC0" in relative["$.license"].message


def test_relative_iri_that_stays_relative() -> None:
    document = {"@context": {"@base": None, "@vocab": "http://schema.org/"}, "@id": "thing", "name": "x"}
    relative = at(check_document(document, base=BASE), "relative-iri")
    assert set(relative) == {'$["@id"]'}
    assert "drops every triple" in relative['$["@id"]'].message


def test_relative_context_reference_still_loads() -> None:
    # a relative context IRI resolves against the real base (the probe maps it back)
    documents = {"https://example.org/docs/ctx.jsonld": {"@context": {"@vocab": "http://schema.org/"}}}
    findings = check_document(
        {"@context": "ctx.jsonld", "@id": "https://example.org/x", "name": "y"},
        base=BASE,
        documents=documents,
    )
    assert findings == []


def test_invalid_iri_characters() -> None:
    document = {"@context": {"@vocab": "http://schema.org/"}, "@id": "https://example.org/a b", "name": "x"}
    invalid = at(check_document(document, base=BASE), "invalid-iri")
    assert invalid and all(f.severity == "error" for f in invalid.values())


def test_invalid_language_tag_is_left_out_of_the_rdf() -> None:
    document = {
        "@context": {"@vocab": "http://schema.org/"},
        "@id": "https://example.org/a",
        "name": {"@value": "x", "@language": "not a tag"},
    }
    result = analyse_document(document, base=BASE)
    assert codes(result.findings) == {"invalid-language-tag"}
    assert result.nquads == ""


# Vocabulary ---------------------------------------------------------------------------------------


def test_unknown_terms_in_known_vocabularies() -> None:
    unknown = at(findings_of("unknown-term.jsonld"), "unknown-term")
    messages = " ".join(f.message for f in unknown.values())
    assert {"$.nmae", '$["pfocr:figureNumbr"]', '$["wp:organsmName"]', '$["@type"]'} <= set(unknown)
    assert "pfocr:Figur" in messages
    # defined terms pass: schema:name, pfocr:figureNumber, wp:organismName, wp:Pathway
    assert {"$.name", '$["pfocr:figureNumber"]', '$["wp:organismName"]'}.isdisjoint(unknown)
    assert all(f.severity == "error" for f in unknown.values())


def test_superseded_schema_term() -> None:
    superseded = at(findings_of("unknown-term.jsonld"), "superseded-term")
    assert superseded["$.isBasedOnUrl"].severity == "warning"
    assert "schema:isBasedOn" in superseded["$.isBasedOnUrl"].message


def test_https_schema_org_terms_are_the_same_terms() -> None:
    document = {
        "@context": {"@vocab": "https://schema.org/"},
        "@id": "https://example.org/x",
        "@type": "Dataset",
    }
    assert check_document({**document, "name": "x"}, base=BASE) == []
    assert codes(check_document({**document, "nmae": "x"}, base=BASE)) == {"unknown-term"}


def test_domain_mismatch_respects_subclasses_and_inheritance() -> None:
    mismatches = at(findings_of("domain-mismatch.jsonld"), "domain-mismatch")
    # headline (CreativeWork) on a ScholarlyArticle and name (Thing) are fine
    assert set(mismatches) == {"$.gtin", "$.author.headline"}
    assert all(f.severity == "warning" for f in mismatches.values())


def test_domain_through_our_ontology() -> None:
    # pfocr:Figure is a subclass of schema:Dataset in ontology/pfocr.ttl: keywords fit it
    assert check_jsonld.find_ontology() is not None, "ontology/pfocr.ttl must ship with the package"
    document = {
        "@context": ["https://schema.org/", {"pfocr": check_jsonld.vocab.PFOCR}],
        "@id": "https://example.org/figure",
        "@type": "pfocr:Figure",
        "keywords": "ERBB2",
        "gtin": "1",
    }
    assert set(at(check_document(document, base=BASE), "domain-mismatch")) == {"$.gtin"}


def test_string_where_an_iri_is_expected() -> None:
    strings = at(findings_of("string-not-iri.jsonld"), "string-not-iri")
    assert strings["$.url"].severity == "error"  # schema:url expects a URL
    assert strings["$.about"].severity == "warning"  # schema:about expects a Thing; text is tolerated
    assert "$.identifier" not in strings  # identifier admits Text


def test_string_coerced_to_a_relative_iri() -> None:
    findings = check_document(
        {"@context": "https://schema.org/", "@type": "Dataset", "license": "CC0"}, base=BASE
    )
    assert at(findings, "string-not-iri")["$.license"].severity == "error"
    assert "$.license" in at(findings, "relative-iri")


def test_vocabulary_knows_schema_pfocr_and_wp() -> None:
    vocabulary = load_vocabulary()
    assert "http://schema.org/Dataset" in vocabulary.classes
    assert "http://schema.org/name" in vocabulary.properties
    assert check_jsonld.vocab.T.pfocr["ocrWord"] in vocabulary.properties
    assert check_jsonld.vocab.T.wp["Pathway"] in vocabulary.classes
    assert "http://schema.org/CreativeWork" in vocabulary.ancestors("http://schema.org/ScholarlyArticle")


# Layers -------------------------------------------------------------------------------------------


def test_processing_checks_leave_out_vocabulary_layers() -> None:
    document = json.loads((DATA / "unknown-term.jsonld").read_text())
    assert check_document(document, base=BASE, checks=PROCESSING_CHECKS) == []
    assert "unknown-term" in codes(check_document(document, base=BASE, checks=ALL_CHECKS))
    only_dropped = check_document(
        json.loads((DATA / "dropped-term.jsonld").read_text()),
        base=BASE,
        checks={Check.PROCESSING, Check.DROPPED},
    )
    assert codes(only_dropped) == {"dropped-term"}


def test_every_emitted_code_is_documented() -> None:
    for path in sorted(DATA.iterdir()):
        for report in check_path(path, profiles=["bioschemas"]):
            for finding in report.findings:
                assert finding.code in FINDING_CODES or " " in finding.code, finding


# HTML ---------------------------------------------------------------------------------------------


def test_html_blocks_are_checked_one_by_one() -> None:
    reports = check_path(DATA / "page.html")
    assert len(reports) == 2
    first, second = reports
    assert first.document.endswith("#script[1] (line 6)")
    # the <base> element is the base: the relative @id resolves under it
    (relative,) = first.findings
    assert relative.code == "relative-iri"
    assert "https://pfocr.wikipathways.org/figures/PMC1.html" in relative.message
    (syntax,) = second.findings
    assert (syntax.code, syntax.line, syntax.column) == ("invalid script element", 19, 5)


def test_html_without_jsonld() -> None:
    assert codes(findings_of("no-jsonld.html")) == {"no-jsonld"}


def test_html_document_follows_the_jsonld_html_rules() -> None:
    text = (DATA / "page.html").read_text()
    document, base = html_document(text, base="https://example.org/page.html")
    assert base == "https://pfocr.wikipathways.org/figures/"
    assert document["@id"] == "PMC1.html"
    with pytest.raises(HtmlExtractionError) as missing:
        html_document(text, base="https://example.org/page.html", fragment="nope")
    assert missing.value.code == "loading document failed"
    with pytest.raises(HtmlExtractionError) as invalid:
        html_document(text, base="https://example.org/page.html", extract_all=True)
    assert invalid.value.code == "invalid script element"


# PFOCR records ------------------------------------------------------------------------------------


def test_real_pfocr_block_license_is_not_an_iri() -> None:
    (report,) = check_path(SAMPLE_RECORD)
    assert report.document.endswith("#schema-jsonld")
    license_findings = [f for f in report.findings if f.location == "$.license"]
    assert {f.code for f in license_findings} == {"relative-iri", "string-not-iri"}
    assert all(f.severity == "error" for f in license_findings)
    # the position is the record file's: the line of "license: CC0"
    lines = SAMPLE_RECORD.read_text().splitlines()
    assert lines[license_findings[0].line - 1].strip() == "license: CC0"


def test_real_pfocr_block_against_bioschemas() -> None:
    (report,) = check_path(SAMPLE_RECORD, profiles=["bioschemas"])
    violations = [f.message for f in report.findings if f.code == "shacl" and f.severity == "error"]
    assert any("schema:identifier is missing" in m for m in violations)
    assert any("schema:url is missing" in m for m in violations)
    assert any("schema:license must be" in m for m in violations)
    # name "CreativeWork" is a string, as the profile asks: SHACL cannot see it is wrong
    assert not any("schema:name" in m for m in violations)


def test_record_yaml_errors_and_missing_block() -> None:
    (bad,) = findings_of("bad-yaml.md")
    assert (bad.code, bad.severity, bad.line) == ("yaml-syntax", "error", 6)
    assert codes(findings_of("no-block.md")) == {"no-jsonld"}


# SHACL profiles -----------------------------------------------------------------------------------

BIOSCHEMAS_MINIMUM = {
    "Dataset": {"description", "identifier", "keywords", "license", "name", "url"},
    "Gene": {"identifier", "name"},
    "MolecularEntity": {"identifier", "name", "url"},
    "ChemicalSubstance": {"name", "identifier", "url"},
    "ScholarlyArticle": {"headline", "identifier"},
}


@pytest.mark.parametrize(("cls", "minimum"), sorted(BIOSCHEMAS_MINIMUM.items()))
def test_bioschemas_minimum_properties_are_violations(cls: str, minimum: set[str]) -> None:
    document = {"@context": "https://schema.org/", "@id": "https://example.org/x", "@type": cls}
    findings = check_document(document, base=BASE, profiles=["bioschemas"])
    missing = {
        message.split("schema:")[1].split(" ")[0]
        for message in (f.message for f in findings if f.code == "shacl" and f.severity == "error")
        if "minimum property" in message
    }
    assert missing == minimum


def test_bioschemas_url_must_be_an_iri() -> None:
    shacl = [f for f in findings_of("gene.jsonld", profiles=["bioschemas"]) if f.code == "shacl"]
    url = [f for f in shacl if f.location == "$.url"]
    assert url and url[0].severity == "error" and "absolute http(s) IRI" in url[0].message
    # a recommended property is only a warning
    assert any(f.severity == "warning" and "schema:description" in f.message for f in shacl)


def _bioschemas_shapes() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((resources.DATA_DIR / "bioschemas").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def test_bioschemas_shapes_are_valid_shacl() -> None:
    import pyshacl

    conforms, _, text = pyshacl.validate(rdflib.Graph(), shacl_graph=_bioschemas_shapes(), meta_shacl=True)
    assert conforms, text


def test_every_bioschemas_shape_has_a_message_and_a_description() -> None:
    graph = _bioschemas_shapes()
    sh = rdflib.Namespace(check_jsonld.vocab.SH)
    shapes = set(graph.subjects(rdflib.RDF.type, sh.NodeShape)) | set(
        graph.subjects(rdflib.RDF.type, sh.PropertyShape)
    )
    assert len(shapes) > 30
    for shape in shapes:
        assert graph.value(shape, sh.message) is not None, shape
        assert graph.value(shape, sh.description) is not None, shape
        if str(shape).endswith("-minimum"):
            assert graph.value(shape, sh.severity) == sh.Violation, shape
        if str(shape).endswith("-recommended"):
            assert graph.value(shape, sh.severity) == sh.Warning, shape


def _no_pfocr_shapes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(resources, "shapes_dir", lambda: tmp_path / "bundled-shapes")
    monkeypatch.setattr(resources, "PACKAGE_DIR", tmp_path / "pkg" / "pfocr_ld")


def test_pfocr_profile_without_shapes_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _no_pfocr_shapes(monkeypatch, tmp_path)
    result = CliRunner().invoke(
        main, ["check-jsonld", str(DATA / "valid-dataset.jsonld"), "--profile", "pfocr"]
    )
    assert result.exit_code == 2
    assert "no SHACL shapes" in result.output


def test_pfocr_profile_applies_the_project_shapes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    shapes = tmp_path / "shapes"
    shapes.mkdir()
    (shapes / "tiny.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix schema: <http://schema.org/> .\n"
        "<urn:s> a sh:NodeShape ; sh:targetClass schema:Dataset ; sh:property [ sh:path schema:version ;"
        ' sh:minCount 1 ; sh:message "needs a version" ] .\n'
    )
    monkeypatch.setattr(resources, "shapes_dir", lambda: shapes)
    check_jsonld.load_profile.cache_clear()
    try:
        findings = findings_of("valid-dataset.jsonld", profiles=["pfocr"])
    finally:
        check_jsonld.load_profile.cache_clear()
    assert [(f.code, f.severity, f.message) for f in findings] == [
        ("shacl", "error", "[pfocr] needs a version")
    ]


# --against ----------------------------------------------------------------------------------------


def test_against_reports_missing_and_extra_triples() -> None:
    findings = findings_of("against-document.jsonld", against=DATA / "against-expected.ttl")
    assert {(f.code, f.severity) for f in findings} == {
        ("missing-triple", "error"),
        ("extra-triple", "error"),
    }
    (missing,) = (f for f in findings if f.code == "missing-triple")
    (extra,) = (f for f in findings if f.code == "extra-triple")
    assert "schema.org/keywords" in missing.message and '"pathway"' in missing.message
    assert "schema.org/version" in extra.message


def test_against_an_isomorphic_graph_is_clean() -> None:
    # blank nodes differ in label only, and https schema.org IRIs equal the http ones
    turtle = (
        (DATA / "against-expected.ttl").read_text().replace('schema:keywords "pathway"', 'schema:version "2"')
    )
    assert findings_of("against-document.jsonld", against=turtle) == []


# CLI ----------------------------------------------------------------------------------------------


def test_cli_exit_status_zero_without_errors() -> None:
    result = CliRunner().invoke(main, ["check-jsonld", str(DATA / "valid-dataset.jsonld")])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def test_cli_exit_status_one_on_errors_and_json_output() -> None:
    result = CliRunner().invoke(
        main,
        [
            "check-jsonld",
            str(DATA / "relative-iri.jsonld"),
            str(DATA / "valid-dataset.jsonld"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    reports = json.loads(result.output)
    assert [Path(r["document"]).name for r in reports] == ["relative-iri.jsonld", "valid-dataset.jsonld"]
    assert {f["code"] for f in reports[0]["findings"]} >= {"relative-iri", "string-not-iri"}
    assert reports[1]["findings"] == []
    assert set(reports[0]["findings"][0]) >= {"severity", "code", "location", "message"}


def test_cli_exit_status_two_for_missing_input() -> None:
    result = CliRunner().invoke(main, ["check-jsonld", str(DATA / "does-not-exist.jsonld")])
    assert result.exit_code == 2


def test_cli_unreadable_against_graph_is_exit_two(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("this is not turtle <")
    result = CliRunner().invoke(
        main, ["check-jsonld", str(DATA / "valid-dataset.jsonld"), "--against", str(broken)]
    )
    assert result.exit_code == 2


def test_cli_folder_and_text_report(tmp_path: Path) -> None:
    (tmp_path / "a.jsonld").write_text((DATA / "valid-dataset.jsonld").read_text())
    (tmp_path / "b.json").write_text((DATA / "dropped-term.jsonld").read_text())
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.jsonld").write_text("not even JSON")
    (tmp_path / "notes.txt").write_text("ignored")
    result = CliRunner().invoke(main, ["check-jsonld", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'a.jsonld'}: ok" in result.output
    assert "dropped-term" in result.output
    assert "2 document(s) checked, 1 with errors" in result.output


def test_cli_base_option_is_the_documents_base() -> None:
    result = CliRunner().invoke(
        main, ["check-jsonld", str(DATA / "relative-iri.jsonld"), "--base", "https://pfocr.example/figures/"]
    )
    assert "<https://pfocr.example/figures/CC0>" in result.output


def test_cli_is_registered() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert "check-jsonld" in result.output
