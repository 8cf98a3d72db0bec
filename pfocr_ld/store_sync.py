"""Keeping a store equal to a release: ``build --store`` and ``load --sync``.

(Remote graphs, ``publish --incremental``: :mod:`pfocr_ld.publish_sync`, with the same record and plan.
This module stays whole, a little over 800 lines: the release, the record and the plan are one
design and are read together.)

This module owns making a SPARQL store (the embedded on-disk Oxigraph store, or a remote graph)
hold **exactly** one release of a ``pfocr-ld build`` folder — its records plus ``void.ttl``, what a
fresh load of the release gives, quad for quad — by changing only what changed since the release it
held before. It does not need the previous release's files (a build deletes them when it switches):
what it needs about the release a store holds is kept in a **record** beside the data, an SQLite
file (:data:`RECORD_NAME`) inside the store folder, or for a remote graph in the build folder's
``.pfocr-ld/published/``:

* the release's version IRI (``void.ttl``'s ``dcterms:hasVersion``) and its ``void.ttl`` triples;
* every figure's digest from the release's ``manifest.json`` (:mod:`pfocr_ld.changes`) and its IRI;
* the shared node descriptions. A figure's block (its ``jsonld/<figid>.jsonld``) splits by subject
  into its **private** triples (subject the figure's IRI or one of its ``#`` fragments, the mention
  nodes), its **links** (``<node> dcterms:isPartOf <figure>``) and, per other subject (a gene, a
  paper, a taxon, the figure's image…), that subject's **variant**: the triples the block states
  about it. Figures usually agree on a node (labels are voted per release, :mod:`pfocr_ld.labels`),
  but not always (two records of one paper may give it different titles; the store then holds
  both). The record keeps each variant once (its N-Triples, compressed), how many figures state it,
  and which variants each figure states.

A sync compares the new release's digests with the record's: unchanged figures are not read. For a
removed or changed figure it reads the figure's private triples and links in the store (by the
figure's IRI: its mentions are ``dcterms:isPartOf`` it) and deletes only those the new release
lacks, inserting only those the store lacks; for each subject whose set of stated variants changed
it replaces the union of the old variants by the union of the new ones. (A remote graph is not read:
there the figure's triples are deleted by pattern and inserted again.) The new data is read from
the changed figures' JSON-LD documents, one at a time (pyoxigraph's JSON-LD parser with the bundled
context given inline: nothing is fetched). All of it is **one SPARQL Update request**
(``DELETE DATA … ; INSERT DATA …``, split into operations of bounded size), which Oxigraph applies
in one transaction (the embedded store and the server alike), so a reader sees the old release or
the new one, never half; the record is committed after the store. The work is proportional to the
change: nothing scans the store or reads the whole release.

A record that is missing, of another format or graph, or whose version is not the one the store
holds (e.g. a sync killed between the store's commit and the record's) is never trusted: the store
is then **reloaded in full**, into a new folder beside it that replaces it in one ``rename`` (an
atomic exchange where the kernel has ``renameat2``), with its record written inside first.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import sqlite3
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyoxigraph as ox

from pfocr_ld.changes import DIGESTS_KEY, VERSION_KEY
from pfocr_ld.release import MANIFEST, live_release
from pfocr_ld.store import StoreError
from pfocr_ld.vocab import T
from pfocr_ld.writers import JSONLD_DIR, NTRIPLES_GZ, VOID

#: the record's file inside a store folder
RECORD_NAME = "pfocr-ld-release.sqlite"
RECORD_FORMAT = "pfocr-ld store record 1"
#: beside the store folder while a full reload builds its replacement (deleted by the next sync)
NEW_STORE_SUFFIX = ".pfocr-ld-new"
OLD_STORE_SUFFIX = ".pfocr-ld-old"

_IS_PART_OF = T.dcterms["isPartOf"]
_HAS_VERSION = T.dcterms["hasVersion"]
_IDENTIFIER = T.dcterms["identifier"]
_FIGURE_CLASS = T.pfocr["Figure"]
_RDF_TYPE = T.rdf["type"]
_VOID_TRIPLES = T.void["triples"]


class SyncError(StoreError):
    """The release cannot be synced (unreadable, malformed); nothing was changed (exit status 2)."""


# The release ------------------------------------------------------------------------------------
@dataclass
class Release:
    """A build folder's live release, resolved once: its manifest's digests and version, its void."""

    folder: Path
    digests: dict[str, str]
    version: str

    @classmethod
    def open(cls, out: Path) -> Release:
        folder = live_release(Path(out))
        try:
            manifest = orjson.loads((folder / MANIFEST).read_bytes())
        except (OSError, orjson.JSONDecodeError) as error:
            raise SyncError(
                f"{out}: no readable release manifest ({error}); is it a pfocr-ld build folder?"
            ) from error
        digests = manifest.get(DIGESTS_KEY) if isinstance(manifest, dict) else None
        version = manifest.get(VERSION_KEY) if isinstance(manifest, dict) else None
        if not isinstance(digests, dict) or not isinstance(version, str):
            raise SyncError(
                f"{folder / MANIFEST}: no figure digests or version (written by an earlier pfocr-ld); "
                "rebuild it with this version"
            )
        return cls(folder, {str(k): str(v) for k, v in digests.items()}, version)

    def void_lines(self) -> set[str]:
        path = self.folder / VOID
        try:
            with path.open("rb") as handle:
                return {_line(t) for t in ox.parse(handle, ox.RdfFormat.TURTLE)}
        except (OSError, SyntaxError, ValueError) as error:
            raise SyncError(f"{path}: cannot read the dataset description: {error}") from error

    def figure(self, figid: str) -> FigureBlock:
        return read_block(self.folder / JSONLD_DIR / f"{figid}.jsonld", figid)


def _line(triple: ox.Triple | ox.Quad) -> str:
    """One triple as an N-Triples line (without the newline); also valid SPARQL."""
    for term in (triple.subject, triple.object):
        if isinstance(term, ox.BlankNode):
            raise SyncError("blank nodes cannot be synced by SPARQL Update DATA")
    return f"{triple.subject} {triple.predicate} {triple.object} ."


@dataclass
class FigureBlock:
    """One figure's published triples, split by subject (see the module docstring)."""

    figid: str
    iri: str
    private: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)
    variants: dict[str, frozenset[str]] = field(default_factory=dict)  # subject → its lines


