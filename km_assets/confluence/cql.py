"""Connection filters as CQL. Written apart from the sandbox's CQL parser so each checks the other.

Everything the filters say becomes CQL, so Confluence does the filtering and we page only through what
we keep. Page-tree filters apply to pages only: blog posts have no ancestors and pass them untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = ["ContentFilter", "content_cql", "quote"]


def quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _list(values: Sequence[str]) -> str:
    return "(" + ", ".join(quote(v) for v in values) + ")"


def _when(value: date | datetime) -> str:
    # CQL reads dates in the site's time zone at minute precision.
    return quote(value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value.strftime("%Y-%m-%d"))


@dataclass(frozen=True)
class ContentFilter:
    content_types: Sequence[str] = ("page", "blogpost")
    labels_include: Sequence[str] = ()
    labels_exclude: Sequence[str] = ()
    trees_include: Sequence[str] = ()
    trees_exclude: Sequence[str] = ()
    created_after: date | datetime | None = None
    created_before: date | datetime | None = None
    modified_after: date | datetime | None = None
    modified_before: date | datetime | None = None
    ids: Sequence[str] = field(default_factory=tuple)


def content_cql(space: str | Sequence[str], flt: ContentFilter, *, order: str = "lastmodified asc") -> str:
    """CQL for one space's (or several spaces') content, oldest change first so a listing reads like a log."""
    spaces = [space] if isinstance(space, str) else list(space)
    clauses = [f"space = {quote(spaces[0])}" if len(spaces) == 1 else f"space in {_list(spaces)}",
               f"type in ({', '.join(flt.content_types)})"]
    if flt.ids:
        clauses.append(f"id in ({', '.join(flt.ids)})")
    if flt.labels_include:
        clauses.append(f"label in {_list(flt.labels_include)}")
    if flt.labels_exclude:
        clauses.append(f"label not in {_list(flt.labels_exclude)}")
    if flt.trees_include:
        ids = ", ".join(flt.trees_include)
        clauses.append(f"(type != page or ancestor in ({ids}) or id in ({ids}))")
    if flt.trees_exclude:
        ids = ", ".join(flt.trees_exclude)
        clauses.append(f"not (ancestor in ({ids}) or id in ({ids}))")
    for name, op, value in (("created", ">=", flt.created_after), ("created", "<", flt.created_before),
                            ("lastmodified", ">=", flt.modified_after), ("lastmodified", "<", flt.modified_before)):
        if value is not None:
            clauses.append(f"{name} {op} {_when(value)}")
    return " and ".join(clauses) + (f" order by {order}" if order else "")
