"""Every kind of mapping rule, on a sandbox site built for it: rows come from the sandbox through the client.

The KB space has what each rule needs: labels with case, prefixes, synonyms and a draft marker; a page
tree (for ancestor paths and categories); a `details` macro (page properties); an archived page; a page
not touched since 2020; a blog post; and a page edited by someone other than its creator.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from km_assets.config import ConnectionSettings
from km_assets.config_mapping import MappingSettings
from km_assets.confluence import ConfluenceClient, list_space_content
from km_assets.km.mapping import explain, map_metadata
from km_assets.km.schemas import RAW_CONTENT, frame
from km_assets.sandbox import Sandbox, SandboxOptions
from km_assets.sandbox.site import SpaceGrant, load_demo_site

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DETAILS = """<ac:structured-macro ac:name="details" ac:schema-version="1"><ac:rich-text-body><table><tbody>
<tr><th><p>Owner</p></th><td><p><ac:link><ri:user ri:account-id="61c4e8a2f0b3d79e5a1c2b44" /></ac:link></p></td></tr>
<tr><th><p>Review date</p></th><td><p><time datetime="2026-03-01" /></p></td></tr>
<tr><th><p>Effort</p></th><td><p>3</p></td></tr>
<tr><th><p>Audience</p></th><td><p>Engineers, Support</p></td></tr>
</tbody></table></ac:rich-text-body></ac:structured-macro><p>How to connect to the VPN.</p>"""


def kb_site():
    site = load_demo_site()
    site.add_space("KB", "Knowledge Base", grants=[SpaceGrant("group", "confluence-users", "read")])
    at = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    home = site.create(space="KB", title="KB Home", by="amoreau", labels=["home"], at=at, content_id="900")
    net = site.create(space="KB", title="Networking", by="amoreau", parent=home.id, at=at, content_id="901")
    site.create(space="KB", title="VPN setup", body=DETAILS, by="amoreau", parent=net.id, at=at, content_id="902",
                labels=["KB-HowTo", "cat-network", "Draft", "vpn"])
    site.create(space="KB", title="Firewall Runbook", by="bchen", parent=net.id, at=at, content_id="903",
                labels=["runbook"])
    site.edit("903", by="cokafor", at=datetime(2026, 7, 1, 22, 30, tzinfo=UTC))
    old = site.create(space="KB", title="Old Policies", by="epatel", parent=home.id, at=at, content_id="904")
    site.create(space="KB", title="Travel policy 2019", by="epatel", parent=old.id, content_id="905",
                at=datetime(2020, 1, 6, 8, 0, tzinfo=UTC), labels=["policy"])
    site.create(space="KB", title="Expense policy 2018", by="epatel", parent=old.id, content_id="906",
                at=datetime(2026, 5, 1, 8, 0, tzinfo=UTC), labels=["policy"])
    site.set_status("906", "archived")
    site.create(space="KB", title="Launch news", type="blogpost", by="fgarcia", at=at, content_id="907",
                labels=["news"])
    return site


@pytest.fixture(scope="module")
def items() -> pl.DataFrame:
    with Sandbox(site=kb_site(), options=SandboxOptions(flavor="cloud")) as sandbox:
        connection = ConnectionSettings.model_validate({
            "name": "kb", "url": sandbox.url, "deployment": "cloud", "statuses": ["current", "archived"],
            "auth": {"username": sandbox.login, "api_token_env": "UNUSED"}})
        with ConfluenceClient.basic(sandbox.url, *sandbox.basic_auth) as client:
            rows = list(list_space_content(client, connection, "KB"))
    return frame(rows, RAW_CONTENT)


def mapped(items: pl.DataFrame, mapping: dict) -> dict[str, dict]:
    out = map_metadata(items, MappingSettings.model_validate(mapping), now=NOW)
    return {row["content_id"]: row for row in out.iter_rows(named=True)}


def lineage(row: dict, field: str) -> dict:
    return next(e for e in row["lineage"] if e["field"] == field)


def test_field_mapping_reaches_every_kind_of_property(items):
    fields = [
        {"name": "Created", "source": "created_date", "type": "date"},
        {"name": "Modifier", "source": "last_modifier"},
        {"name": "Modifier Id", "source": "last_modifier_id"},
        {"name": "Version", "source": "version", "type": "integer"},
        {"name": "Space", "source": "space_key"},
        {"name": "Space Name", "source": "space_name"},
        {"name": "Type", "source": "content_type"},
        {"name": "Status", "source": "status"},
        {"name": "Link", "source": "url"},
        {"name": "Path", "source": "ancestor_path"},
        {"name": "Parent", "source": "parent_title"},
        {"name": "Owner", "source": "page_property:owner"},
        {"name": "Review", "source": "page_property:Review date", "type": "date"},
        {"name": "Effort", "source": "page_property:Effort", "type": "integer"},
        {"name": "Audience", "source": "page_property:Audience", "type": "list"},
    ]
    rows = mapped(items, {"fields": fields})
    runbook, vpn, blog = rows["903"], rows["902"], rows["907"]
    assert runbook["Created"] == date(2026, 6, 1)
    assert (runbook["Modifier"], runbook["Version"]) == ("Chidi Okafor", 2)
    assert runbook["Modifier Id"] == "557058:3f9c2e1a-7b4d-4e8f-9a1c-2d5e6f7a8b9c"
    assert (runbook["Space"], runbook["Space Name"], runbook["Status"]) == ("KB", "Knowledge Base", "current")
    assert (runbook["Path"], runbook["Parent"]) == ("KB Home / Networking", "Networking")
    assert runbook["Link"].endswith("/wiki/spaces/KB/pages/903/Firewall+Runbook")
    assert (blog["Type"], blog["Path"]) == ("blogpost", None)
    # The details macro: a mention keeps the account id, a date parses, a number and a list are typed.
    assert vpn["Owner"] == "61c4e8a2f0b3d79e5a1c2b44"
    assert (vpn["Review"], vpn["Effort"], vpn["Audience"]) == (date(2026, 3, 1), 3, ["Engineers", "Support"])
    assert runbook["Owner"] is None and lineage(runbook, "Owner")["rule"] == "fields.11: no value"
    assert lineage(vpn, "Effort") == {"field": "Effort", "source": "page_property:Effort",
                                      "rule": "fields.13: Effort <- page_property:Effort"}


def test_label_normalization_lowercases_strips_maps_synonyms_and_drops(items):
    rows = mapped(items, {"labels": {"lowercase": True, "strip_prefixes": ["kb-"], "synonyms": {"howto": "how-to"},
                                     "drop": ["draft", "cat-network"]}})
    assert rows["902"]["Tags"] == ["how-to", "vpn"]
    assert lineage(rows["902"], "Tags")["rule"] == ("default table: Tags <- labels (labels: lowercase; strip kb-; "
                                                    "synonyms; drop draft, cat-network)")


def test_category_from_space_map_falls_back_to_the_space_name(items):
    rows = mapped(items, {"category": {"from": ["space_map", "space"], "space_map": {"OPS": "Operations"}}})
    assert rows["902"]["Category"] == "Knowledge Base"
    assert lineage(rows["902"], "Category")["source"] == "category: space name"
    rows = mapped(items, {"category": {"from": "space_map", "space_map": {"KB": "Help Centre"}}})
    assert {r["Category"] for r in rows.values()} == {"Help Centre"}
    assert lineage(rows["902"], "Category")["source"] == "category: space_map[KB]"


def test_category_from_the_ancestor_path(items):
    rows = mapped(items, {"category": {"from": ["ancestors", "space"], "ancestor_level": 1}})
    assert rows["902"]["Category"] == "Networking"
    assert rows["905"]["Category"] == "Old Policies"
    assert rows["901"]["Category"] == "Knowledge Base"  # only the home above it: falls back
    assert lineage(rows["902"], "Category")["source"] == "category: ancestor title at level 1"


def test_category_from_a_label_prefix(items):
    rows = mapped(items, {"category": {"from": ["label_prefix", "space"], "label_prefix": "cat-"}})
    assert rows["902"]["Category"] == "network"
    assert lineage(rows["902"], "Category")["source"] == "category: label cat-network"
    assert rows["903"]["Category"] == "Knowledge Base"


def test_dates_in_a_time_zone_and_a_format(items):
    rows = mapped(items, {"dates": {"time_zone": "Asia/Tokyo"},
                          "fields": [{"name": "Updated On", "source": "last_modified_date", "format": "%d.%m.%Y"},
                                     {"name": "Updated NY", "source": "last_modified_date", "type": "datetime",
                                      "time_zone": "America/New_York"}]})
    runbook = rows["903"]  # edited 2026-07-01 22:30 UTC: already 2 July in Tokyo
    assert runbook["Updated On"] == "02.07.2026"
    assert str(runbook["Last Updated"].tzinfo) == "Asia/Tokyo" and runbook["Last Updated"].hour == 7
    assert runbook["Updated NY"].hour == 18 and str(runbook["Updated NY"].tzinfo) == "America/New_York"


def test_defaults_fill_missing_values_only(items):
    rows = mapped(items, {"fields": [{"name": "Tags", "source": "labels", "type": "list", "default": ["untagged"]},
                                     {"name": "Severity", "source": "page_property:Severity", "default": "n/a"},
                                     {"name": "Effort", "source": "page_property:Effort", "type": "integer",
                                      "default": 1}]})
    assert rows["901"]["Tags"] == ["untagged"] and rows["903"]["Tags"] == ["runbook"]
    assert lineage(rows["901"], "Tags") == {"field": "Tags", "source": "default", "rule": "fields.0.default"}
    assert (rows["902"]["Severity"], rows["902"]["Effort"], rows["903"]["Effort"]) == ("n/a", 3, 1)


def test_archiving_marks_confluence_archived_and_old_content(items):
    rows = mapped(items, {})
    assert [cid for cid, r in sorted(rows.items()) if r["archived"]] == ["906"]
    assert lineage(rows["906"], "archived")["source"] == "status archived"
    rows = mapped(items, {"archiving": {"older_than_days": 365}})
    assert [cid for cid, r in sorted(rows.items()) if r["archived"]] == ["905", "906"]
    assert lineage(rows["905"], "archived") == {"field": "archived", "source": "last modified 2020-01-06",
                                                "rule": "archiving.older_than_days (365)"}
    rows = mapped(items, {"archiving": {"confluence_archived": False}})
    assert not any(r["archived"] for r in rows.values())


RULES = [
    {"name": "runbooks", "when": {"label": "RUNBOOK"}, "set": {"Category": "Runbooks"}},
    {"name": "network", "when": {"ancestor": "^Networking$"}, "set": {"Category": "Network", "Tags": ["net"]}},
    {"name": "old policies", "when": {"space": "KB", "title": "(?i)policy \\d{4}"},
     "set": {"Category": "Policies", "archived": True}},
    {"name": "blogs", "when": {"properties": {"content_type": "^blogpost$"}}, "set": {"Category": "News"}},
]


def test_conditional_rules_first_match_wins(items):
    rows = mapped(items, {"rules": RULES, "match": "first"})
    assert rows["903"]["Category"] == "Runbooks" and rows["903"]["Tags"] == ["runbook"]  # rule 1 not applied
    assert (rows["902"]["Category"], rows["902"]["Tags"]) == ("Network", ["net"])
    assert (rows["905"]["Category"], rows["905"]["archived"]) == ("Policies", True)
    assert rows["907"]["Category"] == "News"
    assert rows["901"]["Category"] == "Knowledge Base"
    assert lineage(rows["903"], "Category") == {"field": "Category", "source": "rule", "rule": "rules.0 (runbooks)"}
    assert lineage(rows["905"], "archived")["rule"] == "rules.2 (old policies)"
    assert "Category: Runbooks\n      from rule; by rules.0 (runbooks)" in explain(rows["903"])


def test_conditional_rules_all_matches_apply_in_order(items):
    rows = mapped(items, {"rules": RULES, "match": "all"})
    # Firewall Runbook matches rules 0 and 1: both apply, the later one's Category wins.
    assert (rows["903"]["Category"], rows["903"]["Tags"]) == ("Network", ["net"])
    assert lineage(rows["903"], "Category")["rule"] == "rules.1 (network)"
