"""The vendored W3C JSON-LD test suite is the upstream copy its README names.

``tests/data/jsonld-api-tests/README.md`` records the w3c/json-ld-api commit the copy was taken from
and the SHA-256 of its manifests and shared context; this test reads that table and hashes the
files, so a manifest changed (or replaced by another version) without updating the record fails.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

SUITE = Path(__file__).resolve().parent / "data" / "jsonld-api-tests"
RECORDED = re.compile(r"^\| `([\w.-]+)` \| `([0-9a-f]{64})` \|$", re.MULTILINE)
COMMIT = re.compile(r"^- Commit: `([0-9a-f]{40})`", re.MULTILINE)


def test_the_readme_names_the_upstream_commit() -> None:
    readme = (SUITE / "README.md").read_text(encoding="utf-8")
    assert "https://github.com/w3c/json-ld-api" in readme
    assert COMMIT.search(readme), "the README must name the upstream commit (40 hex digits)"


def test_manifests_match_the_recorded_digests() -> None:
    recorded = dict(RECORDED.findall((SUITE / "README.md").read_text(encoding="utf-8")))
    manifests = {path.name for path in SUITE.glob("*-manifest.jsonld")}
    assert manifests == {"expand-manifest.jsonld", "toRdf-manifest.jsonld", "html-manifest.jsonld"}
    assert set(recorded) == manifests | {"context.jsonld"}  # every manifest has a recorded digest
    for name, digest in recorded.items():
        assert hashlib.sha256((SUITE / name).read_bytes()).hexdigest() == digest, name
