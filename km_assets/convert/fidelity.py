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

__all__ = ["fidelity", "visible_words", "words"]

_WORD = re.compile(r"[^\W_]+")
# Elements whose text Confluence does not show as such.
_HIDDEN = {"ac:parameter", "ac:task-id", "ac:task-status", "ac:task-uuid", "ac:adf-attribute",
           "ac:placeholder", "style", "script"}
_VISIBLE_PARAMETERS = {"title"}


def words(text: str) -> Counter:
    return Counter(w.lower() for w in _WORD.findall(text))


def visible_words(soup: BeautifulSoup | Tag) -> Counter:
    # Collect the hidden strings once (one pass per hidden element) rather than walking every string's
    # parents: on a 10 MB page that is the difference between seconds and a fraction of one.
    hidden: set[int] = set()
    for element in soup.find_all(list(_HIDDEN)):
        if element.name == "ac:parameter" and element.get("ac:name") in _VISIBLE_PARAMETERS:
            continue
        hidden.update(id(text) for text in element.find_all(string=True))
    for extension in soup.find_all("ac:adf-extension"):
        # The new editor stores content twice: as ADF nodes and as the fallback the converter renders.
        if extension.find("ac:adf-fallback", recursive=False) is not None:
            for node in extension.find_all("ac:adf-node", recursive=False):
                hidden.update(id(text) for text in node.find_all(string=True))
    counts: Counter = Counter()
    for node in soup.find_all(string=True):
        if id(node) in hidden or type(node).__name__ in ("Comment", "Doctype", "Declaration"):
            continue
        counts.update(words(str(node)))
    for link in soup.find_all("ac:link"):
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
