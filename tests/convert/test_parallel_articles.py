"""build_articles in worker processes gives the frame a serial run gives: same rows, same order, same bytes.

By default only a large batch goes to workers; `workers=2` sends any batch, so these tests use a small
one from the synthetic site generator (every macro family, links between its pages, includes).
"""

from __future__ import annotations

import threading

import dagster as dg
import polars as pl
import pytest

from km_assets.km import articles
from km_assets.km.articles import build_articles
from km_assets.km.schemas import RAW_CONTENT
from km_assets.sandbox.synthetic import synthetic_site

SITE = "https://acme.atlassian.net/wiki"


@pytest.fixture(scope="module")
def raw() -> pl.DataFrame:
    site = synthetic_site(spaces=1, pages=60, seed=7)
    rows = [{"content_id": c.id, "content_type": c.type, "space_key": c.space, "title": c.title,
             "version": c.version.number, "labels": list(c.labels), "parent_id": c.parent,
             "body_storage": c.body, "url": f"{SITE}/pages/viewpage.action?pageId={c.id}",
             "created_by": c.creator, "created_by_name": c.creator.title(), "modified_at": c.modified}
            for c in site.content.values() if c.type in ("page", "blogpost")]
    return pl.DataFrame(rows, schema=RAW_CONTENT)


@pytest.fixture(scope="module")
def serial(raw) -> pl.DataFrame:
    return build_articles(raw, SITE, workers=1)


def test_workers_give_the_serial_frame_in_the_same_order(raw, serial):
    parallel = build_articles(raw, SITE, workers=2)
    assert parallel["content_id"].to_list() == raw["content_id"].to_list()
    assert parallel.equals(serial)


def test_by_default_a_small_batch_converts_in_process(raw, serial, monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a small batch started worker processes")

    monkeypatch.setattr(articles, "ProcessPoolExecutor", no_pool)
    assert build_articles(raw, SITE).equals(serial)


def test_workers_started_from_a_fresh_interpreter_give_the_serial_frame(raw, serial):
    """With another thread alive (as in a Dagster run) workers come from the forkserver, not a fork."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert articles._start_method() in ("forkserver", "spawn")
        assert build_articles(raw, SITE, workers=2).equals(serial)
    finally:
        stop.set()
        other.join()


def test_workers_inside_a_dagster_run_give_the_serial_frame(raw, serial):
    @dg.asset
    def converted() -> pl.DataFrame:
        return build_articles(raw, SITE, workers=2)

    result = dg.materialize([converted])
    assert result.success
    assert result.output_for_node("converted").equals(serial)
