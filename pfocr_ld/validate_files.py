"""``pfocr-ld validate``: SHACL validation of RDF files of any common syntax, in bounded memory.

This module owns reading Turtle, N-Triples, N-Quads, RDF/XML and JSON-LD files (gzipped or not),
cutting them into self-contained chunks of whole figures (every triple about a figure and the nodes
it links to, however the file orders them), validating each chunk with one engine call of
:mod:`pfocr_ld.validation`, and the command with its text, JSON and ``sh:ValidationReport`` outputs.
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import click
import orjson
import pyoxigraph as ox

from pfocr_ld import rdf, vocab
from pfocr_ld.limits import is_regular_file
from pfocr_ld.validation import (
    DEFAULT_CHUNK_FIGURES,
    ENGINES,
    SEVERITIES,
    SHAPES_NS,
    Engine,
    Finding,
    ValidationInputError,
    curie,
    make_engine,
    parse_term,
    shorten,
    sort_findings,
    validate_ntriples,
)
from pfocr_ld.vocab import T

_RDF_TYPE = ox.NamedNode(T.rdf["type"])
_FIGURE = ox.NamedNode(T.pfocr["Figure"])
_XSD_BOOLEAN = ox.NamedNode(vocab.XSD + "boolean")
_SH = vocab.SH

# Reading RDF files -------------------------------------------------------------------------------
_JSONLD_SUFFIXES = frozenset({"jsonld", "json"})
READABLE_SUFFIXES: frozenset[str] = rdf.RDF_SUFFIXES | _JSONLD_SUFFIXES


def _suffix(path: Path) -> tuple[str, bool]:
    name = path.name.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    return (name.rsplit(".", 1)[-1] if "." in name else ""), compressed


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders (such as a build's ``jsonld/``) replaced by the RDF files inside."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and _suffix(p)[0] in READABLE_SUFFIXES)
            if not inside:
                raise ValidationInputError(f"{path}: no RDF files in this folder")
            files.extend(inside)
        else:
            if path.exists() and not is_regular_file(path)[0]:  # a FIFO would block, a device never end
                raise ValidationInputError(f"{path}: {is_regular_file(path)[1]}")
            files.append(path)
    return files


def _is_jsonld(path: Path) -> bool:
    return _suffix(path)[0] in _JSONLD_SUFFIXES


def read_triples(path: Path) -> Iterator[ox.Triple]:
    """Stream the triples of one file; quads of TriG/N-Quads are merged into one graph.

    Turtle, N-Triples, N-Quads, TriG, N3 and RDF/XML are parsed incrementally (plain or gzipped);
    a JSON-LD file is converted whole by PyLD with the bundled contexts (offline), so JSON-LD is
    meant for per-record documents such as the build's ``jsonld/`` folder.
    """
    suffix, compressed = _suffix(path)
    if suffix in _JSONLD_SUFFIXES:
        yield from _read_jsonld(path, compressed)
        return
    rdf_format = rdf.syntax_of_suffix(suffix)
    if rdf_format is None:
        raise ValidationInputError(
            f"{path}: unknown RDF syntax (expected .ttl, .nt, .nq, .trig, .n3, .rdf, .jsonld, optionally .gz)"
        )
    try:
        with gzip.open(path, "rb") if compressed else open(path, "rb") as handle:
            source = cast("IO[bytes]", handle)  # GzipFile and BufferedReader are both binary readers
            for item in ox.parse(input=source, format=rdf_format, base_iri=path.resolve().as_uri()):
                yield item.triple if isinstance(item, ox.Quad) else item
    except SyntaxError as exc:
        raise ValidationInputError(f"{path}: {_syntax_message(exc)}") from exc
    except (OSError, EOFError) as exc:  # unreadable, truncated or corrupt gzip
        raise ValidationInputError(f"{path}: cannot read: {exc}") from exc


def _syntax_message(exc: SyntaxError) -> str:
    message = exc.msg if exc.msg else str(exc)
    # pyoxigraph's messages name the position ("Parser error at line 3 between columns …");
    # add it when a message does not, so the user always learns the line.
    if "line" not in message and exc.lineno is not None:
        message = f"line {exc.lineno}, column {exc.offset or 0}: {message}"
    return message


def _read_jsonld(path: Path, compressed: bool) -> Iterator[ox.Triple]:
    from pyld.jsonld import JsonLdError

    from pfocr_ld.jsonld import to_nquads

    try:
        if compressed:
            with gzip.open(path, "rb") as handle:
                raw = handle.read()
        else:
            raw = path.read_bytes()
        document = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise ValidationInputError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ValidationInputError(f"{path}: not UTF-8 (byte {exc.start})") from exc
    except (OSError, EOFError) as exc:
        raise ValidationInputError(f"{path}: cannot read: {exc}") from exc
    try:
        nquads = to_nquads(document, path.resolve().as_uri())
    except JsonLdError as exc:
        raise ValidationInputError(f"{path}: JSON-LD error: {getattr(exc, 'code', None) or exc}") from exc
    yield from (q.triple for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS))


def _figures_in(triples: Iterable[ox.Triple]) -> set[str]:
    return {t.subject.value for t in triples if t.predicate == _RDF_TYPE and t.object == _FIGURE}  # type: ignore[union-attr]


def _key(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str | None:
    """How the chunker names a node: the IRI, ``_:id`` for a blank node, ``None`` for a literal
    (or an RDF 1.2 triple term)."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return None


