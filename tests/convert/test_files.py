"""attachments, gallery, view-file (and its kin): file lists and file links.

The attachments a page has come from `context.attachments_of`; a page missing there is unknown and
gets a visible note. Outputs are parsed with markdown-it-py and their links and images compared with
what the converter recorded.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, PageRef, convert_storage

SITE = "https://acme.atlassian.net/wiki"
DL = f"{SITE}/download/attachments"
PAGES = {
    "42": PageRef(id="42", space="ENG", title="Home", path="ENG/42.md", url=f"{SITE}/spaces/ENG/pages/42/Home"),
    "7": PageRef(id="7", space="ENG", title="Deploy Runbook", path="ENG/7.md"),
    "8": PageRef(id="8", space="ENG", title="Empty", path="ENG/8.md"),
}
ATTACHMENTS = {"42": ("notes.txt", "Plan.pdf", "arch.png", "q1 report.PDF", "team.JPG"), "7": ("steps.pdf", "flow.svg"),
               "8": ()}
CTX = ConversionContext(site_url=SITE, space_key="ENG", page_id="42", page_title="Home", pages=PAGES,
                        attachments_of=ATTACHMENTS, attachment_paths={("42", "notes.txt"): "ENG/files/42/notes.txt"})

_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def parsed_targets(markdown: str) -> list[str]:
    """Link hrefs and image srcs, in order, as a CommonMark/GFM renderer finds them."""
    out = []
    for token in _MD.parse(markdown):
        for child in token.children or ():
            if child.type == "link_open":
                out.append(child.attrs["href"])
            elif child.type == "image":
                out.append(child.attrs["src"])
    return out


def macro(name: str, params: str = "") -> str:
    return f'<ac:structured-macro ac:name="{name}">{params}</ac:structured-macro>'


def param(name: str, value: str) -> str:
    return f'<ac:parameter ac:name="{name}">{value}</ac:parameter>'


def on_page(title: str) -> str:
    return param("page", f'<ac:link><ri:page ri:content-title="{title}" /></ac:link>')


def view_file(filename: str, owner: str = "", name: str = "view-file") -> str:
    inner = f'<ri:page ri:content-title="{owner}" />' if owner else ""
    return macro(name, param("name", f'<ri:attachment ri:filename="{filename}">{inner}</ri:attachment>'))


HOME = f"{SITE}/spaces/ENG/pages/42/Home"
CASES = [
    # -- attachments -----------------------------------------------------------------------------------
    ("this page's attachments, in the sync's order", macro("attachments"),
     f"- [notes.txt](files/42/notes.txt)\n- [Plan.pdf]({DL}/42/Plan.pdf)\n- [arch.png]({DL}/42/arch.png)\n"
     f"- [q1 report.PDF]({DL}/42/q1%20report.PDF)\n- [team.JPG]({DL}/42/team.JPG)\n"),
    ("patterns (regular expressions, case-insensitive), sorted by name, descending",
     macro("attachments", param("patterns", r".*\.pdf,notes\..*") + param("sortBy", "name") + param("sortOrder", "descending")),
     f"- [q1 report.PDF]({DL}/42/q1%20report.PDF)\n- [Plan.pdf]({DL}/42/Plan.pdf)\n- [notes.txt](files/42/notes.txt)\n"),
    ("another page's attachments", macro("attachments", on_page("Deploy Runbook")),
     f"- [steps.pdf]({DL}/7/steps.pdf)\n- [flow.svg]({DL}/7/flow.svg)\n"),
    ("a page with none", macro("attachments", on_page("Empty")), "> No attachments on [Empty](8.md)\n"),
    ("a page the sync knows no attachments of", macro("attachments", param("page", "OPS:Runbooks")),
     f"> Attachments of [Runbooks]({SITE}/display/OPS/Runbooks)\n"),
    # -- gallery ---------------------------------------------------------------------------------------
    ("gallery of this page's images", macro("gallery", param("title", "Team offsite")),
     f"**Team offsite**\n\n- ![arch.png]({DL}/42/arch.png)\n- ![team.JPG]({DL}/42/team.JPG)\n"),
    ("gallery with include and exclude", macro("gallery", param("include", "arch.png, team.JPG, Plan.pdf") + param("exclude", "arch.png")),
     f"- ![team.JPG]({DL}/42/team.JPG)\n"),
    ("gallery of another page", macro("gallery", on_page("Deploy Runbook")), f"- ![flow.svg]({DL}/7/flow.svg)\n"),
    ("gallery of a page without images", macro("gallery", on_page("Empty")), "> No images on [Empty](8.md)\n"),
    # -- view-file and kin -----------------------------------------------------------------------------
    ("view-file", view_file("Plan.pdf"), f"[Plan.pdf]({DL}/42/Plan.pdf)\n"),
    ("two viewers side by side become two paragraphs", "<p>" + view_file("q1 report.PDF") + view_file("notes.txt") + "</p>",
     f"[q1 report.PDF]({DL}/42/q1%20report.PDF)\n\n[notes.txt](files/42/notes.txt)\n"),
    ("viewer in running text stays inline", "<p>See " + view_file("Plan.pdf", name="viewpdf") + " first.</p>",
     f"See [Plan.pdf]({DL}/42/Plan.pdf) first.\n"),
    ("another page's file", view_file("steps.pdf", owner="Deploy Runbook"), f"[steps.pdf]({DL}/7/steps.pdf)\n"),
    ("older storage: the name as text", macro("viewdoc", param("name", "Spec v2.docx")),
     f"[Spec v2.docx]({DL}/42/Spec%20v2.docx)\n"),
    ("file list in a table cell",
     "<table><tbody><tr><th>Files</th></tr><tr><td>" + view_file("Plan.pdf") + "</td></tr></tbody></table>",
     f"| Files |\n| --- |\n| [Plan.pdf]({DL}/42/Plan.pdf) |\n"),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_file_macros(body: str, expected: str):
    result = convert_storage(body, CTX)
    assert result.markdown == expected
    assert result.warnings == []
    assert parsed_targets(result.markdown) == [_MD.normalizeLink(link["target"]) for link in result.links]
    assert all(link["kind"] in ("attachment", "internal", "unresolved") for link in result.links)


def test_listed_files_of_this_page_count_as_its_attachments():
    result = convert_storage(macro("attachments", param("patterns", ".*\\.pdf")) + view_file("notes.txt"), CTX)
    assert result.attachments == ["Plan.pdf", "q1 report.PDF", "notes.txt"]


def test_unknown_attachments_of_this_page_note_links_to_confluence():
    ctx = ConversionContext(site_url=SITE, space_key="ENG", page_id="42", page_title="Home", pages=PAGES)
    result = convert_storage(macro("attachments") + macro("gallery"), ctx)
    assert result.markdown == f"> Attachments of [Home]({HOME})\n\n> Image gallery of [Home]({HOME})\n"
    assert result.macro_handling == {"attachments": "converted", "gallery": "converted"}


def test_file_of_a_page_outside_the_sync_points_at_that_page():
    result = convert_storage(view_file("x.pdf", owner="Elsewhere"), CTX)
    assert result.markdown == f"[x.pdf]({SITE}/display/ENG/Elsewhere)\n"
    assert result.warnings == ["attachment 'x.pdf' of page 'Elsewhere', which is not in the sync, points at that page"]
