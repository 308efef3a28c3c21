"""The sandbox's CQL subset on a small site built here, so every expected answer is visible."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from km_assets.sandbox.cql import CqlError, parse_cql
from km_assets.sandbox.site import Content, Site, Space, User, Version


def _content(cid, space, title, *, parent=None, labels=(), kind="page", modified="2026-11-25T10:00:30Z"):
    at = datetime.fromisoformat(modified.replace("Z", "+00:00"))
    return Content(id=cid, type=kind, space=space, title=title, body=f"<p>{title}</p>", creator="ann",
                   created=datetime(2026, 1, 1, tzinfo=UTC), versions=[Version(1, "ann", at)],
                   parent=parent, labels=list(labels))


@pytest.fixture
def site() -> Site:
    items = [
        _content("1", "ENG", "Home", labels=["home"]),
        _content("2", "ENG", "Runbooks", parent="1", labels=["runbook"], modified="2026-11-25T23:30:00Z"),
        _content("3", "ENG", "Deploy", parent="2", labels=["runbook", "draft"], modified="2026-11-24T08:00:00Z"),
        _content("4", "OPS", "Oncall", labels=[]),
        _content("5", "OPS", "Release 1.2", kind="blogpost", labels=["release"], modified="2026-11-26T00:10:00Z"),
    ]
    return Site("t", {"ann": User("acc-ann", "ann", "Ann", "ann@example.com")}, {},
                {"ENG": Space("ENG", 1, "Engineering"), "OPS": Space("OPS", 2, "Operations")},
                {c.id: c for c in items}, {})


def ids(site, cql, tz="UTC"):
    return [c.id for c in parse_cql(cql, site, ZoneInfo(tz)).run(list(site.content.values()))]


@pytest.mark.parametrize(("cql", "expected"), [
    ('space = "ENG"', ["1", "2", "3"]),
    ("space in (ENG, OPS) and type = blogpost", ["5"]),
    ('type in (page) and space = OPS', ["4"]),
    ('label = runbook', ["2", "3"]),
    ('space = ENG and label not in ("draft")', ["1", "2"]),
    ("ancestor = 1", ["2", "3"]),
    ("ancestor = 1 or id = 1", ["1", "2", "3"]),
    ("id in (4, 5)", ["4", "5"]),
    ('title = "Deploy"', ["3"]),
    ('title ~ "run"', ["2"]),
    ("not space = ENG", ["4", "5"]),
    ("(space = ENG and label = draft) or type = blogpost", ["3", "5"]),
    ('space = ENG order by lastmodified desc', ["2", "1", "3"]),
    ('space = ENG order by title asc', ["3", "1", "2"]),
])
def test_cql_subset(site, cql, expected):
    got = ids(site, cql)
    assert got == expected if "order by" in cql else sorted(got) == expected


def test_dates_have_minute_precision():
    """An item modified at 10:00:30 matches `lastmodified >= "10:00"` but not `> "10:00"`."""
    s = Site("t", {}, {}, {}, {"1": _content("1", "ENG", "x")}, {})
    assert ids(s, 'lastmodified >= "2026-11-25 10:00"') == ["1"]
    assert ids(s, 'lastmodified > "2026-11-25 10:00"') == []
    assert ids(s, 'lastmodified < "2026-11-25 10:01"') == ["1"]


def test_dates_are_read_in_the_site_time_zone(site):
    # 2026-11-25T23:30Z is 2026-11-26 00:30 in Berlin, so it falls on the 26th there.
    assert "2" in ids(site, 'lastmodified >= "2026-11-26"', tz="Europe/Berlin")
    assert "2" not in ids(site, 'lastmodified >= "2026-11-26"', tz="UTC")


@pytest.mark.parametrize("cql", ["space = ", "space == ENG", "colour = red", "space in ENG",
                                 "space = ENG order lastmodified", "(space = ENG", 'lastmodified > "yesterday"'])
def test_invalid_cql_is_an_error(site, cql):
    with pytest.raises(CqlError, match="Could not parse cql"):
        ids(site, cql)
