"""Page properties: the key/value table inside a page's `details` macro ("Page Properties" in the editor).

Confluence's Page Properties Report reads the same table, so admins already keep metadata there
(owner, severity, review date). Two layouts exist: one row per property with the key in a header
cell (the default), or a header row of keys above one row of values. Values are the cell's text,
except where the text would lose the meaning: a date (`<time datetime>`) gives its ISO date, a
status lozenge its title, a user mention the user's id (account id on Cloud, key or name on DC).
"""

from __future__ import annotations

import re

from bs4.element import Tag

from .parse import parse_storage

__all__ = ["page_properties"]

_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,;])")


def page_properties(body: str | None) -> dict[str, str]:
    """Key -> value of every `details` macro in the body (the first macro naming a key wins)."""
    if not body or "details" not in body:  # most pages have none: skip the parse
        return {}
    soup, _ = parse_storage(body)
    found: dict[str, str] = {}
    for macro in soup.find_all("ac:structured-macro", attrs={"ac:name": "details"}):
        table = macro.find("table")
        if table is None:
            continue
        for key, value in _pairs(table):
            if key and key not in found:
                found[key] = value
    return found


def _pairs(table: Tag) -> list[tuple[str, str]]:
    rows = [[c for c in tr.find_all(["th", "td"], recursive=False)] for tr in table.find_all("tr")]
    rows = [r for r in rows if r]
    if not rows:
        return []
    header = rows[0]
    if len(rows) > 1 and len(header) > 1 and all(c.name == "th" for c in header):
        # Horizontal layout: keys across the top, values in the next row.
        return [(_text(k), _text(v)) for k, v in zip(header, rows[1], strict=False)]
    return [(_text(r[0]), _text(r[1]) if len(r) > 1 else "") for r in rows]


def _text(cell: Tag) -> str:
    for time in cell.find_all("time"):
        time.replace_with(time.get("datetime") or time.get_text())
    for macro in cell.find_all("ac:structured-macro", attrs={"ac:name": "status"}):
        title = macro.find("ac:parameter", attrs={"ac:name": "title"})
        macro.replace_with(title.get_text() if title else "")
    for user in cell.find_all("ri:user"):
        ident = user.get("ri:account-id") or user.get("ri:userkey") or user.get("ri:username") or ""
        user.replace_with(str(ident))
    # Cells join their inline parts with spaces (a mention next to text); "a , b" becomes "a, b".
    text = _SPACES.sub(" ", cell.get_text(" ").replace("\xa0", " ")).strip()
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
