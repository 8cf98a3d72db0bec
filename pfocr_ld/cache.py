"""The build cache: what a release remembers of each record file, so that the next build reuses it.

A monthly PFOCR update changes a few percent of the records; rebuilding the rest gives the same bytes.
Each release folder therefore keeps, beside its published files, a ``build-cache/`` folder:

``entries.jsonl``
    one line per record file, in build order: the inputs the file's output depended on (the record
    file and every companion-table path looked for, found or not, each as size, mtime, inode and
    BLAKE2b digest; the organism names it looked up and what they resolved to; the values it gave
    the release-wide label vote), and what it produced (its problems and warnings as report rows,
    and per published figure: where its own triples sit in this release's ``pfocr.ttl`` and
    ``pfocr.nt.gz``, the shared descriptions it names, its statistics and its JSON-LD files' stat).
``data-<k>.bin``
    bytes the entries point at (data file, offset, length, CRC-32): every shared node description
    (gene, chemical, paper …) as Turtle and N-Triples, and each file's votes and warning rows. Each
    build writes what is new into a file of its own and shares the earlier files, which never
    change, by hard link.
``figures.bin``
    per published figure, in release order: where its own blocks are in ``pfocr.ttl`` and
    ``pfocr.nt.gz``, and its JSON-LD documents' size, mtime and inode.
``index.json``
    written last: the format, the *fingerprint* (a digest of the code, shapes and ontology, the
    libraries' versions and the build options that change output bytes), the release-wide vote's
    outcome per disputed node, the string and description tables the entries refer to by number
    (with each description's counts for ``void.ttl``, so a reused one is counted unread), the stat
    of the release's dump files, the data files' lengths and CRC-32s, and BLAKE2b checksums of
    ``entries.jsonl`` and ``figures.bin``; its own BLAKE2b is its last line.

A record file's cached output is reused when the fingerprint matches, its inputs are unchanged (stat
equal, else the same digest), the organism names it used resolve as before, none of the nodes it names
had its release-wide value or tally changed by the vote, and the release files its bytes are read from
(own Turtle/N-Triples blocks by offset, JSON-LD documents hard-linked) are unchanged. Anything else is
rebuilt. A cache that is missing, of another format or fingerprint, fails its checksums or does not
parse is ignored as a whole (the build is then a clean one), never trusted in part.

Reuse changes nothing in what is published: the build merges reused and rebuilt record files in the
same order, through the same writer, so the release is byte-identical to a clean build's.

This module owns the cache's format: the fingerprint, describing inputs, reading a previous
release's cache (:func:`open_previous`) and writing the new one (:class:`CacheWriter`). What is
reused, record file by record file, is decided in :mod:`pfocr_ld.reuse`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import shutil
import stat
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pfocr_ld import limits, resources
from pfocr_ld.labels import Resolution, Votes
from pfocr_ld.records import OrganismIndex
from pfocr_ld.writers import JSONLD_DIR, SCHEMAORG_DIR, DescriptionStats, SharedDescription

CACHE_DIR = "build-cache"
ENTRIES = "entries.jsonl"
#: the data files: ``data-<k>.bin``, each written by one build and never changed afterwards
DATA_PATTERN = "data-{}.bin"
#: a cache whose data file holds more than this many times the bytes its entries still use is
#: dropped (the build is a clean one, which starts a new file)
_MAX_GARBAGE_RATIO = 3
FIGURES = "figures.bin"
#: int64s a published figure has in figures.bin: its own Turtle and N-Triples blocks (offset, length),
#: a digest of the shared descriptions first published after it (writers.FigureSpans), and the size,
#: mtime_ns and inode of its jsonld/ and schemaorg/ documents
PER_FIGURE = 11
STAT_AT = 5
INDEX = "index.json"
FORMAT = "pfocr-ld build cache 2"
#: A file modified this recently when it was recorded may change again within the file system's
#: timestamp granularity without its stat changing ("racy git"): its stat is not trusted next time.
_RACY_SECONDS = 2.0
_LIBRARIES = ("rdflib", "pyshacl", "pyoxigraph", "orjson", "PyYAML", "PyLD", "curies")


class CacheUnusable(Exception):
    """The previous release's cache cannot be trusted (its reason is shown in the build's summary)."""


# The fingerprint ---------------------------------------------------------------------------------
def _tree_files(root: Path) -> Iterator[Path]:
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(names):
            if not name.endswith((".pyc", ".pyo")):
                yield Path(folder) / name


def fingerprint(*, base: str, compress: bool, validate: bool, shapes: Path | None) -> str:
    """A digest of everything besides the records that changes a release's bytes.

    The package's own files (code and bundled data), the shapes and ontology, the versions of the
    libraries that parse, serialise and validate, Python's version, and the options. Hashing the
    code rather than trusting a version string keeps a developer's edit from reusing stale output.
    """
    digest = hashlib.blake2b(digest_size=16)
    options = {"base": base, "compress": compress, "validate": validate, "python": sys.version}
    digest.update(orjson.dumps(options, option=orjson.OPT_SORT_KEYS))
    for library in _LIBRARIES:
        try:
            version = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{library}={version}\n".encode())
    roots = [resources.PACKAGE_DIR, resources.shapes_dir(), resources.ontology_dir()]
    if shapes is not None:
        roots.append(shapes)
    for root in roots:
        files = [root] if root.is_file() else _tree_files(root)
        for path in files:
            digest.update(f"{path.relative_to(root.parent) if root.is_dir() else path.name}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# Inputs ------------------------------------------------------------------------------------------
def file_digest(path: str) -> str:
    """The digest of a regular file, read through the same guards as the records (never a FIFO or
    device, whose opening could block or act)."""
    descriptor = limits.open_regular_file(path)
    try:
        # Read whole (inputs are small; hashlib.file_digest's 256 KiB buffer per call cost 0.4 ms a file).
        digest = hashlib.blake2b(digest_size=16)
        while chunk := os.read(descriptor, 1 << 20):
            digest.update(chunk)
    finally:
        os.close(descriptor)
    return digest.hexdigest()


def describe_input(path: str, now: float) -> list[Any]:
    """``[path, size, mtime_ns, inode, digest]`` of an input as the build read it; size -1: absent.

    A file changed in the last seconds gets mtime -1, so that the next build compares its digest.
    Size -2: not a readable regular file, which never counts as unchanged (rebuilt every time).
    """
    try:
        status = os.stat(path)
        digest = file_digest(path)
    except FileNotFoundError:
        return [path, -1, 0, 0, ""]
    except (OSError, limits.InputRefused):
        return [path, -2, 0, 0, ""]
    mtime = status.st_mtime_ns if status.st_mtime_ns < (now - _RACY_SECONDS) * 1e9 else -1
    return [path, status.st_size, mtime, status.st_ino, digest]


def input_unchanged(recorded: list[Any]) -> bool:
    path, size, mtime, inode, digest = recorded
    if size == -2:
        return False
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return size == -1
    except OSError:
        return False
    if size == -1:
        return False
    if status.st_size != size:
        return False
    if mtime != -1 and status.st_mtime_ns == mtime and status.st_ino == inode:
        return True
    try:
        return file_digest(path) == digest
    except (OSError, limits.InputRefused):
        return False


class Listings:
    """Whether files recorded as absent still are, from one listing per folder: most of a record's
    companion-table paths name nothing (a stat each was a tenth of a 100k incremental build)."""

    def __init__(self) -> None:
        self._names: dict[str, frozenset[str] | None] = {}

    def still_absent(self, path: str) -> bool:
        folder, name = os.path.split(path)
        if folder not in self._names:
            try:
                self._names[folder] = frozenset(os.listdir(folder or "."))
            except OSError:
                self._names[folder] = None
        names = self._names[folder]
        if names is None:
            return input_unchanged([path, -1, 0, 0, ""])
        return name not in names


class RecordingOrganisms(OrganismIndex):
    """The build's organism index, remembering which names a record looked up and their taxa."""

    def __init__(self, index: OrganismIndex) -> None:
        super().__init__(index.taxa, index.pages)
        self.looked_up: dict[str, str | None] = {}

    def lookup(self, name: str) -> str | None:
        taxon = super().lookup(name)
        self.looked_up[name] = taxon
        return taxon


