"""Reading what earlier runs wrote, by path: a space's partitions across windows, without Dagster."""

from __future__ import annotations

import polars as pl
from upath import UPath

from ..km.parquet_files import root_path

__all__ = ["read_ids", "read_space"]


def _conformed(path: UPath, schema: pl.Schema) -> pl.DataFrame:
    """A stored partition in today's schema: a column added since it was written reads as nulls."""
    with path.open("rb") as handle:
        # Only the schema's columns: readers that need no bodies never load them.
        present = [name for name in pl.read_parquet_schema(handle) if name in schema]
        handle.seek(0)
        frame = pl.read_parquet(handle, columns=present)
    missing = [pl.lit(None, dtype=dtype).alias(name) for name, dtype in schema.items() if name not in frame.columns]
    return frame.with_columns(missing).select(schema.names()).cast(schema)


def read_space(root: str, prefix: str, assets: list[str], space: str, schema: pl.Schema) -> pl.DataFrame:
    """Every row of the given assets for one space (all windows), in the asset's schema."""
    frames = []
    for asset in assets:
        folder = root_path(root) / prefix / asset / f"space={space}"
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*.parquet")):
            if path.name.startswith("."):
                continue  # a temporary file of a write in progress
            frames.append(_conformed(path, schema))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def read_ids(root: str, prefix: str, assets: list[str], ids: list[str], schema: pl.Schema) -> pl.DataFrame:
    """Rows of the given content ids from every space: an item moved between spaces was synced under
    its old space, and a move makes no new version to fetch."""
    if not ids:
        return pl.DataFrame(schema=schema)
    frames = []
    for asset in assets:
        folder = root_path(root) / prefix / asset
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*.parquet")):
            if path.name.startswith("."):
                continue
            frames.append(_conformed(path, schema).filter(pl.col("content_id").is_in(ids)))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)
