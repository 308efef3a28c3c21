"""What the pipeline asks of a site: its spaces, and one space's content as raw rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..config import ConnectionSettings
from .client import ConfluenceClient
from .cql import content_cql
from .records import content_record

__all__ = ["client_for", "list_space_content", "list_spaces"]

_LISTED_TYPES = ("page", "blogpost")


def client_for(connection: ConnectionSettings, secret: str, **kwargs: Any) -> ConfluenceClient:
    """A client for a configured connection. The secret is passed in, never read here from the env."""
    username = connection.auth.username
    if username is None:
        raise ValueError(f"connection {connection.name!r}: auth.username is required for Basic auth")
    return ConfluenceClient.basic(connection.url, username, secret, **kwargs)


def list_spaces(client: ConfluenceClient, connection: ConnectionSettings) -> list[str]:
    """Space keys the connection's filters select, in the site's order."""
    include = connection.spaces.include
    keys = [s["key"] for s in client.spaces(include or None)]
    if include:
        missing = sorted(set(include) - set(keys))
        if missing:
            raise ValueError(f"connection {connection.name!r}: spaces not found or not readable: "
                             f"{', '.join(missing)}")
    return [k for k in keys if k not in set(connection.spaces.exclude)]


def list_space_content(client: ConfluenceClient, connection: ConnectionSettings,
                       space: str) -> Iterator[dict[str, Any]]:
    types = [t for t in connection.content_types if t in _LISTED_TYPES]
    if not types:
        return
    cql = content_cql(space=space, content_types=types, labels_include=connection.labels.include,
                      labels_exclude=connection.labels.exclude, modified_after=connection.modified_after)
    for item in client.search_content(cql, page_size=connection.page_size):
        yield content_record(item, connection.url)
