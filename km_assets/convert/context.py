"""What the converter may know about the site and what the user chose.

Everything is optional: with an empty context a page still converts, and links fall back to Confluence
URLs. The sync fills it from the listing: the pages in the sync (so links and includes stay inside the
KM), the people it has resolved, the attachments it downloaded, and a policy per macro from km.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

__all__ = ["ConversionContext", "MacroPolicy", "PageRef"]

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

    def __post_init__(self) -> None:
        self._by_title: dict[tuple[str, str], PageRef] = {}
        for page in self.pages.values():
            self._by_title.setdefault((page.space, page.title), page)

    def policy(self, macro: str) -> MacroPolicy:
        return self.macro_policies.get(macro, self.default_policy)

    def find_page(self, title: str, space: str | None = None) -> PageRef | None:
        return self._by_title.get((space or self.space_key, title))

    def page_url(self, title: str, space_key: str | None = None) -> str:
        space = space_key or self.space_key
        return f"{self.site_url}/display/{quote(space)}/{quote(title.replace(' ', '+'), safe='+')}"

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
        """The context for converting another page's content inline (include, excerpt-include)."""
        return ConversionContext(site_url=self.site_url, space_key=page.space, page_id=page.id,
                                 page_title=page.title, pages=self.pages, users=self.users,
                                 attachment_paths=self.attachment_paths, macro_policies=self.macro_policies,
                                 default_policy=self.default_policy, tables=self.tables,
                                 include_depth=self.include_depth + 1)
