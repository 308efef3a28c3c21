"""raw_content rows -> KM articles: Markdown with front matter, and what the conversion saw.

Conversion is CPU-bound (a few ms per page), so a large batch is converted in worker processes: rows go
out in chunks and come back in order, so the frame is the one a serial run builds. Workers are forked
while this process runs a single thread (they inherit the page index as it is: a script, a notebook,
`materialize`/`execute_in_process`). With other threads alive (a step of Dagster's multiprocess executor
has three, and one may hold a lock a fork would copy held) they start from a fresh interpreter through
the forkserver (spawn where there is none); Python then imports the caller's main module in each worker,
so a calling script needs the usual `if __name__ == "__main__":` guard, and the start costs seconds (see
PARALLEL_MIN_ROWS). What workers share (site URL, page index, people, macro policies) reaches each of
them once, as plain data; the code they run imports nothing of Dagster.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..config import TransformSettings
from ..convert import ConversionContext, PageIndex, PageRef, convert_storage
from ..convert.context import MacroPolicy, TableMode
from .front_matter import yaml_scalar
from .schemas import ARTICLES, frame

__all__ = ["PARALLEL_MIN_ROWS", "article_path", "build_articles", "default_workers", "front_matter",
           "page_index"]

# By default a batch smaller than this converts in-process. Forked workers start in about 0.1 s. Workers
# from a fresh interpreter first import the caller's main module (Python's spawn rule; in a Dagster step
# that is Dagster itself) and the converter: 7 s for two of them in a multiprocess-executor step on 2
# busy cores, which two workers earn back only from about 4,000 pages (~3.5 ms each serially).
PARALLEL_MIN_ROWS = {"fork": 500, "forkserver": 5000, "spawn": 5000}
CHUNK_ROWS = 200  # most rows per task sent to a worker: small enough to balance, large enough to amortise


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
    Labels -> Tags, Space -> Category) as YAML front matter.

    Keys are plain YAML words; values are written as JSON scalars (front_matter.yaml_scalar), which YAML
    reads as the same values: the YAML emitter was a tenth of an article's build time."""
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
    return "---\n" + "".join(f"{key}: {yaml_scalar(value)}\n" for key, value in fields.items()) + "---\n\n"


def default_workers() -> int:
    """The CPUs this process may run on (its affinity where the OS tells it), else os.cpu_count()."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on every OS
        return os.cpu_count() or 1


@dataclass(frozen=True)
class _Batch:
    """What every article of one build_articles call shares."""

    site_url: str
    pages: Mapping[str, PageRef]  # a PageIndex: its title index is built once, not per article
    users: Mapping[str, str] = field(default_factory=dict)
    macro_policies: Mapping[str, MacroPolicy] = field(default_factory=dict)
    default_policy: MacroPolicy = "convert"
    tables: TableMode = "auto"


def _article(row: dict, batch: _Batch) -> dict[str, Any]:
    context = ConversionContext(site_url=batch.site_url, space_key=row["space_key"] or "",
                                page_id=row["content_id"], page_title=row["title"] or "", pages=batch.pages,
                                users=batch.users, macro_policies=batch.macro_policies,
                                default_policy=batch.default_policy, tables=batch.tables)
    result = convert_storage(row["body_storage"] or "", context)
    return {
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
    }


# -- worker processes -------------------------------------------------------------------------------
_worker_batch: _Batch | None = None  # set once in each worker by _start_worker


def _start_worker(batch: _Batch) -> None:
    global _worker_batch
    _worker_batch = batch


def _convert_chunk(rows: list[dict]) -> list[dict[str, Any]]:
    if _worker_batch is None:
        raise RuntimeError("_convert_chunk runs only in a worker started by _start_worker")
    return [_article(row, _worker_batch) for row in rows]


def _start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    # macOS forks unsafely (its system libraries); elsewhere a fork is safe while no other thread runs.
    if "fork" in methods and sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _in_processes(rows: list[dict], batch: _Batch, workers: int, method: str) -> list[dict[str, Any]]:
    size = max(1, min(CHUNK_ROWS, -(-len(rows) // workers)))  # every worker gets work in a small batch too
    chunks = [rows[i:i + size] for i in range(0, len(rows), size)]
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context,
                             initializer=_start_worker, initargs=(batch,)) as pool:
        return [article for chunk in pool.map(_convert_chunk, chunks) for article in chunk]


def build_articles(raw: pl.DataFrame, site_url: str, transform: TransformSettings | None = None,
                   pages: dict[str, PageRef] | None = None, *, workers: int | None = None) -> pl.DataFrame:
    """ARTICLES rows for `raw`, in its order, the same however many processes convert them.

    `workers`: None (the default) converts a batch of PARALLEL_MIN_ROWS rows or more in as many
    processes as this process may use CPUs, and a smaller one in-process; 1 always converts in-process;
    N > 1 always uses N processes (at most one per row).
    """
    transform = transform or TransformSettings()
    # One title index for the whole batch, however the pages were handed in.
    pages = page_index(raw) if pages is None else pages if isinstance(pages, PageIndex) else PageIndex(pages)
    batch = _Batch(site_url=site_url, pages=pages, users=people(raw), macro_policies=dict(transform.macros),
                   default_policy=transform.default_macro_policy, tables=transform.tables)
    rows = raw.rows(named=True)
    method = _start_method()
    if workers is None:
        workers = default_workers() if len(rows) >= PARALLEL_MIN_ROWS[method] else 1
    # A daemonic process (some pools' workers) may not start processes of its own.
    if workers > 1 and len(rows) > 1 and not multiprocessing.current_process().daemon:
        articles = _in_processes(rows, batch, workers, method)
    else:
        articles = [_article(row, batch) for row in rows]
    return frame(articles, ARTICLES)
