"""A throw-away OpenLink Virtuoso server for tests: WikiPathways' own SPARQL engine, on 127.0.0.1.

WikiPathways serves its RDF from Virtuoso (``https://sparql.wikipathways.org/sparql``), and its example
queries lean on Virtuoso: implicit GROUP BY, ``COUNT(?x) AS ?y`` without parentheses, ``fn:`` functions
and prefixes the endpoint declares. :class:`Virtuoso` runs Debian's ``virtuoso-opensource`` (7.2) in the
foreground with a configuration and database of its own in a temporary folder, on free loopback ports,
and loads a build the way a Virtuoso operator does: the RDF bulk loader (``ld_dir`` +
``rdf_loader_run()`` + ``checkpoint``) over ``pfocr.nt.gz`` and ``void.ttl`` into one named graph.
A query that names no graph (no ``FROM``) reads the union of all graphs on Virtuoso, so the
WikiPathways queries, which name none, see the data. Queries go to its SPARQL Protocol endpoint
(``/sparql``) with httpx.

Measured on the development machine (2 cores shared with other jobs): start 5-8 s (most of it
Virtuoso creating its database and loading its built-in packages); declaring the prefixes, bulk-loading
the sample (34,632 triples with void.ttl) and checking the load 0.3 s for the loader itself, ~1 s with
the isql-vt round trips.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"


class VirtuosoError(RuntimeError):
    """Virtuoso did not start, load or answer; the message ends with the end of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def installed() -> bool:
    return shutil.which(VIRTUOSO) is not None and shutil.which(ISQL) is not None


_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
DirsAllowed = ., {dirs}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
MaxClientConnections = 8

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}/vsp
ServerThreads = 4
MaxClientConnections = 8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 60
"""


class Virtuoso:
    """One Virtuoso server with its database in ``folder``; use as a context manager."""

    def __init__(self, folder: Path, allowed_dirs: list[Path]) -> None:
        self.folder = folder
        self.allowed_dirs = [d.resolve() for d in allowed_dirs]
        self.sql_port = free_port()
        self.http_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(timeout=httpx.Timeout(60.0, connect=5.0))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def log(self) -> Path:
        return self.folder / "virtuoso.log"

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no Virtuoso log)"
        return "\n".join(text.splitlines()[-lines:])

    def _fail(self, message: str) -> VirtuosoError:
        return VirtuosoError(f"{message}\n--- end of {self.log} ---\n{self.log_tail()}")

    # Life cycle -----------------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> None:
        (self.folder / "vsp").mkdir(parents=True, exist_ok=True)  # the HTTP server's (empty) root
        ini = self.folder / "virtuoso.ini"
        ini.write_text(
            _INI.format(
                db=self.folder,
                sql_port=self.sql_port,
                http_port=self.http_port,
                dirs=", ".join(str(d) for d in self.allowed_dirs),
            ),
            encoding="utf-8",
        )
        # +foreground keeps the server our child, so stop() ends exactly this process.
        self.process = subprocess.Popen(
            [VIRTUOSO, "+configfile", str(ini), "+foreground"],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self._fail(f"virtuoso-t exited with status {self.process.returncode} while starting")
            try:
                answer = self.client.get(
                    self.endpoint,
                    params={"query": "ASK {}"},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=2.0,
                )
                if answer.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise self._fail(f"Virtuoso's SPARQL endpoint {self.endpoint} did not answer within {timeout:.0f} s")

    def stop(self, timeout: float = 30.0) -> None:
        self.client.close()
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # Virtuoso shuts down cleanly on TERM
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def __enter__(self) -> Virtuoso:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # SQL and loading ------------------------------------------------------------------------------
    def isql(self, statements: str, timeout: float = 120.0) -> str:
        """Run SQL statements (each ending with ``;``) through ``isql-vt``; errors raise."""
        try:
            done = subprocess.run(
                [ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"],
                input=statements.encode("utf-8"),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise self._fail(f"isql-vt did not finish within {timeout:.0f} s") from exc
        output = (done.stdout + done.stderr).decode("utf-8", errors="replace")
        if done.returncode != 0 or "*** Error" in output:
            raise self._fail(f"isql-vt failed (status {done.returncode}):\n{output}")
        return output

    def declare_prefixes(self, prefixes: dict[str, str]) -> None:
        """Declare namespace prefixes server-wide, as a public endpoint does for its users' queries."""
        self.isql(
            "".join(
                f"DB.DBA.XML_SET_NS_DECL('{prefix}', '{namespace}', 2);\n"
                for prefix, namespace in prefixes.items()
            )
        )

    def bulk_load(self, folder: Path, patterns: list[str], graph: str) -> int:
        """Bulk-load the files of ``folder`` matching ``patterns`` into ``graph``; the graph's size."""
        folder = folder.resolve()
        if not any(folder == d or d in folder.parents for d in self.allowed_dirs):
            raise ValueError(f"{folder} is not under the server's DirsAllowed")
        registrations = "".join(f"ld_dir('{folder}', '{pattern}', '{graph}');\n" for pattern in patterns)
        self.isql(registrations + "rdf_loader_run();\ncheckpoint;\n")
        # The loader records a file it could not parse in load_list instead of failing the call.
        errors = self.isql(
            "SELECT ll_file, ll_error FROM DB.DBA.load_list "
            f"WHERE ll_graph = '{graph}' AND (ll_error IS NOT NULL OR ll_state <> 2);\n"
        )
        if folder.as_posix() in errors:
            raise self._fail(f"the bulk loader did not load every file:\n{errors}")
        size = self.select(f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}")
        return int(size[0]["n"]["value"])

    # SPARQL -------------------------------------------------------------------------------------
    def select(self, query: str) -> list[dict[str, Any]]:
        """The bindings of a SELECT query, as SPARQL JSON results (``{"var": {"type", "value"}}``)."""
        answer = self.client.post(
            self.endpoint,
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
        )
        if answer.status_code != 200:
            raise VirtuosoError(f"Virtuoso answered HTTP {answer.status_code}: {answer.text[:2000]}")
        return list(answer.json()["results"]["bindings"])


def environment_ready() -> str | None:
    """None when Virtuoso can run here, else why not (for the fixture's error message)."""
    if not installed():
        return (
            "Virtuoso is not installed: `apt-get install virtuoso-opensource` (Debian) provides "
            "virtuoso-t and isql-vt; .ci/run installs it"
        )
    return None
