"""A release says what changed against the previous one (changes.json, the terminal's line) and
void.ttl links the previous version (issue 16 §1)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import orjson
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pfocr_ld import vocab
from pfocr_ld.build import BuildOptions, build, build_command
from pfocr_ld.changes import PreviousState, compare

T = vocab.T
SAMPLE = Path(__file__).parent.parent / "examples" / "pfocr-sample"

CHANGED = "PMC100003__mb2410470011"  # its title changes
REMOVED = "PMC100028__ii1110348001"  # its files are deleted
INVALID = "PMC10017456__fpls-14-1084358-g002"  # gets an invalid PMC id: rejected, figid known
BROKEN = "PMC10025411__fncel-17-1105247-g0001"  # not YAML any more: rejected, figid from the file name
ADDED = "PMC999999__new-figure"  # a copy of COPIED under a new figid
COPIED = "PMC10029719__cs3c00075_0011"


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _copy_sample(target: Path) -> Path:
    shutil.copytree(SAMPLE, target)
    return target


def _edit(corpus: Path) -> None:
    figures = corpus / "_figures"
    record = figures / f"{CHANGED}.md"
    text = record.read_text()
    record.write_text(re.sub(r"^figtitle: .*$", "figtitle: A corrected title", text, count=1, flags=re.M))
    (figures / f"{REMOVED}.md").unlink()
    for table in (corpus / "_data").glob(f"{REMOVED}-*.tsv"):
        table.unlink()
    record = figures / f"{INVALID}.md"
    record.write_text(re.sub(r"^pmcid: .*$", "pmcid: not-a-pmcid", record.read_text(), count=1, flags=re.M))
    (figures / f"{BROKEN}.md").write_text("---\nfigid: [unclosed\n---\n")
    text = (figures / f"{COPIED}.md").read_text().replace(COPIED, ADDED)
    (figures / f"{ADDED}.md").write_text(text)
    for table in (corpus / "_data").glob(f"{COPIED}-*.tsv"):
        shutil.copy(table, table.with_name(table.name.replace(COPIED, ADDED)))


def _changes(out: Path) -> dict:
    return orjson.loads((out / "changes.json").read_bytes())


def _version(out: Path) -> tuple[str, list[str], list[str]]:
    store = ox.Store()
    store.load(path=str(out / "void.ttl"), format=ox.RdfFormat.TURTLE)
    (version,) = [
        q.subject for q in store.quads_for_pattern(None, ox.NamedNode(T.pav["version"]), None, None)
    ]
    previous = [
        q.object.value
        for q in store.quads_for_pattern(version, ox.NamedNode(T.pav["previousVersion"]), None, None)
    ]
    downloads = sorted(
        q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(T.dcat["downloadURL"]), None, None)
    )
    return version.value, previous, downloads


def test_first_release_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        build_command, [str(SAMPLE), "--out", str(tmp_path / "out"), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "changes: the first release (55 figures, all new)" in result.output
    changes = _changes(tmp_path / "out")
    figids = sorted(p.stem for p in (SAMPLE / "_figures").glob("*.md"))
    assert changes["previous_release"] is None and changes["previous_version"] is None
    assert "first release" in changes["note"]
    assert changes["added"] == figids
    assert changes["removed"] == changes["rejected"] == changes["changed"] == []
    assert changes["counts"] == {"published": 55, "added": 55, "removed": 0, "changed": 0, "rejected": 0}
    _, previous, _ = _version(tmp_path / "out")
    assert previous == []
    manifest = orjson.loads(
        next((tmp_path / "out" / ".pfocr-ld" / "releases").iterdir()).joinpath("manifest.json").read_bytes()
    )
    assert sorted(manifest["digests"]) == figids
    assert "changes.json" in manifest["files"]


def test_rebuild_lists_each_change_exactly(tmp_path: Path) -> None:
    corpus, out = _copy_sample(tmp_path / "corpus"), tmp_path / "out"
    build(BuildOptions([corpus], out, workers=2))
    first_version, _, first_downloads = _version(out)
    _edit(corpus)
    result = CliRunner().invoke(build_command, [str(corpus), "--out", str(out), "--workers", "2"])
    assert result.exit_code == 1, result.output  # two records rejected
    assert (
        "changes against release 1: 1 added, 1 removed, 1 changed, 2 previously published now rejected"
        in result.output
    )
    changes = _changes(out)
    assert changes["previous_release"] == "1"
    assert changes["previous_version"] == first_version
    assert changes["added"] == [ADDED]
    assert changes["removed"] == [REMOVED]
    assert changes["changed"] == [CHANGED]
    assert [r["figid"] for r in changes["rejected"]] == sorted([INVALID, BROKEN])
    by_figid = {r["figid"]: r for r in changes["rejected"]}
    assert by_figid[INVALID]["field"] == "pmcid"
    assert by_figid[BROKEN]["file"].endswith(f"{BROKEN}.md")
    assert changes["counts"] == {"published": 53, "added": 1, "removed": 1, "changed": 1, "rejected": 2}

    version, previous, downloads = _version(out)
    assert version != first_version  # same day, different content: a different version IRI
    assert previous == [first_version]
    assert set(downloads).isdisjoint(first_downloads)


def test_changed_means_published_content(tmp_path: Path) -> None:
    """A record edited in a way that does not change what it publishes (a comment-like field the
    mapping ignores) is not "changed"; a change in a shared node's description it links is."""
    corpus, out = _copy_sample(tmp_path / "corpus"), tmp_path / "out"
    build(BuildOptions([corpus], out, workers=1))
    record = corpus / "_figures" / f"{CHANGED}.md"
    record.write_text(record.read_text().replace("seo: CreativeWork", "seo: Something else"))
    build(BuildOptions([corpus], out, workers=1))
    assert _changes(out)["changed"] == []
    # The paper's title is shared by every figure of the paper: each of them changed.
    record.write_text(
        record.read_text().replace("Neuropeptide-Induced Androgen", "Neuropeptide-induced androgen")
    )
    build(BuildOptions([corpus], out, workers=1))
    same_paper = sorted(p.stem for p in (corpus / "_figures").glob("PMC100003__*.md"))
    assert _changes(out)["changed"] == same_paper


