"""Writing Parquet so that readers never see half a file and a killed writer leaves nothing behind.

A frame is written under `<root>/.staging/`, flushed to disk (local storage), then renamed into place:
a rename within one filesystem is atomic, so a reader sees the old file or the new one. Staging lives
outside the data folders so that directory scans of an asset never meet a temporary file, even one a
killed process left behind.

On object storage (s3://, gs://, abfs://, any non-local fsspec URL) a rename is a copy and a delete: not
atomic, and twice the traffic. There the frame is written to a local temporary file and uploaded to its
final name in one put (fsspec's put_file: one PUT, or a multipart upload that becomes visible only when
completed and is aborted on failure), so readers see the old object or the new one and a killed writer
leaves nothing. No staging objects are written there.
"""

from __future__ import annotations

import errno
import os
import tempfile
import uuid

import polars as pl
from upath import UPath

from ..storage_root import LOCAL_PROTOCOLS, is_local, root_path

__all__ = ["LOCAL_PROTOCOLS", "STAGING", "StorageWriteError", "is_local", "root_path", "staged_target",
           "write_parquet_atomically"]

STAGING = ".staging"


class StorageWriteError(OSError):
    """A partition could not be written. The message names the file, the cause and what was kept; `errno`
    is the operating system's (ENOSPC for a full disk, EACCES, EROFS, ENOTDIR...)."""

    def __init__(self, message: str, errno_: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno_

    def __str__(self) -> str:
        return str(self.args[0])


def write_parquet_atomically(frame: pl.DataFrame, target: UPath, root: UPath) -> UPath:
    if not is_local(target):
        return _put_whole(frame, target)
    # The staging tree mirrors the data tree, so a leftover temporary file still says what it was for.
    relative = str(target.relative_to(root)) if str(target).startswith(str(root)) else target.name
    temporary = root / STAGING / f"{relative}.{uuid.uuid4().hex}.tmp"
    try:
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
            _remove_quietly(temporary)
    except OSError as err:
        raise StorageWriteError(_explain(err, target, temporary), err.errno) from err
    return target


def _put_whole(frame: pl.DataFrame, target: UPath) -> UPath:
    """Object storage: the final object in one upload (see the module's docstring), from a local file so that
    a frame that fails to serialize never reaches the store and a big one is not held twice in memory."""
    try:
        with tempfile.TemporaryDirectory(prefix="km-upload-") as scratch:
            local = os.path.join(scratch, "data.parquet")
            with open(local, "wb") as handle:
                frame.write_parquet(handle)
            target.fs.put_file(local, target.path)
    except OSError as err:
        # A local failure (the temporary folder's disk is full) names the local file in the message.
        raise StorageWriteError(_explain(err, target, None), err.errno) from err
    return target


def _remove_quietly(temporary: UPath) -> None:
    """Remove a temporary file if it is there; a failure to do so must not hide the write's own error."""
    try:
        if temporary.exists():
            temporary.unlink()
    except OSError:
        pass  # it stays in staging, outside every asset's folder, where readers never look


def _explain(err: OSError, target: UPath, temporary: UPath | str | None) -> str:
    cause = err.strerror or str(err) or type(err).__name__
    code = f"{errno.errorcode[err.errno]}: " if err.errno in errno.errorcode else ""
    where = f" at {err.filename}" if err.filename and str(err.filename) not in (str(target), str(temporary)) else ""
    kept = "its previous data is unchanged" if _exists(target) else "nothing was written in its place"
    return f"cannot write {target}: {code}{cause}{where} ({type(err).__name__}); {kept}"


def _exists(path: UPath) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def staged_target(temporary: UPath, root: UPath) -> UPath:
    """The final path a staging file was written for."""
    relative = str(temporary.relative_to(root / STAGING))
    return root / relative.rsplit(".", 2)[0]
