"""Links, images and mentions: `ac:link` to pages, blog posts, attachments, users, spaces, URLs, anchors.

A page link points at the target article's path when the page is in the sync, else at its Confluence
URL; every link is recorded with its kind (internal, external, unresolved, anchor) for the report.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

__all__ = ["LinksMixin"]


def _label(text: str) -> str:
    return " ".join(text.split()).replace("[", "\\[").replace("]", "\\]")


def _target(url: str) -> str:
    return f"<{url}>" if any(c in url for c in " ()") else url


class LinksMixin:
    context: Any
    result: Any

    def record_link(self, target: str, kind: str) -> None:
        self.result.links.append({"target": target, "kind": kind})

    def convert_ac_link(self, el: Any, text: str, parent_tags: set) -> str:
        body = el.find("ac:plain-text-link-body", recursive=False)
        label = body.get_text() if body is not None else text.strip()
        target, kind, default_label = self.link_target(el)
        label = label or default_label
        if target is None:
            return _label(label)
        self.record_link(target, kind)
        if kind == "mention":
            return label
        return f"[{_label(label)}]({_target(target)})"

    def link_target(self, el: Any) -> tuple[str | None, str, str]:
        """(target, kind, default label) for an ac:link."""
        ctx = self.context
        anchor = el.get("ac:anchor", "")
        suffix = f"#{anchor}" if anchor else ""
        page = el.find("ri:page")
        if page is not None:
            title = page.get("ri:content-title", "")
            target, kind = ctx.page_link(title, page.get("ri:space-key"))
            return target + suffix, kind, title
        blog = el.find("ri:blog-post")
        if blog is not None:
            title = blog.get("ri:content-title", "")
            target, kind = ctx.page_link(title, blog.get("ri:space-key"))
            return target, kind, title
        attachment = el.find("ri:attachment")
        if attachment is not None:
            filename = attachment.get("ri:filename", "")
            owner = attachment.find("ri:page")
            owner_ref = ctx.find_page(owner.get("ri:content-title", ""), owner.get("ri:space-key")) if owner else None
            self.result.attachments.append(filename)
            return ctx.attachment_link(filename, owner_ref.id if owner_ref else None), "attachment", filename
        user = el.find("ri:user")
        if user is not None:
            ident = user.get("ri:account-id") or user.get("ri:userkey") or user.get("ri:username") or ""
            name = ctx.user_name(ident) or ident
            return "user:" + ident, "mention", f"@{name}"
        space = el.find("ri:space")
        if space is not None:
            key = space.get("ri:space-key", "")
            return f"{ctx.site_url}/display/{quote(key)}", "external", key
        url = el.find("ri:url")
        if url is not None:
            value = url.get("ri:value", "")
            return value, "external", value
        if anchor:
            return f"#{anchor}", "anchor", anchor
        return None, "", ""

    def convert_ac_link_body(self, el: Any, text: str, parent_tags: set) -> str:
        return text

    def convert_ac_plain_text_link_body(self, el: Any, text: str, parent_tags: set) -> str:
        return ""  # read raw by convert_ac_link

    def convert_ri_user(self, el: Any, text: str, parent_tags: set) -> str:
        # A bare user reference outside ac:link (older Server pages) is a mention too.
        if el.parent is not None and el.parent.name == "ac:link":
            return ""
        ident = el.get("ri:account-id") or el.get("ri:userkey") or el.get("ri:username") or ""
        return f"@{self.context.user_name(ident) or ident}"

    def convert_ac_image(self, el: Any, text: str, parent_tags: set) -> str:
        alt = el.get("ac:alt") or el.get("ac:title") or ""
        caption = el.find("ac:caption")
        attachment = el.find("ri:attachment")
        if attachment is not None:
            filename = attachment.get("ri:filename", "")
            owner = attachment.find("ri:page")
            owner_ref = (self.context.find_page(owner.get("ri:content-title", ""), owner.get("ri:space-key"))
                         if owner else None)
            self.result.attachments.append(filename)
            src = self.context.attachment_link(filename, owner_ref.id if owner_ref else None)
            alt = alt or filename
        else:
            url = el.find("ri:url")
            src = url.get("ri:value", "") if url is not None else ""
        if not src:
            return _label(alt)
        image = f"![{_label(alt)}]({_target(src)})"
        if caption is not None and caption.get_text(strip=True) and "_inline" not in parent_tags:
            return f"\n\n{image}\n\n*{' '.join(caption.get_text().split())}*\n\n"
        return image

    def convert_ac_caption(self, el: Any, text: str, parent_tags: set) -> str:
        return ""  # rendered by the image it belongs to
