"""Tables: GFM pipe tables when they fit, otherwise HTML, or GFM with merged cells repeated (by choice).

`context.tables` chooses:
- "auto": a GFM pipe table when no cell is merged and every cell is one paragraph; otherwise an HTML
  table (spans kept). Its cells are plain HTML on one line when the source cell is plain HTML (text,
  emphasis, code, links, paragraphs, lists), else their Markdown between blank lines, so code blocks,
  macros, page links and nested tables keep their full conversion (code byte for byte).
- "html": always that HTML table.
- "repeat": always GFM when it can be: a merged cell's text is repeated in every slot it covers, and
  paragraphs and lists in a cell become lines joined by `<br>`. A cell holding what no GFM line can
  (a code block, a quote or panel, a nested table) still makes the table HTML, with a warning.

GFM needs a header row: the first row is one when all its cells are `th` (or it is in a thead). When
it is not, the header row is left empty rather than promoting the first row: promoting would present
data as column titles (a key/value table would get "Key | Value" as headings it never had). `th` cells
below the header row (header columns) are bold in GFM and stay `th` in HTML. Widths, colgroup, layout
attributes, styles and highlight colours are dropped; the text stays.
"""

from __future__ import annotations

from typing import Any

from bs4.element import Tag

from .nodes import child
from .table_cells import Href, flatten, has_block_content, html_text, inline_html, is_plain, pipe_escape
from .table_grid import Cell, Grid, build_grid

__all__ = ["TablesMixin"]


class _Contents:
    """A cell's children as an anonymous container, for markdownify's `process_tag`.

    markdownify converts a td/th's children as inline text (it adds `_inline`), which turns lists,
    code blocks and nested tables into run-on text. Handing it this stand-in instead converts the
    children as block content, once; the children themselves are untouched (their parent is still the
    cell), and with no `convert__cell` the Markdown comes back as is.
    """

    name = "_cell"

    def __init__(self, cell: Tag) -> None:
        self.cell = cell
        self.children = list(cell.children)

    def find_parent(self, *args: Any, **kwargs: Any) -> Any:
        return self.cell.find_parent(*args, **kwargs)


class TablesMixin:
    context: Any

    def process_tag(self, node: Any, parent_tags: set | None = None) -> str:
        # Tables are laid out here, whole, instead of row by row in convert_tr/convert_td: the form of
        # a table (GFM or HTML) depends on all its cells, and each cell must be converted exactly once
        # (links, attachments and macros are recorded as they convert).
        if getattr(node, "name", None) == "table":
            return self.convert_table_element(node, set(parent_tags or ()))
        return super().process_tag(node, parent_tags)  # type: ignore[misc]

    def convert_table_element(self, el: Tag, parent_tags: set) -> str:
        grid = build_grid(el)
        tags = (parent_tags - {"_inline"}) | {"table"}
        for cell in grid.cells:
            markdown = super().process_tag(_Contents(cell.el), tags)  # type: ignore[misc]
            cell.markdown = markdown.strip()
        caption = child(el, "caption")
        title = super().process_tag(caption, tags).strip() if caption is not None else ""  # type: ignore[misc]
        body = self._layout(grid) if grid.cells else ""
        return "\n\n" + "\n\n".join(part for part in (title, body) if part) + "\n\n"

    def _layout(self, grid: Grid) -> str:
        mode = getattr(self.context, "tables", "auto")
        if mode == "repeat":
            lines = _gfm_lines(grid, lists=True)
            if lines is not None:
                return _gfm(grid, lines)
            warn = getattr(self, "warn", None)
            if warn is not None:
                warn("a table whose cells hold code, quotes or tables was kept as HTML (tables: repeat)")
        elif mode != "html" and not grid.merged:
            lines = _gfm_lines(grid, lists=False)
            if lines is not None:
                return _gfm(grid, lines)
        return _html(grid, self._href)

    def _href(self, url: str) -> str:
        # The same target a Markdown link to this URL gets (LinksMixin), so HTML cells link alike.
        resolve = getattr(self, "url_target", None)
        return resolve(url)[0] if resolve is not None else url


# -- GFM ----------------------------------------------------------------------------------------------
def _gfm_lines(grid: Grid, *, lists: bool) -> dict[Cell, str] | None:
    """Each cell's one-line GFM form, or None when some cell has none in this mode."""
    out: dict[Cell, str] = {}
    for cell in grid.cells:
        if not lists and has_block_content(cell.el):
            return None
        line = flatten(cell.markdown, lists=lists)
        if line is None:
            return None
        out[cell] = pipe_escape(line)
    return out


def _gfm(grid: Grid, lines: dict[Cell, str]) -> str:
    width = grid.width

    def row(slots: list[Cell | None], header: bool) -> str:
        texts = []
        for slot in slots + [None] * (width - len(slots)):  # a short row is padded with empty cells
            text = lines[slot] if slot is not None else ""
            if slot is not None and slot.header and not header and text and "**" not in text:
                text = f"**{text}**"  # a header column: GFM has no th outside the header row
            texts.append(text)
        return "| " + " | ".join(texts) + " |"

    out = [row(grid.slots[0], True)] if grid.header_row else [row([], True)]
    out.append("| " + " | ".join(["---"] * width) + " |")
    body = grid.slots[1:] if grid.header_row else grid.slots
    # A row with no cells at all (`<tr></tr>`) shows nothing in a browser; in GFM it would be a blank row.
    out.extend(row(slots, False) for slots in body if any(slot is not None for slot in slots))
    return "\n".join(out)


# -- HTML ---------------------------------------------------------------------------------------------
def _html(grid: Grid, href: Href) -> str:
    out = ["<table>"]
    for cells in grid.rows:
        rendered = [_html_cell(cell, href) for cell in cells]
        if all("\n" not in html for html in rendered):
            out.append("<tr>" + "".join(rendered) + "</tr>")
        else:
            out.extend(["<tr>", *rendered, "</tr>"])
    out.append("</table>")
    return "\n".join(out)


def _html_cell(cell: Cell, href: Href) -> str:
    tag = cell.el.name
    attrs = "".join(f' {name}="{value}"' for name, value in (("rowspan", cell.rowspan), ("colspan", cell.colspan))
                    if value > 1)
    html = inline_html(cell.el, href)
    if html is None and is_plain(cell.markdown):
        html = html_text(cell.markdown)  # e.g. an emoticon, a mention or a date: plain text once converted
    if html is not None:
        return f"<{tag}{attrs}>{html}</{tag}>"
    # Markdown inside an HTML block needs a blank line on each side to be parsed as Markdown.
    return f"<{tag}{attrs}>\n\n{cell.markdown}\n\n</{tag}>"
