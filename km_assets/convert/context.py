"""What the converter may know about the site and what the user chose.

Everything is optional: with an empty context a page still converts, and links fall back to Confluence
URLs. The sync fills it from the listing: the pages in the sync (so links and includes stay inside the
KM), the people it has resolved, the attachments it downloaded, and a policy per macro from km.yaml.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal
from urllib.parse import quote

__all__ = ["ConversionContext", "MacroPolicy", "PageIndex", "PageRef"]

MacroPolicy = Literal["convert", "html", "placeholder", "drop"]
TableMode = Literal["auto", "html", "repeat"]


@dataclass(frozen=True)
class PageRef:
    """A page or blog post the sync knows: where its article lives, and its children for tree macros."""

    id: str
    space: str
    title: str
    path: str | None = None  # the article's path in the KM (relative link target), when it is in the sync
    url: str | None = None  # its Confluence URL
    excerpt: str | None = None  # storage markup of its excerpt macro, for excerpt-include
    body: str | None = None  # storage body, for include
    children: tuple[str, ...] = ()  # child page ids, in order
    posting_day: str | None = None  # blog posts: yyyy/mm/dd


class PageIndex(dict[str, PageRef]):
    """The pages in the sync by id, with their (space, title) index built once.

    Every article's context looks pages up by title; building that index per article made a space's
    conversion quadratic in its size (55 s of 212 for 10,000 pages)."""

    @cached_property
    def by_title(self) -> dict[tuple[str, str], PageRef]:
        index: dict[tuple[str, str], PageRef] = {}
        for page in self.values():
            index.setdefault((page.space, page.title), page)
        return index


def _title_index(pages: Mapping[str, PageRef]) -> dict[tuple[str, str], PageRef]:
    if isinstance(pages, PageIndex):
        return pages.by_title
    return PageIndex(pages).by_title


@dataclass
class ConversionContext:
    site_url: str = ""
    space_key: str = ""
    page_id: str = ""
    page_title: str = ""
    pages: Mapping[str, PageRef] = field(default_factory=dict)  # by id
    users: Mapping[str, str] = field(default_factory=dict)  # account id / user key / user name -> display name
    attachment_paths: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (page id, file name) -> path
    macro_policies: Mapping[str, MacroPolicy] = field(default_factory=dict)
    default_policy: MacroPolicy = "convert"
    tables: TableMode = "auto"
    include_depth: int = 0  # how deep inside include/excerpt-include we are (guards against cycles)
    # The attachments the sync knows per page (page id -> file names), for the attachments and gallery
    # macros. A page missing here is "unknown", not "has none".
    attachments_of: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Where the article being written lives in the KM (e.g. "ENG/42.md"). Links to other articles and to
    # downloaded attachments are made relative to it, so they work wherever the KM is unpacked. Defaults
    # to this page's PageRef.path; kept unchanged in nested contexts (included content lands here).
    article_path: str | None = None
    include_chain: tuple[str, ...] = ()  # ids of the pages whose include macros led here, outermost first

    def __post_init__(self) -> None:
        self._by_title = _title_index(self.pages)
        if self.article_path is None and self.page_id in self.pages:
            self.article_path = self.pages[self.page_id].path

    def policy(self, macro: str) -> MacroPolicy:
        return self.macro_policies.get(macro, self.default_policy)

    def find_page(self, title: str, space: str | None = None) -> PageRef | None:
        return self._by_title.get((space or self.space_key, title))

    def page_url(self, title: str, space_key: str | None = None) -> str:
        space = space_key or self.space_key
        # '+' stands for a space in these URLs, so a literal '+' in a title must be escaped.
        return f"{self.site_url}/display/{quote(space)}/{quote(title, safe='/ ').replace(' ', '+')}"

    def page_link(self, title: str, space_key: str | None = None) -> tuple[str, str]:
        """(target, kind): the article's path when the page is in the sync, else its Confluence URL."""
        page = self.find_page(title, space_key)
        if page is not None and page.path:
            return page.path, "internal"
        if page is not None and page.url:
            return page.url, "external"
        return self.page_url(title, space_key), ("unresolved" if self.pages else "external")

    def attachment_link(self, filename: str, page_id: str | None = None) -> str:
        owner = page_id or self.page_id
        local = self.attachment_paths.get((owner, filename))
        if local:
            return local
        return f"{self.site_url}/download/attachments/{owner}/{quote(filename)}"

    def user_name(self, ident: str) -> str | None:
        return self.users.get(ident)

    def nested(self, page: PageRef) -> ConversionContext:
        """The context for converting another page's content inline (include, excerpt-include).

        `replace` carries every other field (users, attachments, article_path, ...) so a field added
        later is not silently lost inside included content.
        """
        # article_path stays the host's ("" when unknown, so it is not re-derived from the included page).
        return replace(self, space_key=page.space, page_id=page.id, page_title=page.title,
                       include_depth=self.include_depth + 1, article_path=self.article_path or "",
                       include_chain=(*self.include_chain, self.page_id))

    def find_blog_post(self, title: str, space: str | None = None,
                       posting_day: str | None = None) -> PageRef | None:
        """A blog post by title (and posting day, which tells apart posts that share a title)."""
        space = space or self.space_key
        found = [p for p in self.pages.values() if p.space == space and p.title == title]
        dated = [p for p in found if posting_day and p.posting_day == posting_day]
        return (dated or found or [None])[0]

    def blog_url(self, title: str, posting_day: str, space_key: str | None = None) -> str:
        """Confluence's address of a blog post: /display/SPACE/yyyy/mm/dd/Title."""
        space = space_key or self.space_key
        day = f"{posting_day.strip('/')}/" if posting_day else ""
        return f"{self.site_url}/display/{quote(space)}/{day}{quote(title, safe='/ ').replace(' ', '+')}"

    def content_url(self, content_id: str) -> str:
        return f"{self.site_url}/pages/viewpage.action?pageId={quote(content_id)}"

    def relative(self, path: str) -> str:
        """A KM path (relative to the KM root) as seen from the article being written."""
        if not self.article_path or "://" in path or path.startswith(("/", "#")):
            return path
        return posixpath.relpath(path, posixpath.dirname(self.article_path) or ".")

    def parent_of(self, page_id: str) -> PageRef | None:
        return next((p for p in self.pages.values() if page_id in p.children), None)
