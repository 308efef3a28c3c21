"""Flattening v1 content JSON into raw_content rows: what Confluence said, nothing derived."""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["attachment_record", "comment_record", "content_record", "parse_time", "person_id", "person_name"]


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def person_id(person: dict | None) -> str | None:
    """Cloud identifies people by accountId; Server/DC by userKey (username as a fallback)."""
    if not person:
        return None
    return person.get("accountId") or person.get("userKey") or person.get("username")


def person_name(person: dict | None) -> str | None:
    if not person:
        return None
    return person.get("displayName") or person.get("publicName") or person.get("username")


def _restricted(item: dict, kind: str) -> list[str]:
    read = ((item.get("restrictions") or {}).get("read") or {}).get("restrictions") or {}
    results = (read.get(kind) or {}).get("results") or []
    if kind == "user":
        return [pid for pid in (person_id(r) for r in results) if pid]
    return [r["name"] for r in results if r.get("name")]


def content_record(item: dict[str, Any], base_url: str) -> dict[str, Any]:
    history = item.get("history") or {}
    version = item.get("version") or history.get("lastUpdated") or {}
    space = item.get("space") or {}
    ancestors = item.get("ancestors") or []
    links = item.get("_links") or {}
    labels = ((item.get("metadata") or {}).get("labels") or {}).get("results") or []
    webui = links.get("webui")
    return {
        "content_id": str(item["id"]),
        "content_type": item.get("type"),
        "status": item.get("status"),
        "space_key": space.get("key"),
        "space_name": space.get("name"),
        "title": item.get("title"),
        "version": int(version.get("number") or 0),
        "created_at": parse_time(history.get("createdDate")),
        "created_by": person_id(history.get("createdBy")),
        "created_by_name": person_name(history.get("createdBy")),
        "modified_at": parse_time(version.get("when")),
        "modified_by": person_id(version.get("by")),
        "modified_by_name": person_name(version.get("by")),
        "labels": [label.get("name") for label in labels if label.get("name")],
        "ancestor_ids": [str(a["id"]) for a in ancestors],
        "parent_id": str(ancestors[-1]["id"]) if ancestors else None,
        "read_restriction_users": _restricted(item, "user"),
        "read_restriction_groups": _restricted(item, "group"),
        "has_attachments": _has_children(item, "attachment"),
        "has_comments": _has_children(item, "comment"),
        "body_storage": ((item.get("body") or {}).get("storage") or {}).get("value"),
        "url": ((links.get("base") or base_url).rstrip("/") + webui) if webui else None,
    }


def _has_children(item: dict, kind: str) -> bool | None:
    """From `childTypes`: None when it was not expanded (unknown), else whether any exist."""
    child = (item.get("childTypes") or {}).get(kind)
    return bool(child.get("value")) if isinstance(child, dict) else None


def attachment_record(item: dict[str, Any], container_id: str, base_url: str) -> dict[str, Any]:
    links = item.get("_links") or {}
    version = item.get("version") or {}
    extensions = item.get("extensions") or {}
    download = links.get("download")
    base = (links.get("base") or base_url).rstrip("/")
    return {
        "attachment_id": str(item["id"]),
        "container_id": container_id,
        "filename": item.get("title"),
        "media_type": extensions.get("mediaType") or (item.get("metadata") or {}).get("mediaType"),
        "file_size": extensions.get("fileSize"),
        "version": int(version.get("number") or 1),
        "created_at": parse_time(version.get("when")),
        "created_by": person_id(version.get("by")),
        "status": item.get("status"),
        # Cloud's media platform id of the stored binary (v1 extensions.fileId = v2 fileId): equal ids are
        # equal bytes. Data Center has none.
        "file_id": extensions.get("fileId") or item.get("fileId"),
        "download_path": download,
        "download_url": (download if download and download.startswith("http") else
                         (base + download) if download else None),
    }


def comment_record(item: dict[str, Any], container_id: str) -> dict[str, Any]:
    history = item.get("history") or {}
    version = item.get("version") or {}
    return {
        "comment_id": str(item["id"]),
        "container_id": container_id,
        "version": int(version.get("number") or 1),
        "created_at": parse_time(history.get("createdDate")),
        "created_by": person_id(history.get("createdBy")),
        "body_storage": ((item.get("body") or {}).get("storage") or {}).get("value"),
    }
