"""Structure macros: expand, toc, anchor, excerpt, details (page properties), status, jira.

- expand: `<details><summary>` with blank lines around the body, so the Markdown inside still renders.
- toc: rebuilt from the page's own headings as a nested list of links to GitHub-style heading anchors.
- anchor: an empty `<a id>` so `#name` links (links.py writes them from `ac:anchor`) keep a target.
- status: a bold bracketed lozenge with the exact title text; the colour is dropped.
- jira: a link to the issue when the Jira site is known (see `_jira_site`), else the key as code; JQL
  tables and charts cannot be run offline, so they become text naming their query.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any
from urllib.parse import unquote, urlsplit

from ..nodes import children
from ..registry import is_inline, parameter, parameters, register
from .code import inline_text
from .inline import emoticon

__all__ = ["article_headings", "github_slug", "heading_text"]

_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]


@register("expand")
def expand(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    title = " ".join(parameter(el, "title").split()) or "Click here to expand..."  # Confluence's default
    if is_inline(parent_tags):
        return f" {inline_text(title)} {' '.join(text.split())} "
    body = text.strip()
    summary = f"<details>\n<summary>{html.escape(title, quote=False)}</summary>"
    # HTML blocks end at a blank line: the blank lines let the body (and </details>) be Markdown again.
    return f"\n\n{summary}\n\n{body}\n\n</details>\n\n" if body else f"\n\n{summary}\n\n</details>\n\n"


@register("excerpt", "details")
def transparent(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    # Kept even when `hidden`: the knowledge is the point of the article, and fidelity only counts recall.
    return text


@register("anchor")
def anchor(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    name = parameter(el, "").strip()
    return f'<a id="{html.escape(name)}"></a>' if name else ""


@register("status")
def status(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    # Confluence upper-cases the lozenge with CSS only; the stored title is what the author typed.
    title = parameter(el, "title").strip() or parameter(el, "colour").strip()
    return f"**[{inline_text(title)}]**" if title else ""


# -- jira -------------------------------------------------------------------------------------------------
def _jira_site(converter: Any, server: str) -> str:
    """The Jira base URL, or '' when it cannot be known offline.

    `server`/`serverId` name an application link we cannot resolve. On Confluence Cloud the site's own Jira
    ("System JIRA") lives on the same atlassian.net host, so that one case is linked; a Server/DC Jira runs
    on a host of its own and another Cloud site's Jira is somewhere else, so those stay unlinked.
    """
    parts = urlsplit(converter.context.site_url or "")
    if not parts.hostname or not parts.hostname.endswith(".atlassian.net"):
        return ""
    if server.strip() and server.strip().lower() != "system jira":
        return ""
    return f"{parts.scheme}://{parts.netloc}"


_ISSUE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-\d+")  # only a real key goes into a URL


def _code_span(text: str) -> str:
    text = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if longest or text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


@register("jira")
def jira(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    params = parameters(el)
    key = params.get("key", "").strip()
    if key:
        site = _jira_site(converter, params.get("server", ""))
        if not site or not _ISSUE_KEY.fullmatch(key):
            return _code_span(key)
        target = f"{site}/browse/{key}"
        converter.record_link(target, "external")
        return f"[{inline_text(key)}]({target})"
    query = params.get("jqlQuery") or params.get("") or params.get("url", "")
    return f"Jira issues: {_code_span(query)}" if query.strip() else "Jira issues"


@register("jirachart")
def jirachart(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    query = parameter(el, "jql")
    query = unquote(query) if "%" in query else query  # the chart macro stores its JQL URL-encoded
    kind = parameter(el, "chartType").strip()
    label = f"Jira {kind} chart" if kind else "Jira chart"
    return f"{label}: {_code_span(query)}" if query.strip() else label


# -- toc --------------------------------------------------------------------------------------------------
# github-slugger (what GitHub's anchors follow): lower-case, drop these categories unless the character is
# a letter, turn each space into '-'. Kept: letters, marks, decimal/letter numbers, '_', '-', ' '.
_SLUG_DROP = {"No", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Cc", "Cf", "Co", "Cn",
              "Zs", "Zl", "Zp"}
_SLUG_KEEP = {"-", " ", "_"}
_HIDDEN = {"ac:parameter", "ac:plain-text-body", "ac:placeholder", "ac:task-id", "ac:task-status",
           "ac:adf-attribute", "script", "style"}


def github_slug(text: str, seen: dict[str, int]) -> str:
    """The anchor GitHub gives a heading with this text; `seen` numbers repeats (`x`, `x-1`, ...)."""
    slug = "".join(ch for ch in text.lower()
                   if ch in _SLUG_KEEP or ch.isalpha() or unicodedata.category(ch) not in _SLUG_DROP)
    slug = slug.replace(" ", "-")
    base, result = slug, slug
    while result in seen:
        seen[base] += 1
        result = f"{base}-{seen[base]}"
    seen[result] = 0
    return result


def heading_text(heading: Any) -> str:
    """The heading as a reader sees it (emoji for emoticons, statuses' titles, links' page titles)."""
    parts: list[str] = []
    for node in heading.descendants:
        name = getattr(node, "name", None)
        if name == "ac:emoticon":
            parts.append(emoticon(node))
        elif name == "ac:structured-macro" and (node.get("ac:name") or "").lower() == "status":
            parts.append(f"[{parameter(node, 'title')}]")
        elif name == "ac:link" and not node.get_text(strip=True):
            target = node.find(["ri:page", "ri:blog-post"])
            parts.append(target.get("ri:content-title", "") if target is not None else "")
        elif (name is None and type(node).__name__ in ("NavigableString", "CData")
              and not any(getattr(p, "name", None) in _HIDDEN for p in node.parents)):
            parts.append(str(node))
    return " ".join("".join(parts).split())


def _level(value: str, default: int) -> int:
    return int(value) if value.strip().isdigit() else default


def _matches(pattern: str, text: str) -> bool:
    """Confluence's include/exclude are Java regexes over the whole heading; a bad one matches literally."""
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return pattern == text


