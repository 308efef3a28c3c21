"""article_metadata [space]: the mapping (km/mapping) over the space's live items, people resolved.

Reads by path what the sync wrote (raw_history, raw_content, snapshot), so it can be re-run after a
km.yaml change without calling Confluence, except to resolve people the cache does not know yet
(`<root>/<connection>/people/people.parquet`, shared by every space and run).
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.


import dagster as dg
import polars as pl

from ..config import ConnectionSettings
from ..confluence.people import is_cloud, resolve_people
from ..km.current import SNAPSHOT, current_articles
from ..km.integration_log import write_integration_log
from ..km.mapping import map_metadata, metadata_schema
from ..km.mapping.properties import needed_properties
from ..km.people import (
    PEOPLE,
    ids_to_resolve,
    merge_people,
    people_ids,
    read_people,
    unresolved_ids,
    write_people,
)
from ..km.schemas import RAW_CONTENT
from .assets import run_now
from .inline_checks import checked, frame_check_specs
from .partitions import by_space as space_of_windows
from .partitions import space_partitions
from .pools import connection_pool
from .resources import ConfluenceResource
from .storage import read_ids, read_space

__all__ = ["metadata_assets", "titles_present_result"]

_PEOPLE_PROPERTIES = {"creator", "creator_email", "last_modifier", "last_modifier_email"}
_MAX_IDS = 20


def _column_schema(schema: pl.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()])


def live_items(storage_root: str, prefix: str, space: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(items, titles): the newest synced version of each live item with the reconciliation's title,
    space, parent and labels; and every live title of the space, for ancestor paths."""
    versions = read_space(storage_root, prefix, ["raw_history", "raw_content"], space, RAW_CONTENT)
    live = read_space(storage_root, prefix, ["snapshot"], space, SNAPSHOT)
    moved_in = live.join(versions.select("content_id").unique(), on="content_id", how="anti")
    if moved_in.height:  # moved here from another space: synced under the old one
        versions = pl.concat([versions, read_ids(storage_root, prefix, ["raw_history", "raw_content"],
                                                 moved_in["content_id"].to_list(), RAW_CONTENT)])
    items = current_articles(versions, live).select(RAW_CONTENT.names()).sort("content_id")
    return items, live.select("content_id", "title")


def metadata_assets(connection: ConnectionSettings, storage_root: str) -> list[dg.AssetsDefinition]:
    prefix = connection.asset_prefix
    resource_key = f"confluence_{prefix}"
    settings = connection.mapping
    schema = metadata_schema(settings)
    by_space = space_of_windows()
    uses_people = bool(needed_properties(settings) & _PEOPLE_PROPERTIES)

    @dg.asset(name="article_metadata", partitions_def=space_partitions(connection), key_prefix=[prefix],
              group_name=prefix, io_manager_key="parquet_io_manager", required_resource_keys={resource_key},
              pool=connection_pool(connection),  # people lookups call Confluence
              deps=[dg.AssetDep(dg.AssetKey([prefix, "raw_history"])),
                    dg.AssetDep(dg.AssetKey([prefix, "raw_content"]), partition_mapping=by_space),
                    dg.AssetDep(dg.AssetKey([prefix, "snapshot"]))],
              metadata={"dagster/column_schema": _column_schema(schema)},
              description="KM fields of every live item (mapping: km.yaml `mapping`), with the lineage of "
                          "each value; `km explain-mapping` prints it.",
              check_specs=frame_check_specs(prefix, "article_metadata", space_partitions(connection)))
    @checked(prefix, "article_metadata")
    def article_metadata(context: dg.AssetExecutionContext) -> pl.DataFrame:
        now = run_now(context)
        items, titles = live_items(storage_root, prefix, context.partition_key)
        people, requests = read_people(storage_root, prefix), 0
        ids = people_ids(items)
        if uses_people:
            todo = ids_to_resolve(ids, people, now)
            if todo:
                resource: ConfluenceResource = getattr(context.resources, resource_key)
                with resource.client(connection) as client:
                    try:
                        rows = resolve_people(client, todo, cloud=is_cloud(client, connection.deployment),
                                              now=now)
                    finally:
                        write_integration_log(storage_root, prefix, context.partition_key, context.run.run_id,
                                              client.events.rows(), step="people")
                    requests = client.requests_made
                people = merge_people(people, pl.DataFrame(rows, schema=PEOPLE))
                write_people(people, storage_root, prefix)
        df = map_metadata(items, settings, people=people, titles=titles, now=now)
        unresolved = unresolved_ids(ids, people) if uses_people else []
        context.add_output_metadata(output_name="result", metadata={
            "rows": df.height, "archived": int(df["archived"].sum()) if df.height else 0,
            # Counted over the space's creators and modifiers, when the mapping shows people at all.
            "people_resolved": ids.len() - len(unresolved) if uses_people else 0,
            "people_unresolved": len(unresolved),
            "unresolved_ids": unresolved[:_MAX_IDS], "requests": requests,
            "preview": dg.MetadataValue.md(_preview(df)),
        })
        return df

    return [article_metadata]


def _preview(df: pl.DataFrame, rows: int = 5) -> str:
    """The first rows' fields as a Markdown table (lineage left out: explain-mapping shows it)."""
    if df.height == 0:
        return "(no articles)"
    shown = df.drop("lineage").head(rows)
    cells = [[_cell(v) for v in row] for row in shown.rows()]
    header = "| " + " | ".join(shown.columns) + " |\n|" + "---|" * len(shown.columns)
    return header + "\n" + "\n".join("| " + " | ".join(row) + " |" for row in cells)


def _cell(value: object) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:80]


def titles_present_result(df: pl.DataFrame, field: str = "Article Title") -> dg.AssetCheckResult:
    """Fails on an article whose title field is null or blank (a KM article cannot be filed without one)."""
    if field not in df.columns:
        return dg.AssetCheckResult(passed=True, metadata={"skipped": f"no field {field!r} in the mapping"})
    bad = df.filter(pl.col(field).is_null() | (pl.col(field).cast(pl.String).str.strip_chars() == ""))
    ids = bad["content_id"].sort().to_list()
    return dg.AssetCheckResult(passed=not ids, severity=dg.AssetCheckSeverity.ERROR,
                               metadata={"count": len(ids), "content_ids": ids[:_MAX_IDS]})
