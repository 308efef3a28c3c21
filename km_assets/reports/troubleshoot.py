"""The troubleshooting notebook's sections: Test Connection, the integration log filtered, what failed.

The admin's path ("go to Logs, filter for Confluence, review error messages and timestamps") as frames:
`filter_log` takes the filters a log screen offers (connection, level, endpoint, time range).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from html import escape

import polars as pl

from ..config import ConnectionSettings
from .store import Store
from .sync_report import in_range

__all__ = ["LEVELS", "failed_items", "filter_log", "lowest_fidelity", "side_by_side", "source_and_markdown",
           "unhandled_macros", "verdicts"]

# Event kind -> level, as a log screen shows them.
LEVELS = {"request": "info", "warning": "warning", "retry": "warning", "rate_limited": "warning",
          "skipped": "error", "error": "error"}
_RANK = {"info": 0, "warning": 1, "error": 2}


def verdicts(connection: ConnectionSettings, environ: Mapping[str, str] = os.environ) -> pl.DataFrame:
    """Test Connection's seven checks as a table: verdict, what it found, the fix when it failed."""
    from ..confluence.diagnose import test_connection

    report = test_connection(connection, environ)
    rows = [{"check": c.name, "verdict": "PASS" if c.ok else "SKIP" if c.ok is None else "FAIL",
             "detail": c.detail, "fix": c.fix if c.ok is False else ""} for c in report]
    return pl.DataFrame(rows, schema={"check": pl.String, "verdict": pl.String, "detail": pl.String,
                                      "fix": pl.String})


def filter_log(log: pl.DataFrame, *, connection: str | None = None, level: str = "info",
               endpoint: str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> pl.DataFrame:
    """Events at `level` or above, of one connection, whose path contains `endpoint`, in a time range."""
    if level not in _RANK:
        raise ValueError(f"level must be one of {sorted(_RANK, key=_RANK.get)}, not {level!r}")
    log = log.with_columns(pl.col("kind").replace_strict(LEVELS, default="error").alias("level"))
    log = log.filter(pl.col("level").replace_strict(_RANK, return_dtype=pl.Int8) >= _RANK[level])
    if connection:
        log = log.filter(pl.col("connection") == connection)
    if endpoint:
        log = log.filter(pl.col("path").str.contains(endpoint, literal=True))
    log = in_range(log, "at", since, until)
    return log.select("at", "level", "kind", "space", "method", "path", "status", "attempt", "latency_ms",
                      "error_class", "message", "item_id").sort("at")


def failed_items(store: Store) -> pl.DataFrame:
    """Everything that did not make it, with the reason: attachments skipped or failed, log errors and
    skipped items, fail-closed permission rows."""
    schema = {"what": pl.String, "space": pl.String, "item": pl.String, "status": pl.String, "reason": pl.String}
    files = store.read("raw_attachments").filter(pl.col("status").is_in(["skipped", "failed"])).select(
        pl.lit("attachment").alias("what"), "space",
        pl.format("{} ({} on page {})", "filename", "attachment_id", "container_id").alias("item"),
        "status", "reason")
    log = store.log().filter(pl.col("kind").is_in(["skipped", "error"])).select(
        pl.lit("request").alias("what"), "space",
        pl.coalesce("item_id", pl.format("{} {}", "method", "path")).alias("item"),
        pl.format("{} {}", "kind", pl.col("status").cast(pl.String).fill_null("")).alias("status"),
        pl.coalesce("message", "error_class").alias("reason"))
    closed = store.read("permission_map").filter(~pl.col("granted")).select(
        pl.lit("permission").alias("what"), "space",
        pl.format("{} {}", "content_id", "title").alias("item"), pl.lit("fail-closed").alias("status"), "reason")
    return pl.concat([f.cast(schema) for f in (files, log, closed)]).sort("what", "space", "item")


def unhandled_macros(articles: pl.DataFrame) -> pl.DataFrame:
    """Per unhandled macro: how many articles, and which."""
    exploded = articles.select("content_id", "title", pl.col("unhandled_macros").alias("macro")).explode("macro")
    return (exploded.drop_nulls("macro").group_by("macro")
            .agg(pl.col("content_id").n_unique().alias("articles"), pl.col("content_id").unique().sort().alias("ids"))
            .sort("articles", "macro", descending=[True, False]))


def lowest_fidelity(articles: pl.DataFrame, n: int = 5) -> pl.DataFrame:
    return (articles.select("content_id", "space", "title", "fidelity", "unhandled_macros", "warnings")
            .sort("fidelity", "content_id").head(n))


def source_and_markdown(store: Store, content_id: str) -> tuple[str, str]:
    """(storage-format body of the synced version, the article's Markdown) for one article."""
    article = store.read("articles_current").filter(pl.col("content_id") == content_id)
    if article.height == 0:
        raise LookupError(f"no current article with content id {content_id!r}")
    version = article["version"][0]
    raw = store.versions().filter((pl.col("content_id") == content_id) & (pl.col("version") == version))
    return (raw["body_storage"][0] if raw.height else "") or "", article["markdown"][0] or ""


def side_by_side(left: str, right: str, titles: tuple[str, str] = ("Confluence storage format", "Markdown"),
                 ) -> str:
    """Two texts in two columns, as HTML (escaped: a page's markup is shown, never rendered)."""
    cell = ("<td style='vertical-align:top;width:50%'><pre style='white-space:pre-wrap;font-size:11px'>"
            "{}</pre></td>")
    head = "".join(f"<th style='text-align:left'>{escape(t)}</th>" for t in titles)
    return (f"<table style='width:100%;table-layout:fixed'><tr>{head}</tr><tr>"
            f"{cell.format(escape(left))}{cell.format(escape(right))}</tr></table>")
