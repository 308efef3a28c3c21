"""Reading stored partitions by path: partitions written before a column was added still read."""

from __future__ import annotations

import polars as pl

from km_assets.defs.storage import read_ids, read_space
from km_assets.km.current import SNAPSHOT


def test_a_partition_written_before_a_column_existed_reads_with_nulls_there(tmp_path):
    folder = tmp_path / "demo" / "snapshot" / "space=ENG"
    folder.mkdir(parents=True)
    old = pl.DataFrame({"content_id": ["1"], "content_type": ["page"], "version": [3], "title": ["A"],
                        "space_key": ["ENG"], "parent_id": [None], "labels": [["x"]]})  # no space_name, listed_at yet
    old.write_parquet(folder / "data.parquet")
    for frame in (read_space(str(tmp_path), "demo", ["snapshot"], "ENG", SNAPSHOT),
                  read_ids(str(tmp_path), "demo", ["snapshot"], ["1"], SNAPSHOT)):
        assert frame.schema == SNAPSHOT
        assert frame.row(0, named=True) == {**old.row(0, named=True), "space_name": None, "listed_at": None}


def test_a_narrow_schema_reads_only_its_columns(tmp_path):
    folder = tmp_path / "demo" / "raw_history" / "space=ENG"
    folder.mkdir(parents=True)
    pl.DataFrame({"content_id": ["1"], "version": [2], "body_storage": ["<p>big</p>"]}).write_parquet(
        folder / "data.parquet")
    narrow = pl.Schema({"content_id": pl.String, "version": pl.Int64})
    assert read_space(str(tmp_path), "demo", ["raw_history"], "ENG", narrow).to_dicts() == [
        {"content_id": "1", "version": 2}]
