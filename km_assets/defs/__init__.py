"""Everything Dagster: assets, resources, partitions and the IO manager. The only layer that imports it."""

from .build import build_definitions

__all__ = ["build_definitions"]
