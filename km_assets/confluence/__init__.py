"""Confluence REST client. No Dagster here: usable from notebooks, the CLI or another orchestrator."""

from .client import CONTENT_EXPAND, ClientSettings, ConfluenceClient
from .connect import BearerAuth, client_for, resolve_deployment
from .cql import ContentFilter, content_cql
from .deployment import Deployment, detect_deployment
from .diagnose import Check, ConnectionReport, test_connection
from .errors import (
    AuthenticationError,
    ConfluenceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)
from .events import EventLog, IntegrationEvent
from .listing import (
    content_filter,
    current_user,
    list_attachments,
    list_comments,
    list_space_content,
    list_spaces,
    search,
)
from .records import attachment_record, content_record

__all__ = [
    "CONTENT_EXPAND",
    "AuthenticationError",
    "BearerAuth",
    "Check",
    "ConnectionReport",
    "ClientSettings",
    "ConfluenceClient",
    "ConfluenceError",
    "ContentFilter",
    "Deployment",
    "EventLog",
    "IntegrationEvent",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "UnexpectedResponseError",
    "attachment_record",
    "client_for",
    "content_cql",
    "content_filter",
    "content_record",
    "current_user",
    "detect_deployment",
    "list_attachments",
    "list_comments",
    "list_space_content",
    "list_spaces",
    "resolve_deployment",
    "search",
    "test_connection",
]
