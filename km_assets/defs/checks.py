"""Asset checks of one connection: what every partition a run writes must satisfy, and freshness.

- articles, articles_current: no null or blank title (ERROR: a KM article cannot be filed without one).
- raw_history, raw_content: (content_id, version) unique within the partition (ERROR: a repeat means
  the listing or the windowing is wrong, even though latest_versions would hide it downstream).
- articles: fidelity below FIDELITY_THRESHOLD (WARN: the article exists, a reviewer should look).
- articles: unhandled macros (WARN: rendered as a placeholder, the policy may need an entry).
- raw_content: every synced space synced through the newest window the schedule has settled (WARN).

The checks of articles, articles_current and article_metadata are evaluated by the asset that writes the
partition, on the frame it has just built (inline_checks.py: its check specs, one evaluation per
partition). The raw listings' checks are standalone, partitioned like their asset, and read the stored
partition back, so they can also be run on what is stored. The freshness check spans
spaces, so it is its own unpartitioned check and reads materializations from the instance. Permission
rows checked fail-closed belong to permission_assets.py.
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import warnings
from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from ..config import ConnectionSettings
from ..convert.fidelity import FIDELITY_THRESHOLD
from ..km.windows import Window
from .assets import NOW_TAG
from .history import history_cutoff
from .partitions import space_partitions, window_partitions, windowed_partitions
from .schedules import last_settled_window

__all__ = ["FIDELITY_THRESHOLD", "connection_checks", "duplicate_versions_result", "empty_titles_result",
           "freshness_result", "low_fidelity_result", "synced_through", "unhandled_macros_result"]

_MAX_IDS = 20  # offending ids listed in a result's metadata; the count says how many there are
_LOWEST = 10


def empty_titles_result(df: pl.DataFrame) -> dg.AssetCheckResult:
    """Fails on a null title or one of only whitespace."""
    bad = df.filter(pl.col("title").is_null() | (pl.col("title").str.strip_chars() == ""))
    ids = bad["content_id"].sort().to_list()
    return dg.AssetCheckResult(passed=not ids, severity=dg.AssetCheckSeverity.ERROR,
                               metadata={"count": len(ids), "content_ids": ids[:_MAX_IDS]})


def duplicate_versions_result(df: pl.DataFrame) -> dg.AssetCheckResult:
    """Fails when a (content_id, version) pair appears more than once."""
    repeated = (df.group_by("content_id", "version").len().filter(pl.col("len") > 1)
                .sort("content_id", "version"))
    pairs = [f"{cid} v{version} x{n}" for cid, version, n in repeated.rows()]
    return dg.AssetCheckResult(passed=not pairs, severity=dg.AssetCheckSeverity.ERROR,
                               metadata={"count": len(pairs), "duplicates": pairs[:_MAX_IDS]})


def low_fidelity_result(df: pl.DataFrame, threshold: float = FIDELITY_THRESHOLD) -> dg.AssetCheckResult:
    """Warns about articles keeping less than the threshold (0.95 unless given) of the words a reader
    sees in Confluence."""
    low = df.filter(pl.col("fidelity") < threshold).sort("fidelity", "content_id")
    lowest = [{"content_id": cid, "title": title, "fidelity": round(fidelity, 3)}
              for cid, title, fidelity in low.select("content_id", "title", "fidelity").head(_LOWEST).rows()]
    return dg.AssetCheckResult(passed=low.is_empty(), severity=dg.AssetCheckSeverity.WARN,
                               metadata={"threshold": threshold, "count": low.height,
                                         "lowest": dg.MetadataValue.json(lowest)})


def unhandled_macros_result(df: pl.DataFrame) -> dg.AssetCheckResult:
    """Warns when articles hold macros no handler or policy covers; counts articles per macro name."""
    names = df.select(pl.col("unhandled_macros").explode().drop_nulls())["unhandled_macros"]
    counts = dict(sorted(names.value_counts().rows())) if names.len() else {}
    return dg.AssetCheckResult(passed=not counts, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"articles": int((df["unhandled_macros"].list.len() > 0).sum()),
                                         "macros": dg.MetadataValue.json(counts)})


def synced_through(cutoff: datetime | None, windows: list[Window]) -> datetime | None:
    """Where a space's synced data ends without a gap: the history cutoff, then every adjoining window.

    A window after a missing one does not count: the versions of the missing window are still absent.
    """
    if cutoff is None:
        return None
    end = cutoff
    for window in sorted(windows, key=lambda w: w.start):
        if window.start > end:
            break
        end = max(end, window.end)
    return end


def freshness_result(expected: datetime, through: dict[str, datetime | None]) -> dg.AssetCheckResult:
    """Every space with a first sync must be synced through `expected`. A space without one is only
    listed: its first sync is the initial job's business, and that job's failure shows as a failed run."""
    stale = {space: end.isoformat() for space, end in sorted(through.items()) if end and end < expected}
    never = sorted(space for space, end in through.items() if end is None)
    return dg.AssetCheckResult(passed=not stale, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"expected_through": expected.isoformat(),
                                         "stale_spaces": dg.MetadataValue.json(stale),
                                         "not_synced_yet": never})


def _synced_windows(instance: dg.DagsterInstance, connection: ConnectionSettings) -> dict[str, list[Window]]:
    windowed = windowed_partitions(connection)
    by_space: dict[str, list[Window]] = {}
    for done in instance.get_materialized_partitions(dg.AssetKey([connection.asset_prefix, "raw_content"])):
        # The instance hands multi-partition keys back as strings ("ENG|2026-11-26-12:00").
        key = done if isinstance(done, dg.MultiPartitionKey) else windowed.get_partition_key_from_str(done)
        bounds = window_partitions(connection).time_window_for_partition_key(key.keys_by_dimension["window"])
        by_space.setdefault(key.keys_by_dimension["space"], []).append(
            Window(bounds.start.astimezone(UTC), bounds.end.astimezone(UTC)))
    return by_space


def connection_checks(connection: ConnectionSettings) -> list[dg.AssetChecksDefinition]:
    prefix = connection.asset_prefix
    spaces = space_partitions(connection)

    def frame_check(asset: str, name: str, partitions: dg.PartitionsDefinition,
                    evaluate: Callable[[pl.DataFrame], dg.AssetCheckResult]) -> dg.AssetChecksDefinition:
        @dg.asset_check(asset=dg.AssetKey([prefix, asset]), name=name, partitions_def=partitions,
                        description=evaluate.__doc__)
        def _check(value: pl.DataFrame) -> dg.AssetCheckResult:
            return evaluate(value)

        return _check

    with warnings.catch_warnings():
        # Partitioned asset checks are a preview in Dagster 1.13; they are what runs a check per partition.
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)
        # Standalone, so they can be run against what is stored (a repeat may come from a file copied in),
        # at the price of a step that reads the partition back.
        checks = [
            frame_check("raw_history", "versions_unique", spaces, duplicate_versions_result),
            frame_check("raw_content", "versions_unique", windowed_partitions(connection),
                        duplicate_versions_result),
        ]

    @dg.asset_check(asset=dg.AssetKey([prefix, "raw_content"]), name="fresh",
                    description=f"Every synced space holds the newest window the {connection.schedule} "
                                f"schedule has settled (window end + {connection.sync.lag_minutes} min).")
    def fresh(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        # The run's `km/now` tag, as the assets read it, so replays and tests judge at their own time.
        tagged = context.run.tags.get(NOW_TAG)
        now = datetime.fromisoformat(tagged) if tagged else datetime.now(UTC)
        windows = _synced_windows(context.instance, connection)
        through = {space: synced_through(history_cutoff(context.instance, prefix, space), windows.get(space, []))
                   for space in context.instance.get_dynamic_partitions(spaces.name)}
        return freshness_result(last_settled_window(connection, now).end, through)

    return [*checks, fresh]
