"""One error hierarchy: the library raises PfocrLdErrors (never click exceptions); the CLI maps them.

Python callers of ``run_named``, ``open_source``, ``RemoteSource`` or the store catch
:class:`~pfocr_ld.errors.PfocrLdError`; ``pfocr-ld`` prints its message as one line and exits with
its ``exit_code``.
"""

from __future__ import annotations

import socket
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pfocr_ld import cli
from pfocr_ld.errors import EndpointError, ParameterError, PfocrLdError, QueryError
from pfocr_ld.query import open_source, run_named
from pfocr_ld.release import ReleaseRefused, ReleaseWriteError
from pfocr_ld.remote import RemoteSource
from pfocr_ld.store import PublishError, PublishRefused, StoreError, open_store
from pfocr_ld.store_sync import SyncError

ERRORS = [
    QueryError,
    ParameterError,
    EndpointError,
    StoreError,
    PublishRefused,
    PublishError,
    SyncError,
    ReleaseRefused,
    ReleaseWriteError,
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.__name__)
def test_library_errors_are_pfocr_ld_errors_and_not_click_exceptions(error: type[Exception]) -> None:
    assert issubclass(error, PfocrLdError)
    assert not issubclass(error, click.ClickException)
    assert error.exit_code in (1, 2)  # type: ignore[attr-defined]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_library_calls_raise_pfocr_ld_errors(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="give exactly one of"):
        open_source()
    dump = tmp_path / "one.nt"
    dump.write_text("<http://x/s> <http://x/p> <http://x/o> .\n")
    with open_source(data=dump) as source:
        with pytest.raises(QueryError, match="no-such-query"):
            run_named(source, "no-such-query")
        with pytest.raises(ParameterError):
            run_named(source, "figures-for-gene", gene="7099", limit=0)
    endpoint = f"http://127.0.0.1:{_closed_port()}/sparql"
    with RemoteSource(endpoint, timeout=5) as remote, pytest.raises(EndpointError) as caught:
        remote.execute("ASK { }")
    assert caught.value.exit_code == 1
    not_a_store = tmp_path / "file"
    not_a_store.write_text("x")
    with pytest.raises(StoreError):
        open_store(not_a_store, read_only=True)


@click.command("boom")
@click.option("--code", type=int, default=2)
def boom_command(code: int) -> None:
    raise PfocrLdError("first line\nsecond line", exit_code=code)


@pytest.mark.parametrize("code", [1, 2, 3])
def test_the_cli_maps_a_library_error_to_one_line_and_its_exit_status(
    monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    monkeypatch.setitem(cli.COMMANDS, "boom", (__name__, "boom_command"))
    result = CliRunner().invoke(cli.main, ["boom", "--code", str(code)])
    assert result.exit_code == code
    assert result.output.strip() == "Error: first line second line"
    assert not isinstance(result.exception, PfocrLdError)  # turned into click's exit, no traceback


def test_real_commands_exit_with_the_library_error_status(tmp_path: Path) -> None:
    dump = tmp_path / "one.nt"
    dump.write_text("<http://x/s> <http://x/p> <http://x/o> .\n")
    runner = CliRunner()
    unknown = runner.invoke(cli.main, ["query", "no-such-query", "--data", str(dump)])
    assert unknown.exit_code == 2 and "no-such-query" in unknown.output
    # through the sandboxed child process: its PfocrLdError is relayed with its status
    syntax = runner.invoke(cli.main, ["query", "-e", "SELEC * WHERE {}", "--data", str(dump)])
    assert syntax.exit_code == 2 and "SPARQL syntax error" in syntax.output
    endpoint = f"http://127.0.0.1:{_closed_port()}/sparql"
    down = runner.invoke(cli.main, ["query", "-e", "ASK {}", "--endpoint", endpoint, "--timeout", "5"])
    assert down.exit_code == 1 and "127.0.0.1" in down.output
