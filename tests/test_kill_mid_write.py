"""Issue 6: "A process killed with SIGKILL in the middle of a materialization leaves no partial Parquet
visible to readers, and the re-run's outputs equal an uninterrupted run's."

The sync runs in a subprocess (its own session, so the whole group is killed by its pid) against a
sandbox served from this process. The kill is timed by polling, with a deadline, for an observable
state: the sandbox's request log (half of a space's listing served) or a temporary Parquet file on disk.
To land the kill *inside* a Parquet write, the child may trickle the bytes of one chosen write (the one
whose temporary file's path contains KM_KILL_SLOW_WRITE) into the open handle, flushing every chunk: the
state a slow disk or network filesystem leaves the file in. Everything else (the temporary name, the
rename, the assets, Dagster) is the production code. The test kills as soon as that temporary file holds
bytes, then proves the kill landed mid-write: the temporary file is still there and is not Parquet.

After each kill: every `*.parquet` reads in full, readers' globs match no temporary file, a partition
being written holds nothing (first write) or exactly its previous bytes (overwrite), and a re-run (the
same sync_connection call on the same km.yaml and persistent Dagster instance, in this process) gives
raw_history, articles and articles_current equal to an uninterrupted run's in a separate folder against
the same site. The killed run's temporary files stay behind: readers' `**/*.parquet` globs skip them.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal
from upath import UPath

from km_assets.config import load_config
from km_assets.defs.run import dagster_instance, sync_connection
from km_assets.km.parquet_files import STAGING, staged_target
from km_assets.sandbox import Sandbox
from km_assets.sandbox.faults import FaultOptions
from km_assets.sandbox.synthetic import synthetic_site

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # fixed, so every run lists and keeps the same rows
SPACES = ["S000"]  # one space: each Dagster job costs seconds of event-log writes on a small machine
PAGES = 80  # per space (plus ~2% blog posts)
PAGE_SIZE = 5  # small pages: a listing is 16 requests, so "half a listing" is observable
LATENCY_MS = 15.0
COMPARED = ("raw_history", "articles", "articles_current")
TOKEN_ENV = "KM_KILL_TEST_TOKEN"
SLOW_ENV = "KM_KILL_SLOW_WRITE"
DEADLINE_S = 30.0

# The child: optionally trickles one chosen Parquet write, then runs the sync as `km sync` would.
CHILD = r'''
import io, os, sys, time
from datetime import datetime

import polars as pl

target = os.environ.get("KM_KILL_SLOW_WRITE")
if target:
    _write_parquet = pl.DataFrame.write_parquet

    def trickled(self, file, *args, **kwargs):
        if not hasattr(file, "write") or target not in str(getattr(file, "name", "")):
            return _write_parquet(self, file, *args, **kwargs)
        buffer = io.BytesIO()
        _write_parquet(self, buffer, *args, **kwargs)
        data = buffer.getvalue()
        step = max(1, len(data) // 40)
        for start in range(0, len(data), step):
            file.write(data[start:start + step])
            file.flush()  # on disk (in the page cache) for the parent to see
            time.sleep(0.1)

    pl.DataFrame.write_parquet = trickled

from km_assets.config import load_config
from km_assets.defs.run import dagster_instance, sync_connection

started = time.monotonic()
config_path, home, now, spaces = sys.argv[1:5]
config = load_config(config_path)
connection = config.connection("demo")
summary = sync_connection(config, connection, spaces.split(","), dagster_instance(home),
                          now=datetime.fromisoformat(now), log_level="WARNING",
                          progress=lambda m: print(f"{time.monotonic() - started:.2f}s {m}", flush=True))
print(f"{time.monotonic() - started:.2f}s done", flush=True)
print("runs:", [(kind, partition, ok) for kind, partition, _, ok in summary.runs], flush=True)
sys.exit(1 if summary.failed else 0)
'''


@dataclass
class Case:
    """One folder with its km.yaml, its data root and its Dagster instance."""

    folder: Path

    @property
    def root(self) -> Path:
        return self.folder / "data"

    @property
    def home(self) -> Path:
        return self.folder / "dagster"

    @property
    def config(self) -> Path:
        return self.folder / "km.yaml"


def _write_config(case: Case, sandbox: Sandbox) -> None:
    case.folder.mkdir(parents=True, exist_ok=True)
    case.config.write_text(f"""
