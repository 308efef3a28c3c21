"""The macro registry: `ac:name` -> a handler that turns the macro element into Markdown.

A handler gets the converter (for its context and bookkeeping), the macro element, the Markdown of its
children (rich-text bodies, already converted) and markdownify's parent tags. Families register in their
own modules under `macros/`; unknown macros become a visible placeholder that the converter counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .nodes import children

__all__ = ["REGISTRY", "Handler", "is_inline", "parameter", "parameters", "placeholder", "quote_block", "register"]

Handler = Callable[[Any, Any, str, set], str]
REGISTRY: dict[str, Handler] = {}


def register(*names: str) -> Callable[[Handler], Handler]:
    def wrap(fn: Handler) -> Handler:
        for name in names:
            if name in REGISTRY:
                raise ValueError(f"macro {name!r} registered twice")
            REGISTRY[name] = fn
        return fn
    return wrap


def parameters(el: Any) -> dict[str, str]:
    """The macro's own parameters (not those of macros nested in its body). The default one has name ''."""
    out: dict[str, str] = {}
    for node in children(el, "ac:parameter"):
        out[node.get("ac:name", "")] = node.get_text()
    return out


def parameter(el: Any, name: str, default: str = "") -> str:
    return parameters(el).get(name, default)


def is_inline(parent_tags: set) -> bool:
    return "_inline" in parent_tags


def quote_block(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.strip().splitlines())


def placeholder(name: str, text: str, parent_tags: set) -> str:
    label = f"[unsupported Confluence macro: {name or 'unnamed'}]"
    if is_inline(parent_tags):
        return f"`{label}`"
    body = f"{label}\n\n{text.strip()}" if text.strip() else label
    return f"\n\n{quote_block(body)}\n\n"
