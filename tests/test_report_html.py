"""The HTML report in a real browser: Debian's chromium driven by Playwright, offline.

It must show its plots as images (decoded, non-empty), fetch nothing from the network (nbconvert's CDN
scripts are left out of our template) and log no console error. Where chromium is absent (a user's
clone without it) the test skips and says how to install it; in CI (CI=true) that is a failure, since
.ci/run installs it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest
from conftest import write_km_yaml

from km_assets.config import load_config
from km_assets.defs.run import sync_connection
from km_assets.reports import run_report

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        message = ("Debian's chromium is not installed (`apt-get install chromium`; .ci/run installs it): "
                   "the HTML report is not checked in a browser")
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(message + " - in CI it must be there")
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory, demo_sandbox) -> Path:
    tmp = tmp_path_factory.mktemp("report_html")
    with dg.instance_for_test() as instance, pytest.MonkeyPatch.context() as env:
        env.setenv("KM_TEST_TOKEN", demo_sandbox.options.api_token)
        config = load_config(write_km_yaml(tmp, demo_sandbox.url))
        summary = sync_connection(config, config.connection("demo"), ["ENG"], instance, full=True,
                                  permissions=True, log_level="WARNING")
        assert not summary.failed
    return run_report(config, "demo", out_dir=tmp / "reports")


def test_report_opens_in_chromium_with_plots_and_no_console_errors(chromium, report):
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    remote: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
            page.goto(report.as_uri(), wait_until="load")
            images = page.evaluate("""Array.from(document.images).map(i => ({
                src: i.src.slice(0, 22), width: i.naturalWidth, height: i.naturalHeight, complete: i.complete}))""")
            headings = page.locator("h2").all_inner_texts()
        finally:
            browser.close()
    assert problems == []
    assert remote == [], "the report fetched something from the network"
    assert len(images) == 4, images
    for image in images:
        assert image["src"] == "data:image/png;base64," and image["complete"]
        assert image["width"] > 100 and image["height"] > 100
    assert any(h.startswith("Requests and 429s") for h in headings)
    assert any(h.startswith("Permission coverage") for h in headings)