def _shown(heading: Any, context: Any) -> bool:
    """Whether the heading becomes a Markdown heading of this article.

    Not in table cells (no heading there), not in a macro the policy drops, and only once for the new
    editor's extensions, which store their content twice: a panel converts from its ADF node, any other
    extension from its HTML fallback (as converter.py does).
    """
    for parent in heading.parents:
        name = parent.name
        if name in ("td", "th"):
            return False
        if name == "ac:structured-macro" and context is not None \
                and context.policy((parent.get("ac:name") or "").lower()) == "drop":
            return False
        extension = parent.parent if name in ("ac:adf-node", "ac:adf-fallback") else None
        if extension is not None and extension.name == "ac:adf-extension":
            panel = any(node.get("type") == "panel" for node in children(extension, "ac:adf-node"))
            if (name == "ac:adf-fallback") == panel:
                return False
    return True


def article_headings(root: Any, context: Any = None) -> list[tuple[int, str, str]]:
    """(level, text, slug) of every heading the article will have, in order, numbered as GitHub does."""
    seen: dict[str, int] = {}
    out: list[tuple[int, str, str]] = []
    for heading in root.find_all(_HEADINGS):
        text = heading_text(heading)
        if text and _shown(heading, context):
            out.append((int(heading.name[1]), text, github_slug(text, seen)))
    return out


@register("toc")
def toc(converter: Any, el: Any, text: str, parent_tags: set) -> str:
    params = parameters(el)
    low, high = _level(params.get("minLevel", ""), 1), _level(params.get("maxLevel", ""), 7)
    exclude, include = params.get("exclude", "").strip(), params.get("include", "").strip()
    root = el
    while root.parent is not None:
        root = root.parent
    lines: list[str] = []
    open_levels: list[int] = []  # levels of the entries above, for nesting without skipped levels
    # Every heading counts for the numbering of repeated slugs, even those the toc leaves out.
    for level, label, slug in article_headings(root, converter.context):
        if not low <= level <= high or (exclude and _matches(exclude, label)):
            continue
        if include and not _matches(include, label):
            continue
        while open_levels and open_levels[-1] >= level:
            open_levels.pop()
        lines.append(f"{'  ' * len(open_levels)}- [{inline_text(label)}](#{slug})")
        open_levels.append(level)
    return "\n\n" + "\n".join(lines) + "\n\n" if lines else ""
