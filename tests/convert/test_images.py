"""ac:image: exact storage -> Markdown pairs, parsed back with markdown-it-py.

Decisions under test: alt text falls back to the caption, the title, then the file name; a title equal
to the alt or caption is dropped; a size is kept (as an HTML <img>) only when it shrinks the image; a
caption is an emphasised paragraph under a block image and follows an inline one (running text, table
cells); a thumbnail links to the full image; inside a link only the image remains.
"""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, PageRef, convert_storage

SITE = "https://acme.atlassian.net/wiki"
DL = f"{SITE}/download/attachments/42"
PAGES = {
    "42": PageRef(id="42", space="ENG", title="Home", path="ENG/42.md"),
    "7": PageRef(id="7", space="ENG", title="Deploy Runbook", path="ENG/7.md"),
}
CTX = ConversionContext(site_url=SITE, space_key="ENG", page_id="42", page_title="Home", pages=PAGES,
                        attachment_paths={("42", "local.png"): "ENG/assets/42/local.png",
                                          ("42", "my shot.png"): "ENG/assets/42/my shot.png"})

_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def parsed_images(markdown: str) -> list[tuple[str, str]]:
    """(src, alt) of every image a CommonMark/GFM renderer shows, Markdown or inline HTML."""
    out = []
    for token in _MD.parse(markdown):
        for child in [token, *(token.children or ())]:
            if child.type == "image":
                out.append((child.attrs["src"], "".join(t.content for t in child.children or ())))
            elif child.type in ("html_inline", "html_block") and child.content.startswith("<img "):
                # An <img> alone on its line is an HTML block; one in running text (or a link) is inline.
                attrs = {k: html.unescape(v) for k, v in re.findall(r'(\w+)="([^"]*)"', child.content)}
                out.append((attrs["src"], attrs["alt"]))
    return out


def image(attrs: str = "", inner: str = '<ri:attachment ri:filename="flow.png" />') -> str:
    return f"<ac:image{attrs}>{inner}</ac:image>"


CAPTION = "<ac:caption><p>The <strong>deploy</strong> flow</p></ac:caption>"

