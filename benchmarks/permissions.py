"""Permission map computation speed on a large synthetic space (no HTTP: the model alone).

A space of N pages in a random tree (depth up to ~8), a share of them read- or update-restricted to
users and groups, G groups and U users with random memberships, space grants to a few groups and users.
Prints rows/s and articles/s of compute_permission_map (group expansion and lookups as collect does).

    .venv/bin/python benchmarks/permissions.py [--pages 20000] [--restricted 0.05] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from dataclasses import replace

from km_assets.km.permissions import (
    Grant,
    Membership,
    Node,
    Restriction,
    SpaceInputs,
    compute_permission_map,
    groups_to_expand,
    users_to_look_up,
)


def synthetic_inputs(pages: int, restricted: float, groups: int, users: int, seed: int) -> tuple[SpaceInputs, dict]:
    rng = random.Random(seed)
    names = [f"g{i}" for i in range(groups)]
    people = [f"u{i}" for i in range(users)]
    member_of = {u: frozenset(rng.sample(names, rng.randint(1, 4))) for u in people}
    grants = {Grant("group", "everyone", "read"), *(Grant("group", g, op) for g in names[:groups // 2]
                                                   for op in ("read", "create_page"))}
    grants |= {Grant("user", u, "read") for u in rng.sample(people, 10)}

    def restriction() -> Restriction:
        if rng.random() >= restricted:
            return Restriction()
        return Restriction(frozenset(rng.sample(people, rng.randint(0, 3))), frozenset(rng.sample(names, 2)))

    nodes: dict[str, Node] = {}
    ids: list[str] = []
    for i in range(pages):
        cid = str(1_000_000 + i)
        parent = ids[rng.randrange(len(ids))] if ids and rng.random() < 0.9 else None
        chain = (*nodes[parent].ancestor_ids, parent) if parent else ()
        if len(chain) > 8:
            chain = ()
        nodes[cid] = Node(cid, "page", "BIG", f"Page {i}", chain, restriction(), restriction())
        ids.append(cid)
    everyone = {u: member_of[u] | {"everyone"} for u in people}
    return SpaceInputs("BIG", frozenset(grants), None, nodes), everyone


def run(inputs: SpaceInputs, member_of: dict) -> int:
    expand = groups_to_expand(inputs)
    members = {g: Membership(frozenset(u for u, gs in member_of.items() if g in gs)) for g in expand}
    inputs = replace(inputs, group_members=members)
    users = users_to_look_up(inputs)
    inputs = replace(inputs, user_groups={u: Membership(member_of[u]) for u in users})
    return compute_permission_map(inputs, {"everyone": "employee", "g0": "engineer"}).height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--restricted", type=float, default=0.05)
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inputs, member_of = synthetic_inputs(args.pages, args.restricted, args.groups, args.users, seed=1)
    times, rows = [], 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        rows = run(inputs, member_of)
        times.append(time.perf_counter() - started)
    best = min(times)
    print(f"python {platform.python_version()} on {platform.machine()}; {args.pages} pages, "
          f"{args.restricted:.0%} restricted, {args.groups} groups, {args.users} users")
    print(f"rows {rows}; best {best:.2f}s (median {statistics.median(times):.2f}s): "
          f"{rows / best:,.0f} rows/s, {args.pages / best:,.0f} articles/s")


if __name__ == "__main__":
    main()
