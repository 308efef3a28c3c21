"""v1 REST routes (rest/api/...), for Cloud and Data Center, with each flavor's paging quirks.

- Cloud `content/search` pages by an opaque cursor carried inside `_links.next`.
- Data Center silently caps the page size by expansion (50 with body, 200 with other expansions, 1000
  with none) and, like CONFSERVER-95272, computes the `start` of `next` from the requested limit rather
  than from what it returned, so a client that trusts `next` skips items.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .cql import CqlError, parse_cql
from .http import ApiContext, BadRequest, error, int_param
from .site import Content
from .v1 import (
    parse_expand,
    render_attachment,
    render_comment,
    render_content,
    render_group,
    render_restriction,
    render_space,
    render_space_permissions,
    render_user,
)

__all__ = ["file_response", "v1_routes"]

Handler = Callable[[Request], object]


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("offset:"))
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(f"Invalid cursor: {cursor}") from None


def v1_routes(api: ApiContext) -> list[tuple[str, str, Handler]]:
    site, options = api.site, api.options
    cloud = options.cloud

    def dc_cap(request: Request) -> int:
        expand = request.query_params.get("expand") or ""
        if "body" in expand:
            return 50
        return 200 if expand else 1000

    def limit_of(request: Request, default: int = 25) -> int:
        requested = int_param(request, "limit", default)
        if requested < 0:
            raise BadRequest("Limit must be a positive number")
        cap = 250 if cloud else dc_cap(request)
        return max(min(requested, cap), 1) if requested else default

    def paged(request: Request, items: list, render, path: str, *, cursor: bool = False,
              extra: dict | None = None) -> dict:
        params = {k: v for k, v in request.query_params.multi_items()
                  if k not in ("start", "limit", "cursor", "next")}
        if extra:
            params.update(extra)
        limit = limit_of(request)
        if cursor and request.query_params.get("cursor"):
            start = _decode_cursor(request.query_params["cursor"])
        else:
            start = max(int_param(request, "start", 0), 0)
        chunk = items[start:start + limit]
        base = api.base_url(request)
        links: dict = {"base": base, "context": api.context_path,
                       "self": f"{base}{path}" + (f"?{urlencode(params)}" if params else "")}
        if start + len(chunk) < len(items):
            if cursor:
                links["next"] = f"{path}?{urlencode({'next': 'true', 'cursor': _encode_cursor(start + limit), **params, 'limit': limit})}"
            else:
                # DC reports the requested limit, not the capped one (CONFSERVER-95272).
                step = limit if cloud else int_param(request, "limit", 25)
                links["next"] = f"{path}?{urlencode({**params, 'limit': limit, 'start': start + step})}"
        if start > 0:
            prev = max(start - limit, 0)
            links["prev"] = (f"{path}?{urlencode({'prev': 'true', 'cursor': _encode_cursor(prev), **params, 'limit': limit})}"
                             if cursor else f"{path}?{urlencode({**params, 'limit': limit, 'start': prev})}")
        return {"results": [render(i) for i in chunk], "start": start, "limit": limit, "size": len(chunk),
                "_links": links}

    def visible(request: Request, items) -> list[Content]:
        viewer = api.viewer(request)
        return [c for c in items if site.can_view(viewer, c)]

    def content_renderer(request: Request):
        expand = parse_expand(request.query_params.get("expand"))
        base = api.base_url(request)
        return lambda c: render_content(site, c, expand, cloud=cloud, base=base, context=api.context_path)

    def lookup(request: Request, key: str = "id") -> Content | Response:
        cid = request.path_params[key]
        item = site.content.get(cid)
        if item is None or not site.can_view(api.viewer(request), item):
            return error(404, f"No content found with id : ContentId{{id={cid}}}")
        return item

    async def content_list(request: Request):
        space = request.query_params.get("spaceKey")
        kind = request.query_params.get("type", "page")
        status = request.query_params.get("status", "current")
        title = request.query_params.get("title")
        with site.lock:
            items = sorted((c for c in site.content.values()
                            if (space is None or c.space == space) and c.type == kind and c.status == status
                            and (title is None or c.title == title)), key=lambda c: (c.position, int(c.id)))
            return paged(request, visible(request, items), content_renderer(request), "/rest/api/content")

    async def content_search(request: Request):
        cql = request.query_params.get("cql")
        if not cql:
            raise BadRequest("The CQL query parameter is required")
        with site.lock:
            try:
                query = parse_cql(cql, site, api.tz)
            except CqlError as err:
                raise BadRequest(str(err)) from None
            items = visible(request, query.run(site.searchable()))
            body = paged(request, items, content_renderer(request), "/rest/api/content/search", cursor=cloud)
        body["totalSize"] = len(items)
        body["cqlQuery"] = cql
        body["searchDuration"] = 7
        return body

    async def content_by_id(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            status = request.query_params.get("status", "current").split(",")
            if item.status not in status and item.status != "current":
                return error(404, f"No content found with id : ContentId{{id={item.id}}}")
            return content_renderer(request)(item)

    async def child_pages(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            kids = visible(request, site.children_of(item.id))
            return paged(request, kids, content_renderer(request), f"/rest/api/content/{item.id}/child/page")

    async def attachments(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            base = api.base_url(request)
            filename = request.query_params.get("filename")
            media = request.query_params.get("mediaType")
            items = [a for a in site.attachments_of(item.id)
                     if (filename is None or a.filename == filename) and (media is None or a.media_type == media)]
            return paged(request, items, lambda a: render_attachment(site, a, cloud=cloud, base=base),
                         f"/rest/api/content/{item.id}/child/attachment")

    async def comments(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            expand = parse_expand(request.query_params.get("expand"))
            base = api.base_url(request)
            return paged(request, site.comments_of(item.id),
                         lambda c: render_comment(site, c, expand, cloud=cloud, base=base),
                         f"/rest/api/content/{item.id}/child/comment")

    async def attachment_download(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            att = site.attachments.get(request.path_params["att"])
            if att is None or att.container_id != item.id or att.status != "current":
                return error(404, f"No attachment found with id : {request.path_params['att']}")
        if cloud:
            # Cloud answers 302 to its media host; here a separate, unauthenticated path with a token.
            token = quote(api.media_token(att.id))
            return RedirectResponse(f"{api.root_url(request)}/media/file/{att.id}?token={token}", status_code=302)
        return file_response(att)

    async def labels(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            results = [{"prefix": "global", "name": n, "id": str(1000 + i), "label": n}
                       for i, n in enumerate(item.labels)]
        return paged(request, results, lambda x: x, f"/rest/api/content/{item.id}/label")

    async def restrictions(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            expand = parse_expand(request.query_params.get("expand"))
            base = api.base_url(request)
            ops = {op: render_restriction(site, item, op, expand, cloud=cloud, base=base)
                   for op in ("read", "update")}
        return {**ops, "_links": {"base": base, "context": api.context_path,
                                  "self": f"{base}/rest/api/content/{item.id}/restriction/byOperation"}}

    async def restriction_for(request: Request):
        operation = request.path_params["op"]
        if operation not in ("read", "update"):
            raise BadRequest(f"Unknown operation: {operation}")
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            expand = parse_expand(request.query_params.get("expand"))
            return render_restriction(site, item, operation, expand, cloud=cloud, base=api.base_url(request))

    async def spaces(request: Request):
        keys = request.query_params.getlist("spaceKey")
        expand = parse_expand(request.query_params.get("expand"))
        base = api.base_url(request)
        viewer = api.viewer(request)
        with site.lock:
            items = [s for s in sorted(site.spaces.values(), key=lambda s: s.id)
                     if (not keys or s.key in keys) and site.space_allows(viewer, s.key)]
            return paged(request, items, lambda s: render_space(site, s, expand, cloud=cloud, base=base),
                         "/rest/api/space")

    async def space_by_key(request: Request):
        key = request.path_params["key"]
        with site.lock:
            space = site.spaces.get(key)
            if space is None or not site.space_allows(api.viewer(request), key):
                return error(404, f"No space with key : {key}")
            expand = parse_expand(request.query_params.get("expand"))
            return render_space(site, space, expand, cloud=cloud, base=api.base_url(request))

    async def dc_space_permissions(request: Request):
        # Data Center 9.1+ only, and only for admins: others get 500, not 403 (CONFSERVER-99908).
        if cloud or options.dc_version_tuple < (9, 1):
            return error(404, f"null for uri: {request.url}")
        viewer = api.viewer(request)
        key = request.path_params["key"]
        with site.lock:
            if key not in site.spaces:
                return error(404, f"No space with key : {key}")
            if viewer is None or viewer.username not in options.admin_users:
                return error(500, "java.lang.NullPointerException")
            anonymous = request.url.path.endswith("/anonymous")
            return render_space_permissions(site, site.spaces[key], anonymous_only=anonymous)

    async def current_user(request: Request):
        viewer = api.viewer(request)
        if viewer is None:
            return ({"type": "anonymous", "profilePicture": {"path": "/images/icons/profilepics/anonymous.svg"},
                     "displayName": "Anonymous", "_links": {}} if not cloud
                    else error(401, "This request requires authentication."))
        return render_user(viewer, cloud=cloud, base=api.base_url(request))

    async def user_lookup(request: Request):
        ident = (request.query_params.get("accountId") or request.query_params.get("key")
                 or request.query_params.get("username"))
        if not ident:
            raise BadRequest("accountId, key or username is required")
        user = site.find_user(ident)
        if user is None:
            return error(404, f"No user found with identifier: {ident}")
        return render_user(user, cloud=cloud, base=api.base_url(request))

    async def groups(request: Request):
        base = api.base_url(request)
        with site.lock:
            items = sorted(site.groups.values(), key=lambda g: g.name)
            return paged(request, items, lambda g: render_group(g, cloud=cloud, base=base), "/rest/api/group")

    async def group_members(request: Request):
        name = request.path_params["name"]
        base = api.base_url(request)
        with site.lock:
            group = site.groups.get(name)
            if group is None:
                return error(404, f"Group not found: {name}")
            members = [site.users[m] for m in group.members if m in site.users]
            return paged(request, members, lambda u: render_user(u, cloud=cloud, base=base),
                         f"/rest/api/group/{name}/member")

    return [
        ("GET", "/rest/api/content", content_list),
        ("GET", "/rest/api/content/search", content_search),
        ("GET", "/rest/api/content/{id}", content_by_id),
        ("GET", "/rest/api/content/{id}/child/page", child_pages),
        ("GET", "/rest/api/content/{id}/child/attachment", attachments),
        ("GET", "/rest/api/content/{id}/child/attachment/{att}/download", attachment_download),
        ("GET", "/rest/api/content/{id}/child/comment", comments),
        ("GET", "/rest/api/content/{id}/label", labels),
        ("GET", "/rest/api/content/{id}/restriction/byOperation", restrictions),
        ("GET", "/rest/api/content/{id}/restriction/byOperation/{op}", restriction_for),
        ("GET", "/rest/api/space", spaces),
        ("GET", "/rest/api/space/{key}", space_by_key),
        ("GET", "/rest/api/space/{key}/permissions", dc_space_permissions),
        ("GET", "/rest/api/space/{key}/permissions/anonymous", dc_space_permissions),
        ("GET", "/rest/api/user/current", current_user),
        ("GET", "/rest/api/user", user_lookup),
        ("GET", "/rest/api/group", groups),
        ("GET", "/rest/api/group/{name}/member", group_members),
    ]


def file_response(att) -> Response:
    return Response(att.data, media_type=att.media_type,
                    headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(att.filename)}"})