def value_rows(values: Mapping[str, Mapping[Hashable, set[Any]]]) -> list[list[Any]]:
    """A record's vote (:func:`pfocr_ld.labels.figure_values`) as JSON-safe rows ``[kind, key, [values]]``."""
    return [[kind, key, sorted(given)] for kind, nodes in values.items() for key, given in nodes.items()]


def signature_key(kind: str, key: Hashable) -> str:
    return f"{kind}\t{key}"


def resolution_signatures(resolution: Resolution) -> dict[str, dict[str, Any]]:
    """Per disputed node, everything of the vote's outcome that can reach a record's output.

    ``c``: the chosen value (applied to the record); ``t``: the tally (quoted in the warning of a
    record whose value lost); ``m``: a ChEBI node's MeSH links. Whether it does reach a given
    record depends on what the record gives (:func:`effect`).
    """
    signatures: dict[str, dict[str, Any]] = {}
    for kind, chosen in resolution.chosen.items():
        for key, value in chosen.items():
            signatures.setdefault(signature_key(kind, key), {})["c"] = value
    for kind, tallies in resolution.tallies.items():
        for key, tally in tallies.items():
            signatures.setdefault(signature_key(kind, key), {})["t"] = [list(t) for t in tally]
    for key, mesh in resolution.chebi_mesh.items():
        signatures.setdefault(signature_key("chebi_mesh", key), {})["m"] = list(mesh)
    return signatures


