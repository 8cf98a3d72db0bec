"""RDF stores and endpoints: load dumps into pyoxigraph, publish them to a SPARQL server.

This module owns getting the published files *into* something that answers SPARQL:

* :func:`load_dumps` bulk-loads Turtle, N-Triples, N-Quads (each optionally gzipped) and JSON-LD
  (converted with PyLD against the bundled contexts, never fetched) into a pyoxigraph
  :class:`~pyoxigraph.Store` — a persistent RocksDB store (``pfocr-ld load``) or an in-memory one
  (``pfocr-ld query --data``). A store is a *set* of quads, so loading a dump twice adds nothing.
* :func:`load_build_output` loads a finished ``pfocr-ld build`` folder (``build --store`` calls it).
* :func:`publish` replaces a graph of a remote server with a dump through the SPARQL 1.1 Graph
  Store HTTP Protocol (``PUT {store}?graph=IRI``), streaming and decompressing as it uploads, with
  HTTP Digest or Basic authentication when the server asks (:mod:`pfocr_ld.auth`).

Querying lives in :mod:`pfocr_ld.query`; the ``load`` and ``publish`` commands in
:mod:`pfocr_ld.store_commands` (they also drive :mod:`pfocr_ld.store_sync`, which builds on this module).
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pyoxigraph as ox

from pfocr_ld import rdf
from pfocr_ld.auth import (
    PASSWORD_ENV,
    SCHEMES,
    USER_ENV,
    Credentials,
    Scheme,
    auth_challenge,
    same_origin,
    split_credentials,
)
from pfocr_ld.errors import EndpointError, PfocrLdError
from pfocr_ld.jsonld import to_nquads
from pfocr_ld.limits import not_regular_reason
from pfocr_ld.messages import excerpt
from pfocr_ld.release import DEFAULT_SHRINK_LIMIT
from pfocr_ld.remote import RemoteSource

#: Suffixes (after an optional ``.gz``) and the RDF format they hold. ``None`` marks JSON-LD, which
#: goes through PyLD because pyoxigraph cannot load our remote ``@context``.
_SUFFIX_FORMATS: dict[str, ox.RdfFormat | None] = {
    **{f".{suffix}": rdf.syntax_of_suffix(suffix) for suffix in sorted(rdf.RDF_SUFFIXES)},
    ".jsonld": None,
}

#: The files of a ``pfocr-ld build`` folder worth loading, best first: one of the three equivalent
#: serialisations of the records (N-Triples parses fastest; JSON-LD needs PyLD and is slowest), then
#: the dataset description.
_BUILD_RECORD_DUMPS: tuple[str, ...] = ("pfocr.nt.gz", "pfocr.nt", "pfocr.ttl", "pfocr.ttl.gz", "jsonld")
_BUILD_MARKERS: tuple[str, ...] = ("report.json", "void.ttl", *_BUILD_RECORD_DUMPS[:4])

_CHUNK = 1 << 16
#: Quads converted from JSON-LD are buffered up to this many before one bulk insert.
_JSONLD_BATCH = 200_000
# an absolute IRI: a scheme, then no character an IRI may not hold (nor Unicode whitespace)
_IRI_RE = re.compile(rf"^[A-Za-z][A-Za-z0-9+.-]*:[^\s{rdf.IRI_FORBIDDEN_CHARS}]*$")


class StoreError(PfocrLdError):
    """A dump, store or endpoint problem worth one clear line (exit status 2 unless stated)."""

    exit_code = 2


class PublishRefused(StoreError):
    """The upload was refused before anything was sent: the remote graph is unchanged (exit 2)."""

    exit_code = 2


class PublishError(StoreError):
    """The server refused or failed an upload (exit status 1: the input was fine)."""

    exit_code = 1


@dataclass(frozen=True)
class DumpFile:
    """One RDF file and how to read it."""

    path: Path
    format: ox.RdfFormat | None  # None: JSON-LD
    compressed: bool

    @property
    def is_jsonld(self) -> bool:
        return self.format is None

    def open(self) -> IO[bytes]:
        """The decompressed bytes (Python's gzip reads the build's multi-member files as one stream)."""
        if self.compressed:
            return gzip.open(self.path, "rb")  # type: ignore[return-value]  # a GzipFile is binary IO
        return self.path.open("rb")


def dump_format(path: Path) -> DumpFile | None:
    """How ``path`` is read, from its name, or ``None`` when it is not an RDF dump we know."""
    name = path.name.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    dot = name.rfind(".")
    if dot < 0 or name[dot:] not in _SUFFIX_FORMATS:
        return None
    return DumpFile(path, _SUFFIX_FORMATS[name[dot:]], compressed)


def is_build_output(folder: Path) -> bool:
    return any((folder / marker).exists() for marker in _BUILD_MARKERS)


def resolve_dumps(paths: Iterable[Path]) -> list[DumpFile]:
    """The dump files named by ``paths``: files as given, folders expanded.

    A ``pfocr-ld build`` output folder contributes one copy of the records (``pfocr.nt.gz`` when
    present) plus ``void.ttl``, not all three serialisations; any other folder contributes every
    file with an RDF suffix below it, in name order.
    """
    found: list[DumpFile] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            if is_build_output(path):
                found.extend(_build_dumps(path))
            else:
                files = sorted(p for p in path.rglob("*") if p.is_file())
                found.extend(d for d in map(dump_format, files) if d is not None)
        elif path.is_file():
            dump = dump_format(path)
            if dump is None:
                raise StoreError(
                    f"{path}: unknown RDF format (expected one of "
                    f"{', '.join(sorted(_SUFFIX_FORMATS))}, optionally .gz)"
                )
            found.append(dump)
        elif path.exists():  # a FIFO or device: reading would block or never end
            raise StoreError(f"{path}: {not_regular_reason(path.stat().st_mode)}")
        else:
            raise StoreError(f"{path}: no such file or folder")
    return found


def _build_dumps(folder: Path) -> list[DumpFile]:
    from pfocr_ld.release import live_release

    # The live release resolved once: a build switching meanwhile cannot mix two releases' files.
    folder = live_release(folder)
    out: list[DumpFile] = []
    for name in _BUILD_RECORD_DUMPS:
        candidate = folder / name
        if candidate.is_dir():
            files = sorted(candidate.glob("*.jsonld"))
            out.extend(d for d in map(dump_format, files) if d is not None)
            break
        if candidate.is_file():
            dump = dump_format(candidate)
            assert dump is not None
            out.append(dump)
            break
    void = folder / "void.ttl"
    if void.is_file():
        out.append(DumpFile(void, ox.RdfFormat.TURTLE, False))
    return out


# JSON-LD ---------------------------------------------------------------------------------------
def jsonld_to_nquads(path: Path, compressed: bool = False) -> str:
    """One JSON-LD file as N-Quads (:func:`pfocr_ld.jsonld.to_nquads`: bundled contexts only), its
    own ``file://`` URI as the base."""
    opener = gzip.open if compressed else open
    with opener(path, "rb") as handle:
        document = json.loads(handle.read())
    return to_nquads(document, path.resolve().as_uri())


