"""An element's own child elements, looked up without bs4's matcher.

bs4's `find`/`find_all` build a filter object on every call; the converter asks each macro, link, image
and task for a child or two (its parameters, its resource, its status), so those lookups walk
`.children` instead. Names compare exactly, as bs4 compares them on parsed storage: the HTML parser
keeps `ac:`/`ri:` in the name and sets no namespace prefix.
"""

from __future__ import annotations

from typing import Any

from bs4.element import Tag

__all__ = ["child", "children"]


def children(el: Any, *names: str) -> list[Tag]:
    """The child elements named one of `names` (every child element when none is given), in order."""
    if not names:
        return [node for node in el.children if isinstance(node, Tag)]
    return [node for node in el.children if isinstance(node, Tag) and node.name in names]


def child(el: Any, *names: str) -> Tag | None:
    """The first child element named one of `names`, or None: `el.find(name, recursive=False)`."""
    for node in el.children:
        if isinstance(node, Tag) and node.name in names:
            return node
    return None
