"""Who people are: user ids -> display name and e-mail, through the user endpoints.

- Cloud identifies people by account id only. `POST /api/v2/users-bulk` resolves up to 250 per request
  (we send 100); users it does not return are unknown or not visible to us. Where v2 is not served
  (404), `GET /rest/api/user?accountId=` resolves one at a time. E-mail is present only when the
  user's profile visibility allows it (empty otherwise, which we store as null).
- Data Center identifies people by user key (older content: user name): `GET /rest/api/user?key=`,
  then `?username=`, one at a time, concurrently. Data Center shows no e-mail here.
A user that cannot be resolved (404) is returned with `resolved = False` and an event says so; other
errors (auth, 5xx after retries) propagate, since they would leave every name unresolved.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .client import ConfluenceClient
from .errors import NotFoundError

__all__ = ["BULK_SIZE", "is_cloud", "resolve_people"]

BULK_SIZE = 100


def is_cloud(client: ConfluenceClient, declared: str) -> bool:
    """The detected deployment if the client has one, else what km.yaml declares."""
    if client.deployment is not None or client.declared_kind:
        return client.kind == "cloud"
    return declared == "cloud"


def resolve_people(client: ConfluenceClient, ids: Iterable[str], *, cloud: bool, now: datetime) -> list[dict]:
    """One row per id (PEOPLE's columns): resolved or not, never dropped."""
    wanted = list(dict.fromkeys(i for i in ids if i))
    if not wanted:
        return []
    found = _cloud(client, wanted) if cloud else _datacenter(client, wanted)
    kind = "cloud" if cloud else "datacenter"
    rows = []
    for ident in wanted:
        user = found.get(ident)
        if user is None:
            client.events.record("skipped", url=client.url("/rest/api/user"), method="GET", item_id=ident,
                                 message="user not found or not visible: the id is kept")
        rows.append({"person_id": ident, "display_name": _name(user), "email": (user or {}).get("email") or None,
                     "kind": kind, "resolved": user is not None and _name(user) is not None, "checked_at": now})
    return rows


def _name(user: dict | None) -> str | None:
    if not user:
        return None
    return user.get("displayName") or user.get("publicName") or user.get("username")


def _cloud(client: ConfluenceClient, ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for start in range(0, len(ids), BULK_SIZE):
        batch = ids[start:start + BULK_SIZE]
        try:
            body = client.post_json("/api/v2/users-bulk", {"accountIds": batch})
        except NotFoundError:
            return found | _one_by_one(client, ids[start:], [("accountId", lambda i: i)])
        for user in body.get("results") or []:
            if user.get("accountId"):
                found[user["accountId"]] = user
    return found


def _datacenter(client: ConfluenceClient, ids: list[str]) -> dict[str, dict]:
    return _one_by_one(client, ids, [("key", lambda i: i), ("username", lambda i: i)])


def _one_by_one(client: ConfluenceClient, ids: list[str], params: list[tuple[str, Any]]) -> dict[str, dict]:
    def fetch(ident: str) -> dict | None:
        for name, value in params:
            try:
                return client.get_json("/rest/api/user", {name: value(ident)})
            except NotFoundError:
                continue
        return None

    return {ident: user for ident, user in client.map_concurrently(fetch, ids) if user is not None}
