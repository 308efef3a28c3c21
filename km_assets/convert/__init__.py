"""Confluence storage format -> Markdown. No Dagster here: usable from notebooks and the CLI."""

from .converter import ConversionContext, ConversionResult, StorageConverter, convert_storage

__all__ = ["ConversionContext", "ConversionResult", "StorageConverter", "convert_storage"]
