"""YAML front matter of the live articles, from the mapped metadata rather than the synced version.

A relabel, a move or a rename makes no new version, so the front matter `articles` wrote when it
converted a version goes stale; `articles_current` replaces it with the fields `article_metadata` maps
now. Values are written as JSON scalars and flow sequences, which YAML reads unchanged: quick for
100,000 articles and safe for any title (colons, quotes, leading dashes, newlines).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import polars as pl

__all__ = ["render_front_matter", "split_front_matter", "with_front_matter", "yaml_scalar"]

_FENCE = "---\n"


def split_front_matter(markdown: str) -> tuple[str | None, str]:
    """(front matter without its fences, body); (None, markdown) when it has none."""
    if not markdown.startswith(_FENCE):
        return None, markdown
    end = markdown.find("\n" + _FENCE, len(_FENCE) - 1)
    if end < 0:
        return None, markdown
    return markdown[len(_FENCE):end + 1], markdown[end + 1 + len(_FENCE):].lstrip("\n")


def _scalar(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_scalar(v) for v in value]
    return value


# Characters JSON leaves bare but YAML reads as line breaks (U+0085, U+2028, U+2029) or refuses as
# non-printable (DEL, C1 controls, BOM, non-characters): escaped, which both read the same way.
_YAML_UNSAFE = {c: f"\\u{c:04x}" for c in [*range(0x7F, 0xA0), 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF]}


def _json(value: Any) -> str:
    return json.dumps(_scalar(value), ensure_ascii=False).translate(_YAML_UNSAFE)


def yaml_scalar(value: Any) -> str:
    """One value as the front matter writes it: a JSON scalar or flow sequence, which YAML reads unchanged."""
    return _json(value)


def render_front_matter(fields: dict[str, Any]) -> str:
    lines = [f"{_json(key)}: {_json(value)}" for key, value in fields.items()]
    return _FENCE + "\n".join(lines) + "\n" + _FENCE + "\n"


def with_front_matter(current: pl.DataFrame, metadata: pl.DataFrame, fields: list[str],
                      site_url: str) -> pl.DataFrame:
    """`current` (articles_current rows) with each Markdown's front matter rebuilt from its metadata row.

    The KM fields come first, in the mapping's order, then where the article came from. Items without a
    metadata row keep the front matter their version was converted with.
    """
    if current.is_empty():
        return current
    wanted = ["content_id", *[f for f in fields if f in metadata.columns]]
    if "archived" in metadata.columns:
        wanted.append("archived")
    by_id = {row["content_id"]: row for row in metadata.select(wanted).iter_rows(named=True)}
    out = []
    for content_id, version, markdown in current.select("content_id", "version", "markdown").iter_rows():
        row = by_id.get(content_id)
        if row is None:
            out.append(markdown)
            continue
        _, body = split_front_matter(markdown)
        values = {k: v for k, v in row.items() if k != "content_id"}
        values |= {"confluence_id": content_id, "confluence_version": version,
                   "source_url": f"{site_url}/pages/viewpage.action?pageId={content_id}"}
        out.append(render_front_matter(values) + body)
    return current.with_columns(pl.Series("markdown", out, dtype=pl.String))
