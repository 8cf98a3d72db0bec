"""Checking one document, file or folder: :func:`analyse_document` runs the layers in order.

It first asks the fast path (:mod:`pfocr_ld.check_jsonld.fast`, through :func:`_fast_clean`)
when allowed, then the exact path: expansion, the layers the caller picked, the RDF conversion,
SHACL profiles and ``--against``. :func:`check_file` reads one file by its suffix (JSON-LD, HTML
page, record) and :func:`check_path` a file or folder.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import rdflib
from pyld.jsonld import JsonLdError

from pfocr_ld.check_jsonld.conversion import _LANGUAGE_TAG, _to_rdf
from pfocr_ld.check_jsonld.expansion import (
    _absolute,
    _error_info,
    _process,
    _recording_loader,
    _Run,
    _TracingProcessor,
)
from pfocr_ld.check_jsonld.fast import expand_plain
from pfocr_ld.check_jsonld.findings import (
    ALL_CHECKS,
    Check,
    CheckResult,
    DocumentReport,
    Finding,
    InputError,
    JsonInput,
    _key_segment,
    _parent,
)
from pfocr_ld.check_jsonld.profiles import _check_profile, _compare, load_against
from pfocr_ld.check_jsonld.reading import (
    FRONT_MATTER_KEY,
    HTML_SUFFIXES,
    RECORD_SUFFIXES,
    html_base,
    html_scripts,
    iter_inputs,
    parse_json,
    record_block,
)
from pfocr_ld.check_jsonld.rules import _SCHEME, _check_dropped, _check_iris, _check_vocabulary
from pfocr_ld.limits import is_regular_file
from pfocr_ld.rdf import BAD_IRI_CHAR


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str, str]] = set()
    result = []
    for finding in findings:
        key = (finding.severity, finding.code, finding.location, finding.message)
        if key not in seen:
            seen.add(key)
            result.append(finding)
    return result


def _place(findings: list[Finding], positions: Mapping[str, tuple[int, int]] | None) -> list[Finding]:
    """Add line and column to findings whose JSON path (or an ancestor's) has a known position."""
    if not positions:
        return findings
    placed = []
    for finding in findings:
        path: str | None = finding.location
        while finding.line is None and path is not None and path.startswith("$"):
            if path in positions:
                line, column = positions[path]
                finding = Finding(
                    finding.severity, finding.code, finding.location, finding.message, line, column
                )
                break
            path = _parent(path)
        placed.append(finding)
    return placed


def _no_loader(url: str, options: Any = None) -> Any:
    raise AssertionError("the fast path loads nothing")  # pragma: no cover


def _fast_clean(document: Any, base: str | None, checks: frozenset[Check]) -> bool:
    """Whether the exact path would find nothing, decided without PyLD's expansion.

    ``False`` means "not known": the document is outside the plain subset, or the layers found
    something, and the exact path checks it (and words every finding). For a 57 kB figure
    document of a build this replaces PyLD's expansion and the RDF conversion (three quarters of
    the exact path's 18 ms of CPU, measured with cProfile); a clean document needs the conversion
    only for its language tags, which the fast expansion checks instead.
    """
    plain = expand_plain(document, base, _key_segment, _LANGUAGE_TAG)
    if plain is None:
        return False
    # the layers read the expansion's records from the processor; nothing was dropped
    processor = _TracingProcessor()
    processor.node_paths, processor.key_paths, processor._alive = (
        plain.node_paths,
        plain.key_paths,
        plain.alive,
    )
    run = _Run(
        document=document, base=base, options={}, loader=_no_loader, processor=processor, raw=plain.raw
    )
    run.expanded = plain.expanded
    if Check.IRIS in checks and not _plain_iris(plain.iris, base):
        return False
    if Check.VOCABULARY in checks:
        _check_vocabulary(run)
    return not run.findings


def _plain_iris(iris: Iterable[str], base: str | None) -> bool:
    """Whether :func:`_check_iris` finds nothing, given (at least) every IRI of the expanded form
    and no dropped key: no IRI has a character IRIs cannot hold, and :func:`_needs_probe` is
    false (the base has a scheme, no IRI has that scheme or stays relative)."""
    match = _SCHEME.match(base or "")
    if match is None:
        return False
    scheme = match.group(0).lower()
    size = len(scheme)
    for iri in iris:
        if iri.startswith("_:"):
            continue
        if BAD_IRI_CHAR.search(iri) or iri[:size].lower() == scheme or not _absolute(iri):
            return False
    return True


def analyse_document(
    doc_or_text: JsonInput,
    *,
    base: str | None,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    jsonld_options: Mapping[str, Any] | None = None,
    documents: Mapping[str, Any] | None = None,
    positions: Mapping[str, tuple[int, int]] | None = None,
    keep_forms: bool = True,
    fast: bool = False,
) -> CheckResult:
    """Check one JSON-LD document and return the findings with the intermediate forms.

    ``doc_or_text`` is JSON text (str or bytes) or already parsed JSON. ``base`` is the document's
    base IRI — pass one explicitly (a file's ``file://`` IRI, the page's URL); ``None`` leaves
    relative IRIs relative. ``jsonld_options`` are passed to PyLD (``processingMode``,
    ``expandContext``, ``rdfDirection``, …); ``documents`` maps further IRIs to parsed documents
    the offline loader may serve (never the network). ``positions`` maps JSON paths to line and
    column in the source file, for inputs whose parser knows them (YAML front matter).
    ``keep_forms=False`` leaves ``expanded``, ``nquads`` and ``graph`` out of the result (the
    findings are the same): building them is a fifth of a check's time, and a corpus check
    needs only the findings. ``fast=True`` (with ``keep_forms=False``, no profile, no
    ``against``, no ``documents`` or options) first asks the fast path
    (:mod:`pfocr_ld.check_jsonld.fast`), which answers only "no finding"; the findings are the
    same either way, and every finding comes from the exact path.
    """
    check_set = frozenset(checks)
    findings: list[Finding] = []
    if isinstance(doc_or_text, (str, bytes)):
        document, syntax = parse_json(doc_or_text)
        findings.extend(syntax if Check.SYNTAX in check_set else [f for f in syntax if f.severity == "error"])
        if document is None and syntax:
            return CheckResult(_dedupe(findings))
    else:
        document = doc_or_text
    if (
        fast
        and not keep_forms
        and not findings
        and not profiles
        and against is None
        and not documents
        and not jsonld_options
        and _fast_clean(document, base, check_set)
    ):
        return CheckResult([], document)
    run = _Run(
        document=document,
        base=base,
        options=dict(jsonld_options or {}),
        loader=_recording_loader(documents, findings, base),
        documents=documents,
        findings=findings,
    )
    _process(run)
    result = CheckResult(findings, document)
    if run.expanded is None:
        result.findings = _place(_dedupe(run.findings), positions)
        return result
    if keep_forms:
        # a copy for the caller: the RDF step below labels blank nodes in run.expanded itself
        result.expanded = copy.deepcopy(run.expanded)
    if Check.DROPPED in check_set:
        _check_dropped(run)
    if Check.IRIS in check_set:
        _check_iris(run)
    if Check.VOCABULARY in check_set:
        _check_vocabulary(run)
    try:
        result.nquads, result.graph = _to_rdf(run, keep=keep_forms or bool(profiles) or against is not None)
    except JsonLdError as error:
        code, message, _ = _error_info(error)
        run.add("error", code or "jsonld-processor-failure", "$", message)
    except Exception as error:  # a processor bug on odd input must not end the whole check
        run.add(
            "error",
            "jsonld-processor-failure",
            "$",
            f"RDF conversion failed: {type(error).__name__}: {error}",
        )
    if result.graph is not None:
        for profile in profiles:
            _check_profile(run, result.graph, profile)
        if against is not None:
            _compare(run, result.graph, load_against(against))
    result.findings = _place(_dedupe(run.findings), positions)
    return result


def check_document(
    doc_or_text: JsonInput,
    *,
    base: str | None,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    jsonld_options: Mapping[str, Any] | None = None,
    documents: Mapping[str, Any] | None = None,
    fast: bool = False,
) -> list[Finding]:
    """Check one JSON-LD document (JSON text or parsed JSON); see :func:`analyse_document`.

    Raises :class:`ShapesNotFoundError` for a profile whose shapes are missing.
    """
    return analyse_document(
        doc_or_text,
        base=base,
        profiles=profiles,
        against=against,
        checks=checks,
        jsonld_options=jsonld_options,
        documents=documents,
        keep_forms=False,
        fast=fast,
    ).findings


def check_html(
    text: str,
    *,
    name: str,
    base: str,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    fast: bool = False,
) -> list[DocumentReport]:
    """Check every JSON-LD script block of an HTML page, each as its own document."""
    scripts = html_scripts(text)
    if not scripts.blocks:
        return [
            DocumentReport(
                name, [Finding("warning", "no-jsonld", "$", "the page has no JSON-LD script element")]
            )
        ]
    effective_base = html_base(scripts, base)
    reports = []
    for block in scripts.blocks:
        label = f"{name}#script[{block.index}] (line {block.line})"
        document, syntax = parse_json(
            block.text,
            line_offset=block.line - 1,
            column_offset=block.column - 1,
            code="invalid script element",
        )
        if document is None:
            reports.append(DocumentReport(label, syntax))
            continue
        findings = analyse_document(
            document,
            base=effective_base,
            profiles=profiles,
            against=against,
            checks=checks,
            keep_forms=False,
            fast=fast,
        ).findings
        reports.append(DocumentReport(label, syntax + findings))
    return reports


def check_record(
    text: str,
    *,
    name: str,
    base: str,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    fast: bool = False,
) -> list[DocumentReport]:
    """Check the ``schema-jsonld`` block of a PFOCR front-matter record."""
    block = record_block(text)
    label = f"{name}#{FRONT_MATTER_KEY}"
    if block.document is None:
        return [DocumentReport(label, block.findings)]
    findings = analyse_document(
        block.document,
        base=base,
        profiles=profiles,
        against=against,
        checks=checks,
        positions=block.positions,
        keep_forms=False,
        fast=fast,
    ).findings
    return [DocumentReport(label, block.findings + findings)]


def check_path(
    path: str | Path,
    *,
    base: str | None = None,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
) -> list[DocumentReport]:
    """Check a file or every file of a folder; one report per document.

    The base IRI is ``base`` when given, else each file's ``file://`` IRI. Raises
    :class:`InputError` when the path does not exist or a file cannot be read.
    """
    root = Path(path)
    if not root.exists():
        raise InputError(f"{root}: no such file or directory")
    expected = (
        load_against(against) if against is not None and not isinstance(against, rdflib.Graph) else against
    )
    reports: list[DocumentReport] = []
    for file in iter_inputs(root):
        reports.extend(check_file(file, base=base, profiles=profiles, against=expected, checks=checks))
    return reports


def check_file(
    file: Path,
    *,
    base: str | None = None,
    profiles: Sequence[str] = (),
    against: str | Path | rdflib.Graph | None = None,
    checks: Collection[Check] = ALL_CHECKS,
    fast: bool = False,
) -> list[DocumentReport]:
    """Check one file (JSON-LD, HTML page or record): one report per document it holds.

    ``fast``: see :func:`analyse_document`. Raises :class:`InputError` when the file cannot be read.
    """
    try:
        regular, reason = is_regular_file(file)
        if not regular:  # a FIFO or device would block the read or never end
            raise InputError(f"{file}: {reason}")
        data = file.read_bytes()
    except OSError as error:
        raise InputError(f"{file}: {error.strerror or error}") from error
    name = str(file)
    file_base = base or file.resolve().as_uri()
    suffix = file.suffix.lower()
    if suffix in HTML_SUFFIXES or suffix in RECORD_SUFFIXES:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            finding = Finding("error", "json-syntax", f"byte {error.start}", "not valid UTF-8")
            return [DocumentReport(name, [finding])]
        checker = check_html if suffix in HTML_SUFFIXES else check_record
        return checker(
            text, name=name, base=file_base, profiles=profiles, against=against, checks=checks, fast=fast
        )
    findings = check_document(
        data, base=file_base, profiles=profiles, against=against, checks=checks, fast=fast
    )
    return [DocumentReport(name, findings)]
