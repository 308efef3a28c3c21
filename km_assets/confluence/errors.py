"""The client's own exceptions: each names what failed and what to do about it, and never a secret."""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConfluenceError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "UnexpectedResponseError",
]


class ConfluenceError(Exception):
    """Any failure talking to Confluence. `status` is the HTTP status, when there was one."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class AuthenticationError(ConfluenceError):
    """401: the credentials were refused."""


class PermissionDeniedError(ConfluenceError):
    """403: authenticated, but not allowed (or a Cloud token sent as Bearer)."""


class NotFoundError(ConfluenceError):
    """404: wrong URL (often a missing or extra /wiki), or content the user cannot see."""


class RateLimitedError(ConfluenceError):
    """429 after every retry was spent."""


class ServerError(ConfluenceError):
    """5xx after every retry was spent."""


class UnexpectedResponseError(ConfluenceError):
    """A response that is not the JSON Confluence sends (a proxy's HTML page, a truncated body)."""