def _jsonld_quads(dump: DumpFile, graph: ox.NamedNode | None) -> list[ox.Quad]:
    nquads = jsonld_to_nquads(dump.path, dump.compressed)
    quads = list(ox.parse(nquads, ox.RdfFormat.N_QUADS))
    if graph is None:
        return quads
    return [
        ox.Quad(q.subject, q.predicate, q.object, graph) if isinstance(q.graph_name, ox.DefaultGraph) else q
        for q in quads
    ]


# Loading ---------------------------------------------------------------------------------------
@dataclass
class LoadReport:
    """What a load did: per-file seconds, and the store size before and after."""

    files: list[tuple[str, float]] = field(default_factory=list)
    quads_before: int = 0
    quads_after: int = 0
    seconds: float = 0.0

    @property
    def added(self) -> int:
        return self.quads_after - self.quads_before

    def summary(self, counted: bool = True) -> str:
        if not counted:
            return f"loaded {len(self.files)} file(s) in {self.seconds:.1f}s (quads not counted)"
        return (
            f"loaded {len(self.files)} file(s) in {self.seconds:.1f}s: {self.added} new quads, "
            f"the store holds {self.quads_after}"
        )


def open_store(path: Path | str | None, *, read_only: bool = False) -> ox.Store:
    """A persistent store at ``path`` (created when missing), or an in-memory one for ``None``.

    ``read_only`` opens an existing store without taking RocksDB's write lock, so a query can run
    beside ``oxigraph serve-read-only`` on the same folder. pyoxigraph has no ``close()``: a store
    is released when the last reference goes, so keep it in one place.
    """
    if path is None:
        return ox.Store()
    path = Path(path)
    try:
        if read_only:
            if not path.is_dir() or not any(path.iterdir()):
                raise StoreError(f"{path}: not a store (load one with `pfocr-ld load DUMP --store {path}`)")
            return _open_read_only(path)
        path.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(path))
    except (OSError, RuntimeError) as error:
        raise StoreError(f"{path}: cannot open the store: {error}") from error


