"""A Confluence REST client over httpx: polite, retrying, and never ending a listing early.

- Every request passes one token bucket and one adaptive concurrency limit shared by all threads.
- 429: the whole client pauses for Retry-After (seconds or HTTP date; else X-RateLimit-Reset; else
  backoff) and halves its concurrency. 5xx, timeouts and dropped connections: exponential backoff with
  full jitter. After `max_retries`, a typed error: a listing fails loudly rather than ending short
  (Elastic's paginator stopped silently and a later full sync deleted what it had not seen).
- v1 offset paging recomputes `start` as previous start + results returned: Data Center caps page
  sizes silently and may report a wrong `start` in `next` (CONFSERVER-95272). Cursor links (Cloud
  search, v2) are followed as given. Only a missing `next` or an empty page ends a listing.
"""

from __future__ import annotations

import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

from .deployment import Deployment
from .errors import (
    AuthenticationError,
    ConfluenceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)
from .events import RATE_LIMIT_HEADERS, EventLog
from .politeness import AdaptiveConcurrency, SiteTokenBucket, TokenBucket, parse_reset, parse_retry_after

__all__ = ["CONTENT_EXPAND", "ClientSettings", "ConfluenceClient"]

T = TypeVar("T")
R = TypeVar("R")

# One listing brings everything raw_content keeps, so no item needs a second request.
CONTENT_EXPAND = ",".join([
    "body.storage", "version", "history", "space", "ancestors", "metadata.labels",
    "restrictions.read.restrictions.user", "restrictions.read.restrictions.group",
])
_RETRY_STATUSES = {500, 502, 503, 504}


@dataclass(frozen=True)
class ClientSettings:
    requests_per_second: float = 10.0
    burst: float | None = None
    max_concurrency: int = 4
    max_retries: int = 8
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    timeout: float = 30.0


