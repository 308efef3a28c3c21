"""v1 paging, with each flavor's quirks.

- Cloud pages `content/search` by an opaque cursor carried inside `_links.next`; other listings by
  `start`/`limit`, their `next` link led by `next=true` (demisto recording).
- Data Center silently caps the page size by expansion (50 with body, 200 with other expansions, 1000
  with none) and, like CONFSERVER-95272, computes the `start` of `next` from the requested limit rather
  than from what it returned, so a client that trusts `next` skips items.
- Data Center answers `limit=0` with an empty page whose `next` does not advance (baton-confluence-
  datacenter's user-list recording): a client that sends 0 and follows `next` never ends.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from starlette.requests import Request

from .http import ApiContext, BadRequest, int_param

__all__ = ["Pager", "decode_cursor", "encode_cursor"]

_PAGING_PARAMS = ("start", "limit", "cursor", "next", "prev")
CLOUD_MAX_LIMIT = 250


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(text.removeprefix("offset:"))
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(f"Invalid cursor: {cursor}") from None


def _query(params: dict) -> str:
    # Commas stay literal, as Confluence writes `expand=a,b` in its links.
    return urlencode(params, safe=",")


class Pager:
    def __init__(self, api: ApiContext) -> None:
        self.api = api
        self.cloud = api.options.cloud

    @staticmethod
    def dc_cap(request: Request) -> int:
        expand = request.query_params.get("expand") or ""
        if "body" in expand:
            return 50
        return 200 if expand else 1000

    def limit(self, request: Request, default: int = 25) -> int:
        """The page size actually served: out-of-range values are clamped, never refused, except < 0."""
        requested = int_param(request, "limit", default)
        if requested < 0:
            raise BadRequest("Limit must be a positive number")
        if requested == 0:
            return default if self.cloud else 0
        return min(requested, CLOUD_MAX_LIMIT if self.cloud else self.dc_cap(request))

    def page(self, request: Request, items: Sequence, render: Callable, path: str, *, cursor: bool = False,
             default: int = 25) -> dict:
        params = {k: v for k, v in request.query_params.multi_items() if k not in _PAGING_PARAMS}
        limit = self.limit(request, default)
        if cursor and request.query_params.get("cursor"):
            start = decode_cursor(request.query_params["cursor"])
        else:
            start = max(int_param(request, "start", 0), 0)
        chunk = items[start:start + limit]
        base = self.api.base_url(request)
        links: dict = {"base": base, "context": self.api.context_path,
                       "self": f"{base}{path}" + (f"?{_query(params)}" if params else "")}
        if start + len(chunk) < len(items):
            if cursor:
                query = {"next": "true", "cursor": encode_cursor(start + limit), **params, "limit": limit}
            elif self.cloud:
                query = {"next": "true", **params, "limit": limit, "start": start + limit}
            else:
                # CONFSERVER-95272: the step is the limit asked for, not the (capped) one served.
                query = {**params, "limit": limit, "start": start + int_param(request, "limit", default)}
            links["next"] = f"{path}?{_query(query)}"
        if start > 0:
            prev = max(start - limit, 0)
            query = ({"prev": "true", "cursor": encode_cursor(prev), **params, "limit": limit} if cursor
                     else {**params, "limit": limit, "start": prev})
            links["prev"] = f"{path}?{_query(query)}"
        return {"results": [render(i) for i in chunk], "start": start, "limit": limit, "size": len(chunk),
                "_links": links}
