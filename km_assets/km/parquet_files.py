"""Writing Parquet so that readers never see half a file and a killed writer leaves nothing behind.

A frame is written under `<root>/.staging/`, flushed to disk (local storage), then renamed into place:
a rename within one filesystem is atomic, so a reader sees the old file or the new one. Staging lives
outside the data folders so that directory scans of an asset never meet a temporary file, even one a
killed process left behind.
"""

from __future__ import annotations

import os
import uuid

import polars as pl
from upath import UPath

__all__ = ["STAGING", "staged_target", "write_parquet_atomically"]

STAGING = ".staging"


def write_parquet_atomically(frame: pl.DataFrame, target: UPath, root: UPath) -> UPath:
    # The staging tree mirrors the data tree, so a leftover temporary file still says what it was for.
    relative = str(target.relative_to(root)) if str(target).startswith(str(root)) else target.name
    temporary = root / STAGING / f"{relative}.{uuid.uuid4().hex}.tmp"
    temporary.parent.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with temporary.open("wb") as handle:
            frame.write_parquet(handle)
            if getattr(target, "protocol", "") in ("", "file", "local"):
                handle.flush()
                os.fsync(handle.fileno())  # the renamed file must not be empty after a power cut
        temporary.rename(target)
    finally:
        if temporary.exists():
            temporary.unlink()
    return target


def staged_target(temporary: UPath, root: UPath) -> UPath:
    """The final path a staging file was written for."""
    relative = str(temporary.relative_to(root / STAGING))
    return root / relative.rsplit(".", 2)[0]
