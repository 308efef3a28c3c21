"""The asset graph of one connection: thin functions over confluence/, convert/ and km/.

- raw_history [space]: everything modified before `sync.start`, in one listing per space: the first
  sync costs one paginated listing whatever the history's length.
- raw_content [space x window]: the versions modified inside one settled window (hourly, daily, weekly).
- snapshot [space]: the reconciliation: every live item's id, version, title, space, parent, labels.
- articles [space]: Markdown of the newest synced version of every item seen in the space.
- tombstones / articles_current [space]: what the reconciliation no longer lists; the live articles with
  the reconciliation's metadata (moves and relabels make no new version).
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl

from ..config import ConnectionSettings
from ..confluence import list_space_content
from ..confluence.listing import list_space_snapshot
from ..km.articles import build_articles, page_index
from ..km.attachment_articles import ATTACHMENT_ARTICLES, append_attachments
from ..km.current import SNAPSHOT, current_articles, latest_versions, tombstones
from ..km.front_matter import with_front_matter
from ..km.integration_log import INTEGRATION_LOG, read_log, write_integration_log
from ..km.mapping import FIXED, metadata_schema
from ..km.schemas import ARTICLES, RAW_CONTENT, frame
from ..km.windows import Window, cql_bounds, rows_in_window
from .history import history_cutoff
from .inline_checks import checked, frame_check_specs
from .partitions import by_space as space_of_windows
from .partitions import space_partitions, window_partitions, windowed_partitions
from .pools import connection_pool
from .resources import ConfluenceResource
from .schedules import last_settled_window
from .storage import read_ids, read_space

__all__ = ["NOW_TAG", "connection_assets"]


def _column_schema(schema: pl.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()])


def _local(moment: str) -> datetime:
    return datetime.strptime(moment, "%Y-%m-%d %H:%M")


NOW_TAG = "km/now"


def run_now(context: dg.AssetExecutionContext) -> datetime:
    """The run's idea of now: real time, or the `km/now` tag (tests and replays fix it)."""
    tagged = context.run.tags.get(NOW_TAG)
    return datetime.fromisoformat(tagged) if tagged else datetime.now(UTC)


def _meta(context: dg.AssetExecutionContext, values: dict) -> None:
    # Named: an asset with check specs has an output per check besides its value ("result").
    context.add_output_metadata(values, output_name="result")


# What readers of the synced versions need when they need no bodies.
_SYNCED = pl.Schema({name: RAW_CONTENT[name] for name in ("content_id", "version", "modified_at")})
_SYNCED_METADATA = pl.Schema({**_SYNCED, **{name: RAW_CONTENT[name] for name in ("space_name", "parent_id", "labels")}})


