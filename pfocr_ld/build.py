"""The build: source paths in, published files out, one batch of records at a time.

This module owns the data flow of ``pfocr-ld build``: discovery (main process) → read, model,
map, validate and serialise (worker processes, one batch of records per task) → ordered writing
and statistics (main process). Workers return finished bytes, so the main process only appends;
results come back in input order, which makes the output independent of worker count and batch
size. Memory is bounded by the batches in flight, not by the corpus. A thread of the main
process reads the files of the next few batches into the page cache ahead of the workers, and
the cycle collector runs rarely during a build (see :func:`_rare_cycle_collection`).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
import threading
import time
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click
import orjson

from pfocr_ld import rdf, vocab
from pfocr_ld.build_worker import collect_batch, init_collector, init_worker, problem_order, process_batch
from pfocr_ld.cache import (
    CacheUnusable,
    CacheWriter,
    fingerprint,
    resolution_signatures,
)
from pfocr_ld.changes import (
    DIGESTS_KEY,
    PREVIOUS_VERSION_KEY,
    VERSION_KEY,
    PreviousState,
    compare,
    previous_version_of,
    read_previous,
    version_id,
)
from pfocr_ld.errors import PfocrLdError
from pfocr_ld.labels import Resolution, Votes
from pfocr_ld.outcomes import BatchResult, SourceResult
from pfocr_ld.records import (
    OrganismIndex,
    Problem,
    RecordSource,
    discover,
    prefetch_source,
    read_organism_pages,
)
from pfocr_ld.release import (
    DEFAULT_SHRINK_LIMIT,
    ReleaseFolder,
    ReleaseRefused,
    ReleaseWriteError,
    check_inputs,
    check_not_inside,
)
from pfocr_ld.reuse import Reuse
from pfocr_ld.void import FigureResult  # re-exported: it moved beside DatasetStatistics
from pfocr_ld.writers import (
    CHANGES,
    NTRIPLES_GZ,
    OutputWriter,
)

DEFAULT_BATCH_SIZE = 250
#: the build cache's placeholder for a figure's documents' stat, taken once they are written
_UNKNOWN_STAT = (-1,) * 6


@dataclass
class BuildOptions:
    paths: Sequence[Path]
    out: Path
    base: str = vocab.DEFAULT_BASE
    workers: int = 0  # 0: one per core
    batch_size: int = DEFAULT_BATCH_SIZE
    validate: bool = True
    compress: bool = False
    shapes: Path | None = None
    progress: bool | None = None  # None: only on a terminal
    #: publish even a release with fewer than ``shrink_limit`` of the live release's figures
    force: bool = False
    shrink_limit: float = DEFAULT_SHRINK_LIMIT
    #: a SPARQL endpoint that will serve the release, named in void.ttl (void:sparqlEndpoint)
    sparql_endpoint: str | None = None
    #: build every record, reusing nothing of the previous release (see pfocr_ld.cache)
    full: bool = False


#: Cycle-collector thresholds during a build (Python's default is 700, 10, 10).
_BUILD_GC_THRESHOLDS = (100_000, 50, 1000)


@contextmanager
def _rare_cycle_collection() -> Iterator[None]:
    """Collect reference cycles rarely while building; restore the collector afterwards.

    The hot path allocates millions of short-lived, acyclic objects that reference counting frees.
    With the default thresholds the collector runs thousands of times, finds nothing and rescans
    the long-lived memo caches each time: measured, a fifth of a 10k build's worker time.
    ``gc.freeze`` before forking also keeps the collector from touching (and so copying) the
    pages the workers share with the main process.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_BUILD_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


