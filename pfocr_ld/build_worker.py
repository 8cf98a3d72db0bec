"""The build's worker side: what each worker process does with a batch of record files.

:func:`collect_batch` is the first pass (read and model, count the release-wide label vote,
:mod:`pfocr_ld.labels`); :func:`process_batch` the second (read, model, map, serialise, validate)
and gives a :class:`~pfocr_ld.outcomes.SourceResult` per file. Workers are forked by
:func:`pfocr_ld.build.build`, which initialises them with :func:`init_collector` and
:func:`init_worker`; nothing here writes a file.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pfocr_ld.cache import RecordingOrganisms, describe_input, value_rows
from pfocr_ld.labels import Resolution, Votes, figure_values
from pfocr_ld.mapping import Mapper
from pfocr_ld.model import ModelResult, figure_from_source
from pfocr_ld.outcomes import BatchResult, SourceResult
from pfocr_ld.records import OrganismIndex, Problem, RecordSource, SourceRecord, read_source
from pfocr_ld.void import FigureResult
from pfocr_ld.writers import drop_sent, serialize_figure


def problem_order(problem: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(problem.get("figid") or ""),
        str(problem.get("file", "")),
        str(problem.get("field", "")),
        str(problem.get("reason", "")),
    )


@dataclass
class _WorkerState:
    mapper: Mapper
    organisms: OrganismIndex
    compress: bool
    validator: Any | None
    #: the release's values for shared nodes that records disagree about (the first pass's outcome)
    resolution: Resolution = field(default_factory=Resolution)
    #: shared descriptions this worker has sent in full; later figures send their keys only
    sent: set[tuple[str, int]] = field(default_factory=set)


_STATE: _WorkerState | None = None


def init_worker(
    base: str,
    organisms: OrganismIndex,
    compress: bool,
    validate: bool,
    shapes: Path | None,
    resolution: Resolution | None = None,
) -> None:
    global _STATE
    validator = None
    if validate:
        from pfocr_ld.validation import BatchValidator

        validator = BatchValidator(shapes)
    _STATE = _WorkerState(Mapper(base), organisms, compress, validator, resolution or Resolution())
    gc.freeze()  # the compiled shapes and the organism index live as long as the worker


def _unexpected(path: str, error: Exception) -> Problem:
    """A record that failed in a way no check foresaw: rejected with the error as its reason."""
    detail = " ".join(str(error).split())[:300]
    return Problem(path, "record", f"could not be read: {type(error).__name__}: {detail}")


_COLLECT_ORGANISMS: OrganismIndex | None = None


def init_collector(organisms: OrganismIndex) -> None:
    global _COLLECT_ORGANISMS
    _COLLECT_ORGANISMS = organisms
    gc.freeze()


def collect_batch(sources: Sequence[RecordSource]) -> Votes:
    """The first pass over one batch: what its records say about shared nodes, counted.

    Only reading and modelling (no mapping, serialising or validation); the main process adds up
    the batches' :class:`~pfocr_ld.labels.Votes`.
    """
    organisms = _COLLECT_ORGANISMS
    assert organisms is not None, "collector not initialised"
    votes = Votes()
    for source in sources:
        # A record that fails here fails again in the second pass, which reports it; it does not vote.
        try:
            records = list(read_source(source))
        except Exception:
            continue
        for record in records:
            try:
                figure = figure_from_source(record, organisms).figure
            except Exception:
                continue
            if figure is not None:
                votes.add_figure(figure)
    return votes


def process_batch(sources: Sequence[RecordSource]) -> BatchResult:
    """Read, model, map, serialise and validate one batch of record files; a result per file."""
    state = _STATE
    assert state is not None, "worker not initialised"
    clock = time.perf_counter
    timings = {"read": 0.0, "map": 0.0, "serialize": 0.0, "validate": 0.0}
    results = [SourceResult(source.path) for source in sources]
    # Every problem is filed under the position of its source in the batch, so that report.json's
    # order is the same whatever the batch size (or whether the source was rebuilt or reused).
    filed: list[list[Problem]] = [[] for _ in sources]
    done: list[tuple[int, FigureResult]] = []
    position: dict[tuple[str, str], int] = {}  # (figid, source file) → position, for validation
    now = time.time()
    for index, source in enumerate(sources):
        result = results[index]
        organisms = RecordingOrganisms(state.organisms)
        started = clock()
        try:
            records = list(read_source(source))
        except Exception as error:  # one bad file is one rejected record, never a crash
            records = [SourceRecord(source.path, {}, {}, [_unexpected(source.path, error)])]
        timings["read"] += clock() - started
        consulted: dict[str, None] = {source.path: None}
        for record in records:
            consulted.update(dict.fromkeys(record.consulted))
            result.records_read += 1
            started = clock()
            try:
                modelled = figure_from_source(record, organisms)
            except Exception as error:  # as above
                modelled = ModelResult(None, [_unexpected(record.path, error)])
            filed[index].extend(modelled.problems)
            figure = modelled.figure
            if figure is None:
                timings["map"] += clock() - started
                continue
            result.votes.append(value_rows(figure_values(figure)))
            position[figure.figid, record.path] = index
            figure, conflicts = state.resolution.apply(figure)
            filed[index].extend(conflicts)
            graph = state.mapper.map(figure)
            state.resolution.complete(graph)
            mapped = clock()
            timings["map"] += mapped - started
            serialized = serialize_figure(
                graph, state.compress, keep_block_ntriples=state.validator is not None
            )
            timings["serialize"] += clock() - mapped
            mentions = len(figure.genes) + len(figure.chemicals) + len(figure.diseases)
            done.append(
                (
                    index,
                    FigureResult(
                        serialized, record.path, graph.genes, graph.chemicals, graph.papers, mentions
                    ),
                )
            )
        result.inputs = [describe_input(path, now) for path in consulted]
        result.organisms = organisms.looked_up

    if state.validator is not None and done:
        started = clock()
        outcome = state.validator.validate(
            [
                (r.serialized.figid, r.serialized.iri, r.serialized.block_ntriples, r.source_file)
                for _, r in done
            ]
        )
        for problem in outcome.problems:
            where = position.get((problem.figid or "", problem.file), len(sources) - 1)
            filed[where].append(problem)
            if problem.severity != "error":
                results[where].validation_warning_rows += 1
        for index, figure_result in done:
            figure_result.serialized.block_ntriples = b""  # not needed by the main process
            figid = figure_result.serialized.figid
            if figid not in outcome.rejected:
                figure_result.validation_warnings = outcome.warnings.get(figid, 0)
                results[index].figures.append(figure_result)
        timings["validate"] += clock() - started
    else:
        for index, figure_result in done:
            results[index].figures.append(figure_result)
    # Batches reach a worker in source order, so the first figure of the dump that needs a
    # description is always one its worker sent in full.
    for result, problems in zip(results, filed, strict=True):
        for figure_result in result.figures:
            drop_sent(figure_result.serialized, state.sent)
        ordered = sorted(problems, key=lambda problem: problem_order(problem.as_dict()))
        result.problems = [p for p in ordered if p.severity == "error"]
        result.warning_lines = b"".join(
            orjson.dumps(p.as_dict()) + b"\n" for p in ordered if p.severity != "error"
        )
    return BatchResult(results, timings)