def effect(signature: Mapping[str, Any] | None, kind: str, given: list[Any]) -> Any:
    """What the vote's outcome for a node does to a record that gives ``given`` for it.

    A record giving exactly the chosen value is untouched (nothing replaced, no warning), as if the
    node were undisputed; one giving none takes the chosen value; any other is replaced and warned
    about with the tally. Every record naming a ChEBI node with release-wide MeSH links gets them.
    """
    if signature is None:
        return None
    if kind == "chebi_mesh":
        return signature.get("m")
    chosen = signature.get("c")
    if given == [chosen]:
        return None
    if not given:
        return ["c", chosen]
    return [chosen, signature.get("t")]


def changed_nodes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, set[str]]:
    """Node key → the kinds whose outcome differs between two releases' votes."""
    changed: dict[str, set[str]] = {}
    for name in old.keys() | new.keys():
        if old.get(name) != new.get(name):
            kind, key = name.split("\t", 1)
            changed.setdefault(key, set()).add(kind)
    return changed


def votes_rows(votes: Votes) -> dict[str, list[Any]]:
    """A release's whole vote, JSON-safe: the next build subtracts what changed instead of recounting.

    As parallel columns (keys, then counts), which build and read back in C (``zip``) at 10^5 nodes.
    """
    return {
        "named": [list(votes.named), list(votes.named.values())],
        "counts": [list(votes.counts), list(votes.counts.values())],
    }


def votes_of(rows: dict[str, list[Any]]) -> Votes:
    named_keys, named_counts = rows["named"]
    count_keys, count_values = rows["counts"]
    return Votes(
        Counter(dict(zip(map(tuple, named_keys), named_counts, strict=True))),
        Counter(dict(zip(map(tuple, count_keys), count_values, strict=True))),
    )


# Reading the previous release's cache ------------------------------------------------------------
def _stat_of(path: Path) -> list[int]:
    status = os.stat(path)
    return [status.st_size, status.st_mtime_ns, status.st_ino]


