"""Macro registry: `ac:name` -> a function that turns the macro element into Markdown.

Each handler gets the converter (for context and bookkeeping), the macro element, the Markdown of its
children (rich-text bodies), and markdownify's parent tags. Unknown macros become a visible
placeholder, counted by the converter, so nothing disappears silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["REGISTRY", "emoticon", "parameter", "placeholder"]

Handler = Callable[[Any, Any, str, set], str]
REGISTRY: dict[str, Handler] = {}

_ALERTS = {"info": "NOTE", "note": "IMPORTANT", "tip": "TIP", "warning": "WARNING"}
_EMOTICONS = {"tick": "✅", "cross": "❌", "warning": "⚠️", "information": "ℹ️", "smile": "🙂",
              "sad": "🙁", "light-on": "💡", "light-off": "💡", "yellow-star": "⭐", "thumbs-up": "👍",
              "thumbs-down": "👎", "question": "❓", "plus": "➕", "minus": "➖"}


def register(*names: str) -> Callable[[Handler], Handler]:
    def wrap(fn: Handler) -> Handler:
        for name in names:
            REGISTRY[name] = fn
        return fn
    return wrap


def parameter(el: Any, name: str, default: str = "") -> str:
    for node in el.find_all("ac:parameter", recursive=False):
        if node.get("ac:name") == name:
            return node.get_text()
    return default


def placeholder(name: str, text: str, parent_tags: set) -> str:
    label = f"[unsupported Confluence macro: {name or 'unnamed'}]"
    if "_inline" in parent_tags:
        return f"`{label}`"
    body = f"{label}\n\n{text.strip()}" if text.strip() else label
    return f"\n\n{_quote_block(body)}\n\n"


def _quote_block(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.strip().splitlines())


@register("code", "noformat")
def code(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    body = el.find("ac:plain-text-body")
    source = body.get_text() if body is not None else ""
    language = parameter(el, "language") if el.get("ac:name") == "code" else ""
    fence = "```"
    while fence in source:
        fence += "`"
    title = parameter(el, "title")
    heading = f"**{title}**\n\n" if title else ""
    return f"\n\n{heading}{fence}{language}\n{source.rstrip(chr(10))}\n{fence}\n\n"


@register("info", "note", "tip", "warning")
def alert(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    kind = _ALERTS[el.get("ac:name").lower()]
    title = parameter(el, "title")
    body = (f"**{title}**\n\n" if title else "") + text.strip()
    return f"\n\n> [!{kind}]\n{_quote_block(body)}\n\n"


@register("panel")
def panel(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    title = parameter(el, "title")
    body = (f"**{title}**\n\n" if title else "") + text.strip()
    return f"\n\n{_quote_block(body)}\n\n"


@register("expand")
def expand(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    title = parameter(el, "title", "Click here to expand...")
    return f"\n\n<details>\n<summary>{title}</summary>\n\n{text.strip()}\n\n</details>\n\n"


@register("toc", "anchor")
def dropped(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    return ""


@register("status")
def status(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    return f"**[{parameter(el, 'title', parameter(el, 'colour'))}]**"


@register("jira")
def jira(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    key = parameter(el, "key")
    return f"`{key}`" if key else "`[jira issues]`"


@register("excerpt", "details")
def transparent(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    return text


def emoticon(el: Any) -> str:
    name = el.get("ac:name", "")
    return el.get("ac:emoji-fallback") or _EMOTICONS.get(name, f":{name}:")
