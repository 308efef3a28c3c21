"""`km sync` syncing spaces in parallel worker processes: the same outputs and runs as one after another,
runs tagged with the worker that made them, and a worker's error raised as itself."""

from __future__ import annotations

import os

import dagster as dg
import polars as pl
import pytest
from test_incremental_sync import T0, km_yaml, synced_state

from km_assets.config import load_config
from km_assets.confluence.errors import AuthenticationError
from km_assets.defs.orphans import PID_TAG
from km_assets.defs.run import sync_connection
from km_assets.sandbox import Sandbox, load_demo_site


def _markdown(root) -> dict[str, str]:
    current = pl.read_parquet(root / "demo/articles_current/**/*.parquet", hive_partitioning=True)
    return dict(current.select("content_id", "markdown").iter_rows())


@pytest.mark.slow
def test_parallel_spaces_equal_one_after_another(tmp_path, monkeypatch):
    with Sandbox(site=load_demo_site()) as sandbox:
        monkeypatch.setenv("KM_TEST_TOKEN", sandbox.options.api_token)
        spaces = sorted(sandbox.site.spaces)
        outputs = {}
        for parallel in (1, 2):
            root = tmp_path / f"p{parallel}"
            root.mkdir()
            config = load_config(km_yaml(root, sandbox.url))
            with dg.instance_for_test() as instance:
                summary = sync_connection(config, config.connection("demo"), spaces, instance, now=T0,
                                          log_level="WARNING", parallel=parallel)
                assert not summary.failed
                assert [(r[0], r[1]) for r in summary.runs] == [("initial", s) for s in spaces]
                pids = {instance.get_run_by_id(r[2]).tags[PID_TAG] for r in summary.runs}
            outputs[parallel] = (synced_state(root / "data"), _markdown(root / "data"))
            if parallel == 1:
                assert pids == {str(os.getpid())}
            else:  # worker processes, at most two of them
                assert str(os.getpid()) not in pids and 1 <= len(pids) <= 2
        assert outputs[1] == outputs[2]
        assert len(outputs[2][0]) > 10


def test_a_worker_error_is_raised_as_itself(tmp_path, monkeypatch):
    with Sandbox(site=load_demo_site()) as sandbox:
        monkeypatch.setenv("KM_TEST_TOKEN", "not-the-token")
        config = load_config(km_yaml(tmp_path, sandbox.url))
        with dg.instance_for_test() as instance, pytest.raises(AuthenticationError) as raised:
            sync_connection(config, config.connection("demo"), sorted(sandbox.site.spaces), instance, now=T0,
                            log_level="CRITICAL", parallel=2)
        assert "not-the-token" not in str(raised.value)
