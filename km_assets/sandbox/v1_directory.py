"""v1 routes for spaces, users and groups, per flavor.

Cloud lists people only through groups and `search/user` (there is no user directory since the 2019
privacy changes) and names groups by id in `group/{id}/membersByGroupId`; Data Center has
`user/list` and, from 9.1, `space/{key}/permissions` for administrators.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.requests import Request

from .http import ApiContext, BadRequest, error
from .v1 import (
    View,
    parse_expand,
    render_group,
    render_space,
    render_space_permissions,
    render_user,
    render_user_search_result,
)
from .v1_paging import Pager

__all__ = ["directory_routes"]

Handler = Callable[[Request], Awaitable[object]]
_USER_CQL = re.compile(r"""^\s*type\s*=\s*(["']?)user\1\s*$""", re.I)


def directory_routes(api: ApiContext, pager: Pager,
                     view_of: Callable[[Request], View]) -> list[tuple[str, str, Handler]]:
    site, options = api.site, api.options
    cloud = options.cloud

    def users_sorted():
        return sorted(site.users.values(), key=lambda u: (u.display_name.lower(), u.username))

    async def spaces(request: Request):
        keys = request.query_params.getlist("spaceKey")
        expand, view = parse_expand(request.query_params.get("expand")), view_of(request)
        with site.lock:
            # Space keys match case-insensitively (demisto asks for "Trial" and gets TRIAL).
            wanted = {k.upper() for k in keys}
            items = [s for s in sorted(site.spaces.values(), key=lambda s: s.id)
                     if (not keys or s.key.upper() in wanted) and site.space_allows(view.viewer, s.key)]
            return pager.page(request, items, lambda s: render_space(view, s, expand), "/rest/api/space")

    async def space_by_key(request: Request):
        key = request.path_params["key"]
        with site.lock:
            space = site.spaces.get(key)
            if space is None or not site.space_allows(api.viewer(request), key):
                return error(404, f"No space with key : {key}")
            view = view_of(request)
            body = render_space(view, space, parse_expand(request.query_params.get("expand")))
        body["_links"].update({"base": view.base, "context": view.context})
        return body

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
            return render_space_permissions(view_of(request), site.spaces[key], anonymous_only=anonymous)

    async def current_user(request: Request):
        viewer = api.viewer(request)
        if viewer is None:
            if cloud:
                return error(401, "This request requires authentication.")
            picture = {"path": "/images/icons/profilepics/anonymous.svg"}
            return {"type": "anonymous", "profilePicture": picture, "displayName": "Anonymous", "_links": {}}
        return render_user(view_of(request), viewer, parse_expand(request.query_params.get("expand")))

    async def user_lookup(request: Request):
        ident = (request.query_params.get("accountId") or request.query_params.get("key")
                 or request.query_params.get("username"))
        if not ident:
            raise BadRequest("accountId, key or username is required")
        user = site.find_user(ident)
        if user is None:
            return error(404, f"No user found with identifier: {ident}")
        return render_user(view_of(request), user, parse_expand(request.query_params.get("expand")))

    async def member_of(request: Request):
        """`user/memberof`: the groups of one user (by accountId on Cloud; username or key on DC)."""
        ident = (request.query_params.get("accountId") or request.query_params.get("key")
                 or request.query_params.get("username"))
        if not ident:
            raise BadRequest("accountId, key or username is required")
        view = view_of(request)
        with site.lock:
            user = site.find_user(ident)
            if user is None:
                return error(404, f"No user found with identifier: {ident}")
            groups = sorted((site.groups[name] for name in site.groups_of(user)), key=lambda g: g.name)
            return pager.page(request, groups, lambda g: render_group(view, g), "/rest/api/user/memberof",
                              default=200)

    async def user_list(request: Request):
        """Data Center's user directory (`user/list`), paged like every v1 listing."""
        expand, view = parse_expand(request.query_params.get("expand")), view_of(request)
        with site.lock:
            return pager.page(request, users_sorted(), lambda u: render_user(view, u, expand),
                              "/rest/api/user/list", default=200)

    async def search_user(request: Request):
        """Cloud's `search/user?cql=type=user` (demisto and baton-confluence recordings)."""
        cql = request.query_params.get("cql") or ""
        if not _USER_CQL.match(cql):
            raise BadRequest(f"Could not parse cql : {cql} (search/user takes type = user)")
        expand, view = parse_expand(request.query_params.get("expand")), view_of(request)
        with site.lock:
            people = users_sorted()
            body = pager.page(request, people, lambda u: render_user_search_result(view, u, expand),
                              "/rest/api/search/user")
        return {**body, "totalSize": len(people), "cqlQuery": cql, "searchDuration": 7}

    async def groups(request: Request):
        view = view_of(request)
        with site.lock:
            items = sorted(site.groups.values(), key=lambda g: g.name)
            return pager.page(request, items, lambda g: render_group(view, g), "/rest/api/group", default=200)

    def members(request: Request, group, path: str):
        expand, view = parse_expand(request.query_params.get("expand")), view_of(request)
        people = [site.users[m] for m in group.members if m in site.users]
        return pager.page(request, people, lambda u: render_user(view, u, expand), path, default=200)

    async def group_members(request: Request):
        name = request.path_params["name"]
        with site.lock:
            group = site.groups.get(name)
            if group is None:
                return error(404, f"Group not found: {name}")
            return members(request, group, f"/rest/api/group/{name}/member")

    async def members_by_group_id(request: Request):
        group_id = request.path_params["groupId"]
        with site.lock:
            group = next((g for g in site.groups.values() if g.id == group_id), None)
            if group is None:
                return error(404, f"Group not found with id: {group_id}")
            return members(request, group, f"/rest/api/group/{group_id}/membersByGroupId")

    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/rest/api/space", spaces),
        ("GET", "/rest/api/space/{key}", space_by_key),
        ("GET", "/rest/api/space/{key}/permissions", dc_space_permissions),
        ("GET", "/rest/api/space/{key}/permissions/anonymous", dc_space_permissions),
        ("GET", "/rest/api/user/current", current_user),
        ("GET", "/rest/api/user", user_lookup),
        ("GET", "/rest/api/user/memberof", member_of),
        ("GET", "/rest/api/group", groups),
        ("GET", "/rest/api/group/{name}/member", group_members),
    ]
    if cloud:
        routes += [("GET", "/rest/api/search/user", search_user),
                   ("GET", "/rest/api/group/{groupId}/membersByGroupId", members_by_group_id)]
    else:
        routes.append(("GET", "/rest/api/user/list", user_list))
    return routes
