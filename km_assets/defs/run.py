"""Materializing a connection in-process, on a real Dagster instance (the CLI's `demo` and `sync`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ..config import ConnectionSettings, KmConfig
from .assets import space_partitions
from .build import build_definitions, sync_job_name

__all__ = ["SpaceRun", "dagster_instance", "sync_spaces"]

_INSTANCE_SETTINGS = "telemetry:\n  enabled: false\n"


@dataclass
class SpaceRun:
    space: str
    run_id: str
    success: bool


def dagster_instance(home: str | Path | None = None) -> dg.DagsterInstance:
    """The instance under $DAGSTER_HOME (./.dagster by default), the one `make ui` shows."""
    path = Path(home or os.environ.get("DAGSTER_HOME") or ".dagster").resolve()
    path.mkdir(parents=True, exist_ok=True)
    settings = path / "dagster.yaml"
    if not settings.exists():
        settings.write_text(_INSTANCE_SETTINGS)
    os.environ["DAGSTER_HOME"] = str(path)
    return dg.DagsterInstance.get()


def sync_spaces(config: KmConfig, connection: ConnectionSettings, spaces: list[str],
                instance: dg.DagsterInstance, *, log_level: str = "INFO") -> list[SpaceRun]:
    """One run of the connection's sync job per space partition; the partitions are registered first."""
    partitions = space_partitions(connection)
    known = set(instance.get_dynamic_partitions(partitions.name))
    new = [s for s in spaces if s not in known]
    if new:
        instance.add_dynamic_partitions(partitions.name, new)
    job = build_definitions(config).resolve_job_def(sync_job_name(connection.asset_prefix))
    runs = []
    for space in spaces:
        # The console logger's level only; the instance's event log keeps every event for the UI.
        run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
        result = job.execute_in_process(partition_key=space, instance=instance, run_config=run_config,
                                        raise_on_error=True)
        runs.append(SpaceRun(space, result.run_id, result.success))
    return runs
