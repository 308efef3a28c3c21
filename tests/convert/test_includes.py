"""include, excerpt-include, children, pagetree: content and trees from the sync's pages.

A page in the sync is converted inline; one outside it becomes a note linking to it. Include cycles and
deep chains stop with a warning. Outputs are parsed with markdown-it-py and their links compared with
the links the converter recorded.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, PageRef, convert_storage

SITE = "https://acme.atlassian.net/wiki"


def include(title: str, space: str = "", macro: str = "include", params: str = "") -> str:
    space_attr = f' ri:space-key="{space}"' if space else ""
    return (f'<ac:structured-macro ac:name="{macro}"><ac:parameter ac:name=""><ac:link>'
            f'<ri:page{space_attr} ri:content-title="{title}" /></ac:link></ac:parameter>{params}'
            "</ac:structured-macro>")


def param(name: str, value: str) -> str:
    return f'<ac:parameter ac:name="{name}">{value}</ac:parameter>'


EXCERPTED = ('<p>Intro.</p><ac:structured-macro ac:name="excerpt"><ac:rich-text-body><p>Deploys run <em>daily</em>.'
             '</p></ac:rich-text-body></ac:structured-macro><ac:structured-macro ac:name="excerpt">'
             + param("name", "risks") + "<ac:rich-text-body><p>Rollbacks are manual.</p></ac:rich-text-body>"
             "</ac:structured-macro><p>Details.</p>")
PAGES = {
    "1": PageRef(id="1", space="ENG", title="Home", path="ENG/1.md", body="", children=("2", "3", "5")),
    "2": PageRef(id="2", space="ENG", title="Deploy", path="ENG/2.md", body=EXCERPTED, children=("4",)),
    "3": PageRef(id="3", space="ENG", title="Alpha", path="ENG/3.md", body="<p>Alpha body.</p>"),
    "4": PageRef(id="4", space="ENG", title="Hotfix", path="ENG/4.md", body="<p>No excerpt here.</p>",
                 excerpt="<p>Hotfixes skip the queue.</p>"),
    "5": PageRef(id="5", space="ENG", title="Cycle A", path="ENG/5.md", body="<p>A1.</p>" + include("Cycle B")),
    "6": PageRef(id="6", space="ENG", title="Cycle B", path="ENG/6.md", body="<p>B1.</p>" + include("Cycle A")),
    "20": PageRef(id="20", space="OPS", title="Shared", path="OPS/20.md",
                  body='<p>See <ac:link><ri:page ri:space-key="ENG" ri:content-title="Alpha" /></ac:link>.</p>'
                       '<ac:image><ri:attachment ri:filename="net.png" /></ac:image>'),
    # A chain of includes deeper than the limit: L0 -> L1 -> L2 -> L3 -> L4.
    **{f"3{i}": PageRef(id=f"3{i}", space="ENG", title=f"L{i}", path=f"ENG/3{i}.md",
                        body=f"<p>Level {i}.</p>" + (include(f"L{i + 1}") if i < 4 else "")) for i in range(5)},
}

_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def context(page_id: str = "1", pages: dict[str, PageRef] | None = None) -> ConversionContext:
    pages = PAGES if pages is None else pages
    page = PAGES[page_id]
    return ConversionContext(site_url=SITE, space_key=page.space, page_id=page_id, page_title=page.title, pages=pages)


def convert(body: str, ctx: ConversionContext):
    result = convert_storage(body, ctx)
    hrefs = [c.attrs["href"] for t in _MD.parse(result.markdown) for c in t.children or () if c.type == "link_open"]
    assert hrefs == [_MD.normalizeLink(link["target"]) for link in result.links], result.markdown
    return result


CASES = [
    # -- include ---------------------------------------------------------------------------------------
    ("include of a page in the sync", "1", "<p>Before.</p>" + include("Alpha") + "<p>After.</p>",
     "Before.\n\nAlpha body.\n\nAfter.\n", []),
    ("included links stay relative to this article; attachments stay the included page's", "1",
     include("Shared", "OPS"), f"See [Alpha](3.md).\n\n![net.png]({SITE}/download/attachments/20/net.png)\n",
     [("3.md", "internal")]),
    ("include of a page outside the sync", "1", include("Glossary", "OPS"),
     f"> Included from [Glossary]({SITE}/display/OPS/Glossary)\n", [(f"{SITE}/display/OPS/Glossary", "unresolved")]),
    # -- excerpt-include -------------------------------------------------------------------------------
    ("excerpt in a panel titled with its page", "1", include("Deploy", macro="excerpt-include"),
     "> **[Deploy](2.md)**\n>\n> Deploys run *daily*.\n", [("2.md", "internal")]),
    ("excerpt without a panel", "1", include("Deploy", macro="excerpt-include", params=param("nopanel", "true")),
     "Deploys run *daily*.\n", []),
    ("named excerpt", "1", include("Deploy", macro="excerpt-include", params=param("name", "risks") + param("nopanel", "true")),
     "Rollbacks are manual.\n", []),
    ("excerpt the sync extracted already", "1", include("Hotfix", macro="excerpt-include", params=param("nopanel", "true")),
     "Hotfixes skip the queue.\n", []),
    ("excerpt of a page outside the sync", "1", include("Glossary", "OPS", macro="excerpt-include"),
     f"> Excerpt included from [Glossary]({SITE}/display/OPS/Glossary)\n",
     [(f"{SITE}/display/OPS/Glossary", "unresolved")]),
]


@pytest.mark.parametrize(("page", "body", "expected", "links"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_includes(page: str, body: str, expected: str, links: list[tuple[str, str]]):
    result = convert(body, context(page))
    assert result.markdown == expected
    assert [(link["target"], link["kind"]) for link in result.links] == links
    assert result.warnings == []


def test_include_without_a_sync_links_to_confluence():
    result = convert(include("Alpha"), context(pages={}))
    assert result.markdown == f"> Included from [Alpha]({SITE}/display/ENG/Alpha)\n"
    assert result.links == [{"target": f"{SITE}/display/ENG/Alpha", "kind": "external"}]


def test_include_cycle_stops_with_a_warning():
    # Cycle A includes Cycle B, which includes Cycle A again: that second A is a link, not its content.
    result = convert(PAGES["5"].body, context("5"))
    assert result.markdown == "A1.\n\nB1.\n\n> Included from [Cycle A](5.md)\n"
    assert result.warnings == ["in included page 'Cycle B': include cycle Cycle A -> Cycle B -> Cycle A: "
                               "'Cycle A' is linked there, not included again"]


def test_a_page_including_itself_stops_at_once():
    result = convert("<p>Me.</p>" + include("Alpha"), context("3"))
    assert result.markdown == "Me.\n\n> Included from [Alpha](3.md)\n"
    assert result.warnings == ["include cycle Alpha -> Alpha: 'Alpha' is linked there, not included again"]


def test_include_chains_stop_at_the_depth_limit():
    result = convert(PAGES["30"].body, context("30"))
    assert result.markdown == "Level 0.\n\nLevel 1.\n\nLevel 2.\n\nLevel 3.\n\n> Included from [L4](34.md)\n"
    assert result.warnings == ["in included page 'L1': in included page 'L2': in included page 'L3': "
                               "includes nest deeper than 3 levels: 'L4' is linked, not included"]


def test_missing_excerpt_links_the_page_with_a_warning():
    result = convert(include("Alpha", macro="excerpt-include"), context())
    assert result.markdown == "> Excerpt included from [Alpha](3.md)\n"
    assert result.warnings == ["page 'Alpha' has no excerpt to include: linked instead"]


def test_included_macros_count_in_the_report():
    pages = {**PAGES, "3": PageRef(id="3", space="ENG", title="Alpha", path="ENG/3.md",
                                   body='<ac:structured-macro ac:name="roadmap" />')}
    result = convert(include("Alpha"), context(pages=pages))
    assert result.macros == {"include": 1, "roadmap": 1}
    assert result.unhandled_macros == {"roadmap": 1}


# -- children, pagetree -------------------------------------------------------------------------------
def children(params: str = "") -> str:
    return f'<ac:structured-macro ac:name="children">{params}</ac:structured-macro>'


def pagetree(root: str = "") -> str:
    return f'<ac:structured-macro ac:name="pagetree">{param("root", root) if root else ""}</ac:structured-macro>'


TREE_CASES = [
    ("direct children", "1", children(), "- [Deploy](2.md)\n- [Alpha](3.md)\n- [Cycle A](5.md)\n"),
    ("all descendants", "1", children(param("all", "true")),
     "- [Deploy](2.md)\n  - [Hotfix](4.md)\n- [Alpha](3.md)\n- [Cycle A](5.md)\n"),
    ("depth, sorted by title, reversed, first two", "1",
     children(param("depth", "2") + param("sort", "title") + param("reverse", "true") + param("first", "2")),
     "- [Deploy](2.md)\n  - [Hotfix](4.md)\n- [Cycle A](5.md)\n"),
    ("children of another page", "1", children(param("page", '<ac:link><ri:page ri:content-title="Deploy" /></ac:link>')),
     "- [Hotfix](4.md)\n"),
    ("children of another page named as text", "3", children(param("page", "ENG:Deploy")), "- [Hotfix](4.md)\n"),
    ("a page without children shows nothing", "3", "<p>Kids:</p>" + children(), "Kids:\n"),
    ("children of a page outside the sync", "1", children(param("page", "OPS:Runbooks")),
     f"> Child pages of [Runbooks]({SITE}/display/OPS/Runbooks)\n"),
    ("page tree of this page", "2", pagetree("@self"), "- [Hotfix](4.md)\n"),
    ("page tree of the parent", "4", pagetree("@parent"), "- [Hotfix](4.md)\n"),
    ("page tree of a named page", "3", pagetree('<ac:link><ri:page ri:content-title="Deploy" /></ac:link>'),
     "- [Hotfix](4.md)\n"),
    ("page tree of a page outside the sync", "3", pagetree("Nowhere"),
     f"> Page tree of [Nowhere]({SITE}/display/ENG/Nowhere)\n"),
]


@pytest.mark.parametrize(("page", "body", "expected"), [c[1:] for c in TREE_CASES], ids=[c[0] for c in TREE_CASES])
def test_page_trees(page: str, body: str, expected: str):
    result = convert(body, context(page))
    assert result.markdown == expected
    assert result.macro_handling in ({"children": "converted"}, {"pagetree": "converted"})


def test_children_without_a_sync_is_a_visible_note_counted_as_handled():
    result = convert(children(), context("2", pages={}))
    assert result.markdown == f"> Child pages of [Deploy]({SITE}/display/ENG/Deploy)\n"
    assert result.macro_handling == {"children": "converted"}
    assert result.unhandled_macros == {}


def test_page_tree_without_a_sync():
    assert convert(pagetree(), context("2", pages={})).markdown == "> Page tree of space ENG\n"


def test_page_tree_of_the_space_under_its_home_page():
    pages = {k: PAGES[k] for k in ("1", "2", "3", "4", "5")}  # one top page: the home page
    result = convert(pagetree("@home"), context("3", pages=pages))
    assert result.markdown == "- [Deploy](2.md)\n  - [Hotfix](4.md)\n- [Alpha](3.md)\n- [Cycle A](5.md)\n"


def test_page_tree_of_a_space_with_several_top_pages_lists_them_all():
    pages = {k: PAGES[k] for k in ("1", "2", "3", "4", "5", "6", "20")}  # Home and Cycle B; Shared is in OPS
    result = convert(pagetree(), context("3", pages=pages))
    assert result.markdown == ("- [Home](1.md)\n  - [Deploy](2.md)\n    - [Hotfix](4.md)\n  - [Alpha](3.md)\n"
                               "  - [Cycle A](5.md)\n- [Cycle B](6.md)\n")


def test_a_named_excerpt_that_is_not_there_is_missing():
    result = convert(include("Deploy", macro="excerpt-include", params=param("name", "costs")), context())
    assert result.markdown == "> Excerpt included from [Deploy](2.md)\n"
    assert result.warnings == ["page 'Deploy' has no excerpt to include: linked instead"]
