"""From a configured connection to a working client: the right auth for the deployment, the right URL.

- Cloud: HTTP Basic with the account e-mail and an API token (the same token as Bearer gets 403).
- Cloud scoped API tokens: Basic as well, but only through Atlassian's gateway,
  `{gateway}/ex/confluence/{cloudId}/wiki`, with the cloudId from the site's /_edge/tenant_info.
- Server/Data Center: a personal access token as Bearer (7.9+), or Basic with user name and password.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..config import ConnectionSettings
from .client import ClientSettings, ConfluenceClient
from .deployment import Deployment, detect_deployment
from .events import EventLog
from .politeness import SiteTokenBucket, site_bucket_path

__all__ = ["BearerAuth", "client_for", "resolve_deployment"]


class BearerAuth(httpx.Auth):
    """Authorization: Bearer <personal access token>. The repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


def resolve_deployment(connection: ConnectionSettings, *, transport: httpx.BaseTransport | None = None,
                       ) -> Deployment:
    declared = connection.deployment
    if declared == "server":
        declared = "datacenter"
    if declared != "auto" and not connection.auth.scoped:
        return Deployment(declared, connection.url)
    return detect_deployment(connection.url, transport=transport, declared=declared)


def _auth(connection: ConnectionSettings, secret: str) -> httpx.Auth:
    auth = connection.auth
    if auth.pat_env:
        return BearerAuth(secret)
    if not auth.username:
        raise ValueError(f"connection {connection.name!r}: auth.username is required with "
                         f"{'api_token_env' if auth.api_token_env else 'password_env'} (Basic auth); "
                         "Cloud uses the account e-mail")
    return httpx.BasicAuth(auth.username, secret)


_DECLARED_KIND = {"cloud": "cloud", "datacenter": "datacenter", "server": "datacenter"}


def client_for(connection: ConnectionSettings, secret: str, *, deployment: Deployment | None = None,
               events: EventLog | None = None, transport: httpx.BaseTransport | None = None,
               rate_share: float = 1.0, **kwargs: Any) -> ConfluenceClient:
    """A client for a configured connection. The secret is passed in, never read here from the environment.

    `rate_share`: the part of the site's requests_per_second this client may use (rate_limit.shared: pool
    gives each pool slot 1 / slots of it)."""
    if deployment is None and (connection.auth.scoped or connection.deployment == "auto"):
        deployment = resolve_deployment(connection, transport=transport)
    base_url = deployment.site_url if deployment is not None else connection.url
    if connection.auth.scoped:
        if deployment is None or not deployment.cloud_id:
            raise ValueError(f"connection {connection.name!r}: scoped API tokens need a Cloud site "
                             "(its /_edge/tenant_info gave no cloudId)")
        base_url = f"{connection.auth.gateway_url.rstrip('/')}/ex/confluence/{deployment.cloud_id}/wiki"
    limits = connection.rate_limit
    if not 0 < rate_share <= 1:
        raise ValueError(f"connection {connection.name!r}: a rate share must be in (0, 1], not {rate_share}")
    settings = ClientSettings(requests_per_second=limits.requests_per_second * rate_share,
                              max_concurrency=limits.max_concurrency, max_retries=limits.max_retries)
    log = events or EventLog(connection.name, secrets=(secret,))
    if limits.shared == "machine" and "clock" not in kwargs and "sleep" not in kwargs and "bucket" not in kwargs:
        # One budget for the site across this machine's processes (a test's fake clock keeps its own).
        # Half the site's burst: requests several processes take from one bucket reach the site with
        # scheduling jitter, and the site's unused burst absorbs it (a full burst drew 429s from a
        # limiter of the same size when four runs kept the rate saturated).
        rate = limits.requests_per_second
        kwargs["bucket"] = SiteTokenBucket(site_bucket_path(connection.url), rate, burst=max(1.0, rate / 2))
    client = ConfluenceClient(base_url, _auth(connection, secret), settings=kwargs.pop("settings", settings),
                              events=log, transport=transport, deployment=deployment,
                              declared_kind=_DECLARED_KIND.get(connection.deployment), **kwargs)
    return client
