"""What every v1 renderer shares: the request's view of the site, expansions, times and link forms."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from .site import Site, User

__all__ = ["View", "collection", "friendly", "iso", "parse_expand", "sub", "tiny_link"]


@dataclass(frozen=True)
class View:
    """One request's rendering context. `base` is the absolute site root, `context` the context path."""

    site: Site
    cloud: bool
    base: str
    context: str
    cloud_id: str = ""
    viewer: User | None = None
    restriction_limit: int = 200  # expanded restriction lists stop here (SandboxOptions.restriction_limit)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def parse_expand(value: str | None) -> set[str]:
    """'a.b,c' -> {'a', 'a.b', 'c'}: asking for a nested expansion implies its parents."""
    wanted: set[str] = set()
    for item in (value or "").split(","):
        parts = [p for p in item.strip().split(".") if p]
        for i in range(1, len(parts) + 1):
            wanted.add(".".join(parts[:i]))
    return wanted


def sub(expand: set[str], key: str) -> set[str]:
    """The expansions below `key`: sub({'space', 'space.homepage'}, 'space') == {'homepage'}."""
    prefix = key + "."
    return {e[len(prefix):] for e in expand if e.startswith(prefix)}


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def friendly(at: datetime) -> str:
    return f"{at:%b %d, %Y}"


def tiny_link(content_id: str) -> str:
    """Confluence's tiny link: the id as 8 little-endian bytes in base64, trailing 'A's and '=' dropped,
    with '/' and '+' made URL-safe (64290828 -> DADVAw, as in the go-atlassian recording)."""
    digits = content_id.removeprefix("att")
    if not digits.isdigit():
        return f"/x/{content_id}"
    encoded = base64.b64encode(int(digits).to_bytes(8, "little")).decode().rstrip("=").rstrip("A")
    return "/x/" + encoded.replace("/", "-").replace("+", "_")


def collection(results: list, self_url: str, *, limit: int = 25, start: int = 0) -> dict:
    """An embedded paged collection, as expansions render them (children.page, metadata.labels ...)."""
    return {"results": results, "start": start, "limit": limit, "size": len(results),
            "_links": {"self": self_url}}
