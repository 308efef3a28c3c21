"""What every sandbox route shares: options, counters, the caller's identity, errors and paging."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .shared import Shared
from .site import Site, User

__all__ = [
    "ApiContext", "BadRequest", "RequestCounters", "RequestEvent", "SandboxOptions", "error", "int_param",
    "json_response",
]


@dataclass
class SandboxOptions:
    """How a sandbox behaves. Credentials are generated per instance unless given."""

    flavor: Literal["cloud", "datacenter"] = "cloud"
    dc_version: str = "9.2.0"
    api_user: str = "sync-bot"  # a user of the site: Cloud logs in by its e-mail, DC by its name
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))  # Cloud token / DC password
    pat: str = field(default_factory=lambda: secrets.token_urlsafe(32))  # DC personal access token
    scoped_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))  # Cloud, gateway only
    cloud_id: str = "a1b2c3d4-0000-4000-8000-5a4db0c5e7f1"
    anonymous_access: bool = False  # DC: an invalid PAT is then served as anonymous, not refused
    time_zone: str = "UTC"
    admin_users: tuple[str, ...] = ()  # may read DC space permissions (others get 500, CONFSERVER-99908)
    # Older Server/DC's JSON-RPC API: enabled, behind WebSudo (an HTML login page), or switched off.
    remote_api: Literal["enabled", "websudo", "disabled"] = "enabled"
    # Users (and groups) an expanded restriction lists at most; the rest is paged with start/limit on
    # content/{id}/restriction/byOperation/{op}.
    restriction_limit: int = 200

    @property
    def cloud(self) -> bool:
        return self.flavor == "cloud"

    @property
    def dc_version_tuple(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.dc_version.split(".") if p.isdigit())


@dataclass(frozen=True)
class RequestEvent:
    at: float  # time.monotonic()
    method: str
    route: str  # the route template, or the raw path for unknown paths and injected faults
    path: str
    query: str
    status: int
    fault: str | None = None


@dataclass
class RequestCounters:
    """Requests answered, by route and status, plus a bounded log. Safe to read while serving."""

    by_route: Counter = field(default_factory=Counter)
    events: deque = field(default_factory=lambda: deque(maxlen=200_000))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request | None, route: str, status: int, fault: str | None = None) -> None:
        with self.lock:
            self.by_route[(route, status)] += 1
            if request is not None:
                self.events.append(RequestEvent(time.monotonic(), request.method, route, request.url.path,
                                                request.url.query, status, fault))

    def total(self, route: str | None = None, status: int | None = None) -> int:
        with self.lock:
            return sum(n for (r, s), n in self.by_route.items()
                       if (route is None or r == route) and (status is None or s == status))

    def reset(self) -> None:
        with self.lock:
            self.by_route.clear()
            self.events.clear()

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self.lock:
            out: dict[str, dict[str, int]] = {}
            for (route, status), n in sorted(self.by_route.items()):
                out.setdefault(route, {})[str(status)] = n
            return out


class BadRequest(Exception):
    """Raised by a handler; answered as Confluence's 400."""


def error(status: int, message: str, reason: str | None = None) -> JSONResponse:
    reasons = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 429: "Too Many Requests", 500: "Internal Server Error",
               503: "Service Unavailable"}
    body = {"statusCode": status,
            "data": {"authorized": status not in (401, 403), "valid": status != 400, "errors": [],
                     "successful": False},
            "message": message, "reason": reason or reasons.get(status, "Error")}
    return JSONResponse(body, status_code=status)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None,
                  shared: Shared | None = None) -> Response:
    """`shared`: the request's Shared, when the body may hold its placeholders."""
    text = shared.dumps(body) if shared is not None else json.dumps(body, ensure_ascii=False)
    return Response(text, status_code=status, media_type="application/json", headers=headers)


def int_param(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{name} must be a number, got {value!r}") from None


@dataclass
class ApiContext:
    """Handed to every route module: the site, the options and helpers that depend on the request."""

    site: Site
    options: SandboxOptions
    counters: RequestCounters

    @property
    def context_path(self) -> str:
        return "/wiki" if self.options.cloud else ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.options.time_zone)

    def base_url(self, request: Request) -> str:
        """The absolute site root, as `_links.base` gives it (the gateway form when called through it)."""
        prefix = request.scope.get("km_gateway_prefix", "")
        return f"{request.url.scheme}://{request.url.netloc}{prefix}{self.context_path}"

    def root_url(self, request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    def media_token(self, attachment_id: str) -> str:
        """A short-lived-looking token for the media redirect, derived from the sandbox's secret."""
        return hmac.new(self.options.api_token.encode(), attachment_id.encode(), hashlib.sha256).hexdigest()[:32]

    def viewer(self, request: Request) -> User | None:
        """The authenticated user, or None for anonymous access."""
        return request.scope.get("km_viewer")
