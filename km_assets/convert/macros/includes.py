"""Content from other pages: include, excerpt-include, children, pagetree.

A page in the sync is converted inline (with its own context: its attachments, its space), so the
article reads as the Confluence page does. A page outside the sync becomes a visible note linking to it.
Include cycles (A includes B includes A) and deep chains stop with a warning and a link: the context
carries the chain of including pages and the depth. Tree macros list the sync's page tree; when the
sync does not know the root page, a note "Child pages of X" stands in for the list.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup

from ..context import PageRef
from ..mdsyntax import escape_text, link, one_line
from ..nodes import children as child_elements
from ..parse import parse_storage
from ..registry import is_inline, parameter, parameters, quote_block, register

__all__ = ["MAX_INCLUDE_DEPTH", "macro_page", "note"]

MAX_INCLUDE_DEPTH = 3  # Confluence itself stops nesting includes after a few levels
MAX_TREE_DEPTH = 20  # a guard against malformed trees; no real space nests this deep


# -- shared with files.py -------------------------------------------------------------------------
def macro_page(converter: Any, el: Any, name: str) -> tuple[PageRef | None, Any | None]:
    """The page a macro parameter names, as (PageRef the sync has, ri element); (None, None) if unset.

    The parameter holds an ac:link to a ri:page / ri:blog-post (newer storage), or text: "Title" or
    "SPACE:Title" (older storage).
    """
    nodes = child_elements(el, "ac:parameter")
    node = next((p for p in nodes if p.get("ac:name", "") == name), None)
    if node is None:
        return None, None
    ref = node.find(["ri:page", "ri:blog-post", "ri:content-entity"])
    if ref is None:
        value = node.get_text().strip()
        if not value:
            return None, None
        space, _, title = value.rpartition(":")
        attrs = {"ri:content-title": title, **({"ri:space-key": space} if space else {})}
        ref = BeautifulSoup("", "html.parser").new_tag("ri:page", attrs=attrs)
    return converter.find_content(ref)[0], ref


def note(converter: Any, words: str, ref: Any | None, parent_tags: set, unnamed: str | None = None) -> str:
    """A visible stand-in, e.g. '> Child pages of [Ops](url)', the page recorded as a link.

    `ref` None means this page: it links to its Confluence page, where the reader finds what the macro
    shows (a link to this very article would lead nowhere). `unnamed` replaces the page altogether.
    """
    ctx = converter.context
    if ref is not None:
        target, kind = converter.content_target(ref)
        title = ref.get("ri:content-title") or target
    elif unnamed is None and ctx.page_title:
        page = ctx.pages.get(ctx.page_id)
        target = page.url if page is not None and page.url else ctx.page_url(ctx.page_title)
        kind, title = "external", ctx.page_title
    else:
        target, kind, title = "", "", ""
    if target:
        converter.record_link(target, kind)
        words = f"{words} {link(escape_text(title), target)}"
    else:
        words = f"{words} {unnamed or 'this page'}"
    return words if is_inline(parent_tags) else f"\n\n{quote_block(words)}\n\n"


# -- include, excerpt-include ---------------------------------------------------------------------
def _blocked(converter: Any, page: PageRef) -> bool:
    """True (with a warning) when including `page` here would loop or nest too deep."""
    ctx = converter.context
    if page.id == ctx.page_id or page.id in ctx.include_chain:
        titles = [ctx.pages[i].title if i in ctx.pages else i for i in (*ctx.include_chain, ctx.page_id)]
        converter.warn(f"include cycle {' -> '.join([*titles, page.title])}: "
                       f"{page.title!r} is linked there, not included again")
        return True
    if ctx.include_depth >= MAX_INCLUDE_DEPTH:
        converter.warn(f"includes nest deeper than {MAX_INCLUDE_DEPTH} levels: "
                       f"{page.title!r} is linked, not included")
        return True
    return False


def _convert_other(converter: Any, page: PageRef, storage: str, parent_tags: set) -> str:
    """Another page's storage as Markdown in this article; what its conversion saw counts here too."""
    sub = type(converter)(converter.context.nested(page))
    soup, problems = parse_storage(storage)
    markdown = sub.convert_soup(soup).strip()
    seen = sub.result
    converter.result.links.extend(seen.links)
    converter.result.macros.update(seen.macros)
    converter.result.unhandled_macros.update(seen.unhandled_macros)
    converter.result.excluded_words.update(seen.excluded_words)
    for name, how in seen.macro_handling.items():
        converter.result.macro_handling.setdefault(name, how)
    for warning in (*problems, *seen.warnings):
        converter.warn(f"in included page {page.title!r}: {warning}")
    # Its attachments stay out of result.attachments: that list is this page's own files.
    return one_line(markdown) if is_inline(parent_tags) else markdown


