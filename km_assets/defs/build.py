"""Definitions from a KmConfig: one asset group per connection, one storage root."""

from __future__ import annotations

import dagster as dg

from ..config import KmConfig
from .assets import connection_assets
from .io_manager import PolarsParquetIOManager
from .resources import confluence_resource

__all__ = ["build_definitions", "sync_job_name"]


def build_definitions(config: KmConfig) -> dg.Definitions:
    assets: list[dg.AssetsDefinition] = []
    jobs: list[dg.UnresolvedAssetJobDefinition] = []
    resources: dict[str, object] = {"parquet_io_manager": PolarsParquetIOManager(root=config.storage.root)}
    for connection in config.connections:
        assets.extend(connection_assets(connection, config.storage.root))
        resources[f"confluence_{connection.asset_prefix}"] = confluence_resource(connection)
        jobs.append(dg.define_asset_job(
            sync_job_name(connection.asset_prefix), selection=dg.AssetSelection.groups(connection.asset_prefix),
            description=f"Fetch and convert the content of connection {connection.name!r}, one space a run."))
    return dg.Definitions(assets=assets, resources=resources, jobs=jobs)


def sync_job_name(asset_prefix: str) -> str:
    return f"{asset_prefix}__sync"