# Main side ---------------------------------------------------------------------------------------
@dataclass
class BuildReport:
    """What the build read, published and rejected; written as ``report.json``."""

    records_read: int = 0
    published: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warning_count: int = 0  # the warnings themselves stream to report.json, never all in memory
    #: report.json's ``validation.warnings``: SHACL warnings of the *published* records
    validation_warnings: int = 0
    #: of ``warning_count``, the rows SHACL validation wrote (of published and rejected records);
    #: the rest come from reading the records. Terminal only: report.json stays as it was.
    validation_warning_rows: int = 0
    validated: bool = True
    triples: int = 0
    genes: int = 0
    chemicals: int = 0
    papers: int = 0
    mentions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    #: the terminal's line about changes.json (not in report.json)
    changes: str = ""
    #: record files whose output came from the previous release's build cache, and how the build
    #: used the cache (terminal and --timings only: report.json is the same either way)
    reused: int = 0
    cache: str = ""

    @property
    def exit_status(self) -> int:
        return 1 if self.rejected else 0

    def as_dict(self) -> dict[str, Any]:
        note = (
            None if self.validated else "validation was switched off (--no-validate): records are unchecked"
        )
        return {
            "records_read": self.records_read,
            "published": self.published,
            "rejected_count": len(self.rejected),
            "warning_count": self.warning_count,
            "validation": {"enabled": self.validated, "warnings": self.validation_warnings, "note": note},
            "counts": {
                "triples": self.triples,
                "genes": self.genes,
                "chemicals": self.chemicals,
                "papers": self.papers,
                "mentions": self.mentions,
            },
            "outputs": self.outputs,
            "rejected": self.rejected,
        }

    def timings(self) -> dict[str, Any]:
        return {
            "elapsed_seconds": self.elapsed,
            "records": self.records_read,
            "published": self.published,
            "triples": self.triples,
            "worker_seconds": self.seconds,
            "reused_record_files": self.reused,
            "cache": self.cache,
        }

    def summary(self) -> str:
        """The terminal's summary line.

        Its warning count is report.json's ``warning_count`` (every row of its ``warnings``),
        split by where the rows come from. It used to print only the SHACL warnings of the
        published records, under the name "validation warnings": 30 on the sample, where
        report.json said 54 (24 of them from reading the records: organisms without a taxon id,
        unmapped MeSH terms…).
        """
        rate = self.records_read / self.elapsed if self.elapsed else 0.0
        stages = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in self.seconds.items())
        from_reading = self.warning_count - self.validation_warning_rows
        origin = (
            f"{from_reading} from reading the records, {self.validation_warning_rows} from SHACL validation"
            if self.validated
            else f"{from_reading} from reading the records; SHACL validation was off"
        )
        return (
            f"{self.published} of {self.records_read} records published, {len(self.rejected)} rejected, "
            f"{self.warning_count} warnings in report.json ({origin}), {self.triples} triples in "
            f"{self.elapsed:.1f}s ({rate:.0f} records/s; worker time: {stages})"
        )


class _Prefetcher:
    """A thread that reads the files of upcoming batches into the page cache, a few batches ahead.

    Workers then find their records in memory instead of waiting for the disk one small file at
    a time; staying only ``ahead`` batches in front of the results consumed keeps it from
    evicting what it read before the workers get there.
    """

    def __init__(self, batches: Sequence[Sequence[RecordSource]], ahead: int) -> None:
        self._batches = batches
        self._allowed = threading.Semaphore(ahead)
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="pfocr-prefetch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for batch in self._batches:
            self._allowed.acquire()
            if self._stopped:
                return
            for source in batch:
                prefetch_source(source)

    def consumed(self) -> None:
        """One more batch's results arrived: the prefetcher may read one batch further."""
        self._allowed.release()

    def stop(self) -> None:
        self._stopped = True
        self._allowed.release()
        self._thread.join()


def _batches(sources: Sequence[RecordSource], size: int) -> list[list[RecordSource]]:
    return [list(sources[i : i + size]) for i in range(0, len(sources), size)]