def variant_digest(lines: Iterable[str]) -> str:
    return hashlib.blake2b("\n".join(sorted(lines)).encode(), digest_size=16).hexdigest()


def read_block(path: Path, figid: str) -> FigureBlock:
    """A figure's JSON-LD document, parsed by pyoxigraph with the bundled context inline."""
    from pfocr_ld.contexts import pfocr_context

    try:
        document = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise SyncError(f"{path}: cannot read the figure's JSON-LD document: {error}") from error
    if not isinstance(document, dict) or document.get("@context") != "../context.jsonld":
        raise SyncError(f"{path}: not a pfocr-ld figure document (its @context is not ../context.jsonld)")
    document["@context"] = pfocr_context()
    try:
        triples = list(ox.parse(orjson.dumps(document), ox.RdfFormat.JSON_LD))
    except (SyntaxError, ValueError) as error:
        raise SyncError(f"{path}: not valid JSON-LD: {error}") from error
    figures = [
        t.subject.value for t in triples if t.predicate.value == _RDF_TYPE and t.object.value == _FIGURE_CLASS
    ]
    if len(figures) != 1:
        raise SyncError(f"{path}: describes {len(figures)} figures, not one")
    fig = figures[0]
    if not any(
        t.subject.value == fig and t.predicate.value == _IDENTIFIER and t.object.value == figid
        for t in triples
    ):
        raise SyncError(f"{path}: its figure is not {figid!r}")
    block = FigureBlock(figid, fig)
    fragment = fig + "#"
    grouped: dict[str, set[str]] = {}
    part_of: set[str] = set()
    for triple in triples:
        subject = triple.subject
        if isinstance(subject, ox.BlankNode):
            raise SyncError(f"{path}: blank nodes cannot be synced")
        line = _line(triple)
        value = subject.value
        if value == fig or value.startswith(fragment):
            block.private.add(line)
            if triple.predicate.value == _IS_PART_OF and triple.object.value == fig:
                part_of.add(value)
        elif triple.predicate.value == _IS_PART_OF and triple.object.value == fig:
            block.links.add(line)
        else:
            grouped.setdefault(value, set()).add(line)
    # A private node is found in the store by its dcterms:isPartOf link to the figure; one without
    # it could not be deleted when the figure changes.
    unlinked = {
        t.subject.value
        for t in triples
        if t.subject.value.startswith(fragment) and t.subject.value not in part_of
    }
    if unlinked:
        raise SyncError(f"{path}: {sorted(unlinked)[0]} is not dcterms:isPartOf its figure")
    block.variants = {subject: frozenset(lines) for subject, lines in grouped.items()}
    return block


