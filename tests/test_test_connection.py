"""Test Connection against real sandboxes: every check passes on a good connection, and each classic
mistake fails the right check with the right fix, without ever printing the secret."""

from __future__ import annotations

import math
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from km_assets.config import ConnectionSettings
from km_assets.confluence import diagnose
from km_assets.sandbox import Sandbox, SandboxOptions, load_demo_site
from km_assets.sandbox.site import SpaceGrant

KM = str(Path(sys.executable).with_name("km"))
SECRET = "tok-SECRET-123"  # the sandboxes accept it; no output may ever contain it
WRONG = SECRET + "-wrong"  # refused, and must not leak either (it contains SECRET)
VAR = "KM_TEST_TOKEN"


@pytest.fixture(scope="module")
def cloud():
    site = load_demo_site()
    # One page sync-bot may not read, so the expected counts are not simply "every page".
    hidden = next(c for c in site.content.values() if c.space == "ENG" and c.type == "page")
    site.restrict(hidden.id, users=["amoreau"])
    with Sandbox(site=site, options=SandboxOptions(flavor="cloud", api_token=SECRET)) as sb:
        yield sb


@pytest.fixture(scope="module")
def dc():
    with Sandbox(options=SandboxOptions(flavor="datacenter", dc_version="9.2.0", api_token=SECRET,
                                        pat=SECRET)) as sb:
        yield sb


def settings(sb: Sandbox, *, url: str | None = None, **fields: object) -> ConnectionSettings:
    auth = fields.pop("auth", None) or ({"username": sb.login, "api_token_env": VAR} if sb.options.cloud
                                        else {"pat_env": VAR})
    return ConnectionSettings.model_validate({"name": "t", "url": url or sb.url, "auth": auth, **fields})


def run(connection: ConnectionSettings, token: str | None = SECRET, **kwargs: object) -> diagnose.ConnectionReport:
    report = diagnose.test_connection(connection, {VAR: token} if token else {}, **kwargs)  # type: ignore[arg-type]
    assert SECRET not in report.text() and SECRET not in repr(list(report))
    return report


def only_failure(report: diagnose.ConnectionReport) -> diagnose.Check:
    """The one failed check; every check before it passed, every one after it did not run."""
    failed = [c for c in report if c.ok is False]
    assert len(failed) == 1, report.text()
    index = report.index(failed[0])
    assert all(c.ok for c in report[:index]) and all(c.ok is None for c in report[index + 1:]), report.text()
    return failed[0]


def visible_counts(sb: Sandbox) -> dict[str, int]:
    site = sb.site
    bot = site.users["sync-bot"]
    readable = [s.key for s in sorted(site.spaces.values(), key=lambda s: s.id) if site.space_allows(bot, s.key)]
    return {key: sum(1 for c in site.content.values() if c.space == key and c.type in ("page", "blogpost")
                     and c.status == "current" and site.can_view(bot, c)) for key in readable}


