"""check-jsonld's fast path (``pfocr_ld/check_jsonld/fast.py``) against the exact PyLD path.

The fast path may only ever answer "no finding", so what is pinned here is: its expansion is
PyLD's (the expanded form, the node and key paths the tracing processor records, the raw values
by path, every IRI), every document of a real build takes it, and the findings — and the
command's output, byte for byte — are the same with it as without, on the build, on the checker's
broken fixtures and on generated documents.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld.jsonld import JsonLdProcessor, _is_absolute_iri, _resolved_context_cache

from pfocr_ld import vocab
from pfocr_ld.build import BuildReport
from pfocr_ld.check_jsonld import (
    analyse_document,
    check_files,
    check_path,
    format_json,
    format_summary,
    format_text,
    iter_inputs,
)
from pfocr_ld.check_jsonld import analysis as check_jsonld
from pfocr_ld.check_jsonld.conversion import _LANGUAGE_TAG
from pfocr_ld.check_jsonld.expansion import _iter_iris, _process, _recording_loader, _Run
from pfocr_ld.check_jsonld.fast import _ABSOLUTE_IRI, expand_plain
from pfocr_ld.check_jsonld.findings import _key_segment, _value_at

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "jsonld"
SAMPLE_FIGURES = REPO / "examples" / "pfocr-sample" / "_figures"
TIMEOUT = 120
FILE_BASE = "file:///corpus/jsonld/doc.jsonld"


def _build_files(sample_build: tuple[Path, BuildReport]) -> list[Path]:
    out, _ = sample_build
    files = sorted((out / "jsonld").glob("*.jsonld")) + sorted((out / "schemaorg").glob("*.jsonld"))
    assert len(files) >= 10
    return files


def _pairs(a: Any, b: Any, into: list[tuple[Any, Any]]) -> None:
    """The objects of two expanded forms that sit at the same place."""
    if isinstance(a, dict):
        into.append((a, b))
        for key in a:
            _pairs(a[key], b[key], into)
    elif isinstance(a, list):
        for x, y in zip(a, b, strict=True):
            _pairs(x, y, into)


def _same_expansion_as_pyld(document: Any, base: str | None) -> bool:
    """Whether the fast path takes ``document``; when it does, assert it expands it as PyLD does."""
    plain = expand_plain(document, base, _key_segment, _LANGUAGE_TAG)
    if plain is None:
        return False
    run = _Run(document=document, base=base, options={}, loader=_recording_loader(None, [], base))
    _process(run)
    assert run.expanded is not None and run.processor is not None, run.findings
    assert run.findings == [] and run.processor.dropped == []
    assert plain.expanded == run.expanded
    pairs: list[tuple[Any, Any]] = []
    _pairs(run.expanded, plain.expanded, pairs)
    traced = run.processor
    for exact, fast in pairs:
        assert plain.node_paths.get(id(fast)) == traced.node_paths.get(id(exact))
        exact_keys = {iri: path for (obj, iri), path in traced.key_paths.items() if obj == id(exact)}
        fast_keys = {iri: path for (obj, iri), path in plain.key_paths.items() if obj == id(fast)}
        assert fast_keys == exact_keys
    for path, value in plain.raw.items():
        assert _value_at(document, path) is value, path
    assert {iri for _, iri in _iter_iris(run.expanded)} <= plain.iris
    return True


# A real build -----------------------------------------------------------------------------------


def test_every_document_of_a_build_takes_the_fast_path_and_expands_as_pyld_does(
    sample_build: tuple[Path, BuildReport],
) -> None:
    for file in _build_files(sample_build):
        document = json.loads(file.read_bytes())
        assert _same_expansion_as_pyld(document, file.resolve().as_uri()), file


def test_a_build_is_checked_without_pyld_expansion_and_with_the_same_reports(
    sample_build: tuple[Path, BuildReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _build_files(sample_build)
    exact = [report for reports in check_files(files, fast=False) for report in reports]
    expansions: list[int] = []
    original = JsonLdProcessor.expand

    def counting(self: JsonLdProcessor, *args: Any, **kwargs: Any) -> Any:
        expansions.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(JsonLdProcessor, "expand", counting)
    fast = [report for reports in check_files(files) for report in reports]
    assert expansions == []
    assert [r.to_dict() for r in fast] == [r.to_dict() for r in exact]
    assert all(report.findings == [] for report in exact)


# Broken documents ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build documents next to every broken fixture of the checker, in one ``jsonld/`` folder."""
    folder = tmp_path_factory.mktemp("mixed") / "jsonld"
    folder.mkdir()
    for file in iter_inputs(DATA):
        shutil.copy(file, folder / file.name)
    for file in sorted(SAMPLE_FIGURES.glob("*.md"))[:3]:
        shutil.copy(file, folder / file.name)
    return folder


