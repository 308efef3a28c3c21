"""Storage-format XHTML to Markdown, on markdownify.

Storage bodies have no root element and use undeclared `ac:`/`ri:` prefixes and HTML entities, so they
are parsed with Python's HTML parser (no DTDs, no entity expansion from the document, no network), and
`ac:*`/`ri:*` elements reach `convert_ac_*` methods by markdownify's own dispatch.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
from markdownify import ATX, MarkdownConverter

from . import macros

__all__ = ["ConversionContext", "ConversionResult", "StorageConverter", "convert_storage"]


@dataclass
class ConversionContext:
    """What the converter may know about the site: where links to pages and attachments point."""

    site_url: str = ""
    space_key: str = ""
    page_id: str = ""

    def page_url(self, title: str, space_key: str | None = None) -> str:
        space = space_key or self.space_key
        return f"{self.site_url}/display/{quote(space)}/{quote(title.replace(' ', '+'), safe='+')}"

    def attachment_url(self, filename: str, page_id: str | None = None) -> str:
        return f"{self.site_url}/download/attachments/{page_id or self.page_id}/{quote(filename)}"


@dataclass
class ConversionResult:
    markdown: str
    macros: Counter = field(default_factory=Counter)
    unhandled_macros: Counter = field(default_factory=Counter)
    links: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class StorageConverter(MarkdownConverter):
    """One converter per article: it collects what it saw (macros, links) while converting."""

    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        bullets = "-"
        escape_underscores = False
        escape_asterisks = False
        bs4_options = "html.parser"

    def __init__(self, context: ConversionContext, **options: object) -> None:
        super().__init__(**options)
        self.context = context
        self.result = ConversionResult(markdown="")

    # -- macros -----------------------------------------------------------------------------------
    def convert_ac_structured_macro(self, el, text, parent_tags):
        name = (el.get("ac:name") or "").lower()
        self.result.macros[name] += 1
        handler = macros.REGISTRY.get(name)
        if handler is None:
            self.result.unhandled_macros[name] += 1
            return macros.placeholder(name, text, parent_tags)
        return handler(self, el, text, parent_tags)

    convert_ac_macro = convert_ac_structured_macro

    def convert_ac_parameter(self, el, text, parent_tags):
        return ""  # read by the macro that owns it

    def convert_ac_rich_text_body(self, el, text, parent_tags):
        return text

    def convert_ac_plain_text_body(self, el, text, parent_tags):
        return ""  # read raw by the macro that owns it: escaping would corrupt code

    # -- links and images -------------------------------------------------------------------------
    def convert_ac_link(self, el, text, parent_tags):
        target = self.link_target(el)
        body = el.find("ac:plain-text-link-body")
        label = body.get_text() if body is not None else text.strip()
        if not label:
            label = self.link_default_label(el)
        if target is None:
            return label
        self.result.links.append(target)
        return f"[{label}]({target})"

    def link_target(self, el) -> str | None:
        page = el.find("ri:page")
        if page is not None:
            return self.context.page_url(page.get("ri:content-title", ""), page.get("ri:space-key"))
        attachment = el.find("ri:attachment")
        if attachment is not None:
            filename = attachment.get("ri:filename", "")
            self.result.attachments.append(filename)
            return self.context.attachment_url(filename)
        url = el.find("ri:url")
        if url is not None:
            return url.get("ri:value")
        anchor = el.get("ac:anchor")
        if anchor:
            return f"#{anchor}"
        return None

    def link_default_label(self, el) -> str:
        for tag, attr in (("ri:page", "ri:content-title"), ("ri:attachment", "ri:filename"),
                          ("ri:blog-post", "ri:content-title"), ("ri:user", "ri:account-id")):
            node = el.find(tag)
            if node is not None and node.get(attr):
                return node.get(attr)
        return el.get("ac:anchor", "")

    def convert_ac_link_body(self, el, text, parent_tags):
        return text

    def convert_ac_plain_text_link_body(self, el, text, parent_tags):
        return ""  # read raw by convert_ac_link

    def convert_ac_image(self, el, text, parent_tags):
        alt = el.get("ac:alt") or el.get("ac:title") or ""
        attachment = el.find("ri:attachment")
        if attachment is not None:
            filename = attachment.get("ri:filename", "")
            self.result.attachments.append(filename)
            return f"![{alt or filename}]({self.context.attachment_url(filename)})"
        url = el.find("ri:url")
        if url is not None:
            return f"![{alt}]({url.get('ri:value', '')})"
        return alt

    # -- tasks and small inline things ------------------------------------------------------------
    def convert_ac_task_list(self, el, text, parent_tags):
        return "\n\n" + text.strip("\n") + "\n\n"

    def convert_ac_task(self, el, text, parent_tags):
        status = el.find("ac:task-status")
        done = status is not None and status.get_text().strip() == "complete"
        return f"- [{'x' if done else ' '}] {text.strip()}\n"

    def convert_ac_task_id(self, el, text, parent_tags):
        return ""

    convert_ac_task_status = convert_ac_task_id
    convert_ac_task_uuid = convert_ac_task_id

    def convert_ac_task_body(self, el, text, parent_tags):
        return " ".join(text.split())

    def convert_ac_emoticon(self, el, text, parent_tags):
        return macros.emoticon(el)

    def convert_time(self, el, text, parent_tags):
        return el.get("datetime", text)


def convert_storage(body: str, context: ConversionContext | None = None) -> ConversionResult:
    converter = StorageConverter(context or ConversionContext())
    with warnings.catch_warnings():
        # Storage format is XHTML with undeclared prefixes; the HTML parser is the safe choice here.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(body or "", "html.parser")
    markdown = converter.convert_soup(soup).strip() + "\n"
    converter.result.markdown = markdown
    return converter.result
