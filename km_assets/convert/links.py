"""Links and mentions: `ac:link` to pages, blog posts, attachments, users, spaces, URLs and anchors,
plain HTML `<a href>`, and bare `ri:user` references. Images live in ImagesMixin.

A link to a page in the sync points at its article, relative to the article being written (so the KM
works wherever it is unpacked); any other page keeps its Confluence URL. Every link is recorded with
its kind for the report: internal, external, unresolved (a page the sync should know but does not),
anchor (same page), attachment, mention and unresolved-mention (a user the sync cannot name; kept as
their id, with a warning).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote_plus

from bs4 import BeautifulSoup
from markdownify import chomp

from .anchors import HeadingIndex
from .context import PageRef
from .images import ImagesMixin
from .mdsyntax import escape_text, link, one_line
from .nodes import child, children

__all__ = ["LinksMixin"]

_CONTENT = ("ri:page", "ri:blog-post", "ri:content-entity")
_PAGE_ID_URL = re.compile(r"^/spaces/[^/]+/pages/(\d+)|[?&]pageId=(\d+)")
_DISPLAY_URL = re.compile(r"^/display/([^/?#]+)/([^?#/]+)$")


class LinksMixin(ImagesMixin):
    context: Any
    result: Any
    warn: Any

    def record_link(self, target: str, kind: str) -> None:
        self.result.links.append({"target": target, "kind": kind})

    # -- ac:link ----------------------------------------------------------------------------------
    def convert_ac_link(self, el: Any, text: str, parent_tags: set) -> str:
        if "ac:parameter" in parent_tags:
            return ""  # a macro's parameter (an include's target ...): that macro reads it
        plain = child(el, "ac:plain-text-link-body")
        label = escape_text(plain.get_text()) if plain is not None else one_line(text)
        user = child(el, "ri:user")
        if user is not None:
            return self.mention(user, label)
        target, kind, default = self.link_target(el)
        label = label or escape_text(default)
        if target is None:
            return label
        self.record_link(target, kind)
        return link(label, target)

    def link_target(self, el: Any) -> tuple[str | None, str, str]:
        """(target, kind, default label) of an ac:link; target None when there is nothing to point at."""
        ctx = self.context
        anchor = (el.get("ac:anchor") or "").strip()
        ref = next((c for c in children(el) if c.name.startswith("ri:")), None)
        if ref is None:
            return (self.fragment(anchor, current=True), "anchor", anchor) if anchor else (None, "", "")
        if ref.name in _CONTENT:
            if not (ref.get("ri:content-title") or ref.get("ri:content-id")):
                self.warn(f"a link to an {ref.name} without a title or id was kept as its text")
                return None, "", ""
            page, title = self.find_content(ref)
            if anchor and self.is_current(page, ref):
                return self.fragment(anchor, current=True), "anchor", title or anchor
            target, kind = self.content_target(ref)
            if anchor:  # a Confluence URL keeps Confluence's anchor: Confluence resolves it
                target += self.fragment(anchor, page if kind == "internal" else None)
            return target, kind, title or target
        if ref.name == "ri:attachment":
            return self.attachment_target(ref)
        if ref.name == "ri:space":
            key = ref.get("ri:space-key", "")
            return f"{ctx.site_url}/display/{quote(key)}", "external", key
        if ref.name == "ri:url":
            value = ref.get("ri:value", "").strip()
            return (*self.url_target(value), value) if value else (None, "", "")
        self.warn(f"a link to {ref.name} was kept as its text")
        return None, "", ""

    # -- what a resource identifier points at -----------------------------------------------------
    def find_content(self, ref: Any) -> tuple[PageRef | None, str]:
        """The PageRef the sync has for an ri:page / ri:blog-post / ri:content-entity, and its title."""
        ctx = self.context
        title = ref.get("ri:content-title", "")
        content_id = ref.get("ri:content-id", "")
        if content_id and content_id in ctx.pages:
            page = ctx.pages[content_id]
            return page, title or page.title
        space = ref.get("ri:space-key")
        if ref.name == "ri:blog-post":
            return ctx.find_blog_post(title, space, ref.get("ri:posting-day")), title
        return (ctx.find_page(title, space) if title else None), title

    def is_current(self, page: PageRef | None, ref: Any) -> bool:
        ctx = self.context
        if page is not None:
            return page.id == ctx.page_id
        space = ref.get("ri:space-key") or ctx.space_key
        same_title = bool(ctx.page_title) and ref.get("ri:content-title") == ctx.page_title
        return same_title and space == ctx.space_key

    def content_target(self, ref: Any) -> tuple[str, str]:
        """(target, kind): the article when the content is in the sync, else its Confluence URL."""
        ctx = self.context
        page, title = self.find_content(ref)
        if page is not None:
            return self.page_target(page)
        space = ref.get("ri:space-key")
        if ref.name == "ri:blog-post":
            url = ctx.blog_url(title, ref.get("ri:posting-day", ""), space)
        elif title:
            url = ctx.page_url(title, space)
        else:
            url = ctx.content_url(ref.get("ri:content-id", ""))
        return url, ("unresolved" if ctx.pages else "external")

    def page_target(self, page: PageRef) -> tuple[str, str]:
        """(target, kind) of a page the sync knows: its article if it has one, else its Confluence URL."""
        ctx = self.context
        if page.path:
            return ctx.relative(page.path), "internal"
        return page.url or ctx.page_url(page.title, page.space), "external"

    def attachment_target(self, ref: Any) -> tuple[str | None, str, str]:
        """(target, kind, file name) of an ri:attachment: the downloaded file, else Confluence's address.

        An attachment of a page outside the sync cannot be addressed (the download URL needs the page's
        id), so it points at that page instead, with the page's kind and a warning.
        """
        ctx = self.context
        filename = ref.get("ri:filename", "")
        owner = child(ref, *_CONTENT)
        owner_id = ctx.page_id
        page, title = self.find_content(owner) if owner is not None else (None, "")
        if owner is not None and not self.is_current(page, owner):
            if page is None:
                target, kind = self.content_target(owner)
                self.warn(f"attachment {filename!r} of page {title!r}, which is not in the sync, "
                          "points at that page")
                return target, kind, filename
            owner_id = page.id
        if owner_id == ctx.page_id:
            self.result.attachments.append(filename)
        local = ctx.attachment_paths.get((owner_id, filename))
        if local:
            return ctx.relative(local), "attachment", filename
        if not owner_id:
            return None, "", filename
        url = f"{ctx.site_url}/download/attachments/{quote(owner_id)}/{quote(filename)}"
        return url, "attachment", filename

    def url_target(self, url: str) -> tuple[str, str]:
        """A URL; one to a page of this Confluence that is in the sync becomes a link to its article."""
        ctx = self.context
        site = ctx.site_url.rstrip("/")
        if url.startswith("#"):
            return self.fragment(url[1:], current=True), "anchor"
        if site and url.startswith(site + "/"):
            rest, _, anchor = url[len(site):].partition("#")
            page = None
            if match := _PAGE_ID_URL.search(rest):
                page = ctx.pages.get(match.group(1) or match.group(2))
            elif match := _DISPLAY_URL.match(rest):
                page = ctx.find_page(unquote_plus(match.group(2)), unquote_plus(match.group(1)))
            if page is not None and page.path:
                return ctx.relative(page.path) + (self.fragment(anchor, page) if anchor else ""), "internal"
        return url, ("external" if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) else "unresolved")

    # -- anchors ----------------------------------------------------------------------------------
    def fragment(self, anchor: str, page: PageRef | None = None, *, current: bool = False) -> str:
        """'#anchor' for an anchor of this page (`current`), of a page in the sync, or of another.

        An anchor naming a heading of a page we have becomes that heading's GitHub slug, which is what
        Markdown renderers give it. Any other anchor is kept: an anchor macro elsewhere on the page, or
        a page we only know by its Confluence URL (Confluence resolves its own anchors).
        """
        index = self._heading_index(page, current)
        slug = index.slug(anchor) if index is not None else None
        return "#" + (slug or anchor.replace(" ", "%20"))

    def _heading_index(self, page: PageRef | None, current: bool) -> HeadingIndex | None:
        cache: dict[str, HeadingIndex | None] = self.__dict__.setdefault("_heading_indexes", {})
        key = "" if current else page.id if page is not None else None
        if key is None:
            return None
        if key not in cache:
            if current:  # this page: the soup being converted
                root = getattr(self, "_page_soup", None)
                cache[key] = HeadingIndex.of(root, self.context.page_title) if root is not None else None
            elif page is not None and page.body:
                cache[key] = HeadingIndex.of(BeautifulSoup(page.body, "html.parser"), page.title)
            else:
                cache[key] = None
        return cache[key]

    def convert_soup(self, soup: Any) -> str:
        self._page_soup = soup  # same-page anchors are looked up among this page's headings
        return super().convert_soup(soup)  # type: ignore[misc]

    # -- mentions ---------------------------------------------------------------------------------
    def mention(self, user: Any, label: str = "") -> str:
        """'@Display Name' when the sync knows the user; else the link's own text or '@id', counted."""
        ident = user.get("ri:account-id") or user.get("ri:userkey") or user.get("ri:username") or ""
        name = self.context.user_name(ident) if ident else None
        if name:
            self.record_link(f"user:{ident}", "mention")
            return "@" + escape_text(name)
        self.record_link(f"user:{ident}", "unresolved-mention")
        self.warn(f"user {ident or '(no id)'} is not known to the sync: the mention keeps "
                  f"{'its text' if label else 'the id'}")
        return label or "@" + escape_text(ident or "unknown user")

    def convert_ri_user(self, el: Any, text: str, parent_tags: set) -> str:
        # Inside an ac:link or a macro parameter the owner renders it; a bare reference is a mention.
        if {"ac:link", "ac:parameter"} & parent_tags:
            return ""
        return self.mention(el)

    # -- the rest ---------------------------------------------------------------------------------
    def convert_ac_link_body(self, el: Any, text: str, parent_tags: set) -> str:
        return text

    def convert_ac_plain_text_link_body(self, el: Any, text: str, parent_tags: set) -> str:
        return ""  # read raw by convert_ac_link

    def convert_a(self, el: Any, text: str, parent_tags: set) -> str:
        """Plain HTML links: recorded like ac:link ones, Confluence URLs in the sync made internal."""
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, label = chomp(text)
        href = (el.get("href") or "").strip()
        if not href or not label:
            return text
        target, kind = self.url_target(href)
        self.record_link(target, kind)
        return prefix + link(one_line(label), target, el.get("title") or "") + suffix
