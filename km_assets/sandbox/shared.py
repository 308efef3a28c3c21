"""Pieces a response repeats, encoded to JSON once.

A listing embeds the same user, space and ancestor pages under many of its items. Within one request the
site cannot change (handlers hold its lock), so each such piece is rendered and encoded once and stands in
the tree as a placeholder string; `dumps` swaps the placeholders for the encoded text. The result is the
exact text json.dumps(..., ensure_ascii=False) gives for the tree with the pieces in place.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["Shared"]

_MARK = "\ue000"  # a private-use character: json.dumps leaves it as is, and no Confluence text uses it


class Shared:
    def __init__(self) -> None:
        # A nonce per request, so text that happens to contain the mark can never match a placeholder.
        nonce = secrets.token_hex(6)
        self._prefix = f"{_MARK}{nonce}:"
        self._pattern = re.compile(f'"{_MARK}{nonce}:(\\d+){_MARK}"')
        self._texts: list[str] = []
        self._refs: dict[Hashable, str] = {}

    def ref(self, key: Hashable, make: Callable[[], Any]) -> str:
        """The placeholder for `make()`'s value, made and encoded the first time `key` is asked for."""
        ref = self._refs.get(key)
        if ref is None:
            self._texts.append(self.dumps(make()))
            ref = self._refs[key] = f"{self._prefix}{len(self._texts) - 1}{_MARK}"
        return ref

    def dumps(self, body: Any) -> str:
        text = json.dumps(body, ensure_ascii=False)
        if not self._texts or _MARK not in text:
            return text
        return self._pattern.sub(lambda m: self._texts[int(m.group(1))], text)
