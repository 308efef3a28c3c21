"""Telling Cloud from Server/Data Center, and normalising the site URL a user typed.

Cloud answers `/_edge/tenant_info` at the site root with its cloudId; Server/DC publishes its version at
`/rest/applinks/1.0/manifest` (public, no login). The version decides which permission APIs exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

__all__ = ["Deployment", "detect_deployment"]


@dataclass
class Deployment:
    kind: str  # cloud | datacenter
    site_url: str  # normalised: Cloud ends in /wiki
    cloud_id: str | None = None
    version: str | None = None
    hints: list[str] = field(default_factory=list)

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return tuple(int(p) for p in (self.version or "").split(".") if p.isdigit())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _json(client: httpx.Client, url: str) -> dict | None:
    try:
        response = client.get(url, headers={"Accept": "application/json"})
    except httpx.TransportError:
        return None
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def detect_deployment(url: str, *, transport: httpx.BaseTransport | None = None, timeout: float = 15.0,
                      declared: str = "auto") -> Deployment:
    """Ask the site what it is. Raises httpx.TransportError when the site cannot be reached at all."""
    url = url.rstrip("/")
    path = urlsplit(url).path.rstrip("/")
    with httpx.Client(transport=transport, timeout=timeout, follow_redirects=False) as client:
        client.get(_origin(url) + "/")  # reachability and TLS first: its error is the clearest
        tenant = _json(client, _origin(url) + "/_edge/tenant_info") if declared in ("auto", "cloud") else None
        if tenant and tenant.get("cloudId"):
            deployment = Deployment("cloud", url, cloud_id=str(tenant["cloudId"]))
            if not path.endswith("/wiki"):
                deployment.site_url = _origin(url) + "/wiki"
                deployment.hints.append(f"Cloud site URLs end in /wiki: use {deployment.site_url} (given {url})")
            return deployment
        manifest = _json(client, url + "/rest/applinks/1.0/manifest")
        if manifest is None and path.endswith("/wiki"):
            trimmed = url.removesuffix("/wiki")
            manifest = _json(client, trimmed + "/rest/applinks/1.0/manifest")
            if manifest is not None:
                deployment = Deployment("datacenter", trimmed, version=manifest.get("version"))
                deployment.hints.append(f"Server/Data Center URLs have no /wiki unless the site runs under that "
                                        f"context path: use {trimmed} (given {url})")
                return deployment
        if manifest is not None:
            return Deployment("datacenter", url, version=manifest.get("version"))
    kind = "cloud" if declared == "cloud" else "datacenter"
    return Deployment(kind, url, hints=["could not identify the deployment (no tenant_info, no applinks manifest); "
                                        f"assuming {kind}"])
