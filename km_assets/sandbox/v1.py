"""Rendering sandbox objects in the shapes of Confluence's v1 REST API (rest/api/...).

Shapes follow real recordings (see ../shared/confluence-samples/api): `_expandable` names what was not
expanded, `_links` values are relative to the context path and `_links.base` carries the absolute root.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from .site import Attachment, Content, Site, Space, User

__all__ = ["parse_expand", "render_attachment", "render_content", "render_space", "render_user"]

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


def render_space(space: Space, *, base: str) -> dict:
    return {
        "id": space.id,
        "key": space.key,
        "name": space.name,
        "type": space.type,
        "status": space.status,
        "_expandable": {"settings": f"/rest/api/space/{space.key}/settings", "metadata": "",
                        "operations": "", "lookAndFeel": f"/rest/api/settings/lookandfeel?spaceKey={space.key}",
                        "identifiers": "", "permissions": "", "icon": "", "description": "",
                        "theme": f"/rest/api/space/{space.key}/theme", "history": "",
                        "homepage": f"/rest/api/content/{space.homepage}" if space.homepage else ""},
        "_links": {"webui": f"/spaces/{space.key}", "self": f"{base}/rest/api/space/{space.key}"},
    }


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
        out["space"] = render_space(site.spaces[c.space], base=base)
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
        out["restrictions"] = _render_read_restrictions(site, c, expand, cloud=cloud, base=base)
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


def _render_read_restrictions(site: Site, c: Content, expand: set[str], *, cloud: bool, base: str) -> dict:
    read: dict = {"operation": "read", "_expandable": {"content": f"/rest/api/content/{c.id}"},
                  "_links": {"self": f"{base}/rest/api/content/{c.id}/restriction/byOperation/read"}}
    restrictions: dict = {"_expandable": {}}
    if "restrictions.read.restrictions.user" in expand:
        users = [render_user(site.user(u), cloud=cloud, base=base) for u in c.read_users]
        restrictions["user"] = {"results": users, "start": 0, "limit": 200, "size": len(users)}
    else:
        restrictions["_expandable"]["user"] = f"/rest/api/content/{c.id}/restriction/byOperation/read/user"
    if "restrictions.read.restrictions.group" in expand:
        groups = [{"type": "group", "name": g, "id": f"g-{g}",
                   "_links": {"self": f"{base}/rest/api/group/{g}"}} for g in c.read_groups]
        restrictions["group"] = {"results": groups, "start": 0, "limit": 200, "size": len(groups)}
    else:
        restrictions["_expandable"]["group"] = f"/rest/api/content/{c.id}/restriction/byOperation/read/group"
    if not restrictions["_expandable"]:
        del restrictions["_expandable"]
    read["restrictions"] = restrictions
    return {"read": read, "_expandable": {"update": ""},
            "_links": {"self": f"{base}/rest/api/content/{c.id}/restriction/byOperation"}}


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
