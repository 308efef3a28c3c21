"""Connection filters become CQL that the sandbox (written apart) answers; archived content is listed apart."""

from __future__ import annotations

from datetime import date

import pytest

from km_assets.config import ConnectionSettings
from km_assets.confluence import client_for, list_space_content
from km_assets.confluence.cql import ContentFilter, content_cql
from km_assets.confluence.deployment import Deployment
from km_assets.confluence.listing import matches
from km_assets.sandbox import Sandbox, load_demo_site


@pytest.fixture(scope="module")
def sandbox():
    site = load_demo_site()
    site.set_status("65604", "archived")  # an OPS page, archived
    with Sandbox(site=site) as sb:
        yield sb


def listed(sandbox: Sandbox, space: str, **filters) -> list[dict]:
    conn = ConnectionSettings.model_validate({
        "name": "t", "url": sandbox.url, "deployment": "cloud",
        "auth": {"username": sandbox.login, "api_token_env": "X"}, **filters})
    with client_for(conn, sandbox.options.api_token, deployment=Deployment("cloud", sandbox.url)) as c:
        return list(list_space_content(c, conn, space))


def expected(sandbox: Sandbox, space: str, keep) -> set[str]:
    site = sandbox.site
    return {c.id for c in site.content.values() if c.space == space and c.status == "current" and keep(c)}


def test_cql_text_is_what_a_person_would_write():
    cql = content_cql("ENG", ContentFilter(labels_include=("runbook",), labels_exclude=("draft",),
                                           trees_include=("42",), modified_after=date(2026, 1, 1)))
    assert cql == ('space = "ENG" and type in (page, blogpost) and label in ("runbook") and label not in '
                   '("draft") and (type != page or ancestor in (42) or id in (42)) and lastmodified >= '
                   '"2026-01-01" order by lastmodified asc')


def test_labels_include_and_exclude(sandbox):
    ids = {r["content_id"] for r in listed(sandbox, "ENG", labels={"include": ["onboarding", "architecture"],
                                                                  "exclude": ["how-to"]})}
    assert ids == expected(sandbox, "ENG", lambda c: bool({"onboarding", "architecture"} & set(c.labels))
                           and "how-to" not in c.labels)
    assert ids


def test_page_tree_include_keeps_blog_posts_and_exclude_drops_a_subtree(sandbox):
    site = sandbox.site
    root = "65538"  # ENG Onboarding
    subtree = {root} | {d.id for d in site.descendants(root)}
    inside = {r["content_id"] for r in listed(sandbox, "ENG", page_trees={"include": [root]})}
    blogs = expected(sandbox, "ENG", lambda c: c.type == "blogpost")
    assert inside == subtree | blogs
    outside = {r["content_id"] for r in listed(sandbox, "ENG", page_trees={"exclude": [root]})}
    assert outside == expected(sandbox, "ENG", lambda c: c.id not in subtree)


def test_content_types_and_dates(sandbox):
    posts = listed(sandbox, "ENG", content_types=["blogpost"])
    assert {r["content_type"] for r in posts} == {"blogpost"}
    recent = listed(sandbox, "OPS", modified_after="2026-02-01")
    assert {r["content_id"] for r in recent} == expected(
        sandbox, "OPS", lambda c: c.modified.date() >= date(2026, 2, 1))


def test_archived_only_when_asked_and_filtered_client_side(sandbox):
    assert "65604" not in {r["content_id"] for r in listed(sandbox, "OPS")}
    with_archived = listed(sandbox, "OPS", statuses=["current", "archived"])
    archived = [r for r in with_archived if r["status"] == "archived"]
    assert [r["content_id"] for r in archived] == ["65604"]
    excluded = listed(sandbox, "OPS", statuses=["current", "archived"],
                      labels={"exclude": sandbox.site.content["65604"].labels[:1]})
    assert "65604" not in {r["content_id"] for r in excluded}


def test_client_side_matcher_agrees_with_cql(sandbox):
    flt = ContentFilter(labels_exclude=("runbook",), modified_after=date(2025, 12, 1))
    rows = listed(sandbox, "OPS")
    via_cql = {r["content_id"] for r in listed(sandbox, "OPS", labels={"exclude": ["runbook"]},
                                              modified_after="2025-12-01")}
    assert {r["content_id"] for r in rows if matches(r, flt)} == via_cql


def test_snapshot_lists_live_items_without_bodies(sandbox):
    from km_assets.confluence.listing import list_space_snapshot

    conn = ConnectionSettings.model_validate({
        "name": "t", "url": sandbox.url, "deployment": "cloud",
        "auth": {"username": sandbox.login, "api_token_env": "X"}})
    before = sandbox.counters.total()
    with client_for(conn, sandbox.options.api_token, deployment=Deployment("cloud", sandbox.url)) as c:
        rows = list(list_space_snapshot(c, conn, "ENG"))
    site = sandbox.site
    assert {r["content_id"]: (r["version"], r["title"], r["parent_id"], r["labels"]) for r in rows} == {
        c.id: (c.version.number, c.title, c.parent, c.labels) for c in site.content.values()
        if c.space == "ENG" and c.status == "current"}
    assert sandbox.counters.total() - before == 1  # one page of 250 holds the whole space


def test_a_declared_cloud_site_is_listed_with_cloud_page_sizes():
    """km.yaml's `deployment: cloud` (no detection) must not fall back to Data Center's smaller pages."""
    import math

    from km_assets.confluence.listing import list_space_snapshot
    from km_assets.sandbox import Sandbox
    from km_assets.sandbox.synthetic import synthetic_site

    with Sandbox(site=synthetic_site(1, 450, seed=3)) as sb:
        conn = ConnectionSettings.model_validate({
            "name": "t", "url": sb.url, "deployment": "cloud",
            "auth": {"username": sb.login, "api_token_env": "X"}})
        before = sb.counters.total("/rest/api/content/search")
        with client_for(conn, sb.options.api_token) as c:
            assert c.deployment is None and c.kind == "cloud"
            rows = list(list_space_snapshot(c, conn, "S000"))
        made = sb.counters.total("/rest/api/content/search") - before
    assert 400 < len(rows) <= 500  # where pages of 250 and of 200 differ
    assert made == math.ceil(len(rows) / 250)
