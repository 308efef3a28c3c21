"""Confluence anchors -> the anchors the Markdown article will have.

Confluence gives every heading an id like `PageTitle-HeadingText` (spaces removed), and an `ac:anchor`
names either that form or the part after the title. Markdown renderers (GitHub, GitLab, most KM tools)
instead give headings a GitHub-style slug of their text. So an anchor that names a heading of the
target page becomes that heading's slug, computed exactly as the toc macro computes it (the same
functions), and any other anchor is kept as is: an anchor macro's name, which the anchor macro writes
as `<a id="name">`, or an anchor we cannot check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .macros.structure import github_slug, heading_text

__all__ = ["HeadingIndex"]

_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]


def _squash(text: str) -> str:
    """Confluence's comparison form: no whitespace, case-insensitive."""
    return "".join(text.split()).casefold()


@dataclass
class HeadingIndex:
    """The headings of one page: squashed heading text -> the slug its Markdown heading gets."""

    title: str
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, soup: Any, title: str) -> HeadingIndex:
        index = cls(title=title)
        seen: dict[str, int] = {}
        for heading in soup.find_all(_HEADINGS):
            if heading.find_parent(["td", "th"]) is not None:
                continue  # a heading in a table cell is no Markdown heading: no anchor (as in toc)
            text = heading_text(heading)
            if text:
                slug = github_slug(text, seen)  # in page order, so repeats are numbered as GitHub does
                index.names.setdefault(_squash(text), slug)
        return index

    def slug(self, anchor: str) -> str | None:
        """The slug of the heading `anchor` names, or None when it names none of them."""
        # Older renderers prefix ids with "id-"; rendered ids carry the page title.
        squashed = _squash(anchor).removeprefix("#")
        candidates = [squashed, squashed.removeprefix("id-")]
        if self.title:
            prefix = _squash(self.title) + "-"
            candidates += [c.removeprefix(prefix) for c in candidates]
        return next((self.names[c] for c in candidates if c in self.names), None)
