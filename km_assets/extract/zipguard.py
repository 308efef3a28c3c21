"""A zip container's central directory checked before anything unpacks it (OOXML files are zips).

The directory is read, never the members, so the check costs a few kilobytes whatever the members
claim. It refuses what a zip bomb needs: members that claim more than the configured total, too many
members, or members that overlap (one compressed stream counted many times: the "zbsm" construction
of Fifield's non-recursive zip bomb, which Python before 3.13 happily reads).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["MAX_MEMBERS", "zip_problem"]

MAX_MEMBERS = 10_000
_LOCAL_HEADER = 30  # fixed part of a local file header; name and extra field come on top


def zip_problem(path: Path | str, max_unpacked: int) -> str | None:
    """Why this zip must not be opened, or None."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        return f"corrupt: not a readable zip container ({type(err).__name__}: {err})"
    if len(members) > MAX_MEMBERS:
        return f"zip bomb guard: {len(members)} members, more than {MAX_MEMBERS}"
    claimed = sum(m.file_size for m in members)
    if claimed > max_unpacked:
        return (f"zip bomb guard: {len(members)} members claim {claimed} bytes unpacked, over "
                f"attachments.max_unpacked_bytes ({max_unpacked})")
    ordered = sorted(members, key=lambda m: m.header_offset)
    for before, after in zip(ordered, ordered[1:], strict=False):
        end = before.header_offset + _LOCAL_HEADER + _name_bytes(before) + before.compress_size
        if after.header_offset < end:
            return f"zip bomb guard: members {before.filename!r} and {after.filename!r} overlap"
    return None


def _name_bytes(member: zipfile.ZipInfo) -> int:
    """The stored name's length: UTF-8 when flagged (bit 11), else code page 437, as zipfile decoded it."""
    encoding = "utf-8" if member.flag_bits & 0x800 else "cp437"
    return len(member.orig_filename.encode(encoding, errors="replace"))
