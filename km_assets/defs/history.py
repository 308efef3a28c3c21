"""Where a space's synced history ends: the cutoff its latest raw_history materialization recorded.

Windows that end before it are inside the first sync's listing; windows after it are fetched one by one.
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg

__all__ = ["history_cutoff"]


def history_cutoff(instance: dg.DagsterInstance, prefix: str, space: str) -> datetime | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey([prefix, "raw_history"]), asset_partitions=[space]),
        limit=1).records
    cutoff = records[0].asset_materialization.metadata.get("cutoff") if records else None
    return datetime.fromisoformat(cutoff.value) if cutoff is not None else None
