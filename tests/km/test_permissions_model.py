"""The permission map against a plain reference implementation of Confluence's rules (hypothesis).

The reference decides one concrete user (or anonymous) at a time from complete data; the map speaks of
principals (groups, users, anonymous) and is read back per user: a user may do what a granted row for
the user, for one of the user's groups, or for anonymous allows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from km_assets.km.permissions import (
    PERMISSION_MAP,
    Grant,
    Membership,
    Node,
    Restriction,
    SpaceInputs,
    compute_permission_map,
    explain_access,
    facts_frame,
    groups_to_expand,
    space_inputs,
    users_to_look_up,
)

USERS = [f"u{i}" for i in range(6)]
GROUPS = [f"g{i}" for i in range(4)]
OPS = ["read", "create_page", "create_blogpost", "administer"]


@dataclass
class World:
    """Complete truth: memberships, grants, content."""

    members: dict[str, frozenset[str]]  # user -> groups
    grants: frozenset[Grant]
    nodes: dict[str, Node]


# -- the reference ---------------------------------------------------------------------------------------
def reference(world: World, user: str | None, node: Node, access: str,
              groups: frozenset[str] | None = None) -> bool:
    """`user` None with `groups`: someone in exactly those groups and named nowhere (a group's member)."""
    groups = groups if groups is not None else world.members[user] if user else frozenset()

    def holds(op: str) -> bool:
        for g in world.grants:
            if g.operation != op:
                continue
            if g.subject_type == "anonymous":
                return True
            if (g.subject_type == "user" and user and g.subject == user) or (
                    g.subject_type == "group" and g.subject in groups):
                return True
        return False

    def admits(r: Restriction) -> bool:
        return not (r.users or r.groups) or (user in r.users) or bool(groups & r.groups)

    chain = [node] if node.content_type == "blogpost" else [world.nodes[a] for a in node.ancestor_ids] + [node]
    if not holds("read") or not all(admits(n.read) for n in chain):
        return False
    if access == "edit":
        create = "create_blogpost" if node.content_type == "blogpost" else "create_page"
        return holds(create) and admits(node.update)
    return True


def from_rows(rows: pl.DataFrame, world: World, user: str | None, content_id: str, access: str) -> bool:
    groups = world.members[user] if user else frozenset()
    granted = rows.filter((pl.col("content_id") == content_id) & (pl.col("access") == access) & pl.col("granted"))
    for kind, name in granted.select("principal_type", "principal").rows():
        if kind == "anonymous" or (user and ((kind == "user" and name == user)
                                             or (kind == "group" and name in groups))):
            return True
    return False


# -- strategies ------------------------------------------------------------------------------------------
subsets = st.frozensets
restrictions = st.one_of(st.just(Restriction()), st.just(Restriction()),
                         st.builds(Restriction, subsets(st.sampled_from(USERS), max_size=3),
                                   subsets(st.sampled_from(GROUPS), max_size=2)))


@st.composite
def worlds(draw) -> World:
    members = {u: draw(subsets(st.sampled_from(GROUPS), max_size=3)) for u in USERS}
    subjects = [("anonymous", None)] + [("user", u) for u in USERS] + [("group", g) for g in GROUPS]
    grants: set[Grant] = set()
    for kind, name in subjects:
        ops = draw(subsets(st.sampled_from(OPS), max_size=3)) if draw(st.booleans()) else frozenset()
        if ops:
            ops = ops | {"read"}  # Confluence refuses any space permission without view for that subject
        grants |= {Grant(kind, name, op) for op in ops}
    nodes: dict[str, Node] = {}
    count = draw(st.integers(1, 9))
    for i in range(count):
        cid = str(100 + i)
        blog = draw(st.integers(0, 5)) == 0
        parent = None if blog or i == 0 or draw(st.integers(0, 3)) == 0 else str(100 + draw(st.integers(0, i - 1)))
        while parent is not None and nodes[parent].content_type == "blogpost":
            parent = nodes[parent].ancestor_ids[-1] if nodes[parent].ancestor_ids else None
        ancestors = (*nodes[parent].ancestor_ids, parent) if parent else ()
        nodes[cid] = Node(cid, "blogpost" if blog else "page", "S", f"t{i}", ancestors, draw(restrictions),
                          draw(restrictions), in_listing=draw(st.integers(0, 4)) > 0)
    return World(members, frozenset(grants), nodes)


def pipeline(world: World, inputs: SpaceInputs, *, memberships: dict | None = None,
             group_members: dict | None = None, roles: dict | None = None) -> pl.DataFrame:
    """What the fetch layer does: expand the groups it must, look up the users it must, compute."""
    expand = groups_to_expand(inputs)
    listed = {g: Membership(frozenset(u for u in USERS if g in world.members[u])) for g in expand}
    inputs = replace(inputs, group_members={**listed, **(group_members or {})})
    users = users_to_look_up(inputs)
    looked = {u: Membership(world.members[u]) for u in users}
    inputs = replace(inputs, user_groups={**looked, **(memberships or {})})
    return compute_permission_map(inputs, roles or {})


def complete_inputs(world: World) -> SpaceInputs:
    return SpaceInputs("S", world.grants, None, dict(world.nodes))


def articles(world: World) -> list[Node]:
    return [n for n in world.nodes.values() if n.in_listing]


# -- properties ------------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_map_matches_the_reference_for_every_user_and_anonymous(world):
    rows = pipeline(world, complete_inputs(world))
    assert rows.schema == PERMISSION_MAP
    assert rows["granted"].all(), "complete data leaves nothing to fail closed on"
    for node in articles(world):
        for access in ("read", "edit"):
            for user in [*USERS, None]:
                assert from_rows(rows, world, user, node.content_id, access) == reference(world, user, node, access), (
                    node, access, user)


@st.composite
def degraded(draw):
    """A world, and the same world with some reads failed: partial lists kept beside an error."""
    world = draw(worlds())
    inputs = complete_inputs(world)
    nodes = dict(inputs.nodes)
    for cid, node in list(nodes.items()):
        choice = draw(st.integers(0, 6))
        if choice == 0:
            seen = Restriction(frozenset(list(node.read.users)[:1]), frozenset(), "truncated and paging failed")
            nodes[cid] = replace(node, read=seen)
        elif choice == 1:
            nodes[cid] = replace(node, update=Restriction(error="500 from the restriction endpoint"))
        elif choice == 2 and not node.in_listing:
            if draw(st.booleans()):
                del nodes[cid]
            else:
                nodes[cid] = replace(node, read=Restriction(), error="404 (trashed)")
    grants_error = "JSON-RPC: remote API disabled" if draw(st.integers(0, 8)) == 0 else None
    grants = frozenset(g for g in world.grants if draw(st.booleans())) if grants_error else world.grants
    bad_users = draw(subsets(st.sampled_from(USERS), max_size=3))
    bad_groups = draw(subsets(st.sampled_from(GROUPS), max_size=2))
    memberships = {u: Membership(frozenset(), "404 from user/memberof") for u in bad_users}
    group_members = {g: Membership(frozenset(USERS), "500 from group member") for g in bad_groups}
    return world, replace(inputs, nodes=nodes, grants=grants, grants_error=grants_error), memberships, group_members


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(degraded())
def test_unreadable_data_never_grants_what_complete_data_denies(case):
    world, inputs, memberships, group_members = case
    rows = pipeline(world, inputs, memberships=memberships, group_members=group_members)
    for node in articles(world):
        for access in ("read", "edit"):
            for user in [*USERS, None]:
                if from_rows(rows, world, user, node.content_id, access):
                    assert reference(world, user, node, access), (node, access, user)
    notes = rows.filter(~pl.col("granted"))
    assert notes["flags"].list.contains("fail_closed").all()
    assert notes["reason"].is_not_null().all()


@settings(max_examples=100, deadline=None)
@given(worlds(), st.sampled_from([*USERS, *GROUPS, "anonymous"]))
def test_explanation_verdict_agrees_with_the_map(world, who):
    inputs = complete_inputs(world)
    expand = groups_to_expand(inputs)
    inputs = replace(inputs, group_members={g: Membership(frozenset(u for u in USERS if g in world.members[u]))
                                            for g in expand})
    inputs = replace(inputs, user_groups={u: Membership(world.members[u]) for u in USERS})
    for node in articles(world):
        text = explain_access(inputs, node.content_id, f"group:{who}" if who in GROUPS else who)
        for access in ("read", "edit"):
            line = next(ln for ln in text.splitlines() if ln.startswith(f"verdict {access}:"))
            if who in GROUPS:  # every member, through this group alone
                expected = reference(world, None, node, access, frozenset({who}))
            else:
                expected = reference(world, None if who == "anonymous" else who, node, access)
            assert ("GRANTED" in line) == expected, text


@settings(max_examples=50, deadline=None)
@given(worlds())
def test_facts_round_trip_through_parquet(world):
    inputs = replace(complete_inputs(world), user_groups={u: Membership(world.members[u]) for u in USERS},
                     group_members={"g0": Membership(frozenset(), "500")}, grants_error=None)
    assert space_inputs(facts_frame(inputs), "S") == inputs