def build(options: BuildOptions) -> BuildReport:
    """Run a whole build and publish its outputs into ``options.out`` as one new release.

    Refused before anything changes (:class:`~pfocr_ld.release.ReleaseRefused`, exit 2): a missing
    input, an output folder overlapping an input, files in it the tool did not write, another build
    holding its lock; after building, a release that shrinks below ``shrink_limit`` of the live one
    unless ``force``. A write error (a full disk) deletes the new release's folder and raises
    :class:`~pfocr_ld.release.ReleaseWriteError` (exit 1); the live release is untouched.
    """
    check_inputs(options.paths, options.out)
    with ReleaseFolder(options.out) as folder, _rare_cycle_collection():
        staging = _new_release(folder)
        previous = (
            read_previous(folder.previous.folder, folder.previous.manifest) if folder.previous else None
        )
        try:
            try:
                report, figids, manifest = _build(
                    options, staging, previous, folder.previous.folder if folder.previous else None
                )
            except CacheUnusable as reason:
                # Found corrupt midway (its checks run as its bytes are read): never trusted in part.
                folder.discard()
                staging = _new_release(folder)
                report, figids, manifest = _build(replace(options, full=True), staging, previous)
                report.cache = f"a clean build ({reason})"
        except OSError as error:
            folder.discard()
            name = str(error.filename or "")
            if name and not os.path.abspath(name).startswith(os.path.abspath(staging) + os.sep):
                # not one of the release's files: an input that could not be read
                raise ReleaseRefused(
                    f"{name}: {error.strerror or error} (nothing was published or changed)"
                ) from error
            raise _write_error(options.out, error) from error
        folder.check_shrink(report.published, shrink_limit=options.shrink_limit, force=options.force)
        try:
            folder.switch(figids, manifest)
        except OSError as error:
            folder.discard()
            raise _write_error(options.out, error) from error
        return report


def _first_pass(
    batches: Sequence[Sequence[RecordSource]],
    workers: int,
    organisms: OrganismIndex,
    show_progress: bool,
    votes: Votes,
) -> Resolution:
    """Vote on the values of shared nodes over the whole release (see :mod:`pfocr_ld.labels`).

    ``votes`` holds the votes of the record files an incremental build reuses (read from the
    cache); the workers count those of ``batches``. Counts add up in any order, so the outcome
    depends on the input only. Counting happens in the workers: sending each record's values to the
    main process instead cost more in pickling (0.35 s for 2,000 records, 2 MB) than the counting.
    """
    if workers <= 1 or len(batches) <= 1:
        init_collector(organisms)
        results: Iterator[Votes] = map(collect_batch, batches)
        pool = None
    else:
        context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
        pool = context.Pool(min(workers, len(batches)), initializer=init_collector, initargs=(organisms,))
        results = pool.imap(collect_batch, batches, chunksize=1)
    try:
        with _progress(sum(map(len, batches)), show_progress, "labels") as bar:
            for batch, batch_votes in zip(batches, results, strict=True):
                votes.merge(batch_votes)
                bar.update(len(batch))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return votes.resolve()


def _new_release(folder: ReleaseFolder) -> Path:
    try:
        return folder.new_release()
    except OSError as error:
        raise _write_error(folder.out, error) from error


def _write_error(out: Path, error: OSError) -> ReleaseWriteError:
    where = f" ({error.filename})" if error.filename else ""
    return ReleaseWriteError(
        f"cannot write the new release into {out}: {error.strerror or error}{where}; its files were removed "
        "and the previous release is unchanged"
    )


