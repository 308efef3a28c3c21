"""Runs whose process died (SIGKILL, OOM, a closed laptop) stay STARTED in Dagster's run list forever.

`km sync` runs jobs in its own process, outside any run launcher, so Dagster's run monitoring cannot see
them. Each such run carries the id and start time of the process that runs it; the next `km sync` marks
the runs whose process is gone as failed, saying so, and frees the pool slots their steps held, before it
starts its own.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

__all__ = ["PID_TAG", "PROCESS_TAG", "fail_orphaned_runs", "process_tags"]

PID_TAG = "km/pid"
PROCESS_TAG = "km/process"  # "<host>:<pid>:<start time>": a pid alone may be reused by another process
_ALIVE = (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.NOT_STARTED)


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def _identity(pid: int) -> str:
    return f"{os.uname().nodename}:{pid}:{_start_ticks(pid) or '?'}"


def process_tags() -> dict[str, str]:
    pid = os.getpid()
    return {PID_TAG: str(pid), PROCESS_TAG: _identity(pid)}


def _gone(identity: str) -> bool:
    host, pid, ticks = identity.split(":", 2)
    if host != os.uname().nodename:
        return False  # another machine's process: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return ticks != "?" and _identity(int(pid)) != identity  # the pid now belongs to someone else


def fail_orphaned_runs(instance: dg.DagsterInstance, job_names: list[str]) -> list[str]:
    """Mark the given jobs' unfinished runs whose process is gone as failed; returns their run ids."""
    failed = []
    for run in instance.get_runs(dg.RunsFilter(statuses=list(_ALIVE))):
        identity = run.tags.get(PROCESS_TAG)
        if run.job_name not in job_names or identity is None or not _gone(identity):
            continue
        instance.report_run_failed(run, message=f"the process that ran it ({identity}) ended without "
                                                "finishing the run (killed or crashed); a later km sync re-runs "
                                                "what it left")
        # A step killed while it held a slot of a concurrency pool never gave it back; only Dagster's
        # daemon frees such slots, and `km sync` runs without one.
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        failed.append(run.run_id)
    return failed