@dataclass
class PreviousCache:
    """The cache of the release a build replaces, checked and read (see :func:`open_previous`)."""

    release: Path
    index: dict[str, Any]
    strings: list[str]
    #: description number → (node, digest, offset, Turtle length, N-Triples length, CRC-32)
    descriptions: list[list[Any]]
    signatures: dict[str, dict[str, Any]]
    #: per published figure, in release order: ``PER_FIGURE`` numbers (see ``FIGURES``)
    figures: array[int] = field(default_factory=lambda: array("q"))
    #: figid → its number in release order
    numbers: dict[str, int] = field(default_factory=dict)
    #: source path → its line in entries.jsonl, as written: parsed when used (100k parsed entries
    #: held 2 GB), copied as is for a reused file
    lines: dict[str, bytes] = field(default_factory=dict)
    _turtle: int = -1
    _ntriples: int = -1
    _data: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._document_folders = [f"{self.release / name}{os.sep}" for name in (JSONLD_DIR, SCHEMAORG_DIR)]
        turtle_name = self.index["turtle"][0]
        self._turtle = os.open(self.release / turtle_name, os.O_RDONLY)
        self._ntriples = os.open(self.release / self.index["ntriples"][0], os.O_RDONLY)
        for number in self.index["data"]:
            self._data[int(number)] = os.open(self.data_file(int(number)), os.O_RDONLY)

    def data_file(self, number: int) -> Path:
        return self.release / CACHE_DIR / DATA_PATTERN.format(number)

    def close(self) -> None:
        for descriptor in (self._turtle, self._ntriples, *self._data.values()):
            if descriptor >= 0:
                os.close(descriptor)
        self._turtle = self._ntriples = -1
        self._data = {}

    def blob(self, where: list[int]) -> bytes:
        """The bytes an entry points at (``[data file, offset, length, CRC-32]``), checked."""
        number, offset, length, crc = where
        descriptor = self._data.get(number)
        if descriptor is None:
            raise CacheUnusable("the build cache points into a data file it does not list")
        data = _read_exactly(descriptor, [offset, length])
        if zlib.crc32(data) != crc:
            raise CacheUnusable("the build cache's data fail their checksum")
        return data

    def turtle_block(self, span: list[int]) -> bytes:
        return _read_exactly(self._turtle, span)

    def ntriples_block(self, span: list[int]) -> bytes:
        return _read_exactly(self._ntriples, span)

    def description(self, number: int) -> SharedDescription:
        node, digest, data_file, offset, turtle_length, ntriples_length, crc = self.descriptions[number][:7]
        data = self.blob([data_file, offset, turtle_length + ntriples_length, crc])
        return SharedDescription(self.strings[node], digest, data[:turtle_length], data[turtle_length:])

    def spans_of(self, figid: str) -> list[int]:
        """Where a figure's own Turtle and N-Triples blocks are in the previous release."""
        start = PER_FIGURE * self.numbers[figid]
        return list(self.figures[start : start + 4])

    def tail_of(self, figid: str) -> tuple[int, Callable[[], tuple[bytes, bytes]]]:
        """What followed a figure's own blocks in the previous release's dumps (the shared
        descriptions first published there), as a digest of their keys and a reader of the bytes."""
        number = self.numbers[figid]
        start = PER_FIGURE * number
        turtle_end, ntriples_end = self.index["turtle"][1], self.index["ntriples"][1]
        if number + 1 < len(self.numbers):
            following = start + PER_FIGURE
            turtle_end, ntriples_end = self.figures[following], self.figures[following + 2]
        turtle_from = self.figures[start] + self.figures[start + 1]
        ntriples_from = self.figures[start + 2] + self.figures[start + 3]

        def read() -> tuple[bytes, bytes]:
            return (
                _read_exactly(self._turtle, [turtle_from, turtle_end - turtle_from]),
                _read_exactly(self._ntriples, [ntriples_from, ntriples_end - ntriples_from]),
            )

        return self.figures[start + 4], read

    def documents_of(self, figid: str) -> tuple[str, str] | None:
        """The paths of a figure's two JSON-LD documents in the previous release, if unchanged since
        it was written (same size, mtime and inode as recorded), else ``None``."""
        number = self.numbers.get(figid)
        if number is None:
            return None
        paths = []
        for position, folder in enumerate(self._document_folders):
            path = f"{folder}{figid}.jsonld"
            try:
                status = os.stat(path, follow_symlinks=False)
            except OSError:
                return None
            start = PER_FIGURE * number + STAT_AT + 3 * position
            if not stat.S_ISREG(status.st_mode) or [
                status.st_size,
                status.st_mtime_ns,
                status.st_ino,
            ] != list(self.figures[start : start + 3]):
                return None
            paths.append(path)
        return paths[0], paths[1]