@dataclass
class Chunk:
    """Whole figure blocks plus the descriptions of every shared node they reach, as N-Triples lines."""

    figures: list[str]
    lines: list[str]

    def text(self) -> str:
        return "\n".join(self.lines) + "\n" if self.lines else ""

    def triples(self) -> list[ox.Triple]:
        return [quad.triple for quad in ox.parse(self.text(), format=ox.RdfFormat.N_TRIPLES)]


class _Router:
    """Splits RDF into chunks of whole figures, each self-contained for validation.

    A triple belongs to a figure when its subject is the figure or one of its ``#`` fragments, or
    when its object is the figure (a gene's or paper's ``dcterms:isPartOf`` link); every other
    triple describes a shared node (gene, chemical, paper, journal …) and is kept, once, in a store
    keyed by subject. A chunk is its figures' triples plus the descriptions of every shared node they
    reach, followed transitively (paper → journal → publisher).

    The store is filled by a pass of its own before any chunk is cut, so every chunk sees each
    shared node with *all* its descriptions in the input: the results are those of the whole input
    as one graph, whatever the chunk size, and whether the dump repeats shared descriptions in
    every figure block or writes each once (pfocr-ld's dumps do the latter; a node that figure
    records describe differently is written once per variant). The only assumption is that each
    figure's own triples are contiguous, as in every pfocr-ld output; a triple for a figure
    already validated raises :class:`ValidationInputError` instead of giving wrong results.
    """

    def __init__(self, figures: set[str], figures_per_chunk: int) -> None:
        self.figures = figures
        self.size = figures_per_chunk
        self.buckets: dict[str, list[tuple[str, str | None, str | None]]] = {}
        self.flushed: set[str] = set()
        self.shared: dict[str, dict[str, str | None]] = {}
        self.reached: set[str] = set()

    def owner(self, key: str | None) -> str | None:
        if key is None:
            return None
        if key in self.figures:
            return key
        hash_at = key.rfind("#")
        if hash_at > 0 and key[:hash_at] in self.figures:
            return key[:hash_at]
        return None

    def _figure_of(self, subject: str | None, obj: str | None) -> str | None:
        return self.owner(subject) or (obj if obj in self.figures else None)

    def store(self, triple: ox.Triple) -> None:
        """First pass: keep the triples that describe shared nodes."""
        subject, obj = _key(triple.subject), _key(triple.object)
        if self._figure_of(subject, obj) is None:
            self.shared.setdefault(subject or "", {})[f"{triple} ."] = obj

    def route(self, triple: ox.Triple) -> Chunk | None:
        """Second pass: collect figure triples; returns a chunk when one is complete."""
        subject, obj = _key(triple.subject), _key(triple.object)
        figure = self._figure_of(subject, obj)
        if figure is None:
            return None
        bucket = self.buckets.get(figure)
        chunk = None
        if bucket is None:
            if figure in self.flushed:
                raise ValidationInputError(
                    f"the input is not in figure-block order: triples of <{figure}> appear after its "
                    "block; validate it whole with --chunk-size 0"
                )
            bucket = self.buckets[figure] = []
            if self.size and len(self.buckets) > self.size:
                chunk = self._flush(list(self.buckets)[: self.size])
        bucket.append((f"{triple} .", subject, obj))
        return chunk

    def _flush(self, figures: list[str]) -> Chunk:
        lines: list[str] = []
        frontier: list[str] = []
        for figure in figures:
            for line, subject, obj in self.buckets.pop(figure):
                lines.append(line)
                for node in (subject, obj):
                    if node is not None and node in self.shared:
                        frontier.append(node)
            self.flushed.add(figure)
        lines.extend(self._closure(frontier))
        return Chunk(figures, lines)

    def _closure(self, frontier: list[str]) -> list[str]:
        lines: list[str] = []
        seen: set[str] = set()
        while frontier:
            node = frontier.pop()
            if node in seen:
                continue
            seen.add(node)
            description = self.shared.get(node)
            if description is None:
                continue
            lines.extend(description)
            frontier.extend(o for o in description.values() if o is not None and o not in seen)
        self.reached |= seen
        return lines

    def finish(self) -> Iterator[Chunk]:
        if not self.size:
            # One graph: every figure and every shared description.
            figures = list(self.buckets)
            lines = [line for f in figures for line, _, _ in self.buckets.pop(f)]
            lines += [line for description in self.shared.values() for line in description]
            if lines:
                yield Chunk(figures, lines)
            return
        remaining = list(self.buckets)
        for start in range(0, len(remaining), self.size):
            yield self._flush(remaining[start : start + self.size])
        orphans = [node for node in self.shared if node not in self.reached]
        if orphans:
            # Shared nodes no figure reaches (void.ttl, foreign data), validated together.
            yield Chunk([], self._closure(orphans))


