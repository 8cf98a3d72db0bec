"""Packaging habits (issue 17 §5): one version source, a typed package, test-only dependencies
kept out of the runtime ones, a changelog naming the version, mypy run by CI."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from click.testing import CliRunner

import pfocr_ld
from pfocr_ld.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself needs tomli before Python 3.11
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_written_once() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "pfocr_ld/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", pfocr_ld.__version__)
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and pfocr_ld.__version__ in result.output


def test_the_changelog_names_the_version() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.MULTILINE)
    assert versions and versions[0] == pfocr_ld.__version__  # the newest release section


def test_the_package_is_typed_and_ships_the_marker() -> None:
    assert (REPO / "pfocr_ld" / "py.typed").is_file()
    # the wheel ships every file of the package folder, the marker with it
    assert PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["pfocr_ld"]
    mypy = PYPROJECT["tool"]["mypy"]
    assert mypy["check_untyped_defs"] and mypy["warn_unused_ignores"]
    assert "python3 -m mypy pfocr_ld" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~; \[]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_test_only_dependencies_stay_out_of_the_runtime_ones() -> None:
    runtime = _names(PYPROJECT["project"]["dependencies"])
    test = _names(PYPROJECT["project"]["optional-dependencies"]["test"])
    imported = set().union(*(_imported(path) for path in (REPO / "pfocr_ld").rglob("*.py")))
    for name in ("psutil", "mypy", "pytest", "hypothesis", "playwright", "scipy"):
        assert name in test and name not in runtime, name
        assert name not in imported, f"pfocr_ld imports {name}, a test-only dependency"
