"""Spaces in v1 shapes: `space`, `space/{key}` and the space objects embedded in content.

Every expansion the Cloud API documents for a space is rendered from the site (the go-atlassian
space example lists them all): icon, description.plain/view, homepage, metadata.labels, operations,
permissions, settings, theme, lookAndFeel and history.
"""

from __future__ import annotations

import zlib
from html import escape

from .site import Group, Space, SpaceGrant
from .v1_common import View, collection, iso, sub
from .v1_users import render_group, render_user

__all__ = ["render_space", "render_space_permissions", "space_operations"]

_ICON = {"path": "/images/logo/default-space-logo-256.png", "width": 48, "height": 48, "isDefault": False}
_SPACE_EXPANDABLES = ("settings", "metadata", "operations", "lookAndFeel", "identifiers", "permissions",
                      "icon", "description", "theme", "history", "homepage")
# Confluence's default look and feel (Cloud's "Default" colour scheme); spaces here never customise it.
_BOX = {"background": "", "backgroundColor": "#FFFFFF", "backgroundImage": "", "backgroundSize": "auto",
        "padding": "0", "borderRadius": "0"}
_LOOK_AND_FEEL = {
    "headings": {"color": "#172B4D"},
    "links": {"color": "#0052CC"},
    "menus": {"hoverOrFocus": {"backgroundColor": "#DEEBFF"}, "color": "#42526E"},
    "header": {
        "backgroundColor": "#FFFFFF",
        "button": {"backgroundColor": "#0052CC", "color": "#FFFFFF"},
        "primaryNavigation": {"color": "#42526E",
                              "hoverOrFocus": {"backgroundColor": "#DEEBFF", "color": "#0052CC"}},
        "secondaryNavigation": {"color": "#42526E",
                                "hoverOrFocus": {"backgroundColor": "#DEEBFF", "color": "#0052CC"}},
        "search": {"backgroundColor": "#F4F5F7", "color": "#42526E"},
    },
    "content": {
        "screen": {"background": "", "backgroundColor": "#FFFFFF", "backgroundImage": "",
                   "backgroundSize": "auto", "gutterTop": "0", "gutterRight": "0", "gutterBottom": "0",
                   "gutterLeft": "0"},
        "container": dict(_BOX),
        "header": dict(_BOX),
        "body": dict(_BOX),
    },
    "bordersAndDividers": {"color": "#DFE1E6"},
}


def space_operations(view: View, space: Space) -> list[dict]:
    """What the viewer may do in the space, from its grants (read, create pages, comment, administer)."""
    site, viewer = view.site, view.viewer
    ops = []
    if site.space_allows(viewer, space.key, "read"):
        ops.append({"operation": "read", "targetType": "space"})
    if site.space_allows(viewer, space.key, "create"):
        ops += [{"operation": "create", "targetType": t} for t in ("page", "blogpost", "attachment")]
    if site.space_allows(viewer, space.key, "comment"):
        ops.append({"operation": "create", "targetType": "comment"})
    if site.space_allows(viewer, space.key, "administer"):
        ops += [{"operation": op, "targetType": "space"} for op in ("administer", "export")]
    return ops


def _creator(space: Space) -> str | None:
    """Spaces carry no creator here; the first user granted administration stands for it."""
    admins = (g.subject for g in space.permissions
              if g.subject_type == "user" and g.operation == "administer")
    return next(admins, None)


