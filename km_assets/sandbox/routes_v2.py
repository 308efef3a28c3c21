"""v2 REST routes (Cloud only, /wiki/api/v2/...): cursor paging, id lists, sorts. Filled in by issue 3."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from .http import ApiContext

__all__ = ["v2_routes"]


def v2_routes(api: ApiContext) -> list[tuple[str, str, Callable[[Request], object]]]:
    return []