#: Opening read-only while a writer (a sync, a load) compacts can name a file the writer has just
#: deleted ("Corruption: … No such file or directory"); the next attempt reads the newer state.
_READ_ONLY_ATTEMPTS = 20


def _open_read_only(path: Path) -> ox.Store:
    for attempt in range(_READ_ONLY_ATTEMPTS):
        try:
            return ox.Store.read_only(str(path))
        except (OSError, RuntimeError) as error:
            if "No such file or directory" not in str(error) or attempt == _READ_ONLY_ATTEMPTS - 1:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def load_dumps(
    store: ox.Store,
    paths: Iterable[Path],
    *,
    graph: str | None = None,
    lenient: bool = False,
    on_file: Callable[[DumpFile, float], None] | None = None,
    count: bool = True,
) -> LoadReport:
    """Bulk-load every dump named by ``paths`` into ``store`` (the default graph unless ``graph``).

    Quads are a set in the store: a triple already present is not added again, which is what makes
    re-loading a dump (or loading the Turtle and N-Triples of one build) harmless. ``count`` scans
    the store before and after for the report; switch it off on huge stores where that scan costs.
    """
    dumps = resolve_dumps(paths)
    target = ox.NamedNode(check_iri(graph, "graph")) if graph else None
    report = LoadReport()
    started = time.perf_counter()
    report.quads_before = len(store) if count else 0
    pending: list[ox.Quad] = []
    for dump in dumps:
        file_started = time.perf_counter()
        try:
            if dump.is_jsonld:
                pending.extend(_jsonld_quads(dump, target))
                if len(pending) >= _JSONLD_BATCH:
                    store.bulk_extend(pending)
                    pending = []
            else:
                with dump.open() as handle:
                    store.bulk_load(
                        handle,
                        dump.format,
                        base_iri=dump.path.resolve().as_uri(),
                        to_graph=target,
                        lenient=lenient,
                    )
        except (SyntaxError, ValueError) as error:
            raise StoreError(f"{dump.path}: not valid {_format_name(dump)}: {error}") from error
        except MemoryError as error:
            # Oxigraph's parser refuses a single term over its 16 MiB buffer ("Reached the buffer
            # maximal size"); what was loaded before stays (bulk loading only adds quads).
            raise StoreError(f"{dump.path}: cannot load: {error} (a term over the parser's limit)") from error
        except OSError as error:
            raise StoreError(f"{dump.path}: cannot read: {error}") from error
        seconds = time.perf_counter() - file_started
        report.files.append((str(dump.path), seconds))
        if on_file is not None:
            on_file(dump, seconds)
    if pending:
        store.bulk_extend(pending)
    store.flush()
    report.quads_after = len(store) if count else 0
    report.seconds = time.perf_counter() - started
    return report


def memory_store(paths: Iterable[Path], *, graph: str | None = None) -> ox.Store:
    """A temporary in-memory store holding the dumps (``pfocr-ld query --data``)."""
    store = ox.Store()
    load_dumps(store, paths, graph=graph, count=False)
    return store


