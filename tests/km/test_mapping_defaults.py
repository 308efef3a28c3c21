"""With no `mapping:` section, the demo site's articles get the seed's table, people resolved by the user API."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from km_assets.config import ConnectionSettings
from km_assets.config_mapping import MappingSettings
from km_assets.confluence import ConfluenceClient, list_space_content
from km_assets.confluence.people import resolve_people
from km_assets.km.mapping import explain, map_metadata
from km_assets.km.people import PEOPLE, people_ids
from km_assets.km.schemas import RAW_CONTENT, frame

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def test_defaults_reproduce_the_seed_table_on_the_demo_site(demo_sandbox):
    site = demo_sandbox.site
    connection = ConnectionSettings.model_validate({
        "name": "demo", "url": demo_sandbox.url, "deployment": "cloud",
        "auth": {"username": demo_sandbox.login, "api_token_env": "UNUSED"}})
    with ConfluenceClient.basic(demo_sandbox.url, *demo_sandbox.basic_auth) as client:
        items = frame([r for space in sorted(site.spaces) for r in list_space_content(client, connection, space)],
                      RAW_CONTENT)
        people = pl.DataFrame(resolve_people(client, people_ids(items), cloud=True, now=NOW), schema=PEOPLE)

    out = map_metadata(items, MappingSettings(), people=people, now=NOW)

    expected = {c.id: c for c in site.content.values() if c.status == "current"}
    assert sorted(out["content_id"]) == sorted(expected)
    for row in out.iter_rows(named=True):
        source = expected[row["content_id"]]
        assert row["Article Title"] == source.title
        assert row["Author"] == site.users[source.creator].display_name
        assert row["Last Updated"] == source.version.at
        assert row["Tags"] == source.labels
        assert row["Category"] == site.spaces[source.space].name
        assert row["archived"] is False
        assert {e["field"]: e["source"] for e in row["lineage"]} == {
            "Article Title": "title", "Author": "creator: people cache", "Last Updated": "last_modified_date",
            "Tags": "labels", "Category": "category: space name", "archived": None}
    text = explain(out, "65540")
    assert text.splitlines()[:3] == ["content 65540 (version 2, space ENG)", "  Article Title: Coding Standards",
                                     "      from title; by default table: Article Title <- title"]
