"""Body representations of content (`expand=body.storage,body.view,...`).

The site stores storage format only. The other representations are derived plausibly, not rendered
the way Confluence's macro engine would: the view forms keep the XHTML and unwrap `ac:`/`ri:` markup,
the editor forms reuse storage, and atlas_doc_format is a minimal ADF document of the page's text.
"""

from __future__ import annotations

import json
import re
from html import escape, unescape

from .v1_common import sub

__all__ = ["body_representations", "render_body"]

_CLOUD_REPS = ("editor", "atlas_doc_format", "view", "export_view", "styled_view", "dynamic", "storage",
               "editor2", "anonymous_export_view")
# Data Center has no Fabric editor: no editor2, atlas_doc_format or dynamic.
_DC_REPS = ("editor", "view", "export_view", "styled_view", "storage", "anonymous_export_view")
_VIEWS = {"view", "export_view", "styled_view", "anonymous_export_view", "dynamic"}

_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_MACRO_MARKUP = re.compile(r"</?(?:ac|ri):[^>]*>")
_TAGS = re.compile(r"<[^>]+>")


def body_representations(cloud: bool) -> tuple[str, ...]:
    return _CLOUD_REPS if cloud else _DC_REPS


def _view_html(storage: str) -> str:
    html = _CDATA.sub(lambda m: escape(m.group(1)), storage)
    return _MACRO_MARKUP.sub("", html)


def _text(storage: str) -> str:
    return " ".join(unescape(_TAGS.sub(" ", _view_html(storage))).split())


def _value(rep: str, storage: str) -> str:
    if rep in ("storage", "editor", "editor2"):
        return storage
    if rep == "atlas_doc_format":
        text = _text(storage)
        paragraph: dict = {"type": "paragraph", "content": [{"type": "text", "text": text}] if text else []}
        return json.dumps({"type": "doc", "version": 1, "content": [paragraph]}, ensure_ascii=False)
    view = _view_html(storage)
    if rep == "styled_view":
        return f"<html><head><title></title></head><body>{view}</body></html>"
    return view


def _representation(rep: str, storage: str, expand: set[str], content_url: str) -> dict:
    out: dict = {"value": _value(rep, storage), "representation": rep, "embeddedContent": []}
    expandable: dict[str, str] = {}
    # Any representation can bring the web resources it needs (none here); view forms also offer a media
    # token for their images (querypie recording).
    if "webresource" in expand:
        out["webresource"] = {"keys": [], "contexts": [],
                              "_expandable": {"uris": "", "tags": "", "superbatch": ""}}
    else:
        expandable["webresource"] = ""
    if rep in _VIEWS:
        expandable["mediaToken"] = ""
    expandable["content"] = content_url
    out["_expandable"] = expandable
    return out


def render_body(storage: str | None, expand: set[str], *, cloud: bool, content_url: str) -> dict:
    """`body` with the asked representations expanded and the others listed in `_expandable`."""
    body: dict = {}
    for rep in body_representations(cloud):
        if rep in expand and storage is not None:
            body[rep] = _representation(rep, storage, sub(expand, rep), content_url)
    body["_expandable"] = {rep: "" for rep in body_representations(cloud) if rep not in body}
    return body
