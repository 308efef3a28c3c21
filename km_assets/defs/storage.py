"""Reading what earlier runs wrote, by path: a space's partitions across windows, without Dagster."""

from __future__ import annotations

import polars as pl
from upath import UPath

__all__ = ["read_ids", "read_space"]


def read_space(root: str, prefix: str, assets: list[str], space: str, schema: pl.Schema) -> pl.DataFrame:
    """Every row of the given assets for one space (all windows), in the asset's schema."""
    frames = []
    for asset in assets:
        folder = UPath(root) / prefix / asset / f"space={space}"
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*.parquet")):
            if path.name.startswith("."):
                continue  # a temporary file of a write in progress
            with path.open("rb") as handle:
                frames.append(pl.read_parquet(handle).select(schema.names()).cast(schema))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def read_ids(root: str, prefix: str, assets: list[str], ids: list[str], schema: pl.Schema) -> pl.DataFrame:
    """Rows of the given content ids from every space: an item moved between spaces was synced under
    its old space, and a move makes no new version to fetch."""
    if not ids:
        return pl.DataFrame(schema=schema)
    frames = []
    for asset in assets:
        folder = UPath(root) / prefix / asset
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*.parquet")):
            if path.name.startswith("."):
                continue
            with path.open("rb") as handle:
                frame = pl.read_parquet(handle).select(schema.names()).cast(schema)
            frames.append(frame.filter(pl.col("content_id").is_in(ids)))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)
