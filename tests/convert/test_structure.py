"""expand, toc, anchor, excerpt, details, status, jira, and a non-panel ADF extension: exact pairs."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, convert_storage
from km_assets.convert.macros.structure import github_slug

CLOUD = ConversionContext(site_url="https://acme.atlassian.net/wiki", space_key="ENG", page_id="42")
SERVER = ConversionContext(site_url="https://confluence.acme.com", space_key="ENG", page_id="42")
_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def macro(name: str, body: str | None = None, **params: str) -> str:
    xml = "".join(f'<ac:parameter ac:name="{k}">{v}</ac:parameter>' for k, v in params.items())
    rich = f"<ac:rich-text-body>{body}</ac:rich-text-body>" if body is not None else ""
    return f'<ac:structured-macro ac:name="{name}">{xml}{rich}</ac:structured-macro>'


def anchor(name: str) -> str:
    return f'<ac:structured-macro ac:name="anchor"><ac:parameter ac:name="">{name}</ac:parameter></ac:structured-macro>'


# -- expand -------------------------------------------------------------------------------------------
EXPAND = [
    pytest.param(macro("expand", "<p>Hidden <em>text</em>.</p><ul><li>a</li></ul>", title="Show more &amp; less"),
                 "<details>\n<summary>Show more &amp; less</summary>\n\nHidden *text*.\n\n- a\n\n</details>\n",
                 id="title-escaped-markdown-inside"),
    pytest.param(macro("expand", "<p>x</p>"),
                 "<details>\n<summary>Click here to expand...</summary>\n\nx\n\n</details>\n", id="default-title"),
    pytest.param(macro("expand", "", title="Nothing"), "<details>\n<summary>Nothing</summary>\n\n</details>\n",
                 id="empty-body"),
    pytest.param("<ol><li>Step" + macro("expand", "<p>Details.</p>", title="Why") + "</li></ol>",
                 "1. Step\n\n   <details>\n   <summary>Why</summary>\n\n   Details.\n\n   </details>\n",
                 id="in-list-item"),
    pytest.param(macro("expand", macro("expand", "<p>Deep.</p>", title="Inner"), title="Outer"),
                 "<details>\n<summary>Outer</summary>\n\n<details>\n<summary>Inner</summary>\n\nDeep.\n\n</details>\n\n"
                 "</details>\n", id="nested"),
]


@pytest.mark.parametrize(("storage", "expected"), EXPAND)
def test_expand(storage: str, expected: str) -> None:
    assert convert_storage(storage, CLOUD).markdown == expected


def test_expand_body_renders_as_markdown() -> None:
    # The blank line after <summary> ends the HTML block, so the list inside is a Markdown list.
    out = convert_storage(macro("expand", "<ul><li>one</li><li>two</li></ul>", title="T"), CLOUD).markdown
    types = [t.type for t in _MD.parse(out)]
    assert types[0] == "html_block" and types[-1] == "html_block"
    assert types.count("list_item_open") == 2


# -- toc ----------------------------------------------------------------------------------------------
TOC = [
    pytest.param(macro("toc") + "<h1>Intro</h1><h2>Set up</h2><h3>Linux &amp; macOS</h3><h2>Set up</h2>"
                 "<h1>FAQ: why?</h1>",
                 "- [Intro](#intro)\n  - [Set up](#set-up)\n    - [Linux & macOS](#linux--macos)\n"
                 "  - [Set up](#set-up-1)\n- [FAQ: why?](#faq-why)\n\n"
                 "# Intro\n\n## Set up\n\n### Linux & macOS\n\n## Set up\n\n# FAQ: why?\n", id="nested-and-repeats"),
    pytest.param(macro("toc", minLevel="2", maxLevel="3", exclude="Set.*") + "<h1>Title</h1><h2>Set up</h2>"
                 "<h3>Deep</h3><h2>Use</h2><h4>Too deep</h4><h3>Tips</h3>",
                 "- [Deep](#deep)\n- [Use](#use)\n  - [Tips](#tips)\n\n"
                 "# Title\n\n## Set up\n\n### Deep\n\n## Use\n\n#### Too deep\n\n### Tips\n", id="levels-and-exclude"),
    pytest.param(macro("toc", include="A.*") + "<h2>Alpha</h2><h2>Beta</h2><h2>Another</h2>",
                 "- [Alpha](#alpha)\n- [Another](#another)\n\n## Alpha\n\n## Beta\n\n## Another\n", id="include"),
    pytest.param("<h2>Über uns ✨</h2>" + macro("toc") + "<h2>API v2.0 (beta)</h2>"
                 '<h3><ac:emoticon ac:name="tick" /> Done</h3>'
                 "<h2>Status " + macro("status", title="WIP", colour="Yellow") + "</h2>",
                 "## Über uns ✨\n\n- [Über uns ✨](#über-uns-)\n- [API v2.0 (beta)](#api-v20-beta)\n"
                 "  - [✅ Done](#-done)\n- [Status \\[WIP\\]](#status-wip)\n\n"
                 "## API v2.0 (beta)\n\n### ✅ Done\n\n## Status **[WIP]**\n", id="github-slugs"),
    pytest.param(macro("toc") + "<h2>Overview" + anchor("top") + "</h2>",
                 '- [Overview](#overview)\n\n## Overview<a id="top"></a>\n', id="anchor-in-heading-not-in-slug"),
    pytest.param(macro("toc", exclude="[") + "<h2>[</h2><h2>b_c</h2>",
                 "- [b_c](#b_c)\n\n## [\n\n## b_c\n", id="bad-regex-matches-literally"),
    pytest.param("<p>" + macro("toc") + "</p><p>No headings here.</p>", "No headings here.\n", id="no-headings"),
]


@pytest.mark.parametrize(("storage", "expected"), TOC)
def test_toc(storage: str, expected: str) -> None:
    assert convert_storage(storage, CLOUD).markdown == expected


def test_toc_counts_each_shown_heading_once() -> None:
    # A new-editor panel stores its content twice (ADF node + HTML fallback); a dropped macro shows nothing.
    panel = ('<ac:adf-extension><ac:adf-node type="panel"><ac:adf-attribute key="panel-type">note'
             "</ac:adf-attribute><ac:adf-content><h2>Inside</h2></ac:adf-content></ac:adf-node><ac:adf-fallback>"
             '<div class="panel"><div class="panelContent"><h2>Inside</h2></div></div></ac:adf-fallback>'
             "</ac:adf-extension>")
    dropped = macro("expand", "<h2>Hidden</h2>")
    ctx = ConversionContext(site_url=CLOUD.site_url, macro_policies={"expand": "drop"})
    out = convert_storage(macro("toc") + panel + dropped + "<h2>After</h2>", ctx).markdown
    assert out == "- [Inside](#inside)\n- [After](#after)\n\n> [!IMPORTANT]\n> ## Inside\n\n## After\n"


def test_toc_links_are_nested_list_items() -> None:
    out = convert_storage(macro("toc") + "<h1>A</h1><h2>B</h2>", CLOUD).markdown
    links = [t for t in _MD.parse(out) if t.type == "inline" and t.children and t.children[0].type == "link_open"]
    assert [t.children[0].attrs["href"] for t in links] == ["#a", "#b"]


def test_toc_dropped_by_policy() -> None:
    ctx = ConversionContext(macro_policies={"toc": "drop"})
    result = convert_storage(macro("toc") + "<h2>A</h2>", ctx)
    assert result.markdown == "## A\n"
    assert result.macro_handling == {"toc": "dropped"}
    assert result.fidelity == 1.0


@pytest.mark.parametrize(("texts", "slugs"), [
    (["Intro", "Intro", "Intro-1", "Intro"], ["intro", "intro-1", "intro-1-1", "intro-2"]),
    (["C++ & C#", "snake_case name", "Ünïcødé 日本語"], ["c--c", "snake_case-name", "ünïcødé-日本語"]),
    (["½ price", "a\u00a0b", "tab\there"], ["-price", "ab", "tabhere"]),
])
def test_github_slug(texts: list[str], slugs: list[str]) -> None:
    seen: dict[str, int] = {}
    assert [github_slug(t, seen) for t in texts] == slugs


# -- anchor, excerpt, details -------------------------------------------------------------------------
SMALL = [
    pytest.param("<h2>Overview" + anchor("overview-anchor") + "</h2><p>See "
                 '<ac:link ac:anchor="overview-anchor"><ac:plain-text-link-body><![CDATA[above]]>'
                 "</ac:plain-text-link-body></ac:link>.</p>",
                 '## Overview<a id="overview-anchor"></a>\n\nSee [above](#overview-anchor).\n', id="anchor-and-its-link"),
    pytest.param(anchor('a"b'), '<a id="a&quot;b"></a>\n', id="anchor-name-escaped"),
    pytest.param(anchor(""), "\n", id="anchor-without-name"),
    pytest.param(macro("excerpt", "<p>The <strong>summary</strong>.</p>"), "The **summary**.\n", id="excerpt"),
    pytest.param(macro("excerpt", "<p>Kept.</p>", hidden="true"), "Kept.\n", id="hidden-excerpt-kept"),
    pytest.param("<p>Intro: " + macro("excerpt", "inline words", **{"atlassian-macro-output-type": "INLINE"})
                 + ".</p>", "Intro: inline words.\n", id="inline-excerpt"),
]


@pytest.mark.parametrize(("storage", "expected"), SMALL)
def test_anchor_excerpt_details(storage: str, expected: str) -> None:
    assert convert_storage(storage, CLOUD).markdown == expected


def test_details_renders_its_table_as_any_table() -> None:
    # Page properties: the table is converted as tables.py converts any table (its layout is theirs).
    table = ("<table><tbody><tr><th>Owner</th><th>Status</th></tr>"
             "<tr><td>Ops</td><td>Live</td></tr></tbody></table>")
    out = convert_storage(macro("details", table, id="props"), CLOUD).markdown
    assert out == convert_storage(table, CLOUD).markdown
    assert "Owner" in out and "Live" in out


# -- status -------------------------------------------------------------------------------------------
STATUS = [
    pytest.param(macro("status", title="In Progress", colour="Yellow"), "State: **[In Progress]** now.\n",
                 id="exact-title-colour-dropped"),
    pytest.param(macro("status", title="DONE", colour="Green", subtle="true"), "State: **[DONE]** now.\n",
                 id="subtle-dropped"),
    pytest.param(macro("status", colour="Green"), "State: **[Green]** now.\n", id="no-title-shows-colour"),
    pytest.param(macro("status", title="a*b|c"), "State: **[a\\*b\\|c]** now.\n", id="markdown-escaped"),
    pytest.param(macro("status", title="와일드카드 허용", colour="Blue"), "State: **[와일드카드 허용]** now.\n",
                 id="non-latin"),
]


@pytest.mark.parametrize(("lozenge", "expected"), STATUS)
def test_status(lozenge: str, expected: str) -> None:
    assert convert_storage(f"<p>State: {lozenge} now.</p>", CLOUD).markdown == expected


# -- jira ---------------------------------------------------------------------------------------------
JIRA = [
    pytest.param(CLOUD, macro("jira", key="ABC-123", server="System JIRA", serverId="146f1d5a-39e1"),
                 "Bug [ABC-123](https://acme.atlassian.net/browse/ABC-123) fixed.\n", id="cloud-own-jira-linked"),
    pytest.param(CLOUD, macro("jira", key="ABC-123"),
                 "Bug [ABC-123](https://acme.atlassian.net/browse/ABC-123) fixed.\n", id="cloud-no-server"),
    pytest.param(CLOUD, macro("jira", key="ABC-123", server="Partner Jira", serverId="9d1e"),
                 "Bug `ABC-123` fixed.\n", id="cloud-other-server-unlinked"),
    pytest.param(SERVER, macro("jira", key="ABC-123", server="Company JIRA", serverId="1a2b"),
                 "Bug `ABC-123` fixed.\n", id="server-dc-unlinked"),
    pytest.param(CLOUD, macro("jira", key="ABC-1)x"), "Bug `ABC-1)x` fixed.\n", id="odd-key-not-put-in-a-url"),
    pytest.param(CLOUD, macro("jira", jqlQuery="project = ABC AND status = Open", columns="key,summary",
                              maximumIssues="20"),
                 "Bug Jira issues: `project = ABC AND status = Open` fixed.\n", id="jql-named"),
    pytest.param(CLOUD, macro("jirachart", chartType="pie", jql="project%20%3D%20ABC", statType="components"),
                 "Bug Jira pie chart: `project = ABC` fixed.\n", id="jirachart-url-encoded-jql"),
]


@pytest.mark.parametrize(("ctx", "jira", "expected"), JIRA)
def test_jira(ctx: ConversionContext, jira: str, expected: str) -> None:
    assert convert_storage(f"<p>Bug {jira} fixed.</p>", ctx).markdown == expected


def test_jira_link_is_recorded() -> None:
    result = convert_storage(macro("jira", key="OPS-7"), CLOUD)
    assert result.links == [{"target": "https://acme.atlassian.net/browse/OPS-7", "kind": "external"}]


def test_jql_block_macro() -> None:
    assert convert_storage(macro("jira", jqlQuery="project = ABC"), CLOUD).markdown == "Jira issues: `project = ABC`\n"


# -- new-editor extension that is not a panel: its fallback is what readers of the old renderer see -----
def test_adf_decision_list_uses_its_fallback() -> None:
    storage = ('<ac:adf-extension><ac:adf-node type="decision-list"><ac:adf-attribute key="local-id">d1'
               '</ac:adf-attribute><ac:adf-content><ac:adf-node type="decision-item"><ac:adf-attribute key="state">'
               "DECIDED</ac:adf-attribute><ac:adf-content>Ship on Friday</ac:adf-content></ac:adf-node>"
               '</ac:adf-content></ac:adf-node><ac:adf-fallback><ul class="decision-list"><li>Ship on Friday</li>'
               "</ul></ac:adf-fallback></ac:adf-extension>")
    assert convert_storage(storage, CLOUD).markdown == "- Ship on Friday\n"
