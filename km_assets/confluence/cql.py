"""Connection filters as CQL. Written apart from the sandbox's CQL parser so each checks the other."""

from __future__ import annotations

from datetime import date

__all__ = ["content_cql", "quote"]


def quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _in(field: str, values: list[str], negate: bool = False) -> str:
    joined = ", ".join(quote(v) for v in values)
    return f"{field} {'not in' if negate else 'in'} ({joined})"


def content_cql(*, space: str, content_types: list[str], labels_include: list[str] | None = None,
                labels_exclude: list[str] | None = None, modified_after: date | None = None) -> str:
    """CQL for one space's content, oldest change first so a listing reads like a change log."""
    clauses = [f"space = {quote(space)}", f"type in ({', '.join(content_types)})"]
    if labels_include:
        clauses.append(_in("label", labels_include))
    if labels_exclude:
        clauses.append(_in("label", labels_exclude, negate=True))
    if modified_after:
        clauses.append(f'lastmodified >= "{modified_after:%Y-%m-%d}"')
    return " and ".join(clauses) + " order by lastmodified asc"
