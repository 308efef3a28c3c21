"""One cell's content in the forms a table can hold: a GFM line, or HTML, or Markdown between blank lines.

A GFM cell is one line: hard breaks become `<br>`, pipes are escaped. An HTML table cell is, when its
source is plain HTML (text, emphasis, code, links, paragraphs, lists), that HTML re-serialised without
attributes on one line; otherwise its Markdown between blank lines, which CommonMark and GitHub render
inside HTML blocks (the HTML block ends at the blank line, the Markdown is parsed, `</td>` resumes HTML).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bs4.element import Comment, NavigableString, Tag

__all__ = ["flatten", "has_block_content", "html_text", "inline_html", "is_plain", "pipe_escape"]

# Source elements that make a cell a block: GFM cells hold one line of inline content only.
_BLOCK = frozenset({"ul", "ol", "table", "pre", "blockquote", "hr", "dl", "h1", "h2", "h3", "h4", "h5",
                    "h6", "ac:task-list", "ac:layout"})
_LIST_ITEM = re.compile(r"^( *)(?:[-*+]|\d{1,9}[.)])(?: |$)")
_HEADING = re.compile(r"^#{1,6} +(.*?)(?: +#+)?$")
_PARAGRAPH = frozenset({"p", "div"})
_HARD_BREAK = ("  ", "\\")
# Lines that have no one-line form in a GFM cell: fenced code, quotes and alerts, tables, HTML blocks.
_UNFLATTENABLE = ("```", "~~~", ">", "|", "<table", "<details", "<div")


def _tags(node: Tag, names: set[str] | frozenset[str], *, recursive: bool = True) -> list[Tag]:
    # A plain walk: bs4's find/find_all build a matcher per call, which dominates on tables of
    # thousands of cells.
    nodes = node.descendants if recursive else node.children
    return [n for n in nodes if isinstance(n, Tag) and n.name in names]


def _paragraphs(node: Tag, *, recursive: bool = True) -> list[Tag]:
    """The non-empty paragraphs, innermost only: `<div><p>x</p></div>` is one paragraph, not two."""
    found = [p for p in _tags(node, _PARAGRAPH, recursive=recursive) if p.get_text(strip=True)]
    outer = {id(parent) for p in found for parent in p.parents}
    return [p for p in found if id(p) not in outer]


def has_block_content(cell: Tag) -> bool:
    return bool(_tags(cell, _BLOCK)) or len(_paragraphs(cell)) > 1


def flatten(markdown: str, *, lists: bool) -> str | None:
    """The cell's Markdown as one GFM line, or None when it cannot be one.

    Soft breaks become spaces, hard breaks `<br>`. With `lists`, paragraphs, list items and headings
    each start a visual line (joined by `<br>`, list markers kept as text, nesting as no-break spaces);
    without, anything but a single paragraph gives None.
    """
    lines: list[str] = []
    blocks = 0
    after = "blank"  # what ended the previous line: a blank line, a soft break or a hard break
    for raw in markdown.strip("\n").split("\n"):
        text = raw.strip()
        if text.startswith(_UNFLATTENABLE):
            return None
        if not text:
            after = "blank"
            continue
        hard = raw.endswith(_HARD_BREAK)
        if hard:
            text = text.rstrip("\\").rstrip()
        item, heading = _LIST_ITEM.match(raw), _HEADING.match(text)
        if item or heading or after == "blank":
            blocks += 1
            if item:
                text = "\u00a0" * len(item.group(1)) + text
            elif heading:
                text = f"**{heading.group(1)}**" if heading.group(1) else ""
            lines.append(text)
        elif after == "hard":
            lines.append(text)
        else:
            lines[-1] += " " + text
        after = "hard" if hard else ("blank" if heading else "soft")
    if blocks > 1 and not lists:
        return None
    return "<br>".join(lines)


def pipe_escape(text: str) -> str:
    # GFM splits cells on every unescaped pipe, even inside code spans; `\|` is a pipe there too.
    return text.replace("|", "\\|")


def html_text(text: str) -> str:
    """Text for raw HTML: `<` always, `&` only where it would start a character reference."""
    return re.sub(r"&(?=#?\w+;)", "&amp;", text).replace("<", "&lt;")


def is_plain(markdown: str) -> bool:
    """One line with no Markdown markup: it reads the same as HTML text."""
    return "\n" not in markdown and not re.search(r"[*`\[\]~\\<]", markdown)


# -- plain HTML re-serialised -----------------------------------------------------------------------
_INLINE = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "code": "code", "del": "del",
           "s": "del", "strike": "del", "sub": "sub", "sup": "sup"}
# Styling only (GitHub drops these too) and inline-comment anchors (the comment lives elsewhere).
_UNWRAP = {"span", "u", "font", "ac:inline-comment-marker"}
_LISTS = frozenset({"ul", "ol"})
_SPACE = " \t\r\n"  # collapsible whitespace; a no-break space is content
_BLOCK_HTML = re.compile(r"[ \t\r\n]*(</?(?:p|ul|ol|li)\b[^>]*>|<br>)[ \t\r\n]*")


Href = Callable[[str], str]


def inline_html(cell: Tag, href: Href = str) -> str | None:
    """The cell's content as one line of attribute-free HTML, or None if it holds anything else.

    `href` maps a link's URL to its target, as the Markdown links get it (Confluence URLs of pages in
    the sync point at their articles).
    """
    unwrap = len(_paragraphs(cell)) <= 1 and not _tags(cell, _LISTS)
    parts = _serialise(cell, unwrap_p=unwrap, href=href)
    if parts is None:
        return None
    # Whitespace collapses as markdownify collapses it; no-break spaces are content and stay.
    return _BLOCK_HTML.sub(r"\1", re.sub(r"[ \t\r\n]+", " ", parts)).strip()


def _serialise(node: Tag, *, unwrap_p: bool, href: Href) -> str | None:
    out: list[str] = []
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            out.append(html_text(str(child)))
            continue
        inner = _element(child, unwrap_p=unwrap_p, href=href)
        if inner is None:
            return None
        out.append(inner)
    return "".join(out)


def _element(el: Any, *, unwrap_p: bool, href: Href) -> str | None:
    name = el.name
    if name == "br":
        return "<br>"
    if name == "p":
        inner = _serialise(el, unwrap_p=unwrap_p, href=href)
        if inner is None:
            return None
        return f" {inner} " if unwrap_p or not inner.strip() else f"<p>{inner}</p>"
    if name == "li":
        # Confluence wraps every list item's text in a <p>: one paragraph reads as the item itself.
        single = len(_paragraphs(el, recursive=False)) <= 1
        inner = _serialise(el, unwrap_p=single, href=href)
        return None if inner is None else f"<li>{inner}</li>"
    if name in ("ul", "ol"):
        items = [c for c in el.children if isinstance(c, Tag)]
        if any(c.name != "li" for c in items):
            return None
        start = str(el.get("start") or "1").strip()
        attrs = f' start="{start}"' if name == "ol" and start.isdigit() and start != "1" else ""
        inner = _serialise(el, unwrap_p=unwrap_p, href=href)
        return None if inner is None else f"<{name}{attrs}>{inner}</{name}>"
    inner = _serialise(el, unwrap_p=unwrap_p, href=href)
    if inner is None:
        return None
    if name in _INLINE:
        if not inner.strip():
            return inner
        # Spaces just inside the tags move outside, as markdownify does: `<b>x </b>y` reads "x y".
        lead = " " if inner[0] in _SPACE else ""
        trail = " " if inner[-1] in _SPACE else ""
        tag = _INLINE[name]
        return f"{lead}<{tag}>{inner.strip(_SPACE)}</{tag}>{trail}"
    if name in _UNWRAP:
        return inner
    if name == "a":
        url = str(el.get("href") or "").strip()
        if not url or not inner.strip():
            return inner
        return f'<a href="{html_text(href(url)).replace(chr(34), "&quot;")}">{inner}</a>'
    return None
