"""The output folder of ``pfocr-ld build``: whole releases, switched atomically, and only our own files.

Layout of ``OUT`` (what a reader sees is the documented names; the rest is the tool's)::

    OUT/.pfocr-ld/lock                 flock(2) of the build writing into OUT (holder written inside)
    OUT/.pfocr-ld/releases/<n>/        one folder per release: pfocr.ttl, pfocr.nt.gz, jsonld/, …,
                                       plus manifest.json, the list of what the build wrote there,
                                       and build-cache/, what the next build may reuse (pfocr_ld.cache)
    OUT/.pfocr-ld/current              symlink -> releases/<n>, the live release
    OUT/pfocr.ttl, OUT/jsonld, …       fixed symlinks -> .pfocr-ld/current/<name>

A build writes its release into a new ``releases/<n>`` (``n`` counts up, so a fresh folder's first
release is always ``1`` and two builds of the same input give identical trees), and publishes it by
one ``rename()`` of a new ``current`` symlink over the old one: every documented path switches at
once, and a reader sees the old release or the new one, never a mix, whenever the build is killed.
The previous release stays readable until that rename and is deleted after it.

This module owns the rules around that switch: which inputs and output folders are refused (a
missing input, an output overlapping an input, files in ``OUT`` the tool did not write, a release
that shrinks sharply), the lock, removing what killed builds left, and migrating a folder written by
earlier versions (real files in ``OUT``) into the layout.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pfocr_ld.cache import CACHE_DIR
from pfocr_ld.errors import PfocrLdError
from pfocr_ld.writers import (
    CHANGES,
    CONTEXT_FILE,
    JSONLD_DIR,
    NTRIPLES_GZ,
    REPORT,
    SCHEMAORG_DIR,
    TURTLE,
    TURTLE_GZ,
    VOID,
    remove_tree,
)

TOOL_DIR = ".pfocr-ld"
RELEASES = "releases"
CURRENT = "current"
LOCK = "lock"
MANIFEST = "manifest.json"
#: present while a folder written by an earlier version is being moved into the layout
MIGRATING = "migrating"
MANIFEST_FORMAT = "pfocr-ld release 1"
#: the release folder a migrated (pre-layout) release is moved into
MIGRATED_ID = "0"

PUBLISHED_FILES: tuple[str, ...] = (TURTLE, TURTLE_GZ, NTRIPLES_GZ, VOID, CONTEXT_FILE, REPORT, CHANGES)
PUBLISHED_DIRS: tuple[str, ...] = (JSONLD_DIR, SCHEMAORG_DIR)
PUBLISHED_NAMES: tuple[str, ...] = PUBLISHED_FILES + PUBLISHED_DIRS
#: folders earlier versions left in OUT when a build was killed (staging, retired JSON-LD folders)
_LEGACY_LEFTOVER_PREFIXES = (".pfocr-build-", ".jsonld-old-", ".schemaorg-old-")

#: A build (or publish) refuses to replace a release by one with fewer than this fraction of its
#: figures (triples for publish) unless forced: a typo in a path must not empty a live release.
DEFAULT_SHRINK_LIMIT = 0.5
_NAMES_SHOWN = 10


class ReleaseRefused(PfocrLdError):
    """The build was refused before anything in the output folder changed (exit status 2)."""

    exit_code = 2


class ReleaseWriteError(PfocrLdError):
    """Writing the new release failed (e.g. a full disk); the previous one is unchanged (exit 1)."""

    exit_code = 1


def _name_list(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    more = len(names) - _NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _link_target(name: str) -> str:
    return f"{TOOL_DIR}/{CURRENT}/{name}"


# Inputs ------------------------------------------------------------------------------------------
def check_inputs(paths: Iterable[Path], out: Path) -> None:
    """Refuse missing inputs and an output folder that overlaps an input (either inside the other).

    Compared after resolving symlinks, so ``build DIR/jsonld --out DIR`` and a symlinked spelling
    of the same folder are both caught; the build therefore never reads its own output.
    """
    out_resolved = out.resolve()
    for path in paths:
        if not os.path.lexists(path):
            raise ReleaseRefused(f"{path}: no such file or folder (nothing was built or changed)")
        if not path.exists():
            raise ReleaseRefused(f"{path}: a symlink to nothing (nothing was built or changed)")
        resolved = path.resolve()
        if resolved == out_resolved or out_resolved in resolved.parents:
            raise ReleaseRefused(
                f"{path} is inside the output folder {out}: a build must not read its own output "
                "(nothing was built or changed)"
            )
        if resolved in out_resolved.parents:
            raise ReleaseRefused(
                f"the output folder {out} is inside the input {path}: the build would read or delete its "
                "own input (nothing was built or changed)"
            )


def check_not_inside(path: Path, out: Path, option: str) -> None:
    """Refuse a file the build writes besides its release (``--store``, ``--timings``) inside OUT:
    the next build would find it there as a file it did not write."""
    resolved, out_resolved = path.resolve(), out.resolve()
    if resolved == out_resolved or out_resolved in resolved.parents or resolved in out_resolved.parents:
        raise ReleaseRefused(
            f"{option} {path} overlaps the output folder {out} (nothing was built or changed)"
        )


# The folder as found -----------------------------------------------------------------------------
@dataclass
class PreviousRelease:
    """The live release a new build replaces."""

    folder: Path
    figures: int
    #: its manifest.json, as read (pfocr_ld.changes reads its figure digests and version)
    manifest: dict[str, Any] = field(default_factory=dict)


def _read_report_published(report: Path) -> int | None:
    try:
        data = orjson.loads(report.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("outputs"), dict):
        return None
    published = data.get("published")
    return published if isinstance(published, int) and not isinstance(published, bool) else None


def _is_our_link(path: Path, name: str) -> bool:
    return path.is_symlink() and os.readlink(path) == _link_target(name)


def _occupied_names(out: Path) -> list[str]:
    """Documented names in OUT held by something other than the tool's fixed symlink.

    Other entries of OUT (a user's ``notes.txt``, the repository's ``output/example/``) are kept:
    a build never creates, replaces or deletes anything but the documented names and ``.pfocr-ld``.
    """
    occupied = []
    for entry in PUBLISHED_NAMES:
        path = out / entry
        if os.path.lexists(path) and not _is_our_link(path, entry):
            occupied.append(entry + ("/" if path.is_dir() and not path.is_symlink() else ""))
    return occupied


def _legacy_problems(out: Path, entries: Sequence[str]) -> list[str]:
    """Why ``out`` is not a folder written by an earlier version ([] when it is one).

    Recognised strictly, among ``entries`` (the documented names present): real files and
    folders, not symlinks; a readable report.json; jsonld/ and schemaorg/ holding only ``.jsonld``
    files, the same names in both, as many as report.json says were published.
    """
    problems = [e for e in entries if (out / e).is_symlink()]
    if problems:
        return problems
    published = _read_report_published(out / REPORT) if (out / REPORT).is_file() else None
    if published is None:
        return [f"{name}{'/' if (out / name).is_dir() else ''}" for name in entries]
    listings: dict[str, set[str]] = {}
    for folder in PUBLISHED_DIRS:
        if not (out / folder).is_dir():
            if (out / folder).exists():
                problems.append(folder)
            listings[folder] = set()
            continue
        names = set()
        for entry in os.scandir(out / folder):
            if entry.name.endswith(".jsonld") and entry.is_file(follow_symlinks=False):
                names.add(entry.name)
            else:
                problems.append(f"{folder}/{entry.name}")
        listings[folder] = names
    for file_name in PUBLISHED_FILES:
        if (out / file_name).exists() and not (out / file_name).is_file():
            problems.append(file_name + "/")
    jsonld, schemaorg = listings[JSONLD_DIR], listings[SCHEMAORG_DIR]
    problems += [f"{JSONLD_DIR}/{n}" for n in sorted(jsonld - schemaorg)]
    problems += [f"{SCHEMAORG_DIR}/{n}" for n in sorted(schemaorg - jsonld)]
    if not problems and len(jsonld) != published:
        problems.append(
            f"{JSONLD_DIR}/ and {SCHEMAORG_DIR}/ (they hold {len(jsonld)} figures each, report.json says "
            f"{published} were published)"
        )
    return problems


def _release_foreign_files(release: Path, manifest: dict[str, Any]) -> list[str]:
    """Files in the live release its manifest does not list (a user may write through OUT/jsonld)."""
    files = set(manifest.get("files", []))
    figures = {f"{figid}.jsonld" for figid in manifest.get("figures", [])}
    foreign = []
    for entry in sorted(os.listdir(release)):
        if entry in (MANIFEST, CACHE_DIR) or entry in files:
            continue
        if entry in PUBLISHED_DIRS and (release / entry).is_dir() and not (release / entry).is_symlink():
            for item in sorted(os.scandir(release / entry), key=lambda e: e.name):
                if item.name not in figures or not item.is_file(follow_symlinks=False):
                    foreign.append(f"{entry}/{item.name}")
            continue
        foreign.append(entry)
    return foreign


def _read_manifest(release: Path) -> dict[str, Any] | None:
    try:
        data = orjson.loads((release / MANIFEST).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return None
    return data


def write_manifest(release: Path, figures: Iterable[str], extra: dict[str, Any] | None = None) -> None:
    """List what the build wrote into ``release``: its top-level files and its figures (and ``extra``
    keys, e.g. the figure digests and version of :mod:`pfocr_ld.changes`)."""
    files = sorted(name for name in PUBLISHED_FILES if (release / name).is_file())
    manifest = {"format": MANIFEST_FORMAT, "files": files, "figures": sorted(figures), **(extra or {})}
    _write_durably(release / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")


def _write_durably(path: Path, content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


# The lock ----------------------------------------------------------------------------------------
class _Lock:
    """An exclusive flock on ``.pfocr-ld/lock``; a second build exits 2 naming the holder."""

    def __init__(self, tool: Path, out: Path) -> None:
        self.path = tool / LOCK
        self.descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = b""
            with contextlib.suppress(OSError):
                holder = os.pread(self.descriptor, 500, 0)
            os.close(self.descriptor)
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            who = holder.decode("utf-8", "replace").strip() or "another process"
            raise ReleaseRefused(
                f"{out} is being built by {who}; wait for that build to end (nothing was changed)"
            ) from None
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        line = f"pfocr-ld build, pid {os.getpid()} on {socket.gethostname()}, since {stamp}\n"
        os.ftruncate(self.descriptor, 0)
        os.pwrite(self.descriptor, line.encode(), 0)

    def release(self) -> None:
        # Emptied so that a finished build leaves the same bytes whoever ran it.
        with contextlib.suppress(OSError):
            os.ftruncate(self.descriptor, 0)
        os.close(self.descriptor)  # closing the last descriptor drops the flock


# The release folder ------------------------------------------------------------------------------
class ReleaseFolder:
    """OUT, locked and checked, with a new release folder to write into and switch to.

    Use as a context manager around a build: entering refuses (exit 2, nothing changed) when OUT
    holds files the tool did not write or another build holds the lock, then removes what killed
    builds left and migrates an earlier version's folder; :meth:`new_release` makes the folder to
    write; :meth:`switch` publishes it; leaving without a switch deletes it.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.tool = out / TOOL_DIR
        self.releases = self.tool / RELEASES
        self.previous: PreviousRelease | None = None
        self.staged: Path | None = None
        self._lock: _Lock | None = None
        self._legacy = False

    # entering
    def __enter__(self) -> ReleaseFolder:
        out = self.out
        if out.exists() and not out.is_dir():
            raise ReleaseRefused(f"{out}: not a folder (nothing was changed)")
        fresh_tool = not self.tool.is_dir() or self.tool.is_symlink()
        if fresh_tool and out.is_dir():
            # No tool folder yet: check before creating it, so that a refusal leaves OUT untouched.
            self._legacy = self._check_untracked_folder()
        try:
            self.releases.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ReleaseWriteError(f"cannot create {self.releases}: {error.strerror}") from error
        self._lock = _Lock(self.tool, out)
        try:
            self._enter_locked(fresh_tool)
        except BaseException:
            self._lock.release()
            self._lock = None
            raise
        return self

    def _check_untracked_folder(self) -> bool:
        """OUT without a tool folder: no release (False), an earlier version's release (True), or refused."""
        if os.path.lexists(self.tool):
            raise ReleaseRefused(
                f"{self.tool}: not a folder pfocr-ld made; move it away (nothing was changed)"
            )
        entries = [name for name in PUBLISHED_NAMES if os.path.lexists(self.out / name)]
        if not entries:
            return False
        problems = _legacy_problems(self.out, entries)
        if problems:
            raise ReleaseRefused(
                f"{self.out} holds files pfocr-ld did not write: {_name_list(problems)}; move them out or "
                "build into another folder (nothing was changed)"
            )
        return True

    def _enter_locked(self, fresh_tool: bool) -> None:
        if (self.tool / MIGRATING).exists() or (fresh_tool and self._legacy):
            self._migrate()
        foreign = _occupied_names(self.out)
        if foreign:
            raise ReleaseRefused(
                f"{self.out} holds files pfocr-ld did not write: {_name_list(foreign)}; move them out or "
                "build into another folder (nothing was changed)"
            )
        current = self._current()
        if current is not None:
            manifest = _read_manifest(current)
            if manifest is None:
                raise ReleaseRefused(
                    f"{current}: the live release has no readable {MANIFEST}; it was not written by this "
                    "version of pfocr-ld (nothing was changed)"
                )
            foreign = _release_foreign_files(current, manifest)
            if foreign:
                raise ReleaseRefused(
                    f"{self.out} holds files pfocr-ld did not write: {_name_list(foreign)}; move them out or "
                    "build into another folder (nothing was changed)"
                )
            figures = len(manifest.get("figures", []))
            self.previous = PreviousRelease(current, figures, manifest)
        self._remove_leftovers(current)

    def _current(self) -> Path | None:
        link = self.tool / CURRENT
        if not link.is_symlink():
            return None
        target = os.readlink(link)
        parts = Path(target).parts
        if len(parts) != 2 or parts[0] != RELEASES or not (self.tool / target).is_dir():
            raise ReleaseRefused(f"{link} -> {target}: not a release of this folder (nothing was changed)")
        return self.releases / parts[1]

    def _remove_leftovers(self, current: Path | None) -> None:
        """Delete what killed builds left: releases not live, temporary links, dangling top links."""
        for entry in sorted(os.listdir(self.releases)):
            path = self.releases / entry
            if current is None or path != current:
                remove_tree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        for entry in os.listdir(self.tool):
            if entry.startswith(f"{CURRENT}.new-"):
                (self.tool / entry).unlink()
        for name in PUBLISHED_NAMES:
            link = self.out / name
            if _is_our_link(link, name) and not link.exists():
                link.unlink()

    # migrating a folder of an earlier version
    def _migrate(self) -> None:
        """Move an earlier version's release (real files in OUT) into ``releases/0`` and link it.

        Re-entrant: a marker file stays until the switch, and a build killed half-way resumes
        here. Readers may miss a name for the instant between its move and its link (once).
        """
        marker = self.tool / MIGRATING
        marker.touch()
        target = self.releases / MIGRATED_ID
        target.mkdir(exist_ok=True)
        for entry in sorted(os.listdir(self.out)):
            path = self.out / entry
            if entry.startswith(_LEGACY_LEFTOVER_PREFIXES) and path.is_dir() and not path.is_symlink():
                remove_tree(path)
        for name in PUBLISHED_NAMES:
            path = self.out / name
            if path.is_symlink() or not path.exists():
                continue
            os.replace(path, target / name)
        figures = (
            [n[: -len(".jsonld")] for n in os.listdir(target / JSONLD_DIR)]
            if (target / JSONLD_DIR).is_dir()
            else []
        )
        write_manifest(target, figures)
        self._point_current_at(target)
        for name in PUBLISHED_NAMES:
            if (target / name).exists():
                self._ensure_link(name)
        marker.unlink()

    # building
    def new_release(self) -> Path:
        """Make the folder the new release is written into: the next number after every release."""
        numbers = [int(e) for e in os.listdir(self.releases) if e.isdigit()]
        folder = self.releases / str(max(numbers, default=0) + 1)
        folder.mkdir()
        self.staged = folder
        return folder

    def check_shrink(self, figures: int, *, shrink_limit: float, force: bool) -> None:
        """Refuse (exit 2) a release with fewer than ``shrink_limit`` of the live one's figures."""
        previous = self.previous
        if force or previous is None or previous.figures == 0:
            return
        if figures == 0 or figures < shrink_limit * previous.figures:
            raise ReleaseRefused(
                f"the new release has {figures} figures, the live one {previous.figures} (less than "
                f"--shrink-limit {shrink_limit:g} of them): not published, the live release is unchanged; "
                "check the input paths, or pass --force to publish it anyway"
            )

    def switch(self, figures: Iterable[str], extra: dict[str, Any] | None = None) -> None:
        """Publish the staged release: write its manifest, link its names, rename ``current``."""
        release = self.staged
        assert release is not None, "no release staged"
        write_manifest(release, figures, extra)
        with contextlib.suppress(OSError):  # the release's files reach the disk before it goes live
            descriptor = os.open(release, os.O_RDONLY)
            os.fsync(descriptor)
            os.close(descriptor)
        names = [name for name in PUBLISHED_NAMES if (release / name).exists()]
        for name in names:
            self._ensure_link(name)  # dangling until the rename when the old release lacks it
        previous = self._current()
        self._point_current_at(release)  # the switch: one rename()
        self.staged = None
        # Published now: tidying may fail (the next build finishes it) but must not report a failure.
        with contextlib.suppress(OSError):
            for name in PUBLISHED_NAMES:  # e.g. pfocr.ttl after a --compress build: now dangling
                if name not in names and _is_our_link(self.out / name, name):
                    (self.out / name).unlink()
        if previous is not None and previous != release:
            # Renamed first: a reader still resolving paths under the old release gets "no such
            # file" at once (and re-resolves `current`) instead of a listing thinning as it is deleted.
            retired = self.releases / f"retired-{previous.name}"
            try:
                os.replace(previous, retired)
            except OSError:
                retired = previous
            remove_tree(retired)

    def _point_current_at(self, release: Path) -> None:
        temporary = self.tool / f"{CURRENT}.new-{release.name}"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        os.symlink(f"{RELEASES}/{release.name}", temporary)
        os.replace(temporary, self.tool / CURRENT)

    def _ensure_link(self, name: str) -> None:
        link = self.out / name
        if _is_our_link(link, name):
            return
        os.symlink(_link_target(name), link)

    # leaving
    def discard(self) -> None:
        """Delete the staged release (a failed or refused build), freeing its space."""
        if self.staged is not None:
            remove_tree(self.staged)
            self.staged = None

    def __exit__(self, *exc: object) -> None:
        try:
            self.discard()
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None


def live_release(folder: Path) -> Path:
    """The folder holding ``folder``'s live release: resolved once, so a reader of several of its
    files reads them all from one release even if a build switches meanwhile."""
    link = folder / TOOL_DIR / CURRENT
    return Path(os.path.realpath(link)) if link.is_symlink() else folder