def iter_chunks(paths: Sequence[Path], figures_per_chunk: int = DEFAULT_CHUNK_FIGURES) -> Iterator[Chunk]:
    """Chunks of whole figures (with the shared nodes they use) from RDF files, in bounded memory.

    Three streaming passes over the inputs: the figure IRIs (a figure's links may precede its type
    triple), the shared descriptions, then the figures themselves, cut into chunks. JSON-LD
    documents are converted once, in the first pass, into a temporary N-Triples file that the
    other passes read. Memory holds one chunk of figures plus the distinct shared descriptions
    (which grow with the number of distinct genes, chemicals and papers, not with figures).
    """
    files = expand_inputs(paths)
    with tempfile.TemporaryDirectory(prefix="pfocr-validate-") as spool_dir:
        sources: list[Path] = []
        figures: set[str] = set()
        spool: Path | None = None
        for path in files:
            if _is_jsonld(path):
                triples = list(read_triples(path))
                figures |= _figures_in(triples)
                if spool is None:  # consecutive JSON-LD documents share one spool file
                    spool = Path(spool_dir) / f"jsonld-{len(sources)}.nt"
                    sources.append(spool)
                with open(spool, "ab") as handle:
                    handle.write(rdf.serialize(triples, ox.RdfFormat.N_TRIPLES))
            else:
                spool = None
                figures |= _figures_in(read_triples(path))
                sources.append(path)
        router = _Router(figures, figures_per_chunk)
        for path in sources:
            for triple in read_triples(path):
                router.store(triple)
        for path in sources:
            for triple in read_triples(path):
                chunk = router.route(triple)
                if chunk is not None:
                    yield chunk
        yield from router.finish()


@dataclass
class FileReport:
    """The outcome of ``pfocr-ld validate``: de-duplicated findings over all chunks."""

    inputs: list[str]
    engine: str
    findings: list[Finding] = field(default_factory=list)
    triples: int = 0
    figures: int = 0
    chunks: int = 0

    @property
    def counts(self) -> dict[str, int]:
        counts = {name: 0 for name in SEVERITIES}
        for finding in self.findings:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return counts

    @property
    def conforms(self) -> bool:
        """SHACL's ``sh:conforms``: true only when there are no validation results at all.

        Warnings and infos are validation results too (SHACL §3.6.1: "true if the validation did not
        produce any validation results"), so a report with only warnings does not conform.
        """
        return not self.findings

    @property
    def passes(self) -> bool:
        """No violations (warnings and infos allowed): what ``validate``'s exit status 0 means."""
        return self.counts["Violation"] == 0


def validate_files(
    paths: Sequence[Path],
    engine: Engine,
    figures_per_chunk: int = DEFAULT_CHUNK_FIGURES,
) -> FileReport:
    """Validate files as one graph, chunk by chunk; raises :class:`ValidationInputError`."""
    report = FileReport([str(p) for p in expand_inputs(paths)], engine.name)
    seen: set[Finding] = set()
    for chunk in iter_chunks(paths, figures_per_chunk):
        report.chunks += 1
        report.figures += len(chunk.figures)
        report.triples += len(chunk.lines)
        for finding in validate_ntriples(engine, chunk.text()):
            # A shared node is validated with every chunk that reaches it; report it once.
            if finding not in seen:
                seen.add(finding)
                report.findings.append(finding)
    report.findings = sort_findings(report.findings)
    return report


# Output ------------------------------------------------------------------------------------------
def render_text(report: FileReport) -> str:
    """Human-readable: one section per focus node, worst severity first."""
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        grouped[finding.focus].append(finding)
    order = sorted(grouped, key=lambda f: (min(rank[x.severity] for x in grouped[f]), f))
    lines: list[str] = []
    for focus in order:
        lines.append(focus)
        for finding in grouped[focus]:
            where = curie(finding.path) if finding.path else "(node)"
            shape = f", {curie(finding.shape)}" if finding.shape else ""
            lines.append(f"  {finding.severity:<9} {where}: {finding.message}")
            value = f"value {shorten(finding.value)}; " if finding.value is not None else ""
            lines.append(f"            [{value}sh:{finding.component}{shape}]")
        lines.append("")
    counts = report.counts
    if report.conforms:
        verdict = "conforms"
    elif report.passes:
        verdict = "does not conform (SHACL: any result does), but has no violations: passes"
    else:
        verdict = "does NOT conform: violations"
    lines.append(
        f"{len(report.inputs)} file(s), {report.figures} figure(s), {report.triples} triples validated in "
        f"{report.chunks} chunk(s), engine {report.engine}: "
        f"{counts['Violation']} violation(s), {counts['Warning']} warning(s), {counts['Info']} info(s) "
        f"on {len(grouped)} node(s) — {verdict}."
    )
    return "\n".join(lines) + "\n"