storage: {{root: {case.root}}}
connections:
  - name: demo
    url: {sandbox.url}
    deployment: cloud
    auth: {{username: {sandbox.login}, api_token_env: {TOKEN_ENV}}}
    schedule: hourly
    page_size: {PAGE_SIZE}
    sync: {{start: 2026-11-20, lag_minutes: 0, overlap_minutes: 10}}
""")


def _start(case: Case, sandbox: Sandbox, script: Path, log: Path, slow_write: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KM_", "DAGSTER_"))}
    env[TOKEN_ENV] = sandbox.options.api_token
    if slow_write:
        env[SLOW_ENV] = slow_write
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, str(script), str(case.config), str(case.home), NOW.isoformat(),
                                 ",".join(SPACES)], stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    """SIGKILL the child's whole process group (its own session, so its pgid is its pid)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _sync_in_process(case: Case, sandbox: Sandbox) -> None:
    """The same sync the child runs (same km.yaml, same persistent Dagster instance), in this process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(TOKEN_ENV, sandbox.options.api_token)
        patch.setenv("DAGSTER_HOME", str(case.home))  # dagster_instance() sets it; restored on exit
        config = load_config(case.config)
        instance = dagster_instance(case.home)
        try:
            summary = sync_connection(config, config.connection("demo"), SPACES, instance, now=NOW,
                                      log_level="WARNING")
        finally:
            instance.dispose()
    assert summary.runs and not summary.failed, summary.runs


def _unfinished_runs(case: Case) -> dict[str, str]:
    """Run id -> status of the runs in the case's Dagster instance that have not finished."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(case.home))
        instance = dagster_instance(case.home)
        try:
            return {run.run_id: run.status.value for run in instance.get_runs()
                    if not run.is_finished}
        finally:
            instance.dispose()


def _slot_holders(case: Case) -> set[str]:
    """Run ids holding a slot of any concurrency pool in the case's instance (km's instance gives each
    connection's Confluence steps a pool with a default limit)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(case.home))
        instance = dagster_instance(case.home)
        try:
            storage = instance.event_log_storage
            return {slot.run_id for key in storage.get_concurrency_keys()
                    for slot in storage.get_concurrency_info(key).claimed_slots}
        finally:
            instance.dispose()


def _run_status(case: Case, run_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Run id -> (status, the failure message) for the given runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(case.home))
        instance = dagster_instance(case.home)
        try:
            out = {}
            for run_id in run_ids:
                run = instance.get_run_by_id(run_id)
                failures = [e.message or "" for e in instance.all_logs(run_id)
                            if e.dagster_event is not None and e.dagster_event.event_type_value == "PIPELINE_FAILURE"]
                out[run_id] = (run.status.value, " ".join(failures))
            return out
        finally:
            instance.dispose()


def _temporaries(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in (root / STAGING).rglob("*.tmp") if p.is_file())


def _table(root: Path, asset: str) -> pl.DataFrame:
    pattern = root / "demo" / asset / "**" / "*.parquet"
    return pl.scan_parquet(pattern, hive_partitioning=True).collect().sort("content_id")


def _assert_readers_see_no_partial_file(root: Path) -> None:
    """Every data file is complete Parquet under its final name; temporaries live only in staging."""
    # Downloaded attachment files are files, not tables (their own writes are atomic too).
    files = ([p for p in root.rglob("*") if p.is_file() and STAGING not in p.parts
              and "attachment_files" not in p.parts] if root.exists() else [])
    for path in files:
        if path.suffix == ".parquet":
            assert not path.name.startswith("."), path
            metadata = pq.read_metadata(path)  # the footer is there
            frame = pl.read_parquet(path)      # and every page decodes
            assert frame.height == metadata.num_rows, path
        elif "attachment_text" in path.parts and path.suffix == ".json":
            # The extraction cache, looked up by exact name: a complete entry, whatever was killed.
            assert json.loads(path.read_text(encoding="utf-8"))["status"], path
        elif "attachment_text" in path.parts and path.name.startswith(".") and path.suffix == ".part":
            pass  # a cache write the kill interrupted: hidden, and never looked up
        else:
            raise AssertionError(f"unexpected file among the data: {path}")
    demo = root / "demo"
    for asset in (sorted(p.name for p in demo.iterdir() if p.is_dir()) if demo.exists() else []):
        if any(demo.joinpath(asset).rglob("*.parquet")):
            # The documented reader pattern: it must match complete files only.
            pl.scan_parquet(demo / asset / "**" / "*.parquet", hive_partitioning=True).collect()


# -- kill triggers: (sandbox, root, search requests already served before the child started) -> kill now?


def _search_requests(sandbox: Sandbox) -> int:
    return sum(1 for e in list(sandbox.counters.events) if e.path.endswith("/rest/api/content/search"))


def _listing_pages(sandbox: Sandbox) -> int:
    """Requests of the first space's listing (content/search, PAGE_SIZE items each)."""
    items = sum(1 for c in sandbox.site.content.values() if c.space == SPACES[0] and c.type in ("page", "blogpost"))
    return math.ceil(items / PAGE_SIZE)


