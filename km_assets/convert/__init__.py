"""Confluence storage format -> Markdown. No Dagster here: usable from notebooks and the CLI."""

from .context import ConversionContext, PageIndex, PageRef
from .converter import ConversionResult, StorageConverter, convert_storage

__all__ = ["ConversionContext", "ConversionResult", "PageIndex", "PageRef", "StorageConverter", "convert_storage"]
