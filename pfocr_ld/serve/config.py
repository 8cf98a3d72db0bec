"""The settings of ``pfocr-ld serve`` and their defaults, each defined once.

:class:`ServeConfig` holds the app's settings (the store, ``--base``, the query limits, caching); its
field defaults are *the* defaults: :func:`pfocr_ld.serve.app.create_app` takes its keyword options
as fields of it, and the ``pfocr-ld serve`` options read theirs with :func:`config_default`. The connection
limits (:data:`HEAD_TIMEOUT`, :data:`KEEP_ALIVE`, :data:`MAX_CONNECTIONS`) belong to uvicorn's
configuration, made by :func:`uvicorn_config` for both the command and the test server.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pfocr_ld import vocab


@dataclass
class ServeConfig:
    """What the app serves and under which limits; ``base_path`` is derived from ``base``."""

    store_dir: Path
    base: str = vocab.DEFAULT_BASE
    void_file: Path | None = None
    timeout: float = 30.0
    max_results: int = 10_000
    workers: int = 2
    worker_memory: int = 2048  # MiB per query worker; 0 switches the limit off
    max_body: int = 1_000_000
    max_query_length: int = 100_000
    cache_seconds: int = 300
    sandbox: bool = True  # query workers without network (pfocr_ld/sandbox.py); off only by --no-sandbox
    max_response_bytes: int = 64 << 20
    figure_cache: int = 512
    base_path: str = field(init=False, default="/figures/")

    def __post_init__(self) -> None:
        parts = urlsplit(self.base)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or not parts.path.endswith("/")
            or parts.query
            or parts.fragment
        ):
            raise ValueError(
                f"--base must be an http(s) IRI ending in '/' (got {self.base!r}): figure IRIs "
                "are {base}{figid}.html and resolve on this server under the base's path"
            )
        self.base_path = parts.path


def config_default(name: str) -> Any:
    """The default of the :class:`ServeConfig` field ``name`` (what ``pfocr-ld serve`` shows in --help)."""
    for found in dataclasses.fields(ServeConfig):
        if found.name == name and found.init:
            return found.default
    raise KeyError(f"ServeConfig has no setting {name!r}")


#: Defaults of the connection limits (``--head-timeout``, ``--keep-alive``, ``--max-connections``).
HEAD_TIMEOUT = 10.0
KEEP_ALIVE = 5.0
MAX_CONNECTIONS = 1000


def uvicorn_config(
    app: Any,
    *,
    log_level: str,
    head_timeout: float = HEAD_TIMEOUT,
    keep_alive: float = KEEP_ALIVE,
    max_connections: int = MAX_CONNECTIONS,
    **options: Any,
) -> Any:
    """uvicorn's configuration for ``app``: the h11 protocol with the head timeout and connection cap of
    :mod:`pfocr_ld.connections`, keep-alive connections closed after ``keep_alive`` idle seconds."""
    import uvicorn

    from pfocr_ld.connections import guarded_protocol

    return uvicorn.Config(
        app,
        http=guarded_protocol(head_timeout=head_timeout, max_connections=max_connections),
        log_level=log_level,
        lifespan="on",
        server_header=False,
        timeout_keep_alive=keep_alive,  # type: ignore[arg-type]  # a float works (loop.call_later)
        limit_concurrency=None,  # it counts idle connections too: the guard's cap replaces it
        **options,
    )
