"""The ``pfocr-ld load`` and ``pfocr-ld publish`` commands: options, checks and summaries.

The work is :mod:`pfocr_ld.store`'s (loading, publishing a whole graph) and
:mod:`pfocr_ld.store_sync`'s (``load --sync``, ``publish --incremental``); the commands sit above
both, so neither imports the other back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pfocr_ld.auth import (
    PASSWORD_ENV,
    SCHEMES,
    USER_ENV,
    Scheme,
    resolve_credentials,
    split_credentials,
)
from pfocr_ld.publish_sync import publish_incremental
from pfocr_ld.release import DEFAULT_SHRINK_LIMIT
from pfocr_ld.store import DumpFile, check_iri, is_build_output, load_dumps, open_store, publish
from pfocr_ld.store_sync import sync_store


# Commands --------------------------------------------------------------------------------------
@click.command("load")
@click.argument("dumps", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--store",
    "store_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the persistent store (created when missing).",
)
@click.option("--graph", default=None, help="Load into this named graph instead of the default graph.")
@click.option(
    "--lenient", is_flag=True, help="Skip IRI validation while parsing (faster, for trusted dumps)."
)
@click.option(
    "--count/--no-count",
    default=True,
    show_default=True,
    help="Count the store's quads before and after (a full scan: seconds on a 30M-quad store).",
)
@click.option(
    "--sync",
    is_flag=True,
    help="Make the store hold exactly the release of one `pfocr-ld build` folder: what the release no "
    "longer holds is deleted, changed figures are replaced, only what changed is written (what "
    "`build --store` does).",
)
def load_command(
    dumps: tuple[Path, ...], store_dir: Path, graph: str | None, lenient: bool, count: bool, sync: bool
) -> None:
    """Bulk-load RDF dumps into a persistent Oxigraph store.

    DUMPS are Turtle, N-Triples or N-Quads files (optionally .gz), JSON-LD files, folders of them, or
    a `pfocr-ld build` output folder (its pfocr.nt.gz and void.ttl are loaded). The store is a set
    of quads: loading the same dump again adds nothing, and loading never deletes. With --sync
    (DUMPS: one build folder) the store becomes that release instead, in one transaction.
    """
    if sync:
        if len(dumps) != 1 or not dumps[0].is_dir() or not is_build_output(dumps[0]):
            raise click.UsageError("--sync takes exactly one `pfocr-ld build` output folder")
        if graph is not None:
            check_iri(graph, "--graph")
        click.echo(sync_store(dumps[0], store_dir, graph=graph).summary(), err=True)
        return
    store = open_store(store_dir)

    def progress(dump: DumpFile, seconds: float) -> None:
        click.echo(f"  {dump.path} ({seconds:.1f}s)", err=True)

    report = load_dumps(store, dumps, graph=graph, lenient=lenient, on_file=progress, count=count)
    click.echo(report.summary(counted=count), err=True)


@click.command("publish")
@click.argument("dumps", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--endpoint",
    default=None,
    help="SPARQL query endpoint (…/query or …/sparql); used to derive "
    "the Graph Store endpoint and to count the graph afterwards.",
)
@click.option(
    "--store-endpoint",
    default=None,
    help="Graph Store HTTP Protocol endpoint (default: --endpoint with /query or /sparql "
    "replaced by /store, Oxigraph's layout).",
)
@click.option("--graph", default=None, help="IRI of the named graph to replace.")
@click.option("--default-graph", is_flag=True, help="Replace the default graph instead of a named graph.")
@click.option(
    "--timeout", type=float, default=300.0, show_default=True, help="Seconds to wait for the server."
)
@click.option(
    "--shrink-limit",
    type=click.FloatRange(min=0.0, max=1.0),
    default=DEFAULT_SHRINK_LIMIT,
    show_default=True,
    help="Refuse (exit 2) to replace a graph by fewer triples than this fraction of what it holds "
    "(by none, always), unless --force.",
)
@click.option("--force", is_flag=True, help="Replace the graph without counting it first.")
@click.option(
    "--user",
    default=None,
    metavar="NAME",
    help=f"User to authenticate as (default: ${USER_ENV}, else the user of a user:password@ URL).",
)
@click.option(
    "--password-env",
    default=None,
    metavar="VAR",
    help=f"Read the password from this environment variable (default: ${PASSWORD_ENV}; on a terminal "
    "without either, a hidden prompt). There is no --password: a command line is visible to every user.",
)
@click.option(
    "--auth",
    "auth_scheme",
    type=click.Choice(SCHEMES),
    default="digest",
    show_default=True,
    help="HTTP authentication scheme: digest (Virtuoso's /sparql-graph-crud-auth; the password is "
    "never sent) or basic (sent with every request: use HTTPS).",
)
@click.option(
    "--incremental",
    is_flag=True,
    help="DUMPS is one `pfocr-ld build` folder: send only what changed since its last publish to this "
    "graph (one SPARQL Update), when the graph provably holds that release (its version and triple "
    "count); otherwise replace the graph as without this option, and say why.",
)
@click.option(
    "--update-endpoint",
    default=None,
    help="SPARQL Update endpoint for --incremental (default: --endpoint with /query replaced by /update, "
    "Oxigraph's layout; a /sparql endpoint is used as it is).",
)
def publish_command(
    dumps: tuple[Path, ...],
    endpoint: str | None,
    store_endpoint: str | None,
    graph: str | None,
    default_graph: bool,
    timeout: float,
    shrink_limit: float,
    force: bool,
    user: str | None,
    password_env: str | None,
    auth_scheme: Scheme,
    incremental: bool,
    update_endpoint: str | None,
) -> None:
    """Replace a graph on a SPARQL server with DUMPS (Graph Store HTTP Protocol PUT).

    Gzipped dumps are decompressed while they stream; Turtle and JSON-LD are converted to N-Triples
    on the way. The graph's previous triples are dropped, so re-publishing leaves nothing stale.
    Exit status 1 when the server refuses the upload, 2 on a usage error or when the upload would
    shrink the graph below --shrink-limit (nothing is sent).

    A server that asks for a password (Virtuoso's /sparql-graph-crud-auth) gets --user and the
    password from $PFOCR_LD_PASSWORD (or --password-env VAR), with --auth digest or basic; every
    request to the store endpoint's host carries them (the counts before and after, the upload).
    No message prints a password; credentials in a URL are taken out of it and used.

    With --incremental, DUMPS is one build folder and only the figures changed since its last
    publish to this graph are sent, as one SPARQL Update, when the graph still holds that release.
    """
    if (graph is None) == (not default_graph):
        raise click.UsageError("give exactly one of --graph IRI or --default-graph")
    urls, credentials = resolve_credentials(
        {"--endpoint": endpoint, "--store-endpoint": store_endpoint},
        user=user,
        password_env=password_env,
        scheme=auth_scheme,
    )
    endpoint, store_endpoint = urls["--endpoint"], urls["--store-endpoint"]
    common: dict[str, Any] = {
        "endpoint": endpoint,
        "store_endpoint": store_endpoint,
        "graph": graph,
        "timeout": timeout,
        "force": force,
        "shrink_limit": shrink_limit,
        "credentials": credentials,
        "auth_scheme": auth_scheme,
    }
    if incremental:
        if len(dumps) != 1 or not dumps[0].is_dir() or not is_build_output(dumps[0]):
            raise click.UsageError("--incremental takes exactly one `pfocr-ld build` output folder")
        if update_endpoint is not None:
            update_endpoint, _, _ = split_credentials(update_endpoint)
        remote = publish_incremental(dumps[0], update_endpoint=update_endpoint, **common)
        click.echo(remote.summary(), err=True)
        return
    report = publish(dumps, **common)
    click.echo(report.summary(), err=True)
