"""code and noformat: fenced blocks whose body is byte-for-byte the macro's plain-text body."""

from __future__ import annotations

from typing import Any

from ..registry import parameter, register


def fence_for(source: str) -> str:
    fence = "```"
    while fence in source:
        fence += "`"
    return fence


@register("code", "noformat")
def code(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    body = el.find("ac:plain-text-body")
    source = body.get_text() if body is not None else ""
    language = parameter(el, "language") if el.get("ac:name") == "code" else ""
    fence = fence_for(source)
    title = parameter(el, "title")
    heading = f"**{title}**\n\n" if title else ""
    return f"\n\n{heading}{fence}{language}\n{source.rstrip(chr(10))}\n{fence}\n\n"