# The record ---------------------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE figure (figid TEXT PRIMARY KEY, digest TEXT NOT NULL, iri TEXT NOT NULL, variants BLOB NOT NULL);
CREATE TABLE variant (
    id INTEGER PRIMARY KEY, subject TEXT NOT NULL, digest TEXT NOT NULL, refs INTEGER NOT NULL,
    lines BLOB NOT NULL, UNIQUE (subject, digest));
"""


class Record:
    """What a store holds: an SQLite file (see the module docstring). Changes wait for :meth:`commit`."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        if not create and not path.is_file():
            raise SyncError(f"{path}: no record")
        try:
            self.db = sqlite3.connect(path, isolation_level="DEFERRED")
            if create:
                self.db.executescript(_SCHEMA)
                self.db.execute("INSERT INTO meta VALUES ('format', ?)", (RECORD_FORMAT,))
                self.db.commit()
            elif self.meta("format") != RECORD_FORMAT:
                raise SyncError(f"{path}: not a record of this version of pfocr-ld")
        except sqlite3.DatabaseError as error:
            raise SyncError(f"{path}: unreadable record: {error}") from error

    def close(self) -> None:
        self.db.close()

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def figures(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT figid, digest FROM figure"))

    def figure_iri_and_variants(self, figid: str) -> tuple[str, list[int]]:
        iri, blob = self.db.execute("SELECT iri, variants FROM figure WHERE figid = ?", (figid,)).fetchone()
        ids = array("q")
        ids.frombytes(blob)
        return iri, list(ids)

    def variants_of(self, subject: str) -> list[tuple[int, str, int, frozenset[str]]]:
        rows = self.db.execute("SELECT id, digest, refs, lines FROM variant WHERE subject = ?", (subject,))
        return [(i, d, r, _unpack(lines)) for i, d, r, lines in rows]

    def variant_subject(self, variant_id: int) -> str:
        return self.db.execute("SELECT subject FROM variant WHERE id = ?", (variant_id,)).fetchone()[0]

    def commit(self) -> None:
        self.db.commit()

    def rollback(self) -> None:
        self.db.rollback()


def _pack(lines: Iterable[str]) -> bytes:
    return zlib.compress("\n".join(sorted(lines)).encode(), 1)


def _unpack(blob: bytes) -> frozenset[str]:
    text = zlib.decompress(blob).decode()
    return frozenset(text.split("\n")) if text else frozenset()


#: operations of one update request are at most this long (Virtuoso compiles each into SQL, and
#: refuses one of more than 10,000 lines of it)
_FIGURES_PER_OPERATION = 10
_TRIPLES_PER_OPERATION = 500


# Planning -----------------------------------------------------------------------------------------
@dataclass
class Plan:
    """One sync: the SPARQL Update that makes the store equal the new release, and its counts."""

    version: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    #: IRIs of the figures whose private triples and links the update deletes by pattern (removed and
    #: changed figures, for a remote graph; an embedded store gets exact DELETE DATA instead)
    delete_figures: list[str] = field(default_factory=list)
    delete_lines: set[str] = field(default_factory=set)
    insert_lines: set[str] = field(default_factory=set)
    subjects: int = 0  # shared subjects whose description changed
    void_changed: bool = False

    @property
    def empty(self) -> bool:
        return not (self.delete_figures or self.delete_lines or self.insert_lines)

    def update(self, graph: str | None) -> str:
        """The SPARQL Update request (one request: one transaction on Oxigraph)."""
        return "".join(self.update_parts(graph))

    def update_parts(self, graph: str | None) -> Iterator[str]:
        """The request's operations, separated by ``;``. Long lists are split into several operations
        of at most :data:`_FIGURES_PER_OPERATION` figures or :data:`_TRIPLES_PER_OPERATION` triples:
        still one request (one transaction on Oxigraph), and within Virtuoso's limit on the SQL it
        compiles one operation into (10,000 lines: one operation of a 20-figure update exceeded it)."""
        open_graph, close_graph = (f"GRAPH <{graph}> {{\n", "}\n") if graph else ("", "")
        operations: list[str] = []
        for start in range(0, len(self.delete_figures), _FIGURES_PER_OPERATION):
            # Each figure's private triples (the figure node and its mentions, which are isPartOf it),
            # then its links (<node> dcterms:isPartOf <figure>).
            figures = self.delete_figures[start : start + _FIGURES_PER_OPERATION]
            pairs = " ".join(f'(<{iri}> "{_sparql_string(iri + "#")}")' for iri in figures)
            operations.append(
                f"DELETE {{ {open_graph}?m ?p ?o {close_graph}}} WHERE {{ {open_graph}"
                f"VALUES (?f ?prefix) {{ {pairs} }} ?m <{_IS_PART_OF}> ?f . "
                f"FILTER(STRSTARTS(STR(?m), ?prefix)) ?m ?p ?o {close_graph}}}"
            )
            values = " ".join(f"<{iri}>" for iri in figures)
            operations.append(
                f"DELETE {{ {open_graph}?f ?p ?o {close_graph}}} WHERE {{ {open_graph}"
                f"VALUES ?f {{ {values} }} ?f ?p ?o {close_graph}}}"
            )
            operations.append(
                f"DELETE {{ {open_graph}?s <{_IS_PART_OF}> ?f {close_graph}}} WHERE {{ {open_graph}"
                f"VALUES ?f {{ {values} }} ?s <{_IS_PART_OF}> ?f {close_graph}}}"
            )
        for keyword, lines in (("DELETE DATA", self.delete_lines), ("INSERT DATA", self.insert_lines)):
            ordered = sorted(lines)
            for start in range(0, len(ordered), _TRIPLES_PER_OPERATION):
                chunk = "\n".join(ordered[start : start + _TRIPLES_PER_OPERATION])
                operations.append(f"{keyword} {{\n{open_graph}{chunk}\n{close_graph}}}")
        for number, operation in enumerate(operations):
            yield operation + (" ;\n" if number < len(operations) - 1 else "\n")

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed figures, "
            f"{self.subjects} shared descriptions changed"
        )


