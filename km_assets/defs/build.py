"""Definitions from a KmConfig: per connection an asset group, jobs, schedules and a space sensor."""

from __future__ import annotations

import dagster as dg

from ..config import ConnectionSettings, KmConfig
from .assets import connection_assets
from .attachment_assets import attachment_assets
from .checks import connection_checks
from .executor import executor_definition
from .io_manager import PolarsParquetIOManager
from .metadata_assets import metadata_assets
from .partitions import space_partitions, windowed_partitions
from .permission_assets import permission_assets, permission_checks
from .report_assets import report_assets
from .resources import confluence_resource
from .schedules import connection_schedules, refresh_sensor, space_sensor

__all__ = ["JOBS", "build_definitions", "job_assets", "job_kinds", "job_name", "sync_job_name"]

# job suffix -> the assets it materializes (each job's assets share one partitioning)
JOBS = {
    "initial": ("raw_history", "snapshot", "articles", "article_metadata", "tombstones", "raw_attachments",
                "attachment_articles", "articles_current", "integration_log"),
    "window": ("raw_content",),
    "refresh": ("articles", "article_metadata", "tombstones", "articles_current"),
    # The reconciliation lists the attachments of the live pages again (one request per page with files;
    # only new versions are downloaded and extracted): that is how deleted attachments leave.
    "reconcile": ("snapshot", "articles", "article_metadata", "tombstones", "raw_attachments", "attachment_articles",
                  "articles_current", "integration_log"),
    "report": ("sync_report",),
    # Its own listing and cadence (permissions.schedule); absent when permissions.enabled is false.
    "permissions": ("permission_map",),
}
_DESCRIPTIONS = {
    "initial": "First sync of a space: its history in one listing, then the articles.",
    "window": "Fetch what changed in one settled window.",
    "refresh": "Rebuild a space's articles from every synced version.",
    "reconcile": "List live items without bodies; record deletions, moves and relabels.",
    "permissions": "Who may read and edit each article: space permissions and restrictions, mapped to KM roles.",
    "report": "The sync report (papermill notebook rendered as HTML) over every space's outputs.",
}


_ATTACHMENT_ASSETS = ("raw_attachments", "attachment_articles")


def job_assets(connection: ConnectionSettings, kind: str) -> tuple[str, ...]:
    """The assets a job of this connection materializes: without attachments in content_types, the
    attachment steps would only write empty partitions (two Dagster steps per space and run)."""
    if "attachment" in connection.content_types:
        return JOBS[kind]
    return tuple(name for name in JOBS[kind] if name not in _ATTACHMENT_ASSETS)


def job_kinds(connection: ConnectionSettings) -> list[str]:
    return [kind for kind in JOBS if kind != "permissions" or connection.permissions.enabled]


def job_name(connection: ConnectionSettings, kind: str) -> str:
    return f"{connection.asset_prefix}__{kind}"


def sync_job_name(asset_prefix: str) -> str:
    return f"{asset_prefix}__initial"


def build_definitions(config: KmConfig) -> dg.Definitions:
    assets: list[dg.AssetsDefinition] = []
    jobs = []
    schedules = []
    sensors = []
    resources: dict[str, object] = {"parquet_io_manager": PolarsParquetIOManager(root=config.storage.root)}
    for connection in config.connections:
        prefix = connection.asset_prefix
        assets.extend(connection_assets(connection, config.storage.root))
        assets.extend(metadata_assets(connection, config.storage.root))
        assets.extend(attachment_assets(connection, config.storage.root))
        assets.extend(report_assets(connection, config.storage.root))
        assets.extend(connection_checks(connection))  # jobs selecting an asset run its checks too
        if connection.permissions.enabled:
            assets.extend(permission_assets(connection, config.storage.root))
            assets.extend(permission_checks(connection))
        resources[f"confluence_{prefix}"] = confluence_resource(connection)
        for kind in job_kinds(connection):
            names = job_assets(connection, kind)
            jobs.append(dg.define_asset_job(job_name(connection, kind), description=_DESCRIPTIONS[kind],
                                            selection=dg.AssetSelection.assets(*[[prefix, n] for n in names])))
        schedules.extend(connection_schedules(connection))
        sensors.append(space_sensor(connection, space_partitions(connection)))
        sensors.append(refresh_sensor(connection, windowed_partitions(connection)))
    # km.yaml's `executor` (default: Dagster's own); k8s runs each step as a Kubernetes job (deploy/).
    return dg.Definitions(assets=assets, resources=resources, jobs=jobs, schedules=schedules, sensors=sensors,
                          executor=executor_definition(config.executor))
