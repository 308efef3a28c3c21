"""The asset graph of one connection: thin functions over confluence/, convert/ and km/."""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import dagster as dg
import polars as pl

from ..config import ConnectionSettings
from ..confluence import list_space_content
from ..km.articles import build_articles
from ..km.integration_log import write_integration_log
from ..km.schemas import ARTICLES, RAW_CONTENT, frame
from .resources import ConfluenceResource

__all__ = ["connection_assets", "space_partitions"]


def space_partitions(connection: ConnectionSettings) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=f"{connection.asset_prefix}__spaces")


def _column_schema(schema: pl.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()])


def connection_assets(connection: ConnectionSettings, storage_root: str) -> list[dg.AssetsDefinition]:
    prefix = connection.asset_prefix
    partitions = space_partitions(connection)
    resource_key = f"confluence_{prefix}"

    @dg.asset(
        name="raw_content", key_prefix=[prefix], group_name=prefix, partitions_def=partitions,
        required_resource_keys={resource_key}, io_manager_key="parquet_io_manager",
        metadata={"dagster/column_schema": _column_schema(RAW_CONTENT)},
        description="Pages and blog posts as Confluence returned them: one row per content version.",
    )
    def raw_content(context: dg.AssetExecutionContext) -> pl.DataFrame:
        resource: ConfluenceResource = getattr(context.resources, resource_key)
        space = context.partition_key
        with resource.client(connection) as client:
            try:
                rows = list(list_space_content(client, connection, space))
            finally:
                # Written even when the listing fails: that is when the log is needed most.
                log = write_integration_log(storage_root, prefix, space, context.run.run_id, client.events.rows())
            events = client.events
        df = frame(rows, RAW_CONTENT)
        context.add_output_metadata({"requests": client.requests_made,
                                     "rate_limited": events.count("rate_limited"),
                                     "retries": events.count("retry"),
                                     "integration_log": dg.MetadataValue.path(str(log)),
                                     "pages": df.filter(pl.col("content_type") == "page").height,
                                     "blog_posts": df.filter(pl.col("content_type") == "blogpost").height})
        return df

    @dg.asset(
        name="articles", key_prefix=[prefix], group_name=prefix, partitions_def=partitions,
        ins={"raw_content": dg.AssetIn(key=[prefix, "raw_content"])},
        io_manager_key="parquet_io_manager",
        metadata={"dagster/column_schema": _column_schema(ARTICLES)},
        description="Markdown articles with front matter, converted from the storage format.",
    )
    def articles(context: dg.AssetExecutionContext, raw_content: pl.DataFrame) -> pl.DataFrame:
        df = build_articles(raw_content, connection.url, connection.transform)
        preview = df["markdown"][0][:1500] if df.height else "(no articles)"
        context.add_output_metadata({
            "unhandled_macros": int(df["unhandled_macros"].list.len().sum() or 0),
            "preview": dg.MetadataValue.md(preview),
        })
        return df

    return [raw_content, articles]
