"""Tasks, layouts and small inline things: emoticons, time, inline-comment markers, editor placeholders."""

from __future__ import annotations

from typing import Any

from .macros.inline import emoticon
from .nodes import child

__all__ = ["BlocksMixin"]

_NESTED_MARK = "\n  - ["  # how a nested task list starts inside its parent task's text (see below)


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.split("\n"))


class BlocksMixin:
    # -- tasks: GFM task list items ---------------------------------------------------------------
    # A nested task list comes in two shapes: the editor's, a task-list right after the task it belongs
    # to (a sibling inside the outer list), and older ones, inside the task's body. Either way it is
    # indented two spaces under the task before it, as a list nested in a "- " item must be, and kept
    # tight (no blank lines), so the outer list stays one list.
    def convert_ac_task_list(self, el: Any, text: str, parent_tags: set) -> str:
        items = text.strip("\n")
        if not items.strip():
            return ""
        parent = getattr(el.parent, "name", None)
        if parent in ("ac:task-list", "ac:task", "ac:task-body"):
            return "\n" + _indent(items) + "\n"
        if "_inline" in parent_tags:
            return items
        return "\n\n" + items + "\n\n"

    def convert_ac_task(self, el: Any, text: str, parent_tags: set) -> str:
        status = child(el, "ac:task-status")
        done = status is not None and status.get_text().strip().lower() == "complete"
        first, mark, nested = text.partition(_NESTED_MARK)
        line = f"- [{'x' if done else ' '}] {first.strip()}".rstrip()
        return line + (mark + nested.rstrip() if mark else "") + "\n"

    def convert_ac_task_id(self, el: Any, text: str, parent_tags: set) -> str:
        return ""  # bookkeeping for Confluence, not content

    convert_ac_task_status = convert_ac_task_id  # read by convert_ac_task
    convert_ac_task_uuid = convert_ac_task_id

    def convert_ac_task_body(self, el: Any, text: str, parent_tags: set) -> str:
        # The body is one line of inline content (a list item's first line); a nested list follows it.
        inline, mark, nested = text.partition(_NESTED_MARK)
        body = " ".join(inline.split())
        return body + (mark + nested.rstrip() if mark else "")

    # -- small inline things ----------------------------------------------------------------------
    def convert_ac_emoticon(self, el: Any, text: str, parent_tags: set) -> str:
        return emoticon(el)

    def convert_time(self, el: Any, text: str, parent_tags: set) -> str:
        # Confluence's date lozenge: the ISO date as written, which reads the same in every locale.
        return str(el.get("datetime") or "").strip() or text

    def convert_ac_inline_comment_marker(self, el: Any, text: str, parent_tags: set) -> str:
        return text  # the comment lives elsewhere; the marked text stays

    def convert_ac_placeholder(self, el: Any, text: str, parent_tags: set) -> str:
        return ""  # editor hints ("Type here..."), never shown to readers

    # -- layouts: flattened in reading order ------------------------------------------------------
    # Columns have no Markdown form; reading them cell by cell, section by section, is the order a
    # reader (and a screen reader) follows. Every cell is its own block, so cells never run together.
    def convert_ac_layout(self, el: Any, text: str, parent_tags: set) -> str:
        text = text.strip()
        return f"\n\n{text}\n\n" if text else ""

    convert_ac_layout_section = convert_ac_layout
    convert_ac_layout_cell = convert_ac_layout