def load_build_output(out_dir: Path | str, store_dir: Path | str, *, graph: str | None = None) -> LoadReport:
    """Load a finished build folder (records + ``void.ttl``) into the persistent store at ``store_dir``.

    This is what ``pfocr-ld build --store DIR`` runs after writing its outputs. It opens and releases
    the store itself, so no other process may hold ``store_dir`` open for writing meanwhile. The
    build has just written (and checked every IRI of) these files, so they are parsed leniently:
    Oxigraph skips re-validating IRIs (a 30.9M-quad build: 165 s, against 179 s strict in an earlier run).
    """
    out_dir = Path(out_dir)
    if not is_build_output(out_dir):
        raise StoreError(f"{out_dir}: not a pfocr-ld build folder (no pfocr.nt.gz, pfocr.ttl or void.ttl)")
    store = open_store(store_dir)
    try:
        return load_dumps(store, [out_dir], graph=graph, lenient=True)
    finally:
        del store  # releases the RocksDB lock now rather than at some later collection


def _format_name(dump: DumpFile) -> str:
    return "JSON-LD" if dump.format is None else dump.format.name


def check_iri(value: str, what: str = "IRI") -> str:
    """``value`` if it is an absolute IRI that can be written between ``<`` and ``>``."""
    if not _IRI_RE.match(value):
        raise StoreError(f"{what}: {value!r} is not an absolute IRI")
    return value


# Publishing (SPARQL 1.1 Graph Store HTTP Protocol) -----------------------------------------------
@dataclass
class PublishReport:
    store_endpoint: str
    graph: str | None
    bytes_sent: int = 0
    seconds: float = 0.0
    status: int = 0
    triples_in_graph: int | None = None

    def summary(self) -> str:
        target = f"<{self.graph}>" if self.graph else "the default graph"
        size = f"{self.bytes_sent / 1e6:.1f} MB" if self.bytes_sent >= 100_000 else f"{self.bytes_sent} bytes"
        line = (
            f"replaced {target} at {self.store_endpoint} ({size} of N-Triples, HTTP {self.status}) "
            f"in {self.seconds:.1f}s"
        )
        if self.triples_in_graph is not None:
            line += f"; it now holds {self.triples_in_graph} triples"
        return line


def derive_store_endpoint(query_endpoint: str) -> str:
    """The Graph Store endpoint beside a query endpoint: ``…/query`` or ``…/sparql`` → ``…/store``.

    That is Oxigraph's layout (``/query``, ``/update``, ``/store``); other servers put the Graph
    Store elsewhere (Virtuoso: ``/sparql-graph-crud``), so they need ``--store-endpoint``.
    """
    base, sep, query = query_endpoint.partition("?")
    stripped = base.rstrip("/")
    for suffix in ("/query", "/sparql"):
        if stripped.endswith(suffix):
            return stripped[: -len(suffix)] + "/store" + (sep + query if sep else "")
    if stripped.endswith("/store"):
        return query_endpoint
    raise StoreError(
        f"cannot derive the Graph Store endpoint from {query_endpoint!r} (it does not end in /query or "
        "/sparql); give it with --store-endpoint"
    )


def ntriples_stream(dumps: Sequence[DumpFile], counter: list[int] | None = None) -> Iterator[bytes]:
    """The dumps as one stream of N-Triples bytes, produced lazily for a streaming upload.

    N-Triples files pass through (decompressed chunk by chunk); Turtle and the other syntaxes are
    parsed and re-serialised triple by triple; JSON-LD goes through PyLD one document at a time.
    Quads in named graphs are refused: a Graph Store upload fills exactly one graph. Blank-node
    labels are document-scoped, so dumps with blank nodes should be published one per graph (the
    build's dumps have none).
    """
    counter = counter if counter is not None else [0]

    def emit(chunk: bytes) -> bytes:
        counter[0] += len(chunk)
        return chunk

    for dump in dumps:
        if dump.format == ox.RdfFormat.N_TRIPLES:
            last = b"\n"
            with dump.open() as handle:
                while chunk := handle.read(_CHUNK):
                    last = chunk[-1:]
                    yield emit(chunk)
            if last != b"\n":  # the next file must start on a line of its own
                yield emit(b"\n")
            continue
        if dump.is_jsonld:
            source: Iterable[ox.Triple | ox.Quad] = ox.parse(
                jsonld_to_nquads(dump.path, dump.compressed), ox.RdfFormat.N_QUADS
            )
        else:
            handle = dump.open()
            source = ox.parse(handle, dump.format, base_iri=dump.path.resolve().as_uri())
        batch: list[ox.Triple] = []
        try:
            for item in source:
                if isinstance(item, ox.Quad):
                    if not isinstance(item.graph_name, ox.DefaultGraph):
                        raise StoreError(
                            f"{dump.path}: holds named graphs; a graph upload takes triples only"
                        )
                    item = item.triple
                batch.append(item)
                if len(batch) >= 10_000:
                    yield emit(_ntriples(batch))
                    batch = []
        except SyntaxError as error:
            raise StoreError(f"{dump.path}: not valid {_format_name(dump)}: {error}") from error
        finally:
            if not dump.is_jsonld:
                handle.close()
        if batch:
            yield emit(_ntriples(batch))


