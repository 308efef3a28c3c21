"""Schedules and sensors of one connection.

The incremental schedule fires once a window has settled (its end plus `sync.lag_minutes`) and asks
for that window of every known space; the refresh sensor then rebuilds the articles of the spaces whose
windows found something (an empty window changes nothing). The reconciliation and the permission sync run on their own cadences.
The space sensor adds spaces that match the filters and starts their first sync.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from ..config import ConnectionSettings
from ..confluence import list_spaces
from ..km.windows import STEPS, window_for
from .resources import ConfluenceResource

__all__ = ["connection_schedules", "last_settled_window", "refresh_sensor", "space_sensor"]


def _cron(cadence: str, lag_minutes: int) -> str:
    hours, minutes = divmod(lag_minutes, 60)
    if cadence == "hourly":
        return f"{minutes} * * * *"
    if cadence == "weekly":
        return f"{minutes} {hours % 24} * * 1"
    return f"{minutes} {hours % 24} * * *"


def last_settled_window(connection: ConnectionSettings, now: datetime):
    """The newest window whose end plus the lag is not after `now`."""
    lag = timedelta(minutes=connection.sync.lag_minutes)
    return window_for(now.astimezone(UTC) - lag - STEPS[connection.schedule], connection.schedule)


def _window_key(connection: ConnectionSettings, window) -> str:
    fmt = "%Y-%m-%d-%H:%M" if connection.schedule == "hourly" else "%Y-%m-%d"
    return window.start.strftime(fmt)


def connection_schedules(connection: ConnectionSettings) -> list[dg.ScheduleDefinition]:
    prefix = connection.asset_prefix
    spaces_name = f"{prefix}__spaces"

    @dg.schedule(name=f"{prefix}__incremental", job_name=f"{prefix}__window",
                 cron_schedule=_cron(connection.schedule, connection.sync.lag_minutes),
                 description=f"{connection.schedule} incremental sync of {connection.name!r}",
                 default_status=dg.DefaultScheduleStatus.STOPPED)
    def incremental(context: dg.ScheduleEvaluationContext):
        window = last_settled_window(connection, context.scheduled_execution_time or datetime.now(UTC))
        key = _window_key(connection, window)
        for space in context.instance.get_dynamic_partitions(spaces_name):
            yield dg.RunRequest(run_key=f"{space}/{key}",
                                partition_key=dg.MultiPartitionKey({"space": space, "window": key}))

    reconcile = _every_space(connection, "reconcile", _cron(connection.sync.reconcile, connection.sync.lag_minutes + 30),
                             f"{connection.sync.reconcile} reconciliation of {connection.name!r}: deletions, moves, "
                             "relabels")

    @dg.schedule(name=f"{prefix}__report", job_name=f"{prefix}__report",
                 cron_schedule=_cron(connection.sync.reconcile, connection.sync.lag_minutes + 90),
                 description=f"{connection.sync.reconcile} sync report of {connection.name!r}, after the "
                             "reconciliation",
                 default_status=dg.DefaultScheduleStatus.STOPPED)
    def report(context: dg.ScheduleEvaluationContext):
        return dg.RunRequest(run_key=f"report/{context.scheduled_execution_time}")

    schedules = [incremental, reconcile, report]
    if connection.permissions.enabled:
        schedules.append(_every_space(
            connection, "permissions", _cron(connection.permissions.schedule, connection.sync.lag_minutes + 45),
            f"{connection.permissions.schedule} permission sync of {connection.name!r}: space permissions and "
            "restrictions -> permission_map"))
    return schedules


def _every_space(connection: ConnectionSettings, job: str, cron: str, description: str) -> dg.ScheduleDefinition:
    """A schedule asking for one run of the job per known space (the job is partitioned by space)."""
    prefix = connection.asset_prefix

    @dg.schedule(name=f"{prefix}__{job}", job_name=f"{prefix}__{job}", cron_schedule=cron,
                 description=description, default_status=dg.DefaultScheduleStatus.STOPPED)
    def every_space(context: dg.ScheduleEvaluationContext):
        for space in context.instance.get_dynamic_partitions(f"{prefix}__spaces"):
            yield dg.RunRequest(run_key=f"{space}/{context.scheduled_execution_time}", partition_key=space)

    return every_space


def space_sensor(connection: ConnectionSettings,
                 partitions: dg.DynamicPartitionsDefinition) -> dg.SensorDefinition:
    prefix = connection.asset_prefix

    @dg.sensor(name=f"{prefix}__spaces", job_name=f"{prefix}__initial", minimum_interval_seconds=3600,
               required_resource_keys={f"confluence_{prefix}"},
               description=f"Adds spaces of {connection.name!r} that match the filters and starts their first sync",
               default_status=dg.DefaultSensorStatus.STOPPED)
    def spaces(context: dg.SensorEvaluationContext):
        resource: ConfluenceResource = getattr(context.resources, f"confluence_{prefix}")
        with resource.client(connection) as client:
            found = list_spaces(client, connection)
        known = set(context.instance.get_dynamic_partitions(partitions.name))
        new = [s for s in found if s not in known]
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"initial/{s}", partition_key=s) for s in new],
            dynamic_partitions_requests=[partitions.build_add_request(new)] if new else [])

    return spaces


def refresh_sensor(connection: ConnectionSettings, windowed: dg.MultiPartitionsDefinition) -> dg.SensorDefinition:
    """Refresh a space's articles after its window runs found rows; its cursor is the last event seen."""
    prefix = connection.asset_prefix
    raw_content = dg.AssetKey([prefix, "raw_content"])

    @dg.sensor(name=f"{prefix}__refresh", job_name=f"{prefix}__refresh", minimum_interval_seconds=60,
               description=f"Rebuilds the articles of {connection.name!r} spaces whose windows brought changes",
               default_status=dg.DefaultSensorStatus.STOPPED)
    def refresh(context: dg.SensorEvaluationContext):
        after = int(context.cursor) if context.cursor else None
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=raw_content, after_storage_id=after), limit=1000, ascending=True).records
        if not records:
            return dg.SkipReason("no window materialized since the last look")
        changed: set[str] = set()
        for record in records:
            materialization = record.asset_materialization
            rows = materialization.metadata.get("rows")
            if materialization.partition and rows is not None and rows.value:
                key = windowed.get_partition_key_from_str(materialization.partition)
                changed.add(key.keys_by_dimension["space"])
        last = records[-1].storage_id
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"refresh/{space}/{last}", partition_key=space)
                          for space in sorted(changed)],
            cursor=str(last))

    return refresh
