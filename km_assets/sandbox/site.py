"""The content a sandbox serves: spaces, users, groups, pages, blog posts, comments and attachments.

A Site is plain data that the HTTP layers render in each API's shape. Tests and the admin API change it
while the server runs, so every change goes through a method that keeps versions, times and the search
index honest, under one lock shared with the request handlers.
"""

from __future__ import annotations

import copy
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TypeVar

import yaml

__all__ = [
    "Attachment", "Comment", "Content", "Group", "Site", "Space", "SpaceGrant", "User", "Version",
    "load_demo_site", "load_site", "solid_png",
]

CONTENT_STATUSES = ("current", "draft", "trashed", "archived")
_MEMO_SIZE = 16  # derived listings kept per site: lists of references, <1 MB each even at 100,000 pages
T = TypeVar("T")


@dataclass
class User:
    account_id: str
    username: str
    display_name: str
    email: str
    active: bool = True

    @property
    def user_key(self) -> str:
        # Server/DC identifies users by an opaque key as well as the name; derive one stably.
        return f"8a7f808a{zlib.crc32(self.username.encode()):08x}"


@dataclass
class Group:
    name: str
    members: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        digest = f"{zlib.crc32(self.name.encode()):08x}"
        return f"{digest}-{digest[:4]}-4{digest[1:4]}-a{digest[2:5]}-{digest}{digest[:4]}"


@dataclass(frozen=True)
class SpaceGrant:
    """One space permission: subject_type is user, group or anonymous; operation like read or administer."""

    subject_type: str
    subject: str | None
    operation: str
    target: str = "space"


@dataclass
class Space:
    key: str
    id: int
    name: str
    description: str = ""
    homepage: str | None = None
    type: str = "global"
    status: str = "current"
    created: datetime = field(default_factory=lambda: datetime(2025, 1, 1, tzinfo=UTC))
    permissions: list[SpaceGrant] = field(default_factory=list)


@dataclass
class Version:
    number: int
    by: str
    at: datetime
    message: str = ""


@dataclass
class Attachment:
    id: str
    container_id: str
    filename: str
    media_type: str
    data: bytes
    created: datetime
    creator: str
    version: int = 1
    status: str = "current"
    comment: str = ""
    # Cloud's media platform stores each uploaded binary once under a fileId; attachments that
    # Confluence made from one binary (copy_attachment) share it. None: this version's own upload.
    shared_file_id: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def file_id(self) -> str:
        """The media fileId (v1 `extensions.fileId`, v2 `fileId`): one per stored binary, new per version."""
        return self.shared_file_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.id}/{self.version}"))


@dataclass
class Comment:
    id: str
    container_id: str
    body: str
    creator: str
    created: datetime
    status: str = "current"


@dataclass
class Content:
    id: str
    type: str  # page | blogpost
    space: str
    title: str
    body: str
    creator: str
    created: datetime
    versions: list[Version]
    parent: str | None = None
    labels: list[str] = field(default_factory=list)
    status: str = "current"
    read_users: list[str] = field(default_factory=list)
    read_groups: list[str] = field(default_factory=list)
    update_users: list[str] = field(default_factory=list)
    update_groups: list[str] = field(default_factory=list)
    position: int = 0

    @property
    def version(self) -> Version:
        return self.versions[-1]

    @property
    def modified(self) -> datetime:
        return self.version.at

    def restricted(self, operation: str) -> tuple[list[str], list[str]]:
        if operation == "read":
            return self.read_users, self.read_groups
        return self.update_users, self.update_groups