def _sparql_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def plan_sync(
    record: Record,
    release: Release,
    *,
    store: ox.Store | None = None,
    graph: str | None = None,
    void_lines: set[str] | None = None,
) -> Plan:
    """The update from the release ``record`` holds to ``release``, and the record's changes
    (left uncommitted in ``record``). Reads only the added and changed figures' documents, one at a
    time.

    With the ``store`` that holds the recorded release, each removed or changed figure's private
    triples and links are read from it and the update deletes only those the new release lacks and
    inserts only those the store lacks (a figure changed only through a gene's voted symbol then
    costs no write of its own). Without it (a remote graph), the update deletes them by pattern
    (:attr:`Plan.delete_figures`) and inserts the new ones whole.
    """
    plan = Plan(release.version)
    old = record.figures()
    new = release.digests
    plan.added = sorted(new.keys() - old.keys())
    plan.removed = sorted(old.keys() - new.keys())
    plan.changed = sorted(f for f in new.keys() & old.keys() if old[f] != new[f])
    db = record.db
    delta: dict[int, int] = {}  # variant id → change of the number of figures stating it
    ids_of: dict[tuple[str, str], int] = {}

    def forget(figid: str, new_lines: set[str]) -> None:
        """The figure leaves the record; its private triples and links leave the store."""
        iri, ids = record.figure_iri_and_variants(figid)
        for variant_id in ids:
            delta[variant_id] = delta.get(variant_id, 0) - 1
        db.execute("DELETE FROM figure WHERE figid = ?", (figid,))
        if store is None:
            plan.delete_figures.append(iri)
            plan.insert_lines |= new_lines
            return
        held = _figure_lines(store, iri, graph)
        plan.delete_lines |= held - new_lines
        plan.insert_lines |= new_lines - held

    def variant_id(subject: str, lines: frozenset[str]) -> int:
        key = (subject, variant_digest(lines))
        found = ids_of.get(key)
        if found is None:
            row = db.execute("SELECT id FROM variant WHERE subject = ? AND digest = ?", key).fetchone()
            if row is None:
                cursor = db.execute(
                    "INSERT INTO variant (subject, digest, refs, lines) VALUES (?, ?, 0, ?)",
                    (subject, key[1], _pack(lines)),
                )
                row = (cursor.lastrowid,)
            found = ids_of[key] = int(row[0])
        return found

    for figid in plan.removed:
        forget(figid, set())
    for figid in (*plan.added, *plan.changed):
        block = release.figure(figid)  # a malformed document stops the sync: nothing is written
        lines = block.private | block.links
        if figid in old:
            forget(figid, lines)
        else:
            plan.insert_lines |= lines
        ids = array("q", sorted({variant_id(s, v) for s, v in block.variants.items()}))
        for found in ids:
            delta[found] = delta.get(found, 0) + 1
        db.execute("INSERT INTO figure VALUES (?, ?, ?, ?)", (figid, new[figid], block.iri, ids.tobytes()))
    # subjects whose set of stated variants changes: their description is the union of the new set
    touched_subjects: set[str] = set()
    for found, change in delta.items():
        if change:
            refs, subject = db.execute("SELECT refs, subject FROM variant WHERE id = ?", (found,)).fetchone()
            if (refs > 0) != (refs + change > 0):
                touched_subjects.add(subject)
            db.execute("UPDATE variant SET refs = refs + ? WHERE id = ?", (change, found))
    for subject in sorted(touched_subjects):
        before: set[str] = set()
        after: set[str] = set()
        for found, _digest, refs, variant_lines in record.variants_of(subject):
            if refs - delta.get(found, 0) > 0:
                before |= variant_lines
            if refs > 0:
                after |= variant_lines
        plan.delete_lines |= before - after
        plan.insert_lines |= after - before
    plan.subjects = len(touched_subjects)
    db.execute("DELETE FROM variant WHERE refs <= 0")
    # the dataset description
    new_void = release.void_lines() if void_lines is None else void_lines
    old_void = set(filter(None, (record.meta("void") or "").split("\n")))
    plan.delete_lines |= old_void - new_void
    plan.insert_lines |= new_void - old_void
    plan.void_changed = old_void != new_void
    record.set_meta("void", "\n".join(sorted(new_void)))
    record.set_meta("version", release.version)
    return plan


