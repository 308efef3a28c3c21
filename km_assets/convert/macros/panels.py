"""info, note, tip, warning as GFM alerts; panel as a titled quote."""

from __future__ import annotations

from typing import Any

from ..registry import parameter, quote_block, register

_ALERTS = {"info": "NOTE", "note": "IMPORTANT", "tip": "TIP", "warning": "WARNING"}


@register("info", "note", "tip", "warning")
def alert(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    kind = _ALERTS[el.get("ac:name").lower()]
    title = parameter(el, "title")
    body = (f"**{title}**\n\n" if title else "") + text.strip()
    return f"\n\n> [!{kind}]\n{quote_block(body)}\n\n"


@register("panel")
def panel(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    title = parameter(el, "title")
    body = (f"**{title}**\n\n" if title else "") + text.strip()
    return f"\n\n{quote_block(body)}\n\n"
