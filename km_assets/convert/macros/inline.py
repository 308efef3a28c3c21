"""Emoticons and emoji as Unicode.

Server and old Cloud pages name one of Confluence's own emoticons (`ac:name="tick"`). Cloud's emoji
picker adds `ac:emoji-id` (the code points, "1f600", or "atlassian-…" for Atlassian's own set),
`ac:emoji-shortname` (":grinning:") and `ac:emoji-fallback` (the emoji itself, or the short name when
there is no Unicode form); for those `ac:name` is often a stand-in ("blue-star"), so the emoji
attributes win. What has no Unicode form (a site's custom emoji) stays as its `:shortname:`.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["emoticon"]

# Confluence's named emoticons (the editor's legacy set), and Atlassian's emoji that stand for them.
# Coloured stars have no Unicode colours; a star is the closest every renderer shows.
_EMOTICONS = {
    "smile": "🙂", "sad": "🙁", "cheeky": "😛", "laugh": "😀", "wink": "😉",
    "thumbs-up": "👍", "thumbs-down": "👎", "information": "ℹ️", "tick": "✅", "cross": "❌",
    "warning": "⚠️", "plus": "➕", "minus": "➖", "question": "❓", "light-on": "💡", "light-off": "💡",
    "yellow-star": "⭐", "red-star": "⭐", "green-star": "⭐", "blue-star": "⭐", "heart": "❤️",
    "broken-heart": "💔", "flag": "🚩", "flag-off": "🏳️",
}
_ATLASSIAN = {
    "check_mark": "✅", "cross_mark": "❌", "warning": "⚠️", "info": "ℹ️", "question_mark": "❓",
    "plus": "➕", "minus": "➖", "light_bulb_on": "💡", "light_bulb_off": "💡", "yellow_star": "⭐",
    "red_star": "⭐", "green_star": "⭐", "blue_star": "⭐", "flag_on": "🚩", "flag_off": "🏳️",
}
_CODE_POINTS = re.compile(r"[0-9a-f]{2,6}(?:-[0-9a-f]{2,6})*")


def _from_code_points(emoji_id: str) -> str | None:
    """ "1f600" -> 😀, "1f44d-1f3fb" -> 👍🏻; None for ids that are not code points."""
    if not _CODE_POINTS.fullmatch(emoji_id.lower()):
        return None
    points = [int(part, 16) for part in emoji_id.split("-")]
    if any(p < 0x20 or p > 0x10FFFF or 0xD800 <= p <= 0xDFFF for p in points):
        return None
    return "".join(map(chr, points))


def _is_emoji(text: str) -> bool:
    # A fallback is either the emoji itself or, when there is none, the ":shortname:" again.
    return bool(text) and not (text.startswith(":") and text.endswith(":")) and any(ord(c) > 0x2000 for c in text)


def emoticon(el: Any) -> str:
    name = str(el.get("ac:name") or "").strip()
    emoji_id = str(el.get("ac:emoji-id") or "").strip()
    shortname = str(el.get("ac:emoji-shortname") or "").strip()
    fallback = str(el.get("ac:emoji-fallback") or "").strip()
    if _is_emoji(fallback):
        return fallback
    from_id = _from_code_points(emoji_id)
    if from_id:
        return from_id
    if emoji_id.startswith("atlassian-") and emoji_id[len("atlassian-"):] in _ATLASSIAN:
        return _ATLASSIAN[emoji_id[len("atlassian-"):]]
    if name in _EMOTICONS and not (name == "blue-star" and (shortname or fallback)):
        return _EMOTICONS[name]  # "blue-star" with emoji attributes is the picker's stand-in, not a star
    shortname = shortname or fallback
    if shortname.strip(":") in _ATLASSIAN:
        return _ATLASSIAN[shortname.strip(":")]
    if shortname:
        return shortname if shortname.startswith(":") else f":{shortname}:"
    return f":{name}:" if name else ""