def _build(
    options: BuildOptions,
    staging: Path,
    previous: PreviousState | None = None,
    previous_folder: Path | None = None,
) -> tuple[BuildReport, list[str], dict[str, Any]]:
    """Build into ``staging``; the figids published and the keys the release's manifest adds.

    Record files whose output the previous release (in ``previous_folder``) cached and whose inputs
    did not change are reused (:mod:`pfocr_ld.cache`), the rest built by the workers; both are
    merged in the same order through the same writer.
    """
    from pfocr_ld.void import DatasetStatistics, build_date, describe_dataset, version_iri

    started = time.perf_counter()
    report = BuildReport(validated=options.validate)
    discovery = discover(options.paths)
    setup_problems = list(discovery.problems)
    organisms = read_organism_pages(discovery.organism_dirs, setup_problems)
    build_fingerprint = fingerprint(
        base=options.base, compress=options.compress, validate=options.validate, shapes=options.shapes
    )
    reuse = Reuse.open(previous_folder, build_fingerprint, organisms, discovery.sources, full=options.full)
    cache = CacheWriter(staging, build_fingerprint)
    if reuse.previous is not None:
        cache.continue_from(reuse.previous, reuse.description_numbers())
    writer = OutputWriter(
        staging,
        compress_turtle=options.compress,
        library=reuse.description,
        on_publish=cache.description,
        stats=reuse.description_stats,
    )
    warnings_file = open(writer.staging / "warnings.jsonl", "wb")  # noqa: SIM115 - closed below
    for problem in sorted(setup_problems, key=lambda p: problem_order(p.as_dict())):
        if problem.severity == "error":
            report.rejected.append(problem.as_dict())
        else:
            warnings_file.write(orjson.dumps(problem.as_dict()) + b"\n")
            report.warning_count += 1
    statistics = DatasetStatistics()
    seen_figids: dict[str, str] = {}
    digests: dict[str, str] = {}  # figid → digest of what it publishes (pfocr_ld.changes)
    published_figids: list[str] = []  # in release order, for the cache
    spans = array("q")  # their own blocks' places in the dumps and documents' stat, for the cache
    stage_seconds: dict[str, float] = {}
    main_write_seconds = 0.0
    workers = options.workers or os.cpu_count() or 1
    show_progress = sys.stderr.isatty() if options.progress is None else options.progress
    prefetcher: _Prefetcher | None = None
    pool: Any = None
    try:
        first_pass_started = time.perf_counter()
        # An incremental build's few records are shared out among the workers (batch size never
        # changes the output); a clean build keeps the given size.
        voting = _batches(reuse.fresh_sources(), reuse.batch_size(options.batch_size, workers))
        votes = reuse.votes()
        resolution = _first_pass(voting, workers, organisms, show_progress, votes)
        signatures = resolution_signatures(resolution)
        reuse.drop_disputed(signatures)
        stage_seconds["first pass (wall)"] = time.perf_counter() - first_pass_started
        batches = _batches(reuse.fresh_sources(), reuse.batch_size(options.batch_size, workers))
        report.reused = len(discovery.sources) - sum(map(len, batches))
        report.cache = reuse.note or (
            f"an incremental build: {report.reused} of {len(discovery.sources)} record files reused from "
            "the previous release"
        )
        init_args = (options.base, organisms, options.compress, options.validate, options.shapes, resolution)
        if not batches:
            results: Iterator[BatchResult] = iter(())
        elif workers <= 1 or len(batches) <= 1:
            init_worker(*init_args)
            results = map(process_batch, batches)
        else:
            context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
            pool = context.Pool(min(workers, len(batches)), initializer=init_worker, initargs=init_args)
            prefetcher = _Prefetcher(batches, ahead=2 * workers + 2)
            # imap keeps input order; a few batches in flight per worker bound the memory.
            results = pool.imap(process_batch, batches, chunksize=1)

        def built() -> Iterator[SourceResult]:
            for batch_result in results:
                for name, seconds in batch_result.seconds.items():
                    stage_seconds[name] = stage_seconds.get(name, 0.0) + seconds
                yield from batch_result.sources
                if prefetcher is not None:
                    prefetcher.consumed()

        fresh = built()
        with _progress(len(discovery.sources), show_progress) as bar:
            for source in discovery.sources:
                result = reuse.result(source) or next(fresh)
                assert result.path == source.path, "results out of order"
                report.records_read += result.records_read
                report.rejected.extend(result.rejections())
                warnings_file.write(result.warning_lines)
                report.warning_count += result.warning_lines.count(b"\n")
                report.validation_warning_rows += result.validation_warning_rows
                published: list[FigureResult] = []
                for figure in result.figures:
                    figid = figure.serialized.figid
                    if figid in seen_figids:
                        report.rejected.append(
                            Problem(
                                figure.source_file,
                                "figid",
                                f"duplicate figid; already published from {seen_figids[figid]}",
                                "error",
                                figid,
                            ).as_dict()
                        )
                        writer.hold(figure.serialized)
                        continue
                    seen_figids[figid] = figure.source_file
                    digests[figid] = figure.serialized.digest
                    write_started = time.perf_counter()
                    spans.extend(writer.add(figure.serialized, figure.documents_from, figure.tail))
                    # a reused figure's documents are the previous release's files: their stat too
                    spans.extend(reuse.document_stat(figid) if figure.documents_from else _UNKNOWN_STAT)
                    main_write_seconds += time.perf_counter() - write_started
                    published.append(figure)
                    published_figids.append(figid)
                    if figure.numbered is None:
                        figure.numbered = (
                            cache.strings_of(figure.genes),
                            cache.strings_of(figure.chemicals),
                            cache.strings_of(figure.papers),
                        )
                    statistics.add_numbered(*figure.numbered, figure.mentions)
                    report.validation_warnings += figure.validation_warnings
                cache.add(_cache_entry(cache, source, result, published, reuse))
                bar.update(1)
        if pool is not None:
            pool.close()
            pool.join()
    except BaseException:
        if pool is not None:
            pool.terminate()
        with contextlib.suppress(OSError):  # a full disk fails the flush; the folder goes anyway
            warnings_file.close()
        writer.abort()
        cache.abort()
        reuse.close()
        raise
    finally:
        if prefetcher is not None:
            prefetcher.stop()
    warnings_file.close()
    reuse.close()

    report.published = writer.figures
    statistics.triples = writer.triples
    report.triples = statistics.triples
    report.genes = len(statistics.genes)
    report.chemicals = len(statistics.chemicals)
    report.papers = len(statistics.papers)
    report.mentions = statistics.mentions
    stage_seconds["write (main process)"] = main_write_seconds
    report.seconds = {name: round(seconds, 3) for name, seconds in stage_seconds.items()}
    writer.fold_counts()
    reuse.add_counts(writer.predicate_triples, writer.class_entities)
    statistics.predicate_triples = writer.predicate_triples
    statistics.class_entities = writer.class_entities
    statistics.typed_entities = writer.typed_entities
    version = version_id(build_date().isoformat(), digests)
    this_version = version_iri(options.base, version)
    previous_version = previous_version_of(previous, this_version)
    void_turtle = describe_dataset(
        statistics,
        options.base,
        writer.turtle_name,
        version_id=version,
        previous_version=previous_version,
        sparql_endpoint=options.sparql_endpoint,
    )
    changes = compare(previous, digests, report.rejected)
    (writer.staging / CHANGES).write_bytes(changes.to_json())
    report.changes = changes.summary()
    # Relative names keep report.json identical wherever the build was written.
    report.outputs = {
        "turtle": writer.turtle_name,
        "ntriples": "pfocr.nt.gz",
        "jsonld": "jsonld/",
        "schemaorg": "schemaorg/",
        "context": "context.jsonld",
        "void": "void.ttl",
        "report": "report.json",
        "changes": CHANGES,
    }
    report.elapsed = round(time.perf_counter() - started, 3)
    _write_report(report, writer.staging / "warnings.jsonl", writer.staging / "report.json")
    writer.finish(void_turtle)
    cache.finish(signatures, votes, writer.turtle_name, NTRIPLES_GZ, published_figids, spans)
    manifest = {
        DIGESTS_KEY: {figid: digests[figid] for figid in sorted(digests)},
        VERSION_KEY: this_version,
        PREVIOUS_VERSION_KEY: previous_version,
    }
    return report, list(seen_figids), manifest