class ConfluenceClient:
    """One connection to one site. `base_url` is the site URL: Cloud's ends in /wiki."""

    @property
    def kind(self) -> str:
        """cloud | datacenter: detected, else as declared; unknown counts as Data Center, whose page-size
        caps are the stricter (asking Cloud for Data Center's sizes costs requests, not items)."""
        if self.deployment is not None:
            return self.deployment.kind
        return self.declared_kind or "datacenter"

    def __init__(self, base_url: str, auth: httpx.Auth | None, *, settings: ClientSettings | None = None,
                 events: EventLog | None = None, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 seed: int | None = None, deployment: Deployment | None = None,
                 declared_kind: str | None = None, bucket: TokenBucket | SiteTokenBucket | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.deployment = deployment
        self.declared_kind = declared_kind  # "cloud" | "datacenter" as km.yaml says, when not detected
        self.settings = settings or ClientSettings()
        self.events = events or EventLog("confluence")
        self._sleep = sleep
        self._random = random.Random(seed)
        # `bucket`: a SiteTokenBucket shares the site's rate with this machine's other processes.
        self.bucket = bucket or TokenBucket(self.settings.requests_per_second, self.settings.burst, clock=clock,
                                            sleep=sleep)
        self.concurrency = AdaptiveConcurrency(self.settings.max_concurrency)
        limits = httpx.Limits(max_connections=self.settings.max_concurrency * 2,
                              max_keepalive_connections=self.settings.max_concurrency * 2)
        self._http = httpx.Client(auth=auth, timeout=self.settings.timeout, transport=transport, limits=limits,
                                  headers={"Accept": "application/json"}, follow_redirects=False)
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self.requests_made = 0

    @classmethod
    def basic(cls, base_url: str, username: str, secret: str, **kwargs: Any) -> ConfluenceClient:
        return cls(base_url, httpx.BasicAuth(username, secret), **kwargs)

    def close(self) -> None:
        self._http.close()
        if isinstance(self.bucket, SiteTokenBucket):
            self.bucket.close()

    def __enter__(self) -> ConfluenceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never shows credentials
        return f"ConfluenceClient({self.base_url!r})"

    def url(self, path_or_url: str) -> str:
        return path_or_url if path_or_url.startswith(("http://", "https://")) else self.base_url + path_or_url

    # -- one request, politely ------------------------------------------------------------------
    def request(self, method: str, path_or_url: str, *, params: Any = None, json: Any = None,
                stream: bool = False, follow_redirects: bool = False) -> httpx.Response:
        url = self.url(path_or_url)
        request = self._http.build_request(method, url, params=params, json=json)
        attempts = self.settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            self.bucket.acquire()
            started = time.monotonic()
            with self.concurrency.slot():
                try:
                    response = self._http.send(request, stream=stream, follow_redirects=follow_redirects)
                except httpx.TransportError as err:
                    response = None
                    failure: Exception = err
            latency = (time.monotonic() - started) * 1000
            with self._lock:
                self.requests_made += 1
            if response is None:
                if (tls := _tls_failure(failure)) is not None:  # a certificate will not fix itself: no retry
                    self._raise_tls(request, method, latency, failure, tls)
                self._retry_or_raise(attempt, attempts, str(request.url), method, latency, failure)
                continue
            self._observe_limits(response)
            status = response.status_code
            if status == 429 or status in _RETRY_STATUSES:
                if stream:
                    response.close()
                self._throttle_or_raise(attempt, attempts, response, method, latency)
                continue
            self.concurrency.succeeded()
            self._record_success(response, method, attempt, latency)
            if status >= 400:
                if stream:
                    response.read()
                _raise_for_status(response)
            return response
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
        return self._random.uniform(ceiling / 2, ceiling)

    def _retry_or_raise(self, attempt: int, attempts: int, url: str, method: str, latency: float,
                        failure: Exception) -> None:
        kind = "retry" if attempt < attempts else "error"
        self.events.record(kind, url=url, method=method, attempt=attempt, latency_ms=latency,
                           error_class=type(failure).__name__, message=str(failure))
        if attempt >= attempts:
            raise ConfluenceError(f"{method} {url}: {type(failure).__name__} after {attempt} attempts: {failure}",
                                  url=url) from None
        self._sleep(self._backoff(attempt))

    def _raise_tls(self, request: httpx.Request, method: str, latency: float, failure: Exception,
                   tls: ssl.SSLError) -> None:
        url, host = str(request.url), request.url.netloc.decode("ascii", "replace")
        reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or str(tls)
        self.events.record("error", url=url, method=method, attempt=1, latency_ms=latency,
                           error_class=type(failure).__name__, message=f"TLS: {reason}")
        raise ConfluenceError(
            f"{method} {url}: TLS with {host} failed ({type(tls).__name__}: {reason}). If the site uses an "
            "internal CA, point SSL_CERT_FILE at its bundle; check that the URL's scheme (http/https) matches "
            "the port.", url=url) from None

    def _throttle_or_raise(self, attempt: int, attempts: int, response: httpx.Response, method: str,
                           latency: float) -> None:
        status, url = response.status_code, str(response.request.url)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if status == 429:
            delay = retry_after if retry_after is not None else parse_reset(response.headers.get("x-ratelimit-reset"))
            delay = delay if delay is not None else self._backoff(attempt)
            self.concurrency.throttled()
            self.bucket.pause(delay)  # every thread waits, not only this one
        else:
            delay = retry_after if retry_after is not None else self._backoff(attempt)
            if retry_after is not None:
                self.bucket.pause(delay)
        last = attempt >= attempts
        self.events.record("rate_limited" if status == 429 else ("error" if last else "retry"), url=url,
                           method=method, status=status, attempt=attempt, latency_ms=latency,
                           bytes=_body_size(response), rate_limit=_limit_headers(response),
                           message=f"waiting {delay:.2f}s" if not last else "retries exhausted")
        if last:
            error = RateLimitedError if status == 429 else ServerError
            raise error(f"{status} from {url} after {attempt} attempts{_html_hint(response)}", status=status,
                        url=url)
        if status != 429 and retry_after is None:
            self._sleep(delay)

    def _observe_limits(self, response: httpx.Response) -> None:
        """Slow down before the limit: Cloud says NearLimit, DC says how much of the bucket remains."""
        headers = response.headers
        near = headers.get("x-ratelimit-nearlimit", "").lower() == "true"
        try:
            remaining = int(headers.get("x-ratelimit-remaining", ""))
            limit = int(headers.get("x-ratelimit-limit", ""))
            near = near or (limit > 0 and remaining <= max(1, limit // 10))
        except ValueError:
            pass
        if near and response.status_code != 429 and self.settings.requests_per_second > 0:
            self.bucket.pause(1.0 / self.settings.requests_per_second)

    def _record_success(self, response: httpx.Response, method: str, attempt: int, latency: float) -> None:
        size = int(response.headers.get("content-length") or 0) or None
        self.events.record("request", url=str(response.request.url), method=method, status=response.status_code,
                           attempt=attempt, latency_ms=latency, bytes=size, rate_limit=_limit_headers(response))
        for header in ("deprecation", "warning"):
            value = response.headers.get(header)
            if value and (header == "deprecation" or value.startswith("299")) and value not in self._warned:
                self._warned.add(value)  # once per distinct notice, not once per request
                self.events.record("warning", url=str(response.request.url), method=method,
                                   status=response.status_code, message=f"{header}: {value}")

    # -- JSON and listings ----------------------------------------------------------------------
    def get_json(self, path_or_url: str, params: Any = None) -> dict:
        response = self.request("GET", path_or_url, params=params)
        return _json_object(response)

    def post_json(self, path_or_url: str, body: Any) -> dict:
        return _json_object(self.request("POST", path_or_url, json=body))

    def paginate(self, path: str, params: dict[str, Any]) -> Iterator[dict]:
        """Every result of a v1 listing (offset or cursor style)."""
        params = dict(params)
        start = int(params.get("start", 0))
        body = self.get_json(path, params)
        while True:
            results = body.get("results") or []
            yield from results
            links = body.get("_links") or {}
            next_link = links.get("next")
            if not next_link or not results:
                return
            if "cursor" in dict(parse_qsl(urlsplit(next_link).query)):
                body = self.get_json(self._join(links, next_link))
            else:
                # Trust our own arithmetic, not the `start` in `next` (CONFSERVER-95272).
                start += len(results)
                body = self.get_json(path, {**params, "start": start})

    def paginate_v2(self, path: str, params: dict[str, Any]) -> Iterator[dict]:
        """Every result of a v2 listing: cursor only, from `_links.next` or the Link header."""
        response = self.request("GET", path, params=params)
        while True:
            body = _json_object(response)
            results = body.get("results") or []
            yield from results
            next_link = (body.get("_links") or {}).get("next") or _link_header_next(response)
            if not next_link or not results:
                return
            response = self.request("GET", self._join_v2(next_link))

    def _join(self, links: dict, next_link: str) -> str:
        if next_link.startswith(("http://", "https://")):
            return next_link
        base = (links.get("base") or self.base_url).rstrip("/")
        return urljoin(base + "/", next_link.lstrip("/"))

    def _join_v2(self, next_link: str) -> str:
        """v2 links carry the context (/wiki/api/v2/...): join them onto the origin and any gateway prefix."""
        if next_link.startswith(("http://", "https://")):
            return next_link
        parts = urlsplit(self.base_url)
        prefix = parts.path.rstrip("/")
        if next_link.startswith("/wiki/") and prefix.endswith("/wiki"):
            prefix = prefix.removesuffix("/wiki")
        return f"{parts.scheme}://{parts.netloc}{prefix}{next_link}"

    # -- concurrency ----------------------------------------------------------------------------
    def map_concurrently(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """(item, fn(item)) as each finishes, at most max_concurrency at once; the first error propagates."""
        with ThreadPoolExecutor(max_workers=self.settings.max_concurrency, thread_name_prefix="km-conf") as pool:
            pending: dict[Future, T] = {}
            iterator = iter(items)
            for item in iterator:
                pending[pool.submit(fn, item)] = item
                if len(pending) >= self.settings.max_concurrency * 2:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    item = pending.pop(future)
                    try:
                        result = future.result()
                    except BaseException:
                        for other in pending:
                            other.cancel()
                        raise
                    yield item, result
                    nxt = next(iterator, _DONE)
                    if nxt is not _DONE:
                        pending[pool.submit(fn, nxt)] = nxt


_DONE = object()


def _limit_headers(response: httpx.Response) -> dict[str, str]:
    return {h: response.headers[h] for h in RATE_LIMIT_HEADERS if h in response.headers}


def _body_size(response: httpx.Response) -> int | None:
    """The body's size: read, or as declared. A streamed answer (a download) that was a 429 or a 5xx
    is closed unread, and asking for its content then would raise instead of retrying."""
    try:
        return len(response.content)
    except httpx.ResponseNotRead:
        declared = response.headers.get("content-length", "")
        return int(declared) if declared.isdigit() else None


def _link_header_next(response: httpx.Response) -> str | None:
    link = response.links.get("next") if response.headers.get("link") else None
    return link.get("url") if link else None


def _tls_failure(err: BaseException) -> ssl.SSLError | None:
    """The TLS error under an httpx connection error (certificate refused, not TLS at all), if that is it."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _is_html(response: httpx.Response) -> bool:
    return "html" in response.headers.get("content-type", "").lower()


def _html_hint(response: httpx.Response) -> str:
    return (" (an HTML page, not Confluence's JSON: a proxy or gateway in front of the site answered)"
            if _is_html(response) else "")


def _json_object(response: httpx.Response) -> dict:
    url = str(response.request.url)
    try:
        body = response.json()
    except ValueError as err:
        kind = response.headers.get("content-type", "unknown content type")
        if "json" in kind.lower():
            # Confluence said JSON, and it does not parse: cut short on the way (a proxy, a dropped stream).
            raise UnexpectedResponseError(
                f"{response.request.method} {url} answered {response.status_code} with {kind} that is not valid "
                f"JSON ({err}; {len(response.content)} bytes received): the response was truncated or "
                "corrupted on the way", status=response.status_code, url=url) from None
        raise UnexpectedResponseError(
            f"{response.request.method} {url} answered {response.status_code} with {kind}, not JSON; "
            "is the URL a Confluence site (or a proxy's login page)?", status=response.status_code,
            url=url) from None
    if not isinstance(body, dict):
        raise UnexpectedResponseError(f"{url} answered a JSON {type(body).__name__}, expected an object",
                                      status=response.status_code, url=url)
    return body


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    url = str(response.request.url)
    detail = _server_message(response)
    if status == 401:
        raise AuthenticationError(
            f"401 from {url}: credentials refused{detail}. Cloud wants the account e-mail as username and an "
            "API token; Server/DC wants a personal access token or a password.", status=status, url=url)
    if status == 403:
        raise PermissionDeniedError(f"403 from {url}: not allowed{detail}", status=status, url=url)
    if status == 404:
        raise NotFoundError(
            f"404 from {url}{detail}. Check the site URL: Cloud URLs end in /wiki, Server/DC URLs do not "
            "(unless it runs under a context path).", status=status, url=url)
    raise ConfluenceError(f"{status} from {url}{detail}{_html_hint(response)}", status=status, url=url)


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    message = body.get("message")
    if not message and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        message = first.get("title") or first.get("detail") if isinstance(first, dict) else None
    return f" ({message})" if message else ""
