"""Why an article's fields have their values: the lineage as text (`km explain-mapping`)."""

from __future__ import annotations

from typing import Any

import polars as pl

from ...config import KmConfig
from ..parquet_files import root_path
from .engine import FIXED

__all__ = ["explain", "explain_mapping", "read_metadata"]


def explain(rows: pl.DataFrame | dict[str, Any], content_id: str | None = None) -> str:
    """One article's fields, each with where its value came from and the configuration entry behind it.
    `rows`: article_metadata rows (the one with `content_id`), or one row as a dict. LookupError when the
    id is not there (a plain message, fit for the command line)."""
    if isinstance(rows, pl.DataFrame):
        if content_id is not None:
            rows = rows.filter(pl.col("content_id") == content_id)
        if rows.height == 0:
            raise LookupError(f"no article with content id {content_id!r} in the metadata")
        row = rows.row(0, named=True)
    else:
        row = rows
    lines = [f"content {row['content_id']} (version {row['version']}, space {row['space_key']})"]
    for entry in row["lineage"]:
        name = entry["field"]
        value = row.get(name)
        lines.append(f"  {name}: {_show(value)}")
        lines.append(f"      from {entry['source'] or '(nothing)'}; by {entry['rule']}")
    return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def read_metadata(root: str, prefix: str) -> pl.DataFrame:
    """Every space's article_metadata partition, read by path (no Dagster)."""
    folder = root_path(root) / prefix / "article_metadata"
    frames = []
    for path in sorted(folder.rglob("*.parquet")) if folder.exists() else []:
        with path.open("rb") as handle:
            frames.append(pl.read_parquet(handle))
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(schema=FIXED)


def explain_mapping(config: KmConfig, connection_name: str, content_id: str) -> str:
    """`km explain-mapping CONNECTION CONTENT_ID`: the lineage of one article's metadata."""
    connection = config.connection(connection_name)
    metadata = read_metadata(config.storage.root, connection.asset_prefix)
    if metadata.height == 0:
        raise LookupError(f"no article_metadata under {config.storage.root}/{connection.asset_prefix}: "
                       f"materialize {connection.asset_prefix}/article_metadata first")
    return explain(metadata, content_id)
