"""`build --out` deletes only what it wrote, and a release is switched atomically (issue 13, §2-3).

Every build here runs the real command in a subprocess (so it can be killed, stopped or run in a
mount namespace) on small corpora cut from the bundled sample. "One whole release" is checked by
reading the folder as a reader would and comparing three independent listings of its figures:
the jsonld/ and schemaorg/ file names and the figure subjects of pfocr.ttl, with report.json's count.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from serving import oxigraph_server

from pfocr_ld.store import PublishRefused, publish

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "pfocr-sample"
FIGURE_SUBJECT = re.compile(rb"^<[^>]*/figures/([^>#/]+)\.html> a ", re.MULTILINE)
DOCUMENTED = ("pfocr.ttl", "pfocr.nt.gz", "jsonld", "schemaorg", "void.ttl", "report.json", "context.jsonld")
DOCUMENTED += ("changes.json",)


def cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "pfocr_ld.cli", *map(str, args)]


def run(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli(*args), capture_output=True, text=True, timeout=timeout)


def build(source: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run("build", source, "--out", out, "--workers", "1", "--no-progress", *extra)


def corpus(root: Path, name: str, figures: slice) -> Path:
    """A copy of the sample with only ``figures`` (a slice of its sorted record files)."""
    target = root / name
    shutil.copytree(SAMPLE, target)
    records = sorted((target / "_figures").iterdir())
    keep = set(records[figures])
    for record in records:
        if record not in keep:
            record.unlink()
    return target


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("corpora")
    return {
        "A": corpus(root, "A", slice(0, 6)),  # 6 figures
        "B": corpus(root, "B", slice(3, 13)),  # 10 figures, 3 shared with A
        "one": corpus(root, "one", slice(20, 21)),
        "all": SAMPLE,
    }


def tree(root: Path) -> dict[str, str]:
    """Every entry below ``root`` (symlinks not followed): file digests, link targets, folders."""
    found: dict[str, str] = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = "-> " + os.readlink(path)
            elif path.is_dir():
                found[key] = "dir"
            else:
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def whole_release(folder: Path) -> frozenset[str]:
    """The figures of the release seen through ``folder``; fails unless its files agree."""
    report = json.loads((folder / "report.json").read_bytes())
    jsonld = {p.name.removesuffix(".jsonld") for p in (folder / "jsonld").iterdir()}
    schemaorg = {p.name.removesuffix(".jsonld") for p in (folder / "schemaorg").iterdir()}
    turtle = {m.decode() for m in FIGURE_SUBJECT.findall((folder / "pfocr.ttl").read_bytes())}
    assert jsonld == schemaorg == turtle, (sorted(jsonld ^ schemaorg), sorted(jsonld ^ turtle))
    assert report["published"] == len(jsonld)
    void = (folder / "void.ttl").read_text(encoding="utf-8")
    assert f'void:triples "{report["counts"]["triples"]}"' in void
    return frozenset(jsonld)


def live(out: Path) -> Path:
    return Path(os.path.realpath(out / ".pfocr-ld" / "current"))


def figures_of(source: Path) -> frozenset[str]:
    return frozenset(p.stem for p in (source / "_figures").iterdir())


# §2: only what it wrote ------------------------------------------------------------------------
@pytest.mark.parametrize("user_file", ["jsonld/my-own.jsonld", "schemaorg/keep.txt", "jsonld/sub/deep.json"])
def test_files_the_tool_did_not_write_are_named_and_nothing_changes(
    tmp_path: Path, corpora: dict[str, Path], user_file: str
) -> None:
    out = tmp_path / "out"
    assert build(corpora["A"], out).returncode == 0
    target = out / user_file
    target.parent.mkdir(parents=True, exist_ok=True)  # through the jsonld symlink: into the release
    target.write_text("mine", encoding="utf-8")
    before = tree(out)
    result = build(corpora["B"], out)
    assert result.returncode == 2, result.stderr
    first = user_file.split("/")[0] + ("/" + user_file.split("/")[1] if "/" in user_file else "")
    assert first in result.stderr and "did not write" in result.stderr
    assert tree(out) == before
    target.unlink()
    if target.parent.name == "sub":
        target.parent.rmdir()
    assert whole_release(out) == figures_of(corpora["A"])


def test_other_files_beside_the_documented_names_are_kept(tmp_path: Path, corpora: dict[str, Path]) -> None:
    """A user's files at the top of OUT (not at a documented name) survive every build untouched."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "example").mkdir()  # e.g. the repository's output/example/ beside `--out output`
    (out / "example" / "pfocr.ttl").write_text("mine too", encoding="utf-8")
    for source in ("A", "B"):
        result = build(corpora[source], out)
        assert result.returncode == 0, result.stderr
        assert whole_release(out) == figures_of(corpora[source])
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "example" / "pfocr.ttl").read_text(encoding="utf-8") == "mine too"


