"""What every v1 renderer shares: the request's view of the site, expansions, times and link forms."""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .shared import Shared
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
    # Set by the routes: pieces repeated across a response are rendered and encoded once (see shared.py).
    shared: Shared | None = None
    # Indexes worked out once per request (the site cannot change while a handler holds its lock).
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def share(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """make(), or a placeholder for its value shared by every embedding of `key` in this response."""
        return make() if self.shared is None else self.shared.ref(key, make)


def parse_expand(value: str | None) -> frozenset[str]:
    """'a.b,c' -> {'a', 'a.b', 'c'}: asking for a nested expansion implies its parents."""
    wanted: set[str] = set()
    for item in (value or "").split(","):
        parts = [p for p in item.strip().split(".") if p]
        for i in range(1, len(parts) + 1):
            wanted.add(".".join(parts[:i]))
    return frozenset(wanted)


def sub(expand: set[str] | frozenset[str], key: str) -> frozenset[str]:
    """The expansions below `key`: sub({'space', 'space.homepage'}, 'space') == {'homepage'}."""
    return _sub(expand if isinstance(expand, frozenset) else frozenset(expand), key)


@functools.lru_cache(maxsize=4096)
def _sub(expand: frozenset[str], key: str) -> frozenset[str]:
    # Renderers ask the same few questions of the same few expansion sets for every item of a listing.
    prefix = key + "."
    return frozenset(e[len(prefix):] for e in expand if e.startswith(prefix))


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
