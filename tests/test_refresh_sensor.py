"""The schedule path's refresh: after window runs, the refresh sensor asks for a rebuild of the articles
of exactly the spaces whose windows found rows, once, and the rebuild brings the edit to articles_current."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl
from conftest import HOURLY_FROM_NOV_20, write_km_yaml

from km_assets.config import load_config
from km_assets.defs.assets import NOW_TAG
from km_assets.defs.build import build_definitions, job_name
from km_assets.defs.run import sync_connection

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
SPACES = ["ENG", "OPS"]


def test_refresh_sensor_requests_only_spaces_whose_window_found_rows(tmp_path, monkeypatch, fresh_sandbox):
    monkeypatch.setenv("KM_TEST_TOKEN", fresh_sandbox.options.api_token)
    config = load_config(write_km_yaml(tmp_path, fresh_sandbox.url,
                                       HOURLY_FROM_NOV_20 + f"    spaces: {{include: [{', '.join(SPACES)}]}}\n"))
    connection = config.connection("demo")
    with dg.instance_for_test() as instance:
        assert not sync_connection(config, connection, SPACES, instance, now=T0, log_level="WARNING").failed
        fresh_sandbox.site.edit("65537", by="amoreau", body="<p>Edited after the first sync.</p>",
                                at=datetime(2026, 11, 26, 12, 5, tzinfo=UTC))
        defs = build_definitions(config)
        # What the incremental schedule asks for at T1: the settled window of every space.
        window = defs.resolve_job_def(job_name(connection, "window"))
        for space in SPACES:
            result = window.execute_in_process(
                partition_key=dg.MultiPartitionKey({"space": space, "window": "2026-11-26-12:00"}),
                instance=instance, tags={NOW_TAG: T1.isoformat()})
            assert result.success

        sensor = defs.resolve_sensor_def("demo__refresh")
        # The daemon resolves run requests against the instance's dynamic partitions; so does this.
        with dg.partition_loading_context(dynamic_partitions_store=instance):
            first = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs))
            again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=first.cursor,
                                                                 definitions=defs))
        assert [r.partition_key for r in first.run_requests] == ["ENG"]  # OPS's window found nothing
        assert not again.run_requests and again.skip_message

        refresh = defs.resolve_job_def(job_name(connection, "refresh"))
        assert refresh.execute_in_process(partition_key="ENG", instance=instance,
                                          tags={NOW_TAG: T1.isoformat()}).success
        current = pl.read_parquet(tmp_path / "data/demo/articles_current/**/*.parquet", hive_partitioning=True)
        home = current.filter(pl.col("content_id") == "65537").row(0, named=True)
        assert home["version"] == fresh_sandbox.site.content["65537"].version.number
        assert "Edited after the first sync." in home["markdown"]


def test_km_sync_without_reconciliation_refreshes_only_spaces_whose_windows_found_rows(tmp_path, monkeypatch,
                                                                                      fresh_sandbox):
    monkeypatch.setenv("KM_TEST_TOKEN", fresh_sandbox.options.api_token)
    config = load_config(write_km_yaml(tmp_path, fresh_sandbox.url,
                                       HOURLY_FROM_NOV_20 + f"    spaces: {{include: [{', '.join(SPACES)}]}}\n"))
    connection = config.connection("demo")
    with dg.instance_for_test() as instance:
        assert not sync_connection(config, connection, SPACES, instance, now=T0, log_level="WARNING").failed
        fresh_sandbox.site.edit("65537", by="amoreau", body="<p>Edited.</p>",
                                at=datetime(2026, 11, 26, 12, 5, tzinfo=UTC))
        second = sync_connection(config, connection, SPACES, instance, now=T1, reconcile=False,
                                 log_level="WARNING")
        assert [(kind, partition) for kind, partition, _, _ in second.runs if kind != "window"] == [
            ("refresh", "ENG")]
        assert sum(kind == "window" for kind, *_ in second.runs) == len(SPACES)