def subject_name(subject: bytes) -> str:
    """A typed subject as the cache's strings table keeps it: an IRI without its ``<>`` (so a
    description's own node, nearly always its one typed subject, adds no string), a blank node as is."""
    return subject[1:-1].decode() if subject.startswith(b"<") else subject.decode()


def subject_ref(name: str) -> bytes:
    """The N-Triples form of a subject :func:`subject_name` kept."""
    return name.encode() if name.startswith("_:") else b"<" + name.encode() + b">"


def write_index(folder: Path, index: dict[str, Any]) -> None:
    """Write ``index.json``: the JSON, a newline, and the BLAKE2b of the JSON (hex)."""
    raw_index = orjson.dumps(index)
    digest = hashlib.blake2b(raw_index, digest_size=16).hexdigest().encode()
    (folder / INDEX).write_bytes(raw_index + b"\n" + digest)


def read_index(folder: Path) -> Any:
    """The index :func:`write_index` wrote; :class:`CacheUnusable` when its checksum fails."""
    raw_index, _, digest = (folder / INDEX).read_bytes().rpartition(b"\n")
    if hashlib.blake2b(raw_index, digest_size=16).hexdigest().encode() != digest:
        raise CacheUnusable("the build cache's index fails its checksum")
    return orjson.loads(raw_index)


