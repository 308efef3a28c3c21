"""markdownify's tree walk (`process_tag`, `process_text`), with the same output for less work per node.

The walk was a third of a page's conversion time, mostly in small per-node costs: a closure and two
regex matches per element, the block-element tests per text node, a regex split per child string. This
does the same steps in the same order: which whitespace-only strings are skipped, which pseudo-tags
(`_inline`, `_noformat`) children see (one set shared by a node's children, as there), how newlines
between child strings collapse (at most two), and which `convert_*` runs with which arguments. What
depends on a tag's name alone is worked out once per name. Written for markdownify 1.2 (pinned <2);
the golden comparison of the conversion output is what vouches for it.
"""

from __future__ import annotations

import re
from typing import Any

from bs4.element import Comment, Doctype, NavigableString, Tag

__all__ = ["WalkMixin"]

# Block elements around and inside which markdownify drops whitespace-only strings and edge spaces.
_BLOCKS = frozenset({"p", "blockquote", "article", "div", "section", "ol", "ul", "li", "dl", "dt", "dd",
                     "table", "thead", "tbody", "tfoot", "tr", "td", "th"})
_HEADING = re.compile(r"h(\d+)")  # markdownify's heading test: "h" and a digit at the start of the name
_NEWLINE_RUN = re.compile(r"[\t \r\n]*[\r\n][\t \r\n]*")
_SPACE_RUN = re.compile(r"[\t ]+")


class _Name:
    """What markdownify derives from a tag name."""

    __slots__ = ("inside", "outside", "marks")

    def __init__(self, name: str) -> None:
        heading = _HEADING.match(name) is not None
        self.inside = heading or name in _BLOCKS  # whitespace dropped just inside it
        self.outside = self.inside or name == "pre"  # whitespace dropped just outside it
        marks = {name}
        if heading or name in ("td", "th"):
            marks.add("_inline")
        if name in ("pre", "code", "kbd", "samp"):
            marks.add("_noformat")
        self.marks = frozenset(marks)  # added to the parent tags its children see


_NAMES: dict[str, _Name] = {}


def _named(name: str) -> _Name:
    known = _NAMES.get(name)
    if known is None:
        known = _Name(name)
        if len(_NAMES) < 4096:
            _NAMES[name] = known
    return known


def _outside(el: Any) -> bool:
    """markdownify's should_remove_whitespace_outside: only tags (never strings or None) have a name."""
    return isinstance(el, Tag) and _named(el.name).outside


def _inside(el: Any) -> bool:
    return isinstance(el, Tag) and _named(el.name).inside


class WalkMixin:
    options: dict
    convert_fn_cache: dict

    def process_tag(self, node: Any, parent_tags: set | None = None) -> str:
        if parent_tags is None:
            parent_tags = set()
        named = _named(node.name)
        # Which children convert is settled before any converts, as in markdownify (a converter may
        # look at, or change, the siblings of what it converts).
        kept: list[tuple[bool, Any]] = []
        # A Tag's `children` is a generator over its `contents`; a table cell's stand-in has a list.
        for el in node.contents if isinstance(node, Tag) else node.children:
            if isinstance(el, Tag):
                kept.append((True, el))
            elif isinstance(el, (Comment, Doctype)):
                continue
            elif isinstance(el, NavigableString):
                if not el.strip():
                    before, after = el.previous_sibling, el.next_sibling
                    if named.inside and isinstance(node, Tag) and (not before or not after):
                        continue
                    if _outside(before) or _outside(after):
                        continue
                kept.append((False, el))
            elif el is not None:
                raise ValueError(f"Unexpected element type: {type(el)}")
        tags = set(parent_tags)
        tags |= named.marks
        strings = []
        for is_tag, el in kept:
            out = self.process_tag(el, parent_tags=tags) if is_tag else self.process_text(el, parent_tags=tags)
            if out:
                strings.append(out)
        if node.name == "pre" or node.find_parent("pre"):
            text = "".join(strings)  # inside <pre>, newlines stay as they are
        else:
            text = _join_collapsing_newlines(strings)
        convert = self.convert_fn_cache.get(node.name)
        if convert is None and node.name not in self.convert_fn_cache:
            convert = self.get_conv_fn_cached(node.name)  # type: ignore[attr-defined]
        if convert is not None:
            text = convert(node, text, parent_tags=parent_tags)
        return text

    def process_text(self, el: Any, parent_tags: set | None = None) -> str:
        if parent_tags is None:
            parent_tags = set()
        text = str(el) or ""
        if "pre" not in parent_tags:
            if self.options["wrap"]:
                return super().process_text(el, parent_tags)  # type: ignore[misc]  # never in km_assets
            if "\n" in text or "\r" in text:
                text = _NEWLINE_RUN.sub("\n", text)
            if "\t" in text or "  " in text:
                text = _SPACE_RUN.sub(" ", text)
        if "_noformat" not in parent_tags:
            text = self.escape(text, parent_tags)  # type: ignore[attr-defined]
        before, after, parent = el.previous_sibling, el.next_sibling, el.parent
        if _outside(before) or (not before and _inside(parent)):
            text = text.lstrip(" \t\r\n")
        if _outside(after) or (not after and _inside(parent)):
            text = text.rstrip()
        return text


def _join_collapsing_newlines(strings: list[str]) -> str:
    """The strings joined; where one ends and the next starts with newlines, the larger run, at most two."""
    if len(strings) < 2:
        return strings[0] if strings else ""  # most elements have one child string, or none
    pieces: list[str] = []
    trailing = ""  # the newlines the last string ended with
    for string in strings:
        body = string.lstrip("\n")
        leading = string[:len(string) - len(body)]
        content = body.rstrip("\n")
        if trailing and leading:
            pieces.pop()
            leading = "\n" * min(2, max(len(trailing), len(leading)))
        trailing = body[len(content):]
        pieces += (leading, content, trailing)
    return "".join(pieces)
