"""Synthetic sandbox sites: deterministic, realistic in shape, cheap in memory, and servable over HTTP."""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from bs4 import BeautifulSoup

from km_assets.sandbox.server import Sandbox
from km_assets.sandbox.site import Content, Site
from km_assets.sandbox.synthetic import DEFAULT_END, SyntheticContent, parse_site_spec, synthetic_site

PAGE_LINK = re.compile(r'<ri:page( ri:space-key="([^"]+)")? ri:content-title="([^"]+)"')


@pytest.fixture(scope="module")
def site() -> Site:
    return synthetic_site(2, 300, seed=3)


def depth(site: Site, c: Content) -> int:
    return len(site.ancestors(c))


def snapshot(site: Site) -> list[tuple]:
    return [(c.id, c.type, c.space, c.title, c.parent, c.position, c.labels, c.versions, c.created, c.creator,
             c.read_users, c.read_groups) for c in site.content.values()]


def test_same_seed_same_site_and_another_seed_differs() -> None:
    a, b, other = synthetic_site(2, 120, seed=7), synthetic_site(2, 120, seed=7), synthetic_site(2, 120, seed=8)
    assert snapshot(a) == snapshot(b)
    sample = list(a.content)[::7]
    assert [a.content[i].body for i in sample] == [b.content[i].body for i in sample]
    assert all(a.content[i] == b.content[i] for i in sample)  # dataclass equality, body included
    assert a.users == b.users and a.groups == b.groups and a.spaces == b.spaces
    assert [(x.id, x.container_id, x.filename, x.data) for x in a.attachments.values()] == [
        (x.id, x.container_id, x.filename, x.data) for x in b.attachments.values()]
    assert snapshot(a) != snapshot(other)
    assert [a.content[i].body for i in sample] != [other.content[i].body for i in sample if i in other.content]


def test_counts_spaces_users_and_groups(site: Site) -> None:
    per_space = Counter((c.space, c.type) for c in site.content.values())
    assert set(site.spaces) == {"S000", "S001"}
    for key, space in site.spaces.items():
        assert per_space[(key, "page")] == 300 and per_space[(key, "blogpost")] == round(300 * 0.02)
        assert isinstance(space.id, int) and site.content[space.homepage or ""].title.endswith("Home")
        grants = {(g.subject_type, g.subject, g.operation) for g in space.permissions}
        assert ("group", "confluence-users", "read") in grants
        assert any(t == "group" and s.endswith("-team") and op == "create" for t, s, op in grants)
        assert any(t == "user" and op == "administer" for t, s, op in grants)
    assert len(site.content) == 2 * 300 + 2 * 6
    assert all(c.id.isdigit() for c in site.content.values())
    bot = site.users["sync-bot"]
    assert bot.email == "sync-bot@synthetic.example"
    assert 45 <= len(site.users) <= 60
    assert set(site.groups["confluence-users"].members) == set(site.users)
    assert site.groups["km-sync"].members == ["sync-bot"]
    assert len([g for g in site.groups if g.endswith("-team")]) >= 3


def test_trees_have_existing_parents_no_cycles_and_realistic_depth(site: Site) -> None:
    depths = []
    for c in site.content.values():
        if c.type == "blogpost":
            assert c.parent is None
            continue
        seen = {c.id}
        node = c
        while node.parent is not None:
            parent = site.content[node.parent]  # exists
            assert parent.space == c.space and parent.type == "page" and parent.id not in seen
            assert int(parent.id) < int(node.id) and parent.created <= node.created
            seen.add(parent.id)
            node = parent
        assert node.id == site.spaces[c.space].homepage
        depths.append(depth(site, c))
    histogram = Counter(depths)
    assert max(depths) <= 8 and sum(n for d, n in histogram.items() if d >= 4) > 0
    assert sum(histogram[d] for d in (2, 3, 4)) > 0.5 * len(depths)
    positions = Counter((c.parent, c.position) for c in site.content.values() if c.parent)
    assert max(positions.values()) == 1  # siblings are ordered without ties


