"""Deterministic fault injection for the sandbox, as pure ASGI middleware around the Starlette app.

`FaultInjector(app, FaultOptions(...), counters)` adds latency, a global token-bucket rate limit that
answers like Confluence Cloud (429 + Retry-After + X-RateLimit-*), 5xx errors, dropped connections and
slow bodies. Every random decision comes from one `random.Random(seed)`, drawn a fixed number of times
per eligible request, so a run is reproducible given the same request order whichever faults are on.

It also polices the client: a request that arrives before an announced Retry-After has expired is
counted in `early_retries`, because ignoring 429 was connectors' top complaint (elastic#2403, CME#17).
The deadline is global, like the bucket: after a 429 no request of that client should arrive early.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any, Literal

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .http import RequestCounters, error

__all__ = ["FaultInjector", "FaultOptions"]

# Never faulted: the sandbox's own admin API and Cloud's tenant_info edge call, so tests can always
# steer and inspect a sandbox in the middle of a storm.
_EXEMPT_PREFIXES = ("/__sandbox__", "/_edge")
_ERROR_STATUSES = (500, 502, 503, 504)
_ERROR_TEXT = {500: ("Internal server error", "Internal Server Error"),
               502: ("Bad gateway: the upstream Confluence node did not answer", "Bad Gateway"),
               503: ("Service unavailable: Confluence is overloaded, try again later", "Service Unavailable"),
               504: ("Gateway timeout: the upstream Confluence node took too long", "Gateway Timeout")}
FAULT_KINDS = ("latency", "rate_limit", "error", "drop", "slow_body")


@dataclass(frozen=True)
class FaultOptions:
    """What to inject. Everything is off by default, so `FaultOptions()` is a transparent pass-through."""

    seed: int = 0
    latency_ms: float = 0.0  # added to every eligible request
    jitter_ms: float = 0.0  # plus uniform [0, jitter_ms)
    rate_limit_per_s: float = 0.0  # token refill rate; 0 = no rate limit
    burst: int | None = None  # bucket size; None = max(1, rate_limit_per_s)
    retry_after_format: Literal["seconds", "http-date"] = "seconds"
    throttle_rate: float = 0.0  # share of requests answered 429 whatever the bucket says (Cloud's cost limits)
    throttle_retry_after_s: float = 1.0
    error_rate: float = 0.0  # share of requests answered 500/502/503/504
    error_retry_after_rate: float = 0.5  # share of injected 503s that carry Retry-After
    error_retry_after_s: int = 1
    drop_rate: float = 0.0  # share of requests whose connection is closed without any response
    slow_body_rate: float = 0.0  # share of responses whose body is trickled
    slow_body_bytes_per_s: int = 16_384
    only_paths: tuple[str, ...] = ()  # path prefixes to fault (empty = all), matched on the raw path
    early_retry_tolerance_s: float = 0.05  # clock slack before an arrival counts as an early retry

    def __post_init__(self) -> None:
        for name in ("error_rate", "error_retry_after_rate", "drop_rate", "slow_body_rate", "throttle_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {getattr(self, name)}")
        for name in ("latency_ms", "jitter_ms", "rate_limit_per_s", "early_retry_tolerance_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.slow_body_bytes_per_s <= 0:
            raise ValueError("slow_body_bytes_per_s must be positive")
        if self.burst is not None and self.burst < 1:
            raise ValueError("burst must be at least 1")
        if self.retry_after_format not in ("seconds", "http-date"):
            raise ValueError(f"retry_after_format must be 'seconds' or 'http-date', got {self.retry_after_format!r}")

    @property
    def effective_burst(self) -> int:
        return self.burst if self.burst is not None else max(1, int(self.rate_limit_per_s))

    def with_(self, **changes: Any) -> FaultOptions:
        return replace(self, **changes)


@dataclass(frozen=True)
class _Draws:
    """One request's random numbers, always all drawn so the stream advances the same per request."""

    drop: float
    error: float
    error_kind: float
    error_retry_after: float
    slow: float
    jitter: float
    throttle: float


