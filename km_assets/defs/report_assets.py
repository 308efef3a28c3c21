"""sync_report: the connection's sync report (papermill + nbconvert), after the syncs it reads.

Not partitioned: the report spans every space and reads the whole of each upstream asset (all its
space partitions) by path, so one materialization after a sync run is the report of that moment. It
returns no data (nothing goes through the Parquet IO manager): the executed notebook and its HTML are
written under the reports folder (on an object storage root: `<root>/<prefix>/reports/`, so the report
outlives the run's pod), and the metadata links the HTML where it is and repeats the headline figures.
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import os

import dagster as dg

from ..config import ConnectionSettings, KmConfig, StorageSettings
from ..reports.run import write_report

__all__ = ["UPSTREAM", "report_assets"]

UPSTREAM = ("articles_current", "article_metadata", "permission_map", "integration_log", "raw_attachments")


def report_assets(connection: ConnectionSettings, storage_root: str,
                  reports_dir: str | None = None) -> list[dg.AssetsDefinition]:
    """`reports_dir`: where reports go, a folder or an fsspec URL (default: $KM_REPORTS_DIR, read at run
    time; else ./reports on a local storage root, `<root>/<prefix>/reports/` on object storage)."""
    prefix = connection.asset_prefix
    upstream = [n for n in UPSTREAM if n != "permission_map" or connection.permissions.enabled]

    @dg.asset(name="sync_report", key_prefix=[prefix], group_name=prefix,
              deps=[dg.AssetKey([prefix, name]) for name in upstream],
              description="The sync report (notebooks/sync_report.ipynb run with papermill, rendered as HTML): "
                          "items by space and day, new/changed/deleted, attachments, requests and 429s, "
                          "permission coverage by KM role, conversion fidelity.")
    def sync_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        folder = reports_dir or os.environ.get("KM_REPORTS_DIR") or None
        config = KmConfig(storage=StorageSettings(root=storage_root), connections=[connection])
        report = write_report(config, connection.name, out_dir=folder)
        summary = report.figures.get("summary", {})  # read from the executed notebook before it was uploaded
        context.log.info(f"sync report written to {report.html}")
        return dg.MaterializeResult(metadata={
            "html": dg.MetadataValue.path(str(report.html)),
            "url": dg.MetadataValue.url(report.url),
            "notebook": dg.MetadataValue.path(str(report.notebook)),
            **{k: summary[k] for k in ("items", "new", "changed", "deleted", "requests", "rate_limited")
               if k in summary},
        })

    return [sync_report]
