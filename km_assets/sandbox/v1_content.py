"""Pages, blog posts, comments and attachments in v1 shapes, with Confluence's expansions.

All four are "content" to the v1 API and share one renderer: what is not expanded is named in
`_expandable`, what is expanded is rendered from the site with the nested expansions passed down
(`ancestors.body.view` expands the body of every ancestor). Shapes follow the recordings in
../shared/confluence-samples/api (go-atlassian, demisto, querypie, text2confl for Cloud; dapplo for
Server/DC).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from .site import Attachment, Comment, Content, Group, Space, Version
from .v1_body import render_body
from .v1_common import View, collection, friendly, iso, sub, tiny_link
from .v1_spaces import render_space, space_operations
from .v1_users import render_group, render_user

__all__ = ["render_attachment", "render_comment", "render_content", "render_restriction",
           "render_restrictions"]

# The order Cloud lists them in (querypie recording); schedulePublishInfo and draftVersion are Cloud-only.
_EXPANDABLES = ("container", "metadata", "restrictions", "history", "body", "version", "descendants", "space",
                "childTypes", "schedulePublishInfo", "operations", "schedulePublishDate", "children",
                "ancestors", "draftVersion")
_CLOUD_ONLY = {"schedulePublishInfo", "draftVersion"}
_CHILD_TYPES = {"page": ("attachment", "comment", "page"), "blogpost": ("attachment", "comment"),
                "comment": ("comment",), "attachment": ("comment",)}


@dataclass
class _Node:
    """Any v1 content item, reduced to what rendering needs."""

    id: str
    type: str
    status: str
    title: str
    space: Space
    creator: str
    created: datetime
    versions: list[Version]
    body: str | None = None
    labels: list[str] = field(default_factory=list)
    content: Content | None = None  # the page or blog post itself
    container: Content | None = None  # the page a comment or attachment belongs to
    attachment: Attachment | None = None

    @property
    def number(self) -> str:
        return self.id.removeprefix("att")


def _page(view: View, c: Content) -> _Node:
    # No body here: a synthetic body is generated on read, and most nodes (ancestors, children) never show it.
    return _Node(c.id, c.type, c.status, c.title, view.site.spaces[c.space], c.creator, c.created, c.versions,
                 None, c.labels, content=c)


def _comment(view: View, cm: Comment) -> _Node:
    page = view.site.content[cm.container_id]
    return _Node(cm.id, "comment", cm.status, f"Re: {page.title}", view.site.spaces[page.space], cm.creator,
                 cm.created, [Version(1, cm.creator, cm.created)], cm.body, container=page)


def _attachment(view: View, a: Attachment) -> _Node:
    page = view.site.content[a.container_id]
    # Each upload is a version; the latest one carries the attachment's comment as its message.
    versions = [Version(n, a.creator, a.created, a.comment if n == a.version else "")
                for n in range(1, a.version + 1)]
    return _Node(a.id, "attachment", a.status, a.filename, view.site.spaces[page.space], a.creator, a.created,
                 versions, container=page, attachment=a)


def render_content(view: View, c: Content, expand: set[str]) -> dict:
    return _render(view, _page(view, c), expand)


def render_comment(view: View, cm: Comment, expand: set[str]) -> dict:
    return _render(view, _comment(view, cm), expand)


def render_attachment(view: View, a: Attachment, expand: set[str]) -> dict:
    return _render(view, _attachment(view, a), expand)


def _user(view: View, username: str, expand: frozenset[str] = frozenset()) -> dict:
    user = view.site.users[username]
    return view.share(("user", username, expand), lambda: render_user(view, user, expand))


def _space(view: View, space: Space, expand: frozenset[str]) -> dict:
    return view.share(("space", space.key, expand), lambda: render_space(view, space, expand))


def _shared_page(view: View, c: Content, expand: frozenset[str]) -> dict:
    """An embedded page (an ancestor, a container): the same under every item of a response that has it."""
    return view.share(("content", c.id, expand), lambda: _render(view, _page(view, c), expand))


def _version(view: View, node: _Node, v: Version, expand: set[str]) -> dict:
    out: dict = {"by": _user(view, v.by), "when": iso(v.at), "friendlyWhen": friendly(v.at),
                 "message": v.message, "number": v.number, "minorEdit": False}
    if view.cloud and node.content is not None:
        # Collaborative-editing revisions: Synchrony's (demisto, 2021) and NCS's (text2confl, 2025) fields.
        rev = f"confluence$content${node.id}.{v.number + 2}"
        out.update({"syncRev": f"0.{rev}", "syncRevSource": "synchrony-ack", "ncsStepVersion": str(v.number),
                    "ncsStepVersionSource": "ncs-ack", "confRev": rev})
    out["contentTypeModified"] = False
    expandable = {"collaborators": "", "content": f"/rest/api/content/{node.id}"}
    if "collaborators" in expand:
        out["collaborators"] = _people(view, [v.by])
        del expandable["collaborators"]
    out["_expandable"] = expandable
    out["_links"] = {"self": view.url(f"/rest/api/content/{node.id}/version/{v.number}")}
    return out


def _people(view: View, usernames: list[str]) -> dict:
    users = [view.site.users[u] for u in dict.fromkeys(usernames) if u in view.site.users]
    return {"users": [_user(view, u.username) for u in users], "userKeys": [u.user_key for u in users]}


def _history(view: View, node: _Node, expand: set[str]) -> dict:
    out: dict = {"latest": True, "createdBy": _user(view, node.creator), "createdDate": iso(node.created)}
    expandable: dict[str, str] = {}
    if "lastUpdated" in expand:
        out["lastUpdated"] = _version(view, node, node.versions[-1], sub(expand, "lastUpdated"))
    else:
        expandable["lastUpdated"] = ""
    if "previousVersion" in expand and len(node.versions) > 1:
        out["previousVersion"] = _version(view, node, node.versions[-2], sub(expand, "previousVersion"))
    elif "previousVersion" not in expand:
        expandable["previousVersion"] = ""
    if "contributors" in expand:
        publishers = _people(view, [v.by for v in node.versions])
        out["contributors"] = ({"publishers": publishers} if "contributors.publishers" in expand
                               else {"_expandable": {"publishers": ""}})
    else:
        expandable["contributors"] = ""
    if "nextVersion" not in expand:
        expandable["nextVersion"] = ""  # the latest version has no next one, so asking brings nothing
    if expandable:
        out["_expandable"] = expandable
    out["_links"] = {"self": view.url(f"/rest/api/content/{node.id}/history")}
    return out


def _operations(view: View, node: _Node) -> list[dict]:
    granted = {(o["operation"], o["targetType"]) for o in space_operations(view, node.space)}
    ops = [{"operation": "read", "targetType": node.type}]
    if ("create", "page") in granted:
        ops += [{"operation": op, "targetType": node.type} for op in ("update", "delete")]
    if ("administer", "space") in granted:
        ops += [{"operation": op, "targetType": node.type}
                for op in ("restrict_content", "clear_permissions")]
    if ("create", "page") in granted and node.type == "page":
        ops.append({"operation": "archive", "targetType": "page"})
    ops += [{"operation": "create", "targetType": t} for t in ("attachment", "comment", "page")
            if ("create", t) in granted and t in _CHILD_TYPES[node.type]]
    return ops


def _kids(view: View, node: _Node, kind: str, *, deep: bool) -> list[_Node]:
    """A node's children of one kind, or its whole subtree's with deep (what `descendants` lists)."""
    site = view.site
    pages = [node.content] if node.content is not None else []
    if deep and node.content is not None:
        pages += [d for d in site.descendants(node.id) if d.status == "current"]
    if kind == "page":
        found = (pages[1:] if deep else site.children_of(node.id) if node.content is not None else [])
        return [_page(view, c) for c in found if site.can_view(view.viewer, c)]
    if kind == "attachment":
        by_page = _by_container(view, "attachments", site.attachments)
        return [_attachment(view, a) for p in pages for a in by_page.get(p.id, ())]
    ids = [p.id for p in pages] if node.type != "comment" else [node.id]
    by_item = _by_container(view, "comments", site.comments)
    return [_comment(view, cm) for i in ids for cm in by_item.get(i, ())]


def _by_container(view: View, name: str, table: dict) -> dict[str, list]:
    """Current attachments or comments by container, in site order (as Site.attachments_of lists them),
    indexed once per request rather than scanned for every item of a listing."""
    index = view.memo.get(name)
    if index is None:
        index = view.memo[name] = {}
        for x in table.values():
            if x.status == "current":
                index.setdefault(x.container_id, []).append(x)
    return index


def _tree(view: View, node: _Node, expand: set[str], *, deep: bool) -> dict:
    """`children` or `descendants`: a collection per asked kind, the other kinds left expandable."""
    path = f"/rest/api/content/{node.id}/{'descendant' if deep else 'child'}"
    out: dict = {}
    for kind in _CHILD_TYPES[node.type]:
        if kind in expand:
            items = [_render(view, k, sub(expand, kind)) for k in _kids(view, node, kind, deep=deep)]
            out[kind] = collection(items, view.url(f"{path}/{kind}"))
    out["_expandable"] = {k: f"{path}/{k}" for k in _CHILD_TYPES[node.type] if k not in out}
    out["_links"] = {"self": view.url(path)}
    return out


def _child_types(view: View, node: _Node, expand: set[str]) -> dict:
    out: dict = {}
    for kind in _CHILD_TYPES[node.type]:
        if "all" in expand or kind in expand:
            out[kind] = {"value": bool(_kids(view, node, kind, deep=False)),
                         "_links": {"self": view.url(f"/rest/api/content/{node.id}/child/{kind}")}}
    expandable = {k: "" for k in (*_CHILD_TYPES[node.type], "all") if k not in out and "all" not in expand}
    if expandable:
        out["_expandable"] = expandable
    return out


def _metadata(view: View, node: _Node, expand: set[str]) -> dict:
    out: dict = {}
    if node.attachment is not None:
        out["mediaType"] = node.attachment.media_type
        if node.attachment.comment or not view.cloud:  # DC always sends it; Cloud when there is one
            out["comment"] = node.attachment.comment
    if "labels" in expand:
        labels = [{"prefix": "global", "name": n, "id": str(1000 + i), "label": n}
                  for i, n in enumerate(node.labels)]
        out["labels"] = collection(labels, view.url(f"/rest/api/content/{node.id}/label"), limit=200)
    if expand or node.attachment is None:
        out["_expandable"] = {k: "" for k in ("currentuser", "comments", "sourceTemplateEntityId", "simple",
                                              "properties", "frontend", "likes", "labels") if k not in out}
    return out


def _extensions(view: View, node: _Node) -> dict:
    if node.attachment is not None:
        a = node.attachment
        out: dict = {"mediaType": a.media_type, "fileSize": a.size, "comment": a.comment}
        if view.cloud:  # Cloud's media platform ids (go-atlassian and querypie recordings)
            major, _, minor = a.media_type.partition("/")
            out["mediaTypeDescription"] = f"{minor.upper()} {'Image' if major == 'image' else 'File'}"
            out["fileId"] = a.file_id
            out["collectionName"] = f"contentId-{a.container_id}"
        return out
    if node.type == "comment":
        return {"location": "footer", "_expandable": {"resolution": ""}}
    return {"position": node.content.position if node.content is not None else 0}


def _render(view: View, node: _Node, expand: set[str]) -> dict:
    out: dict = {"id": node.id, "type": node.type}
    if view.cloud and view.cloud_id:
        out["ari"] = f"ari:cloud:confluence:{view.cloud_id}:{node.type}/{node.number}"
        encoded = f"ari:cloud:confluence:{view.cloud_id}:content/{node.number}".encode()
        out["base64EncodedAri"] = base64.b64encode(encoded).decode()
    out.update({"status": node.status, "title": node.title})
    own, space_path = f"/rest/api/content/{node.id}", f"/rest/api/space/{node.space.key}"
    expandable = {"container": f"/rest/api/content/{node.container.id}" if node.container else space_path,
                  "restrictions": f"{own}/restriction/byOperation", "history": f"{own}/history",
                  "space": space_path, "descendants": f"{own}/descendant", "children": f"{own}/child"}
    if "space" in expand:
        out["space"] = _space(view, node.space, sub(expand, "space"))
    if "history" in expand:
        out["history"] = _history(view, node, sub(expand, "history"))
    if "version" in expand:
        out["version"] = _version(view, node, node.versions[-1], sub(expand, "version"))
    if "ancestors" in expand:
        chain = view.site.ancestors(node.content) if node.content is not None else []
        inner = sub(expand, "ancestors")
        out["ancestors"] = [_shared_page(view, a, inner) for a in chain]
    if "operations" in expand:
        out["operations"] = _operations(view, node)
    if "children" in expand:
        out["children"] = _tree(view, node, sub(expand, "children"), deep=False)
    if "childTypes" in expand:
        out["childTypes"] = _child_types(view, node, sub(expand, "childTypes"))
    if "descendants" in expand:
        out["descendants"] = _tree(view, node, sub(expand, "descendants"), deep=True)
    if "container" in expand:
        inner = sub(expand, "container")
        out["container"] = (_shared_page(view, node.container, inner) if node.container
                            else _space(view, node.space, inner))
    if "body" in expand:
        storage = node.content.body if node.content is not None else node.body
        out["body"] = render_body(storage, sub(expand, "body"), cloud=view.cloud,
                                  content_url=f"/rest/api/content/{node.id}")
    if "restrictions" in expand and node.content is not None:
        out["restrictions"] = render_restrictions(view, node.content, sub(expand, "restrictions"),
                                                  limit=view.restriction_limit)
    if "metadata" in expand or node.attachment is not None:  # attachments always carry their media type
        out["metadata"] = _metadata(view, node, sub(expand, "metadata"))
    if view.cloud:
        out["macroRenderedOutput"] = {}
    out["extensions"] = _extensions(view, node)
    out["_expandable"] = {k: expandable.get(k, "") for k in _EXPANDABLES
                          if k not in out and (view.cloud or k not in _CLOUD_ONLY)}
    out["_links"] = _links(view, node)
    return out


def _links(view: View, node: _Node) -> dict:
    key = node.space.key
    links = {"self": view.url(f"/rest/api/content/{node.id}")}
    page = node.container
    if node.attachment is not None and page is not None:
        a = node.attachment
        preview = quote(f"/{page.id}/{a.id.removeprefix('att')}/{a.filename}", safe="")
        links["webui"] = f"/pages/viewpageattachments.action?pageId={page.id}&preview={preview}"
        # Cloud moved downloads to a REST URL without the file name (onyx PR #12124); DC keeps the servlet.
        links["download"] = (
            f"/rest/api/content/{page.id}/child/attachment/{a.id}/download" if view.cloud
            else f"/download/attachments/{page.id}/{quote(a.filename)}?version={a.version}&api=v2")
        return links
    if page is not None:  # a comment
        links["webui"] = f"{_webui(view, page)}?focusedCommentId={node.id}#comment-{node.id}"
        return links
    assert node.content is not None
    links.update({"tinyui": tiny_link(node.id), "editui": f"/pages/resumedraft.action?draftId={node.id}",
                  "webui": _webui(view, node.content)})
    if view.cloud:
        links["edituiv2"] = f"/spaces/{key}/pages/edit-v2/{node.id}"
    return links


def _webui(view: View, c: Content) -> str:
    slug = quote(c.title.replace(" ", "+"), safe="+")
    if not view.cloud:
        return (f"/display/{c.space}/{slug}" if c.type == "page"
                else f"/display/{c.space}/{c.created:%Y/%m/%d}/{slug}")
    if view.site.spaces[c.space].homepage == c.id:
        return f"/spaces/{c.space}/overview"
    return (f"/spaces/{c.space}/pages/{c.id}/{slug}" if c.type == "page"
            else f"/spaces/{c.space}/blog/{c.created:%Y/%m/%d}/{c.id}")


def render_restriction(view: View, c: Content, operation: str, expand: set[str], *, start: int = 0,
                       limit: int = 200) -> dict:
    """One operation's restrictions (`restriction/byOperation/{op}`); expand is relative to it
    (`restrictions.user`, `restrictions.group`, `content.body.storage`). Users and groups are paged
    together by `start`/`limit`: a list that fills its page (size == limit) may have more."""
    users, groups = c.restricted(operation)
    path = f"/rest/api/content/{c.id}/restriction/byOperation/{operation}"
    restrictions: dict = {}
    if "restrictions.user" in expand:
        known = [u for u in users if u in view.site.users][start:start + limit]
        rendered = [_user(view, u, sub(expand, "restrictions.user")) for u in known]
        restrictions["user"] = {"results": rendered, "start": start, "limit": limit, "size": len(rendered),
                                "_links": {}}
    if "restrictions.group" in expand:
        grouped = [render_group(view, view.site.groups.get(g) or Group(g)) for g in groups[start:start + limit]]
        restrictions["group"] = {"results": grouped, "start": start, "limit": limit, "size": len(grouped)}
    expandable = {k: f"{path}/{k}" for k in ("user", "group") if k not in restrictions}
    if expandable:
        restrictions["_expandable"] = expandable
    out: dict = {"operation": operation, "restrictions": restrictions}
    if "content" in expand:
        out["content"] = render_content(view, c, sub(expand, "content"))
    else:
        out["_expandable"] = {"content": f"/rest/api/content/{c.id}"}
    out["_links"] = {"self": view.url(path)}
    return out


def render_restrictions(view: View, c: Content, expand: set[str], *, limit: int = 200) -> dict:
    """Both operations, as `expand=restrictions.read...` on content renders them (expand relative to it)."""
    out: dict = {}
    for operation in ("read", "update"):
        if operation in expand:
            out[operation] = render_restriction(view, c, operation, sub(expand, operation), limit=limit)
    out["_expandable"] = {op: "" for op in ("read", "update") if op not in out}
    out["_links"] = {"self": view.url(f"/rest/api/content/{c.id}/restriction/byOperation")}
    return out
