"""Reading a connection's Parquet outputs by path, for notebooks and reports (no Dagster).

Every asset lives under `<root>/<connection>/<asset>/space=<KEY>[/window=<KEY>]/data.parquet`; the
partition keys in the path come back as columns (`space`, `window`), as `hive_partitioning=True` would
give, but through UPath so an s3:// or gs:// root reads the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from upath import UPath

from ..config import KmConfig, load_config
from ..km.current import SNAPSHOT
from ..km.integration_log import INTEGRATION_LOG, RUNS_FOLDER
from ..km.mapping import FIXED
from ..km.parquet_files import root_path
from ..km.permissions import PERMISSION_MAP
from ..km.schemas import ARTICLES, RAW_ATTACHMENTS, RAW_CONTENT

__all__ = ["Store", "open_store", "parse_moment"]

# The schema an asset has when nothing was written yet, so an empty section still has its columns.
_SCHEMAS: dict[str, pl.Schema] = {
    "raw_history": RAW_CONTENT, "raw_content": RAW_CONTENT, "snapshot": SNAPSHOT, "articles": ARTICLES,
    "articles_current": ARTICLES, "article_metadata": FIXED, "raw_attachments": RAW_ATTACHMENTS,
    "tombstones": pl.Schema({"content_id": pl.String, "noticed_at": pl.Datetime("us", "UTC"), "reason": pl.String}),
    "permission_map": PERMISSION_MAP, RUNS_FOLDER: INTEGRATION_LOG, "integration_log": INTEGRATION_LOG,
}


def parse_moment(value: str | date | datetime | None, *, end_of_day: bool = False) -> datetime | None:
    """'2026-11-20' or '2026-11-20T12:00' (UTC unless it says otherwise) -> an aware datetime. A bare date
    with `end_of_day` means the end of that day, so `--until 2026-11-20` includes the 20th."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if ("T" in value or " " in value.strip()) else date.fromisoformat(value)
    if not isinstance(value, datetime):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
        return moment + timedelta(days=1) if end_of_day else moment
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Store:
    """One connection's folder under the storage root."""

    root: str
    prefix: str

    @property
    def folder(self) -> UPath:
        return root_path(self.root) / self.prefix

    def _files(self, asset: str) -> list[tuple[UPath, dict[str, str]]]:
        """An asset's Parquet files, each with the partition keys its folders name."""
        folder = self.folder / asset
        files = []
        for path in sorted(folder.rglob("*.parquet")) if folder.exists() else []:
            if path.name.startswith("."):
                continue  # a temporary file of a write in progress
            keys = dict(part.split("=", 1) for part in path.relative_to(folder).parts[:-1] if "=" in part)
            files.append((path, keys))
        return files

    def read(self, asset: str, columns: list[str] | None = None) -> pl.DataFrame:
        """Every partition of an asset, with its partition keys as columns (empty: the asset's schema).
        `columns`: only these (and the partition keys), so a count by space never loads the Markdown."""
        frames = []
        for path, keys in self._files(asset):
            with path.open("rb") as handle:
                frame = pl.read_parquet(handle, columns=columns)
            frames.append(frame.with_columns(pl.lit(v).alias(k) for k, v in keys.items() if k not in frame.columns))
        if frames:
            return pl.concat(frames, how="diagonal_relaxed")
        schema = {**_SCHEMAS.get(asset, {}), "space": pl.String}
        if columns is not None:
            schema = {k: v for k, v in schema.items() if k in columns or k == "space"}
        return pl.DataFrame(schema=schema)

    def count(self, asset: str) -> int:
        """How many rows an asset holds, from the files' footers (no column is read)."""
        import pyarrow.parquet as pq

        total = 0
        for path, _ in self._files(asset):
            with path.open("rb") as handle:
                total += pq.ParquetFile(handle).metadata.num_rows
        return total

    def written_at(self, asset: str, space: str) -> datetime | None:
        """When a space's partition of an asset was last written (its file's modification time)."""
        path = self.folder / asset / f"space={space}" / "data.parquet"
        if not path.exists():
            return None
        stat = path.stat()
        mtime = stat.st_mtime if hasattr(stat, "st_mtime") else stat["mtime"]
        return datetime.fromtimestamp(mtime, UTC).replace(microsecond=0)

    def versions(self) -> pl.DataFrame:
        """Every synced (content id, version), from the first sync and the windows, repeats collapsed."""
        frames = [self.read(a).select(RAW_CONTENT.names()) for a in ("raw_history", "raw_content")]
        return pl.concat(frames).unique(subset=["content_id", "version"], keep="first", maintain_order=True)

    def log(self) -> pl.DataFrame:
        """Every run's integration events (content and permission syncs), oldest first, with `space`."""
        return self.read(RUNS_FOLDER).sort("at")

    def current(self) -> pl.DataFrame:
        """articles_current with the synced version's times, type and creator (from the raw rows)."""
        current = self.read("articles_current")
        raw = self.versions().select("content_id", "version", "content_type", "created_at", "modified_at",
                                     "created_by_name", "status", "body_storage")
        return current.join(raw, on=["content_id", "version"], how="left")


def open_store(config: KmConfig | str | Path | None, connection: str, storage_root: str | None = None,
               asset_prefix: str | None = None) -> tuple[KmConfig | None, Store]:
    """(config, store) for a notebook. A relative storage root is read from the folder holding km.yaml,
    so a notebook opened from notebooks/ finds ./data next to km.yaml. With a storage root and an asset
    prefix and no config (what `run_report` passes), km.yaml is not read at all."""
    if config is None and storage_root and asset_prefix:
        return None, Store(storage_root, asset_prefix)
    if isinstance(config, KmConfig):
        cfg: KmConfig | None = config
        base = Path.cwd()
    else:
        path = _find_config(Path(config) if config else Path("km.yaml"))
        cfg = load_config(path)
        base = path.parent
    settings = cfg.connection(connection)
    root = storage_root or cfg.storage.root
    if "://" not in root and not Path(root).is_absolute():
        root = str((base / root).resolve())
    return cfg, Store(root, settings.asset_prefix)


def _find_config(path: Path) -> Path:
    if path.is_absolute() or path.is_file():
        return path
    for folder in [Path.cwd(), *Path.cwd().parents]:  # notebooks/ sits one level below km.yaml
        if (folder / path).is_file():
            return folder / path
    return path  # load_config names the missing file
