"""Space partitions materialized in parallel by Dagster's own machinery, with the site's rate limit shared.

    .venv/bin/python benchmarks/parallel_partitions.py                 # 20 spaces x 500 pages, 4 runs at once
    .venv/bin/python benchmarks/parallel_partitions.py --quick         # 4 spaces x 20 pages, a smoke run

The same first sync of every space of one synthetic site, on a fresh sandbox each time (same site, latency
and rate limit; its counters start from zero):

- one process: `km sync`'s in-process path, one space after another (what a single process gets);
- dagster, shared: a backfill of the initial job over every space partition (`dagster job backfill`),
  queued by the QueuedRunCoordinator with `concurrency: runs: max_concurrent_runs`, dequeued by a real
  `dagster-daemon`, each run launched by the DefaultRunLauncher in a process of its own with the executor
  from km.yaml. Every run takes its requests from the site's one bucket (rate_limit.shared: machine), and
  the Confluence steps hold slots of the connection's pool;
- dagster, unshared (`--unshared`): the same with rate_limit.shared: none, each run at the whole rate:
  what sharing prevents.

Printed per case: wall, runs, most runs at once (from the runs' start and end times), requests, 429s the
sandbox answered, and whether every expected item reached articles_current exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SandboxCounts  # noqa: E402
from listing_vs_peers import ForkedSandbox, expected_ids, machine  # noqa: E402

from km_assets.sandbox.faults import FaultOptions  # noqa: E402
from km_assets.sandbox.synthetic import synthetic_site  # noqa: E402

TOKEN_ENV = "KM_BENCH_TOKEN"
BIN = Path(sys.executable).parent


@dataclass
class Case(SandboxCounts):
    name: str
    wall_s: float = 0.0
    runs: int = 0
    failed_runs: int = 0
    most_at_once: int = 0
    server: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def write_setup(folder: Path, url: str, login: str, args: argparse.Namespace, shared: str) -> dict[str, str]:
    """km.yaml, workspace.yaml and the instance's dagster.yaml in `folder`; the environment runs need."""
    (folder / "dagster").mkdir(parents=True)
    (folder / "km.yaml").write_text(f"""
storage: {{root: {folder / 'data'}}}
executor: {{kind: {args.executor}}}
connections:
  - name: bench
    url: {url}
    deployment: cloud
    auth: {{username: {login}, api_token_env: {TOKEN_ENV}}}
    content_types: [page, blogpost]
    page_size: {args.page_size}
    rate_limit: {{requests_per_second: {args.rate}, max_concurrency: 4, shared: {shared}}}
    permissions: {{enabled: false}}
    schedule: daily
""")
    (folder / "workspace.yaml").write_text(
        "load_from:\n  - python_module:\n      module_name: km_assets.definitions\n"
        f"      working_directory: {folder}\n")
    (folder / "dagster" / "dagster.yaml").write_text(f"""
telemetry: {{enabled: false}}
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config: {{dequeue_interval_seconds: 1, dequeue_use_threads: true, dequeue_num_workers: 4}}
concurrency:
  runs: {{max_concurrent_runs: {args.runs_at_once}}}
  pools: {{default_limit: {args.pool_slots}}}
""")
    return {"KM_CONFIG": str(folder / "km.yaml"), "DAGSTER_HOME": str(folder / "dagster"),
            "KM_RATE_LIMIT_DIR": str(folder / "rate-limits")}


def articles(folder: Path) -> list[str]:
    import polars as pl

    current = pl.read_parquet(folder / "data/bench/articles_current/**/*.parquet", hive_partitioning=True)
    return current["content_id"].to_list()