@register("include")
def include(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    page, ref = macro_page(converter, el, "")
    if ref is None:
        converter.warn("an include macro names no page")
        return ""
    if page is None or page.body is None or _blocked(converter, page):
        return note(converter, "Included from", ref, parent_tags)
    markdown = _convert_other(converter, page, page.body, parent_tags)
    return markdown if is_inline(parent_tags) else f"\n\n{markdown}\n\n"


def excerpt_of(page: PageRef, name: str = "") -> str | None:
    """The storage of the page's excerpt (the named one if `name`), from PageRef.excerpt or its body."""
    source = page.excerpt if page.excerpt is not None else page.body
    if not source:
        return None
    soup = BeautifulSoup(source, "html.parser")
    macros = soup.find_all("ac:structured-macro", attrs={"ac:name": "excerpt"})
    if not macros:  # PageRef.excerpt may hold the excerpt's body alone
        return page.excerpt or None
    if name:  # a named excerpt that is not there is missing, not the default one
        macro = next((m for m in macros if parameter(m, "name") == name), None)
    else:
        macro = next((m for m in macros if not parameter(m, "name")), macros[0])
    if macro is None:
        return None
    body = macro.find("ac:rich-text-body") or macro.find("ac:plain-text-body")
    return "".join(str(c) for c in body.contents) if body is not None else None


@register("excerpt-include")
def excerpt_include(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    page, ref = macro_page(converter, el, "")
    if ref is None:
        converter.warn("an excerpt-include macro names no page")
        return ""
    excerpt = excerpt_of(page, parameter(el, "name")) if page is not None else None
    if page is not None and excerpt is None:
        converter.warn(f"page {page.title!r} has no excerpt to include: linked instead")
    if page is None or excerpt is None or _blocked(converter, page):
        return note(converter, "Excerpt included from", ref, parent_tags)
    markdown = _convert_other(converter, page, excerpt, parent_tags)
    if parameter(el, "nopanel").lower() == "true" or is_inline(parent_tags):
        return markdown if is_inline(parent_tags) else f"\n\n{markdown}\n\n"
    # Confluence frames the excerpt in a panel titled with (a link to) its page.
    target, kind = converter.page_target(page)
    converter.record_link(target, kind)
    title = f"**{link(escape_text(page.title), target)}**"
    return f"\n\n{quote_block(title + chr(10) * 2 + markdown)}\n\n"


# -- children, pagetree ---------------------------------------------------------------------------
def _tree(converter: Any, ids: tuple[str, ...] | list[str], depth: int, level: int = 0,
          seen: set[str] | None = None, sort: str = "", reverse: bool = False, first: int = 0) -> list[str]:
    """Nested list lines: each page a link, its children indented under it, down to `depth` levels."""
    pages_by_id = converter.context.pages
    seen = set() if seen is None else seen
    pages = [pages_by_id[i] for i in ids if i in pages_by_id and i not in seen]
    if sort == "title":
        pages.sort(key=lambda p: p.title.casefold())
    if reverse:
        pages.reverse()
    if first and level == 0:
        pages = pages[:first]
    lines: list[str] = []
    for page in pages:
        seen.add(page.id)
        target, kind = converter.page_target(page)
        converter.record_link(target, kind)
        lines.append(f"{'  ' * level}- {link(escape_text(page.title), target)}")
        if depth > 1:
            lines += _tree(converter, page.children, depth - 1, level + 1, seen, sort, reverse)
    return lines


def _number(value: str, default: int) -> int:
    return int(value) if value.strip().isdigit() else default


def _as_list(lines: list[str], parent_tags: set) -> str:
    if not lines:
        return ""  # a page without children shows nothing in Confluence either
    if is_inline(parent_tags):  # a table cell cannot hold a list
        return ", ".join(line.strip().removeprefix("- ") for line in lines)
    return "\n\n" + "\n".join(lines) + "\n\n"


@register("children")
def children(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    ctx = converter.context
    params = parameters(el)
    root, ref = macro_page(converter, el, "page")
    if ref is None:
        root = ctx.pages.get(ctx.page_id)
    if root is None:
        return note(converter, "Child pages of", ref, parent_tags)
    every = (params.get("all") or params.get("allChildren") or "").lower() == "true"
    depth = min(_number(params.get("depth", ""), MAX_TREE_DEPTH if every else 1), MAX_TREE_DEPTH)
    reverse = params.get("reverse", "").lower() == "true"
    lines = _tree(converter, root.children, depth, sort=params.get("sort", ""), reverse=reverse,
                  first=_number(params.get("first", ""), 0))
    return _as_list(lines, parent_tags)


@register("pagetree")
def pagetree(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    ctx = converter.context
    sort, reverse = parameter(el, "sort"), parameter(el, "reverse").lower() == "true"
    keyword = parameter(el, "root").strip()  # @home (the default), @self, @parent, @none, or a page
    root, ref = macro_page(converter, el, "root") if not keyword.startswith("@") else (None, None)
    words = "Page tree of"
    if ref is None and keyword in ("@self", "@parent"):
        root = ctx.pages.get(ctx.page_id)
        if keyword == "@parent":
            root = ctx.parent_of(root.id) if root is not None else None
            words = "Page tree of the parent of"  # only read when the parent is unknown
    elif ref is None:
        # The space's tree: its top pages (the home page's children when there is a single home page).
        in_space = [p for p in ctx.pages.values() if p.space == ctx.space_key]
        nested = {c for p in in_space for c in p.children}
        tops = [p for p in in_space if p.id not in nested]
        ids = list(tops[0].children) if len(tops) == 1 and keyword != "@none" else [p.id for p in tops]
        if not ids:
            return note(converter, "Page tree of space", None, parent_tags, escape_text(ctx.space_key))
        return _as_list(_tree(converter, ids, MAX_TREE_DEPTH, sort=sort, reverse=reverse), parent_tags)
    if root is None:
        return note(converter, words, ref, parent_tags)
    return _as_list(_tree(converter, root.children, MAX_TREE_DEPTH, sort=sort, reverse=reverse), parent_tags)
