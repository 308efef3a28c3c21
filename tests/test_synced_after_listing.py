"""A first sync's snapshot is its history listing (no second request), and what windows bring after a
snapshot listed is current, not a tombstone, before any reconciliation lists it."""

from __future__ import annotations

import dagster as dg
import polars as pl
from test_incremental_sync import T0, T1, at, expected_state, km_yaml, synced_state

from km_assets.config import load_config
from km_assets.defs.run import sync_connection
from km_assets.km.current import SNAPSHOT
from km_assets.sandbox import Sandbox, load_demo_site


def _snapshot(root, space: str) -> pl.DataFrame:
    return pl.read_parquet(root / f"demo/snapshot/space={space}/*.parquet").sort("content_id")


def test_first_sync_snapshot_comes_from_the_history_and_equals_a_listing(tmp_path, monkeypatch):
    site = load_demo_site()
    with Sandbox(site=site) as sandbox, dg.instance_for_test() as instance:
        monkeypatch.setenv("KM_TEST_TOKEN", sandbox.options.api_token)
        config = load_config(km_yaml(tmp_path, sandbox.url))
        connection = config.connection("demo")
        first = sync_connection(config, connection, ["ENG"], instance, now=T0, log_level="WARNING", parallel=1)
        assert not first.failed
        derived = _snapshot(tmp_path / "data", "ENG")
        run = instance.get_run_by_id(first.runs[0][2])
        snap = [e for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
                if e.asset_materialization.asset_key.path[-1] == "snapshot"]
        assert snap[0].asset_materialization.metadata["requests"].value == 0
        searches = [e for e in sandbox.counters.events if e.path.endswith("/content/search")]
        assert len(searches) == 1  # the history listing (the demo's ENG fits one page), and no second
        assert (derived["listed_at"] == T0).all()  # the history's cutoff: the newest settled window's end

        # A reconciliation right after lists the same items with the same fields.
        listed = sync_connection(config, connection, ["ENG"], instance, now=T0, log_level="WARNING", parallel=1)
        assert [r[0] for r in listed.runs] == ["reconcile"]
        real = _snapshot(tmp_path / "data", "ENG")
        columns = [c for c in SNAPSHOT.names() if c != "listed_at"]
        assert derived.select(columns).equals(real.select(columns))
        assert (real["listed_at"] == T0).all()  # a real listing records when it ran, on the run's clock


def test_a_page_created_after_the_listing_is_current_before_the_next_reconciliation(tmp_path, monkeypatch):
    site = load_demo_site()
    with Sandbox(site=site) as sandbox, dg.instance_for_test() as instance:
        monkeypatch.setenv("KM_TEST_TOKEN", sandbox.options.api_token)
        config = load_config(km_yaml(tmp_path, sandbox.url))
        connection = config.connection("demo")
        assert not sync_connection(config, connection, ["OPS"], instance, now=T0, log_level="WARNING").failed
        fresh = site.create(space="OPS", title="Night Shift Handover", parent="65601", by="cokafor", at=at(20))

        # The schedule's path: the window and a refresh, no reconciliation.
        second = sync_connection(config, connection, ["OPS"], instance, now=T1, log_level="WARNING",
                                 reconcile=False)
        assert [r[0] for r in second.runs] == ["window", "refresh"] and not second.failed
        synced = synced_state(tmp_path / "data")
        assert fresh.id in synced
        assert synced == {k: v for k, v in expected_state(sandbox).items() if v[3] == "OPS"}
        gone = pl.read_parquet(tmp_path / "data/demo/tombstones/**/*.parquet", hive_partitioning=True)
        assert fresh.id not in set(gone["content_id"])
