"""The current state of every live article, from versions synced over time and a reconciliation.

raw_content holds one row per content version, from whichever window saw it (overlaps may repeat a row).
Deletions, moves, label and restriction changes do not show up as edits, so a reconciliation lists every
live item's id, version, title, space (key and name), parent and labels without bodies. From the two:
- tombstones: ids we hold that the reconciliation no longer lists (deleted, trashed, or no longer
  readable by the sync user);
- current: the newest synced version of each id the reconciliation lists, with the metadata the
  reconciliation saw (space, parent, title, labels), since a move or a relabel does not make a version.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

__all__ = ["SNAPSHOT", "current_articles", "latest_versions", "tombstones"]

SNAPSHOT = pl.Schema({
    "content_id": pl.String,
    "content_type": pl.String,
    "version": pl.Int64,
    "title": pl.String,
    "space_key": pl.String,
    "space_name": pl.String,
    "parent_id": pl.String,
    "labels": pl.List(pl.String),
})

_OVERLAID = ("title", "space_key", "space_name", "parent_id", "labels")


def latest_versions(versions: pl.DataFrame) -> pl.DataFrame:
    """One row per content id: its highest version; repeats of (id, version) collapse to one."""
    return (versions.unique(subset=["content_id", "version"], keep="first", maintain_order=True)
            .sort(["content_id", "version"]).group_by("content_id", maintain_order=True).last())


def tombstones(held_ids: pl.Series, snapshot: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """Ids we hold that the reconciliation did not list, with when we noticed."""
    gone = pl.DataFrame({"content_id": held_ids.unique().sort()}).join(
        snapshot.select("content_id"), on="content_id", how="anti")
    return gone.with_columns(pl.lit(at).alias("noticed_at"), pl.lit("not listed").alias("reason"))


def current_articles(versions: pl.DataFrame, snapshot: pl.DataFrame) -> pl.DataFrame:
    """The newest synced version of every live item, carrying the reconciliation's current metadata.

    `stale` marks items whose live version is newer than the newest we synced (an edit the next
    window will bring); they keep their last synced body until then.
    """
    latest = latest_versions(versions)
    live = snapshot.select("content_id", pl.col("version").alias("live_version"),
                           *[pl.col(c).alias(f"live_{c}") for c in _OVERLAID])
    joined = latest.join(live, on="content_id", how="inner")
    return joined.with_columns(
        *[pl.col(f"live_{c}").alias(c) for c in _OVERLAID],
        (pl.col("live_version") > pl.col("version")).alias("stale"),
    ).drop([f"live_{c}" for c in _OVERLAID])
