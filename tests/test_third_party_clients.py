"""Unmodified third-party clients against the sandbox: if they work here, the sandbox speaks Confluence.

atlassian-python-api is pinned to the 3.41 line (what LangChain's loader is written for): its 5.0 Cloud
class asks for /wiki/content without rest/api, which no Confluence serves.
"""

from __future__ import annotations

import warnings

import pytest

from km_assets.sandbox import Sandbox

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from atlassian import Confluence
    from langchain_community.document_loaders import ConfluenceLoader


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as sb:
        yield sb


def _ids(sandbox: Sandbox, space: str, kind: str = "page") -> set[str]:
    site = sandbox.site
    bot = site.users[sandbox.options.api_user]
    return {c.id for c in site.content.values()
            if c.space == space and c.type == kind and c.status == "current" and site.can_view(bot, c)}


def client(sandbox: Sandbox) -> Confluence:
    return Confluence(sandbox.url, username=sandbox.login, password=sandbox.options.api_token, cloud=True)


def test_atlassian_python_api_lists_every_page_of_a_space(sandbox):
    confluence = client(sandbox)
    seen: list[str] = []
    start = 0
    while True:
        batch = confluence.get_all_pages_from_space("OPS", start=start, limit=2)
        if not batch:
            break
        seen += [p["id"] for p in batch]
        start += len(batch)
    assert sorted(seen) == sorted(_ids(sandbox, "OPS"))


def test_atlassian_python_api_cql_across_pages_of_results(sandbox):
    confluence = client(sandbox)
    seen: list[str] = []
    start, total = 0, None
    while total is None or start < total:
        response = confluence.cql('space = "ENG" and type = page', start=start, limit=3)
        total = response["totalSize"]
        batch = [r["content"]["id"] for r in response["results"]]
        assert batch, "an empty page before totalSize was reached"
        seen += batch
        start += len(batch)
    assert sorted(seen) == sorted(_ids(sandbox, "ENG"))


def test_atlassian_python_api_reads_a_page_with_its_storage_body(sandbox):
    page = client(sandbox).get_page_by_id("65537", expand="body.storage")
    assert page["title"] == sandbox.site.content["65537"].title
    assert page["body"]["storage"]["value"] == sandbox.site.content["65537"].body


def test_langchain_confluence_loader_loads_every_page_of_the_demo_spaces(sandbox):
    loader = ConfluenceLoader(url=sandbox.url, username=sandbox.login, api_key=sandbox.options.api_token,
                              cloud=True, space_key=None, limit=2, max_pages=1000,
                              include_restricted_content=True)
    docs = []
    for space in sorted(sandbox.site.spaces):
        loader.space_key = space
        docs += loader.load()
    expected = set().union(*(_ids(sandbox, s) for s in sandbox.site.spaces))
    ids = [d.metadata["id"] for d in docs]
    assert sorted(ids) == sorted(expected)
    by_id = {d.metadata["id"]: d for d in docs}
    assert "Northwind" in by_id["65537"].page_content or by_id["65537"].page_content.strip()
