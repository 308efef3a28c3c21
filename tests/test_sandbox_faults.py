"""Fault injection, over real HTTP against a running Sandbox: determinism, 429s, 5xx, drops, latency."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime

import httpx
import pytest

from km_assets.sandbox import Sandbox, SandboxOptions
from km_assets.sandbox.faults import FaultInjector, FaultOptions

SPACE = "/rest/api/space"


@contextmanager
def running(faults: FaultOptions | None = None) -> Iterator[tuple[Sandbox, httpx.Client]]:
    sandbox = Sandbox(options=SandboxOptions(flavor="cloud"), faults=faults or FaultOptions())
    with sandbox, httpx.Client(base_url=sandbox.url, auth=sandbox.basic_auth, timeout=10) as client:
        yield sandbox, client


def injector(sandbox: Sandbox) -> FaultInjector:
    assert sandbox.faults_runtime is not None
    return sandbox.faults_runtime


def outcome(client: httpx.Client, path: str = SPACE) -> int | str:
    try:
        return client.get(path).status_code
    except httpx.TransportError as exc:
        return type(exc).__name__


def test_same_seed_same_sequence_of_statuses():
    faults = FaultOptions(seed=42, error_rate=0.3, drop_rate=0.1)
    runs = []
    for _ in range(2):
        with running(faults) as (_, client):
            runs.append([outcome(client) for _ in range(30)])
    assert runs[0] == runs[1]
    assert 200 in runs[0] and any(isinstance(s, int) and s >= 500 for s in runs[0])
    assert any(isinstance(s, str) for s in runs[0])  # at least one drop
    with running(faults.with_(seed=7)) as (_, client):
        assert [outcome(client) for _ in range(30)] != runs[0]


def test_rate_limit_answers_429_with_confluence_headers():
    with running(FaultOptions(rate_limit_per_s=5, burst=5)) as (sandbox, client):
        responses = [client.get(SPACE) for _ in range(20)]
        statuses = [r.status_code for r in responses]
        assert statuses[:5] == [200] * 5
        assert statuses.count(429) >= 5  # loose: a loaded machine refills a few tokens meanwhile
        ok, limited = responses[0], next(r for r in responses if r.status_code == 429)
        assert ok.headers["X-RateLimit-Limit"] == "5" and ok.headers["X-RateLimit-Remaining"] == "4"
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.headers["X-RateLimit-Limit"] == "5"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert limited.headers["X-RateLimit-NearLimit"] == "true"
        reset = time.strptime(limited.headers["X-RateLimit-Reset"], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert reset.tm_year >= 2024
        assert limited.json()["statusCode"] == 429
        stats = injector(sandbox).stats()
        assert stats["rate_limit"] == statuses.count(429)
        assert sandbox.counters.total(route="/wiki" + SPACE, status=429) == statuses.count(429)


def test_rate_limit_http_date_is_in_the_future():
    with running(FaultOptions(rate_limit_per_s=5, burst=1, retry_after_format="http-date")) as (_, client):
        limited = next(r for r in (client.get(SPACE) for _ in range(10)) if r.status_code == 429)
        when = parsedate_to_datetime(limited.headers["Retry-After"])
        assert when.timestamp() > time.time()


def polite_get(client: httpx.Client, attempts: int = 10) -> httpx.Response:
    """What a well-behaved client does: wait exactly what Retry-After says, then try again."""
    for _ in range(attempts):
        response = client.get(SPACE)
        if response.status_code != 429:
            return response
        time.sleep(int(response.headers["Retry-After"]))
    raise AssertionError("still throttled")


def test_client_that_honours_retry_after_is_never_early():
    with running(FaultOptions(rate_limit_per_s=5, burst=5)) as (sandbox, client):
        assert all(polite_get(client).status_code == 200 for _ in range(12))
        stats = injector(sandbox).stats()
        assert stats["rate_limit"] >= 1  # it was throttled, and still never early
        assert stats["early_retries"] == 0


def test_client_that_retries_at_once_is_counted_early():
    with running(FaultOptions(rate_limit_per_s=1, burst=1)) as (sandbox, client):
        statuses = [client.get(SPACE).status_code for _ in range(2)]
        assert statuses == [200, 429]
        assert injector(sandbox).early_retries == 0
        time.sleep(0.2)  # the client under test waits, but far less than Retry-After (1 s)
        client.get(SPACE)
        assert injector(sandbox).early_retries >= 1


def test_a_request_already_in_flight_when_the_429_left_is_not_early():
    """Another thread's request sent before the 429 could be read is not the client ignoring it."""
    with running(FaultOptions(rate_limit_per_s=1, burst=1)) as (sandbox, client):
        assert [client.get(SPACE).status_code for _ in range(2)] == [200, 429]
        client.get(SPACE)  # within the tolerance of the announcement: a race, not a retry
        assert injector(sandbox).early_retries == 0


