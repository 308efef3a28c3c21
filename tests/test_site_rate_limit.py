"""One rate limit per Confluence site across processes (SiteTokenBucket)."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from km_assets.config import ConnectionSettings
from km_assets.confluence.connect import client_for
from km_assets.confluence.politeness import _STATE, SiteTokenBucket, TokenBucket, site_bucket_path


def _take(path: str, rate: float, count: int, stamps) -> None:
    bucket = SiteTokenBucket(Path(path), rate, burst=1)
    for _ in range(count):
        bucket.acquire()
        stamps.put(time.monotonic())


def _stamps_of(processes: int, path: Path, rate: float, count: int) -> list[float]:
    ctx = multiprocessing.get_context("fork")
    stamps = ctx.Queue()
    workers = [ctx.Process(target=_take, args=(str(path), rate, count, stamps)) for _ in range(processes)]
    for w in workers:
        w.start()
    got = sorted(stamps.get(timeout=30) for _ in range(processes * count))
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    return got


def test_two_processes_share_one_rate(tmp_path: Path) -> None:
    # 2 x 10 takes at 20/s with a burst of 1: together at least 19 gaps of 50 ms, where two private
    # buckets would finish in about half that.
    got = _stamps_of(2, tmp_path / "bucket", 20.0, 10)
    assert got[-1] - got[0] >= 19 / 20 * 0.9
    # ... and no second of the run saw more than the rate (plus the one-token burst).
    for i, start in enumerate(got):
        assert sum(1 for t in got[i:] if t < start + 1.0) <= 21


def test_private_buckets_would_double_the_rate(tmp_path: Path) -> None:
    # The control for the test above: separate files are separate budgets.
    ctx = multiprocessing.get_context("fork")
    stamps = ctx.Queue()
    workers = [ctx.Process(target=_take, args=(str(tmp_path / f"b{i}"), 20.0, 10, stamps)) for i in range(2)]
    for w in workers:
        w.start()
    got = sorted(stamps.get(timeout=30) for _ in range(20))
    for w in workers:
        w.join(timeout=30)
    assert got[-1] - got[0] < 19 / 20 * 0.8


def test_a_pause_in_one_process_holds_the_others(tmp_path: Path) -> None:
    path = tmp_path / "bucket"
    SiteTokenBucket(path, 100.0).pause(1.0)  # a Retry-After seen by another process
    started = time.monotonic()
    got = _stamps_of(1, path, 100.0, 1)
    assert got[0] - started >= 0.9


def test_a_state_from_before_a_reboot_is_discarded(tmp_path: Path) -> None:
    path = tmp_path / "bucket"
    path.write_bytes(_STATE.pack(0.0, time.monotonic() + 1e6, time.monotonic() + 1e7))
    bucket = SiteTokenBucket(path, 10.0)
    started = time.monotonic()
    bucket.acquire()
    assert time.monotonic() - started < 0.5
    assert bucket.waited == 0


def test_client_for_shares_per_site_unless_told_not_to() -> None:
    def conn(url: str, shared: bool = True) -> ConnectionSettings:
        return ConnectionSettings.model_validate({
            "name": "c", "url": url, "deployment": "datacenter",
            "auth": {"username": "u", "api_token_env": "X"}, "rate_limit": {"shared": shared}})

    one, two = client_for(conn("http://127.0.0.1:1/wiki"), "s"), client_for(conn("http://127.0.0.1:1/wiki/"), "s")
    other = client_for(conn("http://127.0.0.1:2/wiki"), "s")
    with one, two, other:
        assert isinstance(one.bucket, SiteTokenBucket)
        assert one.bucket.path == two.bucket.path == site_bucket_path("http://127.0.0.1:1/wiki")
        assert other.bucket.path != one.bucket.path
        assert oct(one.bucket.path.stat().st_mode & 0o777) == "0o600"
    with client_for(conn("http://127.0.0.1:1/wiki", shared=False), "s") as private:
        assert isinstance(private.bucket, TokenBucket)


def test_no_limit_never_waits(tmp_path: Path) -> None:
    bucket = SiteTokenBucket(tmp_path / "bucket", 0.0)
    started = time.monotonic()
    for _ in range(200):
        bucket.acquire()
    assert time.monotonic() - started < 1.0 and bucket.waited == 0
