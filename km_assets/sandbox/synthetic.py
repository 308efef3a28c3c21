"""Synthetic sites: S spaces of P pages each, deterministic in the seed, realistic enough to sync at scale.

`synthetic_site(10, 10_000)` builds 100,000 pages (plus ~2 % blog posts) in about 4 s and ~170 MB. Metadata
lives in ordinary Content objects; bodies are generated on read from (seed, content id) by SyntheticBodies
(with a small LRU cache), so a page costs ~1.7 KB instead of ~5 KB, and building the site skips ~10 s of
body generation. An edit stores its body as an override; the rest of the sandbox sees plain Content.
"""

from __future__ import annotations

import functools
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from . import synthetic_words as w
from .site import (
    Attachment,
    Content,
    Group,
    Site,
    Space,
    SpaceGrant,
    User,
    Version,
    load_demo_site,
    solid_png,
)
from .synthetic_bodies import SpaceFacts, SyntheticBodies

__all__ = ["DEFAULT_END", "SYNC_USER", "SyntheticContent", "parse_site_spec", "synthetic_site"]

SYNC_USER = "sync-bot"  # the sandbox's default API user
SYNC_GROUP = "km-sync"
ALL_USERS = "confluence-users"
DEFAULT_END = datetime(2026, 11, 1, tzinfo=UTC)  # fixed, so a seed gives the same site on any day
SPAN = timedelta(days=3 * 365).total_seconds()
CONTENT_ID_BASE = 1_000_000
# Attachment ids sit below the content ids: Site.add_attachment names new ones att<Site.new_id()>.
ATTACHMENT_ID_BASE = 100_000
SPACE_ID_BASE = 1_146_880

_VERSION_CUM = list(accumulate((30, 22, 15, 11, 8, 6, 4, 4)))  # 1..8 versions
_LABEL_COUNT_CUM = list(accumulate((50, 30, 15, 5)))  # 1..4 labels on a labelled page
_LABEL_CUM = list(accumulate(1 / (rank + 1) ** 1.1 for rank in range(len(w.LABELS))))  # Zipf-like
_DEPTH_CUM = list(accumulate((26, 36, 22, 11, 5)))  # depths 2..6 below the top level


class SyntheticContent(Content):
    """Content whose storage body is generated on read; assigning `body` (as Site.edit does) overrides it."""

    def __init__(self, *, bodies: SyntheticBodies | None = None, origin: int = 0, body: str | None = None,
                 **fields: Any) -> None:
        if bodies is None and body is None:
            raise TypeError("SyntheticContent needs either a body generator or a body")
        self._bodies = bodies
        self._origin = origin
        super().__init__(body="", **fields)
        self._body: str | None = body  # an explicit body (dataclasses.replace passes one) wins

    @property  # type: ignore[override]
    def body(self) -> str:
        if self._body is not None or self._bodies is None:
            return self._body or ""
        return self._bodies.body(self.id, self.type, self._origin)

    @body.setter
    def body(self, value: str) -> None:
        self._body = value


@dataclass(slots=True)
class _Draft:
    """A page or blog post before ids are handed out in creation order."""

    space: int
    local: int  # index among the space's pages (0 = home) or blog posts
    kind: str
    title: str
    created: float  # POSIX seconds
    parent: int = -1  # local index of the parent page
    position: int = 0