def one_process(site, spaces: list[str], faults: FaultOptions, args: argparse.Namespace) -> Case:
    """`km sync` of every space in this process (the sandbox in a forked child)."""
    case = Case("one process")
    sandbox = ForkedSandbox(site, faults)
    folder = Path(tempfile.mkdtemp(prefix="km-bench-par-"))
    try:
        env = write_setup(folder, sandbox.url, sandbox.login, args, "machine") | {TOKEN_ENV: sandbox.token}
        command = [str(BIN / "km"), "sync", "bench"]  # KM_CONFIG names the km.yaml
        started = time.perf_counter()
        done = subprocess.run(command, env={**os.environ, **env}, cwd=folder, capture_output=True, text=True,
                              timeout=3600)
        case.wall_s = time.perf_counter() - started
        if done.returncode:
            case.failures.append(f"km sync exited {done.returncode}: {done.stderr[-2000:]}")
        case.runs, case.most_at_once = len(spaces), 1
    finally:
        case.server = sandbox.stop()
    check_items(case, site, spaces, folder)
    return case


def dagster_backfill(site, spaces: list[str], faults: FaultOptions, args: argparse.Namespace, shared: str) -> Case:
    import dagster as dg

    case = Case(f"dagster runs, {'shared' if shared == 'machine' else 'unshared'} rate")
    sandbox = ForkedSandbox(site, faults)
    folder = Path(tempfile.mkdtemp(prefix="km-bench-par-"))
    daemon = None
    try:
        env = write_setup(folder, sandbox.url, sandbox.login, args, shared) | {TOKEN_ENV: sandbox.token}
        full_env = {**os.environ, **env}
        os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
        with dg.DagsterInstance.get() as instance, open(folder / "daemon.log", "w") as daemon_log:
            instance.add_dynamic_partitions("bench__spaces", spaces)
            # The daemon dequeues and launches; its own process group, so it and its children stop together.
            daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", str(folder / "workspace.yaml")],
                                      env=full_env, cwd=folder, start_new_session=True,
                                      stdout=daemon_log, stderr=subprocess.STDOUT)
            submitted = time.time()  # the runs' start and end times are on this clock
            submit = subprocess.run([str(BIN / "dagster"), "job", "backfill", "-w", str(folder / "workspace.yaml"),
                                     "-j", "bench__initial", "--partitions", ",".join(spaces), "--noprompt"],
                                    env=full_env, cwd=folder, capture_output=True, text=True, timeout=600)
            if submit.returncode:
                raise RuntimeError(f"dagster job backfill exited {submit.returncode}: {submit.stderr[-2000:]}")
            records = wait_for_runs(instance, len(spaces), deadline=time.monotonic() + args.timeout_s,
                                    daemon=daemon)
            ends = [r.end_time for r in records if r.end_time]
            case.wall_s = (max(ends) if ends else time.time()) - submitted
            case.runs = len(records)
            case.failed_runs = sum(r.dagster_run.status != dg.DagsterRunStatus.SUCCESS for r in records)
            case.most_at_once = most_at_once([(r.start_time, r.end_time) for r in records])
            if case.failed_runs:
                case.failures.append(f"{case.failed_runs} runs did not succeed (daemon log: {folder / 'daemon.log'})")
    finally:
        if daemon is not None:
            stop_group(daemon)
        case.server = sandbox.stop()
    check_items(case, site, spaces, folder)
    return case


def wait_for_runs(instance, count: int, deadline: float, daemon: subprocess.Popen) -> list:
    import dagster as dg

    finished = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
    while True:
        records = instance.get_run_records(filters=dg.RunsFilter(job_name="bench__initial"))
        if len(records) >= count and all(r.dagster_run.status in finished for r in records):
            return records
        if daemon.poll() is not None:
            raise RuntimeError(f"dagster-daemon exited {daemon.returncode} with runs unfinished")
        if time.monotonic() > deadline:
            states = Counter(r.dagster_run.status.value for r in records)
            raise TimeoutError(f"runs unfinished at the deadline: {dict(states)}")
        time.sleep(0.5)


def most_at_once(spans: list[tuple[float | None, float | None]]) -> int:
    events = sorted([(s, 1) for s, e in spans if s] + [(e, -1) for s, e in spans if s and e])
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


