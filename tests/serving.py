"""Servers for the tests, on 127.0.0.1: the sample as `pfocr-ld serve` serves it (what the shared
``served`` fixture of ``tests/conftest.py`` yields, and the limits that server runs with, which
tests/test_serve.py checks), and a real Oxigraph server (``oxigraph serve``) started and stopped
by :func:`oxigraph_server`."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from pfocr_ld import vocab
from pfocr_ld.mapping import Mapper

if TYPE_CHECKING:
    from pfocr_ld.serve import PfocrServer

HER2 = "PMC3376449__fonc-02-00062-g001"
# A figure with genes (all three match types), chemicals (ChEBI and MeSH-only) and a disease.
RICH = "PMC10003241__ijms-24-04893-g003"
TIMEOUT = 4.0
MAX_RESULTS = 5000


@dataclass
class Served:
    url: str
    out: Path
    store: Path
    server: PfocrServer

    def figure(self, figid: str, suffix: str = "html") -> str:
        iri = Mapper().figure_iri(figid)
        return (
            self.url + "/figures/" + iri.removeprefix(vocab.DEFAULT_BASE).removesuffix(".html") + "." + suffix
        )


def oxigraph_binary() -> str:
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.exists():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        # a test dependency (the test extra installs it): its absence is a failure, not a skip
        pytest.fail("the oxigraph server is not installed (pip install '.[test]')")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def oxigraph_server(location: Path, *, union: bool = True) -> Iterator[str]:
    """``oxigraph serve`` on a free port; yields the base URL and always stops the server."""
    port = free_port()
    command = [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    if union:
        command.append("--union-default-graph")
    log = (location.parent / f"oxigraph-{port}.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, (
                f"oxigraph exited: {(location.parent / f'oxigraph-{port}.log').read_text()}"
            )
            try:
                if httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "oxigraph did not answer within 20 s"
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
