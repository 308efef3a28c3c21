"""A table's cells laid out on a grid: which source cell covers each (row, column) slot.

Merged cells (`rowspan`/`colspan`) cover several slots; GFM needs one text per slot, HTML keeps the spans.
Only the table's own rows count: rows of tables nested in its cells belong to those tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bs4.element import Tag

__all__ = ["Cell", "Grid", "build_grid"]

# Spans beyond this are markup errors (or hostile input); markdownify caps colspan the same way.
MAX_SPAN = 1000


@dataclass(eq=False)  # identity, not value: two cells with equal text are still two cells
class Cell:
    el: Tag
    row: int  # the slot at its top left
    col: int
    rowspan: int = 1
    colspan: int = 1
    markdown: str = ""  # its content as block Markdown, filled in by the converter

    @property
    def header(self) -> bool:
        return self.el.name == "th"

    @property
    def merged(self) -> bool:
        return self.rowspan > 1 or self.colspan > 1


@dataclass
class Grid:
    rows: list[list[Cell]] = field(default_factory=list)  # the source cells of each row, in order
    slots: list[list[Cell | None]] = field(default_factory=list)  # None: a hole in a short row
    header_row: bool = False  # the first row is a header row (all th, or in a thead)

    @property
    def width(self) -> int:
        return max((len(row) for row in self.slots), default=0)

    @property
    def cells(self) -> list[Cell]:
        return [cell for row in self.rows for cell in row]

    @property
    def merged(self) -> bool:
        return any(cell.merged for cell in self.cells)


def _rows(table: Tag) -> list[Tag]:
    """The table's own rows in document order: direct children and those of thead/tbody/tfoot."""
    rows: list[Tag] = []
    for child in table.children:
        if not isinstance(child, Tag):
            continue
        if child.name == "tr":
            rows.append(child)
        elif child.name in ("thead", "tbody", "tfoot"):
            rows.extend(tr for tr in child.children if isinstance(tr, Tag) and tr.name == "tr")
    return rows


def _span(cell: Tag, attr: str) -> int:
    value = str(cell.get(attr) or "1").strip()
    return max(1, min(MAX_SPAN, int(value))) if value.isdigit() else 1


def build_grid(table: Tag) -> Grid:
    trs = _rows(table)
    grid = Grid()
    covered: dict[tuple[int, int], Cell] = {}
    for r, tr in enumerate(trs):
        row: list[Cell] = []
        c = 0
        for td in tr.children:
            if not isinstance(td, Tag) or td.name not in ("td", "th"):
                continue
            while (r, c) in covered:  # slots taken by a rowspan from above
                c += 1
            # A rowspan past the last row covers what is left, as browsers do.
            cell = Cell(td, r, c, min(_span(td, "rowspan"), len(trs) - r), _span(td, "colspan"))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    covered[(r + dr, c + dc)] = cell
            row.append(cell)
            c += cell.colspan
        grid.rows.append(row)
    width = max((c + 1 for _, c in covered), default=0)
    grid.slots = [[covered.get((r, c)) for c in range(width)] for r in range(len(trs))]
    if trs and grid.rows[0]:
        first = trs[0]
        in_thead = first.parent is not None and first.parent.name == "thead"
        grid.header_row = in_thead or all(cell.header for cell in grid.rows[0])
    return grid
