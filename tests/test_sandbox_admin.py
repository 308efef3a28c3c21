"""Changing the site while it runs, through the admin HTTP API, and seeing it through Confluence's API."""

from __future__ import annotations

import time

import httpx
import pytest

from km_assets.sandbox import Sandbox, load_demo_site


@pytest.fixture
def sandbox():
    with Sandbox(site=load_demo_site()) as sb:
        yield sb


def admin(sb: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sb.root_url + "/__sandbox__",
                        headers={"X-Sandbox-Admin-Token": sb.options.api_token})


def api(sb: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sb.url, auth=sb.basic_auth)


def search_ids(sb: Sandbox, cql: str) -> list[str]:
    with api(sb) as client:
        return [r["id"] for r in client.get("/rest/api/content/search", params={"cql": cql, "limit": 200})
                .json()["results"]]


def test_admin_requires_its_token(sandbox):
    response = httpx.get(sandbox.root_url + "/__sandbox__/counters")
    assert response.status_code == 401


def test_create_edit_label_and_purge(sandbox):
    with admin(sandbox) as a, api(sandbox) as c:
        created = a.post("/content", json={"space": "OPS", "title": "Night shift notes", "parent": "65601",
                                            "body": "<p>first</p>", "labels": ["shift"]})
        assert created.status_code == 201
        cid = created.json()["id"]
        assert cid in search_ids(sandbox, 'space = OPS and label = "shift"')
        edited = a.put(f"/content/{cid}", json={"body": "<p>second</p>", "by": "cokafor"}).json()
        assert edited["version"] == 2
        page = c.get(f"/rest/api/content/{cid}", params={"expand": "body.storage,version,ancestors"}).json()
        assert page["body"]["storage"]["value"] == "<p>second</p>"
        assert page["version"]["number"] == 2 and page["ancestors"][-1]["id"] == "65601"
        # Labels change without a new version, as in Confluence.
        assert a.put(f"/content/{cid}/labels", json={"labels": ["night"]}).json()["version"] == 2
        assert cid in search_ids(sandbox, "label = night")
        assert a.delete(f"/content/{cid}").status_code == 200
        assert c.get(f"/rest/api/content/{cid}").status_code == 404


def test_move_carries_the_subtree_to_another_space(sandbox):
    site = sandbox.site
    parent = next(c for c in site.content.values() if c.space == "OPS" and site.children_of(c.id)
                  and c.parent is not None)
    subtree = {parent.id} | {d.id for d in site.descendants(parent.id)}
    with admin(sandbox) as a:
        assert a.post(f"/content/{parent.id}/move", json={"space": "ENG"}).status_code == 200
    assert subtree <= set(search_ids(sandbox, "space = ENG"))
    assert not subtree & set(search_ids(sandbox, "space = OPS"))


def test_restricting_a_subtree_hides_it_from_the_sync_user(sandbox):
    site = sandbox.site
    root = "65601"
    hidden = {root} | {d.id for d in site.descendants(root)}
    with admin(sandbox) as a:
        assert a.put(f"/content/{root}/restrictions", json={"users": ["cokafor"]}).status_code == 200
    assert not hidden & set(search_ids(sandbox, "space = OPS"))


def test_trash_and_restore(sandbox):
    with admin(sandbox) as a:
        a.post("/content/65602/status", json={"status": "trashed"})
        assert "65602" not in search_ids(sandbox, "space = OPS")
        a.post("/content/65602/status", json={"status": "current"})
        assert "65602" in search_ids(sandbox, "space = OPS")


def test_revoking_space_permission_and_group_membership(sandbox):
    with admin(sandbox) as a:
        a.request("DELETE", "/spaces/HR/permissions", json={"subject_type": "group", "subject": "confluence-users",
                                                 "operation": "read"})
        assert search_ids(sandbox, "space = HR") == []
        a.post("/groups/people-team/members", json={"username": "sync-bot"})
        a.post("/spaces/HR/permissions", json={"subject_type": "group", "subject": "people-team",
                                               "operation": "read"})
        assert len(search_ids(sandbox, "space = HR")) == 3


def test_new_space_appears(sandbox):
    with admin(sandbox) as a, api(sandbox) as c:
        a.post("/spaces", json={"key": "QA", "name": "Quality", "grants": [
            {"subject_type": "group", "subject": "confluence-users", "operation": "read"}]})
        a.post("/content", json={"space": "QA", "title": "QA Home"})
        keys = [s["key"] for s in c.get("/rest/api/space").json()["results"]]
    assert "QA" in keys
    assert len(search_ids(sandbox, "space = QA")) == 1


