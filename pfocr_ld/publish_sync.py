"""Keeping a remote graph equal to a release: ``pfocr-ld publish --incremental``.

The remote counterpart of :mod:`pfocr_ld.store_sync`, with the same release, record and plan: the
record of what a remote graph holds lives in the build folder's ``.pfocr-ld/published/`` (one per
endpoint and graph), and the changed figures' triples go out as one SPARQL Update request (deleted
by pattern and inserted again; the remote graph is not read). A record that does not match what the
remote graph says it holds is never trusted: the graph is then replaced in full through the Graph
Store Protocol (:func:`pfocr_ld.store.publish`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pfocr_ld.errors import EndpointError
from pfocr_ld.remote import RemoteSource
from pfocr_ld.store import StoreError
from pfocr_ld.store_sync import (
    _HAS_VERSION,
    _VOID_TRIPLES,
    Plan,
    Record,
    Release,
    SyncError,
    fill_record,
    plan_sync,
)
from pfocr_ld.writers import VOID

#: under OUT/.pfocr-ld/: one record per remote graph this build folder was published to
PUBLISHED_DIR = "published"


def derive_update_endpoint(query_endpoint: str) -> str:
    """The SPARQL Update endpoint beside a query endpoint: Oxigraph's ``…/query`` → ``…/update``;
    a ``…/sparql`` endpoint (Virtuoso) takes updates itself."""
    base, sep, query = query_endpoint.partition("?")
    stripped = base.rstrip("/")
    if stripped.endswith("/query"):
        return stripped[: -len("/query")] + "/update" + (sep + query if sep else "")
    return query_endpoint


def published_record_path(out: Path, store_endpoint: str, graph: str | None) -> Path:
    from pfocr_ld.release import TOOL_DIR

    key = hashlib.blake2b(f"{store_endpoint}\n{graph or ''}".encode(), digest_size=8).hexdigest()
    return Path(out) / TOOL_DIR / PUBLISHED_DIR / f"{key}.sqlite"


@dataclass
class RemoteSyncReport:
    """What ``publish --incremental`` did: an update, nothing, or a full replacement (and why)."""

    mode: str  # "incremental", "unchanged" or "full"
    target: str
    reason: str = ""
    plan: Plan | None = None
    update_bytes: int = 0
    seconds: float = 0.0
    triples_in_graph: int | None = None
    full_summary: str = ""

    def summary(self) -> str:
        if self.mode == "full":
            return f"published the whole release ({self.reason}): {self.full_summary}"
        if self.mode == "unchanged":
            return f"{self.target} already holds this release: nothing was sent"
        assert self.plan is not None
        line = (
            f"updated {self.target} in {self.seconds:.1f}s: {self.plan.summary()} (one SPARQL Update of "
            f"{self.update_bytes} bytes)"
        )
        if self.triples_in_graph is not None:
            line += f"; it now holds {self.triples_in_graph} triples"
        return line


def _remote_versions(endpoint: str, graph: str | None, timeout: float, auth: object) -> set[str]:
    pattern = f"?d <{_HAS_VERSION}> ?v"
    where = f"GRAPH <{graph}> {{ {pattern} }}" if graph else pattern
    with RemoteSource(endpoint, timeout=timeout, auth=auth) as source:  # type: ignore[arg-type]
        rows = list(source.execute(f"SELECT DISTINCT ?v WHERE {{ {where} }}", {}))
    return {row["v"].value for row in rows if row["v"] is not None}  # type: ignore[union-attr]


def publish_incremental(
    out: Path,
    *,
    endpoint: str | None,
    update_endpoint: str | None = None,
    store_endpoint: str | None = None,
    graph: str | None = None,
    timeout: float = 300.0,
    force: bool = False,
    shrink_limit: float | None = None,
    credentials: object | None = None,
    auth_scheme: str = "digest",
) -> RemoteSyncReport:
    """Send only what changed since this build folder's last publish to the same graph, as one
    SPARQL Update (one transaction on Oxigraph), when the remote provably holds that release: its
    ``dcterms:hasVersion`` is the recorded version and it holds the recorded number of triples.
    Otherwise replace the graph with the whole release (:func:`pfocr_ld.store.publish`) and record it.
    """
    import httpx

    from pfocr_ld.auth import Credentials
    from pfocr_ld.release import DEFAULT_SHRINK_LIMIT
    from pfocr_ld.store import (
        PublishError,
        PublishRefused,
        check_iri,
        count_graph,
        derive_store_endpoint,
        publish,
    )

    if endpoint is None:
        raise StoreError(
            "--incremental needs --endpoint (the SPARQL query URL), to check what the graph holds"
        )
    if graph is not None:
        check_iri(graph, "--graph")
    release = Release.open(Path(out))
    store_endpoint = store_endpoint or derive_store_endpoint(endpoint)
    update_endpoint = update_endpoint or derive_update_endpoint(endpoint)
    creds = credentials if isinstance(credentials, Credentials) else None
    target = f"<{graph}>" if graph else "the default graph"
    target = f"{target} at {endpoint}"
    started = time.perf_counter()
    path = published_record_path(Path(out), store_endpoint, graph)
    record: Record | None = None
    reason = "no record of an earlier publish of this build folder to this graph"
    if path.exists():
        try:
            record = Record(path)
            reason = ""
        except SyncError as error:
            reason = str(error)
    if record is not None:
        try:
            versions = _remote_versions(endpoint, graph, timeout, creds.auth() if creds else None)
            held = count_graph(endpoint, graph, timeout=timeout, auth=creds.auth() if creds else None)
        except (EndpointError, httpx.HTTPError, StoreError) as error:
            record.close()
            raise PublishError(f"{endpoint}: cannot read what the graph holds: {error}") from error
        version = record.meta("version")
        if versions != {version}:
            held_versions = ", ".join(sorted(versions)) or "none"
            reason = f"the graph holds release {held_versions}, not {version}, this folder's last publish"
        elif str(held) != record.meta("triples"):
            reason = f"the graph holds {held} triples, not the {record.meta('triples')} published last"
        if reason:
            record.close()
            record = None
    limit = DEFAULT_SHRINK_LIMIT if shrink_limit is None else shrink_limit
    if record is not None and not force:
        # publish's shrink guard, from the release's own count: its records' triples and void.ttl's
        triples = release_triples(release)
        if held and (triples == 0 or triples < limit * held):
            record.close()
            raise PublishRefused(
                f"{target} holds {held} triples and the release {triples} (less than --shrink-limit "
                f"{limit:g} of them): nothing was sent, the graph is unchanged; pass --force to send it "
                "anyway"
            )
    if record is None:
        full = publish(
            [release.folder],
            endpoint=endpoint,
            store_endpoint=store_endpoint,
            graph=graph,
            timeout=timeout,
            force=force,
            shrink_limit=limit,
            credentials=creds,
            auth_scheme=auth_scheme,  # type: ignore[arg-type]
        )
        _write_published_record(path, release, graph, full.triples_in_graph)
        return RemoteSyncReport(
            "full", target, reason=reason, seconds=time.perf_counter() - started, full_summary=full.summary()
        )
    try:
        plan = plan_sync(record, release)
        if plan.empty:
            record.rollback()
            return RemoteSyncReport("unchanged", target, plan=plan, seconds=time.perf_counter() - started)
        body = plan.update(graph).encode()
        try:
            response = httpx.post(
                update_endpoint,
                content=body,
                headers={"Content-Type": "application/sparql-update"},
                timeout=httpx.Timeout(timeout),
                auth=creds.auth() if creds else None,
            )
        except httpx.HTTPError as error:
            raise PublishError(f"{update_endpoint}: {error}") from error
        if response.status_code >= 400:
            raise PublishError(
                f"{update_endpoint} refused the update (HTTP {response.status_code}): "
                f"{' '.join(response.text.split())[:500]}; the graph is unchanged"
            )
        held = count_graph(endpoint, graph, timeout=timeout, auth=creds.auth() if creds else None)
        record.set_meta("triples", str(held))
        record.commit()
    except BaseException:
        record.rollback()
        raise
    finally:
        record.close()
    return RemoteSyncReport(
        "incremental",
        target,
        plan=plan,
        update_bytes=len(body),
        seconds=time.perf_counter() - started,
        triples_in_graph=held,
    )


def release_triples(release: Release) -> int:
    """The triples a fresh load of ``release`` holds: ``void:triples`` of the release (its records)
    plus the dataset description's own."""
    lines = release.void_lines()
    subject = f"<{_dataset_iri(lines)}> <{_VOID_TRIPLES}> "
    for line in lines:
        if line.startswith(subject):
            return int(line[len(subject) :].split('"')[1]) + len(lines)
    raise SyncError(f"{release.folder / VOID}: no void:triples for the release")


def _dataset_iri(lines: Iterable[str]) -> str:
    for line in lines:
        _subject, predicate, rest = line.split(" ", 2)
        if predicate == f"<{_HAS_VERSION}>":
            return rest.rsplit(" ", 1)[0].strip("<>")
    return ""


def _write_published_record(path: Path, release: Release, graph: str | None, triples: int | None) -> None:
    """The record of a whole-release publish, written beside and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".new-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    record = Record(temporary, create=True)
    try:
        fill_record(record, release, graph)
        record.set_meta("triples", "" if triples is None else str(triples))
        record.commit()
    finally:
        record.close()
    os.replace(temporary, path)
