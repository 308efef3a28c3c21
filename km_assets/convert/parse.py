"""Parsing storage bodies safely.

Storage format has no root element, undeclared `ac:`/`ri:`/`at:` prefixes, HTML named entities, CDATA
and sometimes an XML declaration. Python's HTML parser (through BeautifulSoup) takes all of it, and it
never reads a DTD, so entity declarations are inert (no XXE, no billion laughs) and nothing is fetched.
What it cannot make sense of degrades to text, with a warning.
"""

from __future__ import annotations

import html
import re
import warnings
from typing import Any

from bs4 import BeautifulSoup, Doctype, ParserRejectedMarkup, XMLParsedAsHTMLWarning
from bs4.element import Tag

from .wellformed import StorageTreeBuilder

__all__ = ["MAX_DEPTH", "StorageTag", "parse_storage"]

# Deeper markup is flattened: no real page nests this far, and markdownify recurses per level.
MAX_DEPTH = 120
# Whitespace-only text in code bodies (an empty line, a lone CDATA of spaces) is content.
_PRESERVE = frozenset({"pre", "textarea", "ac:plain-text-body"})
_TAG = re.compile(r"<[^<>]*>")
_ANGLES = re.compile(r"[<>]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


class StorageTag(Tag):
    """A Tag whose `find_parent` by tag name walks up the parents directly.

    markdownify asks every element it converts for `find_parent("pre")`; through bs4's generic
    matcher (a filter built per call) that was a sixth of the conversion time. A name, or a list of
    names, compares exactly as bs4 does for parsed storage (the HTML parser gives no namespace
    prefixes); anything else (attributes, functions, patterns) goes to bs4.
    """

    def find_parent(self, name: Any = None, attrs: Any = None, **kwargs: Any) -> Any:
        if attrs or kwargs or not isinstance(name, str | list | tuple):
            return super().find_parent(name, attrs, **kwargs)
        names = (name,) if isinstance(name, str) else name
        parent = self.parent
        while parent is not None:
            if parent.name in names:
                return parent
            parent = parent.parent
        return None


def _decode(body: str | bytes, problems: list[str]) -> str:
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        problems.append(f"invalid UTF-8 at byte {err.start}: undecodable bytes were replaced")
        return body.decode("utf-8", errors="replace")


def _flatten_deep(soup: BeautifulSoup, problems: list[str]) -> None:
    """Unwrap elements nested deeper than MAX_DEPTH, keeping their text in reading order."""
    flattened = 0
    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        for child in list(node.children):
            if not isinstance(child, Tag):
                continue
            if depth + 1 > MAX_DEPTH:
                # Replace the whole subtree by its text: markup this deep is not a document's structure.
                child.replace_with(child.get_text(" "))
                flattened += 1
            else:
                stack.append((child, depth + 1))
    if flattened:
        problems.append(f"markup nested deeper than {MAX_DEPTH} levels was flattened to text")


def parse_storage(body: str | bytes) -> tuple[BeautifulSoup, list[str]]:
    """(soup, warnings). Never raises for bad markup; an empty body gives an empty soup."""
    problems: list[str] = []
    text = _decode(body or "", problems)
    text = _XML_DECLARATION.sub("", text, count=1)
    if "\x00" in text:
        problems.append("NUL characters were removed")
        text = text.replace("\x00", "")
    with warnings.catch_warnings():
        # Storage format is XHTML with undeclared prefixes; the HTML parser is the safe choice here.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        # Well-formed bodies are read by lxml, the rest by html.parser; the tree is the same (wellformed.py).
        builder = StorageTreeBuilder(preserve_whitespace_tags=_PRESERVE)
        try:
            soup = BeautifulSoup(text, builder=builder, element_classes={Tag: StorageTag})
        except ParserRejectedMarkup as err:
            # html.parser gives up on some broken declarations ("<![ z]>"): keep the words and drop the
            # markup, angle brackets included, so no tag survives into the Markdown as raw HTML.
            cause = str(err).rsplit(":", 1)[-1].strip() or type(err).__name__
            problems.append(f"the markup could not be parsed ({cause}); only the body's text is kept")
            words = _ANGLES.sub(" ", _TAG.sub(" ", text))
            builder = StorageTreeBuilder(preserve_whitespace_tags=_PRESERVE)
            soup = BeautifulSoup(html.escape(words, quote=False), builder=builder, element_classes={Tag: StorageTag})
    # The HTML parser makes a Doctype only from "<!doctype" (lxml never: it is given no "<!DOCTYPE"), so
    # most bodies skip the walk.
    maybe_doctype = "<!" in text and builder.depth is None
    doctypes = [node for node in soup.descendants if isinstance(node, Doctype)] if maybe_doctype else []
    for doctype in doctypes:
        problems.append("a DOCTYPE (and any entity declarations in it) was ignored")
        doctype.extract()
    if builder.depth is None or builder.depth > MAX_DEPTH:
        _flatten_deep(soup, problems)
    return soup, problems
