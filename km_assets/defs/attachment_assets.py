"""Attachments of one connection: the files (raw_attachments) and their text (attachment_articles).

- raw_attachments [space]: the attachments of the space's live synced pages, listed once per page that
  has files; a binary is downloaded once per identity (Cloud's media fileId, else the attachment
  version), and never again once stored by any earlier run, in any space. An attachment deleted in
  Confluence is not listed, so the next run (the reconciliation) leaves it out.
- attachment_articles [space]: each attachment version's text as Markdown, extracted in a worker
  process under the km.yaml limits, once per sha256 (results kept under attachment_text/).
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from pathlib import PurePosixPath

import dagster as dg
import polars as pl
from upath import UPath

from ..config import AttachmentSettings, ConnectionSettings
from ..confluence.attachments import (
    LocalStore,
    ObjectStore,
    UnsafePathError,
    download_attachments,
    file_store,
    identity,
)
from ..confluence.listing import list_attachments
from ..extract import Extraction, Extractor, Limits, TextCache
from ..km.attachment_articles import ATTACHMENT_ARTICLES, FILES_FOLDER, build_attachment_articles
from ..km.current import SNAPSHOT, latest_versions
from ..km.integration_log import write_integration_log
from ..km.parquet_files import root_path
from ..km.schemas import RAW_ATTACHMENTS, RAW_CONTENT
from .partitions import by_space as space_of_windows
from .partitions import space_partitions
from .pools import connection_pool
from .resources import ConfluenceResource
from .storage import read_space

__all__ = ["attachment_assets", "attachment_rows", "known_files"]


def _column_schema(schema: pl.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()])


def attachment_assets(connection: ConnectionSettings, storage_root: str) -> list[dg.AssetsDefinition]:
    prefix = connection.asset_prefix
    spaces = space_partitions(connection)
    resource_key = f"confluence_{prefix}"
    common = {"key_prefix": [prefix], "group_name": prefix, "io_manager_key": "parquet_io_manager"}
    versions_deps = [dg.AssetDep(dg.AssetKey([prefix, "raw_history"])),
                     dg.AssetDep(dg.AssetKey([prefix, "raw_content"]), partition_mapping=space_of_windows())]
    files_root = file_store(root_path(storage_root) / prefix / FILES_FOLDER)  # a folder, or object storage
    settings = connection.attachments

    @dg.asset(name="raw_attachments", partitions_def=spaces,
              deps=[*versions_deps, dg.AssetDep(dg.AssetKey([prefix, "snapshot"]))],  # live pages only
              required_resource_keys={resource_key}, pool=connection_pool(connection),
              metadata={"dagster/column_schema": _column_schema(RAW_ATTACHMENTS)},
              description="Attachments of the space's synced pages: metadata, and files under the storage root "
                          "(attachment_files/) when downloads are on, each stored binary fetched once.", **common)
    def raw_attachments(context: dg.AssetExecutionContext) -> pl.DataFrame:
        if "attachment" not in connection.content_types:
            return pl.DataFrame(schema=RAW_ATTACHMENTS)
        space = context.partition_key
        versions = read_space(storage_root, prefix, ["raw_history", "raw_content"], space, RAW_CONTENT)
        live = read_space(storage_root, prefix, ["snapshot"], space, SNAPSHOT)
        latest = latest_versions(versions) if versions.height else versions
        if live.height:
            latest = latest.join(live.select("content_id"), on="content_id", how="semi")  # live pages only
        owners = latest.filter(pl.col("has_attachments").fill_null(True))["content_id"].to_list()
        known = known_files(storage_root, prefix)
        resource: ConfluenceResource = getattr(context.resources, resource_key)
        with resource.client(connection) as client:
            try:
                listed = list(list_attachments(client, owners))
                rows = attachment_rows(client, listed, settings, files_root, known)
            finally:
                write_integration_log(storage_root, prefix, space, context.run.run_id, client.events.rows(),
                                      step="raw_attachments")
        df = pl.DataFrame(rows, schema=RAW_ATTACHMENTS) if rows else pl.DataFrame(schema=RAW_ATTACHMENTS)
        context.add_output_metadata({
            "attachments": df.height, "requests": client.requests_made,
            "files": df.select(pl.struct("file_id", "attachment_id", "version")).n_unique() if df.height else 0,
            **{s: int((df["status"] == s).sum()) for s in ("downloaded", "skipped", "failed")}})
        return df

    @dg.asset(name="attachment_articles", partitions_def=spaces,
              ins={"raw_attachments": dg.AssetIn(key=[prefix, "raw_attachments"])},
              metadata={"dagster/column_schema": _column_schema(ATTACHMENT_ARTICLES)},
              description="Each attachment version's text as Markdown (separate mode), or the text to append "
                          "to its parent article (merged mode); a reason where there is none.", **common)
    def attachment_articles(context: dg.AssetExecutionContext, raw_attachments: pl.DataFrame) -> pl.DataFrame:
        with _Extracting(settings, root_path(storage_root) / prefix / "attachment_text", files_root) as extracting:
            df = build_attachment_articles(raw_attachments, context.partition_key, extracting,
                                           mode=settings.mode)
        context.add_output_metadata({
            "attachments": df.height, "extracted_now": extracting.extracted, "reused": extracting.reused,
            "mb_extracted": round(extracting.bytes / 1e6, 3),
            **{s: int((df["status"] == s).sum()) for s in ("extracted", "skipped", "failed", "not downloaded")}})
        return df

    return [raw_attachments, attachment_articles]


class _Extracting:
    """The `extract` callable of build_attachment_articles: results by sha256 from this run, then the
    cache, then the worker (started only if something is new)."""

    def __init__(self, settings: AttachmentSettings, cache_root: UPath, files_root: LocalStore | ObjectStore) -> None:
        self.settings, self.limits = settings, Limits.from_settings(settings)
        self.cache, self.store = TextCache(cache_root), file_store(files_root)
        self.extractor = Extractor(self.limits)
        self.seen: dict[str, Extraction] = {}
        self.extracted = self.reused = self.bytes = 0

    def __enter__(self) -> "_Extracting":
        return self

    def __exit__(self, *exc: object) -> None:
        self.extractor.close()

    def __call__(self, att: dict) -> tuple[Extraction, bool]:
        if not self.settings.extract:
            return Extraction("skipped", "text extraction is off (attachments.extract)"), False
        sha = att["sha256"]
        found = self.seen.get(sha) or self.cache.get(sha, self.limits)
        if found is not None and found.status != "skipped":  # a policy skip is decided afresh each run
            self.seen[sha] = found
            self.reused += 1
            return found, True
        rel = PurePosixPath(att["path"])
        try:
            self.store.path(rel)
        except UnsafePathError as err:
            return Extraction("failed", str(err)), False
        try:
            # On object storage the worker reads a local copy; a local store hands its own file.
            with self.store.local_copy(rel) as path:
                result = self.extractor.extract(path, filename=att["filename"], media_type=att["media_type"])
        except OSError as err:  # the object could not be fetched: the same row a missing local file gives
            result = Extraction("failed", f"stored copy unreadable: {type(err).__name__}: {err}")
        if result.status != "skipped":
            self.cache.put(sha, result, self.limits)
            self.extracted += 1
            self.bytes += int(att.get("file_size") or 0)
        self.seen[sha] = result
        return result, False


def known_files(storage_root: str, prefix: str) -> dict[str, str]:
    """identity -> stored path, from every space's raw_attachments that earlier runs wrote."""
    folder = root_path(storage_root) / prefix / "raw_attachments"
    known: dict[str, str] = {}
    if not folder.exists():
        return known
    for path in sorted(folder.rglob("*.parquet")):
        if path.name.startswith("."):
            continue  # a write in progress
        with path.open("rb") as handle:
            rows = pl.read_parquet(handle)
        if "file_id" not in rows.columns:  # written before identities were recorded
            rows = rows.with_columns(pl.lit(None, dtype=pl.String).alias("file_id"))
        for row in rows.filter(pl.col("path").is_not_null() & pl.col("sha256").is_not_null()).iter_rows(named=True):
            known[identity(row)] = row["path"]
    return known


def attachment_rows(client, listed: list[dict], settings, files_root, known: dict[str, str] | None = None) -> list[dict]:
    """raw_attachments rows: the listing, with the download's outcome when downloads are on."""
    outcomes = ({(r.attachment_id, r.version): r
                 for r in download_attachments(client, listed, files_root, settings, known=known)}
                if settings.download and listed else {})
    rows = []
    for record in listed:
        outcome = outcomes.get((record["attachment_id"], int(record.get("version") or 1)))
        rows.append({**{k: record.get(k) for k in RAW_ATTACHMENTS.names()
                        if k not in ("status", "reason", "path", "sha256")},
                     "status": outcome.status if outcome else "listed",
                     "reason": outcome.reason if outcome else None,
                     "path": outcome.path if outcome else None,
                     "sha256": outcome.sha256 if outcome else None})
    return rows
