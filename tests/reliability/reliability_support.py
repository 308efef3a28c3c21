"""What the reliability tests share: a folder per run (km.yaml, data root, Dagster instance), the real
sync (`sync_connection` on a Dagster instance inside the pytest temporary folder, so the session's secret
check reads its event logs too), and the output tables to compare between a faulted and a clean run.

The module has a unique name: tests/ is not a package, so a second `conftest` or `support` would clash.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
from polars.testing import assert_frame_equal

from km_assets.config import KmConfig, load_config
from km_assets.defs.run import SyncSummary, sync_connection

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # fixed, so every run lists and keeps the same rows
TOKEN_ENV = "KM_RELIABILITY_TOKEN"
# The tables a user reads; a faulted or interrupted run must leave them exactly as a clean run does.
_ORIGIN = r"127\.0\.0\.1:\d+"
COMPARED = ("raw_history", "articles_current", "article_metadata", "permission_map", "raw_attachments")


@dataclass
class Case:
    """One folder with its km.yaml, its storage root and its Dagster instance."""

    folder: Path

    @property
    def root(self) -> Path:
        return self.folder / "data"

    @property
    def home(self) -> Path:
        return self.folder / "dagster"

    @property
    def config_path(self) -> Path:
        return self.folder / "km.yaml"

    def write_config(self, url: str, login: str, extra: str = "") -> KmConfig:
        """A `demo` connection to `url`, the secret in TOKEN_ENV; `extra` is more connection keys
        (indented four spaces)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(f"""
storage: {{root: {self.root}}}
connections:
  - name: demo
    url: {url}
    deployment: cloud
    auth: {{username: {login}, api_token_env: {TOKEN_ENV}}}
    permissions: {{enabled: true}}
{extra}""")
        return load_config(self.config_path)

    @contextmanager
    def instance(self) -> Iterator[dg.DagsterInstance]:
        """A Dagster instance kept in this folder (a re-run sees the runs before it)."""
        self.home.mkdir(parents=True, exist_ok=True)
        with dg.instance_for_test(temp_dir=str(self.home)) as instance:
            yield instance

    def sync(self, instance: dg.DagsterInstance, spaces: list[str], *, permissions: bool = True) -> SyncSummary:
        config = load_config(self.config_path)
        return sync_connection(config, config.connection("demo"), spaces, instance, now=NOW,
                               log_level="CRITICAL", permissions=permissions)

    def table(self, asset: str) -> pl.DataFrame:
        pattern = self.root / "demo" / asset / "**" / "*.parquet"
        frame = pl.scan_parquet(pattern, hive_partitioning=True).collect()
        # Runs against different sandboxes differ in the site's port only: name the origin alike.
        text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
        texts = [name for name, dtype in frame.schema.items() if dtype == pl.List(pl.String)]
        frame = frame.with_columns(pl.col(text).str.replace_all(_ORIGIN, "SITE-ORIGIN"),
                                   pl.col(texts).list.eval(pl.element().str.replace_all(_ORIGIN, "SITE-ORIGIN")))
        # Row order across partitions is the reader's choice: sort on every scalar column.
        keys = [name for name, dtype in frame.schema.items() if not dtype.is_nested()]
        return frame.sort(keys, nulls_last=True)


def assert_same_outputs(case: Case, clean: Case, assets: tuple[str, ...] = COMPARED) -> None:
    """Every compared table of `case` equals the clean run's, row for row and value for value."""
    for asset in assets:
        expected = clean.table(asset)
        assert expected.height > 0, f"the clean run wrote no {asset}"
        assert_frame_equal(case.table(asset), expected, check_row_order=True)


def parquet_files(root: Path) -> dict[str, bytes]:
    """Every data file under the storage root (staging excluded), by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))
            if ".staging" not in p.parts}