def _file_crc(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc


def _read_exactly(descriptor: int, span: list[int]) -> bytes:
    offset, length = span
    data = os.pread(descriptor, length, offset)
    if len(data) != length:
        raise CacheUnusable("a release file is shorter than its cache says")
    return data


def open_previous(release: Path, expected_fingerprint: str) -> PreviousCache:
    """Read and check the cache of ``release``; :class:`CacheUnusable` says why it is not used."""
    folder = release / CACHE_DIR
    try:
        index = read_index(folder)
    except FileNotFoundError as error:
        raise CacheUnusable("the previous release has no build cache") from error
    except (OSError, orjson.JSONDecodeError) as error:
        raise CacheUnusable(f"the build cache's index is unreadable ({error})") from error
    try:
        if not isinstance(index, dict) or index.get("format") != FORMAT:
            raise CacheUnusable("the build cache is of another format")
        if index.get("fingerprint") != expected_fingerprint:
            raise CacheUnusable("code, shapes, ontology or options changed since the previous release")
        for key in ("turtle", "ntriples"):
            name, *stat = index[key]
            if name not in ("pfocr.ttl", "pfocr.ttl.gz", "pfocr.nt.gz") or _stat_of(release / name) != stat:
                raise CacheUnusable(f"the previous release's {name} changed after it was written")
        raw_entries = (folder / ENTRIES).read_bytes()
        checksums = index["checksums"]
        if hashlib.blake2b(raw_entries, digest_size=16).hexdigest() != checksums[ENTRIES]:
            raise CacheUnusable("the build cache's entries fail their checksum")
        for number, size in index["data"].items():
            if os.stat(folder / DATA_PATTERN.format(int(number))).st_size != size:
                raise CacheUnusable("a data file of the build cache changed after it was written")
        # Checked whole (~4 GB/s): the descriptions a build counts from their stats are never read.
        for number, crc in index["data_crc"].items():
            if _file_crc(folder / DATA_PATTERN.format(int(number))) != crc:
                raise CacheUnusable("a data file of the build cache fails its checksum")
        if sum(index["data"].values()) > _MAX_GARBAGE_RATIO * max(1, index["live"]):
            raise CacheUnusable("the build cache's data files are mostly unused bytes; starting anew")
        figures = array("q")
        figures.frombytes((folder / FIGURES).read_bytes())
        if hashlib.blake2b(figures.tobytes(), digest_size=16).hexdigest() != checksums[FIGURES]:
            raise CacheUnusable("the build cache's figure list fails its checksum")
        figids = index["figids"]
        if len(figures) != PER_FIGURE * len(figids):
            raise CacheUnusable("the build cache's figure list has the wrong length")
        lines = {}
        for line in raw_entries.splitlines(keepends=True):
            # the path is the first key (build._cache_entry): the line is parsed when it is used
            if not line.startswith(b'{"p":'):
                raise CacheUnusable("the build cache's entries are not in their format")
            path = orjson.loads(line[5 : line.index(b'","') + 1])
            lines[path] = line
        return PreviousCache(
            release,
            index,
            list(index["strings"]),
            index["descriptions"],
            index["signatures"],
            figures,
            {figid: number for number, figid in enumerate(figids)},
            lines,
        )
    except CacheUnusable:
        raise
    except (OSError, KeyError, TypeError, ValueError, orjson.JSONDecodeError) as error:
        raise CacheUnusable(f"the build cache does not read ({type(error).__name__})") from error


# Writing the new release's cache -----------------------------------------------------------------
@dataclass
class CacheWriter:
    """Writes ``build-cache/`` of a new release as the build publishes it.

    String and description numbers continue the previous cache's, so that reused entries keep
    theirs unchanged; a clean build starts them afresh.
    """

    staging: Path
    fingerprint: str
    strings: list[str] = field(default_factory=list)
    descriptions: list[list[Any]] = field(default_factory=list)
    _string_ids: dict[str, int] = field(default_factory=dict)
    _description_ids: dict[tuple[str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.folder = self.staging / CACHE_DIR
        self.folder.mkdir()
        self._entries = open(self.folder / ENTRIES, "wb")  # noqa: SIM115 - closed in finish()
        self._entries_digest = hashlib.blake2b(digest_size=16)
        #: the data files this cache points into (number → size); the last is this build's own
        self.data_files: dict[int, int] = {}
        #: their CRC-32s; this build's own is computed as it is written
        self.data_crcs: dict[int, int] = {}
        self._crc = 0
        self._number = 1
        self._data = open(self.folder / DATA_PATTERN.format(self._number), "wb")  # noqa: SIM115
        self._offset = 0
        #: bytes of the data files this release's entries and descriptions use
        self.live = 0

    def continue_from(self, previous: PreviousCache, numbers: dict[tuple[str, int], int]) -> None:
        """Keep the previous cache's string and description numbers, and its data files.

        Data files are never changed once written, so the new cache shares them by hard link and
        writes what is new into a file of its own: a build that fails or is refused leaves the
        live release's cache as it was.
        """
        self.strings = list(previous.strings)
        self._string_ids = {value: number for number, value in enumerate(self.strings)}
        self._data.close()
        (self.folder / DATA_PATTERN.format(self._number)).unlink()
        for number, size in previous.index["data"].items():
            name = DATA_PATTERN.format(int(number))
            try:
                os.link(previous.release / CACHE_DIR / name, self.folder / name)
            except OSError:
                shutil.copyfile(previous.release / CACHE_DIR / name, self.folder / name)
            self.data_files[int(number)] = size
            self.data_crcs[int(number)] = previous.index["data_crc"][number]
        self._number = max(self.data_files, default=0) + 1
        self._data = open(self.folder / DATA_PATTERN.format(self._number), "wb")  # noqa: SIM115
        self.descriptions = [list(row) for row in previous.descriptions]
        self._description_ids = numbers  # the previous cache's (node, digest) → number (Reuse's)

    def string(self, value: str) -> int:
        number = self._string_ids.get(value)
        if number is None:
            number = self._string_ids[value] = len(self.strings)
            self.strings.append(value)
        return number

    def strings_of(self, values: Iterable[str]) -> list[int]:
        return sorted(self.string(value) for value in values)

    def counts_of(self, counts: Mapping[str, int]) -> list[list[int]]:
        return [[self.string(name), count] for name, count in counts.items()]

    def description(self, description: SharedDescription, stats: DescriptionStats | None = None) -> int:
        """The number of a published description, writing its bytes (and counts) the first time."""
        number = self._description_ids.get(description.key)
        if number is not None:  # kept from the previous cache: published again, so still in use
            row = self.descriptions[number]
            self.live += row[4] + row[5]
            if stats is not None and row[7] is None:
                row[7] = self._stats_row(stats)
            return number
        where = self.blob(description.turtle + description.ntriples)
        number = self._description_ids[description.key] = len(self.descriptions)
        self.descriptions.append(
            [
                self.string(description.node),
                description.digest,
                where[0],
                where[1],
                len(description.turtle),
                len(description.ntriples),
                where[3],
                None if stats is None else self._stats_row(stats),
            ]
        )
        return number

    def _stats_row(self, stats: DescriptionStats) -> list[Any]:
        """``[lines, [predicate, count, …], [class, count, …], [typed subject, …]]``, strings numbered."""
        predicates = [x for name, count in stats.predicates for x in (self.string(name.decode()), count)]
        classes = [x for name, count in stats.classes for x in (self.string(name), count)]
        return [
            stats.lines,
            predicates,
            classes,
            [self.string(subject_name(subject)) for subject in stats.typed],
        ]

    def blob(self, data: bytes) -> list[int]:
        """Write bytes to this build's data file: ``[data file, offset, length, CRC-32]`` to point at."""
        where = [self._number, self._offset, len(data), zlib.crc32(data)]
        self._crc = zlib.crc32(data, self._crc)
        self._data.write(data)
        self._offset += len(data)
        self.live += len(data)
        return where

    def description_number(self, key: tuple[str, int]) -> int:
        return self._description_ids[key]

    def add(self, entry: dict[str, Any] | bytes) -> None:
        """One record file's line: an entry, or a reused file's line as the previous cache wrote it."""
        line = entry if isinstance(entry, bytes) else orjson.dumps(entry) + b"\n"
        self._entries.write(line)
        self._entries_digest.update(line)

    def finish(
        self,
        signatures: Mapping[str, Any],
        votes: Votes,
        turtle: str,
        ntriples: str,
        figids: Sequence[str],
        spans: array[int],
    ) -> None:
        """Close the files and write ``index.json`` (after the release's files are all written).

        ``figids``: the published figids in order, with ``PER_FIGURE`` numbers each in ``spans``:
        their own blocks' places, and their JSON-LD documents' stat, or -1s where it is to be
        taken here (the documents written by this build).
        """
        self._entries.close()
        self._data.close()
        figures = array("q", spans)
        if len(figures) != PER_FIGURE * len(figids):
            raise ValueError("one line of spans per published figure")
        for number, figid in enumerate(figids):
            start = PER_FIGURE * number + STAT_AT
            if figures[start] != -1:
                continue
            for folder in (JSONLD_DIR, SCHEMAORG_DIR):
                status = os.stat(os.path.join(self.staging, folder, f"{figid}.jsonld"))
                figures[start : start + 3] = array("q", (status.st_size, status.st_mtime_ns, status.st_ino))
                start += 3
        (self.folder / FIGURES).write_bytes(figures.tobytes())
        index = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "turtle": [turtle, *_stat_of(self.staging / turtle)],
            "ntriples": [ntriples, *_stat_of(self.staging / ntriples)],
            "checksums": {
                ENTRIES: self._entries_digest.hexdigest(),
                FIGURES: hashlib.blake2b(figures.tobytes(), digest_size=16).hexdigest(),
            },
            "data": {str(n): size for n, size in {**self.data_files, self._number: self._offset}.items()},
            "data_crc": {str(n): crc for n, crc in {**self.data_crcs, self._number: self._crc}.items()},
            "live": self.live,
            "signatures": dict(sorted(signatures.items())),
            "votes": votes_rows(votes),
            "figids": list(figids),
            "strings": self.strings,
            "descriptions": self.descriptions,
        }
        write_index(self.folder, index)

    def abort(self) -> None:
        for handle in (self._entries, self._data):
            with contextlib.suppress(OSError):
                handle.close()
