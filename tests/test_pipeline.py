"""raw_history, articles and articles_current materialized by Dagster against the sandbox, into a temporary folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from conftest import write_km_yaml

from km_assets.config import load_config
from km_assets.defs.run import sync_spaces

REPO = Path(__file__).resolve().parents[1]


def km_yaml(tmp_path: Path, url: str, extra: str = "") -> Path:
    return write_km_yaml(tmp_path, url, extra)


def test_repository_definitions_load_and_validate():
    from km_assets.definitions import defs

    assert isinstance(defs, dg.Definitions)
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"demo/raw_history", "demo/raw_content", "demo/snapshot", "demo/articles", "demo/tombstones",
            "demo/articles_current"} <= keys
    result = subprocess.run([str(Path(sys.executable).with_name("dagster")), "definitions", "validate",
                             "-w", "workspace.yaml"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_materialize_against_the_sandbox_writes_hive_parquet(tmp_path, monkeypatch, demo_sandbox, instance):
    monkeypatch.setenv("KM_TEST_TOKEN", demo_sandbox.options.api_token)
    config = load_config(km_yaml(tmp_path, demo_sandbox.url))
    connection = config.connection("demo")
    site = demo_sandbox.site
    spaces = sorted(site.spaces)

    summary = sync_spaces(config, connection, spaces, instance)
    # Per space: the first sync, then the permission map.
    assert [(r[0], r[1], r[3]) for r in summary.runs] == [
        (kind, s, True) for s in spaces for kind in ("initial", "permissions")]

    raw = pl.read_parquet(tmp_path / "data/demo/raw_history/**/*.parquet", hive_partitioning=True)
    articles = pl.read_parquet(tmp_path / "data/demo/articles/**/*.parquet", hive_partitioning=True)
    expected = {c.id: c for c in site.content.values() if c.status == "current"}
    assert sorted(raw["content_id"]) == sorted(expected)
    assert sorted(articles["content_id"]) == sorted(expected)
    # The hive partition column agrees with the space each row came from.
    assert (raw["space"] == raw["space_key"]).all()
    for row in raw.iter_rows(named=True):
        source = expected[row["content_id"]]
        assert (row["title"], row["version"], row["labels"]) == (source.title, source.version.number,
                                                                  source.labels)
        assert row["body_storage"] == source.body
    for row in articles.iter_rows(named=True):
        assert row["markdown"].startswith("---\ntitle: ")
        assert "<ac:" not in row["markdown"]

    # Re-running a partition replaces it with the same content.
    before = pl.read_parquet(tmp_path / "data/demo/articles/space=ENG/data.parquet")
    sync_spaces(config, connection, ["ENG"], instance)
    after = pl.read_parquet(tmp_path / "data/demo/articles/space=ENG/data.parquet")
    assert before.equals(after)
    assert not list((tmp_path / "data").rglob("*.tmp")), "temporary files left behind"


def test_missing_token_fails_the_run_naming_the_variable(tmp_path, monkeypatch, demo_sandbox, instance):
    monkeypatch.delenv("KM_TEST_TOKEN", raising=False)
    config = load_config(km_yaml(tmp_path, demo_sandbox.url))
    with pytest.raises(Exception, match="KM_TEST_TOKEN"):
        sync_spaces(config, config.connection("demo"), ["ENG"], instance)
    assert not (tmp_path / "data").exists()


def test_raw_attachments_are_listed_and_downloaded_once(tmp_path, monkeypatch, fresh_sandbox, instance):
    import hashlib

    monkeypatch.setenv("KM_TEST_TOKEN", fresh_sandbox.options.api_token)
    config = load_config(km_yaml(tmp_path, fresh_sandbox.url))
    connection = config.connection("demo")
    site = fresh_sandbox.site
    sync_spaces(config, connection, sorted(site.spaces), instance)
    rows = pl.read_parquet(tmp_path / "data/demo/raw_attachments/**/*.parquet", hive_partitioning=True)
    assert sorted(rows["attachment_id"]) == sorted(site.attachments)
    assert set(rows["status"]) == {"downloaded"}
    for row in rows.iter_rows(named=True):
        data = site.attachments[row["attachment_id"]].data
        assert row["sha256"] == hashlib.sha256(data).hexdigest()
        assert (tmp_path / "data/demo/attachment_files" / row["path"]).read_bytes() == data
    downloads = fresh_sandbox.counters.total()
    sync_spaces(config, connection, sorted(site.spaces), instance)  # a second first-sync downloads nothing new
    again = pl.read_parquet(tmp_path / "data/demo/raw_attachments/**/*.parquet", hive_partitioning=True)
    assert set(again["reason"]) == {"already stored"}
    media = [e for e in fresh_sandbox.counters.events if "/media/file/" in e.path]
    assert len(media) == len(site.attachments), "each file fetched once"
    assert fresh_sandbox.counters.total() > downloads
