"""Rendering sandbox objects in the shapes of Confluence's v1 REST API (rest/api/...).

Shapes follow real recordings (see ../shared/confluence-samples/api): `_expandable` names what was not
expanded, `_links` values are relative to the context path and `_links.base` carries the absolute root.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from urllib.parse import quote

from .site import Attachment, Comment, Content, Group, Site, Space, SpaceGrant, User

__all__ = [
    "parse_expand", "render_attachment", "render_comment", "render_content", "render_group",
    "render_restriction", "render_space", "render_space_permissions", "render_user",
]

CONTENT_EXPANDABLES = ("childTypes", "container", "metadata", "operations", "schedulePublishDate",
                       "children", "restrictions", "history", "ancestors", "body", "version",
                       "descendants", "space")


def parse_expand(value: str | None) -> set[str]:
    """'a.b,c' -> {'a', 'a.b', 'c'}: asking for a nested expansion implies its parents."""
    wanted: set[str] = set()
    for item in (value or "").split(","):
        parts = [p for p in item.strip().split(".") if p]
        for i in range(1, len(parts) + 1):
            wanted.add(".".join(parts[:i]))
    return wanted


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def render_user(user: User, *, cloud: bool, base: str) -> dict:
    if cloud:
        return {
            "type": "known",
            "accountId": user.account_id,
            "accountType": "atlassian",
            "email": user.email,
            "publicName": user.display_name,
            "profilePicture": {"path": f"/wiki/aa-avatar/{user.account_id}", "width": 48, "height": 48,
                               "isDefault": False},
            "displayName": user.display_name,
            "isExternalCollaborator": False,
            "_expandable": {"operations": "", "personalSpace": ""},
            "_links": {"self": f"{base}/rest/api/user?accountId={user.account_id}"},
        }
    return {
        "type": "known",
        "username": user.username,
        "userKey": user.user_key,
        "profilePicture": {"path": "/images/icons/profilepics/default.svg", "width": 48, "height": 48,
                           "isDefault": True},
        "displayName": user.display_name,
        "_links": {"self": f"{base}/rest/api/user?key={user.user_key}"},
        "_expandable": {"status": ""},
    }


def render_space(site: Site, space: Space, expand: set[str] | None = None, *, cloud: bool, base: str) -> dict:
    expand = expand or set()
    out: dict = {"id": space.id, "key": space.key, "name": space.name}
    if cloud:
        out["icon"] = {"path": "/images/logo/default-space-logo-256.png", "width": 48, "height": 48,
                       "isDefault": False}
    expandable = {"settings": f"/rest/api/space/{space.key}/settings", "metadata": "", "operations": "",
                  "lookAndFeel": f"/rest/api/settings/lookandfeel?spaceKey={space.key}", "identifiers": "",
                  "permissions": "", "icon": "", "description": "", "theme": f"/rest/api/space/{space.key}/theme",
                  "history": "", "homepage": f"/rest/api/content/{space.homepage}" if space.homepage else ""}
    if "description" in expand:
        out["description"] = {"plain": {"value": space.description, "representation": "plain",
                                        "embeddedContent": []}, "_expandable": {"view": ""}}
        expandable.pop("description")
    if "homepage" in expand and space.homepage in site.content:
        out["homepage"] = render_content(site, site.content[space.homepage], set(), cloud=cloud, base=base,
                                         context="/wiki" if cloud else "")
        expandable.pop("homepage")
    if "permissions" in expand and cloud:
        out["permissions"] = [_render_grant(site, g, cloud=cloud, base=base) for g in space.permissions]
        expandable.pop("permissions")
    out["type"] = space.type
    out["status"] = space.status
    out["_expandable"] = expandable
    out["_links"] = {"webui": f"/spaces/{space.key}", "self": f"{base}/rest/api/space/{space.key}"}
    return out


def _render_grant(site: Site, grant: SpaceGrant, *, cloud: bool, base: str) -> dict:
    subjects: dict = {"_expandable": {}}
    if grant.subject_type == "user" and grant.subject in site.users:
        subjects["user"] = {"results": [render_user(site.users[grant.subject], cloud=cloud, base=base)],
                            "size": 1}
    elif grant.subject_type == "group":
        group = site.groups.get(grant.subject or "") or Group(grant.subject or "")
        subjects["group"] = {"results": [render_group(group, cloud=cloud, base=base)], "size": 1}
    return {"id": zlib.crc32(f"{grant}".encode()) % 10**9, "subjects": subjects,
            "operation": {"operation": grant.operation, "targetType": grant.target},
            "anonymousAccess": grant.subject_type == "anonymous", "unlicensedAccess": False}


def render_space_permissions(site: Site, space: Space, *, anonymous_only: bool = False) -> list[dict]:
    """Data Center 9.1+ `space/{key}/permissions`: one entry per (subject, operation)."""
    out = []
    for grant in space.permissions:
        if anonymous_only != (grant.subject_type == "anonymous"):
            continue
        subject: dict = {"type": grant.subject_type}
        if grant.subject_type == "user" and grant.subject in site.users:
            subject["identifier"] = site.users[grant.subject].user_key
        elif grant.subject_type == "group":
            subject["identifier"] = grant.subject
        out.append({"id": zlib.crc32(f"{space.key}{grant}".encode()) % 10**9, "subject": subject,
                    "operation": {"key": grant.operation, "target": grant.target}})
    return out


def render_group(group: Group, *, cloud: bool, base: str) -> dict:
    out: dict = {"type": "group", "name": group.name}
    if cloud:
        out["id"] = group.id
    out["_links"] = {"self": f"{base}/rest/api/group/{group.name}"}
    return out


def render_comment(site: Site, comment: Comment, expand: set[str], *, cloud: bool, base: str) -> dict:
    container = site.content.get(comment.container_id)
    space = container.space if container else ""
    out: dict = {"id": comment.id, "type": "comment", "status": comment.status,
                 "title": f"Re: {container.title if container else ''}",
                 "childTypes": {"comment": {"value": False,
                                            "_links": {"self": f"{base}/rest/api/content/{comment.id}/child/comment"}}},
                 "macroRenderedOutput": {},
                 "extensions": {"location": "footer", "_expandable": {"resolution": ""}}}
    expandable = {"container": f"/rest/api/content/{comment.container_id}", "metadata": "", "operations": "",
                  "schedulePublishDate": "", "children": f"/rest/api/content/{comment.id}/child",
                  "restrictions": f"/rest/api/content/{comment.id}/restriction/byOperation",
                  "history": f"/rest/api/content/{comment.id}/history", "ancestors": "", "body": "",
                  "version": "", "descendants": f"/rest/api/content/{comment.id}/descendant",
                  "space": f"/rest/api/space/{space}"}
    if "body" in expand:
        out["body"] = {"storage": {"value": comment.body, "representation": "storage", "embeddedContent": [],
                                   "_expandable": {"content": f"/rest/api/content/{comment.id}"}}}
        expandable.pop("body")
    if "history" in expand:
        out["history"] = {"latest": True, "createdBy": render_user(site.user(comment.creator), cloud=cloud, base=base),
                          "createdDate": iso(comment.created)}
        expandable.pop("history")
    out["_expandable"] = expandable
    out["_links"] = {"webui": f"/spaces/{space}/pages/{comment.container_id}?focusedCommentId={comment.id}",
                     "self": f"{base}/rest/api/content/{comment.id}"}
    return out


def _content_links(c: Content, base: str, context: str) -> dict:
    webui = (f"/spaces/{c.space}/pages/{c.id}/{quote(c.title.replace(' ', '+'), safe='+')}" if c.type == "page"
             else f"/spaces/{c.space}/blog/{c.created:%Y/%m/%d}/{c.id}")
    return {"self": f"{base}/rest/api/content/{c.id}", "tinyui": f"/x/{c.id}",
            "editui": f"/pages/resumedraft.action?draftId={c.id}", "webui": webui,
            "base": base, "context": context}


def render_content(site: Site, c: Content, expand: set[str], *, cloud: bool, base: str,
                   context: str) -> dict:
    out: dict = {"id": c.id, "type": c.type, "status": c.status, "title": c.title}
    expandable: dict[str, str] = {}
    user = lambda name: render_user(site.user(name), cloud=cloud, base=base)  # noqa: E731

    if "space" in expand:
        out["space"] = render_space(site, site.spaces[c.space], cloud=cloud, base=base)
    else:
        expandable["space"] = f"/rest/api/space/{c.space}"
    if "history" in expand:
        history: dict = {"latest": True, "createdBy": user(c.creator), "createdDate": iso(c.created),
                         "_links": {"self": f"{base}/rest/api/content/{c.id}/history"}}
        if "history.lastUpdated" in expand:
            history["lastUpdated"] = _render_version(c, c.versions[-1], user, base)
        else:
            history["_expandable"] = {"lastUpdated": "", "previousVersion": "", "contributors": "",
                                      "nextVersion": ""}
        out["history"] = history
    else:
        expandable["history"] = f"/rest/api/content/{c.id}/history"
    if "version" in expand:
        out["version"] = _render_version(c, c.versions[-1], user, base)
    else:
        expandable["version"] = ""
    if "ancestors" in expand:
        out["ancestors"] = [render_content(site, a, set(), cloud=cloud, base=base, context=context)
                            for a in site.ancestors(c)]
    else:
        expandable["ancestors"] = ""
    if "body" in expand:
        body: dict = {}
        if "body.storage" in expand:
            body["storage"] = {"value": c.body, "representation": "storage", "embeddedContent": [],
                               "_expandable": {"content": f"/rest/api/content/{c.id}"}}
        body["_expandable"] = {k: "" for k in ("editor", "atlas_doc_format", "view", "export_view",
                                                "styled_view", "dynamic", "editor2", "anonymous_export_view")
                               if f"body.{k}" not in expand}
        out["body"] = body
    else:
        expandable["body"] = ""
    if "metadata" in expand:
        metadata: dict = {}
        if "metadata.labels" in expand:
            labels = [{"prefix": "global", "name": name, "id": str(1000 + i), "label": name}
                      for i, name in enumerate(c.labels)]
            metadata["labels"] = {"results": labels, "start": 0, "limit": 200, "size": len(labels),
                                  "_links": {"self": f"{base}/rest/api/content/{c.id}/label"}}
        metadata["_expandable"] = {"currentuser": "", "comments": "", "sourceTemplateEntityId": "",
                                   "simple": "", "properties": "", "frontend": "", "likes": ""}
        out["metadata"] = metadata
    else:
        expandable["metadata"] = ""
    if "children" in expand:
        children: dict = {"_expandable": {"attachment": "", "comment": "", "page": ""}}
        if "children.page" in expand:
            kids = [render_content(site, k, set(), cloud=cloud, base=base, context=context)
                    for k in site.children_of(c.id)]
            children["page"] = {"results": kids, "start": 0, "limit": 25, "size": len(kids),
                                "_links": {"self": f"{base}/rest/api/content/{c.id}/child/page"}}
            del children["_expandable"]["page"]
        out["children"] = children
    else:
        expandable["children"] = f"/rest/api/content/{c.id}/child"
    if "restrictions" in expand:
        out["restrictions"] = _render_content_restrictions(site, c, expand, cloud=cloud, base=base)
    else:
        expandable["restrictions"] = f"/rest/api/content/{c.id}/restriction/byOperation"
    for key in ("childTypes", "container", "operations", "schedulePublishDate", "descendants"):
        expandable.setdefault(key, "")
    out["_expandable"] = {k: expandable[k] for k in CONTENT_EXPANDABLES if k in expandable}
    out["_links"] = _content_links(c, base, context)
    return out


def _render_version(c: Content, version, user, base: str) -> dict:
    return {"by": user(version.by), "when": iso(version.at), "friendlyWhen": f"{version.at:%b %d, %Y}",
            "message": version.message, "number": version.number, "minorEdit": False,
            "contentTypeModified": False,
            "_expandable": {"collaborators": "", "content": f"/rest/api/content/{c.id}"},
            "_links": {"self": f"{base}/rest/api/content/{c.id}/version/{version.number}"}}


def render_restriction(site: Site, c: Content, operation: str, expand: set[str], *, cloud: bool,
                       base: str) -> dict:
    """One operation's restrictions (`restriction/byOperation/{op}`), expanding users and groups when asked."""
    users, groups = c.restricted(operation)
    want = {e.removeprefix(f"restrictions.{operation}.") for e in expand}
    restrictions: dict = {}
    expandable: dict = {}
    if "restrictions.user" in want or "restrictions.user" in expand:
        rendered = [render_user(site.user(u), cloud=cloud, base=base) for u in users if u in site.users]
        restrictions["user"] = {"results": rendered, "start": 0, "limit": 200, "size": len(rendered),
                                "_links": {}}
    else:
        expandable["user"] = f"/rest/api/content/{c.id}/restriction/byOperation/{operation}/user"
    if "restrictions.group" in want or "restrictions.group" in expand:
        rendered = [render_group(site.groups.get(g) or Group(g), cloud=cloud, base=base) for g in groups]
        restrictions["group"] = {"results": rendered, "start": 0, "limit": 200, "size": len(rendered)}
    else:
        expandable["group"] = f"/rest/api/content/{c.id}/restriction/byOperation/{operation}/group"
    if expandable:
        restrictions["_expandable"] = expandable
    return {"operation": operation, "restrictions": restrictions,
            "_expandable": {"content": f"/rest/api/content/{c.id}"},
            "_links": {"self": f"{base}/rest/api/content/{c.id}/restriction/byOperation/{operation}"}}


