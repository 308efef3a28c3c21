"""Older Server/DC's JSON-RPC API, as far as permission sync needs it: `getSpacePermissionSets`.

Before 9.1, Data Center has no REST resource for space permissions; clients call
`POST /rpc/json-rpc/confluenceservice-v2` with a JSON-RPC 2.0 body (or the light form
`.../confluenceservice-v2/getSpacePermissionSets` with the params array as the body). Answers: one
permission set per type (VIEWSPACE, EDITSPACE, ...) listing {type, userName, groupName, spaceKey}, with
both names null for anonymous. As deployed sites also do, it may answer WebSudo's "Administrator Access"
HTML page, or an error when an administrator switched the remote API off; both are SandboxOptions.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse

from .http import ApiContext, json_response

__all__ = ["RPC_PATH", "rpc_routes"]

RPC_PATH = "/rpc/json-rpc/confluenceservice-v2"
# Sandbox operations -> the permission types the remote API names ("create" is Add pages and Add blogs).
_TYPES = {"read": ("VIEWSPACE",), "create": ("EDITSPACE", "EDITBLOG"), "comment": ("COMMENT",),
          "administer": ("SETSPACEPERMISSIONS",)}
_WEBSUDO = """<!DOCTYPE html><html><head><title>Administrator Access - Confluence</title></head><body>
<form id="authenticateform" action="/doauthenticate.action" method="post"><p>You have requested access to
an administrative function in Confluence and are required to validate your credentials below.</p>
<input type="password" name="password"/></form></body></html>"""
_DISABLED = ("com.atlassian.confluence.rpc.RemoteException: Remote API is not enabled on this server. "
             "Ask a site administrator to enable it.")

Handler = Callable[[Request], Awaitable[object]]


def rpc_routes(api: ApiContext) -> list[tuple[str, str, Handler]]:
    site, options = api.site, api.options

    def permission_sets(space_key: str, request: Request) -> tuple[list | None, str | None]:
        viewer = api.viewer(request)
        space = site.spaces.get(space_key)
        if space is None:
            return None, f"com.atlassian.confluence.rpc.RemoteException: No space found for space key: {space_key}"
        if viewer is None or not (viewer.username in options.admin_users
                                  or site.space_allows(viewer, space_key, "administer")):
            return None, ("com.atlassian.confluence.rpc.NotPermittedException: You do not have permission to "
                          f"view the permissions of space {space_key}")
        sets: dict[str, list[dict]] = {}
        for grant in space.permissions:
            for kind in _TYPES.get(grant.operation, ()):
                sets.setdefault(kind, []).append({
                    "type": kind, "spaceKey": space_key,
                    "userName": grant.subject if grant.subject_type == "user" else None,
                    "groupName": grant.subject if grant.subject_type == "group" else None})
        return [{"type": kind, "spacePermissions": perms} for kind, perms in sets.items()], None

    async def call(request: Request):
        light = request.path_params.get("method")
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        method = light or (body.get("method") if isinstance(body, dict) else None)
        params = body if light else (body.get("params") if isinstance(body, dict) else None)
        call_id = body.get("id") if isinstance(body, dict) and not light else None

        def answer(result: object = None, message: str | None = None, code: int = 500):
            if light and message is None:
                return json_response(result)
            out: dict = {"jsonrpc": "2.0", "id": call_id}
            out.update({"error": {"code": code, "message": message}} if message else {"result": result})
            return json_response(out)

        if options.remote_api == "websudo":
            return HTMLResponse(_WEBSUDO)
        if options.remote_api == "disabled":
            return answer(message=_DISABLED)
        if method != "getSpacePermissionSets":
            return answer(message=f"No such operation: {method}", code=-32601)
        if not isinstance(params, list) or len(params) != 1 or not isinstance(params[0], str):
            return answer(message="getSpacePermissionSets takes one parameter, the space key", code=-32602)
        with site.lock:
            result, message = permission_sets(params[0], request)
        return answer(result, message)

    return [("POST", RPC_PATH, call), ("POST", RPC_PATH + "/{method}", call)]