class _TokenBucket:
    """Global bucket; callers hold the injector's lock."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self, now: float) -> tuple[bool, float]:
        """(granted, seconds until the next token if refused)."""
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True, 0.0
        return False, (1.0 - self.tokens) / self.rate

    @property
    def remaining(self) -> int:
        return int(self.tokens)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FaultInjector:
    """ASGI middleware. Safe to reconfigure and read from other threads while the server runs."""

    def __init__(self, app: ASGIApp, options: FaultOptions | None = None,
                 counters: RequestCounters | None = None) -> None:
        self.app = app
        self.counters = counters if counters is not None else RequestCounters()
        # A threading lock, not an asyncio one: tests read stats and swap options from their own thread.
        # It is never held across an await.
        self._lock = threading.Lock()
        self._stats = dict.fromkeys((*FAULT_KINDS, "early_retries", "eligible"), 0)
        self._retry_deadline = 0.0  # monotonic time before which no request should arrive
        # When the latest Retry-After left the server. A request arriving within the tolerance after it
        # was already on its way (another thread of the client sent it before the 429 arrived).
        self._announced_at = 0.0
        self.set_options(options or FaultOptions())

    # -- runtime control -------------------------------------------------------------------------

    @property
    def options(self) -> FaultOptions:
        return self._options

    def set_options(self, options: FaultOptions) -> None:
        """Swap faults mid-run (start or end a storm). Reseeds the RNG and refills the bucket; keeps stats
        and the announced Retry-After deadline, since the client was told to wait whatever we do now."""
        with self._lock:
            self._options = options
            self._rng = random.Random(options.seed)
            self._bucket = (_TokenBucket(options.rate_limit_per_s, options.effective_burst)
                            if options.rate_limit_per_s > 0 else None)

    @property
    def early_retries(self) -> int:
        with self._lock:
            return self._stats["early_retries"]

    def stats(self) -> dict[str, int]:
        """Counts per fault kind, plus early_retries and eligible (requests the faults applied to)."""
        with self._lock:
            return dict(self._stats)

    def reset_stats(self) -> None:
        with self._lock:
            self._stats = dict.fromkeys(self._stats, 0)
            self._retry_deadline = 0.0
            self._announced_at = 0.0

    # -- ASGI ------------------------------------------------------------------------------------

    def eligible(self, path: str) -> bool:
        if path.startswith(_EXEMPT_PREFIXES):
            return False
        only = self._options.only_paths
        return not only or path.startswith(only)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.eligible(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        now = time.monotonic()
        with self._lock:
            opts, bucket = self._options, self._bucket
            self._stats["eligible"] += 1
            tolerance = opts.early_retry_tolerance_s
            if self._announced_at + tolerance <= now < self._retry_deadline - tolerance:
                self._stats["early_retries"] += 1
            rng = self._rng
            draws = _Draws(*(rng.random() for _ in range(7)))
            granted, wait = bucket.take(now) if bucket is not None else (True, 0.0)
            if granted and draws.throttle < opts.throttle_rate:
                granted, wait = False, opts.throttle_retry_after_s
            remaining = bucket.remaining if bucket is not None else 0

        delay = (opts.latency_ms + draws.jitter * opts.jitter_ms) / 1000.0
        if delay > 0:
            self._count("latency")
            await asyncio.sleep(delay)  # never time.sleep: the whole sandbox shares this loop
        throttled_headers = None
        if not granted:
            # Announced as the answer leaves, so the promised wait starts when the client can read it.
            with self._lock:
                throttled_headers = self._announce_locked(opts, time.monotonic(), max(0.0, wait - delay),
                                                          rate_limited=True)

        if throttled_headers is not None:
            self._count("rate_limit")
            await self._answer(scope, receive, send, 429, "rate_limit",
                               "Rate limit exceeded. Please retry after the time given in Retry-After.",
                               "Too Many Requests", throttled_headers)
            return
        if draws.drop < opts.drop_rate:
            self._count("drop")
            self.counters.add(Request(scope), scope["path"], 0, fault="drop")  # 0: no response at all
            await _drop_connection(receive, send)
            return
        if draws.error < opts.error_rate:
            self._count("error")
            status = _ERROR_STATUSES[min(int(draws.error_kind * len(_ERROR_STATUSES)), 3)]
            headers: dict[str, str] = {}
            if status == 503 and draws.error_retry_after < opts.error_retry_after_rate:
                with self._lock:
                    headers = self._announce_locked(opts, time.monotonic(), opts.error_retry_after_s,
                                                    rate_limited=False)
            message, reason = _ERROR_TEXT[status]
            await self._answer(scope, receive, send, status, "error", message, reason, headers)
            return

        if bucket is not None:
            send = _with_headers(send, self._limit_headers(opts, remaining))
        if draws.slow < opts.slow_body_rate:
            self._count("slow_body")
            send = _slow_body(send, opts.slow_body_bytes_per_s)
        await self.app(scope, receive, send)

    # -- helpers ---------------------------------------------------------------------------------

    def _count(self, kind: str) -> None:
        with self._lock:
            self._stats[kind] += 1

    def _limit_headers(self, opts: FaultOptions, remaining: int) -> dict[str, str]:
        burst = opts.effective_burst
        headers = {"X-RateLimit-Limit": str(burst), "X-RateLimit-Remaining": str(remaining),
                   # Data Center's admin rate limits also say how the bucket refills.
                   "X-RateLimit-Interval-Seconds": "1", "X-RateLimit-FillRate": f"{opts.rate_limit_per_s:g}"}
        if remaining < 0.2 * burst:
            headers["X-RateLimit-NearLimit"] = "true"
        return headers

    def _announce_locked(self, opts: FaultOptions, now: float, wait: float,
                         *, rate_limited: bool) -> dict[str, str]:
        """Build Retry-After for a wait and remember the deadline it promises (caller holds the lock)."""
        wall = time.time()
        if opts.retry_after_format == "http-date":
            # HTTP dates have whole-second resolution: round the date up, so a client that waits until
            # it is never early, and derive the deadline from the date actually announced.
            announced = float(math.ceil(wall + max(1.0, wait)))
            retry_after = formatdate(announced, usegmt=True)
            deadline = now + (announced - wall)
        else:
            seconds = max(1, math.ceil(wait))
            retry_after = str(seconds)
            announced, deadline = wall + seconds, now + seconds
        self._retry_deadline = max(self._retry_deadline, deadline)
        self._announced_at = now
        headers = {"Retry-After": retry_after}
        if rate_limited:
            headers |= self._limit_headers(opts, 0)
            headers["X-RateLimit-Reset"] = _iso(announced)
        return headers

    async def _answer(self, scope: Scope, receive: Receive, send: Send, status: int, fault: str,
                      message: str, reason: str, headers: dict[str, str]) -> None:
        response = error(status, message, reason)
        for name, value in headers.items():
            response.headers[name] = value
        self.counters.add(Request(scope), scope["path"], status, fault=fault)
        await response(scope, receive, send)


def _with_headers(send: Send, headers: dict[str, str]) -> Send:
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)
    return wrapped


def _slow_body(send: Send, bytes_per_s: int) -> Send:
    """Trickle each body message in small chunks; the bytes and Content-Length stay exactly the app's."""
    chunk = max(1, min(4096, bytes_per_s // 20))  # ~20 writes a second: slow, yet not a syscall per byte

    async def wrapped(message: Message) -> None:
        body = message.get("body", b"")
        if message["type"] != "http.response.body" or not body:
            await send(message)
            return
        for start in range(0, len(body), chunk):
            piece = body[start:start + chunk]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            await asyncio.sleep(len(piece) / bytes_per_s)
        if not message.get("more_body", False):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    return wrapped


async def _drop_connection(receive: Receive, send: Send) -> None:
    """Close the TCP connection before any response byte, so the client sees the server vanish.

    ASGI has no "abort", and raising before http.response.start makes uvicorn answer 500. Uvicorn's
    receive is a bound method of its request cycle, which holds the transport: close that, then wait for
    the http.disconnect it causes, so uvicorn knows the peer is gone and does not add its own 500.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "close"):
        # Another server: the next best thing is a response cut short, which also fails the client.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        return
    transport.close()

    async def until_disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(until_disconnected(), timeout=2.0)
