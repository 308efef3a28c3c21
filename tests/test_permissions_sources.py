"""Reading permissions per deployment through the sandbox: JSON-RPC on older Server/DC (and its WebSudo
page and disabled remote API), DC 9.1's admin-only resource, truncated restriction lists, ancestors
outside the listing, and what all of it costs in requests."""

from __future__ import annotations

import math

import polars as pl
import pytest
from test_permissions_sandbox import configure, truth

from km_assets.confluence.connect import client_for
from km_assets.km.permissions import compute_permission_map
from km_assets.km.permissions.collect import collect_space_inputs
from km_assets.sandbox import Sandbox, SandboxOptions
from km_assets.sandbox.faults import FaultOptions

pytestmark = pytest.mark.slow


def collect(tmp_path, monkeypatch, sandbox: Sandbox, space: str = "ENG", extra: str = ""):
    config, connection = configure(tmp_path, monkeypatch, sandbox, extra)
    secret = sandbox.options.api_token if sandbox.options.cloud else sandbox.options.pat
    with client_for(connection, secret) as client:
        inputs = collect_space_inputs(client, connection, space)
    return inputs, compute_permission_map(inputs, connection.permissions.group_roles)


def readers(rows: pl.DataFrame, content_id: str) -> set[str]:
    return set(rows.filter((pl.col("content_id") == content_id) & (pl.col("access") == "read")
                           & pl.col("granted"))["principal"])


def test_older_data_center_reads_space_permissions_over_json_rpc(tmp_path, monkeypatch):
    """Before 9.1 there is no REST resource: getSpacePermissionSets, anonymous as two null names."""
    with Sandbox(options=SandboxOptions(flavor="datacenter", dc_version="7.19.0", admin_users=("sync-bot",))) as sb:
        inputs, rows = collect(tmp_path, monkeypatch, sb)
        assert inputs.grants_error is None
        assert {(g.subject_type, g.subject, g.operation) for g in inputs.grants} >= {
            ("group", "confluence-users", "read"), ("group", "engineering", "create_page"),
            ("user", "amoreau", "administer")}
        assert sb.counters.total("/rpc/json-rpc/confluenceservice-v2") == 1
        expected = truth(sb, "ENG")
        for user in sb.site.users:
            groups = sb.site.groups_of(sb.site.users[user])
            got = {(c, a) for c, a, k, p in rows.filter(pl.col("granted")).select(
                "content_id", "access", "principal_type", "principal").rows()
                if (k == "user" and p == user) or (k == "group" and p in groups)}
            assert got == expected[user], user


@pytest.mark.parametrize(("remote_api", "admins", "cause"), [
    ("websudo", ("sync-bot",), "WebSudo"),
    ("disabled", ("sync-bot",), "turn on the remote API"),
    ("enabled", (), "NotPermittedException"),
])
def test_json_rpc_refusals_fail_closed_with_the_cause(tmp_path, monkeypatch, remote_api, admins, cause):
    options = SandboxOptions(flavor="datacenter", dc_version="7.19.0", admin_users=admins, remote_api=remote_api)
    with Sandbox(options=options) as sb:
        inputs, rows = collect(tmp_path, monkeypatch, sb)
        assert cause in inputs.grants_error
        assert rows.height and not rows["granted"].any(), "nothing is granted on unknown space permissions"
        assert rows["flags"].to_list()[0] == ["fail_closed", "space_permissions_unreadable"]
        assert cause in rows["reason"][0]


def test_data_center_9_1_non_admin_500_fails_closed_naming_the_bug(tmp_path, monkeypatch):
    with Sandbox(options=SandboxOptions(flavor="datacenter", dc_version="9.2.0")) as sb:  # no admins
        inputs, rows = collect(tmp_path, monkeypatch, sb)
        assert "CONFSERVER-99908" in inputs.grants_error
        assert not rows["granted"].any()


