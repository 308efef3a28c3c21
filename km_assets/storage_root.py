"""The storage root (km.yaml `storage.root`): a local folder or an fsspec URL (s3://, gs://, abfs://).

Every layer that reads or writes under the root (the Confluence client's attachment store, the KM tables,
the reports) goes through here, so it has no layer of its own to belong to and imports none.
"""

from __future__ import annotations

import os

from upath import UPath

__all__ = ["LOCAL_PROTOCOLS", "is_local", "root_path"]

LOCAL_PROTOCOLS = ("", "file", "local")


def is_local(path: UPath | str | os.PathLike) -> bool:
    """Whether a path (or storage root) is on the local file system rather than behind an fsspec URL."""
    return getattr(path, "protocol", None) in LOCAL_PROTOCOLS if isinstance(path, UPath) \
        else UPath(path).protocol in LOCAL_PROTOCOLS


def root_path(root: str | os.PathLike) -> UPath:
    """The storage root (`storage.root`: a folder or an fsspec URL) as a UPath.

    Object storage gets no listing cache: fsspec keeps one file system object per process and, by default,
    every listing it made, so a folder listed once would hide files that another process (a parallel space,
    a Dagster run worker, the UI's sensors) wrote under the same root afterwards. Credentials and the
    endpoint come from the file system's own configuration (for s3://: AWS_* variables, ~/.aws), never
    from km.yaml.
    """
    path = root if isinstance(root, UPath) else UPath(root)
    if path.protocol in LOCAL_PROTOCOLS:
        return path
    return UPath(path, **{**path.storage_options, "use_listings_cache": False})
