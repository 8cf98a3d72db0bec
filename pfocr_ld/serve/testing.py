"""A real ``pfocr-ld serve`` in a background thread, for the tests and the load test.

:func:`running_server` binds a socket on 127.0.0.1 (port 0: any free port, known and taken before
uvicorn starts), serves the app there with the same uvicorn configuration as the command
(:func:`~pfocr_ld.serve.config.uvicorn_config`), waits for the query workers, and stops it all when
the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pfocr_ld.serve.app import PfocrServer, create_app
from pfocr_ld.serve.config import HEAD_TIMEOUT, KEEP_ALIVE, MAX_CONNECTIONS, uvicorn_config


@dataclass(frozen=True)
class RunningServer:
    """A server started by :func:`running_server`: its base URL and its state (pool, caches)."""

    url: str
    server: PfocrServer


@contextlib.contextmanager
def running_server(
    store_dir: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    head_timeout: float = HEAD_TIMEOUT,
    keep_alive: float = KEEP_ALIVE,
    max_connections: int = MAX_CONNECTIONS,
    **options: Any,
) -> Iterator[RunningServer]:
    """Serve ``store_dir`` from a background thread (tests, the load test) until the block ends.

    Binding the socket here (port 0: any free port) means the URL is known, and taken, before
    uvicorn starts. ``options`` are those of :func:`create_app`.
    """
    import uvicorn

    app = create_app(store_dir, **options)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this on Linux; without it small responses wait out the client's
    # delayed ACK (40 ms) behind Nagle's algorithm.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn_config(
        app,
        log_level=log_level,
        head_timeout=head_timeout,
        keep_alive=keep_alive,
        max_connections=max_connections,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="pfocr-ld-serve", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the server did not start (see the log above)")
        time.sleep(0.02)
    try:
        shown = f"[{host}]" if ":" in host else host
        yield RunningServer(f"http://{shown}:{bound_port}", app.state.pfocr)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