def render_json(report: FileReport) -> bytes:
    body = {
        "conforms": report.conforms,
        "passes": report.passes,
        "engine": report.engine,
        "inputs": report.inputs,
        "figures": report.figures,
        "triples_validated": report.triples,
        "chunks": report.chunks,
        "counts": report.counts,
        "results": [finding.as_dict() for finding in report.findings],
    }
    return orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"


def report_triples(findings: Sequence[Finding], conforms: bool) -> list[ox.Triple]:
    """The findings as a standard ``sh:ValidationReport`` graph."""

    def sh(name: str) -> ox.NamedNode:
        return ox.NamedNode(_SH + name)

    root = ox.BlankNode()
    triples = [
        ox.Triple(root, _RDF_TYPE, sh("ValidationReport")),
        ox.Triple(root, sh("conforms"), ox.Literal("true" if conforms else "false", datatype=_XSD_BOOLEAN)),
    ]
    for finding in findings:
        node = ox.BlankNode()
        triples.append(ox.Triple(root, sh("result"), node))
        triples.append(ox.Triple(node, _RDF_TYPE, sh("ValidationResult")))
        triples.append(ox.Triple(node, sh("focusNode"), parse_term(finding.focus)))
        if finding.path:
            triples.append(ox.Triple(node, sh("resultPath"), ox.NamedNode(finding.path)))
        if finding.value is not None:
            triples.append(ox.Triple(node, sh("value"), parse_term(finding.value)))
        triples.append(ox.Triple(node, sh("resultSeverity"), sh(finding.severity)))
        triples.append(ox.Triple(node, sh("sourceConstraintComponent"), sh(finding.component)))
        shape = ox.NamedNode(finding.shape) if finding.shape else ox.BlankNode()
        triples.append(ox.Triple(node, sh("sourceShape"), shape))
        if finding.message:
            triples.append(ox.Triple(node, sh("resultMessage"), ox.Literal(finding.message)))
    return triples


def render_turtle(report: FileReport) -> bytes:
    prefixes = dict(vocab.PREFIXES)
    prefixes.update({"sh": _SH, "pfocrsh": SHAPES_NS})
    return rdf.serialize(
        report_triples(report.findings, report.conforms), ox.RdfFormat.TURTLE, prefixes=prefixes
    )


# The command -------------------------------------------------------------------------------------
@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--shapes",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="SHACL shapes file or folder (default: the bundled shapes).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "turtle"]),
    default="text",
    show_default=True,
    help="text for people, json for programs, turtle for a sh:ValidationReport.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="shacl",
    show_default=True,
    help="SHACL engine: shacl (fast) or pyshacl (reference implementation, 30-60x slower).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=0),
    default=DEFAULT_CHUNK_FIGURES,
    show_default=True,
    help="Figure blocks per engine call (bounds memory); 0 validates all input as one graph.",
)
def validate_command(
    files: tuple[Path, ...], shapes: Path | None, output_format: str, engine: str, chunk_size: int
) -> None:
    """SHACL-validate RDF FILES (or folders of them) against the PFOCR shapes.

    Reads Turtle, N-Triples, N-Quads, TriG, N3, RDF/XML (each optionally .gz) and JSON-LD (with the
    bundled contexts, offline); all files are validated together as one graph, in chunks of whole
    figure blocks. The reports' conforms (text verdict, JSON "conforms", sh:conforms) follow SHACL:
    true only without any result, warnings and infos included. Exit status 0: no violations
    (warnings and infos allowed; JSON "passes"); 1: violations; 2: unreadable input or usage error.
    """
    try:
        validator = make_engine(engine, shapes)
        report = validate_files(list(files), validator, chunk_size)
    except ValidationInputError as exc:
        click.echo(f"pfocr-ld validate: error: {' '.join(str(exc).split())}", err=True)
        sys.exit(2)
    if output_format == "json":
        sys.stdout.buffer.write(render_json(report))
    elif output_format == "turtle":
        sys.stdout.buffer.write(render_turtle(report))
    else:
        click.echo(render_text(report), nl=False)
    sys.stdout.flush()
    sys.exit(0 if report.passes else 1)
