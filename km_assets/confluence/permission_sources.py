"""Space permissions per deployment, normalised to (subject_type, subject, operation) triples.

Operations: read (view space), create_page ("Add pages": create and edit pages), create_blogpost
("Add blogs"), administer. Anything else (comment, export, delete...) does not bear on read or edit.
Any failure comes back as an error string (the caller fails closed), naming the cause and the fix.
"""

from __future__ import annotations

import httpx

from .client import ConfluenceClient
from .errors import ConfluenceError, NotFoundError

__all__ = ["RPC_PATH", "SpaceGrants", "deployment_kind", "space_grants"]

RPC_PATH = "/rpc/json-rpc/confluenceservice-v2"
SpaceGrants = tuple[list[tuple[str, str | None, str]], str | None]

# (operation, target) -> normalised operations. Target "space" for create is the older generic form.
_REST_OPS = {("read", "space"): ("read",), ("administer", "space"): ("administer",),
             ("create", "page"): ("create_page",), ("create", "blogpost"): ("create_blogpost",),
             ("create", "space"): ("create_page", "create_blogpost")}
_RPC_OPS = {"VIEWSPACE": "read", "EDITSPACE": "create_page", "EDITBLOG": "create_blogpost",
            "SETSPACEPERMISSIONS": "administer"}


def deployment_kind(client: ConfluenceClient, declared: str = "auto") -> str:
    """cloud | datacenter: detected when the client was built with detection, else as km.yaml declares."""
    if client.deployment is not None or client.declared_kind:
        return client.kind
    return "cloud" if declared == "cloud" else "datacenter"


def space_grants(client: ConfluenceClient, space: str, kind: str | None = None) -> SpaceGrants:
    deployment = client.deployment
    kind = kind or deployment_kind(client)
    try:
        if kind == "cloud":
            return _cloud(client, space), None
        version = deployment.version_tuple if deployment is not None else ()
        if version and version < (9, 1):
            return _rpc(client, space)
        try:
            return _dc_rest(client, space), None
        except NotFoundError:
            if version:
                raise
            return _rpc(client, space)  # version unknown and no 9.1 resource: an older Server/DC
    except ConfluenceError as err:
        hint = (" (Data Center answers 500 to non-administrators here, CONFSERVER-99908: the sync account "
                "needs space admin)" if err.status == 500 else "")
        return [], f"space permissions of {space} could not be read: {err}{hint}"
    except ValueError as err:  # a 200 that is not JSON (a proxy's page)
        return [], f"space permissions of {space} could not be read: not JSON ({err})"


def _cloud(client: ConfluenceClient, space: str) -> list[tuple[str, str | None, str]]:
    body = client.get_json(f"/rest/api/space/{space}", {"expand": "permissions"})
    if not isinstance(body.get("permissions"), list):
        raise ConfluenceError(f"space {space} came back without its permissions (the expansion needs an "
                              "account allowed to see them)")
    out = []
    for perm in body["permissions"]:
        op = perm.get("operation") or {}
        subjects = perm.get("subjects") or {}
        users = (subjects.get("user") or {}).get("results") or []
        groups = (subjects.get("group") or {}).get("results") or []
        if perm.get("anonymousAccess"):
            subject: tuple[str, str | None] = ("anonymous", None)
        elif users:
            subject = ("user", users[0].get("accountId"))
        elif groups:
            subject = ("group", groups[0].get("name"))
        else:
            continue
        out += [(*subject, name) for name in _REST_OPS.get((op.get("operation"), op.get("targetType")), ())]
    return out


def _list(client: ConfluenceClient, path: str) -> list[dict]:
    body = client.request("GET", path).json()
    return body.get("results") or [] if isinstance(body, dict) else body


def _dc_rest(client: ConfluenceClient, space: str) -> list[tuple[str, str | None, str]]:
    """9.1+: subjects by type and identifier (user key); keys are resolved to the user names that
    restrictions and user/memberof use, one request per user granted directly."""
    out = []
    names: dict[str, str] = {}
    rows = _list(client, f"/rest/api/space/{space}/permissions")
    rows += [{**r, "subject": {"type": "anonymous"}} for r in _list(client, f"/rest/api/space/{space}/permissions/anonymous")]
    for perm in rows:
        subject = perm.get("subject") or {}
        op = perm.get("operation") or {}
        kind, ident = subject.get("type"), subject.get("identifier")
        if kind == "user" and ident:
            if ident not in names:
                user = client.get_json("/rest/api/user", {"key": ident})
                names[ident] = user.get("username") or ident
            ident = names[ident]
        elif kind not in ("group", "anonymous"):
            continue
        out += [(kind, ident if kind != "anonymous" else None, name)
                for name in _REST_OPS.get((op.get("key"), op.get("target")), ())]
    return out


def _rpc(client: ConfluenceClient, space: str) -> SpaceGrants:
    payload = {"jsonrpc": "2.0", "method": "getSpacePermissionSets", "params": [space], "id": 1}
    response = client.request("POST", RPC_PATH, json=payload)
    if "html" in response.headers.get("content-type", ""):
        return [], (f"JSON-RPC getSpacePermissionSets answered an HTML page ({_title(response)}): secure "
                    "administrator sessions (WebSudo) want a password re-entered, which an API client cannot "
                    "do; exempt the sync account or turn WebSudo off, or upgrade to Data Center 9.1+")
    try:
        body = response.json()
    except ValueError:
        return [], f"JSON-RPC getSpacePermissionSets answered {response.status_code} without JSON"
    if body.get("error"):
        message = (body["error"] or {}).get("message") if isinstance(body["error"], dict) else body["error"]
        hint = (": turn on the remote API (General Configuration > Further Configuration)"
                if "remote api" in str(message).lower() else "")
        return [], f"JSON-RPC getSpacePermissionSets refused: {message}{hint}"
    out = []
    for permission_set in body.get("result") or []:
        op = _RPC_OPS.get(permission_set.get("type"))
        for perm in permission_set.get("spacePermissions") or [] if op else []:
            user, group = perm.get("userName"), perm.get("groupName")
            kind = "user" if user else "group" if group else "anonymous"  # neither: anonymous
            out.append((kind, user or group, op))
    return out, None


def _title(response: httpx.Response) -> str:
    text = response.text
    start = text.lower().find("<title>")
    end = text.lower().find("</title>")
    return text[start + 7:end].strip() if 0 <= start < end else "no title"
