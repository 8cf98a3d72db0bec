"""`pfocr-ld update-site`: a release's schema.org blocks written into a PFOCR site checkout.

Claims: only the `schema-jsonld` block of a record changes (every other line stays byte for byte),
the written block reads back (YAML 1.1, as Jekyll reads it) as exactly the release's document, a
second run and a dry run write nothing, and the updated site passes the Bioschemas profile of
`check-jsonld` as the release's own documents do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pfocr_ld.records import split_front_matter
from pfocr_ld.site import BLOCK_KEY, rewrite_record


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pfocr_ld.cli", *args], capture_output=True, text=True, timeout=300
    )


def _front_matter(path: Path) -> dict:
    return yaml.safe_load(split_front_matter(path.read_text(encoding="utf-8")))


def _lines_outside_block(text: str) -> list[str]:
    kept, inside = [], False
    for line in text.splitlines():
        if line.startswith(f"{BLOCK_KEY}:"):
            inside = True
            continue
        if inside and (line[:1] in (" ", "-") and line != "---"):
            continue
        inside = False
        kept.append(line)
    return kept


def test_update_site_on_the_sample(sample_dir: Path, sample_build, tmp_path: Path) -> None:
    release, _ = sample_build
    site = tmp_path / "site"
    shutil.copytree(sample_dir, site)
    records = sorted((site / "_figures").glob("*.md"))
    originals = {path.name: path.read_bytes() for path in records}

    dry = _cli("update-site", str(release), str(site), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would update") == len(records)
    assert {path.name: path.read_bytes() for path in records} == originals

    run = _cli("update-site", str(release), str(site))
    assert run.returncode == 0, run.stderr
    assert f"{len(records)} updated, 0 unchanged" in run.stderr
    for path in records:
        before_text = originals[path.name].decode("utf-8")
        after_text = path.read_text(encoding="utf-8")
        assert _lines_outside_block(after_text) == _lines_outside_block(before_text), path.name
        before, after = yaml.safe_load(split_front_matter(before_text)), _front_matter(path)
        document = json.loads((release / "schemaorg" / f"{path.stem}.jsonld").read_text(encoding="utf-8"))
        assert after[BLOCK_KEY] == document
        assert {k: v for k, v in after.items() if k != BLOCK_KEY} == {
            k: v for k, v in before.items() if k != BLOCK_KEY
        }

    updated = {path.name: path.read_bytes() for path in records}
    again = _cli("update-site", str(release), str(site))
    assert again.returncode == 0
    assert f"0 updated, {len(records)} unchanged" in again.stderr
    assert {path.name: path.read_bytes() for path in records} == updated

    # the site now carries what the release carries: Bioschemas errors on the site's pages are
    # exactly those of the release's own schema.org documents
    site_check = _cli("check-jsonld", "--profile", "bioschemas", "--format", "json", str(site / "_figures"))
    release_check = _cli(
        "check-jsonld", "--profile", "bioschemas", "--format", "json", str(release / "schemaorg")
    )

    def errors(output: str) -> dict[str, list[str]]:
        return {
            Path(entry["document"].split("#")[0]).stem: sorted(
                finding["message"] for finding in entry["findings"] if finding["severity"] == "error"
            )
            for entry in json.loads(output)
        }

    assert errors(site_check.stdout) == errors(release_check.stdout)


def test_a_record_not_in_the_release_and_a_broken_record(sample_build, tmp_path: Path) -> None:
    release, _ = sample_build
    figures = tmp_path / "site" / "_figures"
    figures.mkdir(parents=True)
    (figures / "PMC0__unknown.md").write_text("---\nfigid: PMC0__unknown\n---\n", encoding="utf-8")
    figid = sorted((release / "schemaorg").glob("*.jsonld"))[0].stem
    broken = figures / f"{figid}.md"
    broken.write_text("---\nfigid: [unclosed\n---\n", encoding="utf-8")
    result = _cli("update-site", str(release), str(tmp_path / "site"))
    assert result.returncode == 1
    assert f"error: _figures/{figid}.md" in result.stderr
    assert "skipped _figures/PMC0__unknown.md" in result.stderr
    assert broken.read_text(encoding="utf-8") == "---\nfigid: [unclosed\n---\n"


def test_not_a_site_is_a_usage_error(sample_build, tmp_path: Path) -> None:
    release, _ = sample_build
    result = _cli("update-site", str(release), str(tmp_path))
    assert result.returncode == 2
    assert "_figures" in result.stderr


_scalars = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["NO", "On", "off", "yes", "~", "null", "2012", "2012-01-01", "a: b", "- x", "#c"]),
    st.integers(),
    st.booleans(),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_keys = st.text(alphabet="abcdefghij_-", min_size=1, max_size=8).filter(lambda k: k != BLOCK_KEY)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.dictionaries(_keys, _values, max_size=4),
    after=st.dictionaries(_keys, _values, max_size=4),
    old_block=st.none() | _values,
    document=st.dictionaries(st.text(min_size=1, max_size=10), _values, min_size=1, max_size=4),
)
def test_rewrite_keeps_every_other_field(before, after, old_block, document) -> None:
    fields = dict(before)
    if old_block is not None:
        fields[BLOCK_KEY] = old_block
    fields.update({key: value for key, value in after.items() if key not in fields})
    # block style, as every PFOCR record is written (an empty mapping would be dumped as "{}")
    body = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True) if fields else ""
    text = "---\n" + body + "---\n"
    fields = yaml.safe_load(split_front_matter(text)) or {}  # what the site reads, e.g. for "\x85"
    new_text = rewrite_record(text, document)
    if fields.get(BLOCK_KEY) == document:
        assert new_text is None
        return
    assert new_text is not None
    parsed = yaml.safe_load(split_front_matter(new_text))
    assert parsed[BLOCK_KEY] == document
    assert {k: v for k, v in parsed.items() if k != BLOCK_KEY} == {
        k: v for k, v in fields.items() if k != BLOCK_KEY
    }
    assert rewrite_record(new_text, document) is None


# Jekyll reads front matter with Ruby's Psych (YAML 1.1), not PyYAML: the site's own parser must see
# exactly the release's document in the block and every other field as before.
_PSYCH = r"""
require "yaml"
require "json"
require "date"
out = {}
ARGV.each do |path|
  text = File.read(path, encoding: "UTF-8")
  front = text.split(/^---[ \t]*$/, 3)[1]
  out[path] = YAML.safe_load(front, permitted_classes: [Date, Time])
end
puts JSON.generate(out)
"""


def _psych_front_matter(paths: list[Path]) -> dict[str, dict]:
    result = subprocess.run(
        ["ruby", "-e", _PSYCH, *map(str, paths)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(result.stdout)


def test_jekylls_yaml_reads_the_release_document(sample_dir: Path, sample_build, tmp_path: Path) -> None:
    release, _ = sample_build
    site = tmp_path / "site"
    shutil.copytree(sample_dir, site)
    records = sorted((site / "_figures").glob("*.md"))
    before = _psych_front_matter(records)
    assert _cli("update-site", str(release), str(site)).returncode == 0
    after = _psych_front_matter(records)
    for path in records:
        fields_before, fields_after = before[str(path)], after[str(path)]
        document = json.loads((release / "schemaorg" / f"{path.stem}.jsonld").read_text(encoding="utf-8"))
        assert fields_after[BLOCK_KEY] == document, path.name
        assert {k: v for k, v in fields_after.items() if k != BLOCK_KEY} == {
            k: v for k, v in fields_before.items() if k != BLOCK_KEY
        }, path.name
