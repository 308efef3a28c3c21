"""`km explain-access`: the chain behind one principal's access to one article, in words.

space grant -> each restricted ancestor -> the page -> the verdict (read and edit). The verdict is the
one compute_permission_map's rows give (both are Rules), so an explanation never disagrees with the map.
"""

from __future__ import annotations

from ...config import KmConfig
from .facts import find_space_inputs
from .model import ANONYMOUS, Node, Restriction, SpaceInputs, create_operation
from .rules import Rules

__all__ = ["explain_access", "explain_access_from_storage", "parse_principal"]


def parse_principal(inputs: SpaceInputs, text: str) -> tuple[str, str]:
    """'anonymous', 'group:NAME', 'user:ID', or a bare name (a group if some grant or restriction names
    a group so, else a user)."""
    if text == ANONYMOUS:
        return "anonymous", ANONYMOUS
    kind, sep, name = text.partition(":")
    if sep and kind in ("user", "group"):
        return kind, name
    if text in Rules(inputs).known_groups() or text in inputs.group_members:
        return "group", text
    return "user", text


def _names(r: Restriction) -> str:
    parts = [f"users {', '.join(sorted(r.users))}" if r.users else "",
             f"groups {', '.join(sorted(r.groups))}" if r.groups else ""]
    return "; ".join(p for p in parts if p) or "nobody"


def _admits(r: Restriction, kind: str, name: str, groups: frozenset[str]) -> str:
    if r.error is not None:
        return f"UNKNOWN ({r.error}): fails closed"
    if kind == "user" and name in r.users:
        return f"admits {name} (listed)"
    hit = sorted(groups & r.groups)
    return f"admits through group {', '.join(hit)}" if hit else f"does not admit {name}"


def _space_lines(rules: Rules, kind: str, name: str, groups: frozenset[str], node: Node) -> list[str]:
    inputs = rules.inputs
    if inputs.grants_error is not None:
        return [f"space {inputs.space_key}: permissions UNKNOWN ({inputs.grants_error}): nobody is granted"]
    lines = []
    for label, operation in (("view", "read"), ("add content", create_operation(node.content_type))):
        h = rules.holders(operation)
        via = ([f"user {name}"] if kind == "user" and name in h.users else []) + \
              [f"group {g}" for g in sorted(groups & h.groups)] + (["anonymous access"] if h.anonymous else [])
        lines.append(f"space {inputs.space_key} {label} ({operation}): "
                     + (f"granted through {', '.join(via)}" if via else "NOT granted"))
    return lines


def explain_access(inputs: SpaceInputs, content_id: str, principal: str) -> str:
    node = inputs.nodes.get(content_id)
    if node is None or not node.in_listing:
        raise LookupError(f"content {content_id} is not an article of space {inputs.space_key}")
    rules = Rules(inputs)
    kind, name = parse_principal(inputs, principal)
    groups: frozenset[str] = frozenset()
    lines = [f"{node.content_type} {node.content_id} \"{node.title}\" in space {inputs.space_key}; "
             f"principal {kind} {name}"]
    membership_known = True
    if kind == "user":
        m = rules.user_groups(name)
        membership_known = m is not None and m.error is None
        if membership_known:
            groups = m.names
            lines.append(f"  groups of {name}: {', '.join(sorted(groups)) or '(none)'}")
        else:
            lines.append(f"  groups of {name}: " + (f"UNKNOWN ({m.error}): fails closed" if m else "not looked up"))
    elif kind == "group":
        groups = frozenset({name})
    lines += [f"  {line}" for line in _space_lines(rules, kind, name, groups, node)]
    for cid, level in zip(node.chain_ids, rules.chain(node), strict=True):
        is_page = cid == node.content_id
        label = f"page {cid}" if is_page else f"ancestor {cid}"
        if level is None or level.error is not None:
            lines.append(f"  {label}: could not be read ({level.error if level else 'not fetched'}): fails closed")
            continue
        if level.read.restricted:
            lines.append(f"  {label} \"{level.title}\": read restricted to {_names(level.read)}: "
                         f"{_admits(level.read, kind, name, groups)}")
        elif is_page:
            lines.append(f"  {label}: no read restriction of its own")
        if is_page and level.update.restricted:
            lines.append(f"  {label}: update restricted to {_names(level.update)}: "
                         f"{_admits(level.update, kind, name, groups)} (edit only, not inherited)")
    for access in ("read", "edit"):
        blocked = rules.blocked(node, access)
        if kind == "anonymous":
            ok = rules.anonymous_access(node, access)
        elif kind == "group":
            ok = rules.group_access(name, node, access)
        else:
            ok = membership_known and rules.user_access(name, groups, node, access)
        if ok:
            where = rules.source(node, access)
            verdict = f"GRANTED (decided at {where[0]} {where[1]})"
        elif blocked is not None:
            verdict = f"DENIED, fail closed: {blocked[1]}"
        elif kind == "user" and rules.user_groups(name) is None:
            verdict = (f"NOT GRANTED to {name} by name; no grant or restriction names {name}, so the map did "
                       "not look up their groups")
        elif not membership_known:
            verdict = "DENIED, fail closed: the user's groups could not be read"
        else:
            verdict = "DENIED"
        lines.append(f"verdict {access}: {verdict}")
        if not ok and kind == "user" and rules.user_groups(name) is None and blocked is None:
            # The map never looked this user up (named by no grant or restriction): say who is granted,
            # so the user's own groups can be checked against it.
            through = sorted(g for g in rules.candidate_groups(node) if rules.group_access(g, node, access))
            through += ["anonymous"] if rules.anonymous_access(node, access) else []
            lines.append(f"  {access} is granted to members of: {', '.join(through) or 'no group'}")
    return "\n".join(lines)


def explain_access_from_storage(config: KmConfig, connection_name: str, content_id: str, principal: str) -> str:
    """explain_access over the facts the permission_map asset stored under config.storage.root."""
    connection = config.connection(connection_name)
    inputs = find_space_inputs(config.storage.root, connection.asset_prefix, content_id)
    return explain_access(inputs, content_id, principal)
