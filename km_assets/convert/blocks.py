"""Tasks, layouts and small inline things: emoticons, time, inline-comment markers, editor placeholders."""

from __future__ import annotations

from typing import Any

from .macros.inline import emoticon

__all__ = ["BlocksMixin"]


class BlocksMixin:
    # -- tasks ------------------------------------------------------------------------------------
    def convert_ac_task_list(self, el: Any, text: str, parent_tags: set) -> str:
        if "_inline" in parent_tags:
            return text
        return "\n\n" + text.strip("\n") + "\n\n"

    def convert_ac_task(self, el: Any, text: str, parent_tags: set) -> str:
        status = el.find("ac:task-status")
        done = status is not None and status.get_text().strip() == "complete"
        depth = sum(1 for p in el.parents if getattr(p, "name", None) == "ac:task-list") - 1
        return f"{'  ' * max(depth, 0)}- [{'x' if done else ' '}] {text.strip()}\n"

    def convert_ac_task_id(self, el: Any, text: str, parent_tags: set) -> str:
        return ""

    convert_ac_task_status = convert_ac_task_id
    convert_ac_task_uuid = convert_ac_task_id

    def convert_ac_task_body(self, el: Any, text: str, parent_tags: set) -> str:
        nested = el.find("ac:task-list")
        if nested is None:
            return " ".join(text.split())
        head, _, tail = text.partition("\n")
        return " ".join(head.split()) + "\n" + tail

    # -- small inline things ----------------------------------------------------------------------
    def convert_ac_emoticon(self, el: Any, text: str, parent_tags: set) -> str:
        return emoticon(el)

    def convert_time(self, el: Any, text: str, parent_tags: set) -> str:
        return text or el.get("datetime", "")

    def convert_ac_inline_comment_marker(self, el: Any, text: str, parent_tags: set) -> str:
        return text  # the comment lives elsewhere; the marked text stays

    def convert_ac_placeholder(self, el: Any, text: str, parent_tags: set) -> str:
        return ""  # editor hints, never shown to readers

    # -- layouts: flattened in reading order ------------------------------------------------------
    def convert_ac_layout(self, el: Any, text: str, parent_tags: set) -> str:
        return f"\n\n{text.strip()}\n\n"

    convert_ac_layout_section = convert_ac_layout
    convert_ac_layout_cell = convert_ac_layout
