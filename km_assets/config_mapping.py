"""The `mapping:` section of a connection in km.yaml: how Confluence properties become KM fields.

The default reproduces the seed's table (Title -> Article Title, Creator -> Author, Last Modified Date ->
Last Updated, Labels -> Tags, Space -> Category). Rules are validated when km.yaml loads.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["MappingSettings"]


class MappingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