def _figure_lines(store: ox.Store, iri: str, graph: str | None) -> set[str]:
    """A figure's private triples and links as the store holds them: the triples of the figure and
    of its ``#`` fragments (its mentions, found by their ``dcterms:isPartOf`` it) and the other
    nodes' ``dcterms:isPartOf`` links to it."""
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    node = ox.NamedNode(iri)
    fragment = iri + "#"
    lines = {_line(q) for q in store.quads_for_pattern(node, None, None, target)}
    for link in store.quads_for_pattern(None, ox.NamedNode(_IS_PART_OF), node, target):
        subject = link.subject
        if isinstance(subject, ox.NamedNode) and subject.value.startswith(fragment):
            lines.update(_line(q) for q in store.quads_for_pattern(subject, None, None, target))
        else:
            lines.add(_line(link))
    return lines


def fill_record(record: Record, release: Release, graph: str | None) -> None:
    """Record ``release`` as what the store holds (after a full load): every figure's variants.

    Reads every figure's document, but parses only what a previous document did not already show:
    a shared node's JSON object (without its link to the figure) is the same in every document
    that describes it the same way, so each distinct object is parsed once (a 1,000-figure release:
    1.0 s instead of 3.7 s parsing whole documents). The JSON is only a cache key: what is
    recorded is always the parsed triples, split as :func:`read_block` splits them.
    """
    db = record.db
    db.execute("DELETE FROM figure")
    db.execute("DELETE FROM variant")
    ids_of: dict[tuple[str, str], int] = {}
    refs: dict[int, int] = {}
    parsed: dict[bytes, list[int]] = {}  # a node object's JSON → the variant ids it states
    rows = []
    folder = release.folder / JSONLD_DIR
    for figid in sorted(release.digests):
        iri, nodes = _figure_nodes(folder / f"{figid}.jsonld", figid)
        ids = array("q")
        missing = [(key_json, node) for key_json, node in nodes if key_json not in parsed]
        if missing:
            path = folder / f"{figid}.jsonld"
            for (key_json, _), variants in zip(
                missing, _nodes_variants([node for _, node in missing], iri, path), strict=True
            ):
                found = []
                for subject, lines in variants.items():
                    key = (subject, variant_digest(lines))
                    variant_id = ids_of.get(key)
                    if variant_id is None:
                        variant_id = ids_of[key] = len(ids_of) + 1
                        db.execute(
                            "INSERT INTO variant VALUES (?, ?, ?, 0, ?)",
                            (variant_id, subject, key[1], _pack(lines)),
                        )
                    found.append(variant_id)
                parsed[key_json] = found
        for key_json, _ in nodes:
            ids.extend(parsed[key_json])
        for variant_id in set(ids):
            refs[variant_id] = refs.get(variant_id, 0) + 1
        rows.append((figid, release.digests[figid], iri, array("q", sorted(set(ids))).tobytes()))
        if len(rows) >= 1000:
            db.executemany("INSERT INTO figure VALUES (?, ?, ?, ?)", rows)
            rows = []
    db.executemany("INSERT INTO figure VALUES (?, ?, ?, ?)", rows)
    db.executemany("UPDATE variant SET refs = ? WHERE id = ?", [(n, i) for i, n in refs.items()])
    record.set_meta("void", "\n".join(sorted(release.void_lines())))
    record.set_meta("version", release.version)
    record.set_meta("graph", graph or "")


