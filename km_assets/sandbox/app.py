"""The sandbox's HTTP face: a Starlette app that answers like Confluence.

Cloud serves everything under /wiki and accepts Basic (e-mail + API token); Data Center serves at the
root. Every request is counted by route and status so tests can prove how polite a client was.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .cql import CqlError, parse_cql
from .site import Site
from .v1 import parse_expand, render_attachment, render_content, render_space

__all__ = ["SandboxOptions", "build_app"]


@dataclass
class SandboxOptions:
    flavor: Literal["cloud", "datacenter"] = "cloud"
    username: str = "sync-bot@northwind.example"
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    time_zone: str = "UTC"
    max_limit: int = 250


@dataclass
class RequestCounters:
    """How many requests each route answered, by status. Safe to read from tests while serving."""

    by_route: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, route: str, status: int) -> None:
        with self.lock:
            self.by_route[(route, status)] += 1

    def total(self, route: str | None = None) -> int:
        with self.lock:
            return sum(n for (r, _), n in self.by_route.items() if route is None or r == route)


def _error(status: int, message: str, reason: str) -> JSONResponse:
    return JSONResponse({"statusCode": status, "data": {"authorized": status != 401, "valid": True,
                                                        "errors": [], "successful": False},
                         "message": message, "reason": reason}, status_code=status)


def _int_param(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise _BadRequest(f"{name} must be a number, got {value!r}") from None


class _BadRequest(Exception):
    pass


def build_app(site: Site, options: SandboxOptions, counters: RequestCounters | None = None) -> Starlette:
    counters = counters if counters is not None else RequestCounters()
    cloud = options.flavor == "cloud"
    context = "/wiki" if cloud else ""
    tz = ZoneInfo(options.time_zone)
    expected_basic = base64.b64encode(f"{options.username}:{options.api_token}".encode()).decode()

    def base_url(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}{context}"

    def authorized(request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                if secrets.compare_digest(base64.b64decode(credentials).decode(), base64.b64decode(
                        expected_basic).decode()):
                    return None
            except (binascii.Error, UnicodeDecodeError):
                pass
            return _error(401, "Basic authentication with passwords is deprecated or the credentials are "
                               "wrong. Use an API token.", "Unauthorized")
        if scheme.lower() == "bearer" and cloud:
            return _error(403, "Failed to parse Connect Session Auth Token", "Forbidden")
        return _error(401, "This request requires authentication.", "Unauthorized")

    def page(request: Request, items: list, render, path: str, extra: dict) -> dict:
        start = max(_int_param(request, "start", 0), 0)
        limit = min(max(_int_param(request, "limit", 25), 1), options.max_limit)
        chunk = items[start:start + limit]
        links: dict = {"base": base_url(request), "context": context,
                       "self": f"{base_url(request)}{path}?{urlencode(extra)}"}
        if start + limit < len(items):
            links["next"] = f"{path}?{urlencode({**extra, 'limit': limit, 'start': start + limit})}"
        if start > 0:
            links["prev"] = f"{path}?{urlencode({**extra, 'limit': limit, 'start': max(start - limit, 0)})}"
        return {"results": [render(i) for i in chunk], "start": start, "limit": limit, "size": len(chunk),
                "_links": links}

    def content_renderer(request: Request):
        expand = parse_expand(request.query_params.get("expand"))
        base = base_url(request)
        return lambda c: render_content(site, c, expand, cloud=cloud, base=base, context=context)

    async def content_list(request: Request) -> dict:
        space = request.query_params.get("spaceKey")
        kind = request.query_params.get("type", "page")
        status = request.query_params.get("status", "current")
        items = sorted((c for c in site.content.values()
                        if (space is None or c.space == space) and c.type == kind and c.status == status),
                       key=lambda c: int(c.id))
        extra = {k: v for k, v in request.query_params.items() if k not in ("start", "limit")}
        return page(request, items, content_renderer(request), "/rest/api/content", extra)

    async def content_search(request: Request) -> dict:
        cql = request.query_params.get("cql")
        if not cql:
            raise _BadRequest("The CQL query parameter is required")
        try:
            query = parse_cql(cql, site, tz)
        except CqlError as err:
            raise _BadRequest(str(err)) from None
        items = query.run([c for c in site.content.values() if c.status == "current"])
        extra = {k: v for k, v in request.query_params.items() if k not in ("start", "limit", "cursor")}
        body = page(request, items, content_renderer(request), "/rest/api/content/search", extra)
        body["totalSize"] = len(items)
        body["cqlQuery"] = cql
        return body

    async def content_by_id(request: Request) -> dict | Response:
        item = site.content.get(request.path_params["id"])
        if item is None or item.status not in ("current", request.query_params.get("status", "current")):
            return _error(404, f"No content found with id : ContentId{{id={request.path_params['id']}}}",
                          "Not Found")
        return content_renderer(request)(item)

    async def attachments(request: Request) -> dict | Response:
        cid = request.path_params["id"]
        if cid not in site.content:
            return _error(404, f"No content found with id : ContentId{{id={cid}}}", "Not Found")
        base = base_url(request)
        items = site.attachments_of(cid)
        return page(request, items, lambda a: render_attachment(site, a, cloud=cloud, base=base),
                    f"/rest/api/content/{cid}/child/attachment", {})

    async def attachment_download(request: Request) -> Response:
        att = site.attachments.get(request.path_params["att"])
        if att is None or att.container_id != request.path_params["id"]:
            return _error(404, "Attachment not found", "Not Found")
        return Response(att.data, media_type=att.media_type,
                        headers={"content-disposition": f'attachment; filename="{att.filename}"'})

    async def spaces(request: Request) -> dict:
        base = base_url(request)
        keys = request.query_params.getlist("spaceKey")
        items = [s for s in sorted(site.spaces.values(), key=lambda s: s.id) if not keys or s.key in keys]
        return page(request, items, lambda s: render_space(s, base=base), "/rest/api/space", {})

    async def space_by_key(request: Request) -> dict | Response:
        space = site.spaces.get(request.path_params["key"])
        if space is None:
            return _error(404, f"No space with key : {request.path_params['key']}", "Not Found")
        return render_space(space, base=base_url(request))

    async def current_user(request: Request) -> dict:
        # The sandbox's API user is not one of the site's authors.
        me = {"type": "known", "displayName": "Sync Bot", "email": options.username,
              "accountId": "712020:5b6c1b59-sync-bot", "accountType": "atlassian"}
        if not cloud:
            me = {"type": "known", "username": options.username, "userKey": "8a7f808a00000001",
                  "displayName": "Sync Bot"}
        return me

    routes_json = [
        ("/rest/api/content", content_list),
        ("/rest/api/content/search", content_search),
        ("/rest/api/content/{id}", content_by_id),
        ("/rest/api/content/{id}/child/attachment", attachments),
        ("/rest/api/space", spaces),
        ("/rest/api/space/{key}", space_by_key),
        ("/rest/api/user/current", current_user),
    ]

    def wrap(path: str, handler):
        async def endpoint(request: Request) -> Response:
            denied = authorized(request)
            if denied is not None:
                counters.add(path, denied.status_code)
                return denied
            try:
                result = await handler(request)
            except _BadRequest as err:
                response: Response = _error(400, str(err), "Bad Request")
            else:
                response = result if isinstance(result, Response) else Response(
                    json.dumps(result, ensure_ascii=False), media_type="application/json")
            counters.add(path, response.status_code)
            return response
        return endpoint

    routes = [Route(context + path, wrap(path, handler)) for path, handler in routes_json]
    routes.append(Route(context + "/rest/api/content/{id}/child/attachment/{att}/download",
                        wrap("/rest/api/content/{id}/child/attachment/{att}/download", attachment_download)))

    async def not_found(request: Request, exc: Exception) -> Response:
        counters.add("<unknown>", 404)
        return _error(404, f"null for uri: {request.url}", "Not Found")

    app = Starlette(routes=routes, exception_handlers={404: not_found})
    app.state.counters = counters
    app.state.site = site
    app.state.options = options
    return app
