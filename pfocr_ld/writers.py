"""Serialising figures and writing the build's output files atomically.

The worker that mapped a figure turns it into bytes: its own triples as a Turtle block and as
N-Triples (gzip-compressed there, in parallel), each shared node description (gene, chemical,
paper …) serialised once per worker and cached, and the figure's JSON-LD documents.
:class:`OutputWriter` then appends, in figure order, the figure's own block followed by the shared
descriptions the dump does not hold yet — so ``pfocr.ttl`` describes each gene once, at its first
figure — to files in the new release's own folder, which :mod:`pfocr_ld.release` switches to only
when the build finishes. Nothing a reader sees is ever half-written: a failed build leaves the
previous release.
The per-figure JSON-LD files are created by two writer threads, which overlap the file system's
per-file cost with the main process's reading of results. A worker sends each shared
description in full once and only its key afterwards (:func:`drop_sent`).

Compressed outputs are multi-member gzip streams, one or two members per figure: the bytes depend
only on the figures and their order, never on batch size or worker count, and every gzip reader
(``zcat``, Python's ``gzip``, Virtuoso's loader) reads them as one stream.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
import zlib
from array import array
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from pfocr_ld import jsonld, rdf, schemaorg
from pfocr_ld.contexts import pfocr_context
from pfocr_ld.mapping import FigureGraph

TURTLE = "pfocr.ttl"
TURTLE_GZ = "pfocr.ttl.gz"
NTRIPLES_GZ = "pfocr.nt.gz"
JSONLD_DIR = "jsonld"
SCHEMAORG_DIR = "schemaorg"
VOID = "void.ttl"
REPORT = "report.json"
CHANGES = "changes.json"
CONTEXT_FILE = "context.jsonld"
#: JSON-LD files handed to the writer threads and not yet written, at most (bounds the memory)
_MAX_PENDING_FILES = 512
#: documents an incremental build links per writer-thread task
_LINK_BATCH = 256
_PREDICATE = itemgetter(1)
_TYPE_REF = f"<{rdf.RDF_TYPE}>".encode()
GZIP_LEVEL = 3  # measured: 2.5x faster than 6 for 14% more bytes; parallel bulk loads care more about time


class SharedDescription(NamedTuple):
    """A shared node's description, serialised; ``digest`` tells variants of one node apart.

    A named tuple rather than a dataclass: tens of them cross the process boundary with every
    figure, and tuples pickle several times faster.
    """

    node: str
    digest: int
    turtle: bytes
    ntriples: bytes

    @property
    def key(self) -> tuple[str, int]:
        return self.node, self.digest


@lru_cache(maxsize=20_000)
def serialize_description(node: str, triples: tuple[rdf.Triple, ...]) -> SharedDescription:
    ordered = sorted(triples)
    nt = rdf.ntriples(ordered)
    return SharedDescription(node, zlib.crc32(nt) << 32 | zlib.adler32(nt), rdf.turtle(ordered), nt)


@dataclass
class SerializedFigure:
    figid: str
    iri: str
    turtle: bytes  # the figure's own triples; gzip member when the build compresses Turtle
    ntriples_gz: bytes  # the same as a gzip member
    own_triples: int
    #: the keys of every shared description the figure's block holds, in node order
    shared_keys: list[tuple[str, int]]
    #: those descriptions in full, less any that :func:`drop_sent` removed
    shared: list[SharedDescription]
    jsonld: bytes
    schemaorg: bytes  # the block a web page embeds
    block_ntriples: bytes = field(default=b"", repr=False)  # own + shared, for validation
    #: what the figure publishes, digested: its own N-Triples and its shared descriptions' (see
    #: :mod:`pfocr_ld.changes`); 16 bytes of BLAKE2b as hex
    digest: str = ""
    #: the own triples by predicate, and by class for rdf:type (both IRIs): the VoID partitions'
    #: share of this figure. Own subjects are the figure's alone, so these add up over figures.
    own_predicates: dict[str, int] = field(default_factory=dict)
    own_classes: dict[str, int] = field(default_factory=dict)
    #: distinct subjects of the own triples that have an rdf:type
    own_typed: int = 0


def serialize_figure(
    graph: FigureGraph, compress_turtle: bool, keep_block_ntriples: bool = False
) -> SerializedFigure:
    own = graph.own_triples()
    # Grouped once, read by the Turtle, JSON-LD and schema.org writers alike.
    own_nodes = rdf.group(own)
    own_turtle = rdf.turtle_nodes(own_nodes, once=graph.iri)
    own_nt = rdf.ntriples(own)
    descriptions = sorted(graph.shared.items())
    shared = [serialize_description(node, triples) for node, triples in descriptions]
    # The shared descriptions enter the digest by their own (cached, 64-bit) digest, the one the
    # writer tells variants apart by. Measured on 2,000 synthetic records (about 10.5 s of CPU for
    # the whole build): digest and counts take 0.21 s of worker time; hashing the descriptions'
    # bytes instead, and counting in a Python loop, took 0.36 s.
    content = hashlib.blake2b(own_nt, digest_size=16)
    for description in shared:
        content.update(f"{description.node} {description.digest}\n".encode())
    types = [t for t in own if t[1] == rdf.RDF_TYPE]
    return SerializedFigure(
        figid=graph.figid,
        iri=graph.iri,
        turtle=gzip.compress(own_turtle, GZIP_LEVEL, mtime=0) if compress_turtle else own_turtle,
        ntriples_gz=gzip.compress(own_nt, GZIP_LEVEL, mtime=0),
        own_triples=len(own),
        shared_keys=[d.key for d in shared],
        shared=shared,
        jsonld=jsonld.dumps(jsonld.figure_document(own_nodes, (t for _, t in descriptions), graph.iri)),
        schemaorg=jsonld.dumps(schemaorg.embed_block_parts(own_nodes, graph.shared, graph.iri)),
        block_ntriples=own_nt + b"".join(d.ntriples for d in shared) if keep_block_ntriples else b"",
        digest=content.hexdigest(),
        own_predicates=dict(Counter(map(_PREDICATE, own))),
        own_classes=dict(Counter(obj[1:-1] for _, _, obj in types)),
        own_typed=len({subject for subject, _, _ in types}),
    )


def drop_sent(figure: SerializedFigure, sent: set[tuple[str, int]]) -> None:
    """Keep in full only the descriptions not in ``sent`` (and add those to it).

    A worker sends each description to the main process once; later figures carry only its key,
    which is all the writer needs to find it among the published or held descriptions.
    """
    fresh = [d for d in figure.shared if d.key not in sent]
    sent.update(d.key for d in fresh)
    figure.shared = fresh


def _write_new_file(path: str, content: bytes) -> None:
    # Three system calls; Path.write_bytes makes five (an fstat and a tty check besides).
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _link_all(pairs: list[tuple[str, str]]) -> None:
    """Hard links to unchanged documents of the previous release (copies across file systems)."""
    for source, path in pairs:
        try:
            os.link(source, path)
        except OSError:
            shutil.copyfile(source, path)


class FigureSpans(NamedTuple):
    """Where a figure's own blocks sit in the release's Turtle and N-Triples files (offset, length),
    and a digest of the keys of the shared descriptions written right after them (its tail)."""

    turtle_offset: int
    turtle_length: int
    ntriples_offset: int
    ntriples_length: int
    tail_digest: int


def _tail_digest(fresh: list[SharedDescription]) -> int:
    keys = "\n".join(f"{d.node}\t{d.digest}" for d in fresh).encode()
    return int.from_bytes(hashlib.blake2b(keys, digest_size=8).digest(), "big", signed=True)


class DescriptionStats(NamedTuple):
    """What one shared description adds to void.ttl's counts when its node is first published.

    An incremental build keeps these in its cache, so a reused description is counted without
    reading, splitting and hashing its lines again (that was most of the main process's time).
    """

    lines: int
    #: (predicate as written in N-Triples, ``<iri>``; triples)
    predicates: tuple[tuple[bytes, int], ...]
    #: (class IRI, rdf:type triples)
    classes: tuple[tuple[str, int], ...]
    #: the subjects (as written) of its rdf:type triples
    typed: tuple[bytes, ...]


def _pack(hashes: set[int]) -> bytes:
    return array("q", sorted(hashes)).tobytes()


class OutputWriter:
    """Streams figures into the files of a new release folder (``staging``, which must exist)."""

    def __init__(
        self,
        staging: Path,
        compress_turtle: bool = False,
        library: Callable[[tuple[str, int]], SharedDescription | None] | None = None,
        on_publish: Callable[[SharedDescription, DescriptionStats | None], object] | None = None,
        stats: Callable[[tuple[str, int]], DescriptionStats | None] | None = None,
    ) -> None:
        """``library`` finds descriptions no figure of this build sent (an incremental build's
        reused figures name them by key); ``on_publish`` sees every description as it is published,
        with its counts when its node was new; ``stats`` gives those counts of a library description
        (its bytes are then read only if they must be written)."""
        self.compress_turtle = compress_turtle
        self._library = library
        self._on_publish = on_publish
        self._stats = stats
        self.staging = staging
        self.turtle_name = TURTLE_GZ if compress_turtle else TURTLE
        self._turtle = open(self.staging / self.turtle_name, "wb")  # noqa: SIM115 - closed in finish()
        header = rdf.turtle_prefixes() + b"\n"
        self._turtle.write(gzip.compress(header, GZIP_LEVEL, mtime=0) if compress_turtle else header)
        self._ntriples = open(self.staging / NTRIPLES_GZ, "wb")  # noqa: SIM115 - closed in finish()
        self.jsonld_dir = self.staging / JSONLD_DIR
        self.jsonld_dir.mkdir()
        self.schemaorg_dir = self.staging / SCHEMAORG_DIR
        self.schemaorg_dir.mkdir()
        self.figures = 0
        self.triples = 0
        # node → (digests of its published descriptions, packed hashes of their lines): exact
        # distinct-triple counts in ~100 bytes a node (a corpus of 100k figures has ~10^5 nodes).
        # ``None`` while the node's one description was counted from its stats (unread).
        self._described: dict[str, tuple[tuple[int, ...], bytes | None]] = {}
        self._held: dict[tuple[str, int], SharedDescription] = {}
        # What SPARQL finds in the release, counted as triples are first published (void.ttl):
        # distinct triples by predicate, rdf:type triples by class (= instances: triples are
        # distinct), and distinct typed subjects. Shared subjects are remembered by hash, 8 bytes
        # each in a set (as the line hashes above): a release has ~10^5 of them.
        self.predicate_triples: dict[str, int] = {}
        self.class_entities: dict[str, int] = {}
        self.typed_entities = 0
        self._typed_shared: set[int] = set()
        self._shared_predicates: Counter[bytes] = Counter()
        #: the (node, digest) of every description published
        self._published_keys: set[tuple[str, int]] = set()
        self._files = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pfocr-write")
        self._pending: deque[Future[None]] = deque()
        self._links: list[tuple[str, str]] = []
        #: keys of descriptions counted from their stats, whose bytes are read only to be written
        self._unread: set[tuple[str, int]] = set()

    def hold(self, figure: SerializedFigure) -> None:
        """Keep the descriptions of a figure that is not published (e.g. a duplicate figid).

        Its worker sent them in full and will send only their keys from now on, so the first
        published figure that needs one finds it here.
        """
        for description in figure.shared:
            if not self._is_published(description.node, description.digest):
                self._held.setdefault(description.key, description)

    def _is_published(self, node: str, digest: int) -> bool:
        known = self._described.get(node)
        return known is not None and digest in known[0]

    def _new_shared(self, figure: SerializedFigure) -> list[SharedDescription]:
        fresh: list[SharedDescription] = []
        carried: dict[tuple[str, int], SharedDescription] | None = None
        published_keys = self._published_keys
        # Most keys are published already: filtered by one set lookup each, in a comprehension.
        for key in [key for key in figure.shared_keys if key not in published_keys]:
            node, digest = key
            if carried is None:
                carried = {d.key: d for d in figure.shared}
            description = carried.get(key) or self._held.pop(key, None)
            known = self._described.get(node)
            if description is None and known is None and self._stats is not None:
                counted = self._stats(key)
                if counted is not None:  # a reused description of a new node: counted unread
                    self._described[node] = ((digest,), None)
                    self.triples += counted.lines
                    self._add_stats(counted)
                    description = SharedDescription(node, digest, b"", b"")
                    self._unread.add(key)
                    fresh.append(description)
                    published_keys.add(key)
                    if self._on_publish is not None:
                        self._on_publish(description, counted)
                    continue
            if description is None:
                description = self._read(key)
            by_hash = {hash(line): line for line in description.ntriples.splitlines()}
            lines = set(by_hash)
            stats = None
            if known is None:
                self._described[node] = ((digest,), _pack(lines))
                stats = self._count_lines(list(by_hash.values()))
                self.triples += len(lines)
            else:
                # The same node described differently by another figure (e.g. a renamed gene symbol):
                # publish the variant, count only the triples it adds.
                digests, packed = known
                if packed is None:
                    first = self._read((node, digests[0]))
                    packed = _pack({hash(line) for line in first.ntriples.splitlines()})
                published = set(array("q", packed))
                added = lines - published
                self._described[node] = ((*digests, digest), _pack(published | lines))
                self.triples += len(added)
                self._count_lines([by_hash[h] for h in added])
            fresh.append(description)
            published_keys.add(key)
            if self._on_publish is not None:
                self._on_publish(description, stats)
        return fresh

    def _read(self, key: tuple[str, int]) -> SharedDescription:
        description = self._library(key) if self._library is not None else None
        if description is None:
            raise RuntimeError(f"internal error: {key[0]} was never sent in full")
        return description

    def _count_lines(self, lines: list[bytes]) -> DescriptionStats:
        """Add N-Triples lines published for the first time to the predicate and class counts.

        Our subjects and predicates are IRIs (no spaces), so a line splits at its first two spaces.
        """
        # Counted as bytes in C (Counter) and named once in fold_counts(): decoding each line's
        # predicate was most of an incremental build's main-process time.
        predicates = Counter([line.split(b" ", 2)[1] for line in lines])
        self._shared_predicates.update(predicates)
        classes: dict[str, int] = {}
        typed: list[bytes] = []
        for line in [line for line in lines if _TYPE_REF in line]:
            subject, predicate_ref, rest = line.split(b" ", 2)
            if predicate_ref != _TYPE_REF:
                continue
            cls = rest[1 : rest.index(b">")].decode()
            classes[cls] = classes.get(cls, 0) + 1
            typed.append(subject)
        # a subject typed twice is one entity: kept once (the count below dedups across descriptions)
        unique_typed = tuple(dict.fromkeys(typed))
        stats = DescriptionStats(len(lines), tuple(predicates.items()), tuple(classes.items()), unique_typed)
        self._add_typed(stats)
        return stats

    def _add_stats(self, stats: DescriptionStats) -> None:
        predicates = self._shared_predicates
        for predicate, count in stats.predicates:
            predicates[predicate] += count
        self._add_typed(stats)

    def _add_typed(self, stats: DescriptionStats) -> None:
        classes = self.class_entities
        for cls, count in stats.classes:
            classes[cls] = classes.get(cls, 0) + count
        for subject in stats.typed:
            key = hash(subject)
            if key not in self._typed_shared:
                self._typed_shared.add(key)
                self.typed_entities += 1

    def fold_counts(self) -> None:
        """Name the shared descriptions' predicate counts (kept as bytes while writing)."""
        for predicate_ref, count in self._shared_predicates.items():
            predicate = predicate_ref[1:-1].decode()
            self.predicate_triples[predicate] = self.predicate_triples.get(predicate, 0) + count
        self._shared_predicates.clear()

    def add(
        self,
        figure: SerializedFigure,
        documents_from: tuple[str, str] | None = None,
        tail: tuple[int, Callable[[], tuple[bytes, bytes]]] | None = None,
    ) -> FigureSpans:
        """Append a figure to the dumps and write its JSON-LD documents.

        With ``documents_from`` (an incremental build's reused figure, whose ``jsonld`` and
        ``schemaorg`` are empty) the documents are hard links to those two files of the previous
        release; with ``tail``, when the descriptions to publish after it are those the previous
        release published after it (same key digest), their bytes are copied from there instead of
        joined and compressed again. Returns where the figure's own blocks were written.
        """
        fresh = self._new_shared(figure)
        self.triples += figure.own_triples
        for predicate, count in figure.own_predicates.items():
            self.predicate_triples[predicate] = self.predicate_triples.get(predicate, 0) + count
        for cls, count in figure.own_classes.items():
            self.class_entities[cls] = self.class_entities.get(cls, 0) + count
        self.typed_entities += figure.own_typed
        digest = _tail_digest(fresh)
        spans = FigureSpans(
            self._turtle.tell(), len(figure.turtle), self._ntriples.tell(), len(figure.ntriples_gz), digest
        )
        self._turtle.write(figure.turtle)
        self._ntriples.write(figure.ntriples_gz)
        if tail is not None and tail[0] == digest:
            turtle_tail, ntriples_tail = tail[1]()
            self._turtle.write(turtle_tail)
            self._ntriples.write(ntriples_tail)
        else:
            if self._unread:
                fresh = [self._read(d.key) if d.key in self._unread else d for d in fresh]
            if fresh:
                turtle = b"".join(d.turtle for d in fresh)
                compress = self.compress_turtle
                self._turtle.write(gzip.compress(turtle, GZIP_LEVEL, mtime=0) if compress else turtle)
                self._ntriples.write(gzip.compress(b"".join(d.ntriples for d in fresh), GZIP_LEVEL, mtime=0))
            if not self.compress_turtle:
                self._turtle.write(b"\n")
        name = f"{figure.figid}.jsonld"
        if documents_from is None:
            self._write_file(os.path.join(self.jsonld_dir, name), figure.jsonld)
            self._write_file(os.path.join(self.schemaorg_dir, name), figure.schemaorg)
        else:
            self._link_file(documents_from[0], os.path.join(self.jsonld_dir, name))
            self._link_file(documents_from[1], os.path.join(self.schemaorg_dir, name))
        self.figures += 1
        return spans

    def _write_file(self, path: str, content: bytes) -> None:
        # Creating 200k small files on a disk file system is a third of the main process's time
        # at 100k figures, mostly waiting: threads overlap that with reading the workers' results.
        self._pending.append(self._files.submit(_write_new_file, path, content))
        while len(self._pending) > _MAX_PENDING_FILES:
            self._pending.popleft().result()

    def _link_file(self, source: str, path: str) -> None:
        # Linking is cheaper than handing a thread one task per file: links go in batches.
        self._links.append((source, path))
        if len(self._links) >= _LINK_BATCH:
            self._flush_links()

    def _flush_links(self) -> None:
        if self._links:
            self._pending.append(self._files.submit(_link_all, self._links))
            self._links = []
            while len(self._pending) > _MAX_PENDING_FILES:
                self._pending.popleft().result()

    def _drain(self) -> None:
        self._flush_links()
        while self._pending:
            self._pending.popleft().result()

    def finish(self, void_turtle: bytes) -> None:
        """Close the release's files and add void.ttl and context.jsonld (report.json is the build's)."""
        self._drain()
        self._files.shutdown()
        self._turtle.close()
        self._ntriples.close()
        (self.staging / VOID).write_bytes(void_turtle)
        (self.staging / CONTEXT_FILE).write_bytes(jsonld.dumps({"@context": pfocr_context()}))

    def abort(self) -> None:
        """Stop writing (the caller deletes the folder). Never raises: on a full disk, closing a
        file fails to flush its buffer, and that must not keep the staging from being removed."""
        self._files.shutdown(cancel_futures=True)
        self._pending.clear()
        for handle in (self._turtle, self._ntriples):
            with contextlib.suppress(OSError):
                handle.close()


#: Threads that delete a retired output folder
_REMOVE_THREADS = 8


def remove_tree(root: Path) -> None:
    """Delete a folder of many small files (a previous release's JSON-LD), several at a time.

    Deleting is mostly waiting for the file system: the 200k files of a 100k-figure release took
    22 s with ``rm -rf`` and 11.5 s with eight threads on this project's test machine.
    """
    files = [os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names]
    if len(files) > 1000:
        slices = [files[i::_REMOVE_THREADS] for i in range(_REMOVE_THREADS)]
        with ThreadPoolExecutor(max_workers=_REMOVE_THREADS, thread_name_prefix="pfocr-remove") as pool:
            for _ in pool.map(_unlink_all, slices):
                pass
    shutil.rmtree(root, ignore_errors=True)


def _unlink_all(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):  # what is left, rmtree removes or ignores like rm -rf
            os.unlink(path)