def stop_group(process: subprocess.Popen) -> None:
    """Stop a process we started in a session of its own, with everything it started, by its group id."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass  # it had already exited


def check_items(case: Case, site, spaces: list[str], folder: Path) -> None:
    expected = expected_ids(site, spaces, ("page", "blogpost"))
    try:
        seen = Counter(articles(folder))
    except Exception as err:  # reported as a FAIL line: nothing was written, or not readable
        case.failures.append(f"articles_current unreadable: {type(err).__name__}: {err}")
        return
    if missing := expected - set(seen):
        case.failures.append(f"{len(missing)} of {len(expected)} expected items missing")
    if twice := [i for i, n in seen.items() if n > 1]:
        case.failures.append(f"{len(twice)} items more than once")


def table(cases: list[Case], rate: float) -> str:
    lines = ["| case | wall (s) | runs | most runs at once | requests | 429s | bound (s) | check |",
             "|---|---|---|---|---|---|---|---|"]
    for c in cases:
        lines.append(f"| {c.name} | {c.wall_s:.1f} | {c.runs} | {c.most_at_once} | {c.requests} | {c.throttled} | "
                     f"{c.requests / rate:.1f} | {'ok' if not c.failures else 'FAIL'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", type=int, default=20)
    parser.add_argument("--pages", type=int, default=500, help="pages per space (blog posts come on top)")
    parser.add_argument("--page-size", type=int, default=50, help="km.yaml page_size (items per listing request)")
    # At 250 ms a run could send 4 requests a second, so one process already fills a 3/s limit, and four
    # runs at once would ask for five times the limit: what the sharing must hold back.
    parser.add_argument("--latency-ms", type=float, default=250.0)
    parser.add_argument("--rate", type=float, default=3.0, help="the sandbox's and our requests per second")
    parser.add_argument("--runs-at-once", type=int, default=4, help="concurrency: runs: max_concurrent_runs")
    parser.add_argument("--pool-slots", type=int, default=4, help="concurrency: pools: default_limit")
    parser.add_argument("--executor", default="in_process", choices=("in_process", "multiprocess"),
                        help="km.yaml executor.kind of each run (multiprocess: a process per step)")
    parser.add_argument("--unshared", action="store_true", help="also run with rate_limit.shared: none")
    parser.add_argument("--timeout-s", type=float, default=1800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="4 spaces x 20 pages")
    args = parser.parse_args(argv)
    # Stopped with SIGTERM, still stop the daemon and the sandbox (the `finally`s run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.spaces, args.pages, args.latency_ms = 4, 20, 50.0
    site = synthetic_site(args.spaces, args.pages, seed=args.seed)
    spaces = sorted(site.spaces)
    faults = FaultOptions(latency_ms=args.latency_ms, rate_limit_per_s=args.rate, seed=args.seed)
    print(f"{args.spaces} spaces x {args.pages} pages (page size {args.page_size}), {args.latency_ms:g} ms latency, {args.rate:g} requests/s, "
          f"{args.runs_at_once} runs at once, {args.pool_slots} pool slots, executor {args.executor}; "
          f"{machine()}", flush=True)
    cases = []
    runners = [lambda: one_process(site, spaces, faults, args),
               lambda: dagster_backfill(site, spaces, faults, args, "machine")]
    if args.unshared:
        runners.append(lambda: dagster_backfill(site, spaces, faults, args, "none"))
    for runner in runners:
        case = runner()
        print(f"\n== {case.name}: wall {case.wall_s:.1f} s, {case.runs} runs ({case.failed_runs} failed), "
              f"at most {case.most_at_once} at once, {case.requests} requests, {case.throttled} answered 429"
              + "".join(f"\n   FAIL {f}" for f in case.failures), flush=True)
        cases.append(case)
    print("\n" + table(cases, args.rate))
    single, shared = cases[0], cases[1]
    if shared.throttled > single.throttled:
        print(f"\nFAIL the parallel runs got {shared.throttled} 429s, one process {single.throttled}")
        return 1
    print(json.dumps({"speedup": round(single.wall_s / shared.wall_s, 2) if shared.wall_s else None}))
    return 1 if any(c.failures for c in cases) else 0


if __name__ == "__main__":
    raise SystemExit(main())