@pytest.mark.parametrize("name", ["void.ttl", "jsonld", "pfocr.ttl.gz", ".pfocr-ld"])
def test_a_documented_name_held_by_a_user_file_is_refused_untouched(
    tmp_path: Path, corpora: dict[str, Path], name: str
) -> None:
    """A file of the user's where the release must go would be replaced or deleted: refused."""
    for fresh in (True, False):
        out = tmp_path / f"out-{fresh}"
        if not fresh:
            assert build(corpora["A"], out).returncode == 0
        out.mkdir(exist_ok=True)
        if name == ".pfocr-ld" and not fresh:
            continue  # the tool's own folder once it exists
        if not fresh and os.path.lexists(out / name):
            (out / name).unlink()  # the tool's symlink, replaced by the user's own file
        if name == "jsonld":
            (out / name).mkdir()
            (out / name / "mine.jsonld").write_text("{}", encoding="utf-8")
        else:
            (out / name).write_text("mine", encoding="utf-8")
        before = tree(out)
        result = build(corpora["B"], out)
        assert result.returncode == 2, result.stderr
        assert name in result.stderr and "nothing was changed" in result.stderr
        assert tree(out) == before


def test_an_earlier_versions_folder_with_user_files_is_refused_untouched(
    tmp_path: Path, corpora: dict[str, Path]
) -> None:
    """Real files (the layout of earlier versions) plus one of the user's: refused, nothing moved."""
    out = tmp_path / "out"
    assert build(corpora["A"], out).returncode == 0
    legacy = tmp_path / "legacy"
    shutil.copytree(live(out), legacy)
    (legacy / "manifest.json").unlink()
    (legacy / "schemaorg" / "keep.txt").write_text("mine", encoding="utf-8")
    before = tree(legacy)
    result = build(corpora["B"], legacy)
    assert result.returncode == 2 and "schemaorg/keep.txt" in result.stderr
    assert tree(legacy) == before


def test_an_earlier_versions_release_is_migrated_then_replaced(
    tmp_path: Path, corpora: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    assert build(corpora["A"], out).returncode == 0
    legacy = tmp_path / "legacy"
    shutil.copytree(live(out), legacy)
    (legacy / "manifest.json").unlink()
    shutil.rmtree(legacy / "build-cache")  # earlier versions kept no build cache
    (legacy / ".pfocr-build-x1y2").mkdir()  # a staging folder an earlier version's killed build left
    (legacy / ".pfocr-build-x1y2" / "pfocr.ttl").write_bytes(b"half")
    result = build(corpora["B"], legacy)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(legacy)) == sorted([".pfocr-ld", *DOCUMENTED])
    assert os.listdir(legacy / ".pfocr-ld" / "releases") == [live(legacy).name]
    assert whole_release(legacy) == figures_of(corpora["B"])


