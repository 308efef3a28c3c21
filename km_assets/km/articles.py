"""raw_content rows -> KM articles: Markdown with front matter, and what the conversion saw."""

from __future__ import annotations

import polars as pl
import yaml

from ..config import TransformSettings
from ..convert import ConversionContext, PageIndex, PageRef, convert_storage
from .schemas import ARTICLES, frame

__all__ = ["article_path", "build_articles", "front_matter", "page_index"]


# Mentions are recorded as links for the report, but they point at people, not documents.
_NOT_LINKS = {"mention", "unresolved-mention"}


def article_path(space_key: str, content_id: str) -> str:
    """Where an article lives in the KM export; links between articles in the sync use it."""
    return f"{space_key}/{content_id}.md"


def page_index(raw: pl.DataFrame) -> PageIndex:
    """Every page in the sync, so links and include macros can stay inside the KM."""
    rows = raw.select("content_id", "space_key", "title", "url", "parent_id", "body_storage").rows(named=True)
    children: dict[str, list[str]] = {}
    for row in rows:
        if row["parent_id"]:
            children.setdefault(row["parent_id"], []).append(row["content_id"])
    return PageIndex((row["content_id"], PageRef(
        id=row["content_id"], space=row["space_key"], title=row["title"],
        path=article_path(row["space_key"], row["content_id"]), url=row["url"], body=row["body_storage"],
        children=tuple(children.get(row["content_id"], ())))) for row in rows)


def people(raw: pl.DataFrame) -> dict[str, str]:
    """Display names the sync already knows (creators and modifiers), for user mentions."""
    names: dict[str, str] = {}
    for ident, name in (*raw.select("created_by", "created_by_name").rows(),
                        *raw.select("modified_by", "modified_by_name").rows()):
        if ident and name:
            names[ident] = name
    return names


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


def build_articles(raw: pl.DataFrame, site_url: str, transform: TransformSettings | None = None,
                   pages: dict[str, PageRef] | None = None) -> pl.DataFrame:
    transform = transform or TransformSettings()
    # One title index for the whole batch, however the pages were handed in.
    pages = page_index(raw) if pages is None else pages if isinstance(pages, PageIndex) else PageIndex(pages)
    users = people(raw)
    rows = []
    for row in raw.iter_rows(named=True):
        context = ConversionContext(site_url=site_url, space_key=row["space_key"] or "",
                                    page_id=row["content_id"], page_title=row["title"] or "", pages=pages,
                                    users=users, macro_policies=transform.macros,
                                    default_policy=transform.default_macro_policy, tables=transform.tables)
        result = convert_storage(row["body_storage"] or "", context)
        rows.append({
            "content_id": row["content_id"],
            "version": row["version"],
            "space_key": row["space_key"],
            "title": row["title"],
            "markdown": front_matter(row) + result.markdown,
            "links": [link["target"] for link in result.links if link["kind"] not in _NOT_LINKS],
            "unresolved_links": [link["target"] for link in result.links if link["kind"] == "unresolved"],
            "macro_handling": [f"{name}:{how}" for name, how in sorted(result.macro_handling.items())],
            "attachments": sorted(set(result.attachments)),
            "macros": sorted(result.macros),
            "unhandled_macros": sorted(result.unhandled_macros),
            "warnings": result.warnings,
            "fidelity": result.fidelity,
        })
    return frame(rows, ARTICLES)