_PART_OF_KEYS = ("dcterms:isPartOf", _IS_PART_OF)


def _figure_nodes(path: Path, figid: str) -> tuple[str, list[tuple[bytes, dict[str, object]]]]:
    """A document's figure IRI and its other node objects, each with its cache key (its JSON
    without the link to the figure). The figure is checked by parsing its own node."""
    from pfocr_ld.contexts import pfocr_context

    try:
        document = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise SyncError(f"{path}: cannot read the figure's JSON-LD document: {error}") from error
    graph = document.get("@graph") if isinstance(document, dict) else None
    if document.get("@context") != "../context.jsonld" or not isinstance(graph, list):
        raise SyncError(f"{path}: not a pfocr-ld figure document")
    figures = [n for n in graph if isinstance(n, dict) and "pfocr:Figure" in _as_list(n.get("@type"))]
    if len(figures) != 1 or not isinstance(figures[0].get("@id"), str):
        raise SyncError(f"{path}: describes {len(figures)} figures, not one")
    iri = figures[0]["@id"]
    if figures[0].get("dcterms:identifier") == figid and iri.startswith(("http://", "https://")):
        check = None  # as the build writes it: no parse needed to know the figure
    else:
        check = {"@context": pfocr_context(), "@graph": [figures[0]]}
    if check is not None:
        try:
            own = list(ox.parse(orjson.dumps(check), ox.RdfFormat.JSON_LD))
        except (SyntaxError, ValueError) as error:
            raise SyncError(f"{path}: not valid JSON-LD: {error}") from error
        if not any(
            t.subject.value == iri and t.predicate.value == _IDENTIFIER and t.object.value == figid
            for t in own
        ):
            raise SyncError(f"{path}: its figure is not {figid!r}")
    fragment = iri + "#"
    nodes = []
    for node in graph:
        if not isinstance(node, dict):
            raise SyncError(f"{path}: not a pfocr-ld figure document")
        node_id = node.get("@id")
        if isinstance(node_id, str) and (node_id == iri or node_id.startswith(fragment)):
            continue  # private: the record does not keep it
        stripped = dict(node)
        for key in _PART_OF_KEYS:
            if key in stripped:
                kept = [v for v in _as_list(stripped[key]) if v != iri and v != {"@id": iri}]
                if kept:
                    stripped[key] = kept
                else:
                    del stripped[key]
        nodes.append((orjson.dumps(stripped, option=orjson.OPT_SORT_KEYS), node))
    return iri, nodes


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _nodes_variants(nodes: list[dict[str, object]], iri: str, path: Path) -> list[dict[str, frozenset[str]]]:
    """The variants each of ``nodes`` states, by one parse of them all (the context is processed
    once per document, not once per node: 3x faster). Falls back to a parse per node when the
    triples cannot be told apart by subject (an ``@id`` that does not expand as expected, nesting)."""
    from pfocr_ld.contexts import pfocr_context

    context = pfocr_context()
    expanded = [_expand_id(node.get("@id"), context) for node in nodes]
    if None not in expanded and len(set(expanded)) == len(expanded):
        grouped = _parse_variants(nodes, iri, path)
        if grouped.keys() <= set(expanded):
            return [{e: grouped[e]} if e in grouped else {} for e in expanded if e is not None]
    return [_parse_variants([node], iri, path) for node in nodes]


