"""The `permissions:` section of a connection in km.yaml: the permission map's schedule and roles."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PermissionSettings"]


class PermissionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    schedule: Literal["hourly", "daily", "weekly"] = "daily"  # its own cadence, apart from content syncs
    group_roles: dict[str, str] = Field(default_factory=dict)  # Confluence group -> KM role
    # The "no fail-closed rows" check: warn (access withheld is safe, but someone should look) or error.
    fail_closed_severity: Literal["warn", "error"] = "warn"
