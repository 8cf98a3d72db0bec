"""What a release changed against the previous one: ``changes.json`` and the build's summary line.

A build compares the figures it publishes with the live release it replaces:

* **added**: published now, not in the previous release;
* **removed**: in the previous release, neither published nor rejected now (the record is gone);
* **changed**: in both, with different published content;
* **rejected**: in the previous release, not published now because its record was rejected
  (``report.json`` says why). A rejected record whose figid could not be read is matched by its
  file name's stem, as PFOCR names a record ``<figid>.md``.

"Published content" is what a reader of the figure gets: its own triples and the descriptions of
the shared nodes its block holds (genes, chemicals, the paper…), the content of its
``jsonld/<figid>.jsonld``. Each worker digests it while serialising the figure (BLAKE2b of the
N-Triples, 16 bytes), and the release's ``manifest.json`` keeps the digests, so the next build
compares without reading the previous release's files.

The release's version (``void.ttl``) is named by its date and a digest of all figure digests
(:func:`version_id`): two releases of different content never share a version IRI, even on the same
day, and the same input under the same ``SOURCE_DATE_EPOCH`` still gives byte-identical output.
Rebuilding identical content the same day gives the same version, which keeps the link to the
version before it (a release never names itself as its previous version).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyoxigraph as ox

from pfocr_ld.vocab import T
from pfocr_ld.writers import VOID

CHANGES_FORMAT = "pfocr-ld changes 1"
#: manifest.json keys this module adds (release.py keeps the rest)
DIGESTS_KEY = "digests"
VERSION_KEY = "version"
PREVIOUS_VERSION_KEY = "previous_version"


@dataclass
class PreviousState:
    """What the previous (live) release published, read from its manifest."""

    release: str  # its folder's name under .pfocr-ld/releases/
    figures: list[str]
    digests: dict[str, str] | None  # None: written by a version that kept no digests
    version: str | None  # its version IRI in void.ttl
    previous_version: str | None


def read_previous(folder: Path, manifest: Mapping[str, Any]) -> PreviousState:
    """The previous release at ``folder`` with its ``manifest`` (already read and checked)."""
    figures = [f for f in manifest.get("figures", []) if isinstance(f, str)]
    raw = manifest.get(DIGESTS_KEY)
    digests = (
        {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}
        if isinstance(raw, dict)
        else None
    )
    version = manifest.get(VERSION_KEY)
    previous_version = manifest.get(PREVIOUS_VERSION_KEY)
    if not isinstance(version, str):
        version = _version_from_void(folder / VOID)
    return PreviousState(
        folder.name,
        figures,
        digests,
        version,
        previous_version if isinstance(previous_version, str) else None,
    )


def _version_from_void(path: Path) -> str | None:
    """The version IRI of a release written before manifests named it (the object of dcterms:hasVersion)."""
    try:
        with path.open("rb") as handle:
            for triple in ox.parse(handle, ox.RdfFormat.TURTLE):
                if triple.predicate.value == T.dcterms["hasVersion"] and isinstance(
                    triple.object, ox.NamedNode
                ):
                    return triple.object.value
    except (OSError, SyntaxError, ValueError):
        return None
    return None


def version_id(created: str, digests: Mapping[str, str]) -> str:
    """``<date>-<8 hex digits>``: the build date and a digest of what every figure publishes."""
    content = hashlib.blake2b(digest_size=4)
    for figid in sorted(digests):
        content.update(f"{figid}\t{digests[figid]}\n".encode())
    return f"{created}-{content.hexdigest()}"


def previous_version_of(previous: PreviousState | None, version: str) -> str | None:
    """The version this release revises: the previous release's, unless it is this very version
    (same content, same day), which keeps the link it had."""
    if previous is None or previous.version is None:
        return None
    return previous.version if previous.version != version else previous.previous_version


def _figid_of(problem: Mapping[str, Any]) -> str | None:
    figid = problem.get("figid")
    if isinstance(figid, str) and figid:
        return figid
    file = problem.get("file")
    if not isinstance(file, str) or not file:
        return None
    name = os.path.basename(file.split("#", 1)[0])
    stem, _, _ = name.rpartition(".")
    return stem or None


@dataclass
class Changes:
    """The lists of changes.json; ``changed`` is None when the previous release kept no digests."""

    previous: PreviousState | None
    published: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] | None = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        previous = self.previous
        note = None
        if previous is None:
            note = "the first release: there is no previous release to compare with"
        elif self.changed is None:
            note = (
                f"release {previous.release} was written by a version of pfocr-ld that kept no figure "
                "digests: changed figures cannot be told apart from unchanged ones"
            )
        return {
            "format": CHANGES_FORMAT,
            "previous_release": previous.release if previous else None,
            "previous_version": previous.version if previous else None,
            "note": note,
            "counts": {
                "published": self.published,
                "added": len(self.added),
                "removed": len(self.removed),
                "changed": None if self.changed is None else len(self.changed),
                "rejected": len(self.rejected),
            },
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "rejected": self.rejected,
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.as_dict(), option=orjson.OPT_INDENT_2) + b"\n"

    def summary(self) -> str:
        """The terminal's line."""
        previous = self.previous
        if previous is None:
            noun = "figure" if self.published == 1 else "figures"
            return f"changes: the first release ({self.published} {noun}, all new); see changes.json"
        changed = (
            "? changed (no digests in the previous release)"
            if self.changed is None
            else (f"{len(self.changed)} changed")
        )
        return (
            f"changes against release {previous.release}: {len(self.added)} added, {len(self.removed)} "
            f"removed, {changed}, {len(self.rejected)} previously published now rejected; see changes.json"
        )


def compare(
    previous: PreviousState | None, digests: Mapping[str, str], rejected: Sequence[Mapping[str, Any]]
) -> Changes:
    """The changes from ``previous`` to a release publishing ``digests`` (figid → digest), whose
    build rejected ``rejected`` (report.json's rows, in report order)."""
    changes = Changes(previous, len(digests))
    if previous is None:
        changes.added = sorted(digests)
        return changes
    before = set(previous.figures)
    changes.added = sorted(set(digests) - before)
    gone = before - set(digests)
    first_problem: dict[str, Mapping[str, Any]] = {}
    for problem in rejected:
        figid = _figid_of(problem)
        if figid in gone and figid not in first_problem:
            first_problem[figid] = problem
    changes.rejected = [
        {
            "figid": figid,
            "file": str(first_problem[figid].get("file", "")),
            "field": str(first_problem[figid].get("field", "")),
            "reason": str(first_problem[figid].get("reason", "")),
        }
        for figid in sorted(first_problem)
    ]
    changes.removed = sorted(gone - first_problem.keys())
    if previous.digests is None:
        changes.changed = None
    else:
        old = previous.digests
        changes.changed = sorted(f for f in before & set(digests) if old.get(f) != digests[f])
    return changes
