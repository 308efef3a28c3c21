"""Small pieces of Markdown syntax shared by links, images and the macros that make lists of links.

Everything here must come out as valid CommonMark: labels escape what would end or restyle them, and
destinations with spaces or parentheses go in angle brackets (`[a](<my file.pdf>)`), which GFM accepts.
"""

from __future__ import annotations

import re
from html import escape as html_escape

__all__ = ["destination", "escape_text", "html_image", "image", "link", "one_line"]

# Brackets end a label, backticks/asterisks/'<' start code, emphasis or HTML. An underscore only
# emphasises at a word's edge, so `snake_case` stays as it is.
_SPECIAL = re.compile(r"([\\\[\]`*<])|(?<![^\W_])_|_(?![^\W_])")
_NEEDS_BRACKETS = re.compile(r"[\s()<>]")


def escape_text(text: str) -> str:
    """Literal text (a CDATA link body, a title, a file name) as Markdown that shows it verbatim."""
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), one_line(text))


def one_line(text: str) -> str:
    return " ".join(text.split())


def destination(url: str) -> str:
    """A link destination: bare when it can be, else in angle brackets (which cannot hold '<' or '>')."""
    if not _NEEDS_BRACKETS.search(url):
        return url
    return "<" + url.replace("<", "%3C").replace(">", "%3E").replace("\n", "%0A") + ">"


def _title(title: str) -> str:
    return ' "' + title.replace("\\", "\\\\").replace('"', '\\"') + '"' if title else ""


def link(label: str, target: str, title: str = "") -> str:
    """`[label](target)`; an absolute URL shown as itself becomes an autolink `<url>`."""
    if not label or label.replace("\\", "") == target:
        if "://" in target and not _NEEDS_BRACKETS.search(target) and not title:
            return f"<{target}>"
        label = label or escape_text(target)
    return f"[{label}]({destination(target)}{_title(title)})"


def image(alt: str, src: str, title: str = "") -> str:
    return f"![{escape_text(alt)}]({destination(src)}{_title(title)})"


def html_image(alt: str, src: str, title: str = "", size: tuple[str, str] | None = None) -> str:
    """An inline HTML `<img>`: the only GFM way to keep a size (see ImagesMixin for when we do)."""
    attrs = [f'src="{html_escape(src.replace(" ", "%20"))}"', f'alt="{html_escape(alt)}"']
    if title:
        attrs.append(f'title="{html_escape(title)}"')
    if size:
        attrs.append(f'{size[0]}="{size[1]}"')
    return f"<img {' '.join(attrs)}>"
