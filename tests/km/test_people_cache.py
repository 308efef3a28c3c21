"""People: ids resolved through the user endpoints of both flavors, cached between runs, unresolved kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import polars as pl
import pytest

from km_assets.config_mapping import MappingSettings
from km_assets.confluence import ConfluenceClient
from km_assets.confluence.people import resolve_people
from km_assets.km.mapping import map_metadata
from km_assets.km.people import (
    PEOPLE,
    ids_to_resolve,
    merge_people,
    people_path,
    read_people,
    unresolved_ids,
    write_people,
)
from km_assets.km.schemas import RAW_CONTENT, frame

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def people(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=PEOPLE)


def test_cloud_account_ids_resolve_in_one_bulk_request_and_unknown_ids_are_kept(fresh_sandbox):
    users = list(fresh_sandbox.site.users.values())
    ids = [u.account_id for u in users] + ["000000:no-such-account"]
    with ConfluenceClient.basic(fresh_sandbox.url, *fresh_sandbox.basic_auth) as client:
        rows = resolve_people(client, ids, cloud=True, now=NOW)
        assert client.requests_made == 1
        assert client.events.count("skipped") == 1
    by_id = {r["person_id"]: r for r in rows}
    assert [r["person_id"] for r in rows] == ids
    for user in users:
        assert (by_id[user.account_id]["display_name"], by_id[user.account_id]["email"]) == (
            user.display_name, user.email)
    assert by_id["000000:no-such-account"]["resolved"] is False
    assert by_id["000000:no-such-account"]["display_name"] is None


@pytest.mark.parametrize("fresh_sandbox", ["datacenter"], indirect=True)
def test_datacenter_user_keys_and_names_resolve_one_by_one(fresh_sandbox):
    alice, bo = fresh_sandbox.site.users["amoreau"], fresh_sandbox.site.users["bchen"]
    with ConfluenceClient.basic(fresh_sandbox.url, *fresh_sandbox.basic_auth) as client:
        rows = resolve_people(client, [alice.user_key, "bchen", "ghost"], cloud=False, now=NOW)
    assert [(r["person_id"], r["display_name"], r["resolved"], r["kind"]) for r in rows] == [
        (alice.user_key, "Alice Moreau", True, "datacenter"), ("bchen", bo.display_name, True, "datacenter"),
        ("ghost", None, False, "datacenter")]


def test_cloud_without_v2_falls_back_to_the_v1_user_lookup():
    """A site (or proxy) that does not serve /api/v2 still resolves people, one v1 request each."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, request.url.params.get("accountId")))
        if request.url.path.endswith("/api/v2/users-bulk"):
            return httpx.Response(404, json={"message": "No message available"})
        if request.url.params.get("accountId") == "a1":
            return httpx.Response(200, json={"accountId": "a1", "displayName": "Ann", "email": ""})
        return httpx.Response(404, json={"message": "No user found"})

    client = ConfluenceClient.basic("https://acme.atlassian.net/wiki", "me@acme.example", "t0k",
                                    transport=httpx.MockTransport(handler))
    rows = resolve_people(client, ["a1", "a2"], cloud=True, now=NOW)
    assert [(r["person_id"], r["display_name"], r["email"], r["resolved"]) for r in rows] == [
        ("a1", "Ann", None, True), ("a2", None, None, False)]
    assert seen[0][:2] == ("POST", "/wiki/api/v2/users-bulk")
    assert sorted(s[2] for s in seen[1:]) == ["a1", "a2"]


def test_the_cache_keeps_names_and_retries_unresolved_ids_after_a_week(tmp_path):
    old = people([
        {"person_id": "a", "display_name": "Ann", "email": "ann@x", "kind": "cloud", "resolved": True,
         "checked_at": NOW - timedelta(days=100)},
        {"person_id": "b", "display_name": None, "email": None, "kind": "cloud", "resolved": False,
         "checked_at": NOW - timedelta(days=1)},
        {"person_id": "c", "display_name": None, "email": None, "kind": "cloud", "resolved": False,
         "checked_at": NOW - timedelta(days=8)},
    ])
    ids = pl.Series(["a", "b", "c", "d"])
    assert ids_to_resolve(ids, old, NOW) == ["c", "d"]
    # A deactivated account stops resolving: its name stays; a newly resolved id replaces an unresolved one.
    new = people([
        {"person_id": "a", "display_name": None, "email": None, "kind": "cloud", "resolved": False, "checked_at": NOW},
        {"person_id": "c", "display_name": "Cy", "email": None, "kind": "cloud", "resolved": True, "checked_at": NOW},
        {"person_id": "d", "display_name": None, "email": None, "kind": "cloud", "resolved": False, "checked_at": NOW},
    ])
    merged = merge_people(old, new)
    assert merged.select("person_id", "display_name", "resolved").rows() == [
        ("a", "Ann", True), ("b", None, False), ("c", "Cy", True), ("d", None, False)]
    assert unresolved_ids(ids, merged) == ["b", "d"]
    path = write_people(merged, str(tmp_path), "demo")
    assert path == people_path(str(tmp_path), "demo") and str(path).endswith("demo/people/people.parquet")
    assert read_people(str(tmp_path), "demo").equals(merged)
    assert read_people(str(tmp_path), "other").is_empty()


def test_mapping_prefers_the_cache_then_the_listing_and_keeps_unresolved_ids():
    base = {"content_type": "page", "status": "current", "space_key": "ENG", "space_name": "Engineering",
            "version": 1, "labels": [], "ancestor_ids": [], "modified_at": NOW}
    items = frame([
        {**base, "content_id": "1", "title": "A", "created_by": "a", "created_by_name": "Listed A"},
        {**base, "content_id": "2", "title": "B", "created_by": "b", "created_by_name": "Listed B"},
        {**base, "content_id": "3", "title": "C", "created_by": "z", "created_by_name": None},
    ], RAW_CONTENT)
    cache = people([{"person_id": "a", "display_name": "Ann", "email": "ann@x", "kind": "cloud", "resolved": True,
                     "checked_at": NOW}])
    mapping = MappingSettings.model_validate({"fields": [{"name": "Mail", "source": "creator_email"}]})
    out = map_metadata(items, mapping, people=cache, now=NOW)
    assert out.select("Author", "Mail").rows() == [("Ann", "ann@x"), ("Listed B", None), ("z", None)]
    sources = [next(e["source"] for e in lineage if e["field"] == "Author") for lineage in out["lineage"]]
    assert sources == ["creator: people cache", "creator: content listing", "creator: unresolved id"]
