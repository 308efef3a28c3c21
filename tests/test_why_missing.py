"""`km why-missing`: one reason per test, against a live sandbox and what a real sync stored.

The module syncs a demo site once (its own sandbox, since the tests change the site afterwards: each
test changes a different page). Filters are judged from km.yaml variants over the same storage."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest
from conftest import write_km_yaml

from km_assets.cli import main
from km_assets.config import load_config
from km_assets.defs.run import sync_spaces
from km_assets.reports.why_missing import diagnose_missing, parse_page_ref
from km_assets.sandbox import Sandbox, SandboxOptions
from km_assets.sandbox.site import SpaceGrant

# An unknown macro whose body is plain text: the converter shows a placeholder and drops the words.
LOW_FIDELITY_BODY = ("<p>Intro.</p><ac:structured-macro ac:name=\"mystery-widget\"><ac:plain-text-body><![CDATA["
                     "alpha beta gamma delta epsilon zeta eta theta iota kappa]]></ac:plain-text-body>"
                     "</ac:structured-macro>")


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("why_missing")
    with Sandbox(options=SandboxOptions(flavor="cloud")) as sandbox, dg.instance_for_test() as instance, \
            pytest.MonkeyPatch.context() as env:
        env.setenv("KM_TEST_TOKEN", sandbox.options.api_token)
        low = sandbox.site.create(space="OPS", title="Widget inventory", body=LOW_FIDELITY_BODY, by="cokafor",
                                  parent="65601", at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        path = write_km_yaml(tmp, sandbox.url)
        config = load_config(path)
        summary = sync_spaces(config, config.connection("demo"), sorted(sandbox.site.spaces), instance,
                              log_level="WARNING")
        assert not summary.failed
        yield {"sandbox": sandbox, "tmp": tmp, "config": config, "path": path, "low": low.id}


def _variant(synced, extra: str):
    """The same storage under a km.yaml with other filters."""
    folder = synced["tmp"] / f"variant{abs(hash(extra))}"
    folder.mkdir(exist_ok=True)
    path = write_km_yaml(folder, synced["sandbox"].url, extra)
    path.write_text(path.read_text().replace(str(folder / "data"), str(synced["tmp"] / "data")))
    return load_config(path)


def test_a_synced_page_says_where_its_article_is(synced, capsys):
    verdict = diagnose_missing(synced["config"], "demo", "65538")
    assert verdict.reason == "synced"
    text = verdict.text()
    assert "ENG/65538.md" in text and "articles_current/space=ENG/data.parquet" in text
    assert "'Onboarding'" in text
    # The command prints the same and exits 0 only when nothing keeps the page out.
    assert main(["--config", str(synced["path"]), "why-missing", "demo", "65538"]) == 0
    assert "nothing keeps it out" in capsys.readouterr().out


@pytest.mark.parametrize(("extra", "page", "reason", "phrase"), [
    ("    labels: {include: [], exclude: [coding-standards]}\n", "65540", "filter_label",
     "labels.exclude: the page has label(s) ['coding-standards']"),
    ("    labels: {include: [runbook], exclude: []}\n", "65605", "filter_label", "labels.include ['runbook']"),
    ("    spaces: {include: [], exclude: [HR]}\n", "65702", "filter_space", "spaces: HR is not selected"),
    ("    page_trees: {include: [], exclude: ['65541']}\n", "65542", "filter_tree",
     "page_trees.exclude lists its ancestor 65541"),
    ("    page_trees: {include: ['65606'], exclude: []}\n", "65603", "filter_tree",
     "page_trees.include ['65606']: the page is under none of them"),
    ("    modified_after: 2026-03-01\n", "65702", "filter_date", "modified_after/modified_before"),
], ids=["label-exclude", "label-include", "space", "tree-exclude", "tree-include", "modified-after"])
def test_a_filter_is_named_by_its_km_yaml_key(synced, extra, page, reason, phrase):
    verdict = diagnose_missing(_variant(synced, extra), "demo", page)
    assert verdict.reason == reason, verdict.text()
    assert phrase in verdict.text()


@pytest.mark.parametrize(("page", "status", "phrase"), [
    ("65539", "trashed", "in the space's trash"),
    ("65604", "draft", "unpublished draft"),
    ("65605", "archived", "add archived to `statuses`"),
])
def test_status_trashed_draft_or_archived(synced, page, status, phrase):
    synced["sandbox"].site.set_status(page, status)
    verdict = diagnose_missing(synced["config"], "demo", page)
    assert verdict.reason == "status", verdict.text()
    assert f"status {status}" in verdict.text() and phrase in verdict.text()


def test_a_restriction_the_sync_user_is_not_in(synced):
    sandbox = synced["sandbox"]
    sandbox.site.restrict("65541", groups=["engineering"])  # 65542 inherits it from its parent
    verdict = diagnose_missing(synced["config"], "demo", f"{sandbox.url}/spaces/ENG/pages/65542/API+Guidelines")
    assert verdict.reason == "no_permission", verdict.text()
    assert "can see space ENG, but not this page: a read restriction" in verdict.text()
    assert "synced before (version" in verdict.text()  # what the sync had, so the admin knows it was there


def test_no_space_permission_for_the_sync_user(synced):
    sandbox = synced["sandbox"]
    sandbox.site.revoke("HR", SpaceGrant("group", "confluence-users", "read"))
    try:
        verdict = diagnose_missing(synced["config"], "demo", "65701")
    finally:
        sandbox.site.grant("HR", SpaceGrant("group", "confluence-users", "read"))
    assert verdict.reason == "no_space_permission", verdict.text()
    assert "sync-bot@northwind.example) cannot see space HR" in verdict.text()


def test_a_window_not_yet_synced(synced):
    page = synced["sandbox"].site.create(space="ENG", title="Written after the sync", by="amoreau", parent="65537")
    verdict = diagnose_missing(synced["config"], "demo", page.id)
    assert verdict.reason == "window_not_synced", verdict.text()
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert f"daily window {today}" in verdict.text() and "not synced yet" in verdict.text()
    assert "no version of it is synced yet" in verdict.text()


def test_a_low_fidelity_conversion(synced):
    verdict = diagnose_missing(synced["config"], "demo", synced["low"])
    assert verdict.reason == "low_fidelity", verdict.text()
    assert "unhandled macros: mystery-widget" in verdict.text()
    assert f"OPS/{synced['low']}.md" in verdict.text()  # the article exists: where it is


def test_page_references_from_urls():
    assert parse_page_ref("65538") == ("65538", None, None)
    assert parse_page_ref("https://x.atlassian.net/wiki/spaces/ENG/pages/65538/Onboarding") == ("65538", "ENG", None)
    assert parse_page_ref("https://x/wiki/spaces/OPS/blog/2026/01/02/65803/Recap") == ("65803", "OPS", None)
    assert parse_page_ref("https://dc.example/pages/viewpage.action?pageId=65540") == ("65540", None, None)
    assert parse_page_ref("https://dc.example/display/ENG/Coding+Standards") == (None, "ENG", "Coding Standards")
    with pytest.raises(ValueError, match="tiny /x/ links"):
        parse_page_ref("https://x.atlassian.net/wiki/x/AbCd")


def test_a_display_url_is_looked_up_by_title(synced):
    verdict = diagnose_missing(synced["config"], "demo", f"{synced['sandbox'].url}/display/OPS/Runbooks")
    assert verdict.reason == "synced" and "Page 65602 'Runbooks'" in verdict.text()