def _expand_id(value: object, context: dict[str, object]) -> str | None:
    """A node's ``@id`` as an IRI: a compact IRI whose prefix the context defines, or as written."""
    if not isinstance(value, str):
        return None
    prefix, colon, local = value.partition(":")
    if colon and not local.startswith("//") and isinstance(context.get(prefix), str):
        return str(context[prefix]) + local
    return value


def _parse_variants(nodes: list[dict[str, object]], iri: str, path: Path) -> dict[str, frozenset[str]]:
    """The variants some node objects state (links to the figure and private triples left out)."""
    from pfocr_ld.contexts import pfocr_context

    try:
        triples = ox.parse(orjson.dumps({"@context": pfocr_context(), "@graph": nodes}), ox.RdfFormat.JSON_LD)
        grouped: dict[str, set[str]] = {}
        fragment = iri + "#"
        for triple in triples:
            if isinstance(triple.subject, ox.BlankNode):
                raise SyncError(f"{path}: blank nodes cannot be synced")
            value = triple.subject.value
            if value == iri or value.startswith(fragment):
                continue
            if triple.predicate.value == _IS_PART_OF and triple.object.value == iri:
                continue
            grouped.setdefault(value, set()).add(_line(triple))
    except (SyntaxError, ValueError) as error:
        raise SyncError(f"{path}: not valid JSON-LD: {error}") from error
    return {subject: frozenset(lines) for subject, lines in grouped.items()}


# The embedded store -------------------------------------------------------------------------------
@dataclass
class SyncReport:
    """What a sync did."""

    mode: str  # "incremental", "unchanged" or "full"
    reason: str = ""
    plan: Plan | None = None
    seconds: float = 0.0
    update_bytes: int = 0

    @property
    def writes(self) -> int:
        """Update requests sent to the store (0: nothing written)."""
        return 0 if self.mode == "unchanged" else 1

    def summary(self) -> str:
        if self.mode == "full":
            return f"store reloaded in full ({self.reason}) in {self.seconds:.1f}s"
        if self.mode == "unchanged":
            return f"store already holds this release: nothing to change ({self.seconds:.2f}s)"
        assert self.plan is not None
        return (
            f"store synced in {self.seconds:.2f}s: {self.plan.summary()}; one update of "
            f"{self.update_bytes / 1e6:.1f} MB"
        )


def store_versions(store: ox.Store, graph: str | None) -> set[str]:
    """The release versions ``void.ttl`` statements in the store name (one for a synced store)."""
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    return {
        q.object.value
        for q in store.quads_for_pattern(None, ox.NamedNode(_HAS_VERSION), None, target)
        if isinstance(q.object, ox.NamedNode)
    }


def _trusted_record(store_dir: Path, store: ox.Store, graph: str | None) -> tuple[Record | None, str]:
    """The store's record when it provably describes the store's content, else why not."""
    path = store_dir / RECORD_NAME
    if not path.exists():
        return None, "the store has no record of the release it holds"
    try:
        record = Record(path)
    except SyncError as error:
        return None, str(error)
    if record.meta("graph") != (graph or ""):
        record.close()
        return None, "the store's record is for another graph"
    version = record.meta("version")
    held = store_versions(store, graph)
    if held != {version}:
        record.close()
        return None, f"the store's record names release {version}, the store holds {sorted(held) or 'none'}"
    return record, ""