def test_error_rate_gives_confluence_like_5xx():
    with running(FaultOptions(seed=1, error_rate=1.0)) as (sandbox, client):
        responses = [client.get(SPACE) for _ in range(12)]
        assert all(r.status_code in (500, 502, 503, 504) for r in responses)
        for r in responses:
            body = r.json()
            assert body["statusCode"] == r.status_code and body["message"]
        assert len({r.status_code for r in responses}) > 1
        assert injector(sandbox).stats()["error"] == 12
        events = [e for e in sandbox.counters.events if e.fault == "error"]
        assert len(events) == 12 and {e.status for e in events} == {r.status_code for r in responses}


def test_drop_rate_makes_the_client_see_a_vanished_server():
    with running(FaultOptions(drop_rate=1.0)) as (sandbox, client):
        for _ in range(3):
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                client.get(SPACE)
        assert injector(sandbox).stats()["drop"] == 3
        assert sandbox.counters.total(route="/wiki" + SPACE, status=0) == 3
        sandbox.set_faults(FaultOptions())  # the storm ends; the server is fine
        assert client.get(SPACE).status_code == 200


def test_latency_delays_the_answer():
    with running(FaultOptions(latency_ms=100, jitter_ms=20)) as (sandbox, client):
        client.get(SPACE)  # connect first, so only the injected delay is measured
        started = time.monotonic()
        assert client.get(SPACE).status_code == 200
        elapsed = time.monotonic() - started
        assert 0.1 <= elapsed < 2.0
        assert injector(sandbox).stats()["latency"] == 2


def test_slow_body_delivers_the_full_body_in_pieces():
    path = "/rest/api/content/search"
    params = {"cql": "type=page", "limit": 50, "expand": "body.storage"}
    with running() as (sandbox, client):
        expected = client.get(path, params=params).content
        assert len(expected) > 20_000
        sandbox.set_faults(FaultOptions(slow_body_rate=1.0, slow_body_bytes_per_s=100_000))
        started = time.monotonic()
        with client.stream("GET", path, params=params) as response:
            chunks = list(response.iter_raw())
        elapsed = time.monotonic() - started
        assert b"".join(chunks) == expected
        assert len(chunks) > 3
        assert elapsed >= 0.8 * len(expected) / 100_000
        assert injector(sandbox).stats()["slow_body"] == 1


def test_admin_and_edge_paths_are_never_faulted():
    storm = FaultOptions(error_rate=1.0, drop_rate=1.0, rate_limit_per_s=1, burst=1, latency_ms=0)
    with running(storm) as (sandbox, client):
        for _ in range(5):
            assert client.get(sandbox.root_url + "/_edge/tenant_info").status_code == 200
            assert client.get(sandbox.root_url + "/__sandbox__/status").status_code < 500
        assert injector(sandbox).stats() == dict.fromkeys(injector(sandbox).stats(), 0)
        assert not [e for e in sandbox.counters.events if e.fault]


def test_only_paths_restricts_the_faults():
    with running(FaultOptions(error_rate=1.0, only_paths=("/wiki/rest/api/content",))) as (_, client):
        assert client.get(SPACE).status_code == 200
        assert client.get("/rest/api/content").status_code >= 500


def test_storm_can_start_mid_run_and_options_are_validated():
    with running() as (sandbox, client):
        assert client.get(SPACE).status_code == 200
        sandbox.set_faults(FaultOptions(error_rate=1.0))
        assert client.get(SPACE).status_code >= 500
        assert sandbox.faults.error_rate == 1.0
    with pytest.raises(ValueError):
        FaultOptions(error_rate=1.5)
    assert FaultOptions(rate_limit_per_s=0.5).effective_burst == 1
