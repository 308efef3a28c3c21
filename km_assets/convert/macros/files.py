"""Attachments shown by macros: attachments (a list), view-file and its kin (a link), gallery (images).

Files resolve like ri:attachment links: the downloaded copy when the sync has one, else Confluence's
download address. The attachments and gallery macros list what `context.attachments_of` knows for the
page (Confluence's order: as the sync listed them); when it knows nothing for that page, a visible note
says what Confluence shows there.
"""

from __future__ import annotations

import re
from fnmatch import fnmatch
from typing import Any

from bs4 import BeautifulSoup

from ..images import standalone
from ..mdsyntax import escape_text, image, link
from ..registry import is_inline, parameter, register
from .includes import macro_page, note

_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".tif", ".tiff")


def _attachment_ref(filename: str, owner: Any | None) -> Any:
    """An ri:attachment element, so macro-listed files resolve exactly as linked ones do."""
    soup = BeautifulSoup("", "html.parser")
    ref = soup.new_tag("ri:attachment", attrs={"ri:filename": filename})
    if owner is not None:
        ref.append(soup.new_tag(owner.name, attrs=dict(owner.attrs)))
    return ref


def _matches(name: str, patterns: str) -> bool:
    """Confluence's comma-separated file name patterns are regular expressions; globs work too."""
    for pattern in (p.strip() for p in patterns.split(",") if p.strip()):
        try:
            if re.fullmatch(pattern, name, re.IGNORECASE):
                return True
        except re.error:
            pass  # not a regular expression: try it as a glob
        if fnmatch(name.lower(), pattern.lower()):
            return True
    return False


def _known_files(converter: Any, el: Any) -> tuple[list[str] | None, Any | None]:
    """(file names the sync knows for the macro's page, or None; the ri element naming that page, or
    None when it is this page)."""
    ctx = converter.context
    page, ref = macro_page(converter, el, "page")
    if ref is None or converter.is_current(page, ref):
        owner_id, ref = ctx.page_id, None
    else:
        owner_id = page.id if page is not None else None
    names = ctx.attachments_of.get(owner_id) if owner_id else None
    return (list(names) if names is not None else None), ref


def _resolve(converter: Any, names: list[str], owner_ref: Any | None) -> list[tuple[str, str]]:
    files = []
    for name in names:
        target, kind, _ = converter.attachment_target(_attachment_ref(name, owner_ref))
        if target is not None:
            converter.record_link(target, kind)
            files.append((name, target))
    return files


def _block_list(items: list[str], parent_tags: set, heading: str = "") -> str:
    if is_inline(parent_tags):  # a table cell cannot hold a list
        return ", ".join(items)
    return "\n\n" + heading + "\n".join(f"- {item}" for item in items) + "\n\n"


@register("attachments")
def attachments(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    names, owner_ref = _known_files(converter, el)
    if names is None:
        return note(converter, "Attachments of", owner_ref, parent_tags)
    patterns = parameter(el, "patterns")
    names = [n for n in names if not patterns or _matches(n, patterns)]
    if parameter(el, "sortBy").lower() == "name":
        names.sort(key=str.casefold)
    if parameter(el, "sortOrder").lower() == "descending":
        names.reverse()
    files = _resolve(converter, names, owner_ref)
    if not files:
        return note(converter, "No attachments on", owner_ref, parent_tags)
    return _block_list([link(escape_text(name), target) for name, target in files], parent_tags)


@register("gallery")
def gallery(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    names, owner_ref = _known_files(converter, el)
    if names is None:
        return note(converter, "Image gallery of", owner_ref, parent_tags)
    include, exclude = parameter(el, "include"), parameter(el, "exclude")
    names = [n for n in names if n.lower().endswith(_IMAGE_EXTENSIONS)
             and (not include or _matches(n, include)) and not (exclude and _matches(n, exclude))]
    if parameter(el, "sort").lower() == "name":
        names.sort(key=str.casefold)
    if parameter(el, "reverse").lower() == "true":
        names.reverse()
    files = _resolve(converter, names, owner_ref)
    if not files:
        return note(converter, "No images on", owner_ref, parent_tags)
    title = parameter(el, "title").strip()
    heading = f"**{escape_text(title)}**\n\n" if title else ""
    return _block_list([image(name, target) for name, target in files], parent_tags, heading)


@register("view-file", "viewpdf", "viewdoc", "viewxls", "viewppt", "multimedia")
def view_file(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    """An embedded file viewer: in Markdown, a link to the file."""
    ref = el.find("ri:attachment")  # newer storage: inside the `name` parameter
    if ref is None:
        name = parameter(el, "name").strip()
        if not name:
            converter.warn(f"a {el.get('ac:name')} macro names no file")
            return ""
        ref = _attachment_ref(name, macro_page(converter, el, "page")[1])
    target, kind, filename = converter.attachment_target(ref)
    if target is None:
        return escape_text(filename)
    converter.record_link(target, kind)
    markup = link(escape_text(filename), target)
    return markup if is_inline(parent_tags) or not standalone(el) else f"\n\n{markup}\n\n"
