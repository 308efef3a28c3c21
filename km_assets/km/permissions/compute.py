"""The permission map of one space: who may read and edit each article, as rows.

A row with `granted` true grants its principal (every member, for a group; everyone, for anonymous).
Rows with `granted` false are fail-closed notes: data that could not be read, so that nobody, or that
principal, is granted; `flags` holds "fail_closed" and the cause, `reason` says it in words.

Groups are not expanded into users unless a restriction needs it (a group named at one level but not
another, or one without the space's view permission whose members may hold it otherwise). Users get the
KM roles of their groups; groups without a role mapping are kept and flagged, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from .model import ANONYMOUS, Node, SpaceInputs
from .rules import Rules

__all__ = ["ACCESSES", "PERMISSION_MAP", "compute_permission_map", "groups_to_expand", "users_to_look_up"]

ACCESSES = ("read", "edit")

PERMISSION_MAP = pl.Schema({
    "content_id": pl.String,
    "content_type": pl.String,  # page | blogpost
    "space_key": pl.String,
    "title": pl.String,
    "principal_type": pl.String,  # user | group | anonymous; null on an article-wide fail-closed note
    "principal": pl.String,  # Cloud account id or Server/DC user name; group name; "anonymous"
    "access": pl.String,  # read | edit
    "granted": pl.Boolean,  # false: a fail-closed note, not a grant
    "km_roles": pl.List(pl.String),  # a group's mapped role; a user's roles (from its groups)
    "source_kind": pl.String,  # space | page | ancestor: where the grant is decided
    "source_id": pl.String,  # the space key, or the content id of the deciding restriction
    "flags": pl.List(pl.String),
    "reason": pl.String,
})


def groups_to_expand(inputs: SpaceInputs) -> set[str]:
    """Groups whose members must be listed (before membership lookups)."""
    rules = Rules(inputs)
    out: set[str] = set()
    for node in inputs.articles():
        out |= rules.groups_to_expand(node)
    return out


def users_to_look_up(inputs: SpaceInputs) -> set[str]:
    """Users whose groups are needed: every user principal of an article (after group expansion)."""
    rules = Rules(inputs)
    out: set[str] = set()
    for node in inputs.articles():
        if rules.blocked(node, "read") is None:
            out |= rules.candidate_users(node)
    return out


def compute_permission_map(inputs: SpaceInputs, group_roles: Mapping[str, str]) -> pl.DataFrame:
    rules = Rules(inputs)
    rows: list[dict] = []
    for node in inputs.articles():
        rows.extend(_article_rows(rules, node, group_roles))
    if not rows:
        return pl.DataFrame(schema=PERMISSION_MAP)
    columns = {name: (_list_column(name, [r[name] for r in rows]) if isinstance(dtype, pl.List)
                      else pl.Series(name, [r[name] for r in rows], dtype=dtype))
               for name, dtype in PERMISSION_MAP.items()}
    return pl.DataFrame(columns).sort("content_id", "access", "principal_type", "principal",
                                                          nulls_last=True)


def _list_column(name: str, values: list[list[str]]) -> pl.Series:
    """Flags and roles repeat a handful of distinct lists: build those once and gather (polars builds a
    list column from Python lists one Series per value, which dominated the whole computation)."""
    index: dict[tuple[str, ...], int] = {}
    positions = [index.setdefault(tuple(v), len(index)) for v in values]
    distinct = pl.Series(name, [list(k) for k in index], dtype=pl.List(pl.String))
    return distinct.gather(positions)


def _row(node: Node, access: str, principal_type: str | None, principal: str | None, *, granted: bool,
         roles: list[str], source: tuple[str, str] | None, flags: list[str], reason: str | None) -> dict:
    return {"content_id": node.content_id, "content_type": node.content_type, "space_key": node.space_key,
            "title": node.title, "principal_type": principal_type, "principal": principal, "access": access,
            "granted": granted, "km_roles": roles, "source_kind": source[0] if source else None,
            "source_id": source[1] if source else None, "flags": flags, "reason": reason}


def _article_rows(rules: Rules, node: Node, group_roles: Mapping[str, str]) -> list[dict]:
    rows: list[dict] = []
    inputs = rules.inputs
    for access in ACCESSES:
        blocked = rules.blocked(node, access)
        if blocked is not None:
            flag, reason = blocked
            rows.append(_row(node, access, None, None, granted=False, roles=[], source=None,
                             flags=["fail_closed", flag], reason=f"nobody is granted {access}: {reason}"))
            continue
        source = rules.source(node, access)
        if rules.anonymous_access(node, access):
            rows.append(_row(node, access, "anonymous", ANONYMOUS, granted=True, roles=[], source=source,
                             flags=["anonymous"], reason=None))
        for group in sorted(rules.candidate_groups(node)):
            if rules.group_access(group, node, access):
                role = group_roles.get(group)
                rows.append(_row(node, access, "group", group, granted=True, roles=[role] if role else [],
                                 source=source, flags=[] if role else ["unmapped_group"],
                                 reason=None if role else f"group {group} has no KM role in group_roles"))
        for group in sorted(rules.groups_to_expand(node) & rules.relevant_groups(node, access)):
            members = inputs.group_members.get(group)
            if members is None or members.error is not None:
                why = members.error if members is not None else "not listed"
                rows.append(_row(node, access, "group", group, granted=False, roles=[], source=source,
                                 flags=["fail_closed", "group_members_unreadable"],
                                 reason=f"members of {group} who pass through it are not granted: {why}"))
        expanded = set()
        for group in rules.relevant_groups(node, access):
            members = inputs.group_members.get(group)
            if members is not None and members.error is None:
                expanded |= members.names
        for user in sorted(rules.candidate_users(node)):
            rows.extend(_user_rows(rules, node, access, user, source, group_roles, user in expanded))
    return rows


def _user_rows(rules: Rules, node: Node, access: str, user: str, source: tuple[str, str],
               group_roles: Mapping[str, str], expanded: bool) -> list[dict]:
    membership = rules.user_groups(user)
    if membership is None or membership.error is not None:
        # Could the user pass if in every group we know of? Only then is the unknown worth a note.
        if not rules.user_access(user, rules.known_groups(), node, access):
            return []
        why = membership.error if membership is not None else "not looked up"
        return [_row(node, access, "user", user, granted=False, roles=[], source=source,
                     flags=["fail_closed", "membership_unreadable"],
                     reason=f"the groups of {user} are unknown: {why}")]
    if not rules.user_access(user, membership.names, node, access):
        return []
    roles = sorted({group_roles[g] for g in membership.names if g in group_roles})
    flags = (["expanded_member"] if expanded else []) + ([] if roles else ["user_without_role"])
    return [_row(node, access, "user", user, granted=True, roles=roles, source=source, flags=flags,
                 reason=None if roles else f"none of the groups of {user} has a KM role")]
