"""The sandbox's admin API: change the site while it runs, read the request counters.

Namespaced under /__sandbox__/ (no Confluence path looks like it) and guarded by the header
`X-Sandbox-Admin-Token: <the sandbox's API token>`. Each route calls one Site method, so the HTTP and
Python faces of a change are the same code.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .http import ApiContext, error, json_response
from .site import SpaceGrant

__all__ = ["ADMIN_PREFIX", "admin_routes"]

ADMIN_PREFIX = "/__sandbox__"


def _content_summary(item) -> dict:
    return {"id": item.id, "type": item.type, "space": item.space, "title": item.title, "status": item.status,
            "version": item.version.number, "parent": item.parent, "labels": item.labels}


def admin_routes(api: ApiContext) -> list[Route]:
    site = api.site

    def guarded(handler: Callable) -> Callable:
        async def endpoint(request: Request) -> Response:
            token = request.headers.get("x-sandbox-admin-token", "")
            if not hmac.compare_digest(token.encode(), api.options.api_token.encode()):
                return error(401, "X-Sandbox-Admin-Token is missing or wrong")
            try:
                body = json.loads(await request.body() or b"{}")
            except json.JSONDecodeError as err:
                return error(400, f"body is not JSON: {err}")
            try:
                result = handler(request, body)
            except KeyError as err:
                return error(404, f"not found: {err}")
            except (ValueError, TypeError) as err:
                return error(400, str(err))
            return result if isinstance(result, Response) else json_response(result)
        return endpoint

    def when(body: dict) -> datetime | None:
        return datetime.fromisoformat(body["at"].replace("Z", "+00:00")) if body.get("at") else None

    def counters(request: Request, body: dict):
        return api.counters.snapshot()

    def reset_counters(request: Request, body: dict):
        api.counters.reset()
        return {"reset": True}

    def create(request: Request, body: dict):
        item = site.create(space=body["space"], title=body["title"], body=body.get("body", "<p></p>"),
                           by=body.get("by", api.options.api_user), type=body.get("type", "page"),
                           parent=body.get("parent"), labels=body.get("labels"), at=when(body))
        return json_response(_content_summary(item), status=201)

    def edit(request: Request, body: dict):
        item = site.edit(request.path_params["id"], by=body.get("by", api.options.api_user),
                         body=body.get("body"), title=body.get("title"), labels=body.get("labels"),
                         at=when(body), message=body.get("message", ""))
        return _content_summary(item)

    def labels(request: Request, body: dict):
        return _content_summary(site.set_labels(request.path_params["id"], list(body["labels"])))

    def move(request: Request, body: dict):
        return _content_summary(site.move(request.path_params["id"], parent=body.get("parent"),
                                          space=body.get("space")))

    def restrict(request: Request, body: dict):
        item = site.restrict(request.path_params["id"], operation=body.get("operation", "read"),
                             users=body.get("users"), groups=body.get("groups"))
        return {**_content_summary(item), "read": {"users": item.read_users, "groups": item.read_groups},
                "update": {"users": item.update_users, "groups": item.update_groups}}

    def status(request: Request, body: dict):
        return _content_summary(site.set_status(request.path_params["id"], body["status"]))

    def purge(request: Request, body: dict):
        site.purge(request.path_params["id"])
        return {"purged": request.path_params["id"]}

    def add_space(request: Request, body: dict):
        grants = [SpaceGrant(g["subject_type"], g.get("subject"), g.get("operation", "read"))
                  for g in body.get("grants", [])]
        space = site.add_space(body["key"], body.get("name", body["key"]), grants=grants)
        return json_response({"key": space.key, "id": space.id}, status=201)

    def grant(request: Request, body: dict):
        change = SpaceGrant(body["subject_type"], body.get("subject"), body.get("operation", "read"))
        if request.method == "DELETE":
            site.revoke(request.path_params["key"], change)
        else:
            site.grant(request.path_params["key"], change)
        return {"permissions": [g.__dict__ for g in site.spaces[request.path_params["key"]].permissions]}

    def member(request: Request, body: dict):
        name, user = request.path_params["name"], body["username"]
        if user not in site.users:
            raise KeyError(user)
        if request.method == "DELETE":
            site.remove_member(name, user)
        else:
            site.add_member(name, user)
        return {"group": name, "members": site.groups[name].members}

    def settings(request: Request, body: dict):
        if "index_lag" in body:
            site.index_lag = float(body["index_lag"])
        return {"index_lag": site.index_lag}

    table = [
        ("GET", "/counters", counters),
        ("POST", "/counters/reset", reset_counters),
        ("POST", "/content", create),
        ("PUT", "/content/{id}", edit),
        ("DELETE", "/content/{id}", purge),
        ("PUT", "/content/{id}/labels", labels),
        ("POST", "/content/{id}/move", move),
        ("PUT", "/content/{id}/restrictions", restrict),
        ("POST", "/content/{id}/status", status),
        ("POST", "/spaces", add_space),
        ("POST", "/spaces/{key}/permissions", grant),
        ("DELETE", "/spaces/{key}/permissions", grant),
        ("POST", "/groups/{name}/members", member),
        ("DELETE", "/groups/{name}/members", member),
        ("PUT", "/settings", settings),
    ]
    return [Route(ADMIN_PREFIX + path, guarded(handler), methods=[method]) for method, path, handler in table]
