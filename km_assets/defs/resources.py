"""Dagster resources. The secret is an EnvVar: resolved at run time, never shown in the UI or logs."""

from __future__ import annotations

import dagster as dg

from ..config import ConnectionSettings
from ..confluence import ConfluenceClient, EventLog, client_for

__all__ = ["ConfluenceResource", "confluence_resource"]


class ConfluenceResource(dg.ConfigurableResource):
    connection_name: str
    secret: str

    def client(self, connection: ConnectionSettings) -> ConfluenceClient:
        # The event log masks the secret in every message it records.
        return client_for(connection, self.secret, events=EventLog(connection.name, secrets=(self.secret,)))


def confluence_resource(connection: ConnectionSettings) -> ConfluenceResource:
    return ConfluenceResource(connection_name=connection.name,
                              secret=dg.EnvVar(connection.auth.secret_env()))