def _render_content_restrictions(site: Site, c: Content, expand: set[str], *, cloud: bool, base: str) -> dict:
    out: dict = {}
    expandable: dict = {}
    for operation in ("read", "update"):
        if f"restrictions.{operation}" in expand:
            out[operation] = render_restriction(site, c, operation, expand, cloud=cloud, base=base)
        else:
            expandable[operation] = ""
    out["_expandable"] = expandable
    out["_links"] = {"self": f"{base}/rest/api/content/{c.id}/restriction/byOperation"}
    return out


def render_attachment(site: Site, a: Attachment, *, cloud: bool, base: str) -> dict:
    container = site.content[a.container_id]
    download = (f"/rest/api/content/{a.container_id}/child/attachment/{a.id}/download" if cloud
                else f"/download/attachments/{a.container_id}/{quote(a.filename)}?version={a.version}&api=v2")
    return {
        "id": a.id, "type": "attachment", "status": a.status, "title": a.filename,
        "metadata": {"mediaType": a.media_type, "labels": {"results": [], "start": 0, "limit": 200, "size": 0},
                     "_expandable": {"currentuser": "", "comments": "", "simple": "", "properties": "",
                                     "frontend": "", "likes": ""}},
        "extensions": {"mediaType": a.media_type, "fileSize": a.size, "comment": ""},
        "version": {"by": render_user(site.user(a.creator), cloud=cloud, base=base), "when": iso(a.created),
                    "number": a.version, "minorEdit": False, "message": ""},
        "container": {"id": container.id, "type": container.type, "status": container.status,
                      "title": container.title},
        "_links": {"webui": f"/pages/viewpageattachments.action?pageId={a.container_id}",
                   "download": download, "self": f"{base}/rest/api/content/{a.id}"},
        "_expandable": {"childTypes": "", "operations": "", "schedulePublishDate": "", "children": "",
                        "restrictions": "", "history": "", "ancestors": "", "body": "", "descendants": "",
                        "space": f"/rest/api/space/{container.space}"},
    }