def km(tmp_path: Path, connection: dict, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / "km.yaml"
    config.write_text(yaml.safe_dump({"connections": [connection]}), encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k != VAR} | env
    result = subprocess.run([KM, "test-connection", *args, "--config", str(config)], env=environ,
                            capture_output=True, text=True, timeout=60)
    assert SECRET not in result.stdout + result.stderr
    return result


def expected_requests(counts: dict[str, int], size: int) -> int:
    return sum(math.ceil(n / size) + 1 for n in counts.values())


def test_cloud_with_the_right_credentials_passes_every_check(cloud, tmp_path):
    report = run(settings(cloud))
    assert report.ok and [c.name for c in report] == list(diagnose.CHECKS), report.text()
    counts = visible_counts(cloud)
    items = report.check("items")
    assert items.data["per_space"] == counts and items.data["total"] == sum(counts.values())
    assert sum(counts.values()) < sum(1 for c in cloud.site.content.values() if c.type in ("page", "blogpost"))
    assert report.check("identity").data["user"]["accountId"] == cloud.site.users["sync-bot"].account_id
    first_sync = report.check("first sync").data
    assert first_sync["page_size"] == 100 and first_sync["requests"] == expected_requests(counts, 100)
    assert first_sync["seconds"] == pytest.approx(first_sync["requests"] / 10)

    # The same through the real console script, as a user runs it.
    connection = {"name": "demo", "url": cloud.url, "auth": {"username": cloud.login, "api_token_env": VAR}}
    result = km(tmp_path, connection, {VAR: SECRET}, "demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASS") == 7 and "OK: 7 of 7 checks passed" in result.stdout
    assert f"{sum(counts.values())} pages and blog posts" in result.stdout
    assert ", ".join(f"{k} {n}" for k, n in counts.items()) in result.stdout
    assert "Confluence Cloud" in result.stdout and "KM Sync Bot" in result.stdout


def test_datacenter_with_a_personal_access_token_passes_and_shows_the_version(dc):
    report = run(settings(dc))
    assert report.ok, report.text()
    assert "Confluence Data Center 9.2.0" in report.check("deployment").detail
    assert "username sync-bot" in report.check("identity").detail
    counts = visible_counts(dc)
    assert report.check("items").data["per_space"] == counts
    # DC caps content/search at 50 per page with bodies: the estimate uses what the sync will get.
    first_sync = report.check("first sync").data
    assert first_sync["page_size"] == 50 and first_sync["requests"] == expected_requests(counts, 50)


def test_datacenter_with_user_and_password_passes_for_configured_spaces(dc):
    report = run(settings(dc, auth={"username": "sync-bot", "password_env": VAR},
                          spaces={"include": ["ENG", "OPS"]}, deployment="datacenter"))
    assert report.ok, report.text()
    assert "9.2.0" in report.check("deployment").detail
    assert report.check("spaces").data["spaces"] == ["ENG", "OPS"]
    counts = visible_counts(dc)
    assert report.check("items").data["per_space"] == {"ENG": counts["ENG"], "OPS": counts["OPS"]}


def test_missing_environment_variable_fails_before_any_request(tmp_path):
    with Sandbox(options=SandboxOptions(flavor="cloud", api_token=SECRET)) as sb:
        connection = {"name": "demo", "url": sb.url, "auth": {"username": sb.login, "api_token_env": VAR}}
        result = km(tmp_path, connection, {})
        assert sb.counters.total() == 0
    assert result.returncode == 1
    assert f"FAIL  secret        environment variable {VAR} is not set (auth.api_token_env names it)" \
        in result.stdout
    assert f"export {VAR}=<the API token>" in result.stdout
    assert result.stdout.count("not run: an earlier check failed") == 6


def test_wrong_token_is_refused_with_the_cloud_fix(cloud):
    check = only_failure(run(settings(cloud), token=WRONG))
    assert check.name == "identity" and check.detail.startswith("credentials refused: 401")
    assert "account e-mail and an API token" in check.fix and VAR in check.fix


def test_wrong_pat_on_datacenter_gets_the_pat_fix(dc):
    check = only_failure(run(settings(dc), token=WRONG))
    assert check.name == "identity" and "credentials refused" in check.detail
    assert "personal access token" in check.fix


def test_cloud_token_sent_as_bearer_gets_the_basic_auth_hint(cloud):
    check = only_failure(run(settings(cloud, auth={"pat_env": VAR})))
    assert check.name == "identity" and "Failed to parse Connect Session Auth Token" in check.detail
    assert "Cloud API tokens use Basic auth: set username to the account email" in check.fix


def test_cloud_url_without_wiki_names_the_url_to_use(cloud):
    check = only_failure(run(settings(cloud, url=cloud.root_url)))
    assert check.name == "deployment" and cloud.url in check.detail
    assert check.fix == f"set url: {cloud.url}"


def test_datacenter_url_with_an_extra_wiki_names_the_url_to_use(dc):
    check = only_failure(run(settings(dc, url=dc.url + "/wiki")))
    assert check.name == "deployment" and "no /wiki" in check.detail
    assert check.fix == f"set url: {dc.url}"


def test_declared_cloud_but_the_site_is_datacenter(dc):
    check = only_failure(run(settings(dc, deployment="cloud")))
    assert check.name == "deployment" and "the site is Confluence Data Center 9.2.0" in check.detail
    assert "set deployment: datacenter" in check.fix


def test_datacenter_with_anonymous_access_detects_an_ignored_pat():
    """CONFSERVER-98199: the invalid PAT gets a 200 as anonymous; only user/current tells."""
    site = load_demo_site()
    site.grant("HR", SpaceGrant("anonymous", None, "read"))
    with Sandbox(site=site, options=SandboxOptions(flavor="datacenter", anonymous_access=True)) as sb:
        check = only_failure(run(settings(sb)))
    assert check.name == "identity"
    assert check.detail == ("Confluence served this request as anonymous: the personal access token was not "
                            "accepted (CONFSERVER-98199)")
    assert "new personal access token" in check.fix and VAR in check.fix


def test_unknown_space_key_is_named_with_the_readable_ones(cloud):
    check = only_failure(run(settings(cloud, spaces={"include": ["ENG", "NOPE"]})))
    assert check.name == "spaces" and check.detail == "NOPE: not found or this user cannot read it"
    assert "ENG, OPS, HR" in check.fix


def test_nothing_listening_fails_reachability_with_host_and_error_class(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the test connects: nothing listens
    url = f"http://127.0.0.1:{port}/wiki"
    connection = {"name": "gone", "url": url, "auth": {"username": "a@b.example", "api_token_env": VAR}}
    result = km(tmp_path, connection, {VAR: SECRET})
    assert result.returncode == 1
    assert f"FAIL  reachability  cannot reach 127.0.0.1:{port}: ConnectError (ConnectionRefusedError)" \
        in result.stdout
    assert f"nothing listens on 127.0.0.1:{port}" in result.stdout


@pytest.mark.parametrize(("cause", "fix"), [
    (ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "SSL_CERT_FILE"),
    (socket.gaierror(-2, "Name or service not known"), "DNS does not know confluence.example.com"),
])
def test_tls_and_dns_failures_name_the_host_and_the_error_class(cause, fix):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(str(cause), request=request) from cause

    connection = ConnectionSettings.model_validate({"name": "t", "url": "https://confluence.example.com",
                                                    "auth": {"pat_env": VAR}})
    check = only_failure(run(connection, transport=httpx.MockTransport(refuse)))
    assert check.name == "reachability"
    assert check.detail.startswith(f"cannot reach confluence.example.com: ConnectError ({type(cause).__name__})")
    assert fix in check.fix


def test_configuration_errors_exit_2(cloud, tmp_path):
    connection = {"name": "demo", "url": cloud.url, "auth": {"username": cloud.login, "api_token_env": VAR}}
    result = km(tmp_path, connection, {VAR: SECRET}, "other")
    assert result.returncode == 2 and "no connection named 'other'" in result.stderr


def test_a_server_that_echoes_the_secret_cannot_leak_it_through_the_report():
    def echo(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_edge/tenant_info":
            return httpx.Response(200, json={"cloudId": "c0ffee"})
        if request.url.path.startswith("/wiki/rest/api/user/current"):
            return httpx.Response(400, json={"message": f"token {SECRET} is malformed"})
        return httpx.Response(200, text="<html></html>")

    connection = ConnectionSettings.model_validate({"name": "t", "url": "https://echo.example.com/wiki",
                                                    "auth": {"username": "bot@example.com", "api_token_env": VAR}})
    check = only_failure(run(connection, transport=httpx.MockTransport(echo)))  # run() asserts no SECRET
    assert check.name == "identity" and "token *** is malformed" in check.detail