def test_unchanged_rebuild_keeps_its_version_and_link(tmp_path: Path) -> None:
    corpus, out = _copy_sample(tmp_path / "corpus"), tmp_path / "out"
    build(BuildOptions([corpus], out, workers=1))
    first, _, _ = _version(out)
    _edit(corpus)
    build(BuildOptions([corpus], out, workers=1))
    second, previous, _ = _version(out)
    assert previous == [first]
    build(BuildOptions([corpus], out, workers=1))
    third, previous, _ = _version(out)
    assert third == second  # the same content the same day is the same version…
    assert previous == [first]  # …which keeps its link, never a link to itself
    changes = _changes(out)
    assert changes["previous_release"] == "2"
    assert changes["added"] == changes["removed"] == changes["changed"] == changes["rejected"] == []


def test_changes_are_deterministic(tmp_path: Path) -> None:
    """Two folders built from the same inputs, in the same sequence, hold byte-identical releases
    (whatever the worker count and batch size)."""
    corpus = _copy_sample(tmp_path / "corpus")
    runs = {"a": (1, 250), "b": (2, 7)}
    firsts = {}
    for name, (workers, batch) in runs.items():
        build(BuildOptions([corpus], tmp_path / name, workers=workers, batch_size=batch))
        firsts[name] = (tmp_path / name / "changes.json").read_bytes()
    _edit(corpus)
    outputs = {}
    for name, (workers, batch) in runs.items():
        build(BuildOptions([corpus], tmp_path / name, workers=workers, batch_size=batch))
        release = tmp_path / name / ".pfocr-ld" / "current"
        outputs[name] = [(release / n).read_bytes() for n in ("changes.json", "void.ttl", "manifest.json")]
    assert firsts["a"] == firsts["b"]
    assert outputs["a"] == outputs["b"]
    assert orjson.loads(outputs["a"][0])["changed"] == [CHANGED]


