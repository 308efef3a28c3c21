"""Parquet storage for polars frames, hive-style, with atomic writes.

Built on Dagster's UPathIOManager, so any fsspec URL works as the root. The layout is
`<root>/<connection>/<asset>/space=<KEY>/data.parquet`, readable without Dagster:
`pl.scan_parquet("data/<connection>/<asset>/**/*.parquet", hive_partitioning=True)`.
A partition is staged outside the data folders and renamed into place (km/parquet_files.py; on object
storage it is uploaded to its final name in one put), so readers never see half a file and a killed run
leaves the previous data intact.
"""

from __future__ import annotations

import dagster as dg
import polars as pl
from upath import UPath

from ..km.parquet_files import root_path, write_parquet_atomically

__all__ = ["ParquetIOManager", "PolarsParquetIOManager"]


class ParquetIOManager(dg.UPathIOManager):
    extension = ".parquet"

    def get_path_for_partition(self, context, path: UPath, partition: str) -> UPath:
        # Hive style (space=ENG/window=2026-11-25) so polars and DuckDB recover the partition columns.
        # Dagster hands multi-partition keys as "a/b", dimensions in name order: name them back.
        definition = context.asset_partitions_def
        names = ([d.name for d in sorted(definition.partitions_defs, key=lambda d: d.name)]
                 if isinstance(definition, dg.MultiPartitionsDefinition) else ["space"])
        values = partition.split("/") if len(names) > 1 else [partition]
        for name, value in zip(names, values, strict=True):
            path = path / f"{name}={value}"
        return path / "data"

    def dump_to_path(self, context: dg.OutputContext, obj: pl.DataFrame, path: UPath) -> None:
        write_parquet_atomically(obj, path, self._base_path)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> pl.DataFrame:
        with path.open("rb") as handle:
            return pl.read_parquet(handle)

    def get_metadata(self, context: dg.OutputContext, obj: pl.DataFrame) -> dict:
        return {"rows": dg.MetadataValue.int(obj.height)}


class PolarsParquetIOManager(dg.ConfigurableIOManagerFactory):
    """The storage root from km.yaml (`storage.root`): a local folder or an fsspec URL."""

    root: str

    def create_io_manager(self, context) -> ParquetIOManager:
        return ParquetIOManager(base_path=root_path(self.root))