def _half_of_first_listing(sandbox: Sandbox, root: Path, before: int) -> bool:
    return _search_requests(sandbox) - before >= _listing_pages(sandbox) // 2


def _bytes_in_temporary(fragment: str) -> Callable[[Sandbox, Path, int], bool]:
    def trigger(sandbox: Sandbox, root: Path, before: int) -> bool:
        return any(fragment in str(p) and _size(p) > 0 for p in _temporaries(root))
    return trigger


def _any_data_temporary(sandbox: Sandbox, root: Path, before: int) -> bool:
    return any(p.name.startswith("data.parquet.") for p in _temporaries(root))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # renamed into place between the listing and the stat
        return 0


@dataclass(frozen=True)
class KillPoint:
    name: str
    trigger: Callable[[Sandbox, Path, int], bool]
    slow_write: str | None = None  # path fragment of the write the child trickles
    from_baseline: bool = False  # start from a copy of the uninterrupted run (the kill hits a re-write)


KILL_POINTS = [
    # Mid-run but before any write: half of the first space's listing has been served.
    KillPoint("mid-listing", _half_of_first_listing),
    # Real write speed: kill the moment any data temporary file shows up (the kill may land before
    # or after the rename; either way nothing partial may be visible).
    KillPoint("first-temporary-real-speed", _any_data_temporary),
    # Inside the very first data write (raw_history of the first space), nothing there before.
    KillPoint("inside-first-write", _bytes_in_temporary("/raw_history/space=S000/"), "/raw_history/space=S000/"),
    # Inside the job's last write: raw_history, snapshot, articles and tombstones are committed, so the
    # re-run takes the other path (a reconciliation after the recorded history, not a first sync).
    KillPoint("inside-last-write", _bytes_in_temporary("/articles_current/space=S000/"),
              "/articles_current/space=S000/"),
    # Inside a re-write of an existing partition (the next sync's reconciliation over complete data).
    KillPoint("inside-overwrite", _bytes_in_temporary("/articles/space=S000/"), "/articles/space=S000/",
              from_baseline=True),
]


@pytest.fixture(scope="module")
def sandbox():
    site = synthetic_site(len(SPACES), PAGES, seed=7)
    with Sandbox(site=site, faults=FaultOptions(seed=7, latency_ms=LATENCY_MS)) as running:
        yield running


