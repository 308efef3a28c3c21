"""The sandbox as a client sees it, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from km_assets.sandbox import Sandbox


def http(sandbox: Sandbox, **kwargs) -> httpx.Client:
    return httpx.Client(base_url=sandbox.url, auth=sandbox.basic_auth,
                        **kwargs)


def test_binds_loopback_only(demo_sandbox):
    assert demo_sandbox.root_url.startswith("http://127.0.0.1:")


def test_search_pages_through_every_item_with_next_links(demo_sandbox):
    site = demo_sandbox.site
    expected = {c.id for c in site.content.values() if c.space == "ENG" and c.status == "current"}
    seen: list[str] = []
    with http(demo_sandbox) as client:
        body = client.get("/rest/api/content/search", params={"cql": 'space = "ENG"', "limit": 2}).json()
        assert body["totalSize"] == len(expected)
        while True:
            seen += [r["id"] for r in body["results"]]
            if "next" not in body["_links"]:
                break
            body = client.get(body["_links"]["base"] + body["_links"]["next"]).json()
    assert sorted(seen) == sorted(expected)


def test_expansions_bring_body_version_labels_and_ancestors(demo_sandbox):
    leaf = next(c for c in demo_sandbox.site.content.values() if c.parent and c.labels)
    with http(demo_sandbox) as client:
        item = client.get(f"/rest/api/content/{leaf.id}", params={
            "expand": "body.storage,version,ancestors,metadata.labels,space,history"}).json()
    assert item["body"]["storage"]["value"] == leaf.body
    assert item["version"]["number"] == leaf.version.number
    assert [a["id"] for a in item["ancestors"]][-1] == leaf.parent
    assert [label["name"] for label in item["metadata"]["labels"]["results"]] == leaf.labels
    assert item["space"]["key"] == leaf.space


@pytest.mark.parametrize(("auth_header", "status"), [
    (None, 401),
    ("Basic d3Jvbmc6d3Jvbmc=", 401),
    ("Bearer some-api-token", 403),
])
def test_wrong_auth_is_refused_like_cloud(demo_sandbox, auth_header, status):
    headers = {"Authorization": auth_header} if auth_header else {}
    response = httpx.get(demo_sandbox.url + "/rest/api/space", headers=headers)
    assert response.status_code == status
    if status == 403:
        assert response.json()["message"] == "Failed to parse Connect Session Auth Token"


def test_unknown_path_and_bad_cql(demo_sandbox):
    with http(demo_sandbox) as client:
        missing = client.get("/rest/api/nothing-here")
        assert missing.status_code == 404 and missing.json()["statusCode"] == 404
        bad = client.get("/rest/api/content/search", params={"cql": "space = ENG and and"})
        assert bad.status_code == 400 and "Could not parse cql" in bad.json()["message"]


def test_counters_record_requests_by_route(fresh_sandbox):
    with http(fresh_sandbox) as client:
        client.get("/rest/api/space")
        client.get("/rest/api/space")
    assert fresh_sandbox.counters.total("/rest/api/space") == 2


def test_comments_of_a_page(demo_sandbox):
    page = next(c for c in demo_sandbox.site.content.values() if demo_sandbox.site.comments_of(c.id))
    with http(demo_sandbox) as client:
        body = client.get(f"/rest/api/content/{page.id}/child/comment", params={"expand": "body.storage"}).json()
    expected = demo_sandbox.site.comments_of(page.id)
    assert [r["id"] for r in body["results"]] == [c.id for c in expected]
    assert body["results"][0]["body"]["storage"]["value"] == expected[0].body
