"""`pfocr-ld validate` as a user runs it: every input syntax, the three report formats, exit statuses."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from pfocr_ld.cli import main
from pfocr_ld.validate_files import iter_chunks

HER2 = "https://pfocr.wikipathways.org/figures/PMC3376449__fonc-02-00062-g001.html"
DC_TITLE = "http://purl.org/dc/elements/1.1/title"
SCHEMA_NAME = "http://schema.org/name"


@pytest.fixture(scope="module")
def out(build_dir: Path) -> Path:
    """The shared sample build (tests/conftest.py); validate only reads it."""
    return build_dir


@pytest.fixture(scope="module")
def her2_without_title(out: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HER2's self-contained graph with its title (dc:title and schema:name) removed: one violation."""
    chunk = next(c for c in iter_chunks([out / "pfocr.ttl"], 1) if c.figures == [HER2])
    kept = [
        t
        for t in chunk.triples()
        if not (t.subject.value == HER2 and t.predicate.value in (DC_TITLE, SCHEMA_NAME))
    ]
    path = tmp_path_factory.mktemp("broken") / "her2.nt"
    path.write_bytes(ox.serialize(kept, format=ox.RdfFormat.N_TRIPLES))
    return path


def invoke(*args: str | Path):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def json_results(*args: str | Path) -> tuple[int, dict]:
    result = invoke(*args, "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def test_sample_passes_with_a_readable_text_report(out: Path) -> None:
    result = invoke(out / "pfocr.ttl", out / "void.ttl")
    assert result.exit_code == 0, result.output
    assert "0 violation(s), 30 warning(s), 15 info(s) on 45 node(s)" in result.stdout
    # SHACL: warnings are results, so the graph does not conform; without violations it passes (exit 0)
    assert "— does not conform (SHACL: any result does), but has no violations: passes." in result.stdout
    lines = result.stdout.splitlines()
    # Grouped by focus node: the node on its own line, then severity, path and message indented.
    at = lines.index("<https://identifiers.org/pmc/PMC100003>")
    assert lines[at + 1].split()[:2] == ["Warning", "schema:sameAs:"]
    assert "has no DOI" in lines[at + 1]
    assert "sh:MinCountConstraintComponent" in lines[at + 2] and "pfocrsh:Paper-doiPresent" in lines[at + 2]
    # Warnings come before infos.
    first_info = next(i for i, line in enumerate(lines) if line.strip().startswith("Info"))
    last_warning = max(i for i, line in enumerate(lines) if line.strip().startswith("Warning"))
    assert last_warning < first_info


def test_json_report(out: Path) -> None:
    status, report = json_results(out / "pfocr.ttl", out / "void.ttl")
    assert status == 0
    assert report["conforms"] is False and report["passes"] is True
    assert report["counts"] == {"Violation": 0, "Warning": 30, "Info": 15}
    assert report["figures"] == 55 and report["engine"] == "shacl"
    assert len(report["results"]) == 45
    organism = next(r for r in report["results"] if r["component"] == "OrConstraintComponent")
    assert organism["focus"] == "<https://pfocr.wikipathways.org/figures/PMC3393388__zac9991010360001.html>"
    assert organism["shape"] == "https://pfocr.wikipathways.org/shapes#FigureOrganismShape"
    assert organism["severity"] == "Warning" and organism["path"] is None and organism["message"]


def test_turtle_report_is_a_standard_validation_report(out: Path) -> None:
    result = invoke(out / "pfocr.ttl", "--format", "turtle")
    assert result.exit_code == 0
    graph = rdflib.Graph().parse(data=result.stdout, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    reports = list(graph.subjects(rdflib.RDF.type, sh.ValidationReport))
    assert len(reports) == 1
    results = list(graph.objects(reports[0], sh.result))
    assert len(results) == 45
    assert graph.value(reports[0], sh.conforms).toPython() is False  # 45 results: SHACL says false
    for node in results:
        for predicate in (sh.focusNode, sh.resultSeverity, sh.sourceConstraintComponent, sh.sourceShape):
            assert graph.value(node, predicate) is not None


def test_every_syntax_gives_the_same_results(out: Path, tmp_path: Path) -> None:
    _, reference = json_results(out / "pfocr.ttl")
    graph = ox.NamedNode("https://example.org/graph")
    quads = [ox.Quad(q.subject, q.predicate, q.object, graph) for q in ox.parse(path=str(out / "pfocr.ttl"))]
    variants = {
        "nt.gz": out / "pfocr.nt.gz",
        "jsonld folder": out / "jsonld",
        "ttl.gz": tmp_path / "pfocr.ttl.gz",
        "nq": tmp_path / "pfocr.nq",
        "trig": tmp_path / "pfocr.trig",
    }
    (tmp_path / "pfocr.ttl.gz").write_bytes(gzip.compress((out / "pfocr.ttl").read_bytes()))
    # Quads keep pfocr.ttl's order (one figure after another) so the chunker sees figure blocks.
    (tmp_path / "pfocr.nq").write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    (tmp_path / "pfocr.trig").write_bytes(ox.serialize(quads, format=ox.RdfFormat.TRIG))
    for name, path in variants.items():
        result = invoke(path, "--chunk-size", "20", "--format", "json")
        assert result.exit_code == 0, (name, result.stderr)
        report = json.loads(result.stdout)
        assert report["results"] == reference["results"], name
        assert report["figures"] == 55, name


def test_violations_exit_1_and_name_focus_path_and_constraint(her2_without_title: Path) -> None:
    result = invoke(her2_without_title)
    assert result.exit_code == 1
    assert "1 violation(s)" in result.stdout and "does NOT conform" in result.stdout
    lines = result.stdout.splitlines()
    at = lines.index(f"<{HER2}>")
    assert lines[at + 1].split()[:2] == ["Violation", "dc:title:"]
    assert "sh:MinCountConstraintComponent" in lines[at + 2]


def test_pyshacl_engine_reports_the_same(her2_without_title: Path) -> None:
    fast_status, fast = json_results(her2_without_title)
    slow_status, slow = json_results(her2_without_title, "--engine", "pyshacl")
    assert fast_status == slow_status == 1
    assert slow["engine"] == "pyshacl"
    assert slow["results"] == fast["results"]


def test_custom_shapes(her2_without_title: Path, tmp_path: Path) -> None:
    shapes = tmp_path / "one.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        f"<urn:test:S> a sh:NodeShape ; sh:targetNode <{HER2}> ;\n"
        f'  sh:property [ sh:path <{DC_TITLE}> ; sh:maxCount 0 ; sh:message "no titles here" ] .\n',
        encoding="utf-8",
    )
    status, report = json_results(her2_without_title, "--shapes", shapes)
    assert status == 0 and report["results"] == []
    assert report["conforms"] is True and report["passes"] is True
    text = invoke(her2_without_title, "--shapes", shapes)
    assert text.exit_code == 0 and text.stdout.rstrip().endswith("— conforms.")
    turtle = invoke(her2_without_title, "--shapes", shapes, "--format", "turtle")
    graph = rdflib.Graph().parse(data=turtle.stdout, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert [o.toPython() for o in graph.objects(None, sh.conforms)] == [True]
    assert list(graph.objects(None, sh.result)) == []


def _pyshacl_report(data: Path, shapes: Path | None = None) -> tuple[bool, rdflib.Graph]:
    """pySHACL's own validation report (no inference, its own sh:conforms) of one file."""
    import pyshacl

    from pfocr_ld.validation import shape_files

    shapes_graph = rdflib.Graph()
    for path in shape_files(shapes):
        shapes_graph.parse(path, format="turtle")
    conforms, report, _ = pyshacl.validate(
        rdflib.Graph().parse(data, format="turtle" if data.suffix == ".ttl" else "nt"),
        shacl_graph=shapes_graph,
        inference="none",
    )
    return bool(conforms), report


def _result_keys(graph: rdflib.Graph) -> list[tuple[str, ...]]:
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    keys = []
    for node in graph.objects(None, sh.result):
        keys.append(
            tuple(
                str(graph.value(node, p))
                for p in (sh.focusNode, sh.resultPath, sh.resultSeverity, sh.sourceConstraintComponent)
            )
        )
    return sorted(keys)


@pytest.mark.parametrize("case", ["warnings only (the sample)", "a violation"])
def test_turtle_report_agrees_with_pyshacls_own_report(
    case: str, out: Path, her2_without_title: Path
) -> None:
    """Same data, same shapes: our sh:conforms and results are pySHACL's (which follows the spec)."""
    data = out / "pfocr.ttl" if case.startswith("warnings") else her2_without_title
    reference_conforms, reference = _pyshacl_report(data)
    result = invoke(data, "--format", "turtle")
    ours = rdflib.Graph().parse(data=result.stdout, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert [o.toPython() for o in ours.objects(None, sh.conforms)] == [reference_conforms] == [False]
    assert _result_keys(ours) == _result_keys(reference)
    severities = [key[2].rsplit("#", 1)[1] for key in _result_keys(ours)]
    if case.startswith("warnings"):
        assert len(severities) == 45 and "Violation" not in severities
    else:
        assert "Violation" in severities
    # the exit status keeps its documented meaning: 0 without violations, 1 with
    assert result.exit_code == (0 if case.startswith("warnings") else 1)
    _, report = json_results(data)
    assert report["conforms"] is reference_conforms


def test_syntax_error_exits_2_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        '@prefix ex: <http://example.org/> .\nex:a ex:p "x" .\nex:b ex:p ex:c ex:d .\n', encoding="utf-8"
    )
    # Through the installed entry point, as a user would run it.
    result = subprocess.run(
        [sys.executable, "-m", "pfocr_ld.cli", "validate", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "bad.ttl" in result.stderr and "line 3" in result.stderr
    assert result.stdout == ""


def test_syntax_error_in_gzipped_ntriples_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nt.gz"
    lines = [f'<http://example.org/s{i}> <http://example.org/p> "{i}" .' for i in range(40)]
    lines[36] = '<http://example.org/s36> <http://example.org/p> "unterminated .'
    bad.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    result = invoke(bad)
    assert result.exit_code == 2
    assert "line 37" in result.stderr


def test_invalid_json_ld_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonld"
    bad.write_text('{\n  "@id": "https://example.org/x",\n  "name": \n}\n', encoding="utf-8")
    result = invoke(bad)
    assert result.exit_code == 2
    assert "invalid JSON at line 4" in result.stderr


def test_unreadable_inputs_exit_2(tmp_path: Path) -> None:
    unknown = tmp_path / "data.csv"
    unknown.write_text("a,b\n", encoding="utf-8")
    result = invoke(unknown)
    assert result.exit_code == 2 and "unknown RDF syntax" in result.stderr
    assert invoke(tmp_path / "missing.ttl").exit_code == 2
    not_gzip = tmp_path / "plain.nt.gz"
    not_gzip.write_text("<http://a> <http://b> <http://c> .\n", encoding="utf-8")
    result = invoke(not_gzip)
    assert result.exit_code == 2 and "cannot read" in result.stderr
    assert invoke("--format", "xml", unknown).exit_code == 2


def test_out_of_order_input_is_refused_unless_validated_whole(out: Path, tmp_path: Path) -> None:
    # A sorted dump scatters each figure's triples; chunking it would give wrong answers.
    with gzip.open(out / "pfocr.nt.gz", "rt", encoding="utf-8") as handle:
        lines = sorted(set(handle.read().splitlines()))
    shuffled = tmp_path / "sorted.nt"
    shuffled.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(shuffled, "--chunk-size", "10")
    assert result.exit_code == 2
    assert "not in figure-block order" in result.stderr and "--chunk-size 0" in result.stderr
    status, report = json_results(shuffled, "--chunk-size", "0")
    assert status == 0
    assert report["counts"] == {"Violation": 0, "Warning": 30, "Info": 15}