@pytest.mark.parametrize("base", [None, FILE_BASE, "https://example.org/jsonld/doc.jsonld"])
def test_the_checker_fixtures_give_the_same_reports_either_way(mixed: Path, base: str | None) -> None:
    files = list(iter_inputs(mixed))
    fast = [r.to_dict() for reports in check_files(files, base=base) for r in reports]
    exact = [r.to_dict() for reports in check_files(files, base=base, fast=False) for r in reports]
    assert fast == exact
    assert any(report["findings"] for report in exact)


def _document_variants(sample_build: tuple[Path, BuildReport]) -> dict[str, bytes]:
    """One build document broken in each way the fast path must hand to the exact path."""
    out, _ = sample_build
    figure = json.loads(next(iter(sorted((out / "jsonld").glob("*.jsonld")))).read_bytes())

    def variant(change: Any) -> bytes:
        document = json.loads(json.dumps(figure))
        change(document, document["@graph"][0])
        return json.dumps(document).encode()

    text = json.dumps(figure)
    return {
        "unknown-term": variant(lambda d, n: n.update({"schema:nameX": "x"})),
        "dropped": variant(lambda d, n: n.update({"undefinedTerm": "x"})),
        "keyword-like": variant(lambda d, n: n.update({"@ignoreMe": "x"})),
        "relative-id": variant(lambda d, n: n.update({"@id": "figures/x"})),
        "relative-link": variant(lambda d, n: n.update({"dc:identifier": "x.html"})),
        "file-iri": variant(lambda d, n: n.update({"dc:identifier": "file:///etc/x"})),
        "invalid-iri": variant(lambda d, n: n.update({"dc:identifier": "https://e.org/a b"})),
        "language": variant(lambda d, n: n.update({"dc:title": {"@language": "not a tag", "@value": "x"}})),
        "string-not-iri": variant(lambda d, n: n.update({"schema:url": {"@value": "see the paper"}})),
        "superseded": variant(lambda d, n: n.update({"@type": [*n["@type"], "schema:Code"]})),
        "null": variant(lambda d, n: n.update({"dc:source": None})),
        "remote-context": variant(lambda d, n: d.update({"@context": "https://example.org/context.jsonld"})),
        "embedded-context": variant(lambda d, n: n.update({"@context": {"x": "http://e.org/x"}})),
        "invalid-value": variant(lambda d, n: n.update({"dc:title": {"@value": "x", "@id": "https://e/x"}})),
        "huge-integer": variant(lambda d, n: n.update({"schema:version": 10**400})),
        "duplicate-key": text.replace('"@graph": [', '"@graph": [], "@graph": [', 1).encode(),
        "syntax": text[:-5].encode(),
        "ok": text.encode(),
    }


