"""permission_map against the sandbox, Cloud and Data Center: the map must say what the sandbox enforces.

The sandbox decides access itself (Site.can_view: space grants, then every restriction on the chain);
the map, read back per user (a row for the user, one of the user's groups, or anonymous), must agree for
every user, article and access, before and after the site changes.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from km_assets.config import load_config
from km_assets.defs.io_manager import PolarsParquetIOManager
from km_assets.defs.partitions import space_partitions
from km_assets.defs.permission_assets import permission_assets, permission_checks
from km_assets.defs.resources import confluence_resource
from km_assets.km.permissions import explain_access_from_storage
from km_assets.sandbox import Sandbox, SandboxOptions
from km_assets.sandbox.site import SpaceGrant

pytestmark = pytest.mark.slow
ROLES = "{confluence-users: employee, engineering: engineer, operations: ops, km-sync: service}"


def km_yaml(tmp_path: Path, sandbox: Sandbox, extra: str = "") -> Path:
    cloud = sandbox.options.cloud
    auth = ("{username: sync-bot@northwind.example, api_token_env: KM_TEST_TOKEN}" if cloud
            else "{pat_env: KM_TEST_TOKEN}")
    path = tmp_path / "km.yaml"
    path.write_text(f"""
storage: {{root: {tmp_path / 'data'}}}
connections:
  - name: demo
    url: {sandbox.url}
    deployment: {'cloud' if cloud else 'datacenter'}
    auth: {auth}
    content_types: [page, blogpost]
    rate_limit: {{requests_per_second: 1000, max_concurrency: 4, max_retries: 0}}
    permissions: {{schedule: daily, group_roles: {ROLES}}}
{extra}""")
    return path


def configure(tmp_path, monkeypatch, sandbox: Sandbox, extra: str = ""):
    monkeypatch.setenv("KM_TEST_TOKEN", sandbox.options.api_token if sandbox.options.cloud else sandbox.options.pat)
    config = load_config(km_yaml(tmp_path, sandbox, extra))
    return config, config.connection("demo")


def run_permissions(config, connection, space: str, instance) -> tuple[pl.DataFrame, dg.ExecuteInProcessResult]:
    """What the permissions schedule runs for one space: the asset and its checks."""
    instance.add_dynamic_partitions(space_partitions(connection).name, [space])
    resources = {"parquet_io_manager": PolarsParquetIOManager(root=config.storage.root),
                 f"confluence_{connection.asset_prefix}": confluence_resource(connection)}
    result = dg.materialize([*permission_assets(connection, config.storage.root), *permission_checks(connection)],
                            partition_key=space, resources=resources, instance=instance)
    assert result.success
    path = Path(config.storage.root) / "demo" / "permission_map" / f"space={space}" / "data.parquet"
    return pl.read_parquet(path), result


def ident(sandbox: Sandbox, username: str) -> str:
    return sandbox.site.users[username].account_id if sandbox.options.cloud else username


def truth(sandbox: Sandbox, space: str) -> dict[str | None, set[tuple[str, str]]]:
    """Per user (None: anonymous), the (content id, access) pairs the sandbox itself allows."""
    site = sandbox.site
    out: dict[str | None, set[tuple[str, str]]] = {}
    articles = [c for c in site.content.values() if c.space == space and c.status == "current"
                and c.type in ("page", "blogpost")]
    for user in [*site.users.values(), None]:
        allowed = set()
        for c in articles:
            if not site.can_view(user, c):
                continue
            allowed.add((c.id, "read"))
            users, groups = c.restricted("update")
            mine = site.groups_of(user) if user else set()
            admitted = not (users or groups) or (user is not None and (user.username in users or mine & set(groups)))
            if site.space_allows(user, space, "create") and admitted:
                allowed.add((c.id, "edit"))
        out[user.username if user else None] = allowed
    return out


def from_map(rows: pl.DataFrame, sandbox: Sandbox) -> dict[str | None, set[tuple[str, str]]]:
    site = sandbox.site
    granted = rows.filter(pl.col("granted"))
    out: dict[str | None, set[tuple[str, str]]] = {}
    for user in [*site.users.values(), None]:
        me = ident(sandbox, user.username) if user else None
        groups = site.groups_of(user) if user else set()
        out[user.username if user else None] = {
            (cid, access) for cid, access, kind, who in granted.select("content_id", "access", "principal_type",
                                                                       "principal").rows()
            if kind == "anonymous" or (kind == "user" and who == me) or (kind == "group" and who in groups)}
    return out


def assert_map_matches(rows: pl.DataFrame, sandbox: Sandbox, space: str) -> None:
    expected, got = truth(sandbox, space), from_map(rows, sandbox)
    for who in expected:
        assert got[who] == expected[who], (who, sorted(got[who] ^ expected[who]))


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_map_follows_restrictions_memberships_and_space_permissions(flavor, tmp_path, monkeypatch, instance):
    options = SandboxOptions(flavor=flavor, admin_users=("sync-bot",))
    with Sandbox(options=options) as sandbox:
        site = sandbox.site
        config, connection = configure(tmp_path, monkeypatch, sandbox)
        rows, result = run_permissions(config, connection, "ENG", instance)
        assert_map_matches(rows, sandbox, "ENG")
        assert rows["granted"].all()
        checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
        assert checks["no_fail_closed_rows"] is True

        # Restrict a subtree: its root's read restriction binds every descendant.
        root = next(c for c in site.content.values() if c.space == "ENG" and c.parent and site.descendants(c.id))
        below = site.descendants(root.id)
        site.restrict(root.id, operation="read", users=["bchen"], groups=["km-sync"])
        rows, _ = run_permissions(config, connection, "ENG", instance)
        assert_map_matches(rows, sandbox, "ENG")
        for child in below:
            readers = rows.filter((pl.col("content_id") == child.id) & (pl.col("access") == "read"))
            assert not readers.filter(pl.col("principal") == "confluence-users").height, child.id
            assert ident(sandbox, "bchen") in readers["principal"].to_list()

        # Add a user to a group: cokafor (operations) joins km-sync and reaches the restricted subtree.
        assert (below[0].id, "read") not in truth(sandbox, "ENG")["cokafor"]
        site.add_member("km-sync", "cokafor")
        rows, _ = run_permissions(config, connection, "ENG", instance)
        assert_map_matches(rows, sandbox, "ENG")
        assert (below[0].id, "read") in from_map(rows, sandbox)["cokafor"]

        # Remove a space permission: without confluence-users' view, only engineering, amoreau and km-sync
        # (given view here, so the sync account still sees the space) remain.
        site.grant("ENG", SpaceGrant("group", "km-sync", "read"))
        site.revoke("ENG", SpaceGrant("group", "confluence-users", "read"))
        rows, _ = run_permissions(config, connection, "ENG", instance)
        assert_map_matches(rows, sandbox, "ENG")
        assert "confluence-users" not in rows["principal"].to_list()
        assert not from_map(rows, sandbox)["dlindqvist"]


def test_anonymous_space_access_maps_to_anonymous_rows(tmp_path, monkeypatch, instance):
    with Sandbox(options=SandboxOptions(flavor="datacenter", admin_users=("sync-bot",))) as sandbox:
        sandbox.site.grant("OPS", SpaceGrant("anonymous", None, "read"))
        config, connection = configure(tmp_path, monkeypatch, sandbox)
        rows, _ = run_permissions(config, connection, "OPS", instance)
        assert_map_matches(rows, sandbox, "OPS")
        anonymous = rows.filter(pl.col("principal_type") == "anonymous")
        assert anonymous.height and set(anonymous["access"]) == {"read"}
        restricted = [c.id for c in sandbox.site.content.values() if c.space == "OPS" and sandbox.site.ancestors(c)
                      and any(a.read_users or a.read_groups for a in [*sandbox.site.ancestors(c), c])]
        assert not set(restricted) & set(anonymous["content_id"])


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_explain_access_reads_the_stored_facts(flavor, tmp_path, monkeypatch, instance):
    with Sandbox(options=SandboxOptions(flavor=flavor, admin_users=("sync-bot",))) as sandbox:
        config, connection = configure(tmp_path, monkeypatch, sandbox)
        run_permissions(config, connection, "ENG", instance)
        restricted = "65543"  # the demo's page restricted to amoreau, bchen and km-sync
        text = explain_access_from_storage(config, "demo", restricted, ident(sandbox, "bchen"))
        assert "read restricted to" in text and "verdict read: GRANTED (decided at page 65543)" in text
        text = explain_access_from_storage(config, "demo", restricted, ident(sandbox, "fgarcia"))
        assert "verdict read: NOT GRANTED" in text and "does not admit" in text
        text = explain_access_from_storage(config, "demo", restricted, "group:confluence-users")
        assert "verdict read: DENIED" in text
        # A user no grant or restriction names: the map speaks of their groups, and says which.
        text = explain_access_from_storage(config, "demo", "65537", ident(sandbox, "dlindqvist"))
        assert "not look up their groups" in text
        assert "read is granted to members of: confluence-users, engineering" in text
        with pytest.raises(LookupError, match="no permission map|in no permission map"):
            explain_access_from_storage(config, "demo", "999999", "anonymous")


def test_unreadable_space_permissions_fail_the_check_with_count_and_cause(tmp_path, monkeypatch, instance):
    with Sandbox(options=SandboxOptions(flavor="datacenter", dc_version="9.2.0")) as sandbox:  # not an admin: 500
        config, connection = configure(tmp_path, monkeypatch, sandbox)
        connection = connection.model_copy(update={"permissions": connection.permissions.model_copy(
            update={"fail_closed_severity": "error"})})
        rows, result = run_permissions(config, connection, "ENG", instance)
        assert not rows["granted"].any()
        evaluation = next(c for c in result.get_asset_check_evaluations() if c.check_name == "no_fail_closed_rows")
        assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
        assert evaluation.metadata["count"].value == rows.height
        assert evaluation.metadata["causes"].value == {"space_permissions_unreadable": rows.height}
        materialization = result.asset_materializations_for_node("demo__permission_map")[0]
        assert materialization.metadata["fail_closed_rows"].value == rows.height
