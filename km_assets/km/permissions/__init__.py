"""The permission model: space permissions ∩ page and ancestor restrictions -> KM roles. No Dagster here."""

from .compute import ACCESSES, PERMISSION_MAP, compute_permission_map, groups_to_expand, users_to_look_up
from .explain import explain_access, explain_access_from_storage, parse_principal
from .facts import (
    PERMISSION_FACTS,
    facts_frame,
    find_space_inputs,
    read_space_inputs,
    space_inputs,
    write_space_inputs,
)
from .model import ANONYMOUS, OPERATIONS, Grant, Membership, Node, Restriction, SpaceInputs, create_operation

__all__ = [
    "ACCESSES", "ANONYMOUS", "OPERATIONS", "PERMISSION_FACTS", "PERMISSION_MAP", "Grant", "Membership", "Node",
    "Restriction", "SpaceInputs", "compute_permission_map", "create_operation", "explain_access",
    "explain_access_from_storage", "facts_frame", "find_space_inputs", "groups_to_expand", "parse_principal",
    "read_space_inputs", "space_inputs", "users_to_look_up", "write_space_inputs",
]
