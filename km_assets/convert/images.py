"""`ac:image`: attached or external images, with alt text, title, caption, size and thumbnails.

Output: `![alt](src "title")`, or an HTML `<img ... width="N">` when the author shrank the image (see
`_size`). A caption becomes an emphasised paragraph under a block image, or follows an inline one (a
table cell cannot hold two paragraphs). A thumbnail links to the full-size image. An image attached to a
page outside the sync has no address we can build, so it becomes a link to that page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from bs4.element import NavigableString, Tag

from .mdsyntax import escape_text, html_image, image, link, one_line
from .nodes import child

__all__ = ["ImagesMixin", "standalone"]

# Siblings that make an image part of running text rather than a block of its own.
_INLINE_TAGS = {"a", "b", "strong", "em", "i", "u", "s", "del", "code", "span", "sub", "sup", "br", "time",
                "ac:link", "ac:emoticon", "ac:inline-comment-marker", "ri:user"}


def standalone(el: Tag) -> bool:
    """True when nothing but whitespace and block elements shares the image's parent."""
    for sibling in el.parent.contents if el.parent is not None else ():
        if sibling is el:
            continue
        if isinstance(sibling, Tag) and sibling.name in _INLINE_TAGS:
            return False
        if type(sibling) is NavigableString and sibling.strip():
            return False
    return True


def _size(el: Tag) -> tuple[str, str] | None:
    """The width (or height) to keep, if any.

    Confluence writes a width on nearly every image, usually the original size or the editor's layout
    width, which mean nothing once Markdown lets the image fit the page. A size is kept only when it
    makes the image smaller than its original (or the original is not recorded), because then the
    author chose it: a big screenshot shown small would otherwise fill the screen.
    """
    for axis in ("width", "height"):
        value = (el.get(f"ac:{axis}") or "").strip()
        if not value.isdigit():
            continue
        original = (el.get(f"ac:original-{axis}") or "").strip()
        if original.isdigit() and int(value) >= int(original):
            return None
        return axis, value
    return None


class ImagesMixin:
    context: Any
    result: Any

    def convert_ac_caption(self, el: Any, text: str, parent_tags: set) -> str:
        # The only text an ac:image's children produce: the image reads it back as its `text`.
        return one_line(text)

    def convert_ac_image(self, el: Any, text: str, parent_tags: set) -> str:
        if "ac:parameter" in parent_tags:
            return ""  # a macro's parameter: that macro reads it
        caption_el = child(el, "ac:caption")
        caption = one_line(text)  # the converted caption (Markdown)
        caption_plain = one_line(caption_el.get_text(" ")) if caption_el is not None else ""
        in_link = bool({"ac:link-body", "a"} & parent_tags)

        attachment = child(el, "ri:attachment")
        url = child(el, "ri:url")
        filename = ""
        if attachment is not None:
            src, kind, filename = self.attachment_target(attachment)
            if src is not None and kind != "attachment":  # on a page outside the sync
                self.record_link(src, kind)
                return link(escape_text(el.get("ac:alt") or filename), src)
        else:
            src = url.get("ri:value", "").strip() if url is not None else None
            filename = unquote(urlsplit(src or "").path.rpartition("/")[2])
        # Alt text: the author's, else the words shown with the image, else the file's name (what
        # Confluence itself puts there), so no image is left without a description.
        alt = one_line(el.get("ac:alt") or caption_plain or el.get("ac:title") or filename)
        if not src:
            self.warn("an image without a source was kept as its alt text")
            shown = escape_text(alt)
            return f"{shown} *{caption}*" if caption and caption_plain != alt else shown

        title = one_line(el.get("ac:title") or "")
        if title in (alt, caption_plain):
            title = ""  # the same words twice help no one
        size = _size(el)
        markup = html_image(alt, src, title, size) if size else image(alt, src, title)
        if el.get("ac:thumbnail") == "true" and not in_link:
            markup = link(markup, src)  # Confluence opens the full image on click

        if in_link:
            return markup  # a caption cannot go inside a link's label
        # In running text or a table cell (one line in GFM), the caption follows the image.
        if {"_inline", "table"} & parent_tags or not standalone(el):
            return f"{markup} *{caption}*" if caption else markup
        return f"\n\n{markup}\n\n*{caption}*\n\n" if caption else f"\n\n{markup}\n\n"
