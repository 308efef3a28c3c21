"""Diagrams and math: sources that a Markdown renderer can draw again, and pictures it cannot.

- plantuml, mermaid: fenced ```plantuml / ```mermaid blocks, the source byte-identical (code.py's rule);
  GitHub draws mermaid, and both stay diffable text.
- drawio, gliffy: the diagram lives in an attachment only the app can render, so a visible placeholder
  names it (`[diagram: name]`). The handler exists, so the converter counts them as handled.
- math: `$$...$$` blocks and `$...$` inline, as GitHub and most Markdown math extensions read them.
"""

from __future__ import annotations

from typing import Any

from ..registry import is_inline, parameter, register
from .code import fenced, plain_body

__all__: list[str] = []


@register("plantuml", "mermaid", "mermaid-macro")
def diagram_source(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    name = (el.get("ac:name") or "").lower()
    info = "plantuml" if name == "plantuml" else "mermaid"
    source = plain_body(el)
    if not source.strip():
        return _placeholder(parameter(el, "title") or name, el, parent_tags)  # source kept elsewhere
    return f"\n\n{fenced(source, info)}\n\n"


@register("drawio", "inc-drawio", "drawio-sketch", "gliffy")
def diagram_picture(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    name = (parameter(el, "diagramDisplayName") or parameter(el, "diagramName")
            or parameter(el, "displayName") or parameter(el, "name") or el.get("ac:name") or "")
    return _placeholder(name, el, parent_tags)


def _in_text(el: Any, parent_tags: set) -> bool:
    """Inside a heading, a pipe-table cell or a paragraph with other text: no block may start there."""
    if is_inline(parent_tags):
        return True
    parent = el.parent
    if parent is None or parent.name != "p":
        return False
    return any(sibling is not el and (getattr(sibling, "name", None) or str(sibling).strip())
               for sibling in parent.children)


def _placeholder(name: str, el: Any, parent_tags: set) -> str:
    label = f"[diagram: {' '.join(name.split())}]"
    return label if _in_text(el, parent_tags) else f"\n\n{label}\n\n"


# -- math -------------------------------------------------------------------------------------------------
def _math_source(el: Any) -> str:
    # mathinline keeps its LaTeX in a `body` parameter; the block macros in a plain-text body.
    return parameter(el, "body") or plain_body(el) or parameter(el, "")


@register("mathinline")
def math_inline(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    source = " ".join(_math_source(el).split())  # `$` must hug the formula, on one line
    return f"${source}$" if source else ""


@register("mathblock", "latex", "eq")
def math_block(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    source = _math_source(el).strip()
    if not source:
        return ""
    if _in_text(el, parent_tags):
        return f"${' '.join(source.split())}$"
    # A blank line would end the paragraph the $$ block lives in; in TeX math it is an error anyway.
    lines = "\n".join(line for line in source.split("\n") if line.strip())
    return f"\n\n$$\n{lines}\n$$\n\n"
