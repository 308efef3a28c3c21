"""The current state of every live article, from versions synced over time and a reconciliation.

raw_content holds one row per content version, from whichever window saw it (overlaps may repeat a row).
Deletions, moves, label and restriction changes do not show up as edits, so a reconciliation lists every
live item's id, version, title, space (key and name), parent and labels without bodies. From the two:
- tombstones: ids we hold that the reconciliation no longer lists (deleted, trashed, or no longer
  readable by the sync user);
- current: the newest synced version of each id the reconciliation lists, with the metadata the
  reconciliation saw (space, parent, title, labels), since a move or a relabel does not make a version.

A reconciliation only speaks for what existed when it listed (`listed_at`). An item synced by a later
window (created or edited after the listing) is neither gone nor hidden: it stays current with its own
metadata until the next reconciliation lists it. Without that, a page created after the last
reconciliation would be a tombstone and missing from the articles until the next one (daily).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

__all__ = ["SNAPSHOT", "current_articles", "latest_versions", "listed_at", "tombstones"]

SNAPSHOT = pl.Schema({
    "content_id": pl.String,
    "content_type": pl.String,
    "version": pl.Int64,
    "title": pl.String,
    "space_key": pl.String,
    "space_name": pl.String,
    "parent_id": pl.String,
    "labels": pl.List(pl.String),
    # When the listing started (the same on every row); a snapshot written before this column reads null,
    # and then only the listed items count as live.
    "listed_at": pl.Datetime("us", "UTC"),
})

_OVERLAID = ("title", "space_key", "space_name", "parent_id", "labels")


def latest_versions(versions: pl.DataFrame) -> pl.DataFrame:
    """One row per content id: its highest version; repeats of (id, version) collapse to one."""
    return (versions.unique(subset=["content_id", "version"], keep="first", maintain_order=True)
            .sort(["content_id", "version"]).group_by("content_id", maintain_order=True).last())


def listed_at(snapshot: pl.DataFrame) -> datetime | None:
    """When the snapshot's listing started, if it says."""
    return snapshot["listed_at"].max() if "listed_at" in snapshot.columns and snapshot.height else None


def _after_listing(frame: pl.DataFrame, snapshot: pl.DataFrame) -> pl.Expr:
    """Rows modified at or after the snapshot's listing: the snapshot cannot speak for them."""
    since = listed_at(snapshot)
    if since is None or "modified_at" not in frame.columns:
        return pl.lit(False)
    return pl.col("modified_at").is_not_null() & (pl.col("modified_at") >= since)


def tombstones(held: pl.DataFrame, snapshot: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """Ids we hold (content_id, modified_at of each synced version) that the reconciliation did not
    list although they were there before it listed, with when we noticed."""
    newest = held.select("content_id", *(["modified_at"] if "modified_at" in held.columns else []))
    if "modified_at" in newest.columns:
        newest = newest.group_by("content_id").agg(pl.col("modified_at").max())
    else:
        newest = newest.unique()
    gone = (newest.join(snapshot.select("content_id"), on="content_id", how="anti")
            .filter(~_after_listing(newest, snapshot)).select("content_id").sort("content_id"))
    return gone.with_columns(pl.lit(at).alias("noticed_at"), pl.lit("not listed").alias("reason"))


def current_articles(versions: pl.DataFrame, snapshot: pl.DataFrame) -> pl.DataFrame:
    """The newest synced version of every live item, carrying the reconciliation's current metadata.

    `stale` marks items whose live version is newer than the newest we synced (an edit the next
    window will bring); they keep their last synced body until then.
    """
    latest = latest_versions(versions)
    live = snapshot.select("content_id", pl.col("version").alias("live_version"),
                           *[pl.col(c).alias(f"live_{c}") for c in _OVERLAID])
    joined = latest.join(live, on="content_id", how="left").filter(
        pl.col("live_version").is_not_null() | _after_listing(latest, snapshot))
    listed = pl.col("live_version").is_not_null()
    return joined.with_columns(
        # Listed: the live metadata. Synced after the listing: its own (null where the frame has none).
        *[pl.when(listed).then(pl.col(f"live_{c}")).otherwise(pl.col(c) if c in latest.columns else None).alias(c)
          for c in _OVERLAID],
        (listed & (pl.col("live_version") > pl.col("version"))).alias("stale"),
    ).drop([f"live_{c}" for c in _OVERLAID])