def render_space(view: View, space: Space, expand: set[str] | None = None) -> dict:
    expand = expand or set()
    site = view.site
    out: dict = {"id": space.id, "key": space.key, "name": space.name}
    if "icon" in expand:  # only on request: the recorded space lists carry it in _expandable
        out["icon"] = dict(_ICON)
    expandable = {"settings": f"/rest/api/space/{space.key}/settings",
                  "lookAndFeel": f"/rest/api/settings/lookandfeel?spaceKey={space.key}",
                  "theme": f"/rest/api/space/{space.key}/theme",
                  "homepage": f"/rest/api/content/{space.homepage}" if space.homepage else ""}
    if "description" in expand:
        description: dict = {}
        for rep, value in (("plain", space.description), ("view", f"<p>{escape(space.description)}</p>")):
            if f"description.{rep}" in expand or rep == "plain" and "description.view" not in expand:
                description[rep] = {"value": value, "representation": rep, "embeddedContent": []}
        description["_expandable"] = {rep: "" for rep in ("plain", "view") if rep not in description}
        out["description"] = description
    if "homepage" in expand and space.homepage in site.content:
        from .v1_content import render_content  # content embeds spaces: imported late to avoid a cycle
        out["homepage"] = render_content(view, site.content[space.homepage], sub(expand, "homepage"))
    if "metadata" in expand:
        labels = collection([], view.url(f"/rest/api/space/{space.key}/label"), limit=200)
        out["metadata"] = {"labels": labels, "_expandable": {}}
    if "operations" in expand:
        out["operations"] = space_operations(view, space)
    if "permissions" in expand and view.cloud:
        out["permissions"] = [_render_grant(view, g, sub(expand, "permissions")) for g in space.permissions]
    if "settings" in expand:
        out["settings"] = {"routeOverrideEnabled": False,
                           "_links": {"self": view.url(f"/rest/api/space/{space.key}/settings")}}
    if "theme" in expand:
        out["theme"] = {"themeKey": "com.atlassian.confluence.themes.default:default",
                        "name": "Default Theme", "description": "Confluence default theme",
                        "icon": dict(_ICON),
                        "_links": {"self": view.url(f"/rest/api/space/{space.key}/theme")}}
    if "lookAndFeel" in expand:
        out["lookAndFeel"] = _copy(_LOOK_AND_FEEL)
    if "history" in expand:
        history: dict = {"createdDate": iso(space.created)}
        creator = _creator(space)
        if creator in site.users:
            history = {"createdBy": render_user(view, site.users[creator]), **history}
        out["history"] = history
    out["type"] = space.type
    out["status"] = space.status
    out["_expandable"] = {k: expandable.get(k, "") for k in _SPACE_EXPANDABLES if k not in out}
    out["_links"] = {"webui": f"/spaces/{space.key}" if view.cloud else f"/display/{space.key}",
                     "self": view.url(f"/rest/api/space/{space.key}")}
    return out


def _copy(value: dict) -> dict:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in value.items()}


def _render_grant(view: View, grant: SpaceGrant, expand: set[str]) -> dict:
    """One Cloud v1 space permission: a subject (user or group, never both) and an operation."""
    site = view.site
    subjects: dict = {}
    if grant.subject_type == "user" and grant.subject in site.users:
        user = render_user(view, site.users[grant.subject], sub(expand, "subjects.user"))
        subjects["user"] = {"results": [user], "size": 1}
    elif grant.subject_type == "group":
        group = site.groups.get(grant.subject or "") or Group(grant.subject or "")
        subjects["group"] = {"results": [render_group(view, group)], "size": 1}
    subjects["_expandable"] = {k: "" for k in ("user", "group") if k not in subjects}
    return {"id": zlib.crc32(f"{grant}".encode()) % 10**9, "subjects": subjects,
            "operation": {"operation": grant.operation, "targetType": grant.target},
            "anonymousAccess": grant.subject_type == "anonymous", "unlicensedAccess": False}


def render_space_permissions(view: View, space: Space, *, anonymous_only: bool = False) -> list[dict]:
    """Data Center 9.1+ `space/{key}/permissions`: one entry per (subject, operation)."""
    out = []
    for grant in space.permissions:
        if anonymous_only != (grant.subject_type == "anonymous"):
            continue
        subject: dict = {"type": grant.subject_type}
        if grant.subject_type == "user" and grant.subject in view.site.users:
            subject["identifier"] = view.site.users[grant.subject].user_key
        elif grant.subject_type == "group":
            subject["identifier"] = grant.subject
        out.append({"id": zlib.crc32(f"{space.key}{grant}".encode()) % 10**9, "subject": subject,
                    "operation": {"key": grant.operation, "target": grant.target}})
    return out
