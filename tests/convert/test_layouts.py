"""Page layouts: sections and cells flattened in reading order, one block per cell."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import convert_storage

GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def layout(*sections: tuple[str, list[str]]) -> str:
    body = "".join(f'<ac:layout-section ac:type="{kind}" ac:breakout-mode="default">'
                   + "".join(f"<ac:layout-cell>{cell}</ac:layout-cell>" for cell in cells)
                   + "</ac:layout-section>" for kind, cells in sections)
    return f"<ac:layout>{body}</ac:layout>"


def paragraphs(markdown: str) -> list[str]:
    tokens = GFM.parse(markdown)
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "paragraph_open"]


TYPES = [
    ("single", ["<p>Only column</p>"], "Only column\n"),
    ("fixed-width", ["<p>Cloud's single column</p>"], "Cloud's single column\n"),
    ("two_equal", ["<p>Left half</p>", "<p>Right half</p>"], "Left half\n\nRight half\n"),
    ("two_left_sidebar", ["<p>Sidebar</p>", "<p>Main</p>"], "Sidebar\n\nMain\n"),
    ("two_right_sidebar", ["<p>Main</p>", "<p>Sidebar</p>"], "Main\n\nSidebar\n"),
    ("three_equal", ["<p>One</p>", "<p>Two</p>", "<p>Three</p>"], "One\n\nTwo\n\nThree\n"),
    ("three_with_sidebars", ["<p>Left bar</p>", "<p>Centre</p>", "<p>Right bar</p>"],
     "Left bar\n\nCentre\n\nRight bar\n"),
    ("four_equal", ["<p>1</p>", "<p>2</p>", "<p>3</p>", "<p>4</p>"], "1\n\n2\n\n3\n\n4\n"),
]


@pytest.mark.parametrize(("kind", "cells", "expected"), TYPES, ids=[t[0] for t in TYPES])
def test_each_section_type_reads_cell_by_cell(kind, cells, expected):
    out = convert_storage(layout((kind, cells))).markdown
    assert out == expected
    assert len(paragraphs(out)) == len(cells)


def test_sections_in_order_with_block_content():
    body = layout(
        ("two_left_sidebar", ["<h3>Contacts</h3><ul><li><p>Ada</p></li><li><p>Linus</p></li></ul>",
                              "<p>The <strong>main</strong> text.</p><p />"]),
        ("single", ["<p />"]),  # an empty cell leaves nothing behind
        ("three_equal", ["<p>A</p>", "<table><tbody><tr><th>k</th><th>v</th></tr><tr><td>x</td><td>1</td></tr>"
                                    "</tbody></table>", "<ac:placeholder>Type something</ac:placeholder>"]),
    )
    out = convert_storage(body).markdown
    assert out == ("### Contacts\n\n- Ada\n- Linus\n\nThe **main** text.\n\nA\n\n"
                   "| k | v |\n| --- | --- |\n| x | 1 |\n")
    types = [t.type for t in GFM.parse(out)]
    assert types.count("heading_open") == 1 and types.count("bullet_list_open") == 1
    assert types.count("table_open") == 1 and paragraphs(out)[-1] == "A"


def test_layout_between_paragraphs_and_whitespace_between_tags():
    body = ("<p>Intro</p>\n<ac:layout>\n  <ac:layout-section ac:type=\"two_equal\">\n    <ac:layout-cell>\n"
            "      <p>Left</p>\n    </ac:layout-cell>\n    <ac:layout-cell>\n      <p>Right</p>\n"
            "    </ac:layout-cell>\n  </ac:layout-section>\n</ac:layout>\n<p>Outro</p>")
    out = convert_storage(body).markdown
    assert out == "Intro\n\nLeft\n\nRight\n\nOutro\n"
    assert paragraphs(out) == ["Intro", "Left", "Right", "Outro"]
