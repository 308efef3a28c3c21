"""The integration log: every request, retry, 429, error and skipped item as a structured event.

Events carry the method, path and query (never headers, so never credentials; query parameters that
look like secrets are masked anyway), status, attempt, latency, bytes and rate-limit headers. The
km layer writes them as Parquet per run; here they are plain dicts, so this package stays storage-free.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["EventLog", "IntegrationEvent", "redact_query"]

_SECRET_PARAMS = {"token", "access_token", "api_token", "password", "os_password", "apikey", "api_key", "jwt",
                  "signature", "sig"}
RATE_LIMIT_HEADERS = ("retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
                      "x-ratelimit-nearlimit")


def redact_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs])


@dataclass
class IntegrationEvent:
    kind: str  # request | retry | rate_limited | error | skipped | warning
    connection: str
    method: str = ""
    path: str = ""
    query: str = ""
    status: int | None = None
    attempt: int = 0
    latency_ms: float | None = None
    bytes: int | None = None
    rate_limit: dict[str, str] = field(default_factory=dict)
    error_class: str | None = None
    message: str | None = None
    item_id: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class EventLog:
    """Thread-safe, append-only. `redact` is applied to every message so no secret slips through."""

    def __init__(self, connection: str, secrets: tuple[str, ...] = ()) -> None:
        self.connection = connection
        self._secrets = tuple(s for s in secrets if s)
        self._events: list[IntegrationEvent] = []
        self._lock = threading.Lock()

    def redact(self, text: str | None) -> str | None:
        if text is None:
            return None
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def record(self, kind: str, *, url: str = "", **fields: object) -> IntegrationEvent:
        parts = urlsplit(url)
        event = IntegrationEvent(kind=kind, connection=self.connection, path=parts.path,
                                 query=redact_query(parts.query), **fields)  # type: ignore[arg-type]
        event.message = self.redact(event.message)
        with self._lock:
            self._events.append(event)
        return event

    def events(self) -> list[IntegrationEvent]:
        with self._lock:
            return list(self._events)

    def rows(self) -> list[dict]:
        return [asdict(e) for e in self.events()]

    def count(self, kind: str | None = None, status: int | None = None) -> int:
        return sum(1 for e in self.events() if (kind is None or e.kind == kind)
                   and (status is None or e.status == status))
