"""check-jsonld reads a record's front matter with the build's reader, limits included.

The plain ``SafeLoader`` it used before expands YAML aliases: a front matter of under a kilobyte
("billion laughs") became tens of millions of list items and the check never ended. The build's
:class:`pfocr_ld.records.RecordLoader` refuses anchors, aliases and non-core tags before building
anything; check-jsonld reports that as ``yaml-refused`` and goes on with the next file.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pfocr_ld.check_jsonld import FINDING_CODES, check_path, record_block

BOMB_LEVELS = "abcdefgh"


def _alias_bomb() -> str:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for previous, name in itertools.pairwise(BOMB_LEVELS):
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    return (
        "---\n"
        + "\n".join(lines)
        + '\nschema-jsonld:\n  "@context": "https://schema.org/"\n  "@type": Dataset\n  name: [*h, *h]\n---\n'
    )


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.md"
    bomb.write_text(_alias_bomb(), encoding="utf-8")
    clean = tmp_path / "clean.jsonld"
    clean.write_text('{"@context": "https://schema.org/", "@type": "Dataset", "name": "x"}', encoding="utf-8")
    started = time.perf_counter()
    reports = check_path(tmp_path)
    assert time.perf_counter() - started < 10
    by_name = {Path(report.document.split("#")[0]).name: report for report in reports}
    (refused,) = by_name["bomb.md"].findings
    assert (refused.code, refused.severity) == ("yaml-refused", "error")
    assert "anchors and aliases" in refused.message
    assert "yaml-refused" in FINDING_CODES
    # the rest of the input is still checked
    assert by_name["clean.jsonld"].findings == []


def test_a_python_tag_is_refused() -> None:
    text = '---\nschema-jsonld:\n  "@type": !!python/name:os.system Dataset\n---\n'
    block = record_block(text)
    assert block.document is None
    assert [f.code for f in block.findings] == ["yaml-refused"]


def test_positions_still_point_into_the_file() -> None:
    text = '---\ntitle: x\nschema-jsonld:\n  "@context": "https://schema.org/"\n  license: CC0\n---\n'
    block = record_block(text)
    assert block.document == {"@context": "https://schema.org/", "license": "CC0"}
    assert block.positions["$.license"] == (5, 3)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("&*ab:[]{},-\n !\"'x")), max_size=300))
def test_any_front_matter_gives_findings_never_an_exception(body: str) -> None:
    block = record_block(f"---\nschema-jsonld:\n  {body}\n---\n")
    assert all(finding.code in FINDING_CODES for finding in block.findings)
    if block.findings:
        assert block.document is None
