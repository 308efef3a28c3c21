"""The sandbox's v1 answers have the structure of real Confluence answers.

Every non-v2 file in ../shared/confluence-samples/api is either compared here with the sandbox's answer
to the equivalent request (same endpoint and flavor, expansions inferred from what the recording has
expanded) or listed in NOT_SERVED with the reason; a new recording therefore fails the suite until it is
placed. The comparison is structural: every key of the recording exists in the sandbox's answer, with the
same JSON type where both are non-null (int and float alike). Lists compare element shapes merged over all
elements on each side, so a key the recording always has must be in every served element, and a key whose
type varies between recorded elements (Cloud's `extensions.position`, "none" or a number) accepts either.
`_expandable` names something the API offers: the sandbox satisfies it by offering it too or by having
it expanded. Placeholder files (Atlassian doc examples with "<string>" values) list everything both as
expanded and as expandable, so their `_expandable` maps are not compared, and the few keys no real answer
can carry are skipped with the reason.

Also here: the Data Center paging quirks and limit clamping, checked as behaviour over HTTP.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from km_assets.sandbox import Sandbox, SandboxOptions, load_demo_site
from km_assets.sandbox.site import Comment, Site

# -- structural comparison ---------------------------------------------------------------------------


@dataclass
class Shape:
    """The merged shape of every value seen at one path of a JSON document."""

    types: set[str] = field(default_factory=set)
    keys: dict[str, Shape] = field(default_factory=dict)
    key_count: Counter = field(default_factory=Counter)  # in how many of the objects each key occurs
    objects: int = 0
    item: Shape | None = None


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int in Python, not in JSON
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def shape_of(value: Any, into: Shape | None = None) -> Shape:
    shape = into if into is not None else Shape()
    shape.types.add(json_type(value))
    if isinstance(value, dict):
        shape.objects += 1
        for key, child in value.items():
            shape.key_count[key] += 1
            shape.keys[key] = shape_of(child, shape.keys.get(key))
    elif isinstance(value, list):
        for child in value:
            shape.item = shape_of(child, shape.item)
    return shape


# Keys whose type varies in the real API wherever they appear, not only where one recording shows both:
# Cloud's `extensions.position` is "none" for pages never placed by hand, else a number (demisto shows
# both in one list, and only "none" in its ancestors).
POLYMORPHIC = {".extensions.position": {"string", "number"}}


def differences(recorded: Shape, served: Shape, path: str = "$", *, placeholder: bool = False,
                skip: frozenset[str] = frozenset()) -> list[str]:
    """What the served shape lacks or types differently from the recorded one (empty when it matches).

    Placeholders show one example element with every optional key, so there a key need not be in every
    served element, only in one."""
    rec_types, srv_types = recorded.types - {"null"}, served.types - {"null"}
    rec_types |= next((types for suffix, types in POLYMORPHIC.items() if path.endswith(suffix)), set())
    if rec_types and srv_types and not srv_types <= rec_types:
        return [f"{path}: recorded {sorted(rec_types)}, served {sorted(srv_types)}"]
    found: list[str] = []
    if "object" in rec_types and "object" in srv_types:
        for key, child in recorded.keys.items():
            where = f"{path}.{key}"
            if where in skip:
                continue
            if key == "_expandable":
                if not placeholder:
                    offered = served.keys.get("_expandable")
                    found += [f"{where}.{name}: neither expanded nor offered" for name in child.keys
                              if name not in served.keys and (offered is None or name not in offered.keys)]
                continue
            if key not in served.keys:
                found.append(f"{where}: missing")
                continue
            if (not placeholder and recorded.key_count[key] == recorded.objects
                    and served.key_count[key] < served.objects):
                found.append(f"{where}: missing from some served items")
            found += differences(child, served.keys[key], where, placeholder=placeholder, skip=skip)
    if {"array"} <= rec_types & srv_types and recorded.item is not None and served.item is not None:
        found += differences(recorded.item, served.item, f"{path}[]", placeholder=placeholder, skip=skip)
    return found


def paths(shape: Shape, path: str = "$") -> Iterator[str]:
    yield path
    for key, child in shape.keys.items():
        yield from paths(child, f"{path}.{key}")
    if shape.item is not None:
        yield from paths(shape.item, f"{path}[]")


def test_the_comparison_itself():
    recorded = shape_of({"a": [{"n": 1, "p": "none"}, {"n": 2.5, "p": 7}], "_expandable": {"b": ""},
                         "z": None})
    assert differences(recorded, shape_of({"a": [{"n": 3, "p": 1}], "b": {}, "z": 1})) == []
    served = shape_of({"a": [{"n": "3", "p": 1}], "_expandable": {"b": ""}, "z": None})
    assert differences(recorded, served) == ["$.a[].n: recorded ['number'], served ['string']"]
    assert differences(recorded, shape_of({"a": [{"n": 1, "p": 1}, {"p": 2}], "z": 0})) == [
        "$.a[].n: missing from some served items", "$._expandable.b: neither expanded nor offered"]
    assert differences(recorded, shape_of({"a": [], "_expandable": {"b": ""}})) == ["$.z: missing"]


# -- the recordings and the equivalent sandbox requests ----------------------------------------------

PAGE = "65542"  # ENG "API Guidelines": a child page with ancestors, labels and several versions
PAGE_WITH_FILES = "65541"  # ENG "Architecture Overview": an attachment, a child page, and comments here
RESTRICTED = "65543"  # read-restricted to users and a group; update restrictions are added here
# What the dapplo Server samples have expanded, down to the empty collections of each ancestor.
DC_CONTENT_EXPAND = ("space,space.description.plain,version,ancestors,ancestors.ancestors,"
                     "ancestors.operations,ancestors.children,ancestors.descendants,ancestors.body,"
                     "ancestors.metadata,operations,children,descendants,container.description.plain,"
                     "body.view,metadata")
_BODIES = ("body.view,body.export_view,body.styled_view,body.storage,body.editor,body.editor2,"
           "body.anonymous_export_view,body.atlas_doc_format,body.dynamic")
_SPACE_ALL = ("icon,description.plain,description.view,metadata.labels,operations,permissions,settings,theme,"
              "lookAndFeel,history")
_HOMEPAGE = ",".join(
    [f"space.{e}" for e in _SPACE_ALL.split(",")]
    + ["history.lastUpdated", "history.previousVersion", "history.contributors.publishers",
       "history.nextVersion", "version.collaborators", "ancestors", "operations", "children.attachment",
       "children.comment", "children.page", "childTypes.all", "descendants.attachment", "descendants.comment",
       "descendants.page",
       "container", "restrictions.read.restrictions.user", "restrictions.read.restrictions.group",
       "restrictions.update.restrictions.user", "restrictions.update.restrictions.group"]
    + [f"body.{rep}.webresource" for rep in
       ("view", "export_view", "styled_view", "storage", "editor2", "anonymous_export_view")])
_RESTRICTION_CONTENT = ("space,history,version,ancestors,operations,children,childTypes,descendants,"
                        f"container,{_BODIES},restrictions,metadata")


@dataclass(frozen=True)
class Case:
    file: str
    flavor: str  # "cloud" or "datacenter"
    path: str  # below the sandbox's site URL; {group_id} is filled in from the site
    params: dict = field(default_factory=dict)
    status: int = 200
    message: str | None = None  # what an error answer's message must contain
    sandbox: str = "recordings"  # "recordings", or "unlicensed"/"rate_limited" for those failures
    placeholder: bool = False
    adapt: Callable[[Any], Any] | None = None  # the recording, as the comparable part of an answer
    extract: Callable[[Any], Any] | None = None  # the comparable part of the sandbox's answer
    skip: dict[str, str] = field(default_factory=dict)  # placeholder paths no real answer can have: why

    @property
    def id(self) -> str:
        return f"{self.file}[{self.flavor}]"


def _by_operation(recorded: dict) -> dict:
    # The OpenAPI example names the map's value type "operationType"; real keys are the operations.
    example = recorded["operationType"]
    return {"read": example, "update": example, "_links": recorded["_links"]}


_NO_WIKI = ("wiki is a conversion-only representation: no content GET offers it "
            "(recorded body._expandable never lists it)")
_CLOUD_NO_NAMES = ("Cloud removed user names and keys (2019 privacy deprecation); "
                   "real Cloud users (demisto, baton) have neither")

CASES: list[Case] = [
    Case("go-atlassian-get-content.json", "cloud", f"/rest/api/content/{PAGE}"),
    Case("go-atlassian-get-contents-expand-operations.json", "cloud", "/rest/api/content",
         {"spaceKey": "ENG", "expand": "operations"}),
    Case("go-atlassian-get-spaces.json", "cloud", "/rest/api/space"),
    Case("go-atlassian-get-content-child-attachment.json", "cloud",
         f"/rest/api/content/{PAGE_WITH_FILES}/child",
         {"expand": "attachment,page"}),
    Case("go-atlassian-get-content-comments.json", "cloud",
         f"/rest/api/content/{PAGE_WITH_FILES}/child/comment",
         {"expand": "childTypes.all"}),
    Case("go-atlassian-get-content-restriction-by-operation.json", "cloud",
         f"/rest/api/content/{RESTRICTED}/restriction/byOperation",
         {"expand": ",".join(["restrictions.user", "restrictions.group",
                              *(f"content.{e}" for e in _RESTRICTION_CONTENT.split(","))])},
         placeholder=True, adapt=_by_operation,
         skip={"$.read.content.body.wiki": _NO_WIKI, "$.update.content.body.wiki": _NO_WIKI}),
    Case("go-atlassian-get-space-with-permissions.json", "cloud", "/rest/api/space/ENG",
         {"expand": ",".join([*_SPACE_ALL.split(","), "permissions.subjects.user.operations",
                              "permissions.subjects.user.details", "permissions.subjects.user.personalSpace",
                              *(f"homepage.{e}" for e in _HOMEPAGE.split(","))])},
         placeholder=True,
         skip={"$.homepage.history.nextVersion": "the homepage's newest version has no next one",
               "$.permissions[].subjects.user.results[].username": _CLOUD_NO_NAMES,
               "$.permissions[].subjects.user.results[].userKey": _CLOUD_NO_NAMES,
               "$.permissions[].subjects.user.results[].personalSpace":
                   "no demo user has a personal space, and Cloud then leaves it out"}),
    Case("demisto-v1-content-list-expand-next.json", "cloud", "/rest/api/content",
         {"spaceKey": "ENG", "limit": 2,
          "expand": "childTypes.all,space,version,history,ancestors,container,body"}),
    Case("demisto-v1-space-list-expand-history.json", "cloud", "/rest/api/space",
         {"spaceKey": ["ENG", "OPS"], "expand": "history"}),
    Case("demisto-v1-search-user-cql.json", "cloud", "/rest/api/search/user",
         {"cql": "type=user", "limit": 2, "start": 2}),
    Case("demisto-v1-group-list.json", "cloud", "/rest/api/group"),
    Case("demisto-v1-error-400-cql-unsupported-type.json", "cloud", "/rest/api/content/search",
         {"cql": "type=pagenjkkj"}, status=400, message="Unsupported value for type, got : pagenjkkj"),
    Case("demisto-v1-error-403-not-permitted.json", "cloud", "/rest/api/space", status=403,
         message="Current user not permitted to use Confluence", sandbox="unlicensed"),
    Case("dapplo-content-search-cql.json", "cloud", "/rest/api/content/search", {"cql": 'text ~ "fleet"'}),
    Case("dapplo-content-server-expanded.json", "datacenter", f"/rest/api/content/{PAGE}",
         {"expand": DC_CONTENT_EXPAND}),
    Case("dapplo-server-content-doc-example-context-path.json", "datacenter", f"/rest/api/content/{PAGE}",
         {"expand": DC_CONTENT_EXPAND}),
    Case("dapplo-attachments.json", "datacenter", f"/rest/api/content/{PAGE_WITH_FILES}/child/attachment",
         {"expand": "version,ancestors,operations,children,descendants,body,metadata,"
                    + ",".join(f"container.{e}" for e in DC_CONTENT_EXPAND.split(","))}),
    # Jersey's answer when a path id is not a content id: here "search" under content/{id}.
    Case("dapplo-error-500.json", "datacenter", "/rest/api/content/search/child/attachment", status=500,
         message="Can't parse as a ContentId: search"),
    Case("dapplo-error-500.json", "cloud", "/rest/api/content/search/child/attachment", status=500,
         message="Can't parse as a ContentId: search"),
    Case("querypie-568918170-v1-content-expand-body-ancestors.yaml", "cloud", f"/rest/api/content/{PAGE}",
         {"expand": "body.storage,body.view,ancestors"}),
    # querypie's fetcher stored only the `ancestors` list of content/{id}?expand=ancestors, as `results`.
    Case("querypie-568918170-v1-ancestors.yaml", "cloud", f"/rest/api/content/{PAGE}",
         {"expand": "ancestors"},
         extract=lambda body: {"results": body["ancestors"]}),
    Case("querypie-568918170-v1-child-attachment.yaml", "cloud",
         f"/rest/api/content/{PAGE_WITH_FILES}/child/attachment"),
    # POST content answers the created content as GET content/{id}?expand=version renders it.
    Case("text2confl-v1-content-after-create.json", "cloud", f"/rest/api/content/{PAGE}",
         {"expand": "version"}),
    Case("baton-confluence-v1-group-members-by-group-id.json", "cloud",
         "/rest/api/group/{group_id}/membersByGroupId", {"expand": "operations"}),
    Case("baton-confluence-v1-search-user-size-mismatch.json", "cloud", "/rest/api/search/user",
         {"cql": "type=user", "expand": "operations"}),
    Case("baton-confluence-dc-v1-user-list-empty-next.json", "datacenter", "/rest/api/user/list",
         {"limit": 0}),
    # Hand-written body, but the failure is real: Data Center's rate limiter refusing a request.
    Case("baton-confluence-dc-429-rate-limit-body.json", "datacenter", "/rest/api/space", status=429,
         sandbox="rate_limited"),
]

# Recordings of endpoints the sandbox does not serve, with why. Kept exact, so that a new recording has
# to be placed here or in CASES.
NOT_SERVED: dict[str, str] = {
    # POST content/{id}/child/attachment: the sandbox serves no uploads (the v1 API is read-only here).
    "text2confl-v1-attachment-upload-result.json": "POST upload result; uploads are not served",
}


def recording_files(shared: Path) -> set[str]:
    """The non-v2 API recordings (v2 ones are checked by the v2 tests)."""
    return {p.name for p in (shared / "confluence-samples" / "api").iterdir()
            if p.is_file() and "v2" not in p.name}


def load_recording(shared: Path, name: str) -> tuple[Any, str]:
    path = shared / "confluence-samples" / "api" / name
    text = path.read_text(encoding="utf-8-sig")  # dapplo-content-search-cql.json starts with a BOM
    return (yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)), text


def recording_site() -> Site:
    """The demo site, plus what the recordings need that it lacks: comments and update restrictions."""
    site = load_demo_site()
    for n, (author, text) in enumerate([("bchen", "Should the gateway diagram show the gRPC ports?"),
                                         ("amoreau", "Yes, added in version 3.")]):
        cid = f"7{n:04d}"
        site.comments[cid] = Comment(cid, PAGE_WITH_FILES, f"<p>{text}</p>", author,
                                     datetime(2026, 2, 1 + n, 9, 30, tzinfo=UTC))
    site.restrict(RESTRICTED, operation="update", users=["amoreau"], groups=["engineering"])
    return site


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[dict[str, Sandbox]]:
    with ExitStack() as stack:
        started = {flavor: Sandbox(site=recording_site(), options=SandboxOptions(flavor=flavor))
                   for flavor in ("cloud", "datacenter")}
        yield {flavor: stack.enter_context(sandbox) for flavor, sandbox in started.items()}


def fetch(sandbox: Sandbox, case: Case) -> httpx.Response:
    group_id = sandbox.site.groups["engineering"].id
    with httpx.Client(base_url=sandbox.url, auth=sandbox.basic_auth, timeout=30) as client:
        return client.get(case.path.format(group_id=group_id), params=case.params)


def answer(case: Case, sandboxes: dict[str, Sandbox]) -> httpx.Response:
    if case.sandbox == "recordings":
        return fetch(sandboxes[case.flavor], case)
    site = recording_site()
    if case.sandbox == "unlicensed":
        site.users["sync-bot"].active = False  # an account whose Confluence product access was removed
        with Sandbox(site=site, options=SandboxOptions(flavor=case.flavor)) as sandbox:
            return fetch(sandbox, case)
    faults = pytest.importorskip("km_assets.sandbox.faults", reason="the sandbox has no fault injection yet")
    if "faults" not in {f.name for f in dataclasses.fields(Sandbox)}:
        pytest.skip("Sandbox takes no fault options yet, so it cannot answer 429")
    limited = faults.FaultOptions(rate_limit_per_s=0.01, burst=1)
    with Sandbox(site=site, options=SandboxOptions(flavor=case.flavor), faults=limited) as sandbox:
        assert fetch(sandbox, case).status_code == 200  # the one request the bucket allows
        return fetch(sandbox, case)


def test_every_non_v2_recording_is_compared_or_listed_as_not_served(shared_dir):
    compared = {case.file for case in CASES}
    assert not compared & set(NOT_SERVED)
    assert compared | set(NOT_SERVED) == recording_files(shared_dir)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_sandbox_answer_has_the_recorded_structure(case: Case, shared_dir, sandboxes):
    recorded, text = load_recording(shared_dir, case.file)
    assert case.placeholder == ('"<string>"' in text), "placeholder files are the ones with <string> values"
    response = answer(case, sandboxes)
    assert response.status_code == case.status, response.text[:500]
    served = response.json()
    if case.message is not None:
        assert case.message in served["message"]
    if case.adapt is not None:
        recorded = case.adapt(recorded)
    assert set(case.skip) <= set(paths(shape_of(recorded))), "a skipped path the recording does not have"
    if case.extract is not None:
        served = case.extract(served)
    found = differences(shape_of(recorded), shape_of(served), placeholder=case.placeholder,
                        skip=frozenset(case.skip))
    assert found == [], "\n".join(found)


# -- paging behaviour: Data Center's caps and its wrong `next`, Cloud's cursor, limit clamping ----------

BULK = 1100  # enough pages for every Data Center cap (50, 200, 1000) to bite


@pytest.fixture(scope="module")
def bulk_site() -> Site:
    site = load_demo_site()
    for n in range(BULK):
        site.create(space="OPS", title=f"Bulk page {n:04d}", by="cokafor", body=f"<p>Bulk {n}</p>",
                    at=datetime(2026, 3, 1, tzinfo=UTC))
    return site


@pytest.fixture(scope="module")
def dc_bulk(bulk_site) -> Iterator[Sandbox]:
    with Sandbox(site=bulk_site, options=SandboxOptions(flavor="datacenter")) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def cloud_bulk(bulk_site) -> Iterator[Sandbox]:
    with Sandbox(site=bulk_site, options=SandboxOptions(flavor="cloud")) as sandbox:
        yield sandbox


def client_for(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sandbox.url, auth=sandbox.basic_auth, timeout=60)


def ops_ids(sandbox: Sandbox) -> list[str]:
    site = sandbox.site
    bot = site.users[sandbox.options.api_user]
    return [c.id for c in site.content.values()
            if c.space == "OPS" and c.status == "current" and site.can_view(bot, c)]


@pytest.mark.parametrize(("expand", "cap"), [("body.storage", 50), ("version,space", 200), (None, 1000)])
def test_datacenter_caps_the_page_size_by_expansion(dc_bulk, expand, cap):
    params = {"cql": "space = OPS", "limit": 5000, **({"expand": expand} if expand else {})}
    with client_for(dc_bulk) as client:
        body = client.get("/rest/api/content/search", params=params).json()
    assert body["limit"] == cap and body["size"] == cap == len(body["results"])
    assert body["totalSize"] == len(ops_ids(dc_bulk)) > cap


def test_datacenter_next_link_skips_items_and_counting_results_does_not(dc_bulk):
    """CONFSERVER-95272: `next` steps by the requested limit (100) although only 50 came back."""
    expected = ops_ids(dc_bulk)
    params = {"cql": "space = OPS", "limit": 100, "expand": "body.storage"}
    with client_for(dc_bulk) as client:
        trusting: list[str] = []
        body = client.get("/rest/api/content/search", params=params).json()
        assert body["size"] == 50 and "start=100" in body["_links"]["next"]
        while True:
            trusting += [r["id"] for r in body["results"]]
            if "next" not in body["_links"]:
                break
            body = client.get(body["_links"]["base"] + body["_links"]["next"]).json()
        assert len(trusting) < len(expected) and set(trusting) < set(expected)

        counting: list[str] = []
        start = 0
        while True:
            body = client.get("/rest/api/content/search", params={**params, "start": start}).json()
            counting += [r["id"] for r in body["results"]]
            if "next" not in body["_links"] or not body["results"]:
                break
            start += len(body["results"])
    assert counting == expected


def test_datacenter_limit_zero_gives_an_empty_page_whose_next_does_not_advance(dc_bulk):
    """As in baton-confluence-datacenter's user-list recording: following it would never end."""
    with client_for(dc_bulk) as client:
        body = client.get("/rest/api/user/list", params={"limit": 0}).json()
        assert (body["results"], body["limit"], body["size"]) == ([], 0, 0)
        again = client.get(body["_links"]["base"] + body["_links"]["next"]).json()
    assert again["results"] == [] and again["_links"]["next"] == body["_links"]["next"]


def test_cloud_content_search_pages_by_a_cursor_in_next(cloud_bulk):
    expected = ops_ids(cloud_bulk)
    seen: list[str] = []
    with client_for(cloud_bulk) as client:
        body = client.get("/rest/api/content/search", params={"cql": "space = OPS", "limit": 250}).json()
        while True:
            seen += [r["id"] for r in body["results"]]
            if "next" not in body["_links"]:
                break
            assert "cursor=" in body["_links"]["next"] and "start=" not in body["_links"]["next"]
            body = client.get(body["_links"]["base"] + body["_links"]["next"]).json()
    assert seen == expected


@pytest.mark.parametrize(("flavor", "requested", "served"), [
    ("cloud", 1000, 250), ("cloud", 7, 7), ("datacenter", 5000, 1000), ("datacenter", 7, 7)])
def test_limit_out_of_range_is_clamped_not_refused(cloud_bulk, dc_bulk, flavor, requested, served):
    sandbox = cloud_bulk if flavor == "cloud" else dc_bulk
    with client_for(sandbox) as client:
        body = client.get("/rest/api/content", params={"spaceKey": "OPS", "limit": requested}).json()
    assert body["limit"] == served == len(body["results"])