def _cache_entry(
    cache: CacheWriter,
    source: RecordSource,
    result: SourceResult,
    published: Sequence[FigureResult],
    reuse: Reuse,
) -> dict[str, Any] | bytes:
    """The cache's line for one record file (see :mod:`pfocr_ld.cache`)."""
    if result.reused is not None:
        if len(published) == len(result.figures):
            # Its string and description numbers and data are the previous cache's, which this one
            # continues.
            cache.live += result.reused["vb"][2] + result.reused["wb"][2]
            return reuse.line(source)
        return {**result.reused, "ok": False, "f": []}  # now a duplicate of an earlier file's figure
    figures = []
    for figure in published:
        serialized = figure.serialized
        figures.append(
            {
                "id": serialized.figid,
                "iri": serialized.iri,
                "file": figure.source_file,
                "n": serialized.own_triples,
                "s": [cache.description_number(key) for key in serialized.shared_keys],
                "d": serialized.digest,
                "pr": cache.counts_of(serialized.own_predicates),
                "cl": cache.counts_of(serialized.own_classes),
                "ty": serialized.own_typed,
                "g": figure.numbered[0] if figure.numbered else [],
                "c": figure.numbered[1] if figure.numbered else [],
                "pa": figure.numbered[2] if figure.numbered else [],
                "m": figure.mentions,
                "vw": figure.validation_warnings,
            }
        )
    return {
        "p": source.path,
        "t": list(source.table_dirs),
        # reusable only when every figure it gave is in this release (not a rejected duplicate)
        "ok": len(published) == len(result.figures),
        "i": result.inputs,
        "o": result.organisms,
        # the nodes it names, for a quick test against the nodes whose vote changed
        "nk": " ".join(sorted({key for record in result.votes for _, key, _ in record})),
        # its votes, read only when it changes or a node it names changes (pfocr_ld.cache)
        "vb": cache.blob(orjson.dumps(result.votes)),
        "r": result.records_read,
        "e": [problem.as_dict() for problem in result.problems],
        "wb": cache.blob(result.warning_lines),
        "vw": result.validation_warning_rows,
        "f": figures,
    }