def test_previous_release_without_digests(tmp_path: Path) -> None:
    """A release written before digests were kept: added, removed and rejected are still known;
    changed is unknown and says so."""
    corpus, out = _copy_sample(tmp_path / "corpus"), tmp_path / "out"
    build(BuildOptions([corpus], out, workers=1))
    manifest_path = out / ".pfocr-ld" / "current" / "manifest.json"
    manifest = orjson.loads(manifest_path.read_bytes())
    first = manifest.pop("version")
    del manifest["digests"], manifest["previous_version"]
    manifest_path.write_bytes(orjson.dumps(manifest))
    _edit(corpus)
    result = CliRunner().invoke(build_command, [str(corpus), "--out", str(out), "--workers", "1"])
    assert "1 added, 1 removed, ? changed (no digests in the previous release), 2 previously" in result.output
    changes = _changes(out)
    assert changes["changed"] is None and changes["counts"]["changed"] is None
    assert "no figure digests" in changes["note"]
    assert changes["added"] == [ADDED] and changes["removed"] == [REMOVED]
    _, previous, _ = _version(out)
    assert previous == [first]  # read from the previous release's void.ttl


_FIGIDS = st.sampled_from([f"PMC{i}__f{i}" for i in range(12)])
_DIGESTS = st.dictionaries(_FIGIDS, st.sampled_from(["a", "b"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    before=_DIGESTS,
    after=_DIGESTS,
    rejected=st.lists(_FIGIDS, max_size=6),
    by_file=st.booleans(),
    digests_kept=st.booleans(),
)
def test_every_figure_is_in_exactly_one_list(
    before: dict[str, str], after: dict[str, str], rejected: list[str], by_file: bool, digests_kept: bool
) -> None:
    """Whatever the two releases hold: the lists are sorted and disjoint, the previous release's
    figures are exactly removed + rejected + changed + unchanged, the new one's added + changed +
    unchanged; a rejected figure that is published anyway (a duplicate figid) is not "rejected"."""
    previous = PreviousState("1", sorted(before), dict(before) if digests_kept else None, None, None)
    problems = [
        {"file": f"_figures/{f}.md", "field": "pmcid", "reason": "bad"}
        if by_file
        else {"figid": f, "file": "x"}
        for f in rejected
    ]
    changes = compare(previous, after, problems)
    lists = [changes.added, changes.removed, [r["figid"] for r in changes.rejected], changes.changed or []]
    for names in lists:
        assert names == sorted(set(names))
    assert sum(map(len, lists)) == len(set().union(*map(set, lists)))
    unchanged = set(before) & set(after) - set(changes.changed or [])
    assert set(changes.removed) | {r["figid"] for r in changes.rejected} == set(before) - set(after)
    assert {r["figid"] for r in changes.rejected} == (set(before) - set(after)) & set(rejected)
    assert set(changes.added) | set(changes.changed or []) | unchanged == set(after)
    if digests_kept:
        assert changes.changed == sorted(f for f in set(before) & set(after) if before[f] != after[f])
    else:
        assert changes.changed is None


@pytest.mark.parametrize(
    "damage", [{"digests": ["not", "a", "map"]}, {"digests": {"PMC1__x": 5}, "version": 7}, {"version": None}]
)
def test_a_damaged_manifest_never_stops_the_build(tmp_path: Path, damage: dict) -> None:
    corpus, out = _copy_sample(tmp_path / "corpus"), tmp_path / "out"
    build(BuildOptions([corpus], out, workers=1))
    first, _, _ = _version(out)
    manifest_path = out / ".pfocr-ld" / "current" / "manifest.json"
    manifest_path.write_bytes(orjson.dumps({**orjson.loads(manifest_path.read_bytes()), **damage}))
    _edit(corpus)
    report = build(BuildOptions([corpus], out, workers=1))
    assert report.published == 53
    changes = _changes(out)
    assert changes["added"] == [ADDED] and changes["removed"] == [REMOVED]
    if isinstance(damage.get("digests"), dict):
        assert changes["changed"] == sorted(set(changes["changed"]))  # every figure "changed": no digest
        assert CHANGED in changes["changed"] and len(changes["changed"]) == 52
    elif "digests" in damage:
        assert changes["changed"] is None
    _, previous, _ = _version(out)
    assert previous == [first]  # the version read from void.ttl when the manifest's is unusable
