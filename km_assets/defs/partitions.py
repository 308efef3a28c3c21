"""Partitions: spaces (dynamic: a sensor adds those the filters select) and time windows on last-modified."""

from __future__ import annotations

import warnings

import dagster as dg

from ..config import ConnectionSettings

__all__ = ["by_space", "space_partitions", "window_partitions", "windowed_partitions"]


def space_partitions(connection: ConnectionSettings) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=f"{connection.asset_prefix}__spaces")


def window_partitions(connection: ConnectionSettings) -> dg.TimeWindowPartitionsDefinition:
    """Windows aligned with the connection's schedule, in UTC, from `sync.start` on."""
    start = connection.sync.start.isoformat()
    if connection.schedule == "hourly":
        return dg.HourlyPartitionsDefinition(start_date=f"{start}-00:00")
    if connection.schedule == "weekly":
        return dg.WeeklyPartitionsDefinition(start_date=start)
    return dg.DailyPartitionsDefinition(start_date=start)


def windowed_partitions(connection: ConnectionSettings) -> dg.MultiPartitionsDefinition:
    return dg.MultiPartitionsDefinition({"space": space_partitions(connection),
                                         "window": window_partitions(connection)})


def by_space() -> dg.PartitionMapping:
    """A space's assets depend on every window of that space."""
    with warnings.catch_warnings():
        # Beta in Dagster 1.13 and the one mapping that says this; users should not see the warning.
        warnings.filterwarnings("ignore", category=dg.BetaWarning)
        return dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="space")
