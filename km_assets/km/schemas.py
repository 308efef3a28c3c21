"""Column schemas of the tables km_assets writes, declared once (polars) and shown in the Dagster UI."""

from __future__ import annotations

import polars as pl

__all__ = ["ARTICLES", "RAW_ATTACHMENTS", "RAW_CONTENT", "empty", "frame"]

_TS = pl.Datetime("us", "UTC")

RAW_CONTENT = pl.Schema({
    "content_id": pl.String,
    "content_type": pl.String,
    "status": pl.String,
    "space_key": pl.String,
    "space_name": pl.String,
    "title": pl.String,
    "version": pl.Int64,
    "created_at": _TS,
    "created_by": pl.String,
    "created_by_name": pl.String,
    "modified_at": _TS,
    "modified_by": pl.String,
    "modified_by_name": pl.String,
    "labels": pl.List(pl.String),
    "ancestor_ids": pl.List(pl.String),
    "parent_id": pl.String,
    "read_restriction_users": pl.List(pl.String),
    "read_restriction_groups": pl.List(pl.String),
    "has_attachments": pl.Boolean,
    "has_comments": pl.Boolean,
    "body_storage": pl.String,
    "url": pl.String,
})

RAW_ATTACHMENTS = pl.Schema({
    "attachment_id": pl.String,
    "container_id": pl.String,
    "filename": pl.String,
    "media_type": pl.String,
    "file_size": pl.Int64,
    "version": pl.Int64,
    "created_at": _TS,
    "created_by": pl.String,
    "download_url": pl.String,
    "status": pl.String,  # downloaded | skipped | failed | listed (downloads off)
    "reason": pl.String,
    "path": pl.String,  # relative to <root>/<connection>/attachment_files
    "sha256": pl.String,
    "file_id": pl.String,  # Cloud's media fileId: the download's identity (None on Data Center)
})

ARTICLES = pl.Schema({
    "content_id": pl.String,
    "version": pl.Int64,
    "space_key": pl.String,
    "title": pl.String,
    "markdown": pl.String,
    "links": pl.List(pl.String),
    "unresolved_links": pl.List(pl.String),
    "attachments": pl.List(pl.String),
    "macros": pl.List(pl.String),
    "unhandled_macros": pl.List(pl.String),
    "macro_handling": pl.List(pl.String),
    "warnings": pl.List(pl.String),
    "fidelity": pl.Float64,
})


def empty(schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def frame(rows: list[dict], schema: pl.Schema) -> pl.DataFrame:
    """Rows -> a frame of exactly this schema (missing keys are nulls, unknown keys are an error)."""
    if not rows:
        return empty(schema)
    extra = set(rows[0]) - set(schema.names())
    if extra:
        raise ValueError(f"columns not in the schema: {sorted(extra)}")
    return pl.DataFrame(rows, schema=schema)
