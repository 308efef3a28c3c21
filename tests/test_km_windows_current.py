"""Incremental windows and the current-state computation, on data built here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from km_assets.km.current import current_articles, latest_versions, tombstones
from km_assets.km.windows import Window, cql_bounds, rows_in_window, settled, window_for

T = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731


@pytest.mark.parametrize(("schedule", "start", "end"), [
    ("hourly", T(2026, 11, 25, 10), T(2026, 11, 25, 11)),
    ("daily", T(2026, 11, 25), T(2026, 11, 26)),
    ("weekly", T(2026, 11, 23), T(2026, 11, 30)),  # the Monday of that week
])
def test_window_for(schedule, start, end):
    assert window_for(T(2026, 11, 25, 10, 42, 7), schedule) == Window(start, end)


def test_unknown_schedule_and_naive_bounds_are_errors():
    with pytest.raises(ValueError, match="schedule must be one of"):
        window_for(T(2026, 1, 1), "monthly")
    with pytest.raises(ValueError, match="timezone-aware"):
        Window(datetime(2026, 1, 1), datetime(2026, 1, 2))


def test_a_window_is_fetched_only_after_it_settled():
    w = window_for(T(2026, 11, 25, 12), "daily")
    assert not settled(w, T(2026, 11, 26, 0, 10), timedelta(minutes=15))
    assert settled(w, T(2026, 11, 26, 0, 15), timedelta(minutes=15))


def test_cql_bounds_are_local_minutes_rounded_outwards_with_overlap():
    w = Window(T(2026, 11, 25, 10, 0, 0), T(2026, 11, 25, 11, 0, 45))
    assert cql_bounds(w, "UTC", timedelta(minutes=5)) == ("2026-11-25 09:55", "2026-11-25 11:01")
    # Berlin is UTC+1 in November.
    assert cql_bounds(Window(T(2026, 11, 25), T(2026, 11, 26)), "Europe/Berlin", timedelta(0)) == (
        "2026-11-25 01:00", "2026-11-26 01:00")


def test_rows_in_window_drop_what_the_overlap_brought():
    frame = pl.DataFrame({"content_id": ["1", "2", "3"],
                          "modified_at": [T(2026, 11, 24, 23, 58), T(2026, 11, 25, 8), T(2026, 11, 26)]})
    assert rows_in_window(frame, window_for(T(2026, 11, 25), "daily"))["content_id"].to_list() == ["2"]


def versions() -> pl.DataFrame:
    return pl.DataFrame({
        "content_id": ["1", "1", "1", "2", "3"],
        "version": [1, 2, 2, 5, 1],  # (1, 2) came twice through an overlap
        "title": ["A", "A2", "A2", "B", "C"],
        "space_key": ["ENG", "ENG", "ENG", "OPS", "OPS"],
        "parent_id": [None, None, None, "9", None],
        "labels": [[], ["x"], ["x"], [], []],
        "markdown": ["a1", "a2", "a2", "b5", "c1"],
    })


def snapshot() -> pl.DataFrame:
    # 1: relabelled and moved to OPS under 2; 2: edited since (version 6); 3: deleted.
    return pl.DataFrame({"content_id": ["1", "2"], "content_type": ["page", "page"], "version": [2, 6],
                         "title": ["A2", "B"], "space_key": ["OPS", "OPS"],
                         "space_name": ["Operations", "Operations"], "parent_id": ["2", "9"],
                         "labels": [["x", "y"], []]})


def test_latest_versions_collapse_repeats():
    latest = latest_versions(versions())
    assert latest.select("content_id", "version").rows() == [("1", 2), ("2", 5), ("3", 1)]


def test_current_takes_the_newest_body_and_the_live_metadata():
    current = current_articles(versions(), snapshot()).sort("content_id")
    assert current["content_id"].to_list() == ["1", "2"]
    first = current.row(0, named=True)
    assert (first["markdown"], first["space_key"], first["space_name"], first["parent_id"], first["labels"]) == (
        "a2", "OPS", "Operations", "2", ["x", "y"])
    assert current["stale"].to_list() == [False, True]


def test_tombstones_are_what_the_reconciliation_no_longer_lists():
    gone = tombstones(versions(), snapshot(), T(2026, 11, 26))
    assert gone["content_id"].to_list() == ["3"]
    assert gone["reason"].to_list() == ["not listed"]


def _synced_after_listing() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Item 4 was created (by a window) after the reconciliation listed; item 3 before it and is gone."""
    modified = [T(2026, 11, 1), T(2026, 11, 2), T(2026, 11, 2), T(2026, 11, 3), T(2026, 11, 4), T(2026, 11, 26, 9)]
    held = pl.concat([versions(), pl.DataFrame({
        "content_id": ["4"], "version": [1], "title": ["New"], "space_key": ["OPS"], "parent_id": ["2"],
        "labels": [["fresh"]], "markdown": ["d1"]})]).with_columns(pl.Series("modified_at", modified))
    listed = snapshot().with_columns(pl.lit(T(2026, 11, 26, 8)).dt.cast_time_unit("us").alias("listed_at"))
    return held, listed


def test_an_item_synced_after_the_listing_is_not_a_tombstone():
    held, listed = _synced_after_listing()
    assert tombstones(held, listed, T(2026, 11, 26, 10))["content_id"].to_list() == ["3"]
    # Without a listing time (a snapshot written before the column existed) only the listed items count.
    assert tombstones(held, snapshot(), T(2026, 11, 26, 10))["content_id"].to_list() == ["3", "4"]


def test_an_item_synced_after_the_listing_is_current_with_its_own_metadata():
    held, listed = _synced_after_listing()
    current = current_articles(held, listed).sort("content_id")
    assert current["content_id"].to_list() == ["1", "2", "4"]
    new = current.row(2, named=True)
    assert (new["title"], new["space_key"], new["parent_id"], new["labels"], new["stale"]) == (
        "New", "OPS", "2", ["fresh"], False)
    assert current.row(0, named=True)["space_key"] == "OPS"  # the listed ones still take the live metadata