@pytest.mark.parametrize("inside", ["input-in-out", "out-in-input", "same"])
def test_an_output_folder_overlapping_an_input_is_refused_before_anything_is_written(
    tmp_path: Path, corpora: dict[str, Path], inside: str
) -> None:
    site = tmp_path / "site"
    shutil.copytree(corpora["A"], site)
    out = tmp_path / "out"
    assert build(site, out).returncode == 0
    before_out, before_site = tree(out), tree(site)
    if inside == "input-in-out":  # the case: `build DIR/jsonld --out DIR`
        result = build(out / "jsonld", out)
    elif inside == "out-in-input":
        result = build(site, site / "release")
    else:
        alias = tmp_path / "alias"
        alias.symlink_to(site)  # the same folder spelt through a symlink
        result = build(alias, site)
    assert result.returncode == 2, result.stderr
    assert "nothing was built or changed" in result.stderr
    assert tree(out) == before_out and tree(site) == before_site


@pytest.mark.parametrize("option", ["--store", "--timings"])
def test_files_written_beside_the_release_may_not_go_inside_out(
    tmp_path: Path, corpora: dict[str, Path], option: str
) -> None:
    """`--store OUT/store` would be a file the next build did not write: refused up front."""
    out = tmp_path / "out"
    assert build(corpora["A"], out).returncode == 0
    before = tree(out)
    result = build(corpora["B"], out, option, str(out / "extra"))
    assert result.returncode == 2 and "overlaps the output folder" in result.stderr
    assert tree(out) == before


