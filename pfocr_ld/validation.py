"""SHACL validation of pfocr-ld RDF: in the build (per batch) and of any file (``pfocr-ld validate``).

This module owns everything between the shapes in ``shapes/`` and a verdict:

* loading the shapes (a file, a folder of ``*.ttl`` or the bundled ones) once per process;
* two engines behind one interface: ``shacl`` (a compiled Rust SHACL Core engine, the default and
  the one the build uses) and ``pyshacl`` (the reference implementation, for confirmation and the
  differential tests). Both run without inference and report the same :class:`Finding` records;
* :class:`BatchValidator`, which validates one build batch in a single engine call and attributes
  every result to the figures it concerns (the build rejects figures with violations);
* (reading RDF files of any common syntax in bounded memory, cut into self-contained chunks of
  whole figures, and the ``validate`` command are :mod:`pfocr_ld.validate_files`'s).

Severities: ``Violation`` rejects a figure in the build and makes ``validate`` exit 1; ``Warning``
and ``Info`` are reported only (but, as SHACL defines it, any result makes ``sh:conforms`` false).
Info results are not written to the build's report.json, where the model already reports what they
say (unlinked mentions) as warnings.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import pyoxigraph as ox

from pfocr_ld import rdf, resources, vocab
from pfocr_ld.records import Problem

ENGINES: tuple[str, ...] = ("shacl", "pyshacl")
SEVERITIES: tuple[str, ...] = ("Violation", "Warning", "Info")
#: Namespace of our own shape IRIs; results name their shape in it.
SHAPES_NS = "https://pfocr.wikipathways.org/shapes#"
#: Figures per engine call in ``pfocr-ld validate``; like the build's batches, it bounds memory.
DEFAULT_CHUNK_FIGURES = 250

_SH = vocab.SH


class ValidationInputError(Exception):
    """Input that cannot be read or parsed (exit status 2); the message names file and line."""


# Findings ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One validation result, engine-independent.

    ``focus`` and ``value`` are terms in N-Triples syntax (as pyoxigraph writes them, so both
    engines spell them alike); ``path`` is the predicate IRI of the result path; ``component`` and
    ``severity`` are local names in the SHACL namespace; ``shape`` is the source shape IRI when
    the shape is named (all of ours that can report are).
    """

    severity: str
    focus: str
    path: str | None
    value: str | None
    component: str
    message: str
    shape: str | None

    @property
    def key(self) -> tuple[str, str | None, str, str]:
        """What the differential test compares: (focus node, path, constraint component, severity)."""
        return (self.focus, self.path, self.component, self.severity)

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "focus": self.focus,
            "path": self.path,
            "path_curie": curie(self.path) if self.path else None,
            "value": self.value,
            "component": self.component,
            "message": self.message,
            "shape": self.shape,
        }


def curie(iri: str) -> str:
    if iri.startswith(SHAPES_NS):
        return "pfocrsh:" + iri[len(SHAPES_NS) :]
    compressed = vocab.CONVERTER.compress(iri)
    return compressed if compressed else iri


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


@lru_cache(maxsize=65536)
def _canonical_nt(term_text: str) -> str:
    """A term in pyoxigraph's N-Triples spelling (engines may escape literals differently)."""
    return str(parse_term(term_text))


