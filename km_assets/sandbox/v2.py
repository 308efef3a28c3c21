"""Rendering sandbox objects in the shapes of Confluence Cloud's v2 REST API (/wiki/api/v2/...).

Shapes follow Atlassian's published v2 OpenAPI spec and the real recordings in
../shared/confluence-samples/api. Where the two disagree the recordings win: root pages carry
`parentId: null` / `parentType: null` and spaces carry `icon: null` unless the icon is asked for, as
real Cloud answers, although the spec does not mark those fields nullable.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import quote

from .site import Attachment, Content, Group, Site, Space, SpaceGrant, User, Version

__all__ = [
    "render_ancestor", "render_attachment", "render_child", "render_content", "render_label",
    "render_permission", "render_property", "render_space", "render_user", "storage_to_adf", "tinyui",
]

# Body representations we can produce. Only storage is stored; atlas_doc_format is derived (text only)
# and the single-item HTML formats are answered with the storage markup (see body_of).
BODY_FORMATS = ("storage", "atlas_doc_format", "view", "export_view", "anonymous_export_view",
                "styled_view", "editor")

_MEDIA_DESCRIPTIONS = {"image/png": "PNG Image", "image/jpeg": "JPEG Image", "image/gif": "GIF Image",
                       "image/svg+xml": "SVG Image", "text/plain": "Text File", "text/csv": "CSV File",
                       "application/pdf": "PDF Document", "application/zip": "ZIP Archive",
                       "application/json": "JSON File"}

# Space permission operations the sandbox stores that v2 spells differently: v2's operation keys are a
# closed enum, and "add comments" / "add pages" are create on a comment / page there.
_V2_OPERATION = {("comment", "space"): ("create", "comment"), ("create", "space"): ("create", "page")}
_V2_KEYS = {"use", "create", "read", "update", "delete", "copy", "move", "export", "purge", "purge_version",
            "administer", "restore", "create_space", "restrict_content", "archive"}
_V2_TARGETS = {"page", "blogpost", "comment", "attachment", "whiteboard", "database", "embed", "folder",
               "space", "application", "userProfile"}


def iso(at: datetime) -> str:
    """v2 timestamps: UTC, milliseconds, Z (2025-11-19T05:44:33.959Z). Kept here, not shared with v1,
    so the two API renderings can change apart."""
    at = at.astimezone(UTC) if at.tzinfo else at
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def account_id(site: Site, username: str) -> str:
    user = site.users.get(username)
    return user.account_id if user else username


def tinyui(content_id: str) -> str:
    """Confluence's short link: the id as little-endian bytes in base64, trailing zero bytes trimmed.

    Matches the real recordings (819206 -> /x/BoAM, 2719745 -> /x/AYAp)."""
    raw = base64.b64encode(struct.pack("<Q", int(content_id))).decode()
    return "/x/" + raw.rstrip("=").rstrip("A").replace("/", "-").replace("+", "_")


def _slug(title: str) -> str:
    # Real webui links drop punctuation and join words with '+' ("Even a third blog post, on a roll!").
    words = re.sub(r"[^\w\s-]", "", title).split()
    return quote("+".join(words), safe="+-")


def _version(site: Site, v: Version, *, steps: bool) -> dict:
    out = {"number": v.number, "message": v.message, "minorEdit": False,
           "authorId": account_id(site, v.by), "createdAt": iso(v.at)}
    if steps:
        out["ncsStepVersion"] = str(v.number)  # pages and blog posts carry it on Cloud; attachments do not
    return out


class _AdfText(HTMLParser):
    """Storage XHTML -> the text of its blocks, as ADF headings and paragraphs.

    Storage is not well-formed XML (no namespaces, HTML entities), so a tolerant HTML parser reads it."""

    BLOCKS = {"p", "li", "td", "th", "pre", "blockquote", "div", "ac:plain-text-body", "tr",
              "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[dict] = []
        self.buffer: list[str] = []
        self.level = 0

    def flush(self) -> None:
        text = " ".join("".join(self.buffer).split())
        self.buffer = []
        if not text:
            return
        node: dict = {"type": "heading", "attrs": {"level": self.level}} if self.level else {"type": "paragraph"}
        node["content"] = [{"type": "text", "text": text}]
        self.nodes.append(node)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.BLOCKS:
            self.flush()
            self.level = int(tag[1]) if re.fullmatch(r"h[1-6]", tag) else 0
        elif tag == "br":
            self.buffer.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.flush()
            self.level = 0

    def handle_data(self, data: str) -> None:
        self.buffer.append(data)

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA["):  # code macro bodies
            self.buffer.append(data[6:])


def storage_to_adf(storage: str) -> str:
    """A lossy ADF document (text of headings and blocks) as the JSON string v2 puts in `value`."""
    parser = _AdfText()
    parser.feed(storage)
    parser.close()
    parser.flush()
    doc = {"type": "doc", "content": parser.nodes, "version": 1}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def body_of(c: Content, body_format: str | None) -> dict:
    if not body_format:
        return {}
    if body_format == "atlas_doc_format":
        return {"atlas_doc_format": {"representation": "atlas_doc_format", "value": storage_to_adf(c.body)}}
    # storage, and (single items only) the rendered formats, which the sandbox cannot render: it serves
    # the storage markup under the requested name so clients that ask for `view` still get the text.
    return {body_format: {"representation": body_format, "value": c.body}}


def _content_links(site: Site, c: Content) -> dict:
    space = site.spaces[c.space]
    if c.type == "blogpost":
        webui = f"/spaces/{c.space}/blog/{c.created:%Y/%m/%d}/{c.id}/{_slug(c.title)}"
        edit_v2 = f"/spaces/{c.space}/blog/edit-v2/{c.id}"
    else:
        webui = (f"/spaces/{c.space}/overview" if space.homepage == c.id
                 else f"/spaces/{c.space}/pages/{c.id}/{_slug(c.title)}")
        edit_v2 = f"/spaces/{c.space}/pages/edit-v2/{c.id}"
    return {"editui": f"/pages/resumedraft.action?draftId={c.id}", "webui": webui, "edituiv2": edit_v2,
            "tinyui": tinyui(c.id)}


def render_content(site: Site, c: Content, *, body_format: str | None = None, version: Version | None = None,
                   include_version: bool = True, base: str | None = None) -> dict:
    """A page or blog post. `base` is given for single items, whose `_links` carry it."""
    out: dict = {}
    if c.type == "page":
        parent = site.content.get(c.parent) if c.parent else None
        out["parentType"] = "page" if parent is not None else None
        out["parentId"] = parent.id if parent is not None else None
        out["ownerId"] = account_id(site, c.creator)
        out["lastOwnerId"] = None
    out["createdAt"] = iso(c.created)
    out["authorId"] = account_id(site, c.creator)
    if include_version:
        out["version"] = _version(site, version or c.version, steps=True)
    if c.type == "page":
        out["position"] = c.position
    out["spaceId"] = str(site.spaces[c.space].id)
    out["status"] = c.status
    out["body"] = body_of(c, body_format)
    out["title"] = c.title
    out["id"] = c.id
    links = _content_links(site, c)
    if base is not None:
        links["base"] = base
    out["_links"] = links
    return out


def optional_field(results: list, self_link: str) -> dict:
    """The `include-*` blocks of single items: a first batch, with a link to the full listing."""
    return {"results": results, "meta": {"hasMore": False, "cursor": ""}, "_links": {"self": self_link}}


def render_versions(site: Site, c: Content) -> list[dict]:
    return [_version(site, v, steps=False) for v in reversed(c.versions)]


def render_child(site: Site, c: Content) -> dict:
    return {"id": c.id, "status": c.status, "title": c.title, "spaceId": str(site.spaces[c.space].id),
            "childPosition": c.position}


def render_ancestor(c: Content) -> dict:
    return {"id": c.id, "type": "page"}


def label_id(name: str) -> str:
    # Confluence labels are global objects with one id per name; derive it stably from the name.
    return str(zlib.crc32(name.encode()) % 10**7 + 100000)


def render_label(name: str) -> dict:
    return {"prefix": "global", "name": name, "id": label_id(name)}


def render_property(c: Content, key: str, value: object, by: str, site: Site) -> dict:
    prop_id = str(zlib.crc32(f"{c.id}/{key}".encode()) % 10**7 + 1000000)
    return {"version": {"number": 1, "message": "", "minorEdit": False, "authorId": account_id(site, by),
                        "createdAt": iso(c.created)},
            "value": value, "key": key, "id": prop_id}


def render_attachment(site: Site, a: Attachment) -> dict:
    container = site.content[a.container_id]
    numeric = a.id.removeprefix("att")
    preview = quote(f"/{a.container_id}/{numeric}/{a.filename}", safe="")
    webui = f"/pages/viewpageattachments.action?pageId={a.container_id}&preview={preview}"
    # Cloud deprecated the download servlet for API tokens (CHANGE-2735): point at the v1 REST download,
    # which answers 302 to the media host.
    download = f"/rest/api/content/{a.container_id}/child/attachment/{a.id}/download"
    # fileId: the same media id v1 gives in extensions.fileId (shared by copies of one binary).
    out: dict = {"fileId": a.file_id, "downloadLink": download, "createdAt": iso(a.created),
                 "mediaTypeDescription": _MEDIA_DESCRIPTIONS.get(a.media_type, "File"), "webuiLink": webui,
                 "comment": a.comment,
                 "version": {"number": a.version, "message": a.comment, "minorEdit": False,
                             "authorId": account_id(site, a.creator), "createdAt": iso(a.created)}}
    out["blogPostId" if container.type == "blogpost" else "pageId"] = container.id
    out.update({"status": a.status, "title": a.filename, "fileSize": a.size, "mediaType": a.media_type,
                "id": a.id, "_links": {"download": download, "webui": webui}})
    return out


def _space_author(site: Site, space: Space) -> str:
    # Spaces keep no creator here: take the homepage's creator, else the first user granted admin.
    home = site.content.get(space.homepage or "")
    if home is not None:
        return account_id(site, home.creator)
    admin = next((g.subject for g in space.permissions if g.subject_type == "user"
                  and g.operation == "administer" and g.subject), None)
    return account_id(site, admin) if admin else ""


def render_space(site: Site, space: Space, *, description_format: str | None = None,
                 include_icon: bool = False, base: str | None = None) -> dict:
    description: dict | None = None
    if description_format == "plain":
        description = {"plain": {"representation": "plain", "value": space.description}}
    elif description_format == "view":
        description = {"view": {"representation": "view", "value": f"<p>{space.description}</p>"}}
    icon = ({"path": "/images/logo/default-space-logo-256.png"} if include_icon else None)
    links: dict = {"webui": f"/spaces/{space.key}"}
    if base is not None:
        links["base"] = base
    return {"createdAt": iso(space.created), "authorId": _space_author(site, space),
            "homepageId": space.homepage, "icon": icon, "name": space.name, "key": space.key,
            "id": str(space.id), "type": space.type, "description": description, "status": space.status,
            "_links": links, "currentActiveAlias": space.key}


def render_permission(site: Site, space: Space, grant: SpaceGrant) -> dict | None:
    """One v2 assignment, or None for grants v2 cannot express (anonymous has no documented principal)."""
    if grant.subject_type == "user":
        user = site.users.get(grant.subject or "")
        if user is None:
            return None
        principal = {"type": "user", "id": user.account_id}
    elif grant.subject_type == "group":
        group = site.groups.get(grant.subject or "") or Group(grant.subject or "")
        principal = {"type": "group", "id": group.id}
    else:
        return None
    key, target = _V2_OPERATION.get((grant.operation, grant.target), (grant.operation, grant.target))
    if key not in _V2_KEYS or target not in _V2_TARGETS:
        return None
    grant_id = str(zlib.crc32(f"{space.key}/{grant}".encode()) % 10**9)
    return {"id": grant_id, "principal": principal, "operation": {"key": key, "targetType": target}}


def render_user(user: User, *, time_zone: str) -> dict:
    return {"accountType": "atlassian", "accountId": user.account_id, "email": user.email,
            "publicName": user.display_name, "timeZone": time_zone,
            "profilePicture": {"path": f"/wiki/aa-avatar/{user.account_id}", "width": 48, "height": 48,
                               "isDefault": False},
            "displayName": user.display_name, "isExternalCollaborator": False,
            "accountStatus": "active" if user.active else "inactive"}
