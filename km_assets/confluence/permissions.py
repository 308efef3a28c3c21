"""Reading what a permission map needs: space permissions, restrictions, ancestors, group membership.

Endpoint knowledge per deployment (CONFLUENCE-API-NOTES.md, "Permissions"):
- Cloud: `space/{key}?expand=permissions` (v1: names groups and says anonymousAccess; v2 gives group ids).
- Data Center >= 9.1: `space/{key}/permissions` and `space/{key}/permissions/anonymous` (admins only;
  others get 500, CONFSERVER-99908). Older Server/DC: only JSON-RPC `getSpacePermissionSets`, which
  can answer WebSudo's HTML login page or "remote API disabled": both read as unreadable, with the cause.
- Restrictions come from one CQL listing without bodies, expanding ancestors and read + update
  restrictions. Ancestors' restrictions are not expanded: a draft or trashed ancestor 404s the whole
  batch (CONFCLOUD-77618); an ancestor outside the listing is fetched on its own.
- Expanded restriction lists can be truncated (size reaching limit): the operation's restriction
  resource is then paged; if that fails, the restriction is unreadable.

Nothing here decides access: failures come back as `error` strings, and km/permissions fails closed.
Users are Cloud account ids or Server/DC user names (what `user/memberof` takes).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..config import ConnectionSettings
from .client import ConfluenceClient
from .cql import content_cql
from .errors import ConfluenceError, NotFoundError
from .listing import SNAPSHOT_PAGE, content_filter
from .permission_sources import deployment_kind, space_grants

__all__ = ["PERMISSION_EXPAND", "ContentRestrictions", "RestrictionRead", "deployment_kind",
           "fetch_content_restrictions", "group_members", "list_restrictions", "space_grants", "user_groups", "user_id"]

_OPS = ("read", "update")
PERMISSION_EXPAND = ",".join(["space", "ancestors"] + [f"restrictions.{op}.restrictions.{kind}"
                                                      for op in _OPS for kind in ("user", "group")])
_RESTRICTION_PAGE = 200


@dataclass
class RestrictionRead:
    users: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class ContentRestrictions:
    content_id: str
    content_type: str
    space_key: str | None
    title: str
    ancestor_ids: list[str]
    read: RestrictionRead
    update: RestrictionRead
    error: str | None = None


def user_id(user: dict) -> str | None:
    return user.get("accountId") or user.get("username") or user.get("userKey")


def _truncated(collection: dict) -> bool:
    size = int(collection.get("size") or len(collection.get("results") or []))
    limit = collection.get("limit")
    total = collection.get("totalSize")
    return bool((collection.get("_links") or {}).get("next")) or (total is not None and int(total) > size) or (
        limit is not None and size >= int(limit) > 0)


def _restriction(client: ConfluenceClient, content_id: str, operation: str, body: dict | None) -> RestrictionRead:
    """One operation's restriction from an expansion, paged on its own resource when truncated."""
    restrictions = (body or {}).get("restrictions")
    if not isinstance(restrictions, dict) or not all(isinstance(restrictions.get(k), dict) for k in ("user", "group")):
        return RestrictionRead(error=f"the {operation} restriction was not in the answer (not expanded)")
    users, groups = restrictions["user"], restrictions["group"]
    read = RestrictionRead([i for u in users.get("results") or [] if (i := user_id(u))],
                           [g["name"] for g in groups.get("results") or [] if g.get("name")])
    if _truncated(users) or _truncated(groups):
        try:
            return _paged_restriction(client, content_id, operation)
        except ConfluenceError as err:
            read.error = f"the expanded {operation} restriction was truncated and paging it failed: {err}"
    return read


def _paged_restriction(client: ConfluenceClient, content_id: str, operation: str) -> RestrictionRead:
    path = f"/rest/api/content/{content_id}/restriction/byOperation/{operation}"
    out = RestrictionRead()
    start = 0
    while True:
        body = client.get_json(path, {"expand": "restrictions.user,restrictions.group", "start": start,
                                      "limit": _RESTRICTION_PAGE})
        restrictions = body.get("restrictions") or {}
        users = (restrictions.get("user") or {}).get("results") or []
        groups = (restrictions.get("group") or {}).get("results") or []
        out.users += [i for u in users if (i := user_id(u))]
        out.groups += [g["name"] for g in groups if g.get("name")]
        if not users and not groups:
            return out
        # Users and groups page together: go on while either list still fills a page.
        start += max(len(users), len(groups))


def _content(client: ConfluenceClient, item: dict, operations: dict | None) -> ContentRestrictions:
    cid = str(item["id"])
    return ContentRestrictions(
        cid, item.get("type") or "page", (item.get("space") or {}).get("key"), item.get("title") or "",
        [str(a["id"]) for a in item.get("ancestors") or []],
        *[_restriction(client, cid, op, (operations or {}).get(op)) for op in _OPS])


def list_restrictions(client: ConfluenceClient, connection: ConnectionSettings,
                      space: str) -> Iterator[ContentRestrictions]:
    """Every page and blog post of the space the filters select, with ancestors and restrictions."""
    flt = content_filter(connection)
    if not flt.content_types:
        return
    kind = deployment_kind(client, connection.deployment)
    cql = content_cql(space, flt, order="")
    for item in client.paginate("/rest/api/content/search",
                                {"cql": cql, "expand": PERMISSION_EXPAND, "limit": SNAPSHOT_PAGE[kind]}):
        yield _content(client, item, item.get("restrictions"))


def fetch_content_restrictions(client: ConfluenceClient, content_id: str) -> ContentRestrictions:
    """An ancestor outside the listing (a draft, trashed, in another space, filtered out): its
    restrictions on their own, one request. Any failure leaves it unreadable."""
    path = f"/rest/api/content/{content_id}/restriction/byOperation"
    expand = ",".join(f"{op}.restrictions.{kind}" for op in _OPS for kind in ("user", "group"))
    try:
        body = client.get_json(path, {"expand": expand})
    except ConfluenceError as err:
        return ContentRestrictions(content_id, "page", None, "", [], RestrictionRead(), RestrictionRead(),
                                   error=f"{type(err).__name__}: {err}")
    return _content(client, {"id": content_id, "type": "page"}, body)


def _ids(client: ConfluenceClient, path: str, params: dict[str, Any], pick) -> tuple[list[str], str | None]:
    try:
        return [n for item in client.paginate(path, {**params, "limit": 200}) if (n := pick(item))], None
    except NotFoundError as err:
        return [], f"not found: {err}"
    except ConfluenceError as err:
        return [], f"{type(err).__name__}: {err}"


def user_groups(client: ConfluenceClient, user: str, kind: str | None = None) -> tuple[list[str], str | None]:
    """The groups of a user (`user/memberof`): by account id on Cloud, by user name on Server/DC."""
    cloud = (kind or deployment_kind(client)) == "cloud"
    return _ids(client, "/rest/api/user/memberof", {"accountId" if cloud else "username": user},
                lambda g: g.get("name"))


def group_members(client: ConfluenceClient, group: str) -> tuple[list[str], str | None]:
    from urllib.parse import quote

    return _ids(client, f"/rest/api/group/{quote(group, safe='')}/member", {}, user_id)