def test_broken_build_documents_give_the_same_findings_either_way(
    sample_build: tuple[Path, BuildReport],
) -> None:
    for name, data in _document_variants(sample_build).items():
        fast = analyse_document(data, base=FILE_BASE, keep_forms=False, fast=True).findings
        exact = analyse_document(data, base=FILE_BASE, keep_forms=False).findings
        assert fast == exact, name
        # a file: IRI is fine (it sends the document to the exact path's relative-IRI probe);
        # expansion drops a null silently; the embedded context is fine, but not the bundled one
        assert (exact == []) == (name in ("ok", "file-iri", "null", "embedded-context")), (name, exact)
        document = json.loads(data) if name not in ("syntax", "duplicate-key") else None
        plain = (
            document is not None
            and expand_plain(document, FILE_BASE, _key_segment, _LANGUAGE_TAG) is not None
        )
        # the plain ones with findings are caught by the checker's own layers on the fast expansion
        assert plain == (name in ("ok", "unknown-term", "string-not-iri", "superseded", "file-iri")), name


def _pfocr_ld(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, "-m", "pfocr_ld.cli", *args],
        capture_output=True,
        timeout=TIMEOUT,
        env=env,
        check=False,
    )


def test_the_command_output_is_byte_identical_to_the_exact_path(
    sample_build: tuple[Path, BuildReport], mixed: Path, tmp_path: Path
) -> None:
    """The command (fast path, two workers) against the exact path's reports, formatted."""
    folder = tmp_path / "jsonld"
    shutil.copytree(mixed, folder)
    for file in _build_files(sample_build)[:6]:
        shutil.copy(file, folder / f"{file.parent.name}-{file.name}")
    for name, data in _document_variants(sample_build).items():
        (folder / f"variant-{name}.jsonld").write_bytes(data)
    exact = check_path(folder)
    for args, expected in (
        ([], format_text(exact)),
        (["--summary"], format_summary(exact)),
        (["--format", "json"], format_json(exact)),
    ):
        result = _pfocr_ld("check-jsonld", str(folder), "--workers", "2", "--no-progress", *args)
        assert result.returncode == 1, result.stderr
        assert result.stdout == (expected + "\n").encode(), args


# Generated documents -----------------------------------------------------------------------------

_CONTEXTS = st.sampled_from(
    [
        "../context.jsonld",
        vocab.CONTEXT_IRI,
        "https://schema.org/",
        "http://schema.org",
        "https://example.org/context.jsonld",
        "context.jsonld",
        {"@vocab": "http://schema.org/"},
        ["https://schema.org/", {"x": "http://example.org/x"}],
    ]
)
_KEYS = st.sampled_from(
    [
        "@id",
        "@type",
        "id",
        "type",
        "name",
        "license",
        "url",
        "dateCreated",
        "inLanguage",
        "sameAs",
        "schema:name",
        "schema:license",
        "schema:nameX",
        "dc:title",
        "dc:identifier",
        "dcterms:license",
        "wp:organism",
        "pfocr:nothing",
        "rdfs:label",
        "http://example.org/p",
        "undefinedTerm",
        "@ignoreMe",
        "@value",
        "@language",
        "@graph",
        "@reverse",
        "@list",
        "@context",
    ]
)
_SCALARS = st.sampled_from(
    [
        "x",
        "",
        "https://example.org/a",
        "https://example.org/a b",
        "pmc:PMC1",
        "schema:Dataset",
        "Dataset",
        "Thing",
        "relative/x",
        "file:///x",
        "_:b0",
        "@type",
        "@ignoreMe",
        "en",
        "EN-gb",
        "not a tag",
        1,
        2.5,
        True,
        None,
    ]
)
_VALUE_OBJECTS = st.sampled_from(
    [
        {"@value": "x", "@language": "en"},
        {"@value": "x", "@language": "EN-gb"},
        {"@value": "x", "@language": "not a tag"},
        {"@value": "2020", "@type": "xsd:gYear"},
        {"@value": "x", "@type": ["xsd:string"]},
        {"@value": 3, "@language": "en"},
        {"@value": None},
        {"@language": "en"},
        {"@id": "https://example.org/x"},
        {"@id": "relative"},
        {},
    ]
)


