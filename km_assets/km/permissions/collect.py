"""Gathering one space's SpaceInputs from Confluence, asking only for what the rules need.

Requests: the listing's pages, one per ancestor outside the listing, the space's permissions (one on
Cloud; two on DC 9.1+; one JSON-RPC call on older Server/DC), then the members of each group a
restriction names without admitting it as a whole, and the groups of each user principal.
"""

from __future__ import annotations

from dataclasses import replace

from ...config import ConnectionSettings
from ...confluence.client import ConfluenceClient
from ...confluence.permissions import (
    ContentRestrictions,
    RestrictionRead,
    deployment_kind,
    fetch_content_restrictions,
    group_members,
    list_restrictions,
    space_grants,
    user_groups,
)
from .compute import groups_to_expand, users_to_look_up
from .model import Grant, Membership, Node, Restriction, SpaceInputs

__all__ = ["collect_space_inputs"]


def _restriction(read: RestrictionRead) -> Restriction:
    return Restriction(frozenset(read.users), frozenset(read.groups), read.error)


def _node(item: ContentRestrictions, space: str, in_listing: bool) -> Node:
    return Node(item.content_id, item.content_type, item.space_key or space, item.title, tuple(item.ancestor_ids),
                _restriction(item.read), _restriction(item.update), in_listing, item.error)


def _membership(answer: tuple[list[str], str | None]) -> Membership:
    names, error = answer
    return Membership(frozenset(names), error)


def collect_space_inputs(client: ConfluenceClient, connection: ConnectionSettings, space: str) -> SpaceInputs:
    kind = deployment_kind(client, connection.deployment)
    grants, grants_error = space_grants(client, space, kind)
    nodes = {item.content_id: _node(item, space, True) for item in list_restrictions(client, connection, space)}
    # Ancestors outside the listing, each fetched once (the real API forces it: CONFCLOUD-77618).
    missing = list(dict.fromkeys(a for n in nodes.values() if n.content_type != "blogpost"
                                 for a in n.ancestor_ids if a not in nodes))
    for cid, item in client.map_concurrently(lambda c: fetch_content_restrictions(client, c), missing):
        nodes[cid] = _node(item, space, False)
    inputs = SpaceInputs(space, frozenset(Grant(*g) for g in grants), grants_error, nodes)
    expand = sorted(groups_to_expand(inputs))
    members = {g: _membership(a) for g, a in client.map_concurrently(lambda g: group_members(client, g), expand)}
    inputs = replace(inputs, group_members=members)
    users = sorted(users_to_look_up(inputs))
    groups = {u: _membership(a) for u, a in client.map_concurrently(lambda u: user_groups(client, u, kind), users)}
    return replace(inputs, user_groups=groups)