@dataclass
class Site:
    title: str
    users: dict[str, User]
    groups: dict[str, Group]
    spaces: dict[str, Space]
    content: dict[str, Content]
    attachments: dict[str, Attachment]
    comments: dict[str, Comment] = field(default_factory=dict)
    # Seconds between a change and the moment CQL search sees it (Confluence's index lags writes).
    index_lag: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    # What search sees, per content id: (monotonic time the change happened, snapshot), oldest first.
    # Only kept while index_lag > 0; with no lag, search reads the live content.
    _index: dict[str, list[tuple[float, Content | None]]] = field(default_factory=dict, repr=False)
    _next_id: int = field(default=0, repr=False)
    # Bumped by every change (all go through the methods below), so derived results can be kept until then.
    generation: int = field(default=0, repr=False)
    _memo: dict = field(default_factory=dict, repr=False)
    _memo_generation: int = field(default=-1, repr=False)

    # -- reading -----------------------------------------------------------------------------------
    def user(self, username: str) -> User:
        return self.users[username]

    def user_by_account_id(self, account_id: str) -> User | None:
        return next((u for u in self.users.values() if u.account_id == account_id), None)

    def find_user(self, ident: str) -> User | None:
        """By username, account id or DC user key."""
        if ident in self.users:
            return self.users[ident]
        return next((u for u in self.users.values() if ident in (u.account_id, u.user_key)), None)

    def space_by_id(self, space_id: int) -> Space | None:
        return next((s for s in self.spaces.values() if s.id == space_id), None)

    def groups_of(self, user: User) -> set[str]:
        return {g.name for g in self.groups.values() if user.username in g.members}

    def space_allows(self, user: User | None, space_key: str, operation: str = "read") -> bool:
        space = self.spaces.get(space_key)
        if space is None:
            return False
        groups = self.groups_of(user) if user else set()
        for grant in space.permissions:
            if grant.operation != operation:
                continue
            if grant.subject_type == "anonymous":
                return True
            if user is not None and grant.subject_type == "user" and grant.subject == user.username:
                return True
            if user is not None and grant.subject_type == "group" and grant.subject in groups:
                return True
        return False

    def passes_restrictions(self, user: User | None, content: Content, operation: str = "read") -> bool:
        """A page's own restriction and every ancestor's must each admit the user (an intersection)."""
        groups = self.groups_of(user) if user else set()
        for node in [*self.ancestors(content), content]:
            users, restricted_groups = node.restricted(operation)
            if not users and not restricted_groups:
                continue
            if user is None or (user.username not in users and not groups & set(restricted_groups)):
                return False
        return True

    def can_view(self, user: User | None, content: Content) -> bool:
        return self.space_allows(user, content.space, "read") and self.passes_restrictions(user, content)

    def viewer_filter(self, user: User | None) -> Callable[[Content], bool]:
        """can_view for the many items of one listing: the viewer's groups, space grants and each
        ancestor's verdict are worked out once. Only valid while the site does not change (hold the lock)."""
        groups = self.groups_of(user) if user else set()
        spaces: dict[str, bool] = {}
        admitted: dict[str, bool] = {}  # by id: whether a live node's own read restriction admits the user

        def admits(node: Content) -> bool:
            users, restricted_groups = node.read_users, node.read_groups
            if not users and not restricted_groups:
                return True
            return user is not None and (user.username in users or bool(groups.intersection(restricted_groups)))

        def check(content: Content) -> bool:
            allowed = spaces.get(content.space)
            if allowed is None:
                allowed = spaces[content.space] = self.space_allows(user, content.space, "read")
            if not allowed or not admits(content):
                return False
            parent = content.parent
            while parent is not None and parent in self.content:
                node = self.content[parent]
                verdict = admitted.get(parent)
                if verdict is None:
                    verdict = admitted[parent] = admits(node)
                if not verdict:
                    return False
                parent = node.parent
            return True

        return check

    def ancestors(self, content: Content) -> list[Content]:
        """Root first, as Confluence lists them."""
        chain: list[Content] = []
        parent = content.parent
        while parent is not None and parent in self.content:
            node = self.content[parent]
            chain.append(node)
            parent = node.parent
        return list(reversed(chain))

    def attachments_of(self, content_id: str) -> list[Attachment]:
        return [a for a in self.attachments.values() if a.container_id == content_id and a.status == "current"]

    def comments_of(self, content_id: str) -> list[Comment]:
        return [c for c in self.comments.values() if c.container_id == content_id and c.status == "current"]

    def children_of(self, content_id: str) -> list[Content]:
        kids = [c for c in self.content.values() if c.parent == content_id and c.status == "current"]
        return sorted(kids, key=lambda c: (c.position, int(c.id)))

    def searchable(self, now: float | None = None) -> list[Content]:
        """Current content as the lagging search index sees it."""
        if self.index_lag <= 0:
            return [c for c in self.content.values() if c.status == "current"]
        cutoff = (time.monotonic() if now is None else now) - self.index_lag
        seen: list[Content] = []
        for cid in [*self.content, *(i for i in self._index if i not in self.content)]:
            history = self._index.get(cid)
            if history is None:
                if self.content[cid].status == "current":
                    seen.append(self.content[cid])
                continue
            visible = [snap for at, snap in history if at <= cutoff]
            if visible and visible[-1] is not None and visible[-1].status == "current":
                seen.append(visible[-1])
        return seen

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """make(), kept until the site next changes: listings page through the same filtered, sorted list
        request after request. Callers must not change what they get."""
        with self.lock:
            if self._memo_generation != self.generation:
                self._memo.clear()
                self._memo_generation = self.generation
            if key not in self._memo:
                if len(self._memo) >= _MEMO_SIZE:
                    del self._memo[next(iter(self._memo))]  # the oldest
                self._memo[key] = make()
            return self._memo[key]

    # -- changing ----------------------------------------------------------------------------------
    def new_id(self) -> str:
        with self.lock:
            if not self._next_id:
                numeric = [int(i) for i in [*self.content, *self.comments] if i.isdigit()]
                self._next_id = max(numeric, default=100000) + 1
            self._next_id += 1
            return str(self._next_id - 1)

    def _indexed(self, content_id: str) -> None:
        if self.index_lag <= 0:
            return
        history = self._index.setdefault(content_id, [])
        if not history:
            # Created since start-up: search does not know it until the lag has passed.
            history.append((float("-inf"), None))
        live = self.content.get(content_id)
        history.append((time.monotonic(), copy.deepcopy(live) if live is not None else None))

    def _index_before_change(self, content_id: str) -> None:
        if self.index_lag > 0 and content_id not in self._index and content_id in self.content:
            self._index[content_id] = [(float("-inf"), copy.deepcopy(self.content[content_id]))]

    def create(self, *, space: str, title: str, body: str = "<p></p>", by: str, type: str = "page",
               parent: str | None = None, labels: list[str] | None = None, at: datetime | None = None,
               content_id: str | None = None, status: str = "current") -> Content:
        with self.lock:
            self.generation += 1
            if space not in self.spaces:
                raise KeyError(f"no space {space}")
            if parent is not None and parent not in self.content:
                raise KeyError(f"no parent {parent}")
            when = at or datetime.now(UTC)
            cid = content_id or self.new_id()
            item = Content(id=cid, type=type, space=space, title=title, body=body, creator=by, created=when,
                           versions=[Version(1, by, when)], parent=parent, labels=list(labels or []),
                           status=status)
            self.content[cid] = item
            self._indexed(cid)
            return item

    def edit(self, content_id: str, *, by: str, body: str | None = None, title: str | None = None,
             labels: list[str] | None = None, at: datetime | None = None, message: str = "") -> Content:
        """A new version, as an editor saving the page makes one."""
        with self.lock:
            self.generation += 1
            self._index_before_change(content_id)
            item = self.content[content_id]
            if body is not None:
                item.body = body
            if title is not None:
                item.title = title
            if labels is not None:
                item.labels = list(labels)
            item.versions.append(Version(item.version.number + 1, by, at or datetime.now(UTC), message))
            self._indexed(content_id)
            return item

    def set_labels(self, content_id: str, labels: list[str]) -> Content:
        """Labels change without a new version, as in Confluence."""
        with self.lock:
            self.generation += 1
            self._index_before_change(content_id)
            self.content[content_id].labels = list(labels)
            self._indexed(content_id)
            return self.content[content_id]

    def move(self, content_id: str, *, parent: str | None = None, space: str | None = None) -> Content:
        """Move a page (and its subtree) under another parent, or to the top of another space."""
        with self.lock:
            self.generation += 1
            item = self.content[content_id]
            target_space = space or (self.content[parent].space if parent else item.space)
            if parent is not None and (parent == content_id or any(
                    a.id == content_id for a in self.ancestors(self.content[parent]))):
                raise ValueError("cannot move a page under itself")
            subtree = [item, *self.descendants(content_id)]
            for node in subtree:
                self._index_before_change(node.id)
            item.parent = parent
            for node in subtree:
                node.space = target_space
                self._indexed(node.id)
            return item

    def descendants(self, content_id: str) -> list[Content]:
        out: list[Content] = []
        frontier = [content_id]
        while frontier:
            kids = [c for c in self.content.values() if c.parent in frontier]
            out.extend(kids)
            frontier = [c.id for c in kids]
        return out

    def restrict(self, content_id: str, *, operation: str = "read", users: list[str] | None = None,
                 groups: list[str] | None = None) -> Content:
        with self.lock:
            self.generation += 1
            item = self.content[content_id]
            if operation == "read":
                item.read_users, item.read_groups = list(users or []), list(groups or [])
            elif operation == "update":
                item.update_users, item.update_groups = list(users or []), list(groups or [])
            else:
                raise ValueError(f"operation must be read or update, not {operation!r}")
            return item

    def set_status(self, content_id: str, status: str) -> Content:
        """Trash, archive or restore. Trashing a page leaves its children where they are."""
        if status not in CONTENT_STATUSES:
            raise ValueError(f"status must be one of {CONTENT_STATUSES}")
        with self.lock:
            self.generation += 1
            self._index_before_change(content_id)
            self.content[content_id].status = status
            self._indexed(content_id)
            return self.content[content_id]

    def purge(self, content_id: str) -> None:
        """Gone for good: children move up to the purged page's parent, as Confluence does."""
        with self.lock:
            self.generation += 1
            self._index_before_change(content_id)
            item = self.content.pop(content_id)
            for child in [c for c in self.content.values() if c.parent == content_id]:
                child.parent = item.parent
            for att in [a for a in self.attachments.values() if a.container_id == content_id]:
                del self.attachments[att.id]
            self._indexed(content_id)

    def add_attachment(self, content_id: str, *, filename: str, data: bytes, media_type: str, by: str,
                       attachment_id: str | None = None, at: datetime | None = None) -> Attachment:
        with self.lock:
            self.generation += 1
            existing = next((a for a in self.attachments_of(content_id) if a.filename == filename), None)
            if existing is not None:
                existing.data, existing.media_type = data, media_type
                existing.version += 1
                existing.shared_file_id = None  # a new upload: a new binary
                return existing
            att = Attachment(id=attachment_id or f"att{self.new_id()}", container_id=content_id,
                             filename=filename, media_type=media_type, data=data,
                             created=at or datetime.now(UTC), creator=by)
            self.attachments[att.id] = att
            return att

    def copy_attachment(self, attachment_id: str, content_id: str, *, by: str | None = None,
                        at: datetime | None = None) -> Attachment:
        """Attach the same stored binary to another page (as copying a page with its files does):
        a new attachment id and container, the same bytes and media fileId."""
        with self.lock:
            self.generation += 1
            source = self.attachments[attachment_id]
            att = Attachment(id=f"att{self.new_id()}", container_id=content_id, filename=source.filename,
                             media_type=source.media_type, data=source.data, created=at or datetime.now(UTC),
                             creator=by or source.creator, shared_file_id=source.file_id)
            self.attachments[att.id] = att
            return att

    def remove_attachment(self, attachment_id: str) -> None:
        """Deleted from its page (Confluence keeps it in the trash; listings no longer show it)."""
        with self.lock:
            self.generation += 1
            self.attachments[attachment_id].status = "trashed"

    def add_space(self, key: str, name: str, *, grants: list[SpaceGrant] | None = None) -> Space:
        with self.lock:
            self.generation += 1
            if key in self.spaces:
                raise ValueError(f"space {key} exists")
            space_id = max((s.id for s in self.spaces.values()), default=98304) + 1
            space = Space(key, space_id, name, permissions=list(grants or []))
            self.spaces[key] = space
            return space

    def grant(self, space: str, grant: SpaceGrant) -> None:
        with self.lock:
            self.generation += 1
            if grant not in self.spaces[space].permissions:
                self.spaces[space].permissions.append(grant)

    def revoke(self, space: str, grant: SpaceGrant) -> None:
        with self.lock:
            self.generation += 1
            self.spaces[space].permissions = [g for g in self.spaces[space].permissions if g != grant]

    def add_member(self, group: str, username: str) -> None:
        with self.lock:
            self.generation += 1
            members = self.groups.setdefault(group, Group(group)).members
            if username not in members:
                members.append(username)

    def remove_member(self, group: str, username: str) -> None:
        with self.lock:
            self.generation += 1
            self.groups[group].members = [m for m in self.groups[group].members if m != username]


