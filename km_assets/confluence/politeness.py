"""Being polite to Confluence: a token bucket, adaptive concurrency, and reading Retry-After.

Shared by every thread of one client, so the configured rate is the rate the site sees. A 429 pauses
the whole client until its Retry-After has passed (no request of ours is sent before it expires) and
halves the concurrency; successes raise it again one step at a time (AIMD), up to the configured cap.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["AdaptiveConcurrency", "TokenBucket", "parse_retry_after"]


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
