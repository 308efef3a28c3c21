"""Asset checks: each passes on a clean sync of the sandbox and fails on data built to break it.

The sync runs the checks itself (a job selecting an asset selects its checks); results are read back
from each run's event log, the way the UI sees them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from conftest import HOURLY_FROM_NOV_20, write_km_yaml

from km_assets.config import KmConfig, load_config
from km_assets.confluence import client_for, list_spaces
from km_assets.defs.build import build_definitions
from km_assets.defs.checks import (
    FIDELITY_THRESHOLD,
    duplicate_versions_result,
    empty_titles_result,
    freshness_result,
    low_fidelity_result,
    synced_through,
    unhandled_macros_result,
)
from km_assets.defs.run import SyncSummary, sync_connection
from km_assets.km.schemas import ARTICLES, RAW_CONTENT
from km_assets.km.windows import Window
from km_assets.sandbox import Sandbox, load_demo_site

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the first sync
T1 = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)  # the hourly window [12:00, 13:00) has settled
ARTICLE_CHECKS = {("articles", "titles_not_empty"), ("articles_current", "titles_not_empty"),
                  ("articles", "fidelity_above_threshold"), ("articles", "no_unhandled_macros"),
                  ("article_metadata", "article_title_present")}
# Text inside an ADF extension with no fallback is visible in Confluence and dropped by the converter.
LOW_FIDELITY_BODY = ("<p>Intro.</p><ac:adf-extension><ac:adf-node type=\"unknown\"><ac:adf-content>"
                     "every one of these words is lost in the export</ac:adf-content></ac:adf-node>"
                     "</ac:adf-extension>")


def articles(**columns) -> pl.DataFrame:
    height = len(columns["content_id"])
    base = {"title": ["t"] * height, "fidelity": [1.0] * height, "unhandled_macros": [[]] * height}
    return pl.DataFrame({**base, **columns}).with_columns(pl.col("unhandled_macros").cast(pl.List(pl.String)))


# Pure functions: what each check decides, without Dagster.

def test_titles_null_or_blank_fail_and_at_most_twenty_ids_are_listed():
    assert empty_titles_result(articles(content_id=["1", "2"], title=["A", "B"])).passed
    bad = empty_titles_result(articles(content_id=["1", "2", "3"], title=["A", None, "  "]))
    assert not bad.passed and bad.severity == dg.AssetCheckSeverity.ERROR
    assert bad.metadata["count"].value == 2 and bad.metadata["content_ids"].value == ["2", "3"]
    many = empty_titles_result(articles(content_id=[str(i) for i in range(30)], title=[""] * 30))
    assert many.metadata["count"].value == 30 and len(many.metadata["content_ids"].value) == 20


def test_repeated_id_and_version_fail():
    assert duplicate_versions_result(pl.DataFrame({"content_id": ["1", "1"], "version": [1, 2]})).passed
    bad = duplicate_versions_result(pl.DataFrame({"content_id": ["1", "1", "2"], "version": [2, 2, 1]}))
    assert not bad.passed and bad.severity == dg.AssetCheckSeverity.ERROR
    assert bad.metadata["duplicates"].value == ["1 v2 x2"]


def test_low_fidelity_warns_with_the_lowest_ten_first():
    assert FIDELITY_THRESHOLD == 0.95
    assert low_fidelity_result(articles(content_id=["1"], fidelity=[0.95])).passed
    ids = [str(i) for i in range(12)]
    bad = low_fidelity_result(articles(content_id=ids, fidelity=[0.5 + i / 100 for i in range(12)]))
    assert not bad.passed and bad.severity == dg.AssetCheckSeverity.WARN
    assert bad.metadata["count"].value == 12
    lowest = bad.metadata["lowest"].value
    assert [row["content_id"] for row in lowest] == ids[:10] and lowest[0] == {
        "content_id": "0", "title": "t", "fidelity": 0.5}


def test_unhandled_macros_warn_with_articles_per_macro():
    assert unhandled_macros_result(articles(content_id=["1"])).passed
    bad = unhandled_macros_result(articles(content_id=["1", "2", "3"],
                                           unhandled_macros=[["roadmap"], ["jira", "roadmap"], []]))
    assert not bad.passed and bad.severity == dg.AssetCheckSeverity.WARN
    assert bad.metadata["macros"].value == {"jira": 1, "roadmap": 2} and bad.metadata["articles"].value == 2


def test_synced_through_stops_at_the_first_missing_window():
    hour = timedelta(hours=1)
    windows = [Window(T0 + i * hour, T0 + (i + 1) * hour) for i in (0, 1, 3)]  # 14:00-15:00 missing
    assert synced_through(T0, windows) == T0 + 2 * hour
    assert synced_through(T0, []) == T0 and synced_through(None, windows) is None
    result = freshness_result(T0 + 2 * hour, {"ENG": T0 + 2 * hour, "HR": T0, "QA": None})
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["stale_spaces"].value == {"HR": T0.isoformat()}
    assert result.metadata["not_synced_yet"].value == ["QA"]
    assert freshness_result(T0, {"ENG": T0, "QA": None}).passed  # a space never synced is not stale


# Against the sandbox: the checks run inside the sync's own runs.

def km_yaml(tmp_path: Path, url: str) -> Path:
    return write_km_yaml(tmp_path, url, HOURLY_FROM_NOV_20)


def evaluations(instance: dg.DagsterInstance, run_id: str) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    """(asset, check) -> the run's evaluation of it."""
    events = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    found = [e.dagster_event.event_specific_data for e in events]
    return {(ev.asset_key.path[-1], ev.check_name): ev for ev in found}


