"""Materializing a connection in-process, on a real Dagster instance (`km demo`, `km sync`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from ..config import ConnectionSettings, KmConfig
from ..km.windows import STEPS, Window, window_for
from .assets import NOW_TAG
from .build import build_definitions, job_kinds, job_name
from .history import history_cutoff
from .orphans import fail_orphaned_runs, process_tags
from .parallel_spaces import in_processes as _in_processes
from .partitions import space_partitions, windowed_partitions
from .schedules import _window_key, last_settled_window

__all__ = ["SyncSummary", "dagster_instance", "history_cutoff", "sync_connection", "sync_spaces"]

# The instance `km` creates ($DAGSTER_HOME/dagster.yaml, written once; edit it to taste). Runs that Dagster
# launches (a backfill of space partitions, schedules) are queued and run in parallel up to
# max_concurrent_runs, each in a process of its own; every connection's pool (the steps that call
# Confluence, defs/pools.py) gets default_limit slots across all runs.
_INSTANCE_SETTINGS = """telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 4
  pools:
    default_limit: 4
"""


@dataclass
class SyncSummary:
    runs: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (job, partition, run id, success)

    @property
    def failed(self) -> list[tuple[str, str, str, bool]]:
        return [r for r in self.runs if not r[3]]


def dagster_instance(home: str | Path | None = None) -> dg.DagsterInstance:
    """The instance under $DAGSTER_HOME (./.dagster by default), the one `make ui` shows."""
    path = Path(home or os.environ.get("DAGSTER_HOME") or ".dagster").resolve()
    path.mkdir(parents=True, exist_ok=True)
    settings = path / "dagster.yaml"
    if not settings.exists():
        settings.write_text(_INSTANCE_SETTINGS)
    os.environ["DAGSTER_HOME"] = str(path)
    return dg.DagsterInstance.get()


def _synced_windows(instance: dg.DagsterInstance, connection: ConnectionSettings, space: str) -> set[str]:
    key = dg.AssetKey([connection.asset_prefix, "raw_content"])
    definition = windowed_partitions(connection)
    windows = set()
    for done in instance.get_materialized_partitions(key):
        # The instance hands multi-partition keys back as strings ("ENG|2026-11-26-12:00").
        parsed = done if isinstance(done, dg.MultiPartitionKey) else definition.get_partition_key_from_str(done)
        if parsed.keys_by_dimension["space"] == space:
            windows.add(parsed.keys_by_dimension["window"])
    return windows


@dataclass(frozen=True)
class _Plan:
    """What every space of one sync is asked to do (picklable: it travels to worker processes)."""

    now: datetime
    full: bool
    reconcile: bool
    since: datetime | None
    log_level: str
    permissions: bool


def sync_connection(config: KmConfig, connection: ConnectionSettings, spaces: list[str],
                    instance: dg.DagsterInstance, *, full: bool = False, reconcile: bool = True,
                    now: datetime | None = None, since: datetime | None = None, log_level: str = "INFO",
                    progress: Callable[[str], None] | None = None, permissions: bool = False,
                    parallel: int | None = None) -> SyncSummary:
    """First sync (one listing per space) where there is none, else every settled window since; then
    a refresh of the articles and, unless told not to, a reconciliation; with `permissions`, the
    permission map too (it has its own schedule otherwise).

    Spaces are independent: up to `parallel` (default `sync.parallel_spaces`) are synced at once, each in
    a worker process of its own, so one space's listing waits on the network while another's articles
    are converted. The processes share the site's rate limit (rate_limit.shared) and the Dagster
    instance; each run is the same run a sequential sync makes.
    """
    plan = _Plan(now=now or datetime.now(UTC), full=full, reconcile=reconcile, since=since, log_level=log_level,
                 permissions=permissions and connection.permissions.enabled)
    partitions = space_partitions(connection)
    known = set(instance.get_dynamic_partitions(partitions.name))
    new = [s for s in spaces if s not in known]
    if new:
        instance.add_dynamic_partitions(partitions.name, new)
    orphans = fail_orphaned_runs(instance, [job_name(connection, kind) for kind in job_kinds(connection)])
    if orphans and progress:
        progress(f"marked {len(orphans)} run(s) of a killed sync as failed: {', '.join(orphans)}")
    workers = min(parallel or connection.sync.parallel_spaces, len(spaces))
    summary = SyncSummary()
    if workers > 1 and not instance.is_ephemeral:
        for runs in _in_processes(config, connection, spaces, instance, plan, workers, progress):
            summary.runs.extend(runs)
        return summary
    defs = build_definitions(config)
    for space in spaces:
        summary.runs.extend(_sync_space(defs, connection, space, instance, plan, progress))
    return summary


def _sync_space(defs: dg.Definitions, connection: ConnectionSettings, space: str, instance: dg.DagsterInstance,
                plan: _Plan, progress: Callable[[str], None] | None) -> list[tuple[str, str, str, bool]]:
    """Every run one space needs, in order; returns (job, partition, run id, success) per run."""
    tags = {NOW_TAG: plan.now.isoformat(), **process_tags()}
    run_config = {"loggers": {"console": {"config": {"log_level": plan.log_level}}}}
    runs: list[tuple[str, str, str, bool]] = []

    def run(kind: str, partition: str | dg.MultiPartitionKey) -> dg.ExecuteInProcessResult:
        job = defs.resolve_job_def(job_name(connection, kind))
        if progress:
            progress(f"{kind} {partition}")
        result = job.execute_in_process(partition_key=partition, instance=instance, tags=tags,
                                        run_config=run_config, raise_on_error=True)
        runs.append((kind, str(partition), result.run_id, result.success))
        return result

    cutoff = None if plan.full else history_cutoff(instance, connection.asset_prefix, space)
    if cutoff is None:
        run("initial", space)
    else:
        # --since re-fetches every window from that moment on, even those already synced.
        synced = set() if plan.since is not None else _synced_windows(instance, connection, space)
        start = window_for(plan.since, connection.schedule).start if plan.since is not None else cutoff
        window = Window(start, start + STEPS[connection.schedule])
        last = last_settled_window(connection, plan.now)
        changed = False
        while window.end <= last.end:
            key = _window_key(connection, window)
            if key not in synced:
                result = run("window", dg.MultiPartitionKey({"space": space, "window": key}))
                changed = changed or _found_rows(result)
            window = Window(window.end, window.end + STEPS[connection.schedule])
        if plan.reconcile:
            run("reconcile", space)  # also rebuilds the articles, so moved-in items are found
        elif changed:  # windows that found nothing leave the articles as they are (as the refresh sensor does)
            run("refresh", space)
    if plan.permissions:
        run("permissions", space)
    return runs


def sync_spaces(config: KmConfig, connection: ConnectionSettings, spaces: list[str],
                instance: dg.DagsterInstance, *, log_level: str = "INFO", now: datetime | None = None) -> SyncSummary:
    """The first sync of the given spaces and their permission maps (what `km demo` runs)."""
    return sync_connection(config, connection, spaces, instance, full=True, log_level=log_level, now=now,
                           permissions=True)


def _found_rows(result: dg.ExecuteInProcessResult) -> bool:
    """Whether a window run's raw_content materialization holds any row."""
    for event in result.get_asset_materialization_events():
        rows = event.materialization.metadata.get("rows")
        if rows is not None and rows.value:
            return True
    return False