def publish(
    paths: Iterable[Path],
    *,
    endpoint: str | None = None,
    store_endpoint: str | None = None,
    graph: str | None = None,
    timeout: float = 300.0,
    client: httpx.Client | None = None,
    force: bool = False,
    shrink_limit: float = DEFAULT_SHRINK_LIMIT,
    credentials: Credentials | None = None,
    auth_scheme: Scheme = "digest",
) -> PublishReport:
    """Replace ``graph`` (the default graph for ``None``) on a server with the given dumps.

    Unless ``force``, the graph's triples are counted first (a SPARQL COUNT at ``endpoint``, else a
    Graph Store GET counted line by line), and when it holds any, so are the dumps' (in the read
    that measures the upload): fewer than ``shrink_limit`` of the remote count, or none, raises
    :class:`PublishRefused` and nothing is sent.

    ``PUT {store_endpoint}?graph=IRI`` with the dumps as one streamed N-Triples body: the server
    drops the graph's old triples and stores the new ones, so re-publishing leaves nothing stale
    (Oxigraph applies a PUT in one transaction; other servers' atomicity is theirs to document).
    With ``endpoint`` the graph's new size is read back with a COUNT query.

    The body goes with a ``Content-Length`` (measured by one read of the dumps before the upload),
    not chunked: Virtuoso 7.2 answers a chunked PUT with 201/204 and stores *nothing*.

    ``credentials`` (or a ``user:password@`` in either URL, taken out of it and used with
    ``auth_scheme``) authenticate every request to the store endpoint's origin — the counts, a
    ``HEAD`` that fails fast on a refused password before anything is uploaded, and the PUT — and to
    ``endpoint`` when it has the same scheme, host and port. No message carries a password.
    """
    endpoint, store_endpoint, credentials = _take_url_credentials(
        endpoint, store_endpoint, credentials, auth_scheme
    )
    if store_endpoint is None:
        if endpoint is None:
            raise StoreError("give --endpoint (the SPARQL query URL) or --store-endpoint")
        store_endpoint = derive_store_endpoint(endpoint)
    if graph is not None:
        check_iri(graph, "--graph")
    dumps = resolve_dumps(paths)
    if not dumps:
        raise StoreError("no RDF files to publish")
    report = PublishReport(store_endpoint, graph)
    counter = [0]
    own_client = client is None
    http = client or httpx.Client()
    # One auth object per endpoint: DigestAuth keeps the last challenge of the server it talked to.
    store_auth = credentials.auth() if credentials else None
    query_auth = (
        credentials.auth()
        if credentials and endpoint is not None and same_origin(endpoint, store_endpoint)
        else None
    )
    started = time.perf_counter()
    # A bare `?default` is what the protocol specifies; httpx would write `default=`, which some
    # servers read as a graph parameter, so that URL is built by hand.
    url = store_endpoint
    if graph is None:
        url += ("&" if "?" in store_endpoint else "?") + "default"
    params = {"graph": graph} if graph is not None else None
    try:
        _check_access(http, url, params, store_endpoint, timeout, store_auth, credentials)
        remote = (
            None
            if force
            else _count_remote(
                http, endpoint, url, params, graph, timeout, store_auth, query_auth, credentials
            )
        )
        size, lines = _measure(dumps)
        if remote:
            _check_shrink(remote, lines, endpoint or url, graph, shrink_limit)
        response = http.put(
            url,
            params=params,
            content=_Body(dumps, counter),
            headers={"Content-Type": "application/n-triples", "Content-Length": str(size)},
            timeout=httpx.Timeout(timeout),
            auth=store_auth or httpx.USE_CLIENT_DEFAULT,
        )
    except httpx.TimeoutException as error:
        raise PublishError(f"{store_endpoint}: no answer within {timeout:g}s ({error})") from error
    except httpx.HTTPError as error:
        raise PublishError(f"{store_endpoint}: {error}") from error
    finally:
        if own_client:
            http.close()
    report.seconds = time.perf_counter() - started
    report.bytes_sent = counter[0]
    report.status = response.status_code
    if response.status_code in (401, 403):
        raise PublishError(
            _refusal(
                store_endpoint, response.status_code, auth_challenge(response), credentials, "the upload"
            )
        )
    if response.status_code >= 400:
        raise PublishError(
            f"{store_endpoint} refused the upload: HTTP {response.status_code}: {excerpt(response.text, 500)}"
        )
    if endpoint is not None:
        report.triples_in_graph = count_graph(endpoint, graph, timeout=timeout, auth=query_auth)
    return report


