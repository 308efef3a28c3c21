"""Which extractor a file gets, and why a file gets none: decided from its name, media type and size.

Confluence's media type is what the uploader's browser said (often `application/octet-stream`), so
the file name's extension decides where the media type is generic. Archives are refused outright:
unpacking them is how zip bombs and nested executables get in, and their members are not documents
an article can cite. Video, audio and images carry no text we extract (no OCR, no transcription).
"""

from __future__ import annotations

from pathlib import PurePosixPath

__all__ = ["ARCHIVE_TYPES", "KINDS", "ZIP_KINDS", "kind_of", "normal_media_type", "refusal"]

# kind -> (media types, extensions). Office formats need markitdown's extras; the rest are core.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pdf": (("application/pdf", "application/x-pdf"), (".pdf",)),
    "docx": (("application/vnd.openxmlformats-officedocument.wordprocessingml.document",), (".docx",)),
    "pptx": (("application/vnd.openxmlformats-officedocument.presentationml.presentation",), (".pptx",)),
    "xlsx": (("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",), (".xlsx",)),
    "csv": (("text/csv", "application/csv"), (".csv",)),
    "html": (("text/html", "application/xhtml+xml"), (".html", ".htm", ".xhtml")),
    "markdown": (("text/markdown", "text/x-markdown"), (".md", ".markdown")),
    "text": (("text/plain",), (".txt", ".text", ".log")),
}
ZIP_KINDS = frozenset({"docx", "pptx", "xlsx"})  # OOXML files are zip containers: guarded before opening
ARCHIVE_TYPES = ("application/zip", "application/x-zip-compressed", "application/x-tar", "application/gzip",
                 "application/x-gzip", "application/x-7z-compressed", "application/x-rar-compressed",
                 "application/vnd.rar", "application/x-bzip2", "application/x-xz", "application/java-archive")
ARCHIVE_EXTENSIONS = (".zip", ".tar", ".gz", ".tgz", ".7z", ".rar", ".bz2", ".xz", ".jar", ".war")
_GENERIC = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}


def normal_media_type(media_type: str | None) -> str:
    """Lower case, without parameters (`text/csv; charset=utf-8` -> `text/csv`)."""
    return (media_type or "").split(";")[0].strip().lower()


def _extension(filename: str | None) -> str:
    return PurePosixPath((filename or "").replace("\\", "/")).suffix.lower()


def kind_of(filename: str | None, media_type: str | None) -> str | None:
    """The extractor for this file, or None. A specific media type wins over the extension."""
    media, ext = normal_media_type(media_type), _extension(filename)
    for kind, (types, _) in KINDS.items():
        if media in types:
            return kind
    if media in _GENERIC or media.startswith("text/"):
        return next((kind for kind, (_, exts) in KINDS.items() if ext in exts), "text" if media else None)
    return None


def _matches(media: str, pattern: str) -> bool:
    pattern = pattern.strip().lower().removesuffix("*")
    return media.startswith(pattern) if pattern.endswith("/") else media == pattern


def refusal(filename: str | None, media_type: str | None, size: int, *, max_bytes: int,
            allowed: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why this file is not extracted at all (a skip, not a failure), or None."""
    media, ext = normal_media_type(media_type), _extension(filename)
    if media in ARCHIVE_TYPES or ext in ARCHIVE_EXTENSIONS:
        what = media if media and media not in _GENERIC and media in ARCHIVE_TYPES else ext
        return f"archive ({what}): archives are not unpacked"
    for family in ("video/", "audio/", "image/"):
        if media.startswith(family):
            return f"{family[:-1]} ({media}): no text to extract"
    if size > max_bytes:
        return f"{size} bytes, over attachments.max_bytes ({max_bytes})"
    kind = kind_of(filename, media_type)
    if kind is None:
        return f"no text extractor for {media or 'an unknown media type'} ({ext or 'no extension'})"
    if allowed and not any(_matches(media, p) for p in allowed):
        return f"media type {media or 'unknown'} is not in attachments.extract_media_types"
    return None