def connection_assets(connection: ConnectionSettings, storage_root: str) -> list[dg.AssetsDefinition]:
    from .build import sync_job_name  # build imports this module

    prefix = connection.asset_prefix
    initial_job = sync_job_name(prefix)
    spaces = space_partitions(connection)
    windowed = windowed_partitions(connection)
    resource_key = f"confluence_{prefix}"
    pool = connection_pool(connection)  # the steps that call Confluence
    common = {"key_prefix": [prefix], "group_name": prefix, "io_manager_key": "parquet_io_manager"}
    by_space = space_of_windows()
    zone = connection.sync.time_zone

    def listing(context, space: str, **window) -> pl.DataFrame:
        resource: ConfluenceResource = getattr(context.resources, resource_key)
        with resource.client(connection) as client:
            try:
                rows = list(list_space_content(client, connection, space, **window))
            finally:
                # Written even when the listing fails: that is when the log is needed most.
                log = write_integration_log(storage_root, prefix, space, context.run.run_id, client.events.rows())
            events = client.events
        df = frame(rows, RAW_CONTENT)
        _meta(context, {"rows": df.height, "requests": client.requests_made,
                                     "rate_limited": events.count("rate_limited"),
                                     "retries": events.count("retry"),
                                     "integration_log": dg.MetadataValue.path(str(log))})
        return df

    @dg.asset(name="raw_history", partitions_def=spaces, required_resource_keys={resource_key}, pool=pool,
              metadata={"dagster/column_schema": _column_schema(RAW_CONTENT)},
              description="Everything modified before sync.start, in one listing per space.", **common)
    def raw_history(context: dg.AssetExecutionContext) -> pl.DataFrame:
        # Everything up to the end of the newest settled window; later windows take over from there.
        cutoff = last_settled_window(connection, run_now(context)).end
        before = _local(cutoff.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"))
        df = listing(context, context.partition_key, modified_before=before)
        df = df.filter(pl.col("modified_at") < cutoff)
        _meta(context, {"cutoff": cutoff.isoformat(), "rows": df.height})
        return df

    @dg.asset(name="raw_content", partitions_def=windowed, required_resource_keys={resource_key}, pool=pool,
              metadata={"dagster/column_schema": _column_schema(RAW_CONTENT)},
              description="Pages and blog posts modified inside one settled window: one row per version.",
              **common)
    def raw_content(context: dg.AssetExecutionContext) -> pl.DataFrame:
        key = context.partition_key.keys_by_dimension
        window_def = window_partitions(connection)
        bounds = window_def.time_window_for_partition_key(key["window"])
        window = Window(bounds.start.astimezone(UTC), bounds.end.astimezone(UTC))
        cutoff = history_cutoff(context.instance, prefix, key["space"])
        if cutoff is not None and window.end <= cutoff:
            # Inside the first sync's listing: materializing every window of a space (a UI backfill)
            # costs no request for the history, only for the windows after it.
            history = read_space(storage_root, prefix, ["raw_history"], key["space"], RAW_CONTENT)
            kept = rows_in_window(history, window)
            _meta(context, {"rows": kept.height, "requests": 0, "source": "raw_history",
                                         "window": f"{window.start.isoformat()} .. {window.end.isoformat()}"})
            return kept
        after, before = cql_bounds(window, zone, timedelta(minutes=connection.sync.overlap_minutes))
        listed = listing(context, key["space"], modified_after=_local(after), modified_before=_local(before))
        kept = rows_in_window(listed, window)
        new = int((kept["version"] == 1).sum()) if kept.height else 0
        _meta(context, {"rows": kept.height, "new": new, "changed": kept.height - new,
                                     "window": f"{window.start.isoformat()} .. {window.end.isoformat()}"})
        return kept

    @dg.asset(name="snapshot", partitions_def=spaces, required_resource_keys={resource_key}, pool=pool,
              deps=[dg.AssetDep(raw_history)],  # the first sync's snapshot is its history listing
              metadata={"dagster/column_schema": _column_schema(SNAPSHOT)},
              description="Reconciliation: every live item's id, version, title, space, parent and labels.",
              **common)
    def snapshot(context: dg.AssetExecutionContext) -> pl.DataFrame:
        if context.job_name == initial_job:
            # A first sync's history listing was made moments ago with every field a snapshot holds: it
            # is the snapshot of everything modified before its cutoff (what changed since, the windows
            # bring, and listed_at says the snapshot does not speak for it). No second listing.
            cutoff = last_settled_window(connection, run_now(context)).end
            history = read_space(storage_root, prefix, ["raw_history"], context.partition_key, SNAPSHOT)
            df = history.with_columns(pl.lit(cutoff).cast(SNAPSHOT["listed_at"]).alias("listed_at"))
            _meta(context, {"live_items": df.height, "requests": 0, "source": "raw_history"})
            return df
        # The run's clock (its km/now tag, else now), which is the clock the items' times are compared in.
        started = run_now(context)
        resource: ConfluenceResource = getattr(context.resources, resource_key)
        with resource.client(connection) as client:
            try:
                rows = list(list_space_snapshot(client, connection, context.partition_key))
            finally:
                write_integration_log(storage_root, prefix, context.partition_key, context.run.run_id,
                                      client.events.rows(), step="snapshot")
        df = frame(rows, SNAPSHOT).with_columns(pl.lit(started).cast(SNAPSHOT["listed_at"]).alias("listed_at"))
        _meta(context, {"live_items": df.height, "requests": client.requests_made})
        return df

    versions_deps = [dg.AssetDep(raw_history), dg.AssetDep(raw_content, partition_mapping=by_space)]

    def synced_versions(space: str) -> pl.DataFrame:
        return read_space(storage_root, prefix, ["raw_history", "raw_content"], space, RAW_CONTENT)

    @dg.asset(name="articles", partitions_def=spaces, deps=[*versions_deps, dg.AssetDep(snapshot)],
              check_specs=frame_check_specs(prefix, "articles", spaces),
              metadata={"dagster/column_schema": _column_schema(ARTICLES)},
              description="Markdown of the newest synced version of every item seen in the space.", **common)
    @checked(prefix, "articles")
    def articles(context: dg.AssetExecutionContext) -> pl.DataFrame:
        space = context.partition_key
        versions = synced_versions(space)
        live = read_space(storage_root, prefix, ["snapshot"], space, SNAPSHOT)
        moved_in = live.join(versions.select("content_id").unique(), on="content_id", how="anti")
        if moved_in.height:
            versions = pl.concat([versions, read_ids(storage_root, prefix, ["raw_history", "raw_content"],
                                                     moved_in["content_id"].to_list(), RAW_CONTENT)])
        latest = latest_versions(versions).select(RAW_CONTENT.names())
        # Convert only what changed: an (id, version) converted before keeps its Markdown.
        previous = read_space(storage_root, prefix, ["articles"], space, ARTICLES)
        kept = previous.join(latest.select("content_id", "version"), on=["content_id", "version"], how="semi")
        todo = latest.join(kept.select("content_id", "version"), on=["content_id", "version"], how="anti")
        pages = page_index(latest)
        converted = build_articles(todo, connection.url, connection.transform, pages=pages)
        df = pl.concat([kept, converted]).sort("content_id")
        _meta(context, {"converted": converted.height, "reused": kept.height})
        preview = df["markdown"][0][:1500] if df.height else "(no articles)"
        _meta(context, {
            "versions_read": versions.height,
            "unhandled_macros": int(df["unhandled_macros"].list.len().sum() or 0),
            "lowest_fidelity": float(df["fidelity"].min()) if df.height else 1.0,
            "preview": dg.MetadataValue.md(preview),
        })
        return df

    @dg.asset(name="tombstones", partitions_def=spaces, deps=[*versions_deps, dg.AssetDep(snapshot)],
              description="Items synced before that the reconciliation no longer lists.", **common)
    def tombstones_asset(context: dg.AssetExecutionContext, snapshot: pl.DataFrame) -> pl.DataFrame:
        held = read_space(storage_root, prefix, ["raw_history", "raw_content"], context.partition_key, _SYNCED)
        gone = tombstones(held, snapshot, datetime.now(UTC).replace(microsecond=0))
        _meta(context, {"deleted": gone.height})
        return gone

    km_fields = [name for name in metadata_schema(connection.mapping).names() if name not in FIXED]

    @dg.asset(name="articles_current", partitions_def=spaces,
              check_specs=frame_check_specs(prefix, "articles_current", spaces),
              ins={"articles": dg.AssetIn(key=[prefix, "articles"]), "snapshot": dg.AssetIn(key=[prefix, "snapshot"]),
                   "article_metadata": dg.AssetIn(key=[prefix, "article_metadata"])},
              deps=[dg.AssetDep(dg.AssetKey([prefix, "attachment_articles"]))],
              description="The live articles: newest synced Markdown under front matter of the current mapped "
                          "fields, with links to their attachments (or their text, merged mode); current space, "
                          "parent, title and labels.",
              **common)
    @checked(prefix, "articles_current")
    def articles_current(context: dg.AssetExecutionContext, articles: pl.DataFrame, snapshot: pl.DataFrame,
                         article_metadata: pl.DataFrame) -> pl.DataFrame:
        # A relabel, move or rename makes no version: the front matter follows the live metadata.
        # Each synced version's own metadata and modification time: an article synced after the snapshot
        # listed stays current with them until a reconciliation lists it.
        synced = read_space(storage_root, prefix, ["raw_history", "raw_content"], context.partition_key,
                            _SYNCED_METADATA)
        articles = articles.join(synced.unique(subset=["content_id", "version"]), on=["content_id", "version"],
                                 how="left")
        current = with_front_matter(current_articles(articles, snapshot).drop("modified_at"), article_metadata,
                                    km_fields, connection.url)
        # Read by path: a space whose attachments were never listed simply has none yet.
        attachments = read_space(storage_root, prefix, ["attachment_articles"], context.partition_key,
                                 ATTACHMENT_ARTICLES)
        current = append_attachments(current, attachments)
        _meta(context, {"articles": current.height,
                                     "stale": int(current["stale"].sum()) if current.height else 0})
        return current

    @dg.asset(name="integration_log", partitions_def=spaces,
              # After every step of the run that talks to Confluence, so its events are in.
              deps=[*versions_deps, dg.AssetDep(snapshot), dg.AssetDep(dg.AssetKey([prefix, "raw_attachments"])),
                    dg.AssetDep(dg.AssetKey([prefix, "article_metadata"]))],
              metadata={"dagster/column_schema": _column_schema(INTEGRATION_LOG)},
              description="Every request, retry, 429 and error of the space's runs, newest first.", **common)
    def integration_log(context: dg.AssetExecutionContext) -> pl.DataFrame:
        # The per-run files (written even by failed runs) gathered into one table for the UI and checks.
        log = read_log(storage_root, prefix, context.partition_key)
        _meta(context, {
            "events": log.height, "runs": log["run_id"].n_unique() if log.height else 0,
            "rate_limited": int((log["kind"] == "rate_limited").sum()) if log.height else 0,
            "errors": int((log["kind"] == "error").sum()) if log.height else 0})
        return log

    # raw_attachments and attachment_articles live in attachment_assets.py.
    return [raw_history, raw_content, snapshot, articles, tombstones_asset, articles_current, integration_log]

