"""Confluence's access rules over SpaceInputs, one principal at a time.

The rules, and the choices made where Confluence leaves room (each checked against Atlassian's docs):

- Read: the principal holds the space's view permission, and satisfies the read restriction of the
  content and of every ancestor that has one (an intersection: elastic PR #4297; Onyx's nearest-ancestor
  rule over-grants). A restriction lists users and groups; a user satisfies it when listed or a member
  of a listed group; a group when it is listed itself. Anonymous satisfies no restriction.
- Edit: read access, the space's "Add pages" (blog posts: "Add blogs") permission, and the content's own
  update restriction. Update restrictions are not inherited, and one never restricts reading.
- Blog posts have no ancestors.
- Anonymous grants: logged-in users hold whatever anonymous users are granted (Confluence checks a
  signed-in user's permissions on top of the anonymous ones, and the sandbox agrees).
- Space administrators: "administer" grants neither read nor edit. Admins can remove restrictions
  from pages they cannot see (Confluence Cloud and DC docs, "Page restrictions"), but until they do they
  are as shut out as anyone else; and we never infer view from another permission.
- Fail closed: a space whose permissions could not be read, an ancestor that could not be fetched or a
  read restriction that could not be read completely grant nobody on the content below; an unreadable
  update restriction grants nobody edit. Unknown membership grants nothing through that membership.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import ANONYMOUS, Membership, Node, SpaceInputs, create_operation

__all__ = ["Rules"]


@dataclass(frozen=True)
class _Holders:
    users: frozenset[str]
    groups: frozenset[str]
    anonymous: bool


class Rules:
    def __init__(self, inputs: SpaceInputs) -> None:
        self.inputs = inputs
        self._holders: dict[str, _Holders] = {}
        self._blocked: dict[tuple[str, str], tuple[str, str] | None] = {}  # asked per principal: cached
        self._levels: dict[str, list[Node]] = {}

    def holders(self, operation: str) -> _Holders:
        if operation not in self._holders:
            grants = [g for g in self.inputs.grants if g.operation == operation]
            self._holders[operation] = _Holders(
                frozenset(g.subject for g in grants if g.subject_type == "user" and g.subject),
                frozenset(g.subject for g in grants if g.subject_type == "group" and g.subject),
                any(g.subject_type == "anonymous" for g in grants))
        return self._holders[operation]

    # -- the chain and what blocks it ---------------------------------------------------------------
    def chain(self, node: Node) -> list[Node | None]:
        """Ancestors (None where not fetched) then the node."""
        return [self.inputs.nodes.get(cid) if cid != node.content_id else node for cid in node.chain_ids]

    def read_levels(self, node: Node) -> list[Node]:
        levels = self._levels.get(node.content_id)
        if levels is None:
            levels = self._levels[node.content_id] = [n for n in self.chain(node)
                                                      if n is not None and n.read.restricted]
        return levels

    def blocked(self, node: Node, access: str) -> tuple[str, str] | None:
        """(flag, reason) when missing data leaves this access undecidable: then nobody is granted."""
        key = (node.content_id, access)
        if key not in self._blocked:
            self._blocked[key] = self._blocking(node, access)
        return self._blocked[key]

    def _blocking(self, node: Node, access: str) -> tuple[str, str] | None:
        if self.inputs.grants_error is not None:
            return "space_permissions_unreadable", self.inputs.grants_error
        for cid, level in zip(node.chain_ids, self.chain(node), strict=True):
            if level is None:
                return "ancestor_unreadable", f"ancestor {cid} was not fetched: its read restriction is unknown"
            if level.error is not None:
                return "ancestor_unreadable", f"ancestor {cid} could not be read: {level.error}"
            if level.read.error is not None:
                where = "its" if level is node else f"ancestor {cid}'s"
                return "restriction_unreadable", f"{where} read restriction: {level.read.error}"
        if access == "edit" and node.update.error is not None:
            return "update_restriction_unreadable", f"its update restriction: {node.update.error}"
        return None

    def source(self, node: Node, access: str) -> tuple[str, str]:
        """Where the grant is decided: the content's own update restriction (edit), else the nearest
        read-restricted level, else the space."""
        if access == "edit" and node.update.restricted:
            return "page", node.content_id
        levels = self.read_levels(node)
        if levels:
            nearest = levels[-1]
            return ("page" if nearest.content_id == node.content_id else "ancestor"), nearest.content_id
        return "space", self.inputs.space_key

    # -- principals ------------------------------------------------------------------------------------
    def _holds(self, operation: str, user: str | None, groups: frozenset[str]) -> bool:
        h = self.holders(operation)
        return h.anonymous or (user is not None and user in h.users) or bool(groups & h.groups)

    def _passes(self, node: Node, access: str, user: str | None, groups: frozenset[str]) -> bool:
        """Space permissions and restrictions for a subject that is `user` (or none) in `groups`."""
        if not self._holds("read", user, groups):
            return False
        for level in self.read_levels(node):
            if user not in level.read.users and not groups & level.read.groups:
                return False
        if access == "edit":
            if not self._holds(create_operation(node.content_type), user, groups):
                return False
            update = node.update
            if update.restricted and user not in update.users and not groups & update.groups:
                return False
        return True

    def group_access(self, group: str, node: Node, access: str) -> bool:
        """Does every member of `group` have this access (through the group alone)?"""
        return self.blocked(node, access) is None and self._passes(node, access, None, frozenset({group}))

    def anonymous_access(self, node: Node, access: str) -> bool:
        if self.blocked(node, access) is not None or self.read_levels(node):
            return False
        h = self.holders("read")
        return h.anonymous and (access == "read" or (
            self.holders(create_operation(node.content_type)).anonymous and not node.update.restricted))

    def user_access(self, user: str, groups: frozenset[str], node: Node, access: str) -> bool:
        return self.blocked(node, access) is None and self._passes(node, access, user, groups)

    def user_groups(self, user: str) -> Membership | None:
        return self.inputs.user_groups.get(user)

    def known_groups(self) -> frozenset[str]:
        """Every group named anywhere: the most a user of unknown membership could belong to."""
        names = {g.subject for g in self.inputs.grants if g.subject_type == "group" and g.subject}
        for n in self.inputs.nodes.values():
            names |= n.read.groups | n.update.groups
        return frozenset(names)

    # -- who to consider -----------------------------------------------------------------------------
    def relevant_groups(self, node: Node, access: str) -> frozenset[str]:
        """Groups named by the restrictions this access must satisfy."""
        names: set[str] = set()
        for level in self.read_levels(node):
            names |= level.read.groups
        if access == "edit":
            names |= node.update.groups
        return frozenset(names)

    def candidate_groups(self, node: Node) -> frozenset[str]:
        granted = {g.subject for g in self.inputs.grants if g.subject_type == "group" and g.subject}
        return frozenset(granted) | self.relevant_groups(node, "edit")

    def candidate_users(self, node: Node) -> frozenset[str]:
        """Users named by a grant or a restriction on the chain, and members of expanded groups."""
        names = {g.subject for g in self.inputs.grants if g.subject_type == "user" and g.subject}
        for level in self.read_levels(node):
            names |= level.read.users
        names |= node.update.users
        for group in self.relevant_groups(node, "edit"):
            members = self.inputs.group_members.get(group)
            if members is not None and members.error is None:
                names |= members.names
        return frozenset(names - {ANONYMOUS})

    def groups_to_expand(self, node: Node) -> frozenset[str]:
        """Groups named by a restriction that do not pass as a whole: a member may still pass through
        another group at another level (or hold view through another group), so list their members."""
        out: set[str] = set()
        for access in ("read", "edit"):
            if self.blocked(node, access) is not None:
                continue
            out |= {g for g in self.relevant_groups(node, access) if not self.group_access(g, node, access)}
        return frozenset(out)