def _write_report(report: BuildReport, warnings_path: Path, target: Path) -> None:
    """report.json: the summary and rejections, then the warnings streamed from the staging file."""
    head = orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2)
    assert head.endswith(b"\n}")
    with open(target, "wb") as out, open(warnings_path, "rb") as warnings:
        out.write(head[:-2] + b',\n  "warnings": [')
        separator = b"\n    "
        for line in warnings:
            out.write(separator + line.rstrip(b"\n"))
            separator = b",\n    "
        out.write(b"\n  ]\n}\n")
    warnings_path.unlink()


class _progress:
    """A tqdm bar on a terminal; silence elsewhere (CI logs want the summary line only)."""

    def __init__(self, total: int, enabled: bool, desc: str = "build") -> None:
        self.total, self.enabled, self.desc = total, enabled, desc
        self.bar: Any = None  # a tqdm bar while entered on a terminal

    def __enter__(self) -> _progress:
        if self.enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="rec", desc=self.desc, dynamic_ncols=True)
        return self

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


@click.command("build")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Output folder.",
)
@click.option("--base", default=vocab.DEFAULT_BASE, show_default=True, help="Base IRI of the figure records.")
@click.option("--compress", is_flag=True, help="Write pfocr.ttl.gz instead of pfocr.ttl.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Worker processes (0: one per core).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Records per worker task (and per validation call).",
)
@click.option(
    "--validate/--no-validate",
    default=True,
    show_default=True,
    help="SHACL-validate every record (--no-validate is for speed experiments; the report says so).",
)
@click.option(
    "--shapes",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="SHACL shapes file or folder (default: the bundled shapes).",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal only).")
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also make this on-disk SPARQL store hold exactly the new release (see `pfocr-ld load --sync`).",
)
@click.option(
    "--timings",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write elapsed time and per-stage worker seconds as JSON to this file "
    "(kept out of report.json so that builds stay byte-identical).",
)
@click.option(
    "--shrink-limit",
    type=click.FloatRange(min=0.0, max=1.0),
    default=DEFAULT_SHRINK_LIMIT,
    show_default=True,
    help="Refuse (exit 2) a release with fewer figures than this fraction of the live release's "
    "(an empty one always), unless --force.",
)
@click.option(
    "--force", is_flag=True, help="Publish the new release even if it shrinks below --shrink-limit."
)
@click.option(
    "--full",
    is_flag=True,
    help="Build every record again, reusing nothing of the previous release's build cache "
    "(the output is the same; only slower).",
)
@click.option(
    "--sparql-endpoint",
    default=None,
    metavar="URL",
    help="The SPARQL endpoint that will serve this release (e.g. https://example.org/sparql): "
    "void.ttl names it as void:sparqlEndpoint.",
)
def build_command(
    paths: tuple[Path, ...],
    out: Path,
    base: str,
    compress: bool,
    workers: int,
    batch_size: int,
    validate: bool,
    shapes: Path | None,
    progress: bool | None,
    timings: Path | None,
    store_dir: Path | None,
    shrink_limit: float,
    force: bool,
    sparql_endpoint: str | None,
    full: bool,
) -> None:
    """Build Turtle, N-Triples, JSON-LD and VoID from PFOCR records under PATHS.

    PATHS are PFOCR site checkouts (with _figures/, _data/, _organisms/), folders of record files or
    single .md/.yaml/.json records. Exit status 0: every record published; 1: some rejected (the
    rest is published; see report.json), or the new release could not be written (e.g. a full disk;
    the previous release is unchanged); 2: usage error or refusal, nothing changed (a missing input,
    --out overlapping an input or holding files pfocr-ld did not write, another build running, a
    release shrinking below --shrink-limit).
    """
    if not (base.startswith(("http://", "https://")) and base.endswith(("/", "#"))):
        raise click.BadParameter("must be an absolute http(s) IRI ending in '/' or '#'", param_hint="--base")
    if sparql_endpoint is not None:
        try:
            rdf.iri(sparql_endpoint)
        except ValueError:
            sparql_endpoint = ""
        if not sparql_endpoint.startswith(("http://", "https://")):
            raise click.BadParameter("must be an absolute http(s) URL", param_hint="--sparql-endpoint")
    for option, path in (("--store", store_dir), ("--timings", timings)):
        if path is not None:
            check_not_inside(path, out, option)
    report = build(
        BuildOptions(
            list(paths),
            out,
            base,
            workers,
            batch_size,
            validate,
            compress,
            shapes,
            progress,
            force=force,
            shrink_limit=shrink_limit,
            sparql_endpoint=sparql_endpoint,
            full=full,
        )
    )
    click.echo(report.summary(), err=True)
    click.echo(f"Build cache: {report.cache}.", err=True)
    click.echo(report.changes, err=True)
    if store_dir is not None:
        from pfocr_ld.store import StoreError
        from pfocr_ld.store_sync import sync_store

        try:  # the store becomes exactly this release, changing only what changed (store_sync)
            click.echo(sync_store(out, store_dir).summary(), err=True)
        except StoreError as exc:  # the release is written; only the store is behind (exit status 1)
            raise PfocrLdError(str(exc), exit_code=1) from exc
    if timings is not None:
        timings.write_bytes(orjson.dumps(report.timings(), option=orjson.OPT_INDENT_2))
    for problem in report.rejected[:20]:
        click.echo(
            f"rejected: {problem.get('file')}: {problem.get('field')}: {problem.get('reason')}", err=True
        )
    if len(report.rejected) > 20:
        click.echo(f"... and {len(report.rejected) - 20} more rejected records; see report.json", err=True)
    sys.exit(report.exit_status)