def runs(summary: SyncSummary, kind: str) -> list[tuple[str, str]]:
    return [(partition, run_id) for job, partition, run_id, _ in summary.runs if job == kind]


@pytest.fixture
def sandbox(monkeypatch):
    with Sandbox(site=load_demo_site()) as running:
        monkeypatch.setenv("KM_TEST_TOKEN", running.options.api_token)
        yield running


def sync(config: KmConfig, instance: dg.DagsterInstance, now: datetime, spaces: list[str] | None = None):
    connection = config.connection("demo")
    if spaces is None:
        with client_for(connection, connection.secret()) as client:
            spaces = list_spaces(client, connection)
    # One space after another: what the freshness check sees depends on the order spaces are brought up to date.
    summary = sync_connection(config, connection, spaces, instance, now=now, log_level="WARNING", parallel=1)
    assert not summary.failed  # a failed check fails no run: checks report, they do not stop the sync
    return summary


@pytest.mark.slow
def test_sync_runs_the_checks_and_they_catch_bad_articles_and_stale_spaces(tmp_path, sandbox):
    site = sandbox.site
    config = load_config(km_yaml(tmp_path, sandbox.url))
    with dg.instance_for_test() as instance:
        first = sync(config, instance, T0)
        for space, run_id in runs(first, "initial"):
            found = evaluations(instance, run_id)
            assert set(found) == {*ARTICLE_CHECKS, ("raw_history", "versions_unique")}
            assert all(ev.passed and ev.partition == space for ev in found.values()), space

        edited = {"title": "65537", "macro": "65538", "fidelity": "65540"}
        assert {site.content[i].space for i in edited.values()} == {"ENG"}
        at = T0 + timedelta(minutes=10)
        site.edit(edited["title"], by="amoreau", title="", at=at)
        site.edit(edited["macro"], by="amoreau", body='<ac:structured-macro ac:name="roadmap"/>', at=at)
        site.edit(edited["fidelity"], by="amoreau", body=LOW_FIDELITY_BODY, at=at)
        second = sync(config, instance, T1)

        # Spaces are brought up to date one after another: the first window run finds the others
        # behind the 13:00 the schedule expects, the last finds every space there.
        windows = [evaluations(instance, run_id) for _, run_id in runs(second, "window")]
        assert len(windows) == 3 and all(w[("raw_content", "versions_unique")].passed for w in windows)
        first_fresh, last_fresh = windows[0][("raw_content", "fresh")], windows[-1][("raw_content", "fresh")]
        assert not first_fresh.passed and first_fresh.severity == dg.AssetCheckSeverity.WARN
        assert first_fresh.partition is None and first_fresh.metadata["expected_through"].value == T1.isoformat()
        later = {partition.split("|")[0] for partition, _ in runs(second, "window")[1:]}
        assert set(first_fresh.metadata["stale_spaces"].value) == later
        assert last_fresh.passed and last_fresh.metadata["stale_spaces"].value == {}

        reconciled = {space: evaluations(instance, run_id) for space, run_id in runs(second, "reconcile")}
        assert all(ev.passed for space, found in reconciled.items() if space != "ENG" for ev in found.values())
        eng = reconciled["ENG"]
        for asset in ("articles", "articles_current"):
            titles = eng[(asset, "titles_not_empty")]
            assert not titles.passed and titles.severity == dg.AssetCheckSeverity.ERROR
            assert titles.metadata["content_ids"].value == [edited["title"]]
        mapped_title = eng[("article_metadata", "article_title_present")]
        assert not mapped_title.passed and mapped_title.metadata["content_ids"].value == [edited["title"]]
        fidelity = eng[("articles", "fidelity_above_threshold")]
        assert not fidelity.passed and fidelity.severity == dg.AssetCheckSeverity.WARN
        assert [row["content_id"] for row in fidelity.metadata["lowest"].value] == [edited["fidelity"]]
        macros = eng[("articles", "no_unhandled_macros")]
        assert not macros.passed and macros.severity == dg.AssetCheckSeverity.WARN
        assert macros.metadata["macros"].value == {"roadmap": 1}


