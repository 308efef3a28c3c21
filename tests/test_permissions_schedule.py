"""The permissions schedule: its own cadence from km.yaml, one run per known space, each run writing the
space's permission map; off entirely when permissions are disabled."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl
from conftest import write_km_yaml

from km_assets.config import load_config
from km_assets.defs.build import build_definitions
from km_assets.defs.partitions import space_partitions

SPACES = ["ENG", "HR"]


def test_the_permissions_schedule_maps_every_known_space_on_its_own_cadence(tmp_path, monkeypatch, demo_sandbox):
    monkeypatch.setenv("KM_TEST_TOKEN", demo_sandbox.options.api_token)
    config = load_config(write_km_yaml(tmp_path, demo_sandbox.url,
                                       "    schedule: daily\n    permissions: {schedule: hourly}\n"))
    connection = config.connection("demo")
    defs = build_definitions(config)
    schedule = defs.resolve_schedule_def("demo__permissions")
    assert schedule.cron_schedule.split()[1] == "*"  # hourly, while content syncs daily
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(space_partitions(connection).name, SPACES)
        with dg.partition_loading_context(dynamic_partitions_store=instance):
            tick = schedule.evaluate_tick(dg.build_schedule_context(
                instance=instance, scheduled_execution_time=datetime(2026, 11, 26, 13, 0, tzinfo=UTC),
                repository_def=defs.get_repository_def()))
        assert sorted(r.partition_key for r in tick.run_requests) == SPACES
        job = defs.resolve_job_def("demo__permissions")
        for request in tick.run_requests:
            assert job.execute_in_process(partition_key=request.partition_key, instance=instance).success
    written = pl.read_parquet(tmp_path / "data/demo/permission_map/**/*.parquet", hive_partitioning=True)
    site = demo_sandbox.site
    expected = {c.id for c in site.content.values() if c.space in SPACES and c.status == "current"
                and c.type in ("page", "blogpost")}
    assert set(written.filter(pl.col("granted"))["content_id"]) == expected


def test_disabled_permissions_have_no_asset_job_or_schedule(tmp_path):
    config = load_config(write_km_yaml(tmp_path, "http://127.0.0.1:9/wiki", "    permissions: {enabled: false}\n"))
    defs = build_definitions(config)
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert "demo/articles_current" in keys and "demo/permission_map" not in keys
    assert "demo__permissions" not in {s.name for s in defs.schedules}
    assert "demo__permissions" not in {j.name for j in defs.jobs}
