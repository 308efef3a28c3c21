"""article_metadata materialized by Dagster after a sync of the demo site; explain-mapping reads it by path."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl
import pytest
from conftest import write_km_yaml

from km_assets.config import load_config
from km_assets.defs.io_manager import PolarsParquetIOManager
from km_assets.defs.metadata_assets import metadata_assets
from km_assets.defs.resources import confluence_resource
from km_assets.defs.run import sync_connection, sync_spaces
from km_assets.km.mapping import explain_mapping

MAPPING = """\
    mapping:
      rules:
        - {name: runbooks, when: {label: runbook}, set: {Category: Runbooks}}
"""


@pytest.mark.slow
def test_article_metadata_maps_a_space_and_resolves_people_once(tmp_path, monkeypatch, demo_sandbox):
    monkeypatch.setenv("KM_TEST_TOKEN", demo_sandbox.options.api_token)
    config = load_config(write_km_yaml(tmp_path, demo_sandbox.url, MAPPING))
    connection = config.connection("demo")
    resources = {"parquet_io_manager": PolarsParquetIOManager(root=config.storage.root),
                 "confluence_demo": confluence_resource(connection)}
    site = demo_sandbox.site
    ops = {c.id: c for c in site.content.values() if c.space == "OPS" and c.status == "current"}
    people = {site.users[name].account_id for c in ops.values() for name in (c.creator, c.version.by)}
    key = dg.AssetKey(["demo", "article_metadata"])
    with dg.instance_for_test() as instance:
        sync_spaces(config, connection, ["OPS"], instance)  # the initial job maps the space too
        records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, asset_partitions=["OPS"]),
                                                  limit=1).records
        meta = records[0].asset_materialization.metadata
        again = dg.materialize(metadata_assets(connection, config.storage.root),  # its check comes with it
                               partition_key="OPS", instance=instance, resources=resources)
    assert again.success
    assert (meta["people_resolved"].value, meta["people_unresolved"].value, meta["requests"].value) == (
        len(people), 0, 1)
    assert "| Article Title |" in meta["preview"].value
    repeat = again.asset_materializations_for_node("demo__article_metadata")[0].metadata
    assert (repeat["people_resolved"].value, repeat["requests"].value) == (len(people), 0), \
        "people come from the cache on the second run"
    assert [c.passed for c in again.get_asset_check_evaluations()] == [True]

    written = pl.read_parquet(tmp_path / "data/demo/article_metadata/space=OPS/data.parquet")
    assert sorted(written["content_id"]) == sorted(ops)
    runbooks = {c.id for c in ops.values() if "runbook" in c.labels}
    assert runbooks and set(written.filter(pl.col("Category") == "Runbooks")["content_id"]) == runbooks
    assert (tmp_path / "data/demo/people/people.parquet").is_file()

    some = sorted(runbooks)[0]
    text = explain_mapping(config, "demo", some)
    assert f"content {some} " in text and "Category: Runbooks\n      from rule; by rules.0 (runbooks)" in text
    with pytest.raises(LookupError, match="no article with content id 'nope'"):
        explain_mapping(config, "demo", "nope")


@pytest.mark.slow
def test_a_page_moved_to_another_space_takes_that_space_as_category(tmp_path, monkeypatch, fresh_sandbox):
    """A move makes no new version: the synced version still names the old space, the snapshot the new one."""
    monkeypatch.setenv("KM_TEST_TOKEN", fresh_sandbox.options.api_token)
    config = load_config(write_km_yaml(tmp_path, fresh_sandbox.url))
    connection = config.connection("demo")
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    site = fresh_sandbox.site
    with dg.instance_for_test() as instance:
        sync_spaces(config, connection, ["ENG", "OPS"], instance, now=now)
        site.move("65607", space="ENG", parent="65537")
        sync_connection(config, connection, ["ENG", "OPS"], instance, now=now)
    eng = pl.read_parquet(tmp_path / "data/demo/article_metadata/space=ENG/data.parquet")
    ops = pl.read_parquet(tmp_path / "data/demo/article_metadata/space=OPS/data.parquet")
    assert "65607" not in ops["content_id"].to_list()
    moved = eng.filter(pl.col("content_id") == "65607").row(0, named=True)
    assert (moved["space_key"], moved["Category"]) == ("ENG", "Engineering")
