"""SpaceInputs as a Parquet table ("permission facts"), so a map can be explained without Confluence.

One row per fact: a space grant, the space's grant error, a content node with its restrictions, a
user's groups, a group's members. Written next to permission_map by its asset, at
`<root>/<connection>/permission_facts/space=<KEY>/data.parquet`.
"""

from __future__ import annotations

import polars as pl
from upath import UPath

from ..parquet_files import root_path, write_parquet_atomically
from .model import Grant, Membership, Node, Restriction, SpaceInputs

__all__ = ["FACTS_FOLDER", "PERMISSION_FACTS", "facts_frame", "find_space_inputs", "read_space_inputs",
           "space_inputs", "write_space_inputs"]

FACTS_FOLDER = "permission_facts"
_NAMES = pl.List(pl.String)
PERMISSION_FACTS = pl.Schema({
    "kind": pl.String,  # grant | grants_error | node | user_groups | group_members
    "space_key": pl.String,
    "content_id": pl.String,
    "content_type": pl.String,
    "title": pl.String,
    "ancestor_ids": _NAMES,
    "in_listing": pl.Boolean,
    "read_users": _NAMES,
    "read_groups": _NAMES,
    "read_error": pl.String,
    "update_users": _NAMES,
    "update_groups": _NAMES,
    "update_error": pl.String,
    "subject_type": pl.String,
    "subject": pl.String,  # grant subject; the user or group of a membership
    "operation": pl.String,
    "names": _NAMES,  # a user's groups, a group's members
    "error": pl.String,  # the node, the membership or the space grants could not be read
})


def facts_frame(inputs: SpaceInputs) -> pl.DataFrame:
    key = inputs.space_key
    rows: list[dict] = [{"kind": "grant", "space_key": key, "subject_type": g.subject_type, "subject": g.subject,
                         "operation": g.operation} for g in sorted(inputs.grants, key=_grant_key)]
    if inputs.grants_error is not None:
        rows.append({"kind": "grants_error", "space_key": key, "error": inputs.grants_error})
    for n in sorted(inputs.nodes.values(), key=lambda n: n.content_id):
        rows.append({"kind": "node", "space_key": n.space_key, "content_id": n.content_id,
                     "content_type": n.content_type, "title": n.title, "ancestor_ids": list(n.ancestor_ids),
                     "in_listing": n.in_listing, "read_users": sorted(n.read.users),
                     "read_groups": sorted(n.read.groups), "read_error": n.read.error,
                     "update_users": sorted(n.update.users), "update_groups": sorted(n.update.groups),
                     "update_error": n.update.error, "error": n.error})
    for kind, table in (("user_groups", inputs.user_groups), ("group_members", inputs.group_members)):
        for name, m in sorted(table.items()):
            rows.append({"kind": kind, "space_key": key, "subject": name, "names": sorted(m.names), "error": m.error})
    return pl.DataFrame([{c: r.get(c) for c in PERMISSION_FACTS.names()} for r in rows], schema=PERMISSION_FACTS)


def _grant_key(g: Grant) -> tuple[str, str, str]:
    return g.subject_type, g.subject or "", g.operation


def space_inputs(df: pl.DataFrame, space_key: str) -> SpaceInputs:
    grants: set[Grant] = set()
    grants_error = None
    nodes: dict[str, Node] = {}
    tables: dict[str, dict[str, Membership]] = {"user_groups": {}, "group_members": {}}
    for r in df.iter_rows(named=True):
        kind = r["kind"]
        if kind == "grant":
            grants.add(Grant(r["subject_type"], r["subject"], r["operation"]))
        elif kind == "grants_error":
            grants_error = r["error"]
        elif kind == "node":
            nodes[r["content_id"]] = Node(
                r["content_id"], r["content_type"], r["space_key"], r["title"] or "", tuple(r["ancestor_ids"] or ()),
                Restriction(frozenset(r["read_users"] or ()), frozenset(r["read_groups"] or ()), r["read_error"]),
                Restriction(frozenset(r["update_users"] or ()), frozenset(r["update_groups"] or ()),
                            r["update_error"]), bool(r["in_listing"]), r["error"])
        elif kind in tables:
            tables[kind][r["subject"]] = Membership(frozenset(r["names"] or ()), r["error"])
    return SpaceInputs(space_key, frozenset(grants), grants_error, nodes, tables["user_groups"],
                       tables["group_members"])


def _path(root: str, connection: str, space: str) -> UPath:
    return root_path(root) / connection / FACTS_FOLDER / f"space={space}" / "data.parquet"


def write_space_inputs(root: str, connection: str, inputs: SpaceInputs) -> UPath:
    return write_parquet_atomically(facts_frame(inputs), _path(root, connection, inputs.space_key), root_path(root))


def read_space_inputs(root: str, connection: str, space: str) -> SpaceInputs:
    path = _path(root, connection, space)
    if not path.exists():
        raise FileNotFoundError(f"no permission facts for space {space} at {path}: materialize permission_map "
                                "for it first")
    with path.open("rb") as handle:
        return space_inputs(pl.read_parquet(handle), space)


def find_space_inputs(root: str, connection: str, content_id: str) -> SpaceInputs:
    """The facts of the space whose listing holds `content_id`."""
    folder = root_path(root) / connection / FACTS_FOLDER
    if folder.exists():
        for path in sorted(folder.glob("space=*/data.parquet")):
            with path.open("rb") as handle:
                df = pl.read_parquet(handle)
            hit = df.filter((pl.col("kind") == "node") & (pl.col("content_id") == content_id)
                            & pl.col("in_listing"))
            if hit.height:
                return space_inputs(df, path.parent.name.removeprefix("space="))
    raise LookupError(f"content {content_id} is in no permission map of connection {connection!r} under {root} "
                      "(not synced, filtered out, or permission_map not materialized for its space)")
