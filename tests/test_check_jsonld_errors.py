"""check-jsonld's library errors are :class:`pfocr_ld.errors.PfocrLdError`, not command-line exceptions.

Python callers of :func:`check_path` or :func:`load_against` catch ``PfocrLdError``; the command line
turns them into exit status 2 (an unreadable input), whichever process raised them.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pfocr_ld.check_jsonld import InputError, ShapesNotFoundError, check_path, load_against
from pfocr_ld.cli import main
from pfocr_ld.errors import PfocrLdError

DATA = Path(__file__).resolve().parent / "data" / "jsonld"


@pytest.mark.parametrize("error_type", [InputError, ShapesNotFoundError])
def test_library_errors_are_pfocr_ld_errors_not_click_exceptions(error_type: type[Exception]) -> None:
    error = error_type("x.jsonld: gone")
    assert isinstance(error, PfocrLdError)
    assert not isinstance(error, click.ClickException)
    assert error.exit_code == 2  # type: ignore[attr-defined]
    # raised in a worker process, the error comes back through a pickle intact
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is error_type and str(again) == "x.jsonld: gone"


def test_unparsable_against_graph_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("this is not turtle <")
    with pytest.raises(InputError, match=r"broken\.ttl: not readable as Turtle"):
        load_against(broken)
    with pytest.raises(InputError, match="not readable as Turtle"):
        load_against("@prefix : <")
    with pytest.raises(InputError, match=r"broken\.ttl"):
        check_path(DATA / "valid-dataset.jsonld", against=broken)


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(PfocrLdError, match=r"nothing-here\.jsonld: no such file"):
        check_path(tmp_path / "nothing-here.jsonld")


def test_cli_exit_two_and_the_file_named_for_an_unreadable_input(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonld"
    os.mkfifo(fifo)  # reading it would block: the checker refuses it as not a regular file
    result = CliRunner().invoke(main, ["check-jsonld", str(fifo), "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert "pipe.jsonld" in result.output
    assert "Traceback" not in result.output
