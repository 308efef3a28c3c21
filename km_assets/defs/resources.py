"""Dagster resources. The secret is an EnvVar: resolved at run time, never shown in the UI or logs."""

from __future__ import annotations

import dagster as dg

from ..config import ConnectionSettings
from ..confluence import ConfluenceClient, client_for

__all__ = ["ConfluenceResource", "confluence_resource"]


class ConfluenceResource(dg.ConfigurableResource):
    connection_name: str
    secret: str

    def client(self, connection: ConnectionSettings) -> ConfluenceClient:
        return client_for(connection, self.secret)


def confluence_resource(connection: ConnectionSettings) -> ConfluenceResource:
    return ConfluenceResource(connection_name=connection.name,
                              secret=dg.EnvVar(connection.auth.secret_env()))