CASES = [
    ("attachment", image(' ac:alt="Flow"'), f"![Flow]({DL}/flow.png)\n", [(f"{DL}/flow.png", "Flow")]),
    ("no alt: the file name", image(), f"![flow.png]({DL}/flow.png)\n", [(f"{DL}/flow.png", "flow.png")]),
    ("downloaded: relative path", image(inner='<ri:attachment ri:filename="local.png" />'),
     "![local.png](assets/42/local.png)\n", [("assets/42/local.png", "local.png")]),
    ("downloaded, space in the path", image(' ac:alt="shot"', '<ri:attachment ri:filename="my shot.png" />'),
     "![shot](<assets/42/my shot.png>)\n", [("assets/42/my%20shot.png", "shot")]),
    ("external URL", image(' ac:alt="Octocat"', '<ri:url ri:value="https://cdn.example.com/cat.svg?s=1&amp;t=2" />'),
     "![Octocat](https://cdn.example.com/cat.svg?s=1&t=2)\n", [("https://cdn.example.com/cat.svg?s=1&t=2", "Octocat")]),
    ("external URL without alt: its file name", image(inner='<ri:url ri:value="https://cdn.example.com/img/logo%20v2.png" />'),
     "![logo v2.png](https://cdn.example.com/img/logo%20v2.png)\n",
     [("https://cdn.example.com/img/logo%20v2.png", "logo v2.png")]),
    ("alt with brackets is escaped", image(' ac:alt="step [1]"'), f"![step \\[1\\]]({DL}/flow.png)\n",
     [(f"{DL}/flow.png", "step [1]")]),
    ("title kept when it says more", image(' ac:alt="Flow" ac:title="Deploy flow, 2024"'),
     f'![Flow]({DL}/flow.png "Deploy flow, 2024")\n', [(f"{DL}/flow.png", "Flow")]),
    ("title only: it becomes the alt", image(' ac:title="Deploy flow"'), f"![Deploy flow]({DL}/flow.png)\n",
     [(f"{DL}/flow.png", "Deploy flow")]),
    # -- size: kept only when it shrinks the image --------------------------------------------------
    ("width smaller than the original is kept", image(' ac:alt="Flow" ac:width="400" ac:original-width="1200"'),
     f'<img src="{DL}/flow.png" alt="Flow" width="400">\n', [(f"{DL}/flow.png", "Flow")]),
    ("width equal to the original is dropped", image(' ac:alt="Flow" ac:width="1200" ac:original-width="1200"'),
     f"![Flow]({DL}/flow.png)\n", [(f"{DL}/flow.png", "Flow")]),
    ("layout width wider than the original is dropped",
     image(' ac:alt="Flow" ac:layout="wide" ac:width="760" ac:original-width="698"'),
     f"![Flow]({DL}/flow.png)\n", [(f"{DL}/flow.png", "Flow")]),
    ("width without an original is kept", image(' ac:alt="a &quot;b&quot;" ac:width="200"'),
     f'<img src="{DL}/flow.png" alt="a &quot;b&quot;" width="200">\n', [(f"{DL}/flow.png", 'a "b"')]),
    ("thumbnail links to the full image", image(' ac:thumbnail="true" ac:height="150" ac:original-height="900"'),
     f'[<img src="{DL}/flow.png" alt="flow.png" height="150">]({DL}/flow.png)\n', [(f"{DL}/flow.png", "flow.png")]),
    # -- captions --------------------------------------------------------------------------------------
    ("caption under a block image", image("", '<ri:attachment ri:filename="flow.png" />' + CAPTION),
     f"![The deploy flow]({DL}/flow.png)\n\n*The **deploy** flow*\n", [(f"{DL}/flow.png", "The deploy flow")]),
    ("caption and alt and a width",
     image(' ac:alt="Flow" ac:width="300" ac:original-width="600"', '<ri:attachment ri:filename="flow.png" />' + CAPTION),
     f'<img src="{DL}/flow.png" alt="Flow" width="300">\n\n*The **deploy** flow*\n', [(f"{DL}/flow.png", "Flow")]),
    ("title equal to the caption is dropped",
     image(' ac:alt="Flow" ac:title="Deploy flow"', '<ri:attachment ri:filename="flow.png" /><ac:caption>Deploy flow</ac:caption>'),
     f"![Flow]({DL}/flow.png)\n\n*Deploy flow*\n", [(f"{DL}/flow.png", "Flow")]),
    ("inline image in running text", '<p>Click ' + image(' ac:alt="gear" ac:inline="true"') + " then save.</p>",
     f"Click ![gear]({DL}/flow.png) then save.\n", [(f"{DL}/flow.png", "gear")]),
    ("image in a table cell, caption after it",
     "<table><tbody><tr><th>Screen</th></tr><tr><td>"
     + image(' ac:alt="login"', '<ri:attachment ri:filename="login.png" /><ac:caption>Login page</ac:caption>')
     + "</td></tr></tbody></table>",
     f"| Screen |\n| --- |\n| ![login]({DL}/login.png) *Login page* |\n", [(f"{DL}/login.png", "login")]),
    ("image in a link: the caption cannot go in the label",
     '<p><ac:link><ri:page ri:content-title="Deploy Runbook" /><ac:link-body>'
     + image(' ac:thumbnail="true"', '<ri:url ri:value="https://example.com/t.png" /><ac:caption>cap</ac:caption>')
     + "</ac:link-body></ac:link></p>",
     "[![cap](https://example.com/t.png)](7.md)\n", [("https://example.com/t.png", "cap")]),
    # -- attachments of other pages --------------------------------------------------------------------
    ("attachment of another page in the sync",
     image(inner='<ri:attachment ri:filename="arch.png"><ri:page ri:content-title="Deploy Runbook" /></ri:attachment>'),
     f"![arch.png]({SITE}/download/attachments/7/arch.png)\n", [(f"{SITE}/download/attachments/7/arch.png", "arch.png")]),
]


@pytest.mark.parametrize(("body", "expected", "images"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_images(body: str, expected: str, images: list[tuple[str, str]]):
    result = convert_storage(body, CTX)
    assert result.markdown == expected
    assert parsed_images(result.markdown) == images


def test_image_attached_to_a_page_outside_the_sync_becomes_a_link_to_that_page():
    body = image(' ac:alt="Architecture"', '<ri:attachment ri:filename="arch.png">'
                 '<ri:page ri:space-key="OPS" ri:content-title="Platform" /></ri:attachment>')
    result = convert_storage(body, CTX)
    assert result.markdown == f"[Architecture]({SITE}/display/OPS/Platform)\n"
    assert result.links == [{"target": f"{SITE}/display/OPS/Platform", "kind": "unresolved"}]
    assert result.warnings == ["attachment 'arch.png' of page 'Platform', which is not in the sync, points at that page"]


def test_attached_images_are_listed_for_the_report():
    result = convert_storage(image() + image(inner='<ri:attachment ri:filename="local.png" />')
                             + image(inner='<ri:url ri:value="https://example.com/x.png" />'), CTX)
    assert result.attachments == ["flow.png", "local.png"]


def test_image_without_a_source_keeps_its_alt_text():
    result = convert_storage(image(' ac:alt="lost diagram"', ""), CTX)
    assert result.markdown == "lost diagram\n"
    assert result.warnings == ["an image without a source was kept as its alt text"]
