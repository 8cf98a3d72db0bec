"""Deciding what an incremental build reuses: :class:`Reuse`, over the previous release's cache.

The cache's format, reading and writing are :mod:`pfocr_ld.cache`'s; this module decides, record
file by record file, whether the previous release's output for it still holds (its inputs, its
organism lookups, its documents and its effect in the release-wide vote unchanged), and gives a
kept file's output back as the build's workers would have made it.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from pfocr_ld.cache import (
    PER_FIGURE,
    STAT_AT,
    CacheUnusable,
    Listings,
    PreviousCache,
    changed_nodes,
    effect,
    input_unchanged,
    open_previous,
    signature_key,
    subject_ref,
    votes_of,
)
from pfocr_ld.labels import Votes
from pfocr_ld.outcomes import SourceResult
from pfocr_ld.records import OrganismIndex, RecordSource
from pfocr_ld.void import FigureResult
from pfocr_ld.writers import DescriptionStats, SerializedFigure, SharedDescription


def _decrement(counter: Counter[Any], key: Any) -> None:
    left = counter[key] - 1
    if left > 0:
        counter[key] = left
    else:
        del counter[key]


class Reuse:
    """Which record files of this build take their output from the previous release's cache.

    Decided in two steps: :meth:`open` keeps the entries whose inputs are unchanged; after the vote
    (whose reused votes come from :meth:`votes`), :meth:`drop_disputed` drops those naming a node
    whose outcome changed. :meth:`result` then gives a kept file's output as the build's workers
    would have made it.
    """

    def __init__(self, previous: PreviousCache | None, note: str, sources: Sequence[RecordSource]) -> None:
        self.previous = previous
        self.note = note
        #: source path → (its documents in the previous release, the nodes it names, space-separated)
        self.kept: dict[str, tuple[list[tuple[str, str]], str]] = {}
        self._sources = list(sources)
        self._keys: list[tuple[str, int]] = []
        self._numbers: dict[tuple[str, int], int] = {}
        self._predicates: Counter[int] = Counter()
        self._classes: Counter[int] = Counter()
        self._encoded: dict[int, bytes] = {}  # strings of the previous cache, as bytes

    @classmethod
    def open(
        cls,
        release: Path | None,
        fingerprint: str,
        organisms: OrganismIndex,
        sources: Sequence[RecordSource],
        *,
        full: bool,
    ) -> Reuse:
        if release is None:
            return cls(None, "a clean build (no previous release)", sources)
        if full:
            return cls(None, "a clean build (--full)", sources)
        try:
            previous = open_previous(release, fingerprint)
        except CacheUnusable as reason:
            return cls(None, f"a clean build ({reason})", sources)
        reuse = cls(previous, "", sources)
        try:
            reuse._keep_unchanged(organisms)
        except (CacheUnusable, KeyError, TypeError, ValueError, IndexError) as error:
            previous.close()
            return cls(
                None, f"a clean build (the build cache does not read: {type(error).__name__})", sources
            )
        strings = previous.strings
        reuse._keys = [(strings[row[0]], row[1]) for row in previous.descriptions]
        reuse._numbers = {key: number for number, key in enumerate(reuse._keys)}
        return reuse

    def _keep_unchanged(self, organisms: OrganismIndex) -> None:
        assert self.previous is not None
        listings = Listings()
        for source in self._sources:
            line = self.previous.lines.get(source.path)
            if line is None:
                continue
            entry = orjson.loads(line)
            if (
                not entry["ok"]
                or entry["t"] != list(source.table_dirs)
                or any(organisms.lookup(name) != taxon for name, taxon in entry["o"].items())
                or not all(
                    listings.still_absent(recorded[0]) if recorded[1] == -1 else input_unchanged(recorded)
                    for recorded in entry["i"]
                )
            ):
                continue
            documents = [self.previous.documents_of(figure["id"]) for figure in entry["f"]]
            if all(paths is not None for paths in documents):
                self.kept[source.path] = (documents, entry["nk"])  # type: ignore[assignment]

    def batch_size(self, given: int, workers: int) -> int:
        """Records per worker task: ``given``, or fewer when reusing leaves too few to keep every
        worker busy."""
        given = max(1, given)
        if self.previous is None:
            return given
        fresh = len(self._sources) - len(self.kept)
        return max(1, min(given, -(-fresh // max(1, workers))))

    def fresh_sources(self) -> list[RecordSource]:
        """The record files to build now, in build order."""
        return (
            [source for source in self._sources if source.path not in self.kept]
            if self.kept
            else list(self._sources)
        )

    def votes(self) -> Votes:
        """The release-wide vote's counts from the kept files (as their workers counted them).

        The previous release's whole vote less the files not kept (changed or gone): work in
        proportion to the change, not to the corpus.
        """
        if self.previous is None:
            return Votes()
        votes = votes_of(self.previous.index["votes"])
        named, counts = votes.named, votes.counts
        for path, line in self.previous.lines.items():
            if path in self.kept:
                continue
            entry = orjson.loads(line)
            for record in orjson.loads(self.previous.blob(entry["vb"])):
                for kind, key, given in record:
                    _decrement(named, (kind, key))
                    for value in given:
                        _decrement(counts, (kind, key, value))
        return votes

    def drop_disputed(self, signatures: Mapping[str, Any]) -> None:
        """Rebuild the kept files on which the vote's outcome now has another effect (:func:`effect`)."""
        if self.previous is None:
            return
        old = self.previous.signatures
        changed = changed_nodes(old, signatures)
        if not changed:
            return
        dropped = []
        for path, (_, named) in self.kept.items():
            if changed.keys().isdisjoint(named.split()):
                continue
            entry = orjson.loads(self.previous.lines[path])
            for record in orjson.loads(self.previous.blob(entry["vb"])):
                if any(
                    kind in changed.get(key, ())
                    and effect(old.get(signature_key(kind, key)), kind, given)
                    != effect(signatures.get(signature_key(kind, key)), kind, given)
                    for kind, key, given in record
                ):
                    dropped.append(path)
                    break
        for path in dropped:
            del self.kept[path]

    def result(self, source: RecordSource) -> SourceResult | None:
        """A kept file's output read back from the previous release, or ``None`` (build it)."""
        kept = self.kept.get(source.path)
        if kept is None:
            return None
        assert self.previous is not None
        documents, _ = kept
        entry = orjson.loads(self.previous.lines[source.path])
        figures = []
        for figure, paths in zip(entry["f"], documents, strict=True):
            spans = self.previous.spans_of(figure["id"])
            turtle_offset, turtle_length, ntriples_offset, ntriples_length = spans
            serialized = SerializedFigure(
                figid=figure["id"],
                iri=figure["iri"],
                turtle=self.previous.turtle_block([turtle_offset, turtle_length]),
                ntriples_gz=self.previous.ntriples_block([ntriples_offset, ntriples_length]),
                own_triples=figure["n"],
                shared_keys=[self._keys[number] for number in figure["s"]],
                shared=[],
                jsonld=b"",
                schemaorg=b"",
                digest=figure["d"],
                own_typed=figure["ty"],
            )
            # Counted here by string number and named once at the end (add_counts): faster than a
            # dict of IRIs a figure.
            for name, count in figure["pr"]:
                self._predicates[name] += count
            for name, count in figure["cl"]:
                self._classes[name] += count
            figures.append(
                FigureResult(
                    serialized,
                    figure["file"],
                    set(),
                    set(),
                    set(),
                    figure["m"],
                    figure["vw"],
                    documents_from=paths,
                    numbered=(figure["g"], figure["c"], figure["pa"]),
                    tail=self.previous.tail_of(figure["id"]),
                )
            )
        return SourceResult(
            source.path,
            figures,
            rejected_rows=entry["e"],
            warning_lines=self.previous.blob(entry["wb"]),
            validation_warning_rows=entry["vw"],
            records_read=entry["r"],
            inputs=entry["i"],
            organisms=entry["o"],
            reused=entry,
        )

    def document_stat(self, figid: str) -> array[int]:
        """A reused figure's documents' stat as the previous cache recorded it (they are its files)."""
        assert self.previous is not None
        start = PER_FIGURE * self.previous.numbers[figid] + STAT_AT
        return self.previous.figures[start : start + 6]

    def add_counts(self, predicates: dict[str, int], classes: dict[str, int]) -> None:
        """Add the reused figures' own triples by predicate and instances by class to the writer's."""
        if self.previous is None:
            return
        strings = self.previous.strings
        for totals, counts in ((predicates, self._predicates), (classes, self._classes)):
            for number, count in counts.items():
                name = strings[number]
                totals[name] = totals.get(name, 0) + count

    def description_numbers(self) -> dict[tuple[str, int], int]:
        """The previous cache's description numbers by (node, digest), for the new cache to continue
        (it adds to this dict; lookups here only ask for the previous cache's keys)."""
        return self._numbers

    def line(self, source: RecordSource) -> bytes:
        """A kept file's line of the previous cache, to copy into the new one unchanged."""
        assert self.previous is not None
        return self.previous.lines[source.path]

    def description_stats(self, key: tuple[str, int]) -> DescriptionStats | None:
        """What a description of the previous cache adds to the counts, if it was recorded."""
        number = self._numbers.get(key)
        if number is None or self.previous is None or number >= len(self.previous.descriptions):
            return None
        row = self.previous.descriptions[number][7]
        if row is None:
            return None
        strings, encoded = self.previous.strings, self._encoded
        try:
            lines, predicates, classes, typed = row
            for number in predicates[::2]:
                if number not in encoded:
                    encoded[number] = strings[number].encode()
            return DescriptionStats(
                lines,
                tuple(zip([encoded[p] for p in predicates[::2]], predicates[1::2], strict=True)),
                tuple(zip([strings[c] for c in classes[::2]], classes[1::2], strict=True)),
                tuple([subject_ref(strings[number]) for number in typed]),
            )
        except (TypeError, ValueError, IndexError, AttributeError) as error:
            reason = f"the build cache's description counts do not read ({type(error).__name__})"
            raise CacheUnusable(reason) from error

    def description(self, key: tuple[str, int]) -> SharedDescription | None:
        """A description a kept figure names, from the previous release's cache."""
        number = self._numbers.get(key)
        # numbers from this build's own descriptions (the cache writer shares the dict) are not here
        if number is None or self.previous is None or number >= len(self.previous.descriptions):
            return None
        return self.previous.description(number)

    def close(self) -> None:
        if self.previous is not None:
            self.previous.close()
