"""info, note, tip, warning and the new editor's panels as GFM alerts; a plain panel as a titled quote.

The mapping follows what readers see, not the macro's name. Confluence Cloud shows the `note` macro as its
yellow "warning" panel and the `warning` macro as its red "error" panel, so:

    info -> [!NOTE] (blue)   tip -> [!TIP] (green)   note -> [!WARNING] (yellow)   warning -> [!CAUTION] (red)

The new editor's own panel types map the same way, and its purple "note" panel (stored as an ADF extension,
there is no macro for it) becomes [!IMPORTANT], GitHub's purple alert. A `panel` macro is a colour the author
picked, not a meaning, so it stays a plain quote: its title bold on the first line, its emoji icon (new
editor) in front. Colours, borders and icons of alerts are dropped.

Quoting prefixes each line with `> ` and splits on "\\n" only: code bodies inside stay byte-identical once
the prefix is removed (see macros/code.py), which `str.splitlines` would break on form feeds or U+2028.
"""

from __future__ import annotations

import re
from typing import Any

from ..nodes import children
from ..registry import is_inline, parameter, register
from .code import inline_text

__all__ = ["adf_panel", "quote"]

_ALERTS = {"info": "NOTE", "tip": "TIP", "note": "WARNING", "warning": "CAUTION"}
# The new editor's panel-type attribute (ac:adf-extension / ac:adf-node type="panel").
_ADF_ALERTS = {"info": "NOTE", "note": "IMPORTANT", "success": "TIP", "warning": "WARNING", "error": "CAUTION"}
# A first body line starting like this is a block of its own: an icon cannot be put in front of it.
_BLOCK_START = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:\s|$)|#{1,6}(?:\s|$)|[>|<\s]|```|~~~")


def quote(text: str) -> str:
    """`text` as a blockquote: `> ` before every line, a bare `>` on blank lines (no trailing spaces)."""
    return "\n".join(f"> {line}" if line else ">" for line in text.strip().split("\n"))


def _body(title: str, text: str, icon: str = "") -> str:
    """The quoted content: optional icon and bold title first, then the converted body."""
    body = text.strip()
    head = f"**{inline_text(title)}**" if title.strip() else ""
    if icon and not head and body and not _BLOCK_START.match(body):
        return f"{icon} {body}"  # a leading paragraph takes the icon, as the panel shows it
    head = " ".join(part for part in (icon, head) if part)
    return "\n\n".join(part for part in (head, body) if part)


def _block(kind: str, title: str, text: str, parent_tags: set, icon: str = "") -> str:
    content = _body(title, text, icon)
    if not content:
        return ""  # an empty panel shows nothing worth keeping
    if is_inline(parent_tags):
        # Headings and pipe-table cells hold one line: keep the words, as markdownify does for quotes.
        return " " + " ".join(content.split()) + " "
    marker = f"> [!{kind}]\n" if kind else ""
    return f"\n\n{marker}{quote(content)}\n\n"


@register("info", "note", "tip", "warning")
def alert(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    kind = _ALERTS[(el.get("ac:name") or "").lower()]
    return _block(kind, parameter(el, "title"), text, parent_tags)


@register("panel")
def panel(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    icon = parameter(el, "panelIconText") or parameter(el, "panelIcon")  # emoji, else its :shortcode:
    return _block("", parameter(el, "title"), text, parent_tags, icon.strip())


def adf_panel(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    """An `ac:adf-node type="panel"` (its body already converted from `ac:adf-content`)."""
    attrs = {a.get("key", ""): a.get_text().strip() for a in children(el, "ac:adf-attribute")}
    kind = _ADF_ALERTS.get(attrs.get("panel-type", "").lower(), "")
    icon = "" if kind else attrs.get("panel-icon-text") or attrs.get("panel-icon", "")
    return _block(kind, "", text, parent_tags, icon)
