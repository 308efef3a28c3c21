"""v1 REST routes (rest/api/...), for Cloud and Data Center: content here, people and spaces in
v1_directory, paging quirks in v1_paging, shapes in v1 (see tests/test_sandbox_recordings.py).

Failures answer like Confluence: a path id that is not a content id is Jersey's 500 (dapplo recording),
content the viewer may not see is 404 as if it did not exist, and an account without product access
gets 403 "Current user not permitted to use Confluence" on every call (demisto recording).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .cql import CqlError, parse_cql
from .http import ApiContext, BadRequest, error, int_param
from .shared import Shared
from .site import Attachment, Content
from .v1 import (
    View,
    collection,
    friendly,
    iso,
    parse_expand,
    render_attachment,
    render_comment,
    render_content,
    render_restriction,
    render_restrictions,
    sub,
)
from .v1_directory import directory_routes
from .v1_paging import Pager

__all__ = ["file_response", "v1_routes"]

Handler = Callable[[Request], Awaitable[object]]
# Restriction resources expand users and groups unless told otherwise (LangChain's loader relies on it).
_RESTRICTION_DEFAULT_EXPAND = "restrictions.user,restrictions.group"
_NOT_A_CONTENT_ID = ("com.sun.jersey.api.ParamException$PathParamException: com.atlassian.confluence.api."
                     "service.exceptions.BadRequestException: Can't parse as a ContentId: {}")


def is_content_id(value: str) -> bool:
    return value.isdigit() or (value.startswith("att") and value[3:].isdigit())


def v1_routes(api: ApiContext) -> list[tuple[str, str, Handler]]:
    site, options = api.site, api.options
    cloud = options.cloud
    pager = Pager(api)

    def view_of(request: Request) -> View:
        # One Shared per request: app.py encodes the handler's answer with it (see shared.py).
        shared = request.scope.setdefault("km_shared", Shared())
        return View(site, cloud, api.base_url(request), api.context_path, options.cloud_id if cloud else "",
                    api.viewer(request), options.restriction_limit, shared)

    def single(request: Request, body: dict) -> dict:
        # A single item's links also carry the roots (go-atlassian and querypie recordings); list items don't.
        body["_links"].update({"collection": "/rest/api/content", "base": api.base_url(request),
                               "context": api.context_path})
        return body

    def visible(request: Request, items) -> list[Content]:
        return list(filter(site.viewer_filter(api.viewer(request)), items))

    def content_renderer(request: Request) -> Callable[[Content], dict]:
        expand = parse_expand(request.query_params.get("expand"))
        view = view_of(request)
        return lambda c: render_content(view, c, expand)

    def lookup(request: Request, key: str = "id") -> Content | Response:
        cid = request.path_params[key]
        if not is_content_id(cid):
            return error(500, _NOT_A_CONTENT_ID.format(cid))
        item = site.content.get(cid)
        if item is None or not site.can_view(api.viewer(request), item):
            return error(404, f"No content found with id : ContentId{{id={cid}}}")
        return item

    async def content_list(request: Request):
        space = request.query_params.get("spaceKey")
        kind = request.query_params.get("type", "page")
        status = request.query_params.get("status", "current")
        title = request.query_params.get("title")
        viewer = api.viewer(request)

        def listed() -> list[Content]:
            items = sorted((c for c in site.content.values()
                            if (space is None or c.space == space) and c.type == kind and c.status == status
                            and (title is None or c.title == title)), key=lambda c: (c.position, int(c.id)))
            return list(filter(site.viewer_filter(viewer), items))

        with site.lock:
            # Each page of a walk would filter and sort the whole site again: kept until the site changes.
            items = site.memo(("v1 content", space, kind, status, title, viewer and viewer.username), listed)
            return pager.page(request, items, content_renderer(request), "/rest/api/content")

    def search(request: Request) -> tuple[str, list[Content]]:
        cql = request.query_params.get("cql")
        if not cql:
            raise BadRequest("The CQL query parameter is required")
        try:
            query = parse_cql(cql, site, api.tz)
        except CqlError as err:
            raise BadRequest(str(err)) from None
        viewer = api.viewer(request)

        def found() -> list[Content]:
            return list(filter(site.viewer_filter(viewer), query.run(site.searchable())))

        if site.index_lag > 0:  # what search sees then depends on the clock, not only on the site
            return cql, found()
        return cql, site.memo(("v1 search", cql, viewer and viewer.username), found)

    async def content_search(request: Request):
        with site.lock:
            cql, items = search(request)
            body = pager.page(request, items, content_renderer(request), "/rest/api/content/search",
                              cursor=cloud)
        return {**body, "totalSize": len(items), "cqlQuery": cql, "searchDuration": 7}

    async def site_search(request: Request):
        """`rest/api/search`: each hit wraps its content with search-result fields."""
        with site.lock:
            cql, items = search(request)
            render = content_renderer(request)

            def hit(c: Content) -> dict:
                rendered = render(c)
                space = site.spaces[c.space]
                return {"content": rendered, "title": c.title, "excerpt": "",
                        "url": rendered["_links"]["webui"],
                        "resultGlobalContainer": {"title": space.name, "displayUrl": f"/spaces/{space.key}"},
                        "breadcrumbs": [], "entityType": "content",
                        "iconCssClass": f"aui-icon content-type-{c.type}",
                        "lastModified": iso(c.modified), "friendlyLastModified": friendly(c.modified),
                        "score": 0.0}

            body = pager.page(request, items, hit, "/rest/api/search", cursor=cloud)
        return {**body, "totalSize": len(items), "cqlQuery": cql, "searchDuration": 7}

    async def content_by_id(request: Request):
        cid = request.path_params["id"]
        with site.lock:
            if cid in site.attachments:  # attachments are content too, fetched by their "att…" id
                att = site.attachments[cid]
                page = site.content.get(att.container_id)
                if page is not None and site.can_view(api.viewer(request), page) and att.status == "current":
                    expand = parse_expand(request.query_params.get("expand"))
                    return single(request, render_attachment(view_of(request), att, expand))
            item = lookup(request)
            if isinstance(item, Response):
                return item
            status = request.query_params.get("status", "current").split(",")
            if item.status not in status and item.status != "current":
                return error(404, f"No content found with id : ContentId{{id={item.id}}}")
            return single(request, content_renderer(request)(item))

    def attachments_of(request: Request, item: Content) -> list[Attachment]:
        filename = request.query_params.get("filename")
        media = request.query_params.get("mediaType")
        return [a for a in site.attachments_of(item.id)
                if (filename is None or a.filename == filename) and (media is None or a.media_type == media)]

    async def children(request: Request):
        """`content/{id}/child?expand=attachment,page,comment`: one collection per asked kind."""
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            expand, view = parse_expand(request.query_params.get("expand")), view_of(request)
            path = f"/rest/api/content/{item.id}/child"
            kinds = {"attachment": lambda: [render_attachment(view, a, sub(expand, "attachment"))
                                            for a in attachments_of(request, item)],
                     "comment": lambda: [render_comment(view, c, sub(expand, "comment"))
                                         for c in site.comments_of(item.id)],
                     "page": lambda: [render_content(view, c, sub(expand, "page"))
                                      for c in visible(request, site.children_of(item.id))]}
            out: dict = {kind: collection(make(), view.url(f"{path}/{kind}")) for kind, make in kinds.items()
                         if kind in expand}
            out["_expandable"] = {kind: f"{path}/{kind}" for kind in kinds if kind not in out}
            out["_links"] = {"self": view.url(path), "base": view.base, "context": view.context}
            return out

    async def child_pages(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            kids = visible(request, site.children_of(item.id))
            return pager.page(request, kids, content_renderer(request),
                              f"/rest/api/content/{item.id}/child/page")

    async def attachments(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            expand, view = parse_expand(request.query_params.get("expand")), view_of(request)
            return pager.page(request, attachments_of(request, item),
                              lambda a: render_attachment(view, a, expand),
                              f"/rest/api/content/{item.id}/child/attachment", default=50)

    async def comments(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            expand, view = parse_expand(request.query_params.get("expand")), view_of(request)
            return pager.page(request, site.comments_of(item.id), lambda c: render_comment(view, c, expand),
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
            media = f"{api.root_url(request)}/media/file/{att.id}?token={token}"
            return RedirectResponse(media, status_code=302)
        return file_response(att)

    async def labels(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            results = [{"prefix": "global", "name": n, "id": str(1000 + i), "label": n}
                       for i, n in enumerate(item.labels)]
        return pager.page(request, results, lambda x: x, f"/rest/api/content/{item.id}/label")

    async def restrictions(request: Request):
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            expand = parse_expand(request.query_params.get("expand", _RESTRICTION_DEFAULT_EXPAND))
            view = view_of(request)
            # `read.restrictions.user` names one operation; a bare `restrictions.user` applies to both.
            shared = {e for e in expand if e.split(".")[0] not in ("read", "update")}
            both = {"read", "update"} | {f"{op}.{e}" for op in ("read", "update") for e in shared} | expand
            body = render_restrictions(view, item, both, limit=options.restriction_limit)
        body["_links"].update({"base": view.base, "context": view.context})
        return body

    async def restriction_for(request: Request):
        operation = request.path_params["op"]
        if operation not in ("read", "update"):
            raise BadRequest(f"Unknown operation: {operation}")
        with site.lock:
            item = lookup(request)
            if isinstance(item, Response):
                return item
            expand = parse_expand(request.query_params.get("expand", _RESTRICTION_DEFAULT_EXPAND))
            start = max(0, int_param(request, "start", 0))
            limit = min(max(1, int_param(request, "limit", options.restriction_limit)), options.restriction_limit)
            return render_restriction(view_of(request), item, operation, expand, start=start, limit=limit)

    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/rest/api/content", content_list),
        ("GET", "/rest/api/content/search", content_search),
        ("GET", "/rest/api/search", site_search),
        ("GET", "/rest/api/content/{id}", content_by_id),
        ("GET", "/rest/api/content/{id}/child", children),
        ("GET", "/rest/api/content/{id}/child/page", child_pages),
        ("GET", "/rest/api/content/{id}/child/attachment", attachments),
        ("GET", "/rest/api/content/{id}/child/attachment/{att}/download", attachment_download),
        ("GET", "/rest/api/content/{id}/child/comment", comments),
        ("GET", "/rest/api/content/{id}/label", labels),
        ("GET", "/rest/api/content/{id}/restriction/byOperation", restrictions),
        ("GET", "/rest/api/content/{id}/restriction/byOperation/{op}", restriction_for),
        *directory_routes(api, pager, view_of),
    ]
    return [(method, path, _licensed(api, handler)) for method, path, handler in routes]


def _licensed(api: ApiContext, handler: Handler) -> Handler:
    """An account without Confluence product access (a deactivated user) is refused on every v1 call."""
    async def endpoint(request: Request) -> object:
        viewer = api.viewer(request)
        if viewer is not None and not viewer.active:
            return error(403, "Current user not permitted to use Confluence")
        return await handler(request)
    return endpoint


def file_response(att: Attachment) -> Response:
    return Response(att.data, media_type=att.media_type,
                    headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(att.filename)}"})
