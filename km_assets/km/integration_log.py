"""Integration logs as Parquet: one file per run and space, next to the data it explains.

Layout `<root>/<connection>/integration_log/space=<KEY>/run=<run id>.parquet`, so a notebook reads every
run with `pl.scan_parquet(".../integration_log/**/*.parquet", hive_partitioning=True)`. Runs append;
nothing is overwritten.
"""

from __future__ import annotations

import json

import polars as pl
from upath import UPath

from .parquet_files import write_parquet_atomically

__all__ = ["INTEGRATION_LOG", "events_frame", "write_integration_log"]

INTEGRATION_LOG = pl.Schema({
    "at": pl.Datetime("us", "UTC"),
    "connection": pl.String,
    "run_id": pl.String,
    "kind": pl.String,
    "method": pl.String,
    "path": pl.String,
    "query": pl.String,
    "status": pl.Int64,
    "attempt": pl.Int64,
    "latency_ms": pl.Float64,
    "bytes": pl.Int64,
    "rate_limit": pl.String,  # the rate-limit headers, as JSON
    "error_class": pl.String,
    "message": pl.String,
    "item_id": pl.String,
})


def events_frame(rows: list[dict], run_id: str) -> pl.DataFrame:
    shaped = [{**{k: row.get(k) for k in INTEGRATION_LOG.names()}, "run_id": run_id,
               "rate_limit": json.dumps(row.get("rate_limit") or {}, sort_keys=True)} for row in rows]
    return pl.DataFrame(shaped, schema=INTEGRATION_LOG) if shaped else pl.DataFrame(schema=INTEGRATION_LOG)


def write_integration_log(root: str, connection: str, space: str, run_id: str, rows: list[dict]) -> UPath:
    target = UPath(root) / connection / "integration_log" / f"space={space}" / f"run={run_id}.parquet"
    return write_parquet_atomically(events_frame(rows, run_id), target, UPath(root))
