"""Storage-format XHTML to Markdown, on markdownify.

`ac:*`/`ri:*` elements reach `convert_ac_*` / `convert_ri_*` methods through markdownify's own dispatch
(`ac:structured-macro` -> `convert_ac_structured_macro`). Macros go through the registry and the user's
policy per macro; links, images and tables live in their own mixins. One converter per article: it
collects what it saw (macros, links, attachments, warnings) while converting.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from markdownify import ATX, MarkdownConverter

from . import macros  # noqa: F401 - importing registers every macro family
from .blocks import BlocksMixin
from .context import ConversionContext
from .fidelity import fidelity, visible_words
from .links import LinksMixin
from .macros.panels import adf_panel
from .nodes import child, children
from .parse import parse_storage
from .registry import REGISTRY, placeholder
from .tables import TablesMixin
from .walk import WalkMixin

__all__ = ["ConversionResult", "StorageConverter", "convert_storage"]


@dataclass
class ConversionResult:
    markdown: str
    macros: Counter = field(default_factory=Counter)  # every macro seen, by name
    macro_handling: dict[str, str] = field(default_factory=dict)  # name -> converted|html|placeholder|dropped|unhandled
    unhandled_macros: Counter = field(default_factory=Counter)
    links: list[dict[str, str]] = field(default_factory=list)  # {"target", "kind": internal|external|unresolved|anchor}
    attachments: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fidelity: float = 1.0
    excluded_words: Counter = field(default_factory=Counter)  # visible words a policy chose to drop


class StorageConverter(BlocksMixin, LinksMixin, TablesMixin, WalkMixin, MarkdownConverter):
    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        bullets = "-"
        escape_underscores = False
        escape_asterisks = False
        bs4_options = "html.parser"
        newline_style = "backslash"  # a <br> survives the tidy-up, which trims trailing spaces

    def __init__(self, context: ConversionContext, **options: object) -> None:
        super().__init__(**options)
        self.context = context
        self.result = ConversionResult(markdown="")

    # -- macros -----------------------------------------------------------------------------------
    def convert_ac_structured_macro(self, el: Any, text: str, parent_tags: set) -> str:
        name = (el.get("ac:name") or "").lower()
        self.result.macros[name] += 1
        policy = self.context.policy(name)
        if policy == "drop":
            self.result.excluded_words.update(visible_words(el))
            return self._handled(name, "dropped", "")
        if policy == "html":
            return self._handled(name, "html", f"\n\n{el}\n\n" if "_inline" not in parent_tags else str(el))
        handler = REGISTRY.get(name)
        if policy == "placeholder" or handler is None:
            if handler is None:
                self.result.unhandled_macros[name] += 1
            return self._handled(name, "placeholder" if handler else "unhandled", placeholder(name, text, parent_tags))
        return self._handled(name, "converted", handler(self, el, text, parent_tags))

    convert_ac_macro = convert_ac_structured_macro

    def _handled(self, name: str, how: str, markdown: str) -> str:
        self.result.macro_handling.setdefault(name, how)
        return markdown

    def convert_ac_parameter(self, el: Any, text: str, parent_tags: set) -> str:
        return ""  # read by the macro that owns it

    def convert_ac_rich_text_body(self, el: Any, text: str, parent_tags: set) -> str:
        return text

    def convert_ac_plain_text_body(self, el: Any, text: str, parent_tags: set) -> str:
        return ""  # read raw by the macro that owns it: escaping would corrupt code

    def warn(self, message: str) -> None:
        if message not in self.result.warnings:
            self.result.warnings.append(message)

    # -- the new editor's ADF extensions: their fallback is the storage the old renderer shows ------
    def convert_ac_adf_extension(self, el: Any, text: str, parent_tags: set) -> str:
        if _panel_node(el) is not None:
            return text  # a panel converts from its own content (adf_panel); its fallback is suppressed
        fallback = child(el, "ac:adf-fallback")
        if fallback is not None:
            return self.process_tag(fallback, parent_tags=parent_tags)
        self.warn("an ADF extension without a fallback was dropped")
        return ""

    def convert_ac_adf_fallback(self, el: Any, text: str, parent_tags: set) -> str:
        return "" if _panel_node(el.parent) is not None else text

    def convert_ac_adf_node(self, el: Any, text: str, parent_tags: set) -> str:
        if el.get("type") == "panel":
            return adf_panel(self, el, text, parent_tags)
        return text

    def convert_ac_adf_content(self, el: Any, text: str, parent_tags: set) -> str:
        return text

    def convert_ac_adf_attribute(self, el: Any, text: str, parent_tags: set) -> str:
        return ""

    def convert_ac_adf_mark(self, el: Any, text: str, parent_tags: set) -> str:
        return text


def _panel_node(extension: Any) -> Any:
    if extension is None or extension.name != "ac:adf-extension":
        return None
    return next((node for node in children(extension, "ac:adf-node") if node.get("type") == "panel"), None)


def convert_storage(body: str | bytes, context: ConversionContext | None = None) -> ConversionResult:
    """Markdown and a report for one storage body. Bad markup gives a best-effort article with warnings."""
    context = context or ConversionContext()
    soup, problems = parse_storage(body)
    source = visible_words(soup)
    converter = StorageConverter(context)
    try:
        markdown = converter.convert_soup(soup)
    except RecursionError:
        converter.warn("the page nests too deeply to convert its structure; its text was kept")
        markdown = soup.get_text("\n")
    result = converter.result
    result.markdown = _tidy(markdown)
    result.warnings[:0] = problems
    result.fidelity = fidelity(source, result.markdown, result.excluded_words)
    return result


# What may stand before a fence: quote markers, indentation and (opening only) a list item's marker. Fences
# inside quotes (info, panel) must be seen too, or their code lines would lose trailing spaces.
_BEFORE_OPENING = re.compile(r"(?:[ \t]*>[ ]?|[ \t]*(?:[-+*]|\d{1,9}[.)])[ ]+)*[ \t]*")
_BEFORE_CLOSING = re.compile(r"(?:[ \t]*>[ ]?)*[ \t]*")


def _tidy(markdown: str) -> str:
    """Trim trailing spaces and repeated blank lines, except inside fenced code, which stays byte for byte."""
    out: list[str] = []
    fence = ""
    for line in markdown.strip("\n").split("\n"):
        if fence:
            stripped = line[_BEFORE_CLOSING.match(line).end():]
            out.append(line)
            if stripped.startswith(fence) and not stripped[len(fence):].strip(fence[0]).strip():
                fence = ""
            continue
        stripped = line[_BEFORE_OPENING.match(line).end():]
        if stripped.startswith(("```", "~~~")):
            marker = stripped[0]
            fence = marker * (len(stripped) - len(stripped.lstrip(marker)))
            out.append(line.rstrip())
            continue
        line = line.rstrip()
        if not line and out and not out[-1]:
            continue  # at most one blank line in a row
        out.append(line)
    return "\n".join(out).strip() + "\n"