def test_truncated_restriction_lists_are_paged_to_the_end(tmp_path, monkeypatch):
    with Sandbox(options=SandboxOptions(flavor="cloud", restriction_limit=2)) as sb:
        page = "65543"
        everyone = sorted(sb.site.users)
        sb.site.restrict(page, operation="read", users=everyone)
        inputs, rows = collect(tmp_path, monkeypatch, sb)
        assert inputs.nodes[page].read.error is None
        assert inputs.nodes[page].read.users == {u.account_id for u in sb.site.users.values()}
        assert readers(rows, page) >= {sb.site.users[u].account_id for u in ("dlindqvist", "epatel")}
        paged = [e for e in sb.counters.events if e.path.endswith(f"/{page}/restriction/byOperation/read")]
        assert len(paged) == math.ceil(len(everyone) / 2) + 1  # pages of 2, then the empty page that ends it


def test_truncated_restriction_that_cannot_be_paged_grants_nobody(tmp_path, monkeypatch):
    faults = FaultOptions(error_rate=1.0, only_paths=("/wiki/rest/api/content/65543/restriction",))
    with Sandbox(options=SandboxOptions(flavor="cloud", restriction_limit=2), faults=faults) as sb:
        sb.site.restrict("65543", operation="read", users=sorted(sb.site.users))
        inputs, rows = collect(tmp_path, monkeypatch, sb)
        assert "truncated" in inputs.nodes["65543"].read.error
        for cid in ["65543", *[c.id for c in sb.site.descendants("65543")]]:
            mine = rows.filter(pl.col("content_id") == cid)
            assert not mine["granted"].any(), cid
            assert mine["flags"].list.contains("restriction_unreadable").all()


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_requests_are_the_listing_plus_one_per_outside_ancestor_and_per_space(flavor, tmp_path, monkeypatch):
    """A space of N pages costs its listing's pages, one request per ancestor outside the listing, the
    space's permissions, and one per user principal's groups (and per group a restriction must expand)."""
    options = SandboxOptions(flavor=flavor, admin_users=("sync-bot",))
    with Sandbox(options=options) as sb:
        site = sb.site
        parent = site.create(space="ENG", title="Archive root", by="amoreau", parent="65537")
        for i in range(260):
            site.create(space="ENG", title=f"Note {i}", by="amoreau", parent=parent.id)
        site.restrict(parent.id, operation="read", groups=["engineering", "km-sync"])
        site.set_status(parent.id, "trashed")  # its children stay, under a trashed ancestor
        sb.counters.reset()
        inputs, rows = collect(tmp_path, monkeypatch, sb)
        articles = len(inputs.articles())
        outside = [n for n in inputs.nodes.values() if not n.in_listing]
        assert [n.content_id for n in outside] == [parent.id]
        assert not rows.filter(pl.col("content_id") == "65801")["flags"].list.contains("fail_closed").any()
        child = next(c.id for c in site.children_of(parent.id))
        assert readers(rows, child) >= {"engineering"} and "confluence-users" not in readers(rows, child)

        events = list(sb.counters.events)
        listing = sum(1 for e in events if e.path.endswith("/rest/api/content/search"))
        page_size = 250 if flavor == "cloud" else 200
        assert listing == math.ceil(articles / page_size)
        space = sum(1 for e in events if "/rest/api/space/ENG" in e.path or "json-rpc" in e.path)
        assert space == (1 if flavor == "cloud" else 2)  # DC 9.1: permissions and permissions/anonymous
        ancestors = sum(1 for e in events if "/restriction/byOperation" in e.path)
        assert ancestors == len(outside)
        lookups = sum(1 for e in events if "/user/memberof" in e.path or "/group/" in e.path or
                      e.path.endswith("/rest/api/user"))
        assert lookups == len(inputs.user_groups) + len(inputs.group_members) + (
            0 if flavor == "cloud" else 1)  # DC: amoreau's user key -> name
        assert len(events) == listing + space + ancestors + lookups
        assert len(events) <= listing + len(outside) + 2 + 8, "a few membership lookups, never per page"
