"""Integration logs as Parquet: one file per run and space, next to the data it explains.

Layout `<root>/<connection>/integration_runs/space=<KEY>/run=<run id>.parquet`: one file per run, written
even when the run fails; runs append and nothing is overwritten. The `integration_log` asset gathers a
space's runs into `<root>/<connection>/integration_log/space=<KEY>/data.parquet`.
"""

from __future__ import annotations

import json

import polars as pl
from upath import UPath

from .parquet_files import root_path, write_parquet_atomically

# Per-run files; the integration_log asset gathers them into one table per space.
RUNS_FOLDER = "integration_runs"

__all__ = ["INTEGRATION_LOG", "events_frame", "read_log", "write_integration_log"]

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


def write_integration_log(root: str, connection: str, space: str, run_id: str, rows: list[dict],
                          step: str | None = None) -> UPath:
    """One file per run and step that talked to Confluence (`step` tells apart several in one run)."""
    name = f"run={run_id}.{step}.parquet" if step else f"run={run_id}.parquet"
    target = root_path(root) / connection / RUNS_FOLDER / f"space={space}" / name
    return write_parquet_atomically(events_frame(rows, run_id), target, root_path(root))


def read_log(root: str, connection: str, space: str) -> pl.DataFrame:
    """Every run's events for one space, newest first."""
    folder = root_path(root) / connection / RUNS_FOLDER / f"space={space}"
    frames = []
    if folder.exists():
        for path in sorted(folder.glob("run=*.parquet")):
            with path.open("rb") as handle:
                frames.append(pl.read_parquet(handle).cast(INTEGRATION_LOG))
    if not frames:
        return pl.DataFrame(schema=INTEGRATION_LOG)
    return pl.concat(frames).sort("at", descending=True)
