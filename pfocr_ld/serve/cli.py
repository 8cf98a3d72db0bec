"""``pfocr-ld serve``: the click command, its options and how it starts uvicorn.

The options are a public contract (README, ``--help``); their defaults are read from
:class:`~pfocr_ld.serve.config.ServeConfig` and the connection constants of
:mod:`pfocr_ld.serve.config`, so each default is written once. Before anything listens the command
checks that query workers can be cut off from the network (:func:`pfocr_ld.sandbox.probe`) and
refuses to serve, with one line, when they cannot and ``--no-sandbox`` was not given.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from pfocr_ld import sandbox
from pfocr_ld.serve.app import create_app
from pfocr_ld.serve.config import HEAD_TIMEOUT, KEEP_ALIVE, MAX_CONNECTIONS, config_default, uvicorn_config


@click.command("serve")
@click.option(
    "--store",
    "store_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The store to serve (made by `pfocr-ld load DUMP --store DIR`); opened read-only.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on."
)
@click.option(
    "--base",
    default=config_default("base"),
    show_default=True,
    help="The figure IRI base the store was built with; figure IRIs resolve under its path.",
)
@click.option(
    "--void",
    "void_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Serve this void.ttl at /void (default: the dataset description loaded with the data).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=config_default("timeout"),
    show_default=True,
    help="Seconds a SPARQL query may run before its worker is stopped.",
)
@click.option(
    "--max-results",
    type=click.IntRange(min=1),
    default=config_default("max_results"),
    show_default=True,
    help="Rows (or triples) a SPARQL result may have.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=config_default("workers"),
    show_default=True,
    help="SPARQL worker processes (queries run in parallel up to this many).",
)
@click.option(
    "--worker-memory",
    type=click.IntRange(min=0),
    default=config_default("worker_memory"),
    show_default=True,
    help="Address-space limit of each SPARQL worker in MiB (0: none).",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=config_default("max_body"),
    show_default=True,
    help="Largest request body in bytes.",
)
@click.option(
    "--max-query-length",
    type=click.IntRange(min=100),
    default=config_default("max_query_length"),
    show_default=True,
    help="Longest SPARQL query in characters.",
)
@click.option(
    "--cache-seconds",
    type=click.IntRange(min=0),
    default=config_default("cache_seconds"),
    show_default=True,
    help="Cache-Control max-age of figures, pages and results.",
)
@click.option(
    "--head-timeout",
    type=click.FloatRange(min=0.1),
    default=HEAD_TIMEOUT,
    show_default=True,
    help="Seconds a client may take to send a whole request head (from connecting, or after a response).",
)
@click.option(
    "--keep-alive",
    type=click.FloatRange(min=0.1),
    default=KEEP_ALIVE,
    show_default=True,
    help="Seconds an idle keep-alive connection is kept open after a response.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=MAX_CONNECTIONS,
    show_default=True,
    help="Open connections at most; over it, the one waiting longest for a request head is closed.",
)
@click.option(
    "--no-sandbox",
    is_flag=True,
    help="Run query workers WITH network access when this system cannot sandbox them (unsafe in "
    "public: only the lexical check then keeps SERVICE out).",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
def serve_command(
    store_dir: Path,
    host: str,
    port: int,
    base: str,
    void_file: Path | None,
    timeout: float,
    max_results: int,
    workers: int,
    worker_memory: int,
    max_body: int,
    max_query_length: int,
    cache_seconds: int,
    head_timeout: float,
    keep_alive: float,
    max_connections: int,
    no_sandbox: bool,
    log_level: str,
) -> None:
    """Serve a store: figure pages and data at their IRIs, /void, and a read-only SPARQL endpoint.

    \b
    pfocr-ld load output/ --store pfocr-store
    pfocr-ld serve --store pfocr-store --port 8080
    curl -H 'Accept: text/turtle' http://127.0.0.1:8080/figures/PMC3376449__fonc-02-00062-g001.html
    curl 'http://127.0.0.1:8080/sparql' --data-urlencode 'query=SELECT * WHERE { ?s ?p ?o } LIMIT 3'
    """
    import uvicorn

    if no_sandbox:
        click.echo("warning: --no-sandbox: query workers can open network connections", err=True)
    else:
        # Fail closed, with one line, before anything listens: the workers would not start anyway.
        try:
            sandbox.probe()
        except sandbox.SandboxError as error:
            raise click.ClickException(
                f"cannot cut the query workers off from the network here ({error}); refusing to serve. "
                "Install libseccomp (Debian: libseccomp2), or pass --no-sandbox for a private server"
            ) from error
    try:
        app = create_app(
            store_dir,
            base,
            void_file=void_file,
            timeout=timeout,
            max_results=max_results,
            workers=workers,
            worker_memory=worker_memory,
            max_body=max_body,
            max_query_length=max_query_length,
            cache_seconds=cache_seconds,
            sandbox=not no_sandbox,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    path = urlsplit(base).path
    click.echo(
        f"serving {store_dir} at http://{host}:{port}/ (figures under {path}, SPARQL at /sparql)", err=True
    )
    server = uvicorn.Server(
        uvicorn_config(
            app,
            log_level=log_level,
            head_timeout=head_timeout,
            keep_alive=keep_alive,
            max_connections=max_connections,
            host=host,
            port=port,
        )
    )
    server.run()
    if not server.started:
        sys.exit(3)  # as uvicorn.run: startup failed (the reason is logged)
