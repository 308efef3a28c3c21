"""Extraction results kept by the file's sha256: one file attached to fifty pages is extracted once.

A result is reused while the extractor is the same; one that failed on a limit (time, memory) is
reused only under the same limits, since raising them may let it through.

The root is a local folder or an fsspec URL (the storage root's attachment_text/): locally an entry is
written beside its name and renamed into place; on object storage it is one put of the whole entry.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import asdict
from pathlib import Path

from upath import UPath

from ..storage_root import is_local, root_path
from .worker import Extraction, Limits

__all__ = ["TextCache"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TextCache:
    def __init__(self, root: Path | UPath | str) -> None:
        if isinstance(root, Path):
            self.root: Path | UPath = root
        else:
            self.root = Path(UPath(root).path) if is_local(root) else root_path(root)

    def _path(self, sha256: str) -> Path | UPath:
        if not _SHA256.match(sha256):  # the name comes from our own hashing; anything else stays out
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / f"{sha256}.json"

    def get(self, sha256: str, limits: Limits) -> Extraction | None:
        try:
            entry = json.loads(self._path(sha256).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict):
            return None
        if entry.pop("limits", None) != list(_limits_key(limits)) and entry.get("limited"):
            return None
        try:
            found = Extraction(**entry)
        except TypeError:  # written by another version of this module
            return None
        from .convert import EXTRACTOR

        return found if found.extractor == EXTRACTOR else None

    def put(self, sha256: str, result: Extraction, limits: Limits) -> None:
        target = self._path(sha256)
        text = json.dumps({**asdict(result), "limits": list(_limits_key(limits))})
        if isinstance(target, UPath) and not is_local(target):
            target.fs.pipe_file(target.path, text.encode("utf-8"))  # one put: the old entry or the new one
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            temp.write_text(text, "utf-8")
            os.replace(temp, target)  # readers see the old entry or the new one, never half of one
        finally:
            temp.unlink(missing_ok=True)


def _limits_key(limits: Limits) -> tuple:
    return (limits.time_limit_s, limits.memory_mb)
