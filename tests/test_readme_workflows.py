"""The README's workflows, run exactly as written.

Every ```sh block of the README's "Workflows" section runs in one temporary folder, in order, with
`bash -e`, where `pfocr-site` is a copy of the bundled sample and `pfocr-ld` is this checkout's
command. A README claim is a test: if a command there stops working, this fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"


def workflow_blocks() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Workflows\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def test_the_workflows_section_has_the_three_workflows() -> None:
    blocks = workflow_blocks()
    assert len(blocks) == 3
    assert "update-site" in blocks[0] and "enrich" in blocks[1] and "--describe" in blocks[2]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workflows")
    shutil.copytree(SAMPLE, folder / "pfocr-site")
    return folder


def run_block(block: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    prelude = f'pfocr-ld() {{ "{sys.executable}" -m pfocr_ld.cli "$@"; }}\n'
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1767225600"}
    return subprocess.run(
        ["bash", "-e", "-c", prelude + block], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_curators_release(workspace: Path) -> None:
    record = workspace / "pfocr-site" / "_figures" / "PMC3376449__fonc-02-00062-g001.md"
    assert "name: CreativeWork" in record.read_text(encoding="utf-8")
    result = run_block(workflow_blocks()[0], workspace)
    assert result.returncode == 0, result.stderr
    release = workspace / "releases" / "current"
    assert (release / "pfocr.ttl").is_file() and (workspace / "pfocr-store").is_dir()
    assert "55 of 55 records published" in result.stderr
    assert "changes: the first release (55 figures, all new)" in result.stderr
    assert (release / "changes.json").is_file()
    assert "55 would update" in result.stderr and "55 updated" in result.stderr
    assert "name: CreativeWork" not in record.read_text(encoding="utf-8")


def test_researchers_gene_list(workspace: Path) -> None:
    result = run_block(workflow_blocks()[1], workspace)
    assert result.returncode == 0, result.stderr
    assert "PMC3376449__fonc-02-00062-g001" in result.stdout  # the HER2 figure names all four genes
    gmt = (workspace / "pfocr-human.gmt").read_text(encoding="utf-8").splitlines()
    assert gmt and all(len(line.split("\t")) >= 5 for line in gmt)  # figid, title, at least 3 genes
    symbols = (workspace / "pfocr-human-symbols.gmt").read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[:2] for line in symbols] == [line.split("\t")[:2] for line in gmt]
    her2 = next(line.split("\t") for line in symbols if line.startswith("PMC3376449__fonc-02-00062-g001"))
    assert {"ERBB2", "EGFR", "AKT1"} <= set(her2[2:])  # --members symbol: symbols, not ids


def test_developer_finding_the_model(workspace: Path) -> None:
    result = run_block(workflow_blocks()[2], workspace)
    assert result.returncode == 0, result.stderr
    assert "figures-for-gene" in result.stdout and "gene-sets" in result.stdout
    assert "PREFIX" in result.stdout  # --describe shows the query text
    assert result.stdout.count("PMC") >= 3
