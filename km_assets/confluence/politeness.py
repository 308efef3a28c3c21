"""Being polite to Confluence: a token bucket, adaptive concurrency, and reading Retry-After.

Shared by every thread of one client, so the configured rate is the rate the site sees. A 429 pauses
the whole client until its Retry-After has passed (no request of ours is sent before it expires) and
halves the concurrency; successes raise it again one step at a time (AIMD), up to the configured cap.

The limit is the site's, not one process's: `SiteTokenBucket` keeps the bucket in a small file per
site that every process on this machine locks (`km sync` syncing spaces in parallel processes, a
schedule's run next to it), so N processes together still send at the configured rate, and a 429 seen
by one pauses them all. Concurrency stays per process.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

__all__ = ["AdaptiveConcurrency", "SiteTokenBucket", "TokenBucket", "parse_retry_after", "site_bucket_path"]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date. None if absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wall_now = time.time() if now is None else now
        # HTTP dates have whole-second precision: round the wait up so we never come back early.
        return max(0.0, math.ceil(when.timestamp() - wall_now))
    return max(0.0, seconds) if math.isfinite(seconds) else None


def parse_reset(value: str | None, now: float | None = None) -> float | None:
    """X-RateLimit-Reset as an ISO 8601 time -> seconds from now."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class TokenBucket:
    """`rate` requests per second with bursts up to `burst`; `pause(seconds)` holds everyone back."""

    def __init__(self, rate: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate)
        self._tokens = self.burst
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._not_before = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0

    def pause(self, seconds: float) -> None:
        """Nobody sends before now + seconds (a Retry-After, or a slow-down before the limit)."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)
            self._tokens = min(self._tokens, 1.0)

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                if self.rate > 0:
                    self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                wait = self._not_before - now
                if wait <= 0:
                    if self.rate <= 0:
                        return
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return
                    wait = (1 - self._tokens) / self.rate
            self.waited += wait
            self._sleep(wait)


_STATE = struct.Struct("<ddd")  # tokens, last refill, not before: time.monotonic() seconds


RATE_DIR_ENV = "KM_RATE_LIMIT_DIR"


def site_bucket_path(site_url: str) -> Path:
    """Where this user's processes keep the bucket of one site (per user: a file others cannot spoil);
    $KM_RATE_LIMIT_DIR moves the folder (the test suite points it at its own temporary folder)."""
    digest = hashlib.sha256(site_url.rstrip("/").lower().encode()).hexdigest()[:24]
    folder = os.environ.get(RATE_DIR_ENV) or Path(tempfile.gettempdir()) / f"km_assets-{os.getuid()}"
    return Path(folder) / f"rate-{digest}"


class SiteTokenBucket:
    """A TokenBucket whose state lives in a file that every process locks around each take.

    time.monotonic() is one clock for all processes of a boot on Linux; a state from before a reboot
    (a refill time in the future, or a pause longer than any Retry-After we honour) is discarded.
    Each take costs an flock and 24 bytes of I/O: microseconds, against requests of milliseconds.
    """

    _STALE_PAUSE_S = 3600.0

    def __init__(self, path: Path, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate)
        self.path = path
        self.waited = 0.0
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()  # threads of this process; the flock orders the processes

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        self.close()

    def _update(self, change: Callable[[float, float, float, float], tuple[float, float, float, float]]) -> float:
        """Apply `change(tokens, last, not_before, now) -> (tokens, last, not_before, wait)` under the lock."""
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                raw = os.pread(self._fd, _STATE.size, 0)
                now = time.monotonic()
                tokens, last, not_before = _STATE.unpack(raw) if len(raw) == _STATE.size else (self.burst, now, 0.0)
                if last > now or not_before > now + self._STALE_PAUSE_S:  # written before a reboot
                    tokens, last, not_before = self.burst, now, 0.0
                tokens, last, not_before, wait = change(tokens, last, not_before, now)
                os.pwrite(self._fd, _STATE.pack(tokens, last, not_before), 0)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        return wait

    def pause(self, seconds: float) -> None:
        self._update(lambda tokens, last, not_before, now: (min(tokens, 1.0), last,
                                                            max(not_before, now + seconds), 0.0))

    def acquire(self) -> None:
        def take(tokens: float, last: float, not_before: float, now: float) -> tuple[float, float, float, float]:
            if self.rate > 0:
                tokens = min(self.burst, tokens + (now - last) * self.rate)
            if (wait := not_before - now) > 0:
                return tokens, now, not_before, wait
            if self.rate <= 0 or tokens >= 1:
                return (tokens - 1 if self.rate > 0 else tokens), now, not_before, 0.0
            return tokens, now, not_before, (1 - tokens) / self.rate

        while (wait := self._update(take)) > 0:
            self.waited += wait
            time.sleep(wait)


class AdaptiveConcurrency:
    """At most `limit` requests in flight; 429s halve the limit, successes raise it step by step."""

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self._in_flight = 0
        self._successes = 0
        self._cond = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._cond:
            while self._in_flight >= self.limit:
                self._cond.wait()
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def throttled(self) -> None:
        with self._cond:
            self.limit = max(1, self.limit // 2)
            self._successes = 0

    def succeeded(self) -> None:
        with self._cond:
            self._successes += 1
            if self.limit < self.maximum and self._successes >= self.limit * 4:
                self.limit += 1
                self._successes = 0
                self._cond.notify_all()
