"""Confluence REST client. No Dagster here: usable from notebooks, the CLI or another orchestrator."""

from .client import CONTENT_EXPAND, ConfluenceClient
from .cql import content_cql
from .errors import (
    AuthenticationError,
    ConfluenceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)
from .listing import client_for, list_space_content, list_spaces
from .records import content_record

__all__ = [
    "CONTENT_EXPAND",
    "AuthenticationError",
    "ConfluenceClient",
    "ConfluenceError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "UnexpectedResponseError",
    "content_cql",
    "client_for",
    "content_record",
    "list_space_content",
    "list_spaces",
]