@pytest.fixture(scope="module")
def child_script(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("kill_child") / "sync_child.py"
    path.write_text(CHILD)
    return path


@pytest.fixture(scope="module")
def baseline(sandbox, tmp_path_factory) -> Case:
    """An uninterrupted run, in its own folder and instance."""
    case = Case(tmp_path_factory.mktemp("uninterrupted"))
    _write_config(case, sandbox)
    _sync_in_process(case, sandbox)
    assert not _temporaries(case.root), "an uninterrupted run leaves no temporary file"
    return case


@pytest.mark.parametrize("point", KILL_POINTS, ids=[p.name for p in KILL_POINTS])
def test_sigkill_mid_materialization_leaves_no_partial_parquet_and_a_rerun_heals(
        point, sandbox, child_script, baseline, tmp_path):
    case = Case(tmp_path / "killed")
    if point.from_baseline:
        shutil.copytree(baseline.folder, case.folder)  # its data and its Dagster instance
    _write_config(case, sandbox)  # this folder's storage root, same site
    previous = {p: p.read_bytes() for p in case.root.rglob("*.parquet")}

    log = case.folder / "killed.log"
    searched = _search_requests(sandbox)
    process = _start(case, sandbox, child_script, log, slow_write=point.slow_write)
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not point.trigger(sandbox, case.root, searched):
            assert process.poll() is None, f"the sync ended before the kill point:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"kill point {point.name} not reached in {DEADLINE_S}s"
            time.sleep(0.002)  # a polling interval, bounded by the deadline above
        os.killpg(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        _stop(process)

    left = _temporaries(case.root)
    if point.slow_write:
        # The kill landed inside the write: its temporary file is still there, and not Parquet yet.
        inside = [p for p in left if point.slow_write in str(p)]
        assert len(inside) == 1, left
        assert inside[0].stat().st_size > 0
        with pytest.raises(pa.ArrowInvalid):
            pq.read_metadata(inside[0])
    if point.name == "mid-listing":
        listing_pages = _listing_pages(sandbox)
        assert _search_requests(sandbox) - searched < listing_pages, "killed after the listing, not during it"
        assert not list(case.root.rglob("*.parquet")), "nothing is written before the listing ends"
    for temporary in left:
        # Whatever the kill interrupted, its final name shows the previous bytes or nothing at all.
        target = Path(staged_target(UPath(temporary), UPath(case.root)))
        if target in previous:
            assert target.read_bytes() == previous[target], f"{target} changed under a killed write"
        else:
            assert not target.exists(), f"{target} appeared although its write never finished"
    _assert_readers_see_no_partial_file(case.root)
    # The killed run is left STARTED: nothing was alive to say otherwise.
    orphans = _unfinished_runs(case)
    assert orphans and set(orphans.values()) == {"STARTED"}, orphans
    if point.name in ("mid-listing", "inside-first-write"):
        # Killed inside raw_history, a step that holds a slot of the connection's pool: never given back.
        assert _slot_holders(case) & set(orphans), "the killed listing held no pool slot"

    # The same sync again, on the same folder and Dagster instance (in this process: it is not killed).
    _sync_in_process(case, sandbox)
    # It first marked the killed run failed, saying why, so the run list no longer shows it running.
    for run_id, (status, message) in _run_status(case, list(orphans)).items():
        assert status == "FAILURE", (run_id, status)
        assert "ended without finishing the run" in message, message
    assert not _unfinished_runs(case)
    assert not _slot_holders(case), "a pool slot is still held after the re-run"
    _assert_readers_see_no_partial_file(case.root)
    for asset in COMPARED:
        rerun, uninterrupted = _table(case.root, asset), _table(baseline.root, asset)
        assert uninterrupted.height > 0
        assert_frame_equal(rerun, uninterrupted)
    # The killed run's temporary files stay in staging, outside every asset's folder; the re-run adds none.
    assert _temporaries(case.root) == left