def _take_url_credentials(
    endpoint: str | None, store_endpoint: str | None, credentials: Credentials | None, scheme: Scheme
) -> tuple[str | None, str | None, Credentials | None]:
    """Both URLs without userinfo; credentials found there are used when none were given."""
    found: Credentials | None = None
    clean: list[str | None] = []
    for url in (endpoint, store_endpoint):
        if url is None:
            clean.append(None)
            continue
        url, user, password = split_credentials(url)
        clean.append(url)
        if user is not None and found is None:
            found = Credentials(user, password or "", scheme)
    return clean[0], clean[1], credentials or found


class _Body:
    """The upload, re-iterable: a Digest retry after a stale nonce streams the dumps again.

    (httpx refuses to send a generator twice; an iterable that is not a generator it re-iterates.)
    """

    def __init__(self, dumps: Sequence[DumpFile], counter: list[int]) -> None:
        self.dumps = dumps
        self.counter = counter

    def __iter__(self) -> Iterator[bytes]:
        self.counter[0] = 0
        return ntriples_stream(self.dumps, self.counter)


def _measure(dumps: Sequence[DumpFile]) -> tuple[int, int]:
    """Bytes and lines (triples) of the N-Triples upload, by one read of the dumps."""
    size = lines = 0
    for chunk in ntriples_stream(dumps):
        size += len(chunk)
        lines += chunk.count(b"\n")
    return size, lines


def _refusal(where: str, code: int, asks: str, credentials: Credentials | None, what: str) -> str:
    """Why a 401/403 happened and what to do, naming the user and variables, never the password."""
    status = f"HTTP {code}"
    if code == 403:
        who = f"user {credentials.user!r}" if credentials else "an anonymous client"
        return (
            f"{where} refused {what} ({status}): {who} is not allowed there (on Virtuoso, writing needs "
            "the SPARQL_UPDATE role)"
        )
    if credentials is None:
        return (
            f"{where} refused {what} ({status}): it asks for {asks + ' ' if asks else ''}authentication; "
            "give --user NAME (or "
            f"{USER_ENV}) and the password in {PASSWORD_ENV}"
        )
    hint = ""
    offered = asks.lower()
    if credentials.scheme not in offered and any(s in offered for s in SCHEMES):
        hint = f"; the server asks for {asks}, so try --auth {next(s for s in SCHEMES if s in offered)}"
    return (
        f"{where} refused {what} ({status}): it did not accept the password of user {credentials.user!r} "
        f"({credentials.scheme} authentication){hint}"
    )


