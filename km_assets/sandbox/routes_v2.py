"""v2 REST routes (Cloud only, /wiki/api/v2/...): cursor paging, id lists, sorts, v2's error envelope.

- Paging is by cursor only; `start` is ignored (Airbyte's test_v2_cursor_pagination relies on that).
  The cursor is keyset-style: it carries the sort and the sort key of the last item served, so a walk
  sees every item once even when items before the cursor are removed mid-walk.
- The next page is named twice, as real Cloud does: `_links.next` (a path starting with /wiki/api/v2,
  relative to the host rather than to `_links.base`) and the `Link` header (`rel="next"`, `rel="base"`).
- Errors use v2's envelope {"errors": [{status, code, title, detail}]} rather than v1's, and unknown
  v2 paths get the Spring-style 404 real Cloud sends. The wrapper in app.py would render BadRequest in
  v1's shape, so handlers here raise V2Error and `_guard` renders it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .http import ApiContext, json_response
from .site import Content, Space
from .v2 import (
    BODY_FORMATS,
    label_id,
    optional_field,
    render_ancestor,
    render_attachment,
    render_child,
    render_content,
    render_label,
    render_permission,
    render_property,
    render_space,
    render_user,
    render_versions,
)

__all__ = ["V2Error", "v2_routes"]

Handler = Callable[[Request], Awaitable[Any]]
SortKey = Callable[[Any], tuple]

MAX_LIMIT = 250
PAGE_SORTS = ("id", "created-date", "modified-date", "title")
BLOG_SORTS = ("id", "created-date", "modified-date")
LIST_BODY_FORMATS = ("storage", "atlas_doc_format")
# Pages a new Cloud editor page carries; the sandbox stores no properties, so every page reports these.
CONTENT_PROPERTIES = {"content-appearance-draft": "full-width", "content-appearance-published": "full-width"}


class V2Error(Exception):
    def __init__(self, status: int, code: str, title: str) -> None:
        super().__init__(title)
        self.status, self.code, self.title = status, code, title


def v2_error(status: int, code: str, title: str) -> JSONResponse:
    return JSONResponse({"errors": [{"status": status, "code": code, "title": title, "detail": None}]},
                        status_code=status)


def _invalid(title: str) -> V2Error:
    return V2Error(400, "INVALID_REQUEST_PARAMETER", title)


def _not_found(kind: str, ident: str) -> V2Error:
    return V2Error(404, "NOT_FOUND", f"Cannot find a {kind} with id [{ident}]")


# -- query parameters ------------------------------------------------------------------------------------
def _values(request: Request, name: str) -> list[str]:
    """Array parameters arrive comma-separated (as documented) or repeated (OpenAPI's form style)."""
    return [v.strip() for raw in request.query_params.getlist(name) for v in raw.split(",") if v.strip()]


def _id_list(request: Request, name: str, max_items: int, *, numeric: bool = True) -> list[str]:
    values = _values(request, name)
    if len(values) > max_items:
        raise _invalid(f"Provided size {{{len(values)}}} for '{name}' is greater than the max allowed: {max_items}")
    for value in values:
        if numeric and not value.isdigit():
            raise _invalid(f"Invalid value '{value}' for '{name}': must be a number")
    return values


def _check(name: str, value: str | None, allowed: Sequence[str]) -> None:
    if value is not None and value not in allowed:
        raise _invalid(f"Invalid value '{value}' for '{name}'. Allowed values: {', '.join(allowed)}")


def _choice(request: Request, name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
    value = request.query_params.get(name) or default
    _check(name, value, allowed)
    return value


def _sort(request: Request, names: Sequence[str], default: str) -> str:
    return _choice(request, "sort", [s for n in names for s in (n, f"-{n}")], default) or default


def _statuses(request: Request, allowed: Sequence[str], default: Sequence[str]) -> list[str]:
    values = _values(request, "status") or list(default)
    for value in values:
        _check("status", value, allowed)
    return values


def _limit(request: Request, default: int = 25) -> int:
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(f"Invalid value '{raw}' for 'limit': must be a number") from None
    if value > MAX_LIMIT:  # wording of the real 400 (amp-connectors-v2-error-400-limit-too-large.json)
        raise _invalid(f"Provided size {{{value}}} for 'limit' is greater than the max allowed: {MAX_LIMIT}")
    if value < 1:
        raise _invalid(f"Provided size {{{value}}} for 'limit' is less than the min allowed: 1")
    return value


def _flag(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in ("true", "false"):
        raise _invalid(f"Invalid value '{raw}' for '{name}': must be true or false")
    return raw.lower() == "true"


def _path_id(request: Request) -> str:
    value = request.path_params["id"]
    if not value.isdigit():
        raise _invalid(f"Invalid value '{value}' for 'id': must be a number")
    return value


# -- cursors and pages -----------------------------------------------------------------------------------
def _encode_cursor(sort: str, key: tuple) -> str:
    raw = json.dumps({"s": sort, "k": list(key)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key, cursor_sort = tuple(data["k"]), data["s"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise _invalid(f"Invalid cursor: {cursor}") from None
    if cursor_sort != sort:  # a cursor only means something under the sort that made it
        raise _invalid(f"Invalid cursor: it was issued for sort '{cursor_sort}', not '{sort}'")
    return key


def _micros(at: datetime) -> int:
    return int(at.timestamp()) * 1_000_000 + at.microsecond


CONTENT_KEYS: dict[str, SortKey] = {
    "id": lambda c: (int(c.id),),
    "created-date": lambda c: (_micros(c.created), int(c.id)),
    "modified-date": lambda c: (_micros(c.modified), int(c.id)),
    "title": lambda c: (c.title, int(c.id)),
    "child-position": lambda c: (c.position, int(c.id)),
}


def v2_routes(api: ApiContext) -> list[tuple[str, str, Handler]]:
    site = api.site

    def paged(request: Request, items: list, keys: dict[str, SortKey], sort: str, limit: int,
              render: Callable[[Any], dict]) -> Response:
        key = keys[sort.lstrip("-")]
        descending = sort.startswith("-")
        ordered = sorted(items, key=key, reverse=descending)
        cursor = request.query_params.get("cursor")
        if cursor:
            last = _decode_cursor(cursor, sort)
            ordered = [i for i in ordered if (key(i) < last if descending else key(i) > last)]
        chunk = ordered[:limit]
        base = api.base_url(request)
        links: dict[str, str] = {}
        header = f'<{base}>; rel="base"'
        if len(ordered) > limit:
            path = request.url.path
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
            params.append(("cursor", _encode_cursor(sort, key(chunk[-1]))))
            # Host-relative, as real Cloud sends it: /wiki/api/v2/... even through the gateway.
            links["next"] = f"{api.context_path}{path[path.index('/api/v2/'):]}?{urlencode(params)}"
            header = f'<{links["next"]}>; rel="next", {header}'
        links["base"] = base
        return json_response({"results": [render(i) for i in chunk], "_links": links},
                             headers={"Link": header})

    def visible(request: Request, items: list[Content]) -> list[Content]:
        return list(filter(site.viewer_filter(api.viewer(request)), items))

    def lookup(request: Request, kind: str, statuses: Sequence[str] = ("current", "archived")) -> Content:
        cid = _path_id(request)
        item = site.content.get(cid)
        if (item is None or item.type != kind or item.status not in statuses
                or not site.can_view(api.viewer(request), item)):
            raise _not_found(kind, cid)
        return item

    def content_list(kind: str) -> Handler:
        page = kind == "page"

        async def handler(request: Request) -> Response:
            ids = set(_id_list(request, "id", 250))
            space_ids = {int(s) for s in _id_list(request, "space-id", 100)}
            statuses = (_statuses(request, ("current", "archived", "deleted", "trashed"), ("current", "archived"))
                        if page else _statuses(request, ("current", "deleted", "trashed"), ("current",)))
            title = request.query_params.get("title")
            body_format = _choice(request, "body-format", LIST_BODY_FORMATS)
            sort = _sort(request, PAGE_SORTS if page else BLOG_SORTS, "id")
            limit = _limit(request)
            viewer = api.viewer(request)

            def listed() -> list[Content]:
                items = [c for c in site.content.values()
                         if c.type == kind and c.status in statuses and (not ids or c.id in ids)
                         and (not space_ids or site.spaces[c.space].id in space_ids)
                         and (title is None or c.title == title)]
                return list(filter(site.viewer_filter(viewer), items))

            key = ("v2 content", kind, tuple(statuses), frozenset(ids), frozenset(space_ids), title,
                   viewer and viewer.username)
            with site.lock:
                # A cursor walk would filter the whole site again for every page: kept until the site changes.
                return paged(request, site.memo(key, listed), CONTENT_KEYS, sort, limit,
                             lambda c: render_content(site, c, body_format=body_format))
        return handler

    def content_by_id(kind: str) -> Handler:
        allowed = (("current", "archived", "trashed", "deleted", "historical", "draft") if kind == "page"
                   else ("current", "trashed", "deleted", "historical", "draft"))

        async def handler(request: Request) -> dict:
            default = ("current", "archived") if kind == "page" else ("current",)
            statuses = _statuses(request, allowed, default)
            if _flag(request, "get-draft"):
                statuses.append("draft")
            body_format = _choice(request, "body-format", BODY_FORMATS)
            base = api.base_url(request)
            with site.lock:
                item = lookup(request, kind, statuses)
                version = item.version
                if wanted := request.query_params.get("version"):
                    if not wanted.isdigit():
                        raise _invalid(f"Invalid value '{wanted}' for 'version': must be a number")
                    # Only version metadata is kept per version: an old version comes with today's body.
                    version = next((v for v in item.versions if str(v.number) == wanted), None)
                    if version is None:
                        raise V2Error(404, "NOT_FOUND", f"Cannot find version {wanted} of {kind} [{item.id}]")
                out = render_content(site, item, body_format=body_format, version=version, base=base,
                                     include_version=_flag(request, "include-version", True))
                plural = "pages" if kind == "page" else "blogposts"
                links = f"/{plural}/{item.id}"
                if _flag(request, "include-labels"):
                    out["labels"] = optional_field([render_label(n) for n in item.labels], f"{links}/labels")
                if _flag(request, "include-properties"):
                    out["properties"] = optional_field(
                        [render_property(item, k, v, item.creator, site) for k, v in CONTENT_PROPERTIES.items()],
                        f"{links}/properties")
                if _flag(request, "include-versions"):
                    out["versions"] = optional_field(render_versions(site, item), f"{links}/versions")
                return out
        return handler

    def attachments(kind: str) -> Handler:
        async def handler(request: Request) -> Response:
            limit = _limit(request, 50)
            statuses = _statuses(request, ("current", "archived", "trashed"), ("current",))
            media, filename = request.query_params.get("mediaType"), request.query_params.get("filename")
            # Attachments keep no modification time apart from their creation: both sorts use it.
            keys: dict[str, SortKey] = {"created-date": lambda a: (_micros(a.created), a.id),
                                        "modified-date": lambda a: (_micros(a.created), a.id)}
            sort = _sort(request, list(keys), "created-date")
            with site.lock:
                item = lookup(request, kind)
                atts = [a for a in site.attachments.values() if a.container_id == item.id
                        and a.status in statuses and (media is None or a.media_type == media)
                        and (filename is None or a.filename == filename)]
                return paged(request, atts, keys, sort, limit, lambda a: render_attachment(site, a))
        return handler

    def labels(kind: str) -> Handler:
        async def handler(request: Request) -> Response:
            limit = _limit(request)
            prefix = _choice(request, "prefix", ("my", "team", "global", "system"))
            sort = _sort(request, ("created-date", "id", "name"), "created-date")
            with site.lock:
                item = lookup(request, kind)
                names = list(item.labels) if prefix in (None, "global") else []  # all sandbox labels are global
                keys: dict[str, SortKey] = {"created-date": lambda n: (item.labels.index(n),),
                                            "id": lambda n: (int(label_id(n)), n), "name": lambda n: (n,)}
                return paged(request, names, keys, sort, limit, render_label)
        return handler

    async def properties(request: Request) -> Response:
        limit, sort = _limit(request), _sort(request, ["key"], "key")
        with site.lock:
            item = lookup(request, "page")
            return paged(request, list(CONTENT_PROPERTIES.items()), {"key": lambda p: (p[0],)}, sort, limit,
                         lambda p: render_property(item, p[0], p[1], item.creator, site))

    async def children(request: Request) -> Response:
        limit = _limit(request)
        sort = _sort(request, ("created-date", "id", "child-position", "modified-date"), "child-position")
        with site.lock:
            kids = visible(request, site.children_of(lookup(request, "page").id))
            return paged(request, kids, CONTENT_KEYS, sort, limit, lambda c: render_child(site, c))

    async def ancestors(request: Request) -> dict:
        limit = _limit(request)
        with site.lock:
            item = lookup(request, "page")
            # Top-down, nearest `limit` only: the rest is fetched by asking again from the first one.
            chain = site.ancestors(item)[-limit:]
            return {"results": [render_ancestor(a) for a in chain], "_links": {"base": api.base_url(request)}}

    async def spaces(request: Request) -> Response:
        ids = {int(i) for i in _id_list(request, "ids", 250)}
        keys_wanted = set(_id_list(request, "keys", 250, numeric=False))
        kind = _choice(request, "type", ("global", "collaboration", "knowledge_base", "personal"))
        status = _choice(request, "status", ("current", "archived"))
        description_format = _choice(request, "description-format", ("plain", "view"))
        include_icon = _flag(request, "include-icon")
        sort = _sort(request, ("id", "key", "name"), "id")
        limit = _limit(request)
        viewer = api.viewer(request)
        sort_keys: dict[str, SortKey] = {"id": lambda s: (s.id,), "key": lambda s: (s.key, s.id),
                                         "name": lambda s: (s.name, s.id)}
        with site.lock:
            items = [s for s in site.spaces.values()
                     if (not ids or s.id in ids) and (not keys_wanted or s.key in keys_wanted)
                     and (kind is None or s.type == kind) and (status is None or s.status == status)
                     and site.space_allows(viewer, s.key)]
            return paged(request, items, sort_keys, sort, limit,
                         lambda s: render_space(site, s, description_format=description_format,
                                                include_icon=include_icon))

    def space_of(request: Request) -> Space:
        sid = _path_id(request)
        space = site.space_by_id(int(sid))
        if space is None or not site.space_allows(api.viewer(request), space.key):
            raise _not_found("space", sid)
        return space

    async def space_by_id(request: Request) -> dict:
        description_format = _choice(request, "description-format", ("plain", "view"))
        include_icon = _flag(request, "include-icon")
        with site.lock:
            return render_space(site, space_of(request), description_format=description_format,
                                include_icon=include_icon, base=api.base_url(request))

    async def space_permissions(request: Request) -> Response:
        limit = _limit(request)
        with site.lock:
            space = space_of(request)
            rendered = [render_permission(site, space, g) for g in space.permissions]
            items = [(i, r) for i, r in enumerate(rendered) if r is not None]
            return paged(request, items, {"position": lambda p: (p[0],)}, "position", limit, lambda p: p[1])

    async def users_bulk(request: Request) -> Response:
        try:
            payload = json.loads(await request.body() or b"null")
        except ValueError:
            raise _invalid("The request body is not valid JSON") from None
        account_ids = payload.get("accountIds") if isinstance(payload, dict) else None
        if not isinstance(account_ids, list) or not all(isinstance(a, str) for a in account_ids):
            raise _invalid("accountIds must be a list of account ids")
        if not 1 <= len(account_ids) <= 250:
            raise _invalid(f"Provided size {{{len(account_ids)}}} for 'accountIds' must be between 1 and 250")
        base = api.base_url(request)
        with site.lock:
            users = [u for a in dict.fromkeys(account_ids) if (u := site.user_by_account_id(a)) is not None]
            results = [render_user(u, time_zone=api.options.time_zone) for u in users]
        return json_response({"results": results, "_links": {"base": base}}, headers={"Link": f'<{base}>; rel="base"'})

    async def unknown(request: Request) -> Response:
        # Real Cloud answers unknown v2 paths from Spring, not with the errors envelope
        # (amp-connectors-v2-error-404-no-message-available.json).
        now = datetime.now(UTC)
        return JSONResponse({"timestamp": f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond:06d}000Z", "status": 404,
                             "error": "Not Found", "message": "No message available", "path": request.url.path},
                            status_code=404)

    def _guard(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Any:
            try:
                return await handler(request)
            except V2Error as err:
                return v2_error(err.status, err.code, err.title)
        return endpoint

    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/api/v2/pages", content_list("page")),
        ("GET", "/api/v2/pages/{id}", content_by_id("page")),
        ("GET", "/api/v2/pages/{id}/ancestors", ancestors),
        ("GET", "/api/v2/pages/{id}/attachments", attachments("page")),
        ("GET", "/api/v2/pages/{id}/labels", labels("page")),
        ("GET", "/api/v2/pages/{id}/properties", properties),
        ("GET", "/api/v2/pages/{id}/children", children),
        ("GET", "/api/v2/blogposts", content_list("blogpost")),
        ("GET", "/api/v2/blogposts/{id}", content_by_id("blogpost")),
        ("GET", "/api/v2/blogposts/{id}/attachments", attachments("blogpost")),
        ("GET", "/api/v2/blogposts/{id}/labels", labels("blogpost")),
        ("GET", "/api/v2/spaces", spaces),
        ("GET", "/api/v2/spaces/{id}", space_by_id),
        ("GET", "/api/v2/spaces/{id}/permissions", space_permissions),
        ("POST", "/api/v2/users-bulk", users_bulk),
    ]
    # Last, so it only catches what no route above serves.
    routes += [(m, "/api/v2/{rest:path}", unknown) for m in ("GET", "POST", "PUT", "DELETE")]
    return [(method, path, _guard(handler)) for method, path, handler in routes]
