"""One Dagster concurrency pool per connection: the steps that call Confluence hold a slot of it.

Two schedules, a backfill and a `km sync` can run at once, in processes or pods of their own. The pool
bounds how many of their API steps run together across the whole Dagster instance (the instance's
database keeps the slots, so this holds across machines too), and each such step takes its share of the
connection's rate: `requests_per_second / slots` (see `ConfluenceResource.client`). Set the slots with
`dagster instance concurrency set <pool> <n>` or the instance's `concurrency: pools: default_limit`.
How the connection's requests_per_second is shared is km.yaml's `rate_limit.shared`: `machine` (one bucket
per site in a file, exact on one machine, the default) or `pool` (1 / slots per step, for pods).
"""

from __future__ import annotations

from dagster import DagsterInstance

from ..config import ConnectionSettings

__all__ = ["PoolLimitMissing", "connection_pool", "pool_rate_share", "pool_slots"]


def connection_pool(connection: ConnectionSettings) -> str:
    """The pool of a connection's Confluence-calling steps (a pool name may hold letters, digits, _ - /)."""
    return f"confluence/{connection.asset_prefix}"


class PoolLimitMissing(RuntimeError):
    """rate_limit.shared: pool, but the connection's pool has no limit on the Dagster instance."""


def pool_slots(instance: DagsterInstance, connection: ConnectionSettings) -> int | None:
    """The pool's limit on the instance: its own (`dagster instance concurrency set`), else the
    instance's `concurrency: pools: default_limit`; None where neither is set."""
    pool = connection_pool(connection)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        info = storage.get_concurrency_info(pool)
        if info.slot_count:
            return info.slot_count
    default = instance.global_op_concurrency_default_limit
    return int(default) if default else None


def pool_rate_share(instance: DagsterInstance | None, connection: ConnectionSettings) -> float:
    """The part of the site's rate one pool slot may use: 1 / the pool's slots."""
    slots = pool_slots(instance, connection) if instance is not None else None
    if not slots:
        pool = connection_pool(connection)
        raise PoolLimitMissing(
            f"connection {connection.name!r}: rate_limit.shared is 'pool', but the Dagster concurrency pool "
            f"{pool!r} has no limit, so the site's rate cannot be divided among its steps. Set one: "
            f"`dagster instance concurrency set {pool} 4`, or `concurrency: pools: default_limit: 4` in "
            "dagster.yaml (the Helm chart's instance settings)")
    return 1.0 / slots
