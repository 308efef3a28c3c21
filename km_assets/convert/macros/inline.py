"""Emoticons and emoji as Unicode."""

from __future__ import annotations

from typing import Any

__all__ = ["emoticon"]

_EMOTICONS = {"tick": "✅", "cross": "❌", "warning": "⚠️", "information": "ℹ️", "smile": "🙂",
              "sad": "🙁", "cheeky": "😛", "laugh": "😄", "wink": "😉", "light-on": "💡", "light-off": "💡",
              "yellow-star": "⭐", "red-star": "⭐", "green-star": "⭐", "blue-star": "⭐", "thumbs-up": "👍",
              "thumbs-down": "👎", "question": "❓", "plus": "➕", "minus": "➖", "heart": "❤️",
              "broken-heart": "💔"}


def emoticon(el: Any) -> str:
    fallback = el.get("ac:emoji-fallback")
    if fallback and not fallback.startswith(":"):
        return fallback
    name = el.get("ac:name", "")
    return _EMOTICONS.get(name) or fallback or f":{name}:"
