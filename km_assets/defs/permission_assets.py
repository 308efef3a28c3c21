"""permission_map [space]: who may read and edit each article, on its own schedule.

A thin asset over km/permissions: it does its own listing (restrictions, ancestors, no bodies), so it
runs apart from content syncs, computes the map, and stores the facts it was computed from next to it
(`permission_facts/`, what `km explain-access` reads) and the run's integration log.
Its checks: rows flagged fail-closed, and groups or users without a KM role.
"""

# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import warnings

import dagster as dg
import polars as pl

from ..config import ConnectionSettings
from ..km.integration_log import write_integration_log
from ..km.permissions import PERMISSION_MAP, compute_permission_map, write_space_inputs
from ..km.permissions.collect import collect_space_inputs
from .partitions import space_partitions
from .pools import connection_pool
from .resources import ConfluenceResource

__all__ = ["fail_closed_result", "permission_assets", "permission_checks", "unmapped_result"]

_MAX_LISTED = 20


def _column_schema(schema: pl.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()])


def permission_assets(connection: ConnectionSettings, storage_root: str) -> list[dg.AssetsDefinition]:
    prefix = connection.asset_prefix
    resource_key = f"confluence_{prefix}"

    @dg.asset(name="permission_map", key_prefix=[prefix], group_name=prefix, io_manager_key="parquet_io_manager",
              partitions_def=space_partitions(connection), required_resource_keys={resource_key},
              pool=connection_pool(connection),
              metadata={"dagster/column_schema": _column_schema(PERMISSION_MAP)},
              description="Effective read and edit access per article: space permissions ∩ page and ancestor "
                          "restrictions, mapped to KM roles; unreadable data grants nobody and is flagged.")
    def permission_map(context: dg.AssetExecutionContext) -> pl.DataFrame:
        space = context.partition_key
        resource: ConfluenceResource = getattr(context.resources, resource_key)
        with resource.client(connection) as client:
            try:
                inputs = collect_space_inputs(client, connection, space)
            finally:
                # Written even when collecting fails: that is when the log is needed most.
                log = write_integration_log(storage_root, prefix, space, context.run.run_id, client.events.rows())
            events = client.events
        df = compute_permission_map(inputs, connection.permissions.group_roles)
        facts = write_space_inputs(storage_root, prefix, inputs)
        granted = df.filter(pl.col("granted"))
        context.add_output_metadata({
            "rows": df.height,
            "articles": len(inputs.articles()),
            "principals": granted.select("principal_type", "principal").n_unique() if granted.height else 0,
            "fail_closed_rows": _flagged(df, "fail_closed").height,
            "ancestors_fetched": sum(1 for n in inputs.nodes.values() if not n.in_listing),
            "requests": client.requests_made,
            "rate_limited": events.count("rate_limited"),
            "integration_log": dg.MetadataValue.path(str(log)),
            "permission_facts": dg.MetadataValue.path(str(facts)),
        })
        return df

    return [permission_map]


def _flagged(df: pl.DataFrame, flag: str) -> pl.DataFrame:
    return df.filter(pl.col("flags").list.contains(flag))


def fail_closed_result(df: pl.DataFrame, severity: str = "warn") -> dg.AssetCheckResult:
    """Rows flagged fail-closed: data that could not be read, so access was withheld (warn, or error
    with permissions.fail_closed_severity)."""
    flagged = _flagged(df, "fail_closed")
    causes = flagged.select(pl.col("flags").list.get(1, null_on_oob=True).alias("cause"))["cause"]
    counts = dict(sorted(causes.drop_nulls().value_counts().rows())) if flagged.height else {}
    reasons = flagged["reason"].unique(maintain_order=True).head(_MAX_LISTED).to_list()
    level = dg.AssetCheckSeverity.ERROR if severity == "error" else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(passed=flagged.is_empty(), severity=level,
                               metadata={"count": flagged.height,
                                         "articles": flagged["content_id"].n_unique() if flagged.height else 0,
                                         "causes": dg.MetadataValue.json(counts), "reasons": reasons})


def unmapped_result(df: pl.DataFrame) -> dg.AssetCheckResult:
    """Warns when granted groups have no KM role in group_roles (or users none through their groups)."""
    groups = _flagged(df, "unmapped_group")["principal"].unique().sort().to_list()
    users = _flagged(df, "user_without_role")["principal"].unique().sort().to_list()
    return dg.AssetCheckResult(passed=not groups and not users, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"unmapped_groups": groups[:_MAX_LISTED], "groups": len(groups),
                                         "users_without_role": users[:_MAX_LISTED], "users": len(users)})


def permission_checks(connection: ConnectionSettings) -> list[dg.AssetChecksDefinition]:
    asset = dg.AssetKey([connection.asset_prefix, "permission_map"])
    spaces = space_partitions(connection)
    checks = []
    with warnings.catch_warnings():
        # Partitioned asset checks are a preview in Dagster 1.13; they are what runs a check per partition.
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)
        severity = connection.permissions.fail_closed_severity
        for name, evaluate in (("no_fail_closed_rows", lambda df: fail_closed_result(df, severity)),
                               ("principals_mapped", unmapped_result)):
            def make(evaluate=evaluate, name=name):
                doc = (fail_closed_result if name == "no_fail_closed_rows" else unmapped_result).__doc__

                @dg.asset_check(asset=asset, name=name, partitions_def=spaces, description=doc)
                def _check(value: pl.DataFrame) -> dg.AssetCheckResult:
                    return evaluate(value)
                return _check
            checks.append(make())
    return checks