def test_versions_times_and_labels(site: Site) -> None:
    for c in site.content.values():
        assert 1 <= len(c.versions) <= 8
        assert [v.number for v in c.versions] == list(range(1, len(c.versions) + 1))
        times = [v.at for v in c.versions]
        assert c.created <= times[0] and times == sorted(times) and len(set(times)) == len(times)
        assert DEFAULT_END - timedelta(days=3 * 366) <= c.created <= DEFAULT_END + timedelta(days=1)
        assert c.creator in site.users and all(v.by in site.users for v in c.versions)
    assert len({len(c.versions) for c in site.content.values()}) >= 6
    labels = Counter(label for c in site.content.values() for label in c.labels)
    counts = sorted(labels.values(), reverse=True)
    assert counts[0] >= 5 * statistics.median(counts)  # a few labels dominate
    unlabelled = sum(not c.labels for c in site.content.values()) / len(site.content)
    assert 0.1 < unlabelled < 0.4


def test_bodies_parse_and_use_the_storage_constructs(site: Site) -> None:
    bodies = [c.body for c in site.content.values()]
    joined = "".join(bodies)
    for body in bodies:
        soup = BeautifulSoup(body, "html.parser")
        assert soup.find(True) is not None
        assert "<ac:structured-macro" in body
    for construct in ("colspan=", "rowspan=", "<![CDATA[", "<ac:image", 'ac:name="jira"', 'ac:name="expand"',
                      'ac:name="status"', 'ac:name="info"', 'ac:name="warning"', 'ac:name="note"', "<ac:task-list>",
                      "ri:space-key=", "<ri:user ri:account-id=", "<h2>", "<table", "<ul>", "<ol>",
                      'ac:name="acme-roadmap-timeline"', 'ac:name="team-calendar-embed"'):
        assert construct in joined, construct
    sizes = sorted(len(b) for b in bodies)
    assert 2000 <= statistics.median(sizes) <= 4500
    assert sizes[-1] <= 60_000