def test_a_missing_input_is_a_usage_error_and_the_release_stays_byte_identical(
    tmp_path: Path, corpora: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    assert build(corpora["A"], out).returncode == 0
    before = tree(out)
    result = build(tmp_path / "corpsu", out)
    assert result.returncode == 2 and "corpsu: no such file or folder" in result.stderr
    assert tree(out) == before
    # a missing path beside a good one is refused just the same
    assert build(corpora["B"], out).returncode == 0
    before = tree(out)
    assert run("build", corpora["A"], tmp_path / "typo", "--out", out).returncode == 2
    assert tree(out) == before


def test_a_sharply_shrinking_release_is_refused_unless_forced(
    tmp_path: Path, corpora: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build(corpora["B"], out).returncode == 0
    before = tree(out)
    for source, extra in ((empty, ()), (corpora["one"], ()), (corpora["one"], ("--shrink-limit", "0.05"))):
        # 0 of 10 figures; 1 of 10 (below half); 1 of 10 is above 0.05 of 10, but 0.05 keeps refusing 0 only
        result = build(source, out, *extra)
        if extra:
            assert result.returncode == 0, result.stderr
            assert whole_release(out) == figures_of(corpora["one"])
            assert build(corpora["B"], out, "--force").returncode == 0
            before = tree(out)
            continue
        assert result.returncode == 2, result.stderr
        assert "--force" in result.stderr and "live release is unchanged" in result.stderr
        assert tree(out) == before
    assert build(corpora["A"], out).returncode == 0  # 6 of 10: above half, published
    assert whole_release(out) == figures_of(corpora["A"])
    result = build(empty, out, "--force")
    assert result.returncode == 0, result.stderr
    assert whole_release(out) == frozenset()


# publish refuses the same shrink of a remote graph ----------------------------------------------
def _graph_triples(base: str, graph: str) -> int:
    answer = httpx.get(
        f"{base}/query",
        params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_publish_refuses_to_shrink_a_remote_graph_unless_forced(
    tmp_path: Path, corpora: dict[str, Path]
) -> None:
    graph = "https://pfocr.wikipathways.org/graph/test"
    full, small = tmp_path / "full", tmp_path / "small"
    assert build(corpora["B"], full, "--no-validate").returncode == 0  # 10 figures
    assert build(corpora["one"], small, "--no-validate").returncode == 0  # 1 figure
    empty = tmp_path / "empty.nt"
    empty.write_bytes(b"")
    with oxigraph_server(tmp_path / "db", union=False) as base:
        endpoint = f"{base}/query"
        first = run("publish", full, "--endpoint", endpoint, "--graph", graph)
        assert first.returncode == 0, first.stderr
        held = _graph_triples(base, graph)
        assert held > 5_000
        # the command: exit 2, the count named, nothing sent
        refused = run("publish", small, "--endpoint", endpoint, "--graph", graph)
        assert refused.returncode == 2, refused.stderr
        assert f"holds {held} triples" in refused.stderr and "--force" in refused.stderr
        assert _graph_triples(base, graph) == held
        # the query endpoint counts with SPARQL; the Graph Store endpoint alone counts by a GET
        for target in ({"endpoint": endpoint}, {"store_endpoint": f"{base}/store"}):
            for dump in (small, empty):
                with pytest.raises(PublishRefused, match=f"holds {held} triples"):
                    publish([dump], graph=graph, **target)
                assert _graph_triples(base, graph) == held
        # a release of about the same size replaces it without --force
        publish([full], endpoint=endpoint, graph=graph)
        assert _graph_triples(base, graph) == held
        forced = run("publish", small, "--endpoint", endpoint, "--graph", graph, "--force")
        assert forced.returncode == 0, forced.stderr
        assert 0 < _graph_triples(base, graph) < held / 2
        # an empty graph is filled without a count of the dumps
        publish([small], store_endpoint=f"{base}/store", graph=graph + "/other")
        assert _graph_triples(base, graph + "/other") > 0


# §3: atomic switch, lock, leftovers, full disk ---------------------------------------------------
def _wait_for(condition: object, process: subprocess.Popen[bytes], what: str, limit: float = 120) -> None:
    """Poll (no fixed sleep) until ``condition()`` holds; fail if the build ended first."""
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, f"the build ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {limit:g} s"


def _start(source: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cli("build", source, "--out", out, "--workers", "1", "--no-progress", *extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _release_number(out: Path) -> str:
    return os.readlink(out / ".pfocr-ld" / "current").rsplit("/", 1)[-1]


@pytest.mark.parametrize("moment", ["manifest written", "current switched", "release folder created"])
def test_sigkill_at_the_switch_leaves_one_whole_release(
    tmp_path: Path, corpora: dict[str, Path], moment: str
) -> None:
    """Kill the rebuild the instant the folder shows the moment (polled), then read: one release."""
    out = tmp_path / "out"
    assert build(corpora["A"], out).returncode == 0
    old = _release_number(out)
    new = str(int(old) + 1)
    releases = out / ".pfocr-ld" / "releases"
    conditions = {
        "manifest written": lambda: (releases / new / "manifest.json").exists(),
        "current switched": lambda: os.readlink(out / ".pfocr-ld" / "current") != f"releases/{old}",
        "release folder created": lambda: (releases / new / "jsonld").exists(),
    }
    process = _start(corpora["all"], out)
    try:
        _wait_for(conditions[moment], process, moment)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    seen = whole_release(out)  # through the documented names, as a reader finds them
    assert seen in (figures_of(corpora["A"]), figures_of(corpora["all"]))
    assert whole_release(live(out)) == seen
    for name in DOCUMENTED:
        assert os.path.realpath(out / name) == str(live(out) / name)
    if moment == "current switched":
        assert seen == figures_of(corpora["all"])
    # the next build removes what the killed one left (its release or the retired one) and proceeds
    result = build(corpora["B"], out, "--force")
    assert result.returncode == 0, result.stderr
    assert os.listdir(releases) == [_release_number(out)]
    assert sorted(os.listdir(out / ".pfocr-ld")) == ["current", "lock", "releases"]
    assert whole_release(out) == figures_of(corpora["B"])


def test_a_reader_during_rebuilds_always_sees_one_whole_release(
    tmp_path: Path, corpora: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    assert build(corpora["A"], out).returncode == 0
    expected = {figures_of(corpora["A"]), figures_of(corpora["B"])}
    seen: list[frozenset[str]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                # the documented way to read several files of one release: resolve `current` once
                seen.append(whole_release(live(out)))
            except FileNotFoundError:
                continue  # that release was retired while being read: read the new one
            except BaseException as error:  # a mixed or partial release
                errors.append(error)
                return
            # and single files by their documented paths are always whole
            json.loads((out / "report.json").read_bytes())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for source in ("B", "A", "B"):
            result = build(corpora[source], out)
            assert result.returncode == 0, result.stderr
    finally:
        stop.set()
        thread.join(timeout=60)
    assert errors == []
    assert set(seen) == expected  # it did read both releases, and only them


def test_a_second_build_into_the_same_folder_exits_2_naming_the_first(
    tmp_path: Path, corpora: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    assert build(corpora["A"], out).returncode == 0
    lock = out / ".pfocr-ld" / "lock"
    first = _start(corpora["B"], out)
    try:
        _wait_for(lambda: lock.stat().st_size > 0, first, "the lock taken")
        first.send_signal(signal.SIGSTOP)  # hold it mid-build, whatever the machine's speed
        second = build(corpora["all"], out)
        assert second.returncode == 2, second.stderr
        assert f"pid {first.pid}" in second.stderr and "is being built by" in second.stderr
    finally:
        first.send_signal(signal.SIGCONT)
        first.wait(timeout=120)
    assert first.returncode == 0
    assert whole_release(out) == figures_of(corpora["B"])
    assert lock.stat().st_size == 0  # the holder's line goes with the lock


def test_the_lock_is_a_real_flock(tmp_path: Path, corpora: dict[str, Path]) -> None:
    """Another process holding the flock (not this tool) keeps a build out just the same."""
    out = tmp_path / "out"
    assert build(corpora["A"], out).returncode == 0
    before = tree(out)
    with open(out / ".pfocr-ld" / "lock", "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(b"a test, pid 1\n")
        handle.flush()
        result = build(corpora["B"], out)
        handle.truncate(0)
    assert result.returncode == 2 and "a test, pid 1" in result.stderr
    assert tree(out) == before
    assert build(corpora["B"], out).returncode == 0  # the lock is free again


_FULL_DISK_DRIVER = r"""
import hashlib, json, os, subprocess, sys
mount, first, second = sys.argv[1:4]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount], check=True)
out = os.path.join(mount, "out")
def build(source):
    return subprocess.run([sys.executable, "-m", "pfocr_ld.cli", "build", source, "--out", out,
                           "--workers", "1", "--no-progress"], capture_output=True, text=True, timeout=300)
def tree():
    found = {}
    for folder, folders, files in os.walk(out):
        for name in folders + files:
            path = os.path.join(folder, name)
            key = os.path.relpath(path, out)
            if os.path.islink(path):
                found[key] = "-> " + os.readlink(path)
            elif os.path.isdir(path):
                found[key] = "dir"
            else:
                found[key] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return found
def used():
    stat = os.statvfs(mount)
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize
a = build(first)
before, used_before = tree(), used()
b = build(second)
print(json.dumps({"first": a.returncode, "first_err": a.stderr, "second": b.returncode, "stderr": b.stderr,
                  "same": tree() == before, "used_before": used_before, "used_after": used(),
                  "size": os.statvfs(mount).f_blocks * os.statvfs(mount).f_frsize}))
"""


def test_a_full_disk_keeps_the_previous_release_and_frees_the_staging(
    tmp_path: Path, corpora: dict[str, Path]
) -> None:
    """A 1 MiB tmpfs in a private mount namespace (`unshare -rm`: works as root and, where user
    namespaces are allowed, without): the small release fits, the whole sample (2.3 MB) does not."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed for the full-disk test")
    driver = tmp_path / "driver.py"
    driver.write_text(_FULL_DISK_DRIVER, encoding="utf-8")
    mount = tmp_path / "mnt"
    mount.mkdir()
    completed = subprocess.run(
        ["unshare", "-rm", sys.executable, str(driver), str(mount), str(corpora["one"]), str(corpora["all"])],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])},
    )
    assert completed.returncode == 0, completed.stderr
    state = json.loads(completed.stdout)
    assert state["first"] == 0, state["first_err"]
    assert state["second"] == 1, state["stderr"]
    lines = state["stderr"].strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], lines
    assert "previous release is unchanged" in lines[0] and "Traceback" not in state["stderr"]
    assert state["same"], "the previous release changed"
    assert state["used_after"] <= state["used_before"] + 64 * 1024  # the staging's space is free again
    assert state["used_before"] < state["size"] / 2
