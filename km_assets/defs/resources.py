"""Dagster resources. The secret is an EnvVar: resolved at run time, never shown in the UI or logs."""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from ..config import ConnectionSettings
from ..confluence import ConfluenceClient, EventLog, client_for
from .pools import pool_rate_share

__all__ = ["ConfluenceResource", "confluence_resource"]


class ConfluenceResource(dg.ConfigurableResource):
    connection_name: str
    secret: str
    _instance: dg.DagsterInstance | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # The run's instance holds the pool slots that `rate_limit.shared: pool` divides the rate by.
        self._instance = context.instance

    def client(self, connection: ConnectionSettings) -> ConfluenceClient:
        share = pool_rate_share(self._instance, connection) if connection.rate_limit.shared == "pool" else 1.0
        # The event log masks the secret in every message it records.
        return client_for(connection, self.secret, events=EventLog(connection.name, secrets=(self.secret,)),
                          rate_share=share)


def confluence_resource(connection: ConnectionSettings) -> ConfluenceResource:
    return ConfluenceResource(connection_name=connection.name,
                              secret=dg.EnvVar(connection.auth.secret_env()))