def run_check(config: KmConfig, instance: dg.DagsterInstance, asset: str, check: str,
              partition: str | dg.MultiPartitionKey) -> dg.AssetCheckEvaluation:
    """One check alone on what is stored, as "Execute check" in the UI runs it."""
    key = dg.AssetCheckKey(dg.AssetKey(["demo", asset]), check)
    job = dg.define_asset_job("check_only", selection=dg.AssetSelection.checks(key))
    defs = dg.Definitions.merge(build_definitions(config), dg.Definitions(jobs=[job]))
    # A job of checks alone takes no partitions definition from assets, so `partition_key=` is refused;
    # the partition tag (which every partitioned run carries) is what the check's step reads.
    result = defs.resolve_job_def("check_only").execute_in_process(
        instance=instance, tags={"dagster/partition": str(partition)})
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def repeat_first_row(path: Path) -> None:
    stored = pl.read_parquet(path)
    pl.concat([stored, stored.head(1)]).write_parquet(path)


@pytest.mark.slow
def test_a_repeated_id_and_version_in_a_stored_partition_fails_the_check(tmp_path, sandbox):
    config = load_config(km_yaml(tmp_path, sandbox.url))
    sandbox.site.edit("65537", by="amoreau", body="<p>Edited.</p>", at=T0 + timedelta(minutes=5))
    with dg.instance_for_test() as instance:
        sync(config, instance, T0, ["ENG"])
        sync(config, instance, T1, ["ENG"])  # one window, holding the edit
        window = dg.MultiPartitionKey({"space": "ENG", "window": "2026-11-26-12:00"})
        data = tmp_path / "data" / "demo"
        assert run_check(config, instance, "raw_history", "versions_unique", "ENG").passed
        assert run_check(config, instance, "raw_content", "versions_unique", window).passed

        repeat_first_row(data / "raw_history" / "space=ENG" / "data.parquet")
        repeat_first_row(data / "raw_content" / "space=ENG" / "window=2026-11-26-12:00" / "data.parquet")
        for asset, partition in (("raw_history", "ENG"), ("raw_content", window)):
            failed = run_check(config, instance, asset, "versions_unique", partition)
            assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
            assert failed.metadata["count"].value == 1 and failed.partition == str(partition)


def test_schemas_hold_what_the_checks_read():
    assert {"content_id", "title", "fidelity", "unhandled_macros"} <= set(ARTICLES.names())
    assert {"content_id", "version"} <= set(RAW_CONTENT.names())