@lru_cache(maxsize=65536)
def parse_term(term_text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    line = f"<urn:pfocr-ld:s> <urn:pfocr-ld:p> {term_text} .\n"
    return next(iter(ox.parse(line, format=ox.RdfFormat.N_TRIPLES))).object


def _strip_iri(text: str | None) -> str | None:
    if text is None:
        return None
    return text[1:-1] if text.startswith("<") and text.endswith(">") else text


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    return sorted(
        findings,
        key=lambda f: (
            rank.get(f.severity, 9),
            f.focus,
            f.path or "",
            f.component,
            f.value or "",
            f.shape or "",
        ),
    )


# Shapes ------------------------------------------------------------------------------------------
def shape_files(shapes: Path | str | None = None) -> list[Path]:
    """The shapes files to load: a file, every ``*.ttl`` in a folder, or the bundled shapes."""
    where = Path(shapes) if shapes is not None else resources.shapes_dir()
    if where.is_dir():
        files = sorted(where.glob("*.ttl"))
        if not files:
            raise ValidationInputError(f"{where}: no *.ttl shapes files in this folder")
        return files
    if where.is_file():
        return [where]
    raise ValidationInputError(f"{where}: no such shapes file or folder")


def load_shapes_ntriples(shapes: Path | str | None = None) -> str:
    """All shapes as one N-Triples document.

    Parsing each file separately and merging the triples keeps blank nodes of different files
    apart (pyoxigraph gives every parsed blank node a fresh id), which concatenating Turtle would not.
    """
    triples: list[ox.Triple] = []
    for path in shape_files(shapes):
        try:
            triples.extend(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
        except SyntaxError as exc:
            raise ValidationInputError(f"{path}: {exc.msg if hasattr(exc, 'msg') else exc}") from exc
    return rdf.serialize(triples, ox.RdfFormat.N_TRIPLES).decode("utf-8")


# Engines -----------------------------------------------------------------------------------------
class Engine(Protocol):
    """A SHACL engine. ``focus_nodes`` (IRIs) limits the report to those focus nodes."""

    name: str

    def run(self, data_ntriples: str, focus_nodes: Collection[str] | None = None) -> list[Finding]: ...


class ShaclEngine:
    """The ``shacl`` package: shapes compiled once, each call validates one N-Triples document."""

    name = "shacl"

    def __init__(self, shapes_ntriples: str) -> None:
        import shacl

        self._shapes = shacl.Shapes.from_text(shapes_ntriples, format="ntriples")

    def run(self, data_ntriples: str, focus_nodes: Collection[str] | None = None) -> list[Finding]:
        # allow_warnings only changes the report's own conforms flag; we decide conformance
        # from the severities ourselves so both engines agree by construction.
        report = self._shapes.validate_text(
            data_ntriples, format="ntriples", inference="none", allow_warnings=True
        )
        findings = []
        for result in report.results:
            source = result.source_shape
            shape = source if source and source.startswith("<") else result.root_shape
            findings.append(
                Finding(
                    severity=result.severity,
                    focus=_canonical_nt(result.focus_node),
                    path=_strip_iri(result.path),
                    value=_canonical_nt(result.value) if result.value is not None else None,
                    component=result.component,
                    message=result.message or "",
                    shape=_strip_iri(shape) if shape and shape.startswith("<") else None,
                )
            )
        if focus_nodes is not None:
            # The engine has no focus-node option; filtering gives the same results, since a
            # focus node's results never depend on which other nodes are validated.
            wanted = {f"<{node}>" for node in focus_nodes}
            findings = [f for f in findings if f.focus in wanted]
        return findings


class PyshaclEngine:
    """pySHACL, the reference engine: slower (~100 records/s) but the most widely used implementation."""

    name = "pyshacl"

    def __init__(self, shapes_ntriples: str) -> None:
        import rdflib

        self._shapes = rdflib.Graph().parse(data=shapes_ntriples, format="nt")

    def run(self, data_ntriples: str, focus_nodes: Collection[str] | None = None) -> list[Finding]:
        import pyshacl
        import rdflib

        data = rdflib.Graph().parse(data=data_ntriples, format="nt")
        _, report, _ = pyshacl.validate(
            data,
            shacl_graph=self._shapes,
            inference="none",
            advanced=False,
            inplace=True,
            allow_warnings=True,
            allow_infos=True,
            meta_shacl=False,
            focus_nodes=[rdflib.URIRef(node) for node in focus_nodes] if focus_nodes is not None else None,
        )
        sh = rdflib.Namespace(_SH)
        findings = []
        for result in report.subjects(rdflib.RDF.type, sh.ValidationResult):
            focus = report.value(result, sh.focusNode)
            path = report.value(result, sh.resultPath)
            value = report.value(result, sh.value)
            shape = report.value(result, sh.sourceShape)
            messages = sorted(str(m) for m in report.objects(result, sh.resultMessage))
            findings.append(
                Finding(
                    severity=_local(str(report.value(result, sh.resultSeverity))),
                    focus=_rdflib_nt(focus),
                    path=str(path)
                    if isinstance(path, rdflib.URIRef)
                    else (None if path is None else "(complex path)"),
                    value=_rdflib_nt(value) if value is not None else None,
                    component=_local(str(report.value(result, sh.sourceConstraintComponent))),
                    message=messages[0] if messages else "",
                    shape=str(shape) if isinstance(shape, rdflib.URIRef) else None,
                )
            )
        return findings


def _rdflib_nt(term: Any) -> str:
    """An rdflib term in pyoxigraph's N-Triples spelling."""
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, rdflib.BNode):
        return str(ox.BlankNode(str(term)))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        datatype = ox.NamedNode(str(term.datatype)) if term.datatype else None
        return str(ox.Literal(str(term), datatype=datatype))
    return str(term)


def make_engine(name: str, shapes: Path | str | None = None) -> Engine:
    shapes_nt = load_shapes_ntriples(shapes)
    if name == "shacl":
        return ShaclEngine(shapes_nt)
    if name == "pyshacl":
        return PyshaclEngine(shapes_nt)
    raise ValueError(f"unknown SHACL engine {name!r}; use one of {', '.join(ENGINES)}")


def validate_triples(engine: Engine, triples: Iterable[ox.Triple]) -> list[Finding]:
    """Validate one graph (no inference) and return its findings, sorted."""
    data = rdf.serialize(triples, ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return sort_findings(engine.run(data))


def validate_ntriples(engine: Engine, text: str) -> list[Finding]:
    """Validate one graph given as N-Triples text."""
    return sort_findings(engine.run(text))


# The build's batch validator ---------------------------------------------------------------------
#: A figure's block: pyoxigraph triples, the build's ``(subject, predicate, object-in-N-Triples)``
#: tuples (:mod:`pfocr_ld.rdf`), or the block already serialised as N-Triples.
BlockTriples = Sequence[ox.Triple] | Sequence[tuple[str, str, str]] | bytes | str
BatchItem = tuple[str, str, BlockTriples, str]  # (figid, figure IRI, block, source file)


def block_ntriples(triples: BlockTriples) -> bytes:
    """One figure block as N-Triples bytes, whatever form the build hands it over in."""
    if isinstance(triples, bytes):
        return triples if not triples or triples.endswith(b"\n") else triples + b"\n"
    if isinstance(triples, str):
        return block_ntriples(triples.encode("utf-8"))
    if not triples:
        return b""
    if isinstance(triples[0], (ox.Triple, ox.Quad)):
        return rdf.serialize(cast("Sequence[ox.Triple]", triples), ox.RdfFormat.N_TRIPLES)
    return "".join([f"<{s}> <{p}> {o} .\n" for s, p, o in triples]).encode("utf-8")


@dataclass
class BatchOutcome:
    """What the build needs from one batch.

    ``rejected``: figid → its violations (those figures are not published); ``warnings``: figid →
    number of warnings; ``problems``: every violation and warning as report.json rows, one per
    figure concerned (a shared node's result concerns every figure of the batch that describes it).
    """

    rejected: dict[str, list[Problem]] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


class BatchValidator:
    """Validates build batches against compiled shapes; one instance per worker process."""

    def __init__(self, shapes: Path | str | None = None, engine: str = "shacl") -> None:
        self.engine = make_engine(engine, shapes)

    def check(self, triples: Iterable[ox.Triple]) -> list[Finding]:
        return validate_triples(self.engine, triples)

    def validate(self, items: Sequence[BatchItem]) -> BatchOutcome:
        """Validate each figure's block on its own graph.

        One engine call per figure, not per batch: a figure's block holds every node it links to, so
        it is a complete graph; validating it alone makes each result belong to that figure, and
        makes the outcome independent of which figures share a batch (two figures describing one
        gene differently never meet in one graph). Measured here it is also faster than one call on
        the concatenated batch (0.40 s vs 0.72 s for 250 synthetic figures).
        """
        outcome = BatchOutcome()
        for figid, _, triples, source in items:
            block = block_ntriples(triples)
            text = block.decode("utf-8")
            # A shape with sh:targetNode targets its node in every graph, present or not: results
            # about nodes this block does not mention belong to another figure.
            findings = [f for f in validate_ntriples(self.engine, text) if f.focus in text] if block else []
            outcome.findings.extend(findings)
            for finding in findings:
                if finding.severity == "Info":
                    continue
                blocking = finding.severity == "Violation"
                severity: Literal["error", "warning"] = "error" if blocking else "warning"
                problem = _problem(finding, source, figid, severity)
                outcome.problems.append(problem)
                if severity == "error":
                    outcome.rejected.setdefault(figid, []).append(problem)
                else:
                    outcome.warnings[figid] = outcome.warnings.get(figid, 0) + 1
        return outcome


def _problem(finding: Finding, source: str, figid: str, severity: Literal["error", "warning"]) -> Problem:
    where = curie(finding.path) if finding.path else _local(finding.shape or finding.component)
    value = f"; value {shorten(finding.value)}" if finding.value not in (None, finding.focus) else ""
    reason = f"{finding.message} [{finding.focus}{value}; sh:{finding.component}]"
    details = {
        "focus": finding.focus,
        "path": finding.path or "",
        "value": finding.value or "",
        "constraint": "sh:" + finding.component,
        "message": finding.message,
        "shape": curie(finding.shape) if finding.shape else "",
        "shacl_severity": finding.severity,
    }
    return Problem(source, where, reason, severity, figid, details)


def shorten(text: str | None, limit: int = 120) -> str:
    if text is None:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
