"""Front matter of the live articles: rebuilt from the mapped metadata, readable by any YAML reader."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
import yaml

from km_assets.km.articles import front_matter
from km_assets.km.front_matter import render_front_matter, split_front_matter, with_front_matter

HOSTILE_TITLES = ["Plain", "Colon: in the title", "- leading dash", "'quotes' and \"doubles\"", "# hash",
                  "multi\nline", "tab\there", "emoji \U0001F680 and ünïcödé", "---", "null", "yes", "12:30",
                  "\u2028 line separator", "next\x85line", "del\x7f", "\ufeffbom", "{braces} [brackets]", "back\\slash"]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_rendered_front_matter_reads_back_unchanged_with_yaml(title):
    fields = {"Article Title": title, "Tags": [title, "b"], "Last Updated": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
              "archived": False, "Author": None, "version": 3}
    front, body = split_front_matter(render_front_matter(fields) + "# Body\n")
    assert body == "# Body\n"
    assert yaml.safe_load(front) == {**fields, "Last Updated": "2026-01-02T03:04:00+00:00"}


def test_split_reads_the_front_matter_articles_write():
    row = {"title": "A: b", "created_by_name": "Ana", "modified_at": datetime(2026, 1, 1, tzinfo=UTC),
           "labels": ["x"], "space_name": "Eng", "content_id": "1", "version": 2, "url": "u"}
    front, body = split_front_matter(front_matter(row) + "Text\n---\nnot front matter\n")
    assert yaml.safe_load(front)["title"] == "A: b"
    assert body == "Text\n---\nnot front matter\n"
    assert split_front_matter("no front matter\n---\n") == (None, "no front matter\n---\n")


def test_live_front_matter_follows_a_relabel_and_a_move_that_made_no_version():
    synced = {"title": "Old", "created_by_name": "Ana", "modified_at": datetime(2026, 1, 1, tzinfo=UTC),
              "labels": ["old-tag"], "space_name": "Operations", "content_id": "7", "version": 4, "url": "u"}
    current = pl.DataFrame({"content_id": ["7", "8"], "version": [4, 1],
                            "markdown": [front_matter(synced) + "Body seven\n", "no metadata row\n"]})
    metadata = pl.DataFrame({"content_id": ["7"], "Article Title": ["New"], "Tags": [["new-tag"]],
                             "Category": ["Engineering"], "archived": [False], "lineage": [["ignored"]]})
    out = with_front_matter(current, metadata, ["Article Title", "Tags", "Category", "Missing"],
                            "https://x.example/wiki")
    front, body = split_front_matter(out["markdown"][0])
    assert yaml.safe_load(front) == {"Article Title": "New", "Tags": ["new-tag"], "Category": "Engineering",
                                     "archived": False, "confluence_id": "7", "confluence_version": 4,
                                     "source_url": "https://x.example/wiki/pages/viewpage.action?pageId=7"}
    assert body == "Body seven\n"
    assert out["markdown"][1] == "no metadata row\n"


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_article_front_matter_reads_as_the_yaml_emitter_wrote_it(title):
    """`articles` writes JSON scalars (no YAML emitter); a YAML reader gets the row's values back exactly.

    yaml.safe_dump wrote the same values, except that it folded U+0085 (NEL) into a space."""
    row = {"title": title, "created_by_name": title, "modified_at": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
           "labels": [title, "b"], "space_name": None, "space_key": "ENG", "content_id": "12",
           "version": 3, "url": None}
    front, body = split_front_matter(front_matter(row) + "# Body\n")
    assert body == "# Body\n"
    expected = {"title": title, "author": title, "last_updated": "2026-01-02T03:04:00+00:00",
                "tags": [title, "b"], "category": "ENG", "confluence_id": "12", "confluence_version": 3,
                "source_url": None}
    assert yaml.safe_load(front) == expected
    if "\x85" not in title:
        assert yaml.safe_load(yaml.safe_dump(expected, sort_keys=False, allow_unicode=True)) == expected
    assert front.startswith("title: ")  # keys stay plain words
