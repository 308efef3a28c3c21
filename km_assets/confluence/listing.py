"""What the pipeline asks of a site: its spaces, one space's content, attachments and comments.

Endpoint knowledge lives here as data (paths, expansions, page sizes); paging and politeness live in
the client. Everything streams: memory stays flat however large the space.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from ..config import ConnectionSettings
from .client import CONTENT_EXPAND, ConfluenceClient
from .cql import ContentFilter, content_cql
from .errors import NotFoundError
from .records import attachment_record, comment_record, content_record

__all__ = [
    "content_filter", "current_user", "list_attachments", "list_comments", "list_space_content",
    "list_space_snapshot", "list_spaces", "matches", "search",
]

LISTING_EXPAND = CONTENT_EXPAND + ",childTypes.attachment,childTypes.comment"
ATTACHMENT_EXPAND = "version,metadata.labels"
COMMENT_EXPAND = "body.storage,history,version"
# Data Center caps content/search at 50 per page when bodies are expanded: asking for more only
# returns short pages, so ask for what will come.
DC_BODY_PAGE_CAP = 50


def current_user(client: ConfluenceClient) -> dict:
    return client.get_json("/rest/api/user/current")


def list_spaces(client: ConfluenceClient, connection: ConnectionSettings) -> list[str]:
    """Space keys the connection's filters select, in the site's order."""
    include = connection.spaces.include
    params: dict[str, Any] = {"limit": 100}
    if include:
        params["spaceKey"] = include
    keys = [s["key"] for s in client.paginate("/rest/api/space", params)]
    if include:
        missing = sorted(set(include) - set(keys))
        if missing:
            raise NotFoundError(f"connection {connection.name!r}: spaces not found or not readable by this user: "
                                f"{', '.join(missing)}")
    excluded = set(connection.spaces.exclude)
    return [k for k in keys if k not in excluded]


def content_filter(connection: ConnectionSettings, *, modified_after: date | datetime | None = None,
                   modified_before: date | datetime | None = None) -> ContentFilter:
    types = tuple(t for t in connection.content_types if t in ("page", "blogpost"))
    return ContentFilter(
        content_types=types, labels_include=tuple(connection.labels.include),
        labels_exclude=tuple(connection.labels.exclude), trees_include=tuple(connection.page_trees.include),
        trees_exclude=tuple(connection.page_trees.exclude), created_after=connection.created_after,
        created_before=connection.created_before,
        modified_after=_later(connection.modified_after, modified_after),
        modified_before=_earlier(connection.modified_before, modified_before))


def _later(a, b):
    return b if a is None else a if b is None else max(_as_dt(a), _as_dt(b))


def _earlier(a, b):
    return b if a is None else a if b is None else min(_as_dt(a), _as_dt(b))


def _as_dt(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)


def page_size(client: ConfluenceClient, connection: ConnectionSettings, *, with_body: bool = True) -> int:
    if with_body and (client.deployment is not None or client.declared_kind) and client.kind == "datacenter":
        return min(connection.page_size, DC_BODY_PAGE_CAP)
    return connection.page_size


def search(client: ConfluenceClient, cql: str, *, expand: str = LISTING_EXPAND, limit: int = 50) -> Iterator[dict]:
    return client.paginate("/rest/api/content/search", {"cql": cql, "expand": expand, "limit": limit})


def list_space_content(client: ConfluenceClient, connection: ConnectionSettings, space: str, *,
                       modified_after: date | datetime | None = None,
                       modified_before: date | datetime | None = None) -> Iterator[dict[str, Any]]:
    """raw_content rows for one space, oldest change first, in one paginated CQL listing."""
    flt = content_filter(connection, modified_after=modified_after, modified_before=modified_before)
    if not flt.content_types:
        return
    cql = content_cql(space, flt)
    for item in search(client, cql, limit=page_size(client, connection)):
        yield content_record(item, client.base_url)
    if "archived" in connection.statuses:
        yield from _archived(client, connection, space, flt)


def _archived(client: ConfluenceClient, connection: ConnectionSettings, space: str,
              flt: ContentFilter) -> Iterator[dict[str, Any]]:
    """Archived content is not in CQL search: list it by status and apply the filters here."""
    for kind in flt.content_types:
        params = {"spaceKey": space, "type": kind, "status": "archived", "expand": LISTING_EXPAND,
                  "limit": page_size(client, connection)}
        for item in client.paginate("/rest/api/content", params):
            record = content_record(item, client.base_url)
            if matches(record, flt):
                yield record


def matches(record: dict[str, Any], flt: ContentFilter) -> bool:
    """The CQL filter, evaluated on a raw_content row (for listings that cannot take CQL)."""
    labels = set(record["labels"])
    tree = {record["content_id"], *record["ancestor_ids"]}
    checks = [
        record["content_type"] in flt.content_types,
        not flt.labels_include or bool(labels & set(flt.labels_include)),
        not labels & set(flt.labels_exclude),
        record["content_type"] != "page" or not flt.trees_include or bool(tree & set(flt.trees_include)),
        not tree & set(flt.trees_exclude),
        _in_range(record["created_at"], flt.created_after, flt.created_before),
        _in_range(record["modified_at"], flt.modified_after, flt.modified_before),
    ]
    return all(checks)


def _in_range(value: datetime | None, after: date | datetime | None, before: date | datetime | None) -> bool:
    if value is None:
        return after is None and before is None
    naive = value.replace(tzinfo=None)
    return (after is None or naive >= _as_dt(after)) and (before is None or naive < _as_dt(before))


SNAPSHOT_EXPAND = "version,space,ancestors,metadata.labels"
# Without bodies Data Center allows 200 a page (1000 without any expansion); Cloud 250.
SNAPSHOT_PAGE = {"datacenter": 200, "cloud": 250}


def list_space_snapshot(client: ConfluenceClient, connection: ConnectionSettings,
                        space: str) -> Iterator[dict[str, Any]]:
    """Every live item of a space with its version, title, parent and labels, and no bodies: what a
    reconciliation compares with what was synced (deletions, moves and relabels make no new version)."""
    flt = content_filter(connection)
    if not flt.content_types:
        return
    kind = client.kind
    cql = content_cql(space, flt, order="")
    for item in client.paginate("/rest/api/content/search",
                                {"cql": cql, "expand": SNAPSHOT_EXPAND, "limit": SNAPSHOT_PAGE[kind]}):
        ancestors = item.get("ancestors") or []
        yield {
            "content_id": str(item["id"]),
            "content_type": item.get("type"),
            "version": int((item.get("version") or {}).get("number") or 0),
            "title": item.get("title"),
            "space_key": (item.get("space") or {}).get("key"),
            "space_name": (item.get("space") or {}).get("name"),
            "parent_id": str(ancestors[-1]["id"]) if ancestors else None,
            "labels": [label.get("name") for label in
                       ((item.get("metadata") or {}).get("labels") or {}).get("results") or []],
        }


def list_attachments(client: ConfluenceClient, content_ids: Iterable[str], *,
                     limit: int = 100) -> Iterator[dict[str, Any]]:
    """Attachment rows of the given pages, fetched concurrently (one listing per page that has any)."""
    def fetch(content_id: str) -> list[dict]:
        path = f"/rest/api/content/{content_id}/child/attachment"
        try:
            return [attachment_record(a, content_id, client.base_url)
                    for a in client.paginate(path, {"limit": limit, "expand": ATTACHMENT_EXPAND})]
        except NotFoundError as err:
            # Deleted, or no longer readable since it was synced: the reconciliation records that; its
            # attachments are simply not there any more.
            client.events.record("skipped", url=client.url(path), method="GET", status=404, item_id=content_id,
                                 error_class=type(err).__name__, message="page gone: attachments not listed")
            return []

    for _, rows in client.map_concurrently(fetch, content_ids):
        yield from rows


def list_comments(client: ConfluenceClient, content_ids: Iterable[str], *, limit: int = 100) -> Iterator[dict]:
    def fetch(content_id: str) -> list[dict]:
        path = f"/rest/api/content/{content_id}/child/comment"
        return [comment_record(c, content_id)
                for c in client.paginate(path, {"limit": limit, "expand": COMMENT_EXPAND})]

    for _, rows in client.map_concurrently(fetch, content_ids):
        yield from rows
