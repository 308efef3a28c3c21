"""What the permission map is computed from: space grants, restrictions per content node, memberships.

Plain frozen dataclasses, no I/O. Anything that could not be read is kept as an `error` string beside
the (possibly partial) data: the rules treat it as granting nobody (fail closed), and the reason is
carried into the map's rows.

Identifiers: users are Cloud account ids, or Server/DC user names; groups are group names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ANONYMOUS", "OPERATIONS", "Grant", "Membership", "Node", "Restriction", "SpaceInputs",
           "create_operation"]

ANONYMOUS = "anonymous"
# Normalised space operations: view the space, add (create and edit) pages, add blog posts, administer.
OPERATIONS = ("read", "create_page", "create_blogpost", "administer")


def create_operation(content_type: str) -> str:
    """The space permission editing this content type needs ("Add pages" / "Add blogs")."""
    return "create_blogpost" if content_type == "blogpost" else "create_page"


@dataclass(frozen=True, order=True)
class Grant:
    """One space permission. subject_type: user | group | anonymous (subject None)."""

    subject_type: str
    subject: str | None
    operation: str


@dataclass(frozen=True)
class Restriction:
    """A page's restriction for one operation. Empty users and groups: not restricted.

    `error` set: it could not be read completely (a failed request, a truncated list that could not be
    paged); whatever users/groups were seen are kept for the explanation, never for granting.
    """

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    error: str | None = None

    @property
    def restricted(self) -> bool:
        return bool(self.users or self.groups) or self.error is not None


@dataclass(frozen=True)
class Node:
    """A page or blog post: an article of the listing, or an ancestor fetched on its own."""

    content_id: str
    content_type: str = "page"
    space_key: str = ""
    title: str = ""
    ancestor_ids: tuple[str, ...] = ()  # root first, as Confluence lists them
    read: Restriction = field(default_factory=Restriction)
    update: Restriction = field(default_factory=Restriction)
    in_listing: bool = True
    error: str | None = None  # the node itself could not be fetched (an ancestor outside the listing)

    @property
    def chain_ids(self) -> tuple[str, ...]:
        """Ancestors then the node. Blog posts have no ancestors, whatever an answer said."""
        return ((self.content_id,) if self.content_type == "blogpost"
                else (*self.ancestor_ids, self.content_id))


@dataclass(frozen=True)
class Membership:
    """The groups of a user, or the members of a group; `error` set: unknown (grants nothing)."""

    names: frozenset[str] = frozenset()
    error: str | None = None


@dataclass(frozen=True)
class SpaceInputs:
    """Everything the map of one space is computed from."""

    space_key: str
    grants: frozenset[Grant] = frozenset()
    grants_error: str | None = None  # the space permissions could not be read: nobody is granted
    nodes: dict[str, Node] = field(default_factory=dict)  # listing items and out-of-listing ancestors
    user_groups: dict[str, Membership] = field(default_factory=dict)  # user -> their groups
    group_members: dict[str, Membership] = field(default_factory=dict)  # group -> its members (expanded)

    def articles(self) -> list[Node]:
        return sorted((n for n in self.nodes.values() if n.in_listing), key=lambda n: n.content_id)
