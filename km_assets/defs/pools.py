"""One Dagster concurrency pool per connection: the steps that call Confluence hold a slot of it.

Two schedules, a backfill and a `km sync` can run at once, in processes or pods of their own. The pool
bounds how many of their API steps run together across the whole Dagster instance (the instance's
database keeps the slots, so this holds across machines too), and each such step takes its share of the
connection's rate: `requests_per_second / slots` (see `ConfluenceResource.client`). Set the slots with
`dagster instance concurrency set <pool> <n>` or km.yaml's `rate_limit.pool_slots`, which `km sync`
applies to the instance.
"""

from __future__ import annotations

from ..config import ConnectionSettings

__all__ = ["connection_pool"]


def connection_pool(connection: ConnectionSettings) -> str:
    """The pool of a connection's Confluence-calling steps (a pool name may hold letters, digits, _ - /)."""
    return f"confluence/{connection.asset_prefix}"