def test_search_index_lags_writes(sandbox):
    with admin(sandbox) as a:
        a.put("/settings", json={"index_lag": 0.5})
        cid = a.post("/content", json={"space": "ENG", "title": "Fresh page"}).json()["id"]
        a.put("/content/65537", json={"title": "Engineering Home (renamed)"})
    assert cid not in search_ids(sandbox, "space = ENG")
    assert "Engineering Home (renamed)" not in _titles(sandbox)
    # Fetching by id is not affected by the index.
    with api(sandbox) as c:
        assert c.get(f"/rest/api/content/{cid}").status_code == 200
    deadline = time.monotonic() + 5
    while cid not in search_ids(sandbox, "space = ENG"):
        assert time.monotonic() < deadline, "the index never caught up"
        time.sleep(0.05)
    assert "Engineering Home (renamed)" in _titles(sandbox)


def _titles(sb: Sandbox) -> list[str]:
    with api(sb) as client:
        return [r["title"] for r in client.get("/rest/api/content/search", params={
            "cql": "space = ENG", "limit": 200}).json()["results"]]


def test_python_api_is_the_same_change(sandbox):
    sandbox.site.edit("65537", by="amoreau", body="<p>changed in Python</p>")
    with api(sandbox) as c:
        body = c.get("/rest/api/content/65537", params={"expand": "body.storage,version"}).json()
    assert body["body"]["storage"]["value"] == "<p>changed in Python</p>"
    assert body["version"]["number"] == 4


def test_counters_over_http(sandbox):
    with api(sandbox) as c, admin(sandbox) as a:
        c.get("/rest/api/space")
        c.get("/rest/api/nothing")
        snapshot = a.get("/counters").json()
    assert snapshot["/rest/api/space"] == {"200": 1}
    assert snapshot["/wiki/rest/api/nothing"] == {"404": 1}


def test_listings_see_each_admin_change_on_the_next_request(sandbox):
    """Listings keep their filtered, sorted results between requests (pages of one walk): every admin
    change must show in the very next listing, in v1 search, v1 content and v2 pages alike."""
    cql = 'space = "ENG" and type in (page, blogpost) order by lastmodified asc'
    expand = "body.storage,version,ancestors,metadata.labels,restrictions.read.restrictions.user"

    def listings(c: httpx.Client) -> dict[str, dict]:
        search = c.get("/rest/api/content/search", params={"cql": cql, "limit": 200, "expand": expand}).json()
        content = c.get("/rest/api/content", params={"spaceKey": "ENG", "limit": 200, "expand": expand}).json()
        v2 = c.get("/api/v2/pages", params={"limit": 250, "body-format": "storage"}).json()
        return {"search": {r["id"]: r for r in search["results"]},
                "content": {r["id"]: r for r in content["results"]},
                "v2": {r["id"]: r for r in v2["results"]}}

    with admin(sandbox) as a, api(sandbox) as c:
        before = listings(c)  # fills whatever the sandbox keeps between requests
        page = next(i for i in before["content"] if i != "65537" and sandbox.site.content[i].parent == "65537")
        a.put(f"/content/{page}", json={"body": "<p>fresh words</p>", "title": "Renamed page"})
        after = listings(c)
        assert after["search"][page]["body"]["storage"]["value"] == "<p>fresh words</p>"
        assert after["search"][page]["version"]["number"] == before["search"][page]["version"]["number"] + 1
        assert list(after["search"])[-1] == page  # the newest change sorts last
        assert after["content"][page]["title"] == after["v2"][page]["title"] == "Renamed page"

        a.put(f"/content/{page}/labels", json={"labels": ["just-relabelled"]})
        labels = c.get("/rest/api/content/search", params={"cql": "label = just-relabelled"}).json()["results"]
        assert [r["id"] for r in labels] == [page]

        a.put(f"/content/{page}/restrictions", json={"operation": "read", "users": ["amoreau"]})
        hidden = listings(c)
        assert all(page not in hidden[k] for k in hidden)
        a.put(f"/content/{page}/restrictions", json={"operation": "read", "users": []})
        a.post(f"/content/{page}/status", json={"status": "trashed"})
        assert all(page not in listing for listing in listings(c).values())
        a.post(f"/content/{page}/status", json={"status": "current"})
        a.post(f"/content/{page}/move", json={"space": "OPS"})
        moved = listings(c)
        assert page not in moved["search"] and page not in moved["content"]
        assert moved["v2"][page]["spaceId"] == str(sandbox.site.spaces["OPS"].id)
        created = a.post("/content", json={"space": "ENG", "title": "Brand new", "parent": "65537"}).json()["id"]
        assert all(created in listing for listing in listings(c).values())
