"""code and noformat: fenced blocks whose lines are byte for byte the macro's plain-text body.

The byte rule, which tests/convert/test_code.py checks with a CommonMark parser: the lines between the
opening and the closing fence are exactly the lines of the body (`"\\n".join(lines) == body`), so a body
ending in a newline gets an empty last line (a whitespace-only body is an empty block). Inside a list item
every line carries the item's indentation and inside a quote (info, panel...) the `> ` prefix: CommonMark
strips exactly those, so the parsed content is still the body. That is why nothing here strips, trims or
re-indents the body.

`linenumbers`, `collapse`, `firstline` and `theme` are presentation only and are dropped; the title is kept
as a bold line above the block (an info-string attribute would be invisible on GitHub).
"""

from __future__ import annotations

import re
from typing import Any

from ..nodes import child
from ..registry import parameter, register

__all__ = ["fence_for", "fenced", "inline_text", "language_for", "plain_body"]

# Confluence's names (old and new editor) -> the info strings GitHub/linguist and highlight.js know.
# Names already common (python, java, bash, sh, shell, sql, yaml, xml, text...) pass through unchanged.
_LANGUAGES = {
    "py": "python", "python3": "python", "js": "javascript", "ts": "typescript", "c#": "csharp",
    "cs": "csharp", "c++": "cpp", "erl": "erlang", "vb": "vbnet", "yml": "yaml", "rb": "ruby",
    "golang": "go", "actionscript3": "actionscript", "objective-c": "objectivec", "ps": "powershell",
    "md": "markdown", "none": "",  # "none" is Confluence's explicit "no highlighting"
}
_BACKTICKS = re.compile(r"`+")
# Characters that would start Markdown inline syntax in a title or a lozenge. `_` only at a word edge:
# intraword underscores (file_name.py) are literal in CommonMark and read better unescaped.
_INLINE_SPECIAL = re.compile(r"[\\`*\[\]<>|]|(?<!\w)_|_(?!\w)")


def language_for(name: str) -> str:
    """The fence info string for a Confluence language name; unknown names are kept as given."""
    name = name.strip()
    mapped = _LANGUAGES.get(name.lower(), name)
    # A backtick fence's info string may not contain backticks; spaces would split it into words.
    return re.sub(r"\s+", "-", mapped.replace("`", ""))


def fence_for(source: str) -> str:
    """A backtick fence longer than any backtick run in the source, so the body can never close it."""
    longest = max((len(run) for run in _BACKTICKS.findall(source)), default=0)
    return "`" * max(3, longest + 1)


def fenced(source: str, info: str = "") -> str:
    """The fenced block for `source`, following the byte rule above (an empty body gives no lines)."""
    fence = fence_for(source)
    body = f"{source}\n" if source else ""
    return f"{fence}{info}\n{body}{fence}"


def inline_text(text: str) -> str:
    """Plain text made safe inside Markdown inline syntax (titles, lozenges), whitespace collapsed."""
    return _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(text.split()))


def plain_body(el: Any) -> str:
    """The macro's raw body: CDATA and split CDATA come back joined, nothing unescaped twice."""
    body = child(el, "ac:plain-text-body")
    return body.get_text() if body is not None else ""


@register("code", "noformat")
def code(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    info = language_for(parameter(el, "language")) if (el.get("ac:name") or "").lower() == "code" else ""
    title = parameter(el, "title").strip()
    heading = f"**{inline_text(title)}**\n\n" if title else ""
    source = plain_body(el)
    # A blank body is an empty block: the HTML parser collapses whitespace-only text (even CDATA, and an
    # empty CDATA section to " "), so its exact bytes are gone before we see it.
    return f"\n\n{heading}{fenced(source if source.strip() else '', info)}\n\n"
