"""The content a sandbox serves: spaces, users, groups, pages, blog posts and attachments.

A Site is plain data that the HTTP layer renders in each API's shape. Tests and the admin API change it
while the server runs, so every mutation goes through methods that keep versions and times honest.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import yaml

__all__ = ["Attachment", "Content", "Group", "Site", "Space", "User", "Version", "load_demo_site"]


@dataclass
class User:
    account_id: str
    username: str
    display_name: str
    email: str

    @property
    def user_key(self) -> str:
        # Server/DC identifies users by an opaque key as well as the name; derive one stably.
        return f"8a7f808a{zlib.crc32(self.username.encode()):08x}"


@dataclass
class Group:
    name: str
    members: list[str] = field(default_factory=list)


@dataclass
class Space:
    key: str
    id: int
    name: str
    description: str = ""
    homepage: str | None = None
    type: str = "global"
    status: str = "current"


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

    @property
    def size(self) -> int:
        return len(self.data)


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

    @property
    def version(self) -> Version:
        return self.versions[-1]

    @property
    def modified(self) -> datetime:
        return self.version.at


@dataclass
class Site:
    title: str
    users: dict[str, User]
    groups: dict[str, Group]
    spaces: dict[str, Space]
    content: dict[str, Content]
    attachments: dict[str, Attachment]

    def user(self, username: str) -> User:
        return self.users[username]

    def user_by_account_id(self, account_id: str) -> User | None:
        return next((u for u in self.users.values() if u.account_id == account_id), None)

    def ancestors(self, content: Content) -> list[Content]:
        """Root first, as Confluence lists them."""
        chain: list[Content] = []
        parent = content.parent
        while parent is not None:
            node = self.content[parent]
            chain.append(node)
            parent = node.parent
        return list(reversed(chain))

    def attachments_of(self, content_id: str) -> list[Attachment]:
        return [a for a in self.attachments.values() if a.container_id == content_id and a.status == "current"]

    def children_of(self, content_id: str) -> list[Content]:
        return [c for c in self.content.values() if c.parent == content_id and c.status == "current"]

    def edit(self, content_id: str, *, by: str, body: str | None = None, title: str | None = None,
             labels: list[str] | None = None, at: datetime | None = None) -> Content:
        """A new version, as an editor saving the page makes one."""
        item = self.content[content_id]
        if body is not None:
            item.body = body
        if title is not None:
            item.title = title
        if labels is not None:
            item.labels = list(labels)
        item.versions.append(Version(item.version.number + 1, by, at or datetime.now(UTC)))
        return item


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


def load_site(manifest: Path) -> Site:
    """Build a Site from a manifest (site.yaml) and the storage bodies beside it in pages/."""
    raw = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    pages_dir = manifest.parent / "pages"
    users = {u["username"]: User(u["account_id"], u["username"], u["display_name"], u["email"])
             for u in raw["users"]}
    groups = {g["name"]: Group(g["name"], list(g.get("members", []))) for g in raw.get("groups", [])}
    spaces = {s["key"]: Space(s["key"], int(s["id"]), s["name"], s.get("description", ""),
                              s.get("homepage")) for s in raw["spaces"]}
    content: dict[str, Content] = {}
    attachments: dict[str, Attachment] = {}
    for item in raw["content"]:
        cid = str(item["id"])
        restrictions = (item.get("restrictions") or {}).get("read") or {}
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
            read_users=list(restrictions.get("users") or []),
            read_groups=list(restrictions.get("groups") or []),
        )
        for att in item.get("attachments") or []:
            attachments[str(att["id"])] = Attachment(
                id=str(att["id"]), container_id=cid, filename=att["filename"],
                media_type=att["media_type"], data=_attachment_bytes(att),
                created=_parse_time(att["created"]), creator=att["creator"])
    return Site(raw.get("site_title", "Sandbox"), users, groups, spaces, content, attachments)


def load_demo_site() -> Site:
    """The demo knowledge base shipped with the package (our own writing)."""
    manifest = resources.files("km_assets.sandbox") / "demo" / "site.yaml"
    with resources.as_file(manifest) as path:
        return load_site(Path(path))
