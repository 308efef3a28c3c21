"""Visible-text fidelity: the share of the words a reader sees in Confluence that survive into Markdown.

Words are compared as multisets, so a word dropped twice counts twice. Text the user chose to drop (a
macro policy of `drop`) is excluded from the source. Words are split on underscores as well, since
Markdown escaping (`snake\\_case`) would otherwise break them apart on one side only.
"""

from __future__ import annotations

import re
from collections import Counter

from bs4 import BeautifulSoup
from bs4.element import Tag

__all__ = ["FIDELITY_THRESHOLD", "fidelity", "visible_words", "words"]

# Below this share of the words a reader sees in Confluence an article is flagged for review (the
# articles check warns, `km why-missing` says so). Not in km.yaml yet: one constant until someone needs
# it per connection.
FIDELITY_THRESHOLD = 0.95

_WORD = re.compile(r"[^\W_]+")
# Elements whose text Confluence does not show as such.
_HIDDEN = {"ac:parameter", "ac:task-id", "ac:task-status", "ac:task-uuid", "ac:adf-attribute",
           "ac:placeholder", "style", "script"}
_VISIBLE_PARAMETERS = {"title"}
_NOT_TEXT = {"Comment", "Doctype", "Declaration"}


def words(text: str) -> Counter:
    return Counter(map(str.lower, _WORD.findall(text)))


def visible_words(soup: BeautifulSoup | Tag) -> Counter:
    # One walk over the tree, top down: an element is hidden when an element above it (below `soup`)
    # is, and the visible strings are counted together at the end. On a 10 MB page that is the
    # difference between seconds and a fraction of one; on a small page it saves the dozen tree scans
    # separate searches would make.
    visible: list[str] = []
    links: list[Tag] = []
    stack: list[tuple[Tag, bool]] = [(soup, False)]
    while stack:
        node, hidden = stack.pop()
        # The new editor stores content twice: as ADF nodes and as the fallback the converter renders.
        doubled = node is not soup and node.name == "ac:adf-extension" and any(
            isinstance(child, Tag) and child.name == "ac:adf-fallback" for child in node.contents)
        tags: list[tuple[Tag, bool]] = []
        for child in node.contents:  # what `children` iterates, without a generator per element
            if isinstance(child, Tag):
                name = child.name
                if name == "ac:link":
                    links.append(child)
                tags.append((child, hidden
                             or (name in _HIDDEN and not (name == "ac:parameter"
                                                          and child.get("ac:name") in _VISIBLE_PARAMETERS))
                             or (doubled and name == "ac:adf-node")))
            elif not hidden and type(child).__name__ not in _NOT_TEXT:
                visible.append(child)
        stack.extend(reversed(tags))  # document order, though counting does not depend on it
    counts = words("\n".join(visible))  # words never span strings: "\n" separates them
    for link in links:
        if not link.get_text(strip=True):  # a link without a body shows its target's name
            for tag, attr in (("ri:page", "ri:content-title"), ("ri:blog-post", "ri:content-title"),
                              ("ri:attachment", "ri:filename")):
                target = link.find(tag)
                if target is not None and target.get(attr):
                    counts.update(words(target[attr]))
                    break
    return counts


def fidelity(source: Counter, markdown: str, excluded: Counter | None = None) -> float:
    """1.0 when every visible source word is in the output; 1.0 for an empty source."""
    expected = source - (excluded or Counter())
    total = sum(expected.values())
    if total == 0:
        return 1.0
    found = words(markdown)
    kept = sum(min(n, found[w]) for w, n in expected.items())
    return kept / total
