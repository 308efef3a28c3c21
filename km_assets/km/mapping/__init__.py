"""Metadata mapping: Confluence properties -> KM fields, with the lineage of every value. No Dagster here."""

from .engine import FIXED, LINEAGE, map_metadata, metadata_schema
from .explain import explain, explain_mapping

__all__ = ["FIXED", "LINEAGE", "explain", "explain_mapping", "map_metadata", "metadata_schema"]
