"""Issue 6's acceptance: after edits, moves, relabels, deletions, new spaces and restriction changes,
the next windows plus a reconciliation leave articles_current equal to the sandbox's current content."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import yaml
from conftest import HOURLY_FROM_NOV_20, write_km_yaml

from km_assets.config import load_config
from km_assets.confluence import client_for, list_spaces
from km_assets.defs.run import sync_connection
from km_assets.km.front_matter import split_front_matter
from km_assets.sandbox import Sandbox, load_demo_site
from km_assets.sandbox.site import SpaceGrant

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the first sync
T1 = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)  # the next hourly window [12:00, 13:00) has settled


def at(minute: int) -> datetime:
    return datetime(2026, 11, 26, 12, minute, tzinfo=UTC)


def km_yaml(tmp_path: Path, url: str) -> Path:
    return write_km_yaml(tmp_path, url, HOURLY_FROM_NOV_20)


def expected_state(sandbox: Sandbox) -> dict[str, tuple]:
    site = sandbox.site
    bot = site.users["sync-bot"]
    return {c.id: (c.version.number, c.title, sorted(c.labels), c.space, c.parent)
            for c in site.content.values() if c.status == "current" and site.can_view(bot, c)}


def synced_state(root: Path) -> dict[str, tuple]:
    current = pl.read_parquet(root / "demo/articles_current/**/*.parquet", hive_partitioning=True)
    assert current["content_id"].n_unique() == current.height, "an article appears twice"
    return {r["content_id"]: (r["version"], r["title"], sorted(r["labels"]), r["space_key"], r["parent_id"])
            for r in current.iter_rows(named=True)}


def front_matters(root: Path) -> dict[str, dict]:
    current = pl.read_parquet(root / "demo/articles_current/**/*.parquet", hive_partitioning=True)
    out = {}
    for content_id, markdown in current.select("content_id", "markdown").iter_rows():
        front, _ = split_front_matter(markdown)
        out[content_id] = yaml.safe_load(front)
    return out


@pytest.mark.slow
def test_next_windows_and_a_reconciliation_follow_every_kind_of_change(tmp_path, monkeypatch):
    site = load_demo_site()
    with Sandbox(site=site) as sandbox, dg.instance_for_test() as instance:
        monkeypatch.setenv("KM_TEST_TOKEN", sandbox.options.api_token)
        config = load_config(km_yaml(tmp_path, sandbox.url))
        connection = config.connection("demo")

        def spaces() -> list[str]:
            with client_for(connection, connection.secret()) as client:
                return list_spaces(client, connection)

        first = sync_connection(config, connection, spaces(), instance, now=T0, log_level="WARNING")
        assert not first.failed and {r[0] for r in first.runs} == {"initial"}
        assert synced_state(tmp_path / "data") == expected_state(sandbox)

        # Changes during the hour after the first sync.
        site.edit("65537", by="amoreau", title="Engineering Home (2026)", body="<p>New home.</p>", at=at(10))
        fresh = site.create(space="OPS", title="Night Shift Handover", parent="65601", by="cokafor", at=at(20))
        site.set_labels("65538", ["onboarding", "new-hire"])          # relabel: no new version
        moved = next(c for c in site.content.values() if c.space == "OPS" and site.children_of(c.id)
                     and c.parent is not None)
        site.move(moved.id, space="ENG", parent="65537")               # a subtree moves to ENG
        purged = next(c for c in site.content.values() if c.space == "HR" and not site.children_of(c.id)
                      and not c.read_groups)
        site.purge(purged.id)
        subtree = {moved.id, *(d.id for d in site.descendants(moved.id))}
        trashed = next(c for c in site.content.values() if c.space == "OPS" and c.id not in subtree
                       and c.parent is not None and not site.children_of(c.id))
        site.set_status(trashed.id, "trashed")
        site.restrict("65539", users=["amoreau"])                       # the sync user loses it
        site.add_space("QA", "Quality", grants=[SpaceGrant("group", "confluence-users", "read")])
        site.create(space="QA", title="QA Home", by="amoreau", at=at(30))

        second = sync_connection(config, connection, spaces(), instance, now=T1, log_level="WARNING")
        assert not second.failed
        kinds = [(r[0], r[1]) for r in second.runs]
        assert ("initial", "QA") in kinds                                # a new space gets its first sync
        assert sum(1 for k, _ in kinds if k == "window") == 3             # one window per older space
        assert synced_state(tmp_path / "data") == expected_state(sandbox)
        assert fresh.id in synced_state(tmp_path / "data")
        tombstones = pl.read_parquet(tmp_path / "data/demo/tombstones/**/*.parquet", hive_partitioning=True)
        assert {purged.id, trashed.id, "65539"} <= set(tombstones["content_id"])
        # The front matter follows the relabel and the move, which made no new version.
        front = front_matters(tmp_path / "data")
        assert sorted(front["65538"]["Tags"]) == ["new-hire", "onboarding"]
        assert front[moved.id]["Category"] == site.spaces["ENG"].name
        assert front["65537"]["Article Title"] == "Engineering Home (2026)"

        # A third run with nothing new fetches no window again and changes nothing.
        third = sync_connection(config, connection, spaces(), instance, now=T1, log_level="WARNING")
        assert [k for k, _, _, _ in third.runs].count("window") == 0
        assert synced_state(tmp_path / "data") == expected_state(sandbox)