def _nodes() -> st.SearchStrategy[Any]:
    leaves = st.one_of(_SCALARS, _VALUE_OBJECTS)
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(_KEYS, children, max_size=4)
        ),
        max_leaves=12,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    context=_CONTEXTS,
    node=st.dictionaries(_KEYS, _nodes(), max_size=6),
    graph=st.booleans(),
    base=st.sampled_from([FILE_BASE, "https://example.org/jsonld/doc.jsonld", None]),
)
def test_generated_documents_give_the_same_findings_either_way(
    context: Any, node: dict[str, Any], graph: bool, base: str | None
) -> None:
    document = {"@context": context, **({"@graph": [node]} if graph else node)}
    fast = analyse_document(document, base=base, keep_forms=False, fast=True).findings
    exact = analyse_document(document, base=base, keep_forms=False).findings
    assert fast == exact
    _same_expansion_as_pyld(document, base)


# Mostly plain documents: the fast path's own ground, with a few things it must hand over.
_PLAIN_KEYS = {
    "../context.jsonld": [
        "dc:title",
        "dc:identifier",
        "dc:source",
        "dcterms:description",
        "dcterms:license",
        "schema:name",
        "schema:url",
        "schema:about",
        "schema:license",
        "schema:keywords",
        "schema:nameX",
        "wp:organism",
        "rdfs:label",
        "rdfs:seeAlso",
        "skos:prefLabel",
        "http://example.org/p",
    ],
    "https://schema.org/": [
        "name",
        "url",
        "license",
        "about",
        "identifier",
        "dateCreated",
        "keywords",
        "creator",
        "sameAs",
        "citation",
        "nameX",
        "schema:name",
        "http://example.org/p",
    ],
}
_PLAIN_TYPES = st.sampled_from(
    [
        "schema:Dataset",
        "schema:Organization",
        "schema:Code",
        "schema:NotAType",
        "schema:name",
        "pfocr:Figure",
        "wp:Pathway",
        "http://example.org/T",
        "Dataset",
        "Organization",
    ]
)
_PLAIN_IRIS = st.sampled_from(
    [
        "https://example.org/a",
        "http://purl.obolibrary.org/obo/NCBITaxon_9606",
        "https://identifiers.org/ncbigene/1017",
        "pmc:PMC1",
        "ncbigene:1017",
        "urn:isbn:1",
        "_:b1",
        "file:///x",
        "relative",
        "https://example.org/a b",
    ]
)
_PLAIN_TEXTS = st.sampled_from(["x", "Some text", "https://example.org/t", "2020-01-01", "CC0"])
_PLAIN_LEAVES = st.one_of(
    _PLAIN_TEXTS,
    _PLAIN_IRIS,
    st.integers(-5, 5),
    st.builds(
        lambda text, tag: {"@value": text, "@language": tag},
        _PLAIN_TEXTS,
        st.sampled_from(["en", "en-GB", "EN", "de-CH-1996", "not a tag"]),
    ),
    st.builds(
        lambda text, datatype: {"@value": text, "@type": datatype},
        _PLAIN_TEXTS,
        st.sampled_from(["xsd:date", "xsd:string", "http://www.w3.org/2001/XMLSchema#gYear", "Date"]),
    ),
    st.builds(lambda iri: {"@id": iri}, _PLAIN_IRIS),
)


def _plain_nodes(context: str) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from(_PLAIN_KEYS[context])

    def node(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
        return st.builds(
            lambda head, body: {**head, **body},
            st.fixed_dictionaries(
                {}, optional={"@id": _PLAIN_IRIS, "@type": st.lists(_PLAIN_TYPES, max_size=3)}
            ),
            st.dictionaries(keys, st.one_of(values, st.lists(values, max_size=3)), max_size=4),
        )

    return node(st.recursive(_PLAIN_LEAVES, node, max_leaves=8))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), context=st.sampled_from(sorted(_PLAIN_KEYS)), graph=st.booleans())
def test_mostly_plain_generated_documents_give_the_same_findings_either_way(
    data: st.DataObject, context: str, graph: bool
) -> None:
    nodes = data.draw(st.lists(_plain_nodes(context), min_size=1, max_size=3))
    document: dict[str, Any] = {"@context": context, **({"@graph": nodes} if graph else nodes[0])}
    fast = analyse_document(document, base=FILE_BASE, keep_forms=False, fast=True).findings
    exact = analyse_document(document, base=FILE_BASE, keep_forms=False).findings
    assert fast == exact
    _same_expansion_as_pyld(document, FILE_BASE)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ09+-._:/ \t\n#?@é"), max_size=12))
