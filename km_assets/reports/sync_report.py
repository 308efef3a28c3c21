"""The sync report's sections as frames: what a connection synced between two moments.

`since` is inclusive and `until` exclusive (aware datetimes; `parse_moment` turns '2026-11-20' into
them); None leaves that side open. Items are the live articles (articles_current); their times are
those of the synced version.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from .store import Store

__all__ = ["attachments", "changes", "coverage", "fidelity", "in_range", "items", "items_by_space_day",
           "requests_over_time", "summary", "summary_frame"]


def in_range(frame: pl.DataFrame, column: str, since: datetime | None, until: datetime | None) -> pl.DataFrame:
    if since is not None:
        frame = frame.filter(pl.col(column) >= since)
    if until is not None:
        frame = frame.filter(pl.col(column) < until)
    return frame


def items(store: Store, since: datetime | None = None, until: datetime | None = None) -> pl.DataFrame:
    """Live articles whose synced version was last modified in the range."""
    return in_range(store.current(), "modified_at", since, until)


def items_by_space_day(current: pl.DataFrame) -> pl.DataFrame:
    """Articles per space and day of their last change: one row per (day, space)."""
    if current.height == 0:
        return pl.DataFrame(schema={"day": pl.Date, "space": pl.String, "items": pl.UInt32})
    return (current.with_columns(pl.col("modified_at").dt.date().alias("day"))
            .group_by("day", "space").agg(pl.len().alias("items")).sort("day", "space"))


def changes(store: Store, since: datetime | None = None, until: datetime | None = None) -> pl.DataFrame:
    """Per space: items created in the range (new), items with a later version in it (changed), items
    the reconciliation stopped listing in it (deleted)."""
    versions = store.versions()
    new = in_range(versions.filter(pl.col("version") == 1), "created_at", since, until)
    changed = in_range(versions.filter(pl.col("version") > 1), "modified_at", since, until)
    deleted = in_range(store.read("tombstones"), "noticed_at", since, until)
    counts = [frame.group_by(pl.col(column).alias("space")).agg(pl.col("content_id").n_unique().alias(name))
              for frame, column, name in ((new, "space_key", "new"), (changed, "space_key", "changed"),
                                          (deleted, "space", "deleted"))]
    spaces = pl.concat([c.select("space") for c in counts]).unique()
    out = spaces
    for frame in counts:
        out = out.join(frame, on="space", how="left")
    return out.fill_null(0).sort("space")


def attachments(store: Store) -> pl.DataFrame:
    """Attachments per space and outcome (downloaded, skipped, failed, listed): files and bytes."""
    raw = store.read("raw_attachments")
    return (raw.group_by("space", "status").agg(pl.len().alias("files"),
                                                 pl.col("file_size").fill_null(0).sum().alias("bytes"))
            .sort("space", "status"))


def _bucket(span: timedelta) -> str:
    """A bucket that gives a readable number of bars for the span (about 10 to 60)."""
    for bucket, width in (("1s", 1), ("10s", 10), ("1m", 60), ("10m", 600), ("1h", 3600), ("6h", 21600)):
        if span.total_seconds() <= width * 60:
            return bucket
    return "1d"


def requests_over_time(log: pl.DataFrame, since: datetime | None = None,
                       until: datetime | None = None) -> pl.DataFrame:
    """Requests, 429s, retries and errors per time bucket (the bucket width fits the span)."""
    log = in_range(log, "at", since, until)
    schema = {"at": pl.Datetime("us", "UTC"), "requests": pl.UInt32, "rate_limited": pl.UInt32,
              "retries": pl.UInt32, "errors": pl.UInt32}
    if log.height == 0:
        return pl.DataFrame(schema=schema)
    every = _bucket(log["at"].max() - log["at"].min())
    # Every attempt is a request; a 429 or a retried 5xx is an attempt too.
    return (log.sort("at").group_by_dynamic("at", every=every).agg(
        pl.col("kind").is_in(["request", "rate_limited", "retry", "error"]).sum().alias("requests"),
        (pl.col("kind") == "rate_limited").sum().alias("rate_limited"),
        (pl.col("kind") == "retry").sum().alias("retries"),
        (pl.col("kind") == "error").sum().alias("errors")).cast(schema))


def coverage(store: Store, current: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per KM role: how many live articles it may read, and the share; `(no KM role)` counts articles
    no mapped role may read (only named users or unmapped groups, or fail-closed)."""
    current = store.read("articles_current") if current is None else current
    total = current["content_id"].n_unique()
    grants = (store.read("permission_map").filter(pl.col("granted") & (pl.col("access") == "read"))
              .join(current.select("content_id"), on="content_id", how="semi"))
    roles = grants.select("content_id", pl.col("km_roles")).explode("km_roles").drop_nulls("km_roles")
    per_role = roles.group_by(pl.col("km_roles").alias("km_role")).agg(pl.col("content_id").n_unique().alias("articles"))
    without = total - roles["content_id"].n_unique()
    rows = pl.concat([per_role.sort("km_role"),
                      pl.DataFrame({"km_role": ["(no KM role)"], "articles": [without]}, schema=per_role.schema)])
    return rows.with_columns((pl.col("articles") / max(total, 1)).round(3).alias("share"))


def fidelity(current: pl.DataFrame) -> pl.DataFrame:
    """Conversion fidelity per article, lowest first."""
    return current.select("content_id", "space", "title", "fidelity").sort("fidelity", "content_id")


def summary(store: Store, since: datetime | None = None, until: datetime | None = None) -> dict[str, object]:
    """The headline figures: items, new/changed/deleted, attachments and bytes, requests and 429s."""
    current = items(store, since, until)
    change = changes(store, since, until)
    files = store.read("raw_attachments")
    log = in_range(store.log(), "at", since, until)
    return {
        "items": current.height,
        "spaces": current["space"].n_unique(),
        "new": int(change["new"].sum()), "changed": int(change["changed"].sum()),
        "deleted": int(change["deleted"].sum()),
        "attachments": files.height, "attachment_bytes": int(files["file_size"].fill_null(0).sum()),
        "requests": int(log["kind"].is_in(["request", "rate_limited", "retry", "error"]).sum()),
        "rate_limited": int((log["kind"] == "rate_limited").sum()),
        "lowest_fidelity": float(current["fidelity"].min()) if current.height else None,
    }


def summary_frame(figures: dict[str, object]) -> pl.DataFrame:
    """The headline figures as a two-column table, for people."""
    return pl.DataFrame({"figure": list(figures), "value": ["" if v is None else str(v) for v in figures.values()]})