def _parse_time(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour: demo images are generated, not shipped as binaries."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def _attachment_bytes(spec: dict) -> bytes:
    if "png" in spec:
        png = spec["png"]
        return solid_png(int(png["width"]), int(png["height"]), tuple(png["rgb"]))
    if "text" in spec:
        return str(spec["text"]).encode("utf-8")
    raise ValueError(f"attachment {spec.get('id')}: give either 'png' or 'text'")


def _grants(spec: list[dict] | None) -> list[SpaceGrant]:
    out = []
    for grant in spec or []:
        subject_type = next(k for k in ("group", "user", "anonymous") if k in grant)
        for operation in grant.get("operations", ["read"]):
            out.append(SpaceGrant(subject_type, grant.get(subject_type) if subject_type != "anonymous" else None,
                                  operation))
    return out


def load_site(manifest: Path) -> Site:
    """Build a Site from a manifest (site.yaml) and the storage bodies beside it in pages/."""
    raw = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    pages_dir = manifest.parent / "pages"
    users = {u["username"]: User(u["account_id"], u["username"], u["display_name"], u["email"])
             for u in raw["users"]}
    groups = {g["name"]: Group(g["name"], list(g.get("members", []))) for g in raw.get("groups", [])}
    spaces = {s["key"]: Space(s["key"], int(s["id"]), s["name"], s.get("description", ""), s.get("homepage"),
                              permissions=_grants(s.get("permissions")))
              for s in raw["spaces"]}
    content: dict[str, Content] = {}
    attachments: dict[str, Attachment] = {}
    comments: dict[str, Comment] = {}
    for position, item in enumerate(raw["content"]):
        cid = str(item["id"])
        restrictions = item.get("restrictions") or {}
        read, update = restrictions.get("read") or {}, restrictions.get("update") or {}
        content[cid] = Content(
            id=cid,
            type=item["type"],
            space=item["space"],
            title=item["title"],
            body=(pages_dir / item["body"]).read_text(encoding="utf-8"),
            creator=item["creator"],
            created=_parse_time(item["created"]),
            versions=[Version(int(v["number"]), v["by"], _parse_time(v["at"]), v.get("message", "") or "")
                      for v in item["versions"]],
            parent=str(item["parent"]) if item.get("parent") is not None else None,
            labels=list(item.get("labels") or []),
            status=item.get("status", "current"),
            read_users=list(read.get("users") or []),
            read_groups=list(read.get("groups") or []),
            update_users=list(update.get("users") or []),
            update_groups=list(update.get("groups") or []),
            position=position,
        )
        for note in item.get("comments") or []:
            comments[str(note["id"])] = Comment(id=str(note["id"]), container_id=cid, body=note["body"],
                                                creator=note["by"], created=_parse_time(note["at"]))
        for att in item.get("attachments") or []:
            attachments[str(att["id"])] = Attachment(
                id=str(att["id"]), container_id=cid, filename=att["filename"],
                media_type=att["media_type"], data=_attachment_bytes(att),
                created=_parse_time(att["created"]), creator=att["creator"])
    return Site(raw.get("site_title", "Sandbox"), users, groups, spaces, content, attachments, comments)


def load_demo_site() -> Site:
    """The demo knowledge base shipped with the package (our own writing)."""
    manifest = resources.files("km_assets.sandbox") / "demo" / "site.yaml"
    with resources.as_file(manifest) as path:
        return load_site(Path(path))
