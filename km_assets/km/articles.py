"""raw_content rows -> KM articles: Markdown with front matter, and what the conversion saw."""

from __future__ import annotations

import polars as pl
import yaml

from ..convert import ConversionContext, convert_storage
from .schemas import ARTICLES, frame

__all__ = ["build_articles", "front_matter"]


def front_matter(row: dict) -> str:
    """The default mapping (Title -> Article Title, Creator -> Author, Last Modified -> Last Updated,
    Labels -> Tags, Space -> Category) as YAML front matter."""
    fields = {
        "title": row["title"],
        "author": row.get("created_by_name") or row.get("created_by"),
        "last_updated": row["modified_at"].isoformat() if row.get("modified_at") else None,
        "tags": list(row.get("labels") or []),
        "category": row.get("space_name") or row.get("space_key"),
        "confluence_id": row["content_id"],
        "confluence_version": row["version"],
        "source_url": row.get("url"),
    }
    return "---\n" + yaml.safe_dump(fields, sort_keys=False, allow_unicode=True) + "---\n\n"


def build_articles(raw: pl.DataFrame, site_url: str) -> pl.DataFrame:
    rows = []
    for row in raw.iter_rows(named=True):
        context = ConversionContext(site_url=site_url, space_key=row["space_key"] or "",
                                    page_id=row["content_id"])
        result = convert_storage(row["body_storage"] or "", context)
        rows.append({
            "content_id": row["content_id"],
            "version": row["version"],
            "space_key": row["space_key"],
            "title": row["title"],
            "markdown": front_matter(row) + result.markdown,
            "links": result.links,
            "attachments": sorted(set(result.attachments)),
            "macros": sorted(result.macros),
            "unhandled_macros": sorted(result.unhandled_macros),
            "warnings": result.warnings,
        })
    return frame(rows, ARTICLES)
