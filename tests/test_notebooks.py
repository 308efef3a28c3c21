"""Every notebook executed with papermill against a site synced from the sandbox, checked on the figures
it showed: the report's item count is the synced count, its 429s are the ones the integration log recorded.

One sync per module: a demo site with a low-fidelity page added and random 429s injected, so the
troubleshooting views have something to show. A notebook that raises fails its test (ReportError)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import nbformat
import polars as pl
import pytest
from conftest import write_km_yaml

from km_assets.config import load_config
from km_assets.defs.report_assets import report_assets
from km_assets.defs.run import sync_spaces
from km_assets.reports import ReportError, figures, run_notebook
from km_assets.sandbox import Sandbox, SandboxOptions
from km_assets.sandbox.faults import FaultOptions

KM = str(Path(sys.executable).with_name("km"))
LOW_FIDELITY_BODY = ("<p>Intro.</p><ac:structured-macro ac:name=\"mystery-widget\"><ac:plain-text-body><![CDATA["
                     "alpha beta gamma delta epsilon zeta eta theta iota kappa]]></ac:plain-text-body>"
                     "</ac:structured-macro>")
ROLES = "    permissions: {group_roles: {confluence-users: employee, people-team: hr-staff}}\n"


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notebooks")
    # Random 429s (Retry-After 1 s) on a share of the listings: the client waits and retries each.
    faults = FaultOptions(seed=7, throttle_rate=0.3, throttle_retry_after_s=1.0,
                          only_paths=("/wiki/rest/api/content/search",))
    with Sandbox(options=SandboxOptions(flavor="cloud"), faults=faults) as sandbox, \
            dg.instance_for_test() as instance, pytest.MonkeyPatch.context() as env:
        env.setenv("KM_TEST_TOKEN", sandbox.options.api_token)
        low = sandbox.site.create(space="OPS", title="Widget inventory", body=LOW_FIDELITY_BODY, by="cokafor",
                                  parent="65601", at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        path = write_km_yaml(tmp, sandbox.url, ROLES)
        config = load_config(path)
        summary = sync_spaces(config, config.connection("demo"), sorted(sandbox.site.spaces), instance,
                              log_level="WARNING")
        assert not summary.failed
        live = sum(1 for c in sandbox.site.content.values() if c.status == "current")
        # The 429s the integration log recorded (the listings' runs write it; a reconciliation's own
        # listing does not, so the sandbox may have sent more than the log holds).
        log = pl.read_parquet(tmp / "data/demo/integration_runs/**/*.parquet")
        throttled = log.filter(pl.col("kind") == "rate_limited").height
        assert 0 < throttled <= sandbox.faults_runtime.stats()["rate_limit"]
        yield {"tmp": tmp, "path": path, "config": config, "low": low.id, "live": live, "sandbox": sandbox,
               "throttled": throttled, "instance": instance}


def _run(synced, name: str, **parameters) -> dict:
    output = synced["tmp"] / "executed" / f"{name}.ipynb"
    run_notebook(name, {"config_path": str(synced["path"]), "connection": "demo", **parameters}, output)
    return figures(output)


def _images(notebook: Path) -> int:
    book = nbformat.read(str(notebook), as_version=4)
    return sum("image/png" in o.get("data", {}) for c in book.cells for o in c.get("outputs", []))


def test_sync_report_through_km_report(synced):
    """`km report` (a subprocess, as a user runs it) writes the executed notebook and its HTML."""
    out = synced["tmp"] / "reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KM_")}
    result = subprocess.run([KM, "--config", str(synced["path"]), "report", "demo", "--out", str(out)],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    html = Path(result.stdout.strip().splitlines()[-1])
    assert html == out / "demo" / "sync_report.html" and html.is_file()
    notebook = html.with_suffix(".ipynb")
    shown = figures(notebook)
    summary = shown["summary"]
    assert summary["items"] == synced["live"], "the report's item count is the synced count"
    assert summary["items"] == pl.read_parquet(synced["tmp"] / "data/demo/articles_current/**/*.parquet").height
    assert summary["spaces"] == 3 and summary["deleted"] == 0
    assert summary["new"] + summary["changed"] > 0
    log = pl.read_parquet(synced["tmp"] / "data/demo/integration_runs/**/*.parquet")
    assert summary["requests"] == log.filter(pl.col("kind") != "skipped").height
    assert summary["rate_limited"] == synced["throttled"], "every 429 in the integration log is counted"
    assert shown["requests_plot"]["rate_limited"] == synced["throttled"]
    assert shown["items_by_day_plot"]["items"] == synced["live"]
    assert shown["attachments"]["files"] == summary["attachments"] > 0
    roles = shown["coverage"]["roles"]
    assert roles["employee"] == synced["live"], "confluence-users reads every demo article"
    assert 0 < roles["hr-staff"] < synced["live"]
    assert shown["lowest_fidelity"]["below_threshold"] == 1
    assert _images(notebook) == 4, "items by day, requests, coverage, fidelity"
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', html.read_text())) == 4, "plots embedded"


def test_sync_report_range_keeps_only_what_changed_in_it(synced):
    day = datetime(2026, 1, 5, tzinfo=UTC).date()  # the low-fidelity page was written then
    site = synced["sandbox"].site
    changed = [c for c in site.content.values() if c.status == "current" and c.modified.date() == day]
    created = [c for c in site.content.values() if c.created.date() == day]
    shown = _run(synced, "sync_report", since=str(day), until=str(day))
    assert shown["summary"]["items"] == len(changed) >= 1, "only what was last changed on that day"
    assert shown["summary"]["new"] == len(created) >= 1


def test_explore_mappings(synced):
    shown = _run(synced, "explore_mappings", content_id="65538")
    assert shown["per_space"]["articles"] == synced["live"]
    assert shown["categories"]["articles"] == synced["live"]
    assert shown["article_fields"] == {**shown["article_fields"], "content_id": "65538", "rows": 5}
    lineage = shown["field_lineage"]
    assert lineage["articles"] == synced["live"] and lineage["rows"] == 5 * synced["live"]
    unlabelled = [c for c in synced["sandbox"].site.content.values() if c.status == "current" and not c.labels]
    assert shown["missing_fields"]["articles"] == len(unlabelled) == 1, "the widget page has no Tags"
    assert {k for k in shown if k.startswith("space_")} == {"space_ENG", "space_HR", "space_OPS"}
    assert sum(shown[f"space_{s}"]["articles"] for s in ("ENG", "HR", "OPS")) == synced["live"]
    assert shown["tags_plot"]["plot"] and shown["categories_plot"]["plot"]


def test_troubleshooting(synced, monkeypatch):
    monkeypatch.setenv("KM_TEST_TOKEN", synced["sandbox"].options.api_token)  # Test Connection calls the site
    shown = _run(synced, "troubleshooting", level="warning")
    assert shown["verdicts"]["passed"] == shown["verdicts"]["checks"] == 7
    log = shown["log"]
    assert log["by_kind"] == {"rate_limited": synced["throttled"]}, "warning level: the 429s, not the requests"
    assert shown["rate_limit_plot"]["rate_limited"] == synced["throttled"]
    assert shown["unhandled_macros"]["macros"] == ["mystery-widget"]
    assert shown["lowest_fidelity"]["lowest"][0] == synced["low"]
    assert shown["side_by_side"]["content_id"] == synced["low"]
    search = _run(synced, "troubleshooting", level="info", endpoint="/rest/api/content/search",
                  run_test_connection=False)
    assert search["log"]["events"] > 0 and "verdicts" not in search
    text = json.dumps(nbformat.read(str(synced["tmp"] / "executed/troubleshooting.ipynb"), as_version=4))
    assert synced["sandbox"].options.api_token not in text


def test_a_notebook_that_raises_fails_with_the_cell_and_error(synced):
    with pytest.raises(ReportError, match=r"notebook sync_report failed in cell \d+: ConfigError: .*no connection "
                                          r"named 'nope'") as caught:
        _run(synced, "sync_report", connection="nope")
    failed = synced["tmp"] / "executed" / "sync_report.failed.ipynb"
    assert str(failed) in str(caught.value) and failed.is_file()


def test_sync_report_asset_links_the_html(synced):
    connection = synced["config"].connection("demo")
    out = synced["tmp"] / "asset_reports"
    assets = report_assets(connection, synced["config"].storage.root, reports_dir=str(out))
    assert assets[0].key == dg.AssetKey(["demo", "sync_report"])
    deps = {k.path[-1] for k in assets[0].asset_deps[assets[0].key]}
    assert deps == {"articles_current", "article_metadata", "permission_map", "integration_log", "raw_attachments"}
    result = dg.materialize(assets, instance=synced["instance"])
    assert result.success
    metadata = result.asset_materializations_for_node("demo__sync_report")[0].metadata
    html = Path(metadata["html"].value)
    assert html == out / "demo" / "sync_report.html" and html.is_file()
    assert metadata["url"].value == html.as_uri()
    assert metadata["items"].value == synced["live"]