def test_body_sizes_have_a_long_tail() -> None:
    big = synthetic_site(1, 2500, seed=11, attachment_fraction=0.0, blog_fraction=0.0)
    sizes = sorted(len(c.body) for c in big.content.values())
    assert sizes[-1] > 15_000 and sizes[-1] <= 60_000
    assert 2500 <= sizes[len(sizes) // 2] <= 3800


def test_page_links_mostly_resolve(site: Site) -> None:
    titles = {key: {c.title for c in site.content.values() if c.space == key and c.type == "page"}
              for key in site.spaces}
    total = resolved = cross = 0
    for c in site.content.values():
        for _, key, title in PAGE_LINK.findall(c.body):
            target = key or c.space
            cross += bool(key)
            total += 1
            resolved += title.replace("&amp;", "&") in titles[target]
    assert total > 200 and cross > 0
    assert 0.85 <= resolved / total < 1.0  # a few broken links, as on any real wiki


def test_attachments_exist_and_are_referenced(site: Site) -> None:
    owners = Counter(a.container_id for a in site.attachments.values())
    assert 0.02 < len(owners) / len(site.content) < 0.1
    for att in site.attachments.values():
        container = site.content[att.container_id]
        assert f'ri:filename="{att.filename}"' in container.body
        assert att.created >= container.created
        if att.media_type == "image/png":
            assert att.data.startswith(b"\x89PNG\r\n\x1a\n")
        else:
            assert att.data.decode().strip()


def test_sync_bot_sees_everything_unless_some_content_is_hidden() -> None:
    site = synthetic_site(2, 500, seed=5, restricted_fraction=0.1)
    bot = site.users["sync-bot"]
    restricted = [c for c in site.content.values() if c.read_users or c.read_groups]
    assert 0.05 < len(restricted) / len(site.content) < 0.15
    assert all("km-sync" in c.read_groups for c in restricted)
    assert any(c.read_users for c in restricted) and any(len(c.read_groups) > 1 for c in restricted)
    assert all(site.can_view(bot, c) for c in site.content.values())
    outsider = next(u for name, u in site.users.items()
                    if name != "sync-bot" and not any(c for c in restricted if name in c.read_users))
    assert not all(site.can_view(outsider, c) for c in restricted)

    hidden = synthetic_site(2, 500, seed=5, restricted_fraction=0.02, hidden_fraction=0.02)
    bot = hidden.users["sync-bot"]
    invisible = [c for c in hidden.content.values() if not hidden.can_view(bot, c)]
    assert invisible
    assert any("km-sync" not in c.read_groups and c.read_groups + c.read_users for c in invisible)
    assert len(invisible) < 0.2 * len(hidden.content)


def test_edits_override_the_generated_body_and_index_snapshots_share_the_generator() -> None:
    site = synthetic_site(1, 40, seed=2)
    page = next(c for c in site.content.values() if c.parent)
    other = next(c for c in site.content.values() if c.parent and c.id != page.id)
    assert isinstance(page, SyntheticContent)
    original, other_body = page.body, other.body
    site.index_lag = 60.0
    site.edit(page.id, by="sync-bot", body="<p>Rewritten</p>")
    assert page.body == "<p>Rewritten</p>" and page.version.number == len(page.versions)
    assert other.body == other_body
    snapshots = [snap for _, snap in site._index[page.id] if snap is not None]
    assert snapshots[0].body == original and snapshots[-1].body == "<p>Rewritten</p>"
    assert snapshots[0]._bodies is page._bodies  # a deep copy does not copy the generator
    created = site.create(space="S000", title="Brand new", body="<p>new</p>", by="sync-bot")
    assert int(created.id) > max(int(i) for i in site.content if i != created.id)
    before = dict(site.attachments)
    added = site.add_attachment(page.id, filename="added.txt", data=b"x", media_type="text/plain", by="sync-bot")
    assert added.id not in before and all(site.attachments[k] is v for k, v in before.items())
    copy = dataclasses.replace(other, title="Copied")
    assert copy.body == other_body and copy.title == "Copied" and copy.id == other.id


def test_parse_site_spec() -> None:
    assert "ENG" in parse_site_spec("demo", 0).spaces
    small = parse_site_spec("synthetic:2:10", 4)
    assert sum(c.type == "page" for c in small.content.values()) == 20
    assert snapshot(small) == snapshot(synthetic_site(2, 10, seed=4))
    for bad in ("", "demo2", "synthetic", "synthetic:2", "synthetic:a:b", "synthetic:0:5", "synthetic:1:2:3",
                "synthetic:-1:5"):
        with pytest.raises(ValueError, match="synthetic:SPACES:PAGES"):
            parse_site_spec(bad, 0)


def test_served_over_http_with_cursor_paging() -> None:
    site = synthetic_site(2, 300, seed=1)
    expected = {c.id for c in site.content.values() if c.space == "S001" and c.status == "current"}
    seen: list[str] = []
    with Sandbox(site=site) as sandbox, httpx.Client(base_url=sandbox.url, auth=sandbox.basic_auth) as client:
        body = client.get("/rest/api/content/search", params={"cql": 'space="S001"', "limit": 100}).json()
        assert body["totalSize"] == len(expected)
        requests = 1
        while True:
            seen += [r["id"] for r in body["results"]]
            if "next" not in body["_links"]:
                break
            assert "cursor=" in body["_links"]["next"]
            body = client.get(body["_links"]["base"] + body["_links"]["next"]).json()
            requests += 1
        page = next(c for c in site.content.values() if c.space == "S001" and c.parent)
        item = client.get(f"/rest/api/content/{page.id}", params={"expand": "body.storage,version"}).json()
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert requests == -(-len(expected) // 100)
    assert item["body"]["storage"]["value"] == page.body
    assert item["version"]["number"] == page.version.number
