"""Rendering sandbox objects in the shapes of Confluence's v1 REST API (rest/api/...).

Shapes follow real recordings (see ../shared/confluence-samples/api, checked by
tests/test_sandbox_recordings.py): `_expandable` names what was not expanded, `_links` values are
relative to the context path and `_links.base` carries the absolute root. The renderers live in
v1_content (pages, blog posts, comments, attachments, restrictions), v1_spaces, v1_users and v1_body;
this module is the one place the routes and other API layers import them from.
"""

from __future__ import annotations

from .v1_common import View, collection, friendly, iso, parse_expand, sub, tiny_link
from .v1_content import (
    render_attachment,
    render_comment,
    render_content,
    render_restriction,
    render_restrictions,
)
from .v1_spaces import render_space, render_space_permissions
from .v1_users import render_group, render_user, render_user_search_result

__all__ = [
    "View", "collection", "friendly", "iso", "parse_expand", "render_attachment", "render_comment",
    "render_content", "render_group", "render_restriction", "render_restrictions", "render_space",
    "render_space_permissions", "render_user", "render_user_search_result", "sub", "tiny_link",
]