def _check_access(
    http: httpx.Client,
    url: str,
    params: dict[str, str] | None,
    where: str,
    timeout: float,
    auth: httpx.Auth | None,
    credentials: Credentials | None,
) -> None:
    """A HEAD on the graph before anything else: a refused password fails here, with nothing sent.

    It also gives Digest its challenge (httpx's DigestAuth answers later requests with it at once),
    so the streamed PUT is not first refused (should the nonce expire meanwhile, httpx sends the
    re-iterable body again). Any answer but 401/403 is good enough (Virtuoso answers HEAD with 501
    once authenticated).
    """
    # Connection: close, because Oxigraph (0.5) follows its 404 to HEAD with a body, which would
    # corrupt the next response read on a reused connection.
    response = http.head(
        url,
        params=params,
        headers={"Connection": "close"},
        timeout=httpx.Timeout(timeout),
        auth=auth or httpx.USE_CLIENT_DEFAULT,
    )
    if response.status_code in (401, 403):
        raise PublishError(
            _refusal(where, response.status_code, auth_challenge(response), credentials, "the request")
            + "; nothing was sent"
        )


def _count_remote(
    http: httpx.Client,
    endpoint: str | None,
    url: str,
    params: dict[str, str] | None,
    graph: str | None,
    timeout: float,
    store_auth: httpx.Auth | None,
    query_auth: httpx.Auth | None,
    credentials: Credentials | None,
) -> int:
    """The graph's triples on the server before the upload (a COUNT at ``endpoint``, else a GET)."""
    where = endpoint or url
    try:
        return (
            count_graph(endpoint, graph, timeout=timeout, auth=query_auth)
            if endpoint is not None
            else _count_graph_store(http, url, params, timeout, store_auth)
        )
    except EndpointError as error:
        if error.status in (401, 403):
            raise PublishError(
                _refusal(where, error.status, "", credentials, "the count") + "; nothing was sent"
            ) from error
        raise PublishError(
            f"{where}: cannot count the graph's triples before replacing it ({error.message}); "
            "pass --force to replace it without that check"
        ) from error
    except (httpx.HTTPError, PfocrLdError) as error:
        message = error.message if isinstance(error, PfocrLdError) else str(error)
        raise PublishError(
            f"{where}: cannot count the graph's triples before replacing it ({message}); "
            "pass --force to replace it without that check"
        ) from error


def _check_shrink(remote: int, lines: int, where: str, graph: str | None, shrink_limit: float) -> None:
    """Refuse an upload that would replace a graph by far fewer triples (a typo'd or empty dump)."""
    if lines == 0 or lines < shrink_limit * remote:
        target = f"<{graph}>" if graph else "the default graph"
        raise PublishRefused(
            f"{target} at {where} holds {remote} triples and the dumps {lines} (less than --shrink-limit "
            f"{shrink_limit:g} of them): nothing was sent, the graph is unchanged; check the dumps, or "
            "pass --force to replace it anyway"
        )


def _count_graph_store(
    http: httpx.Client,
    url: str,
    params: dict[str, str] | None,
    timeout: float,
    auth: httpx.Auth | None = None,
) -> int:
    """The triples of a graph by a Graph Store GET as N-Triples, counted as they stream (404: none)."""
    with http.stream(
        "GET",
        url,
        params=params,
        headers={"Accept": "application/n-triples"},
        timeout=httpx.Timeout(timeout),
        auth=auth or httpx.USE_CLIENT_DEFAULT,
    ) as response:
        if response.status_code == 404:
            return 0
        if response.status_code in (401, 403):
            asks = auth_challenge(response)
            raise PublishError(_refusal(url, response.status_code, asks, None, "the count"))
        if response.status_code >= 400:
            raise PublishError(f"HTTP {response.status_code}")
        return sum(chunk.count(b"\n") for chunk in response.iter_bytes())


def _ntriples(triples: list[ox.Triple]) -> bytes:
    """``triples`` as N-Triples bytes (pyoxigraph returns them when given no output)."""
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def count_graph(
    endpoint: str, graph: str | None, *, timeout: float = 60.0, auth: httpx.Auth | None = None
) -> int:
    """How many triples ``graph`` (or the default graph) holds on a remote endpoint."""
    if graph is None:
        query, bindings = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {}
    else:
        query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        bindings = {"g": ox.NamedNode(graph)}
    with RemoteSource(endpoint, timeout=timeout, auth=auth) as source:
        rows = list(source.execute(query, bindings))
    count = rows[0]["n"] if rows else None
    return int(count.value) if isinstance(count, ox.Literal) else 0
