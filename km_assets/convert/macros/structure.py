"""Structure macros: expand, toc, anchor, excerpt, details, status, jira."""

from __future__ import annotations

from typing import Any

from ..registry import parameter, register


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
