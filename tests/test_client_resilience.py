"""The client against a misbehaving sandbox: every item exactly once, Retry-After honoured, nothing lost."""

from __future__ import annotations

import math

import pytest

from km_assets.config import ConnectionSettings
from km_assets.confluence import ConfluenceError, client_for, list_space_content
from km_assets.confluence.client import ClientSettings
from km_assets.confluence.deployment import Deployment
from km_assets.sandbox import Sandbox, SandboxOptions
from km_assets.sandbox.faults import FaultOptions
from km_assets.sandbox.synthetic import synthetic_site


def connection(sandbox: Sandbox, **extra) -> ConnectionSettings:
    cloud = sandbox.options.cloud
    auth = {"username": sandbox.login, ("api_token_env" if cloud else "password_env"): "KM_TEST_SECRET"}
    return ConnectionSettings.model_validate({
        "name": "t", "url": sandbox.url, "deployment": sandbox.options.flavor, "auth": auth, **extra})


def visible(sandbox: Sandbox, space: str) -> set[str]:
    site = sandbox.site
    bot = site.users[sandbox.options.api_user]
    return {c.id for c in site.content.values() if c.space == space and c.status == "current"
            and c.type in ("page", "blogpost") and site.can_view(bot, c)}


def client(sandbox: Sandbox, conn: ConnectionSettings, **settings):
    deployment = Deployment("cloud" if sandbox.options.cloud else "datacenter", sandbox.url)
    base = {"requests_per_second": 0, "max_concurrency": 4, "max_retries": 8, "backoff_base": 0.02,
            "backoff_max": 0.2}
    return client_for(conn, sandbox.options.api_token, deployment=deployment,
                      settings=ClientSettings(**{**base, **settings}), seed=7)


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_every_item_exactly_once_through_latency_429s_and_5xx(flavor):
    site = synthetic_site(2, 200, seed=3)
    faults = FaultOptions(seed=5, latency_ms=50, throttle_rate=0.1, error_rate=0.1, error_retry_after_rate=0.3)
    with Sandbox(site=site, options=SandboxOptions(flavor=flavor), faults=faults) as sandbox:
        conn = connection(sandbox, page_size=10)
        with client(sandbox, conn) as c:
            for space in sorted(site.spaces):
                ids = [row["content_id"] for row in list_space_content(c, conn, space)]
                assert len(ids) == len(set(ids)), "duplicates"
                assert set(ids) == visible(sandbox, space)
        stats = sandbox.faults_runtime.stats()
        assert stats["rate_limit"] > 0 and stats["error"] > 0, stats  # the storm really happened
        assert stats["early_retries"] == 0, "a request was sent before a Retry-After expired"
        assert c.events.count("rate_limited") == stats["rate_limit"]


def test_datacenter_caps_and_wrong_next_start_lose_nothing():
    """CONFSERVER-95272: asked for 100, DC gives 50 and says next starts at 100."""
    site = synthetic_site(1, 260, seed=1)
    with Sandbox(site=site, options=SandboxOptions(flavor="datacenter")) as sandbox:
        conn = connection(sandbox)
        space = next(iter(site.spaces))
        with client(sandbox, conn) as c:
            got = [r["id"] for r in c.paginate("/rest/api/content/search", {
                "cql": f'space = "{space}"', "expand": "body.storage", "limit": 100})]
        assert sorted(got) == sorted(visible(sandbox, space))
        assert len(got) == len(set(got))


def test_requests_for_a_full_listing_stay_near_the_minimum():
    site = synthetic_site(3, 400, seed=2)
    with Sandbox(site=site) as sandbox:
        conn = connection(sandbox, page_size=100)
        with client(sandbox, conn) as c:
            total = 0
            for space in sorted(site.spaces):
                total += sum(1 for _ in list_space_content(c, conn, space))
        minimum = sum(math.ceil(len(visible(sandbox, s)) / 100) for s in site.spaces)
        assert total == sum(len(visible(sandbox, s)) for s in site.spaces)
        assert sandbox.counters.total() <= math.ceil(minimum * 1.05)


def test_a_listing_that_keeps_failing_raises_instead_of_ending_short():
    """Elastic's paginator ended early on errors, and the next full sync deleted what it had not seen."""
    site = synthetic_site(1, 200, seed=4)
    with Sandbox(site=site) as sandbox:
        conn = connection(sandbox, page_size=50)
        space = next(iter(site.spaces))
        with client(sandbox, conn, max_retries=2) as c:
            rows = list_space_content(c, conn, space)
            first = [next(rows) for _ in range(50)]
            sandbox.set_faults(FaultOptions(drop_rate=1.0))
            with pytest.raises(ConfluenceError, match="after 3 attempts"):
                list(rows)
        assert len(first) == 50


def test_retry_after_as_http_date_is_honoured():
    site = synthetic_site(1, 60, seed=6)
    faults = FaultOptions(seed=1, throttle_rate=0.3, retry_after_format="http-date")
    with Sandbox(site=site, faults=faults) as sandbox:
        conn = connection(sandbox, page_size=10)
        space = next(iter(site.spaces))
        with client(sandbox, conn) as c:
            ids = [row["content_id"] for row in list_space_content(c, conn, space)]
        assert sorted(ids) == sorted(visible(sandbox, space))
        assert sandbox.faults_runtime.stats()["rate_limit"] > 0
        assert sandbox.faults_runtime.stats()["early_retries"] == 0


def test_client_side_rate_limit_keeps_under_the_servers_limit():
    """At 8 requests/s against a 10/s server bucket, the client never sees a 429."""
    site = synthetic_site(1, 100, seed=8)
    with Sandbox(site=site, faults=FaultOptions(rate_limit_per_s=10, burst=10)) as sandbox:
        conn = connection(sandbox, page_size=5)
        space = next(iter(site.spaces))
        with client(sandbox, conn, requests_per_second=8, burst=2) as c:
            n = sum(1 for _ in list_space_content(c, conn, space))
        assert n == len(visible(sandbox, space))
        assert sandbox.faults_runtime.stats()["rate_limit"] == 0
