"""Cloud and Data Center as clients meet them: base paths, auth schemes, downloads, DC permissions."""

from __future__ import annotations

import httpx
import pytest

from km_assets.sandbox import Sandbox, SandboxOptions, load_demo_site
from km_assets.sandbox.site import SpaceGrant


@pytest.fixture(scope="module")
def dc():
    with Sandbox(options=SandboxOptions(flavor="datacenter", dc_version="9.2.0",
                                        admin_users=("amoreau",))) as sb:
        yield sb


@pytest.fixture(scope="module")
def cloud():
    with Sandbox(options=SandboxOptions(flavor="cloud")) as sb:
        yield sb


def test_datacenter_has_no_wiki_prefix_and_takes_pat_or_password(dc):
    assert dc.url == dc.root_url
    assert httpx.get(dc.url + "/rest/api/space", auth=dc.basic_auth).status_code == 200
    bearer = {"Authorization": f"Bearer {dc.options.pat}"}
    me = httpx.get(dc.url + "/rest/api/user/current", headers=bearer).json()
    assert me["username"] == "sync-bot" and "userKey" in me
    assert httpx.get(dc.url + "/wiki/rest/api/space", auth=dc.basic_auth).status_code == 404
    assert httpx.get(dc.url + "/rest/api/space", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(dc.url + "/rest/api/space", auth=("sync-bot", "wrong")).status_code == 401


def test_datacenter_with_anonymous_access_serves_an_invalid_pat_as_anonymous():
    """CONFSERVER-98199: a 200 is not proof of login; user/current tells who you are."""
    site = load_demo_site()
    site.grant("HR", SpaceGrant("anonymous", None, "read"))
    with Sandbox(site=site, options=SandboxOptions(flavor="datacenter", anonymous_access=True)) as sb:
        headers = {"Authorization": "Bearer not-a-valid-token"}
        me = httpx.get(sb.url + "/rest/api/user/current", headers=headers)
        assert me.status_code == 200 and me.json()["type"] == "anonymous"
        found = httpx.get(sb.url + "/rest/api/content/search", headers=headers,
                          params={"cql": "type = page", "limit": 100}).json()
        # Anonymous sees only the space that grants anonymous read.
        assert {r["id"] for r in found["results"]} == {c.id for c in site.content.values() if c.space == "HR"
                                                       and not c.read_groups}


def test_cloud_bearer_token_is_refused_with_clouds_message(cloud):
    response = httpx.get(cloud.url + "/rest/api/space", headers={"Authorization": f"Bearer {cloud.options.api_token}"})
    assert response.status_code == 403
    assert response.json()["message"] == "Failed to parse Connect Session Auth Token"


def test_cloud_gateway_form_and_scoped_tokens(cloud):
    cloud_id = httpx.get(cloud.root_url + "/_edge/tenant_info").json()["cloudId"]
    gateway = f"{cloud.root_url}/ex/confluence/{cloud_id}/wiki"
    login = cloud.login
    scoped = (login, cloud.options.scoped_token)
    body = httpx.get(gateway + "/rest/api/content/search", auth=scoped, params={"cql": "space = ENG", "limit": 1}).json()
    assert body["_links"]["base"] == gateway
    # A scoped token works only through the gateway, as on Atlassian's side.
    assert httpx.get(cloud.url + "/rest/api/space", auth=scoped).status_code == 401


def test_cloud_attachment_download_redirects_to_the_media_host(cloud):
    att = next(a for a in cloud.site.attachments.values() if a.media_type == "image/png")
    with httpx.Client(auth=cloud.basic_auth) as client:
        listing = client.get(f"{cloud.url}/rest/api/content/{att.container_id}/child/attachment").json()
        link = next(r for r in listing["results"] if r["id"] == att.id)["_links"]["download"]
        assert link.startswith("/rest/api/content/")  # Cloud's REST download, without the file name
        first = client.get(cloud.url + link)
        assert first.status_code == 302 and "/media/file/" in first.headers["location"]
        final = client.get(cloud.url + link, follow_redirects=True)
        assert final.content == att.data
        servlet = client.get(f"{cloud.url}/download/attachments/{att.container_id}/{att.filename}")
        assert servlet.status_code == 401  # CHANGE-2735


def test_datacenter_download_link_serves_the_file(dc):
    att = next(a for a in dc.site.attachments.values() if a.media_type == "text/csv")
    with httpx.Client(auth=dc.basic_auth) as client:
        listing = client.get(f"{dc.url}/rest/api/content/{att.container_id}/child/attachment").json()
        link = next(r for r in listing["results"] if r["id"] == att.id)["_links"]["download"]
        response = client.get(listing["_links"]["base"] + link)
    assert response.status_code == 200 and response.content == att.data


def test_dc_space_permissions_are_for_admins_and_500_for_others(dc):
    """CONFSERVER-99908: Data Center answers 500, not 403, to non-admins."""
    assert httpx.get(dc.url + "/rest/api/space/ENG/permissions", auth=dc.basic_auth).status_code == 500
    opts = SandboxOptions(flavor="datacenter", dc_version="9.2.0", admin_users=("sync-bot",))
    with Sandbox(options=opts) as sb:
        grants = httpx.get(sb.url + "/rest/api/space/ENG/permissions", auth=sb.basic_auth).json()
        assert {"type": "group", "identifier": "confluence-users"} in [g["subject"] for g in grants]
        assert httpx.get(sb.url + "/rest/api/space/ENG/permissions/anonymous", auth=sb.basic_auth).json() == []
    with Sandbox(options=SandboxOptions(flavor="datacenter", dc_version="8.5.0")) as old:
        assert httpx.get(old.url + "/rest/api/space/ENG/permissions", auth=old.basic_auth).status_code == 404


def test_cloud_space_permissions_expand(cloud):
    space = httpx.get(cloud.url + "/rest/api/space/ENG", params={"expand": "permissions"},
                      auth=cloud.basic_auth).json()
    operations = {(p["operation"]["operation"], next(iter(k for k in p["subjects"] if k != "_expandable"), None))
                  for p in space["permissions"]}
    assert ("read", "group") in operations and ("administer", "user") in operations


def test_page_restrictions_by_operation(cloud):
    restricted = next(c for c in cloud.site.content.values() if c.read_users)
    body = httpx.get(f"{cloud.url}/rest/api/content/{restricted.id}/restriction/byOperation/read",
                     params={"expand": "restrictions.user,restrictions.group"}, auth=cloud.basic_auth).json()
    users = [u["accountId"] for u in body["restrictions"]["user"]["results"]]
    assert users == [cloud.site.users[u].account_id for u in restricted.read_users]
    assert [g["name"] for g in body["restrictions"]["group"]["results"]] == restricted.read_groups


def test_groups_and_members(cloud):
    groups = httpx.get(cloud.url + "/rest/api/group", auth=cloud.basic_auth).json()
    assert "km-sync" in [g["name"] for g in groups["results"]]
    members = httpx.get(cloud.url + "/rest/api/group/engineering/member", auth=cloud.basic_auth).json()
    assert {m["displayName"] for m in members["results"]} == {
        cloud.site.users[u].display_name for u in cloud.site.groups["engineering"].members}