def test_the_absolute_iri_pattern_is_pyld_s(text: str) -> None:
    assert (_ABSOLUTE_IRI.match(text) is not None) == bool(_is_absolute_iri(text))


def test_the_relative_context_reference_is_the_pfocr_context_only_from_its_own_folder(
    sample_build: tuple[Path, BuildReport],
) -> None:
    """The loader serves the build's context for ``../context.jsonld`` resolved against the
    document's own base; the same IRI named from another folder is a remote context."""
    figure = json.loads(_build_files(sample_build)[0].read_bytes())
    assert expand_plain(figure, FILE_BASE, _key_segment) is not None  # file:///corpus/context.jsonld
    elsewhere = {**figure, "@context": "file:///corpus/context.jsonld"}
    assert expand_plain(elsewhere, FILE_BASE, _key_segment) is not None  # the same IRI, the same folder
    other_base = "file:///other/jsonld/doc.jsonld"
    assert expand_plain(elsewhere, other_base, _key_segment) is None
    # PyLD's shared cache of resolved contexts, keyed by IRI, would serve what an earlier check
    # of the first folder loaded: start from an empty one, as a fresh process does
    _resolved_context_cache.clear()
    findings = analyse_document(elsewhere, base=other_base, keep_forms=False, fast=True).findings
    assert [f.code for f in findings][:1] == ["remote-context"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"@context": "https://schema.org/", "version": ' + b"9" * 5000 + b"}", "4300 digits"),
        (b"[" * 100_000, "recursion"),
    ],
    ids=["5000-digit-number", "100000-nested-arrays"],
)
def test_json_beyond_python_s_own_limits_is_a_syntax_finding(text: bytes, reason: str) -> None:
    """A 5,000-digit number or 100,000 nested arrays used to raise out of the checker."""
    for fast in (True, False):
        (finding,) = analyse_document(text, base=FILE_BASE, keep_forms=False, fast=fast).findings
        assert (finding.severity, finding.code, finding.location) == ("error", "json-syntax", "$")
        assert reason in finding.message


def test_deep_nesting_leaves_the_fast_path_without_an_exception() -> None:
    node: dict[str, Any] = {"name": "leaf"}
    for _ in range(900):  # within what Python's JSON parser accepts, beyond the fast path's recursion
        node = {"about": node}
    document = {"@context": "https://schema.org/", **node}
    assert expand_plain(document, FILE_BASE, _key_segment) is None
    fast = analyse_document(json.dumps(document), base=FILE_BASE, keep_forms=False, fast=True).findings
    exact = analyse_document(json.dumps(document), base=FILE_BASE, keep_forms=False).findings
    assert fast == exact


def test_the_fast_path_needs_the_plain_options() -> None:
    """Profiles, ``--against``, PyLD options and extra documents always take the exact path."""
    document = json.loads((DATA / "valid-dataset.jsonld").read_bytes())
    assert expand_plain(document, FILE_BASE, _key_segment) is not None
    calls: list[int] = []
    original = check_jsonld._fast_clean

    def counting(*args: Any) -> bool:
        calls.append(1)
        return original(*args)

    check_jsonld._fast_clean = counting  # type: ignore[assignment]
    try:
        for extra in (
            {"jsonld_options": {"processingMode": "json-ld-1.1"}},
            {"documents": {"https://example.org/x": {}}},
            {"keep_forms": True},
        ):
            analyse_document(document, base=FILE_BASE, **{"keep_forms": False, **extra}, fast=True)
        assert calls == []
        analyse_document(document, base=FILE_BASE, keep_forms=False, fast=True)
        assert calls == [1]
    finally:
        check_jsonld._fast_clean = original  # type: ignore[assignment]