def sync_store(
    out: Path | str,
    store_dir: Path | str,
    *,
    graph: str | None = None,
    full: bool = False,
    before_commit: Callable[[], None] | None = None,
) -> SyncReport:
    """Make the on-disk store at ``store_dir`` hold exactly the live release of build folder ``out``.

    Incremental when the store's record is trusted, else (or with ``full``) a full reload that
    replaces the folder atomically. ``before_commit`` runs after the update is prepared and before
    it is applied (tests use it to fail there).
    """
    from pfocr_ld.store import open_store

    started = time.perf_counter()
    release = Release.open(Path(out))
    store_dir = Path(store_dir)
    _check_store_folder(store_dir)
    if not _is_store(store_dir):
        return _full_reload(release, store_dir, graph, "a new store", started)
    store = open_store(store_dir)  # holds RocksDB's lock: no other writer meanwhile
    try:
        record, reason = (None, "--full") if full else _trusted_record(store_dir, store, graph)
        if record is not None:
            return _sync_incremental(store, store_dir, record, release, graph, started, before_commit)
    finally:
        del store  # released before a full reload moves the folder away
    return _full_reload(release, store_dir, graph, reason, started)


def _sync_incremental(
    store: ox.Store,
    store_dir: Path,
    record: Record,
    release: Release,
    graph: str | None,
    started: float,
    before_commit: Callable[[], None] | None,
) -> SyncReport:
    try:
        plan = plan_sync(record, release, store=store, graph=graph)
        if plan.empty:
            # the store already holds this content: at most the record learns new digests
            record.commit() if plan.added or plan.removed or plan.changed else record.rollback()
            return SyncReport("unchanged", plan=plan, seconds=time.perf_counter() - started)
        update = plan.update(graph)
        if before_commit is not None:
            before_commit()
        try:
            store.update(update)  # one transaction: a reader sees the old release or the new
        except (SyntaxError, OSError, ValueError) as error:
            raise StoreError(f"{store_dir}: the update failed, the store is unchanged: {error}") from error
        record.commit()  # after the store: a crash in between leaves a record that is not trusted
    except BaseException:
        record.rollback()
        raise
    finally:
        record.close()
    store.flush()
    return SyncReport(
        "incremental", plan=plan, seconds=time.perf_counter() - started, update_bytes=len(update.encode())
    )


def _check_store_folder(store_dir: Path) -> None:
    if store_dir.exists() and not store_dir.is_dir():
        raise StoreError(f"{store_dir}: not a folder")
    if store_dir.is_dir() and any(store_dir.iterdir()) and not _is_store(store_dir):
        raise StoreError(
            f"{store_dir}: a folder that is not an Oxigraph store; pfocr-ld replaces only stores "
            "(nothing was changed)"
        )


def _is_store(folder: Path) -> bool:
    return (folder / "CURRENT").is_file() and (folder / "IDENTITY").is_file()


def _full_reload(
    release: Release,
    store_dir: Path,
    graph: str | None,
    reason: str,
    started: float,
) -> SyncReport:
    """Load the release into a new folder beside ``store_dir``, then put it in its place at once."""
    from pfocr_ld.store import load_dumps, open_store

    parent = store_dir.resolve().parent
    new = parent / f".{store_dir.name}{NEW_STORE_SUFFIX}"
    old = parent / f".{store_dir.name}{OLD_STORE_SUFFIX}"
    for leftover in (new, old):  # what a killed sync left
        if leftover.exists():
            _remove_tree(leftover)
    try:
        store = open_store(new)
        load_dumps(
            store,
            [release.folder / NTRIPLES_GZ, release.folder / VOID],
            graph=graph,
            lenient=True,
            count=False,
        )
        record = Record(new / RECORD_NAME, create=True)
        try:
            fill_record(record, release, graph)
            record.commit()
        finally:
            record.close()
        store.flush()
        del store
        _exchange(new, store_dir)
    except BaseException:
        with contextlib.suppress(OSError):
            _remove_tree(new)
        raise
    if new.exists():  # the exchange moved the previous store here
        with contextlib.suppress(OSError):
            _remove_tree(new)
    if not (store_dir / RECORD_NAME).is_file():
        raise StoreError(f"{store_dir}: the reloaded store is not in place")
    return SyncReport("full", reason=reason, seconds=time.perf_counter() - started)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target`` in one step; the previous ``target`` (if any) ends at ``new``."""
    if not target.exists():
        os.rename(new, target)
        return
    with contextlib.suppress(AttributeError, OSError):
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
        if renameat2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE) == 0:
            return
        if ctypes.get_errno() not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(target))
    # No atomic exchange here: two renames (the store path is missing for an instant).
    old = new.with_name(new.name.replace(NEW_STORE_SUFFIX, OLD_STORE_SUFFIX))
    os.rename(target, old)
    os.rename(new, target)
    os.rename(old, new)


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path)
