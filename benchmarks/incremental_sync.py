"""Incremental sync at scale: a first full sync, a run with no changes, a run with 1 % of pages edited.

    .venv/bin/python benchmarks/incremental_sync.py                       # 10 spaces x 2,000 pages
    .venv/bin/python benchmarks/incremental_sync.py --pages 10000         # the full run: 100,000 pages
    .venv/bin/python benchmarks/incremental_sync.py --spaces 2 --pages 300 --latency-ms 50   # a smoke run

A synthetic site (`synthetic_site(S, P)`, plus ~2 % blog posts) is served by a Cloud sandbox in a forked
child (so its CPU is its own; `--in-process` runs it in a thread here instead). A km.yaml in a temporary
folder points one hourly connection at it (`sync: {start, lag_minutes: 0}`, page size 250, 50 requests/s,
4 at once) and `sync_connection` runs it in-process on a test Dagster instance with a fixed `now`:

1. first sync at T0: per space, the history in one listing (bodies) and a reconciliation snapshot (no
   bodies), the articles, and the attachments (a listing per page that has files, then per file the REST
   download, which Cloud answers with a 302, and the media host's GET). Its minimum is, per space,
   ceil(visible items / 250) for the history listing + ceil(visible items / 250) for the snapshot + one
   attachment listing per visible item with files + 2 per file: the least any client needs when one
   request brings one page of 250. requests / minimum must be <= 1.05.
2. no changes at T0 + 1 h, in two steps on the same `now`:
   a. what the hourly schedule does (`reconcile=False`): one window listing per space, then (reported
      as a note) a refresh of the articles;
   b. what `km sync` adds (`reconcile=True`): the reconciliation, a snapshot listing of every live item,
      ceil(visible items / 250) requests per space, plus one attachment listing per live page with files
      (no download: nothing changed): not a handful on a large space.
3. 1 % of the pages edited inside [T0 + 1 h, T0 + 2 h), synced at T0 + 2 h with the reconciliation (what
   `km sync` does): the edited versions must reach articles_current.

Every stage prints the sandbox's requests by route, the requests each asset made (its materialization
metadata), the wall time of each job kind and of each asset step (Dagster's step stats), the sandbox's
CPU time and the peak RSS. At the end a Markdown table for the README. Exit status 1 on a failed check.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import math
import multiprocessing
import os
import platform
import pstats
import random
import resource
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from _common import MemorySampler, vm_rss_mb  # noqa: E402

from km_assets.sandbox.faults import FaultOptions  # noqa: E402
from km_assets.sandbox.server import Sandbox  # noqa: E402
from km_assets.sandbox.site import Site  # noqa: E402
from km_assets.sandbox.synthetic import SYNC_USER, synthetic_site  # noqa: E402

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the first sync (the synthetic site ends 2026-11-01)
SYNC_START = date(2026, 11, 20)  # windows start here; everything before T0 is the history anyway
PAGE_SIZE = 250  # the Cloud cap of content/search, for the listing and the snapshot alike
SNAPSHOT_PAGE = 250  # list_space_snapshot's Cloud page size
CLIENT_RATE = 50.0
CONCURRENCY = 4
TOKEN_ENV = "KM_BENCH_TOKEN"
ADMIN = "/__sandbox__"
MAX_FIRST_RATIO = 1.05
HANDFUL = 5  # requests per space a no-change run may make besides the reconciliation snapshot


# -- the sandbox, in a forked child or in a thread -----------------------------------------------------
_FOR_CHILD: dict[str, Any] = {}  # handed to the forked child by memory, not by Process(args=...)


def _serve(conn: Connection) -> None:
    sandbox = Sandbox(site=_FOR_CHILD["site"], faults=_FOR_CHILD["faults"]).start()
    conn.send({"root": sandbox.root_url, "url": sandbox.url, "login": sandbox.login,
               "token": sandbox.options.api_token})
    with contextlib.suppress(EOFError):
        conn.recv()  # "stop", or the parent went away
    sandbox.stop()
    conn.send("stopped")


class SandboxProcess:
    """A Sandbox in a forked child (the site is inherited copy-on-write); steered through its admin API.

    The child gets the site through a module global that the parent clears once the child runs, so the
    parent can drop its copy and measure the sync alone (Process(args=...) would keep a reference)."""

    def __init__(self, site: Site, faults: FaultOptions, *, in_process: bool) -> None:
        self.pid: int | None = None
        self._thread_sandbox: Sandbox | None = None
        if in_process:
            sandbox = Sandbox(site=site, faults=faults).start()
            self._thread_sandbox = sandbox
            info = {"root": sandbox.root_url, "url": sandbox.url, "login": sandbox.login,
                    "token": sandbox.options.api_token}
        else:
            ctx = multiprocessing.get_context("fork")
            self._conn, child = ctx.Pipe()
            _FOR_CHILD.update(site=site, faults=faults)
            self._process = ctx.Process(target=_serve, args=(child,), daemon=True, name="bench-sandbox")
            self._process.start()
            _FOR_CHILD.clear()
            child.close()
            if not self._conn.poll(120):
                self._process.kill()
                raise TimeoutError("the sandbox child did not start within 120 s")
            info = self._conn.recv()
            self.pid = self._process.pid
        self.root, self.url, self.login, self.token = info["root"], info["url"], info["login"], info["token"]
        self.admin = httpx.Client(base_url=self.root + ADMIN, headers={"X-Sandbox-Admin-Token": self.token},
                                  timeout=60)

    def counters(self) -> dict[str, dict[str, int]]:
        response = self.admin.get("/counters")
        response.raise_for_status()
        return response.json()

    def edit(self, content_id: str, *, by: str, body: str, at: datetime) -> dict:
        response = self.admin.put(f"/content/{content_id}", json={"by": by, "body": body, "at": at.isoformat()})
        response.raise_for_status()
        return response.json()

    def cpu_s(self) -> float | None:
        """utime + stime of the child, from /proc (None in-process: not separable from the client's)."""
        if self.pid is None:
            return None
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def peak_rss_mb(self) -> float | None:
        if self.pid is None:
            return None
        return _status_mb(Path(f"/proc/{self.pid}/status"), "VmHWM:")

    def stop(self) -> None:
        self.admin.close()
        if self._thread_sandbox is not None:
            self._thread_sandbox.stop()
            return
        with contextlib.suppress(BrokenPipeError, EOFError):
            self._conn.send("stop")
            self._conn.poll(15)
        self._process.join(15)
        if self._process.is_alive():
            self._process.kill()


# -- measuring -----------------------------------------------------------------------------------------
def _status_mb(path: Path, key: str) -> float | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def counter_diff(after: dict[str, dict[str, int]], before: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for route, statuses in after.items():
        for status, n in statuses.items():
            delta = n - before.get(route, {}).get(status, 0)
            if delta:
                out.setdefault(route, {})[status] = delta
    return out


def total(counts: dict[str, dict[str, int]]) -> int:
    return sum(n for statuses in counts.values() for n in statuses.values())


@dataclass
class Stage:
    name: str
    now: datetime
    wall_s: float = 0.0
    requests: dict[str, dict[str, int]] = field(default_factory=dict)
    by_asset: Counter = field(default_factory=Counter)  # asset -> requests it reported
    rows_by_asset: Counter = field(default_factory=Counter)
    job_s: Counter = field(default_factory=Counter)  # job kind -> seconds
    job_count: Counter = field(default_factory=Counter)
    step_s: Counter = field(default_factory=Counter)  # asset step -> seconds (Dagster step stats)
    sandbox_cpu_s: float | None = None
    client_cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    tree_peak_mb: float = 0.0  # PSS of this process and its workers (not the sandbox)
    failed_runs: int = 0
    minimum: int = 0  # the listing minimum of this stage's requests
    checks: list[tuple[str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return total(self.requests)


def run_stage(name: str, now: datetime, ctx: dict[str, Any], *, reconcile: bool = True) -> Stage:
    import dagster as dg

    from km_assets.defs.run import sync_connection

    stage = Stage(name, now)
    sandbox: SandboxProcess = ctx["sandbox"]
    instance: dg.DagsterInstance = ctx["instance"]
    marks: list[tuple[str, float]] = []
    before = sandbox.counters()
    cpu_before = sandbox.cpu_s()
    print(f"\n== {name}: now={now:%Y-%m-%d %H:%M} UTC, reconcile={reconcile} ...", flush=True)
    with MemorySampler(exclude={sandbox.pid} if sandbox.pid else None) as rss:
        client_cpu = time.process_time()
        started = time.perf_counter()
        summary = sync_connection(ctx["config"], ctx["connection"], ctx["spaces"], instance, now=now,
                                  reconcile=reconcile, log_level="WARNING",
                                  progress=lambda what: marks.append((what.split(" ", 1)[0], time.perf_counter())))
        ended = time.perf_counter()
        stage.wall_s = ended - started
        stage.client_cpu_s = time.process_time() - client_cpu
    stage.peak_rss_mb = rss.peak_mb
    stage.tree_peak_mb = rss.tree_peak_mb
    cpu_after = sandbox.cpu_s()
    stage.sandbox_cpu_s = cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None
    stage.requests = counter_diff(sandbox.counters(), before)
    for (kind, at), (_, nxt) in zip(marks, [*marks[1:], ("end", ended)], strict=True):
        stage.job_s[kind] += nxt - at
        stage.job_count[kind] += 1
    stage.failed_runs = len(summary.failed)
    for _kind, _partition, run_id, _ok in summary.runs:
        for step in instance.get_run_step_stats(run_id):
            if step.start_time is not None and step.end_time is not None:
                stage.step_s[step.step_key] += step.end_time - step.start_time
        for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            materialization = record.asset_materialization
            if materialization is None:
                continue
            asset = materialization.asset_key.path[-1]
            metadata = materialization.metadata
            if "requests" in metadata:
                stage.by_asset[asset] += int(metadata["requests"].value)
            for key in ("rows", "live_items", "articles"):
                if key in metadata:
                    stage.rows_by_asset[asset] += int(metadata[key].value)
                    break
    return stage


def describe(stage: Stage, spaces: int) -> None:
    cpu = f"{stage.sandbox_cpu_s:.1f} s" if stage.sandbox_cpu_s is not None else "n/a (in-process)"
    print(f"   wall {stage.wall_s:.1f} s   requests {stage.total} ({stage.total / spaces:.1f} per space)"
          + (f"   minimum {stage.minimum}   requests/minimum {stage.total / stage.minimum:.3f}"
             if stage.minimum else "")
          + f"   failed runs {stage.failed_runs}")
    print(f"   CPU: this process {stage.client_cpu_s:.1f} s, sandbox {cpu}   peak RSS here {stage.peak_rss_mb:.0f} MB, "
          f"peak PSS with every worker process {stage.tree_peak_mb:.0f} MB")
    for route, statuses in sorted(stage.requests.items()):
        print(f"   sandbox route {route}: {statuses}")
    print("   requests by asset (materialization metadata): "
          + ", ".join(f"{a} {n}" for a, n in sorted(stage.by_asset.items())))
    print("   rows by asset: " + ", ".join(f"{a} {n}" for a, n in sorted(stage.rows_by_asset.items())))
    print("   jobs: " + ", ".join(f"{k} x{stage.job_count[k]} {s:.1f} s" for k, s in stage.job_s.items()))
    print("   asset steps (sum over runs): " + ", ".join(
        f"{k} {s:.1f} s" for k, s in sorted(stage.step_s.items(), key=lambda kv: -kv[1])))
    other = stage.wall_s - sum(stage.step_s.values())
    print(f"   outside asset steps (Dagster run set-up, instance queries, between runs): {other:.1f} s")
    for note in stage.notes:
        print(f"   note: {note}")
    for what, ok in stage.checks:
        print(f"   {'OK  ' if ok else 'FAIL'} {what}")
    sys.stdout.flush()


# -- the site and what the sync should hold ------------------------------------------------------------
@dataclass(frozen=True)
class Minimum:
    """The least requests of a first sync, by part, summed over the spaces."""

    listing: int
    snapshot: int
    attachment_listings: int
    downloads: int

    @property
    def total(self) -> int:
        return self.listing + self.snapshot + self.attachment_listings + self.downloads


def first_sync_minimum(site: Site, visible: dict[str, list[str]], *, attachments: bool,
                       downloads: bool) -> Minimum:
    files: Counter = Counter(a.container_id for a in site.attachments.values() if a.status == "current")
    ids = [cid for space_ids in visible.values() for cid in space_ids]
    return Minimum(
        listing=sum(math.ceil(len(space_ids) / PAGE_SIZE) for space_ids in visible.values()),
        snapshot=sum(math.ceil(len(space_ids) / SNAPSHOT_PAGE) for space_ids in visible.values()),
        attachment_listings=sum(1 for cid in ids if files[cid]) if attachments else 0,
        # Cloud: the REST download answers 302 to the media host, which serves the file.
        downloads=2 * sum(files[cid] for cid in ids) if attachments and downloads else 0)


def visible_by_space(site: Site) -> dict[str, list[str]]:
    """What the API user may read: current pages and blog posts, by space."""
    bot = site.users[SYNC_USER]
    out: dict[str, list[str]] = defaultdict(list)
    for c in site.content.values():
        if c.type in ("page", "blogpost") and c.status == "current" and site.can_view(bot, c):
            out[c.space].append(c.id)
    return out


@dataclass(frozen=True)
class Edit:
    content_id: str
    space: str
    by: str
    at: datetime
    body: str


EDIT_WINDOW = T0 + timedelta(hours=1)  # edits fall in [T0 + 1 h, T0 + 2 h), the window synced at T0 + 2 h


def plan_edits(site: Site, visible: dict[str, list[str]], share: float, seed: int) -> list[Edit]:
    """A share of the visible pages, each edited once by its creator at a random moment of EDIT_WINDOW."""
    rng = random.Random(f"bench-edits:{seed}")
    pages = sorted(cid for ids in visible.values() for cid in ids if site.content[cid].type == "page")
    out = []
    for n, cid in enumerate(rng.sample(pages, max(1, round(len(pages) * share)))):
        item = site.content[cid]
        out.append(Edit(cid, item.space, item.creator, EDIT_WINDOW + timedelta(seconds=rng.uniform(0, 3599)),
                        f"<p>Benchmark edit {n} of {cid}.</p><p>{item.title}</p>"))
    return out


def read_current(root: Path, prefix: str) -> dict[str, tuple[int, bool]]:
    """content id -> (version, whether the Markdown holds a benchmark edit). Not the Markdown itself: kept
    across stages, 102,000 bodies (~500 MB) would count in every later stage's peak memory."""
    import polars as pl

    current = (pl.scan_parquet(root / prefix / "articles_current" / "**" / "*.parquet", hive_partitioning=True)
               .select("content_id", "version", pl.col("markdown").str.contains("Benchmark edit", literal=True))
               .collect())
    return {r[0]: (r[1], r[2]) for r in current.iter_rows()}


def km_yaml(folder: Path, url: str, login: str, deployment: str) -> Path:
    path = folder / "km.yaml"
    path.write_text(f"""
storage: {{root: {folder / 'data'}}}
connections:
  - name: bench
    url: {url}
    deployment: {deployment}
    auth: {{username: {login}, api_token_env: {TOKEN_ENV}}}
    schedule: hourly
    page_size: {PAGE_SIZE}
    rate_limit: {{requests_per_second: {CLIENT_RATE:g}, max_concurrency: {CONCURRENCY}}}
    sync: {{start: {SYNC_START.isoformat()}, lag_minutes: 0}}
""")
    return path


# -- reporting -----------------------------------------------------------------------------------------
def machine() -> str:
    from importlib import metadata

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.system()} {platform.machine()}, nproc {cpus}, "
            f"Python {platform.python_version()}, dagster {metadata.version('dagster')}, "
            f"polars {metadata.version('polars')}")


def table(stages: list[Stage], spaces: int, items: int) -> str:
    header = ("| run | wall (s) | requests | per space | listing minimum | requests / minimum "
              "| sandbox CPU (s) | sync CPU (s) | peak RSS (MB) | peak PSS with workers (MB) | check |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for s in stages:
        ratio = f"{s.total / s.minimum:.3f}" if s.minimum else "-"
        cpu = f"{s.sandbox_cpu_s:.1f}" if s.sandbox_cpu_s is not None else "-"
        ok = "ok" if all(c for _, c in s.checks) and not s.failed_runs else "FAIL"
        lines.append(f"| {s.name} | {s.wall_s:.1f} | {s.total} | {s.total / spaces:.1f} | {s.minimum or '-'} "
                     f"| {ratio} | {cpu} | {s.client_cpu_s:.1f} | {s.peak_rss_mb:.0f} | {s.tree_peak_mb:.0f} | {ok} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", type=int, default=10)
    parser.add_argument("--pages", type=int, default=2000, help="pages per space (blog posts come on top); "
                        "10000 is the documented full run (100,000 pages)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added by the sandbox to every request")
    parser.add_argument("--rate", type=float, default=0.0, help="the sandbox's rate limit, requests/s (0 = none)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of pages edited before the last run")
    parser.add_argument("--deployment", choices=("cloud", "auto"), default="cloud",
                        help="km.yaml's deployment: declared, or detected by every client (extra requests)")
    parser.add_argument("--quiet-max-s", type=float, default=30.0,
                        help="the no-change run of the schedule must finish within this many seconds")
    parser.add_argument("--in-process", action="store_true", help="run the sandbox in a thread of this process")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the first sync into FILE (pstats) and print its top functions")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (km.yaml, Parquet)")
    args = parser.parse_args(argv)
    if args.spaces < 1 or args.pages < 1 or not 0 < args.changed <= 1:
        parser.error("--spaces and --pages must be positive, --changed within (0, 1]")

    print(f"machine: {machine()}")
    started = time.perf_counter()
    site = synthetic_site(args.spaces, args.pages, seed=args.seed)
    kinds = Counter(c.type for c in site.content.values())
    visible = visible_by_space(site)
    spaces = sorted(site.spaces)
    items = sum(len(ids) for ids in visible.values())
    print(f"site: {args.spaces} spaces x {args.pages} pages, seed {args.seed}: {kinds['page']} pages, "
          f"{kinds['blogpost']} blog posts, {items} visible to {SYNC_USER}; built in "
          f"{time.perf_counter() - started:.1f} s, RSS {vm_rss_mb():.0f} MB", flush=True)
    edits = plan_edits(site, visible, args.changed, args.seed)
    # The defaults of the connection written below: attachments listed and downloaded.
    minimum = first_sync_minimum(site, visible, attachments=True, downloads=True)

    # Fork before Dagster starts any thread.
    faults = FaultOptions(latency_ms=args.latency_ms, rate_limit_per_s=args.rate, seed=args.seed)
    sandbox = SandboxProcess(site, faults, in_process=args.in_process)
    if not args.in_process:
        del site  # the child serves it; what this process holds from now on is the sync's
        gc.collect()
        print(f"dropped the site here: RSS {vm_rss_mb():.0f} MB before the first sync")
    print(f"sandbox: Cloud at {sandbox.url}, latency {args.latency_ms:g} ms, rate limit "
          f"{f'{args.rate:g}/s' if args.rate else 'none'}, "
          + ("in a thread of this process" if args.in_process else f"in forked child {sandbox.pid}"))
    print(f"connection: deployment {args.deployment}, hourly windows from {SYNC_START}, lag 0, "
          f"page size {PAGE_SIZE}, client limit {CLIENT_RATE:g} requests/s, {CONCURRENCY} at once")

    import dagster as dg

    from km_assets.config import load_config

    warnings.filterwarnings("ignore", category=dg.BetaWarning)  # MultiToSingleDimensionPartitionMapping

    folder = Path(tempfile.mkdtemp(prefix="km-bench-incremental-"))
    os.environ[TOKEN_ENV] = sandbox.token
    stages: list[Stage] = []
    try:
        with dg.instance_for_test() as instance:
            config = load_config(km_yaml(folder, sandbox.url, sandbox.login, args.deployment))
            connection = config.connection("bench")
            ctx = {"sandbox": sandbox, "instance": instance, "config": config, "connection": connection,
                   "spaces": spaces}
            root, prefix = folder / "data", connection.asset_prefix
            # A reconciliation lists every live item without bodies, and the attachments of the live pages
            # that have files (that is how deleted attachments leave; nothing unchanged is downloaded).
            snapshot_min = minimum.snapshot + minimum.attachment_listings

            # 1. The first sync.
            profiler = cProfile.Profile() if args.profile else None
            with profiler or contextlib.nullcontext():
                first = run_stage("1. first sync", T0, ctx)
            if profiler is not None:
                profiler.dump_stats(args.profile)
                print(f"   profile of the first sync (this process only) written to {args.profile}; top 25:")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            first.minimum = minimum.total
            by_route = {route: sum(statuses.values()) for route, statuses in first.requests.items()}
            first.notes.append(
                f"minimum {minimum.total} = history listing {minimum.listing} (made "
                f"{first.by_asset.get('raw_history', 0)}) + snapshot {minimum.snapshot} (made "
                f"{first.by_asset.get('snapshot', 0)}) + attachment listings {minimum.attachment_listings} (made "
                f"{by_route.get('/rest/api/content/{id}/child/attachment', 0)}) + downloads {minimum.downloads} "
                f"(made {by_route.get('/rest/api/content/{id}/child/attachment/{att}/download', 0)} + "
                f"{by_route.get('/media/file/{att}', 0)})")
            held = read_current(root, prefix)
            expected = {cid for ids in visible.values() for cid in ids}
            first.checks += [
                (f"requests / listing minimum {first.total / first.minimum:.3f} <= {MAX_FIRST_RATIO}",
                 first.total <= MAX_FIRST_RATIO * first.minimum),
                (f"articles_current holds every visible item ({len(held)} of {len(expected)})",
                 set(held) == expected),
            ]
            describe(first, len(spaces))
            stages.append(first)

            # 2a. No changes, one hour later: the schedule's window runs (and the refresh they trigger).
            quiet = run_stage("2a. no changes, windows only (schedule)", T0 + timedelta(hours=1), ctx,
                              reconcile=False)
            quiet.minimum = len(spaces)
            windows = quiet.by_asset.get("raw_content", 0)
            quiet.checks += [
                (f"finishes within {args.quiet_max_s:g} s ({quiet.wall_s:.1f} s)", quiet.wall_s <= args.quiet_max_s),
                (f"at most {HANDFUL} requests per space ({quiet.total / len(spaces):.1f})",
                 quiet.total <= HANDFUL * len(spaces)),
                (f"one window listing request per space ({windows} for {len(spaces)} spaces)",
                 windows == len(spaces)),
            ]
            if quiet.job_count.get("refresh"):
                quiet.notes.append(f"{quiet.job_count['refresh']} refresh runs after windows that found nothing, "
                                   f"{quiet.job_s['refresh']:.1f} s of the {quiet.wall_s:.1f} s (sync_connection "
                                   "refreshes after any window it ran)")
            describe(quiet, len(spaces))
            stages.append(quiet)

            # 2b. The reconciliation `km sync` runs on top, still without changes.
            recon = run_stage("2b. no changes, reconciliation (km sync)", T0 + timedelta(hours=1), ctx)
            recon.minimum = snapshot_min
            recon.checks.append((f"only the snapshot and attachment listings: {recon.total} requests for a minimum "
                                 f"of {snapshot_min}",
                                 recon.total <= MAX_FIRST_RATIO * snapshot_min))
            describe(recon, len(spaces))
            stages.append(recon)

            # 3. 1 % of the pages edited during the next hour, then window + reconciliation.
            versions: dict[str, int] = {}
            edit_started = time.perf_counter()
            for edit in edits:
                versions[edit.content_id] = sandbox.edit(edit.content_id, by=edit.by, at=edit.at,
                                                         body=edit.body)["version"]
            chosen = [edit.content_id for edit in edits]
            print(f"\nedited {len(edits)} pages ({args.changed:.1%}) inside [{EDIT_WINDOW:%H:%M}, "
                  f"{EDIT_WINDOW + timedelta(hours=1):%H:%M}) through the admin API in "
                  f"{time.perf_counter() - edit_started:.1f} s", flush=True)
            changed = run_stage(f"3. {args.changed:.0%} of pages changed (km sync)", T0 + timedelta(hours=2), ctx)
            edited_in = Counter(edit.space for edit in edits)
            changed_min = sum(max(1, math.ceil(edited_in[s] / PAGE_SIZE)) for s in spaces)
            changed.minimum = changed_min + snapshot_min
            held = read_current(root, prefix)
            picked = [cid for cid in chosen if held.get(cid, (0, False)) == (versions[cid], True)]
            changed.checks += [
                (f"every edit reached articles_current ({len(picked)} of {len(chosen)}, new version and body)",
                 len(picked) == len(chosen)),
                (f"window listing {changed.by_asset.get('raw_content', 0)} requests for {len(chosen)} edits "
                 f"(minimum {changed_min})", changed.by_asset.get("raw_content", 0) <= MAX_FIRST_RATIO * changed_min),
                (f"articles_current still holds every visible item ({len(held)} of {len(expected)})",
                 set(held) == expected),
            ]
            describe(changed, len(spaces))
            stages.append(changed)
    finally:
        server_peak = sandbox.peak_rss_mb()
        sandbox.stop()
        if args.keep:
            print(f"\nkept {folder}")
        else:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)

    print(f"\npeak RSS: this process {peak_rss_mb():.0f} MB (ru_maxrss: the site before it was dropped, "
          f"Dagster, the sync), sandbox child "
          + (f"{server_peak:.0f} MB" if server_peak is not None else "n/a (in-process)"))
    print(f"\n{args.spaces} spaces x {args.pages} pages ({items} items), latency {args.latency_ms:g} ms; "
          f"{machine()}\n")
    print(table(stages, len(spaces), items))
    failed = [f"{s.name}: {what}" for s in stages for what, ok in s.checks if not ok]
    failed += [f"{s.name}: {s.failed_runs} failed runs" for s in stages if s.failed_runs]
    for line in failed:
        print(f"FAIL {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
