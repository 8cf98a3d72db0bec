"""Shared fixtures: the bundled sample and one build of it, made once per test session.

The build, its store and its server are shared by every module that only reads them (a test
that changes a build or a store builds or copies its own, in its ``tmp_path``). The build runs
with SHACL validation on, as a user's ``pfocr-ld build``: its published files are byte for byte
those of a build without validation (only report.json's validation figures differ).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from serving import MAX_RESULTS, TIMEOUT, Served

from pfocr_ld.build import BuildOptions, BuildReport, build

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"
HER2 = "PMC3376449__fonc-02-00062-g001"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildReport]:
    """The sample built once, with validation on, as a user's `pfocr-ld build` would."""
    out = tmp_path_factory.mktemp("sample-build")
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    report = build(BuildOptions([SAMPLE], out, workers=2))
    return out, report


@pytest.fixture(scope="session")
def sample_store_dir(
    sample_build: tuple[Path, BuildReport], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The sample build loaded into an on-disk store, as `pfocr-ld build --store` would (read-only users)."""
    from pfocr_ld.store import load_build_output

    out, _ = sample_build
    folder = tmp_path_factory.mktemp("sample-store") / "store"
    load_build_output(out, folder)
    return folder


@pytest.fixture(scope="session")
def build_dir(sample_build: tuple[Path, BuildReport]) -> Path:
    """The sample's build folder, read-only (see :func:`sample_build`)."""
    return sample_build[0]


@pytest.fixture(scope="session")
def sample_store(sample_build: tuple[Path, BuildReport], sample_store_dir: Path) -> tuple[Path, Path]:
    """The sample's build folder and its store (what `pfocr-ld serve` tests serve), both read-only."""
    out, report = sample_build
    assert report.published == 55
    return out, sample_store_dir


@pytest.fixture(scope="session")
def served(sample_store: tuple[Path, Path]) -> Iterator[Served]:
    """`pfocr-ld serve` on the sample store (tests/serving.py's limits), one server for the session."""
    from pfocr_ld.serve import running_server

    out, store = sample_store
    with running_server(store, timeout=TIMEOUT, max_results=MAX_RESULTS, workers=2) as running:
        yield Served(running.url, out, store, running.server)


ReleaseReader = Callable[[Path], dict[str, bytes]]


def _release_files(root: Path) -> dict[str, bytes]:
    """The files a reader finds through the documented names of a build folder (symlinks followed,
    the tool's .pfocr-ld/ folder aside), by path relative to it."""
    found: dict[str, bytes] = {}
    for folder, folders, files in os.walk(root, followlinks=True):
        if Path(folder) == root:
            folders[:] = [name for name in folders if name != ".pfocr-ld"]
        for name in files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = path.read_bytes()
    return dict(sorted(found.items()))


@pytest.fixture(scope="session")
def release_files() -> ReleaseReader:
    """:func:`_release_files`, for tests that compare whole releases."""
    return _release_files
