"""Tables: GFM pipe tables when they fit, otherwise HTML or GFM with merged cells repeated (by choice)."""

from __future__ import annotations

from typing import Any

__all__ = ["TablesMixin"]


class TablesMixin:
    """First cut: markdownify's own table conversion. Merged cells and block content come next."""

    context: Any
