"""Issue 11: the Confluence site goes away in the middle of a sync's listing and comes back on the same
port with the same content. A short outage is retried through and the run completes; a long one fails the
run loudly, naming the host and the connection error, and leaves nothing partial; the next run completes.
Either way the outputs equal a clean run's: nothing lost, nothing twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import polars as pl
import pytest
from reliability_support import TOKEN_ENV, Case, assert_same_outputs, parquet_files

from km_assets.confluence import ConfluenceError
from km_assets.sandbox import Sandbox
from km_assets.sandbox.faults import FaultOptions
from km_assets.sandbox.synthetic import synthetic_site

pytestmark = pytest.mark.slow

SPACES = ["S000"]
PAGE_SIZE = 5
PAGES = 60  # a listing of a dozen requests, so "the middle of it" is observable
LATENCY = FaultOptions(seed=3, latency_ms=20)
COMPARED = ("raw_history", "articles_current", "article_metadata")
DEADLINE_S = 30.0


def listing_requests(sandbox: Sandbox) -> int:
    return sum(1 for e in list(sandbox.counters.events) if e.path.endswith("/rest/api/content/search"))


def poll(condition: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {deadline_s}s"
        time.sleep(0.005)  # a polling interval, bounded by the deadline


class Restarter(threading.Thread):
    """Stops the first sandbox once half the listing is served; starts a second one on the same port
    with the same site and credentials when `back` is set (or at once after `outage_s`)."""

    def __init__(self, first: Sandbox, outage_s: float | None) -> None:
        super().__init__(name="restarter", daemon=True)
        self.first, self.outage_s = first, outage_s
        self.back = threading.Event()
        self.second: Sandbox | None = None
        self.stopped_after = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            half = PAGES // PAGE_SIZE // 2
            poll(lambda: listing_requests(self.first) >= half, "half of the listing")
            self.first.stop()
            self.stopped_after = listing_requests(self.first)
            # The outage: how long the site stays away (a duration under test, not a readiness wait).
            self.back.wait(self.outage_s)
            self.second = Sandbox(site=self.first.site, options=self.first.options, port=self.first.port,
                                  faults=LATENCY).start()
        except BaseException as err:  # reported by the test
            self.failure = err


@pytest.fixture(scope="module")
def site():
    return synthetic_site(len(SPACES), PAGES, seed=9)


@pytest.fixture(scope="module")
def clean(site, tmp_path_factory) -> Case:
    case = Case(tmp_path_factory.mktemp("restart_clean"))
    with Sandbox(site=site, faults=LATENCY) as sandbox, pytest.MonkeyPatch.context() as patch:
        patch.setenv(TOKEN_ENV, sandbox.options.api_token)
        case.write_config(sandbox.url, sandbox.login, f"    page_size: {PAGE_SIZE}\n")
        with case.instance() as instance:
            summary = case.sync(instance, SPACES, permissions=False)
    assert summary.runs and not summary.failed
    return case


def test_a_short_outage_mid_listing_is_retried_through(site, clean, tmp_path, monkeypatch):
    first = Sandbox(site=site, faults=LATENCY).start()
    restarter = Restarter(first, outage_s=1.0)
    try:
        monkeypatch.setenv(TOKEN_ENV, first.options.api_token)
        case = Case(tmp_path / "restarted")
        case.write_config(first.url, first.login, f"    page_size: {PAGE_SIZE}\n")
        restarter.start()
        with case.instance() as instance:
            summary = case.sync(instance, SPACES, permissions=False)
        restarter.join(DEADLINE_S)
        assert restarter.failure is None, restarter.failure
        assert restarter.second is not None, "the site never came back"
        assert [(kind, ok) for kind, _, _, ok in summary.runs] == [("initial", True)]
        # The listing really was cut: the rest of it was served by the second sandbox.
        assert 0 < restarter.stopped_after < PAGES // PAGE_SIZE
        assert listing_requests(restarter.second) > 0
        assert_same_outputs(case, clean, COMPARED)
    finally:
        restarter.back.set()
        restarter.join(DEADLINE_S)
        first.stop()
        if restarter.second is not None:
            restarter.second.stop()


def test_a_long_outage_fails_the_run_loudly_and_the_rerun_completes(site, clean, tmp_path, monkeypatch):
    first = Sandbox(site=site, faults=LATENCY).start()
    restarter = Restarter(first, outage_s=None)  # back only once the run has failed
    try:
        monkeypatch.setenv(TOKEN_ENV, first.options.api_token)
        case = Case(tmp_path / "restarted")
        # Few, fast retries: the outage outlasts them.
        case.write_config(first.url, first.login, f"    page_size: {PAGE_SIZE}\n    rate_limit: {{max_retries: 2}}\n")
        restarter.start()
        with case.instance() as instance:
            with pytest.raises(ConfluenceError) as failed:
                case.sync(instance, SPACES, permissions=False)
            message = str(failed.value)
            assert f"127.0.0.1:{first.port}" in message and "ConnectError" in message, message
            assert "after 3 attempts" in message, message
            failed_runs = [r for r in instance.get_runs() if r.is_finished and not r.is_success]
            assert len(failed_runs) == 1, "the failed run is recorded as failed"
            # Nothing of the failed run is visible but its integration log, which says why it failed.
            written = parquet_files(case.root)
            log_name = f"demo/integration_runs/space={SPACES[0]}/run={failed_runs[0].run_id}.parquet"
            assert list(written) == [log_name]
            log = pl.read_parquet(case.root / log_name)
            errors = log.filter(pl.col("kind") == "error")
            assert errors.height == 1 and errors["error_class"][0] == "ConnectError", log

            restarter.back.set()
            restarter.join(DEADLINE_S)
            assert restarter.failure is None, restarter.failure
            summary = case.sync(instance, SPACES, permissions=False)
        assert [(kind, ok) for kind, _, _, ok in summary.runs] == [("initial", True)]
        assert_same_outputs(case, clean, COMPARED)
    finally:
        restarter.back.set()
        restarter.join(DEADLINE_S)
        first.stop()
        if restarter.second is not None:
            restarter.second.stop()
