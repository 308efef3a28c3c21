"""Issue 6: "materializing all partitions of a space from the UI ... must not run one query per day".

After the first sync, a window that ends before the history's cutoff is served from raw_history with no
request, holding exactly the history's rows of that window; a window after the cutoff is fetched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl
from conftest import write_km_yaml
from polars.testing import assert_frame_equal

from km_assets.config import load_config
from km_assets.defs.assets import NOW_TAG
from km_assets.defs.build import build_definitions, job_name
from km_assets.defs.run import sync_connection

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the history ends at 2026-11-20 00:00
SEARCH = "/rest/api/content/search"


def test_windows_inside_the_history_cost_no_request_and_hold_its_rows(tmp_path, monkeypatch, demo_sandbox):
    monkeypatch.setenv("KM_TEST_TOKEN", demo_sandbox.options.api_token)
    config = load_config(write_km_yaml(tmp_path, demo_sandbox.url, "    spaces: {include: [ENG]}\n"
                                       "    schedule: daily\n    sync: {start: 2026-01-01, lag_minutes: 0}\n"))
    connection = config.connection("demo")
    history = None
    with dg.instance_for_test() as instance:
        assert not sync_connection(config, connection, ["ENG"], instance, now=T0, log_level="WARNING").failed
        history = pl.read_parquet(tmp_path / "data/demo/raw_history/space=ENG/data.parquet")
        busiest = (history.group_by(pl.col("modified_at").dt.date().alias("day")).len()
                   .sort(["len", "day"], descending=True)["day"][0])
        quiet = busiest - timedelta(days=1)
        while history.filter(pl.col("modified_at").dt.date() == quiet).height:
            quiet -= timedelta(days=1)
        job = build_definitions(config).resolve_job_def(job_name(connection, "window"))

        def window(day) -> pl.DataFrame:
            key = day.isoformat()
            assert job.execute_in_process(partition_key=dg.MultiPartitionKey({"space": "ENG", "window": key}),
                                          instance=instance, tags={NOW_TAG: T0.isoformat()}).success
            return pl.read_parquet(tmp_path / f"data/demo/raw_content/space=ENG/window={key}/data.parquet")

        searched = demo_sandbox.counters.total(SEARCH)
        for day in (busiest, quiet):
            expected = history.filter(pl.col("modified_at").dt.date() == day)
            assert_frame_equal(window(day), expected)
        assert demo_sandbox.counters.total(SEARCH) == searched, "a window inside the history made a request"
        assert history.filter(pl.col("modified_at").dt.date() == busiest).height > 0

        # A day after the cutoff is not in the history: it is fetched.
        window(T0.date() + timedelta(days=1))
        assert demo_sandbox.counters.total(SEARCH) > searched
