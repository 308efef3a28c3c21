"""ac:link and <a href>: exact storage -> Markdown pairs, with the links recorded for the report.

Every output is also parsed as CommonMark (+ GFM tables) with markdown-it-py, and the links it finds must
be exactly the links the converter recorded (mentions aside: they are text, not links).
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, PageRef, convert_storage

SITE = "https://acme.atlassian.net/wiki"
RUNBOOK = "<h2>Roll back</h2><p>Undo it.</p><h2>Roll back</h2><h3>What's new?</h3>"
PAGES = {
    "42": PageRef(id="42", space="ENG", title="Home", path="ENG/42.md"),
    "7": PageRef(id="7", space="ENG", title="Deploy Runbook", path="ENG/7.md", body=RUNBOOK),
    "9": PageRef(id="9", space="OPS", title="On-call", path="OPS/9.md"),
    "11": PageRef(id="11", space="ENG", title="Release notes", path="ENG/11.md", posting_day="2024/03/05"),
    "12": PageRef(id="12", space="ENG", title="Archive", url=f"{SITE}/spaces/ENG/pages/12/Archive"),
}
SYNC = ConversionContext(site_url=SITE, space_key="ENG", page_id="42", page_title="Home", pages=PAGES,
                         attachment_paths={("42", "plan.pdf"): "ENG/files/42/plan.pdf"})
NO_SYNC = ConversionContext(site_url=SITE, space_key="ENG", page_id="42", page_title="Home")

_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def parsed_hrefs(markdown: str) -> list[str]:
    """The link destinations a CommonMark/GFM renderer finds in `markdown`, in order."""
    return [child.attrs["href"] for token in _MD.parse(markdown) for child in token.children or ()
            if child.type == "link_open"]


def convert(body: str, context: ConversionContext = SYNC):
    result = convert_storage(body, context)
    recorded = [link["target"] for link in result.links if "mention" not in link["kind"]]
    assert parsed_hrefs(result.markdown) == [_MD.normalizeLink(t) for t in recorded], result.markdown
    return result


def link(inner: str, body: str = "") -> str:
    return f"<p><ac:link{inner}{body}</ac:link></p>"


PAGE = '><ri:page ri:content-title="Deploy Runbook" />'
ONCALL = '><ri:page ri:space-key="OPS" ri:content-title="On-call" />'

CASES = [
    # -- pages: the article (relative to this one) when in the sync, else the Confluence URL ---------
    ("page in the sync", link(PAGE), "[Deploy Runbook](7.md)\n", [("7.md", "internal")]),
    ("plain-text body is literal",
     link(PAGE, "<ac:plain-text-link-body><![CDATA[the *fast* path [beta] for __init__]]></ac:plain-text-link-body>"),
     "[the \\*fast\\* path \\[beta\\] for \\_\\_init\\_\\_](7.md)\n", [("7.md", "internal")]),
    ("cross-space page in the sync, rich body", link(ONCALL, "<ac:link-body>the <strong>rota</strong></ac:link-body>"),
     "[the **rota**](../OPS/9.md)\n", [("../OPS/9.md", "internal")]),
    ("cross-space page not in the sync",
     link('><ri:page ri:space-key="OPS" ri:content-title="Escalation policy" />'),
     f"[Escalation policy]({SITE}/display/OPS/Escalation+policy)\n",
     [(f"{SITE}/display/OPS/Escalation+policy", "unresolved")]),
    ("page in the sync without an article", link('><ri:page ri:content-title="Archive" />'),
     f"[Archive]({SITE}/spaces/ENG/pages/12/Archive)\n", [(f"{SITE}/spaces/ENG/pages/12/Archive", "external")]),
    ("a '+' in a title is escaped", link('><ri:page ri:content-title="C++ tips" />'),
     f"[C++ tips]({SITE}/display/ENG/C%2B%2B+tips)\n", [(f"{SITE}/display/ENG/C%2B%2B+tips", "unresolved")]),
    ("content id in the sync", link('><ri:content-entity ri:content-id="9" />'), "[On-call](../OPS/9.md)\n",
     [("../OPS/9.md", "internal")]),
    ("content id outside the sync", link('><ri:content-entity ri:content-id="777" />', "<ac:link-body>board</ac:link-body>"),
     f"[board]({SITE}/pages/viewpage.action?pageId=777)\n", [(f"{SITE}/pages/viewpage.action?pageId=777", "unresolved")]),
    ("link to this very page", link('><ri:page ri:content-title="Home" />'), "[Home](42.md)\n",
     [("42.md", "internal")]),
    # -- anchors: a heading of the target page -> its GitHub slug; anything else kept ----------------
    ("anchor naming a heading", link(' ac:anchor="Rollback"' + PAGE), "[Deploy Runbook](7.md#roll-back)\n",
     [("7.md#roll-back", "internal")]),
    ("anchor in Confluence's Title-Heading form", link(" ac:anchor=\"DeployRunbook-What'snew?\"" + PAGE),
     "[Deploy Runbook](7.md#whats-new)\n", [("7.md#whats-new", "internal")]),
    ("anchor naming no heading is kept", link(' ac:anchor="step-3"' + PAGE), "[Deploy Runbook](7.md#step-3)\n",
     [("7.md#step-3", "internal")]),
    ("anchor on a page outside the sync stays Confluence's",
     link(' ac:anchor="Rollback"><ri:page ri:space-key="OPS" ri:content-title="Escalation policy" />'),
     f"[Escalation policy]({SITE}/display/OPS/Escalation+policy#Rollback)\n",
     [(f"{SITE}/display/OPS/Escalation+policy#Rollback", "unresolved")]),
    ("same-page anchor to a heading",
     '<h2>Set up</h2><p><ac:link ac:anchor="Setup"><ac:link-body>setup</ac:link-body></ac:link></p>',
     "## Set up\n\n[setup](#set-up)\n", [("#set-up", "anchor")]),
    ("same-page anchor with the page named",
     '<h2>Set up</h2><p><ac:link ac:anchor="Home-Setup"><ri:page ri:content-title="Home" /></ac:link></p>',
     "## Set up\n\n[Home](#set-up)\n", [("#set-up", "anchor")]),
    ("same-page anchor macro name is kept", '<p><ac:link ac:anchor="top" /></p>', "[top](#top)\n", [("#top", "anchor")]),
    # -- blog posts ------------------------------------------------------------------------------------
    ("blog post in the sync",
     link('><ri:blog-post ri:content-title="Release notes" ri:posting-day="2024/03/05" />'),
     "[Release notes](11.md)\n", [("11.md", "internal")]),
    ("blog post not in the sync",
     link('><ri:blog-post ri:space-key="OPS" ri:content-title="Q1 review" ri:posting-day="2024/04/01" />'),
     f"[Q1 review]({SITE}/display/OPS/2024/04/01/Q1+review)\n",
     [(f"{SITE}/display/OPS/2024/04/01/Q1+review", "unresolved")]),
    # -- attachments -----------------------------------------------------------------------------------
    ("own attachment, not downloaded", link('><ri:attachment ri:filename="q1 report.pdf" />'),
     f"[q1 report.pdf]({SITE}/download/attachments/42/q1%20report.pdf)\n",
     [(f"{SITE}/download/attachments/42/q1%20report.pdf", "attachment")]),
    ("own attachment, downloaded", link('><ri:attachment ri:filename="plan.pdf" />',
                                        "<ac:plain-text-link-body><![CDATA[the plan]]></ac:plain-text-link-body>"),
     "[the plan](files/42/plan.pdf)\n", [("files/42/plan.pdf", "attachment")]),
    ("attachment of another page in the sync",
     link('><ri:attachment ri:filename="steps.pdf"><ri:page ri:content-title="Deploy Runbook" /></ri:attachment>'),
     f"[steps.pdf]({SITE}/download/attachments/7/steps.pdf)\n",
     [(f"{SITE}/download/attachments/7/steps.pdf", "attachment")]),
    # -- spaces, URLs, HTML links ----------------------------------------------------------------------
    ("space", link('><ri:space ri:space-key="OPS" />', "<ac:link-body>Ops space</ac:link-body>"),
     f"[Ops space]({SITE}/display/OPS)\n", [(f"{SITE}/display/OPS", "external")]),
    ("space without a body", link('><ri:space ri:space-key="OPS" />'), f"[OPS]({SITE}/display/OPS)\n",
     [(f"{SITE}/display/OPS", "external")]),
    ("URL shown as itself is an autolink", link('><ri:url ri:value="https://example.com/x" />'),
     "<https://example.com/x>\n", [("https://example.com/x", "external")]),
    ("URL with a space goes in angle brackets",
     link('><ri:url ri:value="https://example.com/a b" />', "<ac:link-body>spec</ac:link-body>"),
     "[spec](<https://example.com/a b>)\n", [("https://example.com/a b", "external")]),
    ("image as the link body",
     link(PAGE, '<ac:link-body><ac:image ac:alt="logo"><ri:attachment ri:filename="logo.png" /></ac:image></ac:link-body>'),
     f"[![logo]({SITE}/download/attachments/42/logo.png)](7.md)\n", [("7.md", "internal")]),
    ("HTML link to a Confluence page in the sync",
     f'<p><a href="{SITE}/spaces/ENG/pages/7/Deploy+Runbook#Rollback">runbook</a> and '
     f'<a href="{SITE}/display/OPS/On-call">rota</a></p>',
     "[runbook](7.md#roll-back) and [rota](../OPS/9.md)\n", [("7.md#roll-back", "internal"), ("../OPS/9.md", "internal")]),
    ("HTML link elsewhere", '<p><a href="https://example.org/docs" title="Docs">the docs</a></p>',
     '[the docs](https://example.org/docs "Docs")\n', [("https://example.org/docs", "external")]),
    ("link in a table cell",
     "<table><tbody><tr><th>Page</th></tr><tr><td>" + link(PAGE) + "</td></tr></tbody></table>",
     "| Page |\n| --- |\n| [Deploy Runbook](7.md) |\n", [("7.md", "internal")]),
]


@pytest.mark.parametrize(("body", "expected", "links"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_links_with_pages_in_the_sync(body: str, expected: str, links: list[tuple[str, str]]):
    result = convert(body)
    assert result.markdown == expected
    assert [(link["target"], link["kind"]) for link in result.links] == links


NO_SYNC_CASES = [
    ("page", link(PAGE), f"[Deploy Runbook]({SITE}/display/ENG/Deploy+Runbook)\n",
     [(f"{SITE}/display/ENG/Deploy+Runbook", "external")]),
    ("page with an anchor", link(' ac:anchor="Rollback"' + PAGE),
     f"[Deploy Runbook]({SITE}/display/ENG/Deploy+Runbook#Rollback)\n",
     [(f"{SITE}/display/ENG/Deploy+Runbook#Rollback", "external")]),
    ("attachment of another page", link('><ri:attachment ri:filename="steps.pdf"><ri:page ri:content-title="Deploy Runbook" /></ri:attachment>'),
     f"[steps.pdf]({SITE}/display/ENG/Deploy+Runbook)\n", [(f"{SITE}/display/ENG/Deploy+Runbook", "external")]),
]


@pytest.mark.parametrize(("body", "expected", "links"), [c[1:] for c in NO_SYNC_CASES], ids=[c[0] for c in NO_SYNC_CASES])
def test_links_without_a_sync_point_at_confluence(body: str, expected: str, links: list[tuple[str, str]]):
    result = convert(body, NO_SYNC)
    assert result.markdown == expected
    assert [(link["target"], link["kind"]) for link in result.links] == links


def test_attachment_of_a_page_outside_the_sync_links_that_page_with_a_warning():
    body = link('><ri:attachment ri:filename="b.pdf"><ri:page ri:space-key="OPS" ri:content-title="Gone" /></ri:attachment>')
    result = convert(body)
    assert result.markdown == f"[b.pdf]({SITE}/display/OPS/Gone)\n"
    assert result.links == [{"target": f"{SITE}/display/OPS/Gone", "kind": "unresolved"}]
    assert result.warnings == ["attachment 'b.pdf' of page 'Gone', which is not in the sync, points at that page"]
    assert result.attachments == []  # not this page's file


def test_own_attachments_are_listed_for_the_report():
    result = convert(link('><ri:attachment ri:filename="plan.pdf" />') + link('><ri:attachment ri:filename="a.txt" />'))
    assert result.attachments == ["plan.pdf", "a.txt"]


def test_include_target_link_is_not_a_link_of_the_page():
    # The ac:link inside a macro parameter names the macro's target; the macro decides what to show.
    body = ('<ac:structured-macro ac:name="include"><ac:parameter ac:name=""><ac:link>'
            '<ri:page ri:space-key="OPS" ri:content-title="Elsewhere" /></ac:link></ac:parameter></ac:structured-macro>')
    result = convert(body)
    assert [link["target"] for link in result.links] == [f"{SITE}/display/OPS/Elsewhere"]  # the note's one link


def test_a_page_link_without_title_or_id_keeps_its_text():
    result = convert(link("><ri:page />", "<ac:link-body>somewhere</ac:link-body>"))
    assert result.markdown == "somewhere\n"
    assert result.links == []
    assert result.warnings == ["a link to an ri:page without a title or id was kept as its text"]