def synthetic_site(spaces: int, pages: int, *, seed: int = 0, users: int = 50, blog_fraction: float = 0.02,
                   restricted_fraction: float = 0.01, hidden_fraction: float = 0.0,
                   attachment_fraction: float = 0.05, domain: str = "synthetic.example",
                   end: datetime = DEFAULT_END, body_cache: int = 256) -> Site:
    """S spaces x P pages (home page included) plus ~blog_fraction*P blog posts per space.

    restricted_fraction of the content gets a read restriction that admits group km-sync (so sync-bot
    still sees it); hidden_fraction of it is restricted to its team only, which hides it and, as
    restrictions are inherited, its descendants from sync-bot. Home pages are never restricted. Times
    fall in the three years before `end`; body_cache is how many generated bodies are kept.
    """
    if spaces < 1 or pages < 1 or users < 1:
        raise ValueError("a synthetic site needs at least one space, one page per space and one user")
    rng = random.Random(f"synthetic-site:{seed}")
    people, teams = _people(rng, users, domain)
    team_names = list(teams)
    groups = {ALL_USERS: Group(ALL_USERS, list(people)), SYNC_GROUP: Group(SYNC_GROUP, [SYNC_USER]),
              **{name: Group(name, members) for name, members in teams.items()}}
    end_ts = end.timestamp()
    start_ts = end_ts - SPAN
    width = max(3, len(str(spaces - 1)))
    space_objs: dict[str, Space] = {}
    space_team: list[str] = []
    drafts: list[_Draft] = []
    facts: list[SpaceFacts] = []
    for i in range(spaces):
        team = team_names[i % len(team_names)]
        area = dict(w.TEAMS)[team]
        name = area if i < len(team_names) else f"{area} {i // len(team_names) + 1}"
        key = f"S{i:0{width}d}"
        opened = start_ts + rng.uniform(0, 0.4) * SPAN
        admin = rng.choice(teams[team])
        grants = [SpaceGrant("group", ALL_USERS, "read"),
                  *(SpaceGrant("group", team, op) for op in ("read", "create", "comment")),
                  SpaceGrant("user", admin, "read"), SpaceGrant("user", admin, "administer")]
        if rng.random() < 0.3:
            grants.append(SpaceGrant("group", rng.choice(team_names), "create"))
        space_objs[key] = Space(key, SPACE_ID_BASE + i, name, f"What the {area} team writes down: "
                                f"{rng.choice(w.TITLE_SUBJECTS).lower()}, {rng.choice(w.TITLE_SUBJECTS).lower()} "
                                "and more.", created=_at(opened), permissions=grants)
        space_team.append(team)
        space_pages = _page_tree(rng, i, pages, f"{name} Home", opened, end_ts)
        blogs = _blog_posts(rng, i, round(pages * blog_fraction) if blog_fraction > 0 else 0, opened, end_ts)
        drafts += space_pages
        drafts += blogs
        project = "".join(ch for ch in area.upper() if ch.isalpha())[:4] + (
            "" if i < len(team_names) else chr(65 + (i // len(team_names)) % 26))
        facts.append(SpaceFacts(key, name, [d.title for d in space_pages],
                                [d.title for d in space_pages if d.parent == 0],
                                [d.title for d in blogs], project,
                                tuple(people[u].account_id for u in teams[team])))

    drafts.sort(key=lambda d: (d.created, d.space, d.kind, d.local))
    ids: dict[tuple[int, str, int], str] = {(d.space, d.kind, d.local): str(CONTENT_ID_BASE + n + 1)
                                            for n, d in enumerate(drafts)}
    keys = list(space_objs)
    for space_index, key in enumerate(keys):
        space_objs[key].homepage = ids[(space_index, "page", 0)]
    attachment_specs: dict[str, tuple[tuple[str, str], ...]] = {}
    pending_attachments: list[tuple[str, str, str, float, str]] = []
    content: dict[str, Content] = {}
    bodies = SyntheticBodies(seed, facts, attachment_specs, cache_size=body_cache)
    everyone = [u for u in people if u != SYNC_USER]
    hide_or_restrict = max(restricted_fraction, hidden_fraction)
    for d in drafts:
        cid = ids[(d.space, d.kind, d.local)]
        members = teams[space_team[d.space]]
        creator = rng.choice(members) if rng.random() < 0.85 else rng.choice(everyone)
        item = SyntheticContent(
            bodies=bodies, origin=d.space << 24 | d.local, id=cid, type=d.kind, space=keys[d.space],
            title=d.title, creator=creator, created=_at(d.created),
            versions=_versions(rng, creator, members, everyone, d.created, end_ts),
            parent=ids[(d.space, "page", d.parent)] if d.parent >= 0 else None,
            labels=_labels(rng, d.local == 0 and d.kind == "page"), position=d.position)
        roll = rng.random()
        if roll < hide_or_restrict and item.parent is not None:  # home pages stay open
            _restrict(rng, item, space_team[d.space], members, hidden=roll < hidden_fraction)
        if rng.random() < 0.02:
            item.update_users, item.update_groups = [creator], [space_team[d.space]]
        if rng.random() < attachment_fraction:
            files = _attachment_names(rng)
            attachment_specs[cid] = tuple(files)
            pending_attachments += [(cid, name, media, d.created, creator) for name, media in files]
        content[cid] = item

    attachments: dict[str, Attachment] = {}
    if len(pending_attachments) >= CONTENT_ID_BASE - ATTACHMENT_ID_BASE:
        raise ValueError("too many attachments for the id range; lower attachment_fraction")
    for n, (cid, name, media, created, creator) in enumerate(pending_attachments):
        att_id = f"att{ATTACHMENT_ID_BASE + n + 1}"
        attachments[att_id] = Attachment(att_id, cid, name, media, _attachment_data(rng, media),
                                         _at(rng.uniform(created, end_ts)), creator)
    title = f"Synthetic Wiki ({spaces} x {pages}, seed {seed})"
    return Site(title, people, groups, space_objs, content, attachments)


def parse_site_spec(spec: str, seed: int = 0) -> Site:
    """'demo' for the shipped demo site, 'synthetic:SPACES:PAGES' (e.g. synthetic:5:2000) for a generated one."""
    text = spec.strip()
    if text == "demo":
        return load_demo_site()
    kind, _, rest = text.partition(":")
    parts = rest.split(":")
    if kind == "synthetic" and len(parts) == 2 and all(p.isdigit() for p in parts):
        spaces, pages = int(parts[0]), int(parts[1])
        if spaces >= 1 and pages >= 1:
            return synthetic_site(spaces, pages, seed=seed)
    raise ValueError(f"unknown site spec {spec!r}: use 'demo' or 'synthetic:SPACES:PAGES' with positive "
                     "integers, e.g. synthetic:5:2000")


# -- pieces ------------------------------------------------------------------------------------------
def _pick(rng: random.Random, cum_weights: list[float]) -> int:
    """An index drawn with the given cumulative weights (random.choices without its overhead)."""
    return bisect(cum_weights, rng.random() * cum_weights[-1])


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(round(ts, 3), UTC)


def _people(rng: random.Random, count: int, domain: str) -> tuple[dict[str, User], dict[str, list[str]]]:
    users: dict[str, User] = {}
    emails: set[str] = set()
    for _ in range(count):
        first, last = rng.choice(w.FIRST_NAMES), rng.choice(w.LAST_NAMES)
        username, email, n = f"{first[0]}{last}".lower(), f"{first}.{last}".lower(), 1
        while username in users or email in emails:
            n += 1
            username, email = f"{first[0]}{last}{n}".lower(), f"{first}.{last}{n}".lower()
        emails.add(email)
        roll = rng.random()
        account = (f"{rng.getrandbits(96):024x}" if roll < 0.7
                   else f"557058:{rng.getrandbits(128):032x}" if roll < 0.9 else f"712020:{rng.getrandbits(128):032x}")
        users[username] = User(account, username, f"{first} {last}", f"{email}@{domain}")
    users[SYNC_USER] = User(f"712020:{rng.getrandbits(128):032x}", SYNC_USER, "KM Sync Bot", f"{SYNC_USER}@{domain}")
    names = [u for u in users if u != SYNC_USER]
    team_count = min(len(w.TEAMS), max(3, count // 8))
    teams: dict[str, list[str]] = {w.TEAMS[t][0]: [] for t in range(team_count)}
    team_names = list(teams)
    for n, username in enumerate(names):
        teams[team_names[n % team_count]].append(username)
        if rng.random() < 0.15:
            extra = teams[rng.choice(team_names)]
            if username not in extra:
                extra.append(username)
    for t, members in teams.items():
        if not members:  # fewer people than teams: everyone helps out
            members += names or [SYNC_USER]
        teams[t] = sorted(members)
    return users, teams


def _unique(title: str, used: set[str], local: int) -> str:
    if title in used:
        title = f"{title} ({local})"
    used.add(title)
    return title


def _page_title(rng: random.Random, created: float) -> str:
    subject, kind = rng.choice(w.TITLE_SUBJECTS), rng.choice(w.TITLE_KINDS)
    roll = rng.random()
    if roll < 0.5:
        return f"{subject} {kind}"
    if roll < 0.78:
        return f"{subject} {kind} {rng.choice(w.TITLE_QUALIFIERS)}"
    if roll < 0.9:
        return f"{kind}: {subject}"
    return f"{_at(created):%Y-%m-%d} {subject} Meeting Notes"


def _page_tree(rng: random.Random, space: int, count: int, home_title: str, opened: float,
               end_ts: float) -> list[_Draft]:
    """Home page at depth 0; few top-level pages, most at depth 2-4, none deeper than 6."""
    times = sorted(rng.uniform(opened, end_ts - 86_400) for _ in range(count - 1))
    drafts = [_Draft(space, 0, "page", home_title, opened)]
    used = {home_title}
    by_depth: list[list[int]] = [[0], [], [], [], [], [], []]
    children = [0] * count
    top_share = min(0.3, 2 / max(count, 1) ** 0.5)
    for local, created in enumerate(times, start=1):
        depth = 1 if rng.random() < top_share else 2 + _pick(rng, _DEPTH_CUM)
        while not by_depth[depth - 1]:
            depth -= 1
        level = by_depth[depth - 1]
        parent = level[int(len(level) * rng.random() ** 1.5)]  # older sections grow bigger
        title = _unique(_page_title(rng, created), used, local)
        drafts.append(_Draft(space, local, "page", title, created, parent, children[parent]))
        children[parent] += 1
        by_depth[depth].append(local)
    return drafts


def _blog_posts(rng: random.Random, space: int, count: int, opened: float, end_ts: float) -> list[_Draft]:
    used: set[str] = set()
    out = []
    for local, created in enumerate(sorted(rng.uniform(opened, end_ts) for _ in range(count))):
        title = rng.choice(w.BLOG_TOPICS).format(
            n=f"{rng.randint(1, 9)}.{rng.randint(0, 20)}", month=w.MONTHS[_at(created).month - 1],
            subject=rng.choice(w.TITLE_SUBJECTS).lower(), team=rng.choice(w.TEAMS)[1] + " team")
        out.append(_Draft(space, local, "blogpost", _unique(title, used, local), created))
    return out


def _versions(rng: random.Random, creator: str, members: list[str], everyone: list[str], created: float,
              end_ts: float) -> list[Version]:
    count = 1 + _pick(rng, _VERSION_CUM)
    times = sorted(rng.uniform(created, end_ts) for _ in range(count - 1))
    out = [Version(1, creator, _at(created), "")]
    previous = created
    for number, ts in enumerate(times, start=2):
        roll = rng.random()
        by = creator if roll < 0.4 else rng.choice(members) if roll < 0.85 else rng.choice(everyone)
        message = rng.choice(w.VERSION_MESSAGES) if rng.random() < 0.3 else ""
        previous = max(ts, previous + 1)  # strictly increasing, a second apart at least
        out.append(Version(number, by, _at(previous), message))
    return out


def _labels(rng: random.Random, home: bool) -> list[str]:
    if home:
        return ["home"]
    if rng.random() < 0.25:
        return []
    picked = (w.LABELS[_pick(rng, _LABEL_CUM)] for _ in range(1 + _pick(rng, _LABEL_COUNT_CUM)))
    return list(dict.fromkeys(picked))


def _restrict(rng: random.Random, item: Content, team: str, members: list[str], *, hidden: bool) -> None:
    mode = rng.random()
    read_users = sorted({item.creator, *rng.sample(members, min(len(members), rng.randint(0, 2)))})
    read_users = [u for u in read_users if u != SYNC_USER]
    users_part = read_users if mode < 0.7 else []
    groups_part = [team] if mode >= 0.3 or not users_part else []
    if not hidden:
        groups_part = [*groups_part, SYNC_GROUP]
    item.read_users, item.read_groups = users_part, groups_part


def _attachment_names(rng: random.Random) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    for n in range(rng.choice((1, 1, 1, 2, 2, 3))):
        roll = rng.random()
        if roll < 0.5:
            stem = rng.choice(("diagram", "screenshot", "architecture", "flow", "dashboard", "chart"))
            out[f"{stem}-{n + 1}.png"] = "image/png"
        elif roll < 0.8:
            stem = rng.choice(("export", "metrics", "inventory", "budget", "results"))
            out[f"{stem}-{n + 1}.csv"] = "text/csv"
        else:
            out[f"{rng.choice(('notes', 'config', 'versions', 'output'))}-{n + 1}.txt"] = "text/plain"
    return list(out.items())


@functools.lru_cache(maxsize=128)
def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    return solid_png(width, height, rgb)


def _attachment_data(rng: random.Random, media_type: str) -> bytes:
    if media_type == "image/png":
        rgb = rng.choice(((52, 101, 164), (78, 154, 6), (204, 0, 0), (237, 212, 0), (117, 80, 123), (85, 87, 83)))
        return _png(rng.choice((16, 64, 120, 320)), rng.choice((16, 48, 90, 200)), rgb)
    if media_type == "text/csv":
        rows = ["date,team,metric,value"]
        rows += [f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d},{rng.choice(w.CODE_WORDS)},"
                 f"{rng.choice(('latency_ms', 'errors', 'tickets', 'cost_eur'))},{rng.randint(0, 5000)}"
                 for _ in range(rng.randint(3, 40))]
        return ("\n".join(rows) + "\n").encode()
    lines = [f"{rng.choice(w.CODE_NAMES)} = {rng.randint(1, 99)}.{rng.randint(0, 9)}" for _ in range(rng.randint(2, 12))]
    return ("\n".join(lines) + "\n").encode()
