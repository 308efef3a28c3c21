"""raw_attachments rows + extraction results -> attachment articles, and links from their parents.

An attachment article is one attachment version's text as Markdown, under front matter that names
its parent article (`article_path`), its stored copy and its Confluence URL, and the file's own
metadata (name, media type, size, version, creator, sha256). In `merged` mode the same text is meant
to be appended to the parent article instead (`append_attachments`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import yaml

from ..extract import Extraction
from .articles import article_path
from .schemas import frame

__all__ = ["ATTACHMENT_ARTICLES", "FILES_FOLDER", "append_attachments", "attachment_article_path",
           "build_attachment_articles"]

_TS = pl.Datetime("us", "UTC")
FILES_FOLDER = "attachment_files"  # under <root>/<connection>/, where raw_attachments stores the files

ATTACHMENT_ARTICLES = pl.Schema({
    "attachment_id": pl.String,
    "version": pl.Int64,
    "container_id": pl.String,  # the parent article's content id
    "space_key": pl.String,
    "filename": pl.String,
    "media_type": pl.String,
    "file_size": pl.Int64,
    "created_at": _TS,
    "created_by": pl.String,
    "sha256": pl.String,
    "file_id": pl.String,
    "parent_path": pl.String,  # the parent article in the KM export (km.articles.article_path)
    "article_path": pl.String,  # this attachment's own article in the export
    "stored_path": pl.String,  # the stored copy, relative to <root>/<connection>/
    "download_url": pl.String,  # the file on Confluence
    "status": pl.String,  # extracted | skipped | failed | not downloaded
    "reason": pl.String,
    "kind": pl.String,  # pdf, docx, pptx, xlsx, csv, html, markdown, text
    "mode": pl.String,  # separate | merged
    "markdown": pl.String,  # separate: front matter + text; merged: the text alone
    "chars": pl.Int64,
    "seconds": pl.Float64,  # extraction time; 0 when the result was reused
    "reused": pl.Boolean,  # the same bytes were extracted before (another page, or an earlier run)
})

_READABLE = {"downloaded", "skipped"}  # skipped with a path: already stored, or the same file as another


def attachment_article_path(space_key: str, container_id: str, attachment_id: str, version: int) -> str:
    """Beside the parent article: ENG/65540.md -> ENG/65540/attachments/att98402-v2.md."""
    return f"{space_key}/{container_id}/attachments/{attachment_id}-v{version}.md"


def _front_matter(row: dict[str, Any]) -> str:
    fields = {"title": row["filename"], "parent_article": row["parent_path"], "stored_copy": row["stored_path"],
              "source_url": row["download_url"], "media_type": row["media_type"], "file_size": row["file_size"],
              "confluence_attachment_id": row["attachment_id"], "confluence_version": row["version"],
              "created_by": row["created_by"], "sha256": row["sha256"]}
    return "---\n" + yaml.safe_dump(fields, sort_keys=False, allow_unicode=True) + "---\n\n"


def build_attachment_articles(raw: pl.DataFrame, space_key: str, extract: Callable[[dict[str, Any]], tuple[Extraction, bool]],
                              mode: str = "separate") -> pl.DataFrame:
    """One row per raw_attachments row. `extract(row)` gives (result, reused) for a stored file."""
    rows = []
    for att in raw.iter_rows(named=True):
        version = int(att["version"] or 1)
        stored = f"{FILES_FOLDER}/{att['path']}" if att.get("path") else None
        row = {k: att.get(k) for k in ("attachment_id", "container_id", "filename", "media_type", "file_size",
                                         "created_at", "created_by", "sha256", "file_id", "download_url")}
        row.update(version=version, space_key=space_key, mode=mode, stored_path=stored,
                   parent_path=article_path(space_key, att["container_id"]),
                   article_path=attachment_article_path(space_key, att["container_id"], att["attachment_id"], version))
        if att.get("status") in _READABLE and att.get("path") and att.get("sha256"):
            result, reused = extract(att)
            text = result.markdown
            row.update(status=result.status, reason=result.reason, kind=result.kind, chars=result.chars,
                       seconds=0.0 if reused else result.seconds, reused=reused)
        else:
            text = None
            row.update(status="not downloaded", reason=att.get("reason") or f"download status {att.get('status')}",
                       chars=0, seconds=0.0, reused=False)
        if text is not None:
            row["markdown"] = text if mode == "merged" else _front_matter(row) + text + "\n"
        rows.append(row)
    return frame(rows, ATTACHMENT_ARTICLES)


def append_attachments(articles: pl.DataFrame, attachments: pl.DataFrame) -> pl.DataFrame:
    """Articles with an "Attachments" section: per file, links to its stored copy, Confluence and its
    extracted article (separate mode), or its text under a heading (merged mode). Articles without
    attachments are returned unchanged."""
    if not attachments.height or not articles.height:
        return articles
    sections: dict[str, list[str]] = {}
    for row in attachments.sort("filename", "attachment_id").iter_rows(named=True):
        sections.setdefault(row["container_id"], []).append(_section(row))
    add = pl.Series([("\n\n## Attachments\n\n" + "\n\n".join(sections[c])) if c in sections else ""
                     for c in articles["content_id"]], dtype=pl.String)
    return articles.with_columns((pl.col("markdown").str.strip_chars_end("\n") + add + "\n").alias("markdown")
                                 .fill_null(pl.col("markdown")))


def _section(row: dict[str, Any]) -> str:
    links = [f"[stored copy]({row['stored_path']})" if row["stored_path"] else None,
             f"[on Confluence]({row['download_url']})" if row["download_url"] else None]
    if row["status"] == "extracted" and row["mode"] == "separate":
        links.append(f"[text]({row['article_path']})")
    head = f"### {row['filename']}\n\n" + " · ".join(link for link in links if link)
    if row["status"] != "extracted":
        return f"{head}\n\n_No text: {row['reason']}_"
    if row["mode"] == "merged":
        return f"{head}\n\n{row['markdown']}"
    return head
