"""Tables: exact input -> output pairs in each mode (auto, html, repeat), and the output parsed as GFM.

Forms: a GFM pipe table when every cell is one paragraph and none is merged ("auto"), or always when
the cells can be flattened ("repeat": merged text repeated, paragraphs and lists joined by <br>);
otherwise an HTML table whose cells are plain HTML on one line, or Markdown between blank lines.
"""

from __future__ import annotations

import html
import re

import pytest
from bs4 import BeautifulSoup
from bs4.element import CData, Comment, NavigableString
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, convert_storage

# CommonMark plus the GFM table extension ("gfm-like" would also need linkify-it-py, not installed).
GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def convert(body: str, mode: str = "auto", **context) -> str:
    return convert_storage(body, ConversionContext(tables=mode, **context)).markdown


def gfm_rows(markdown: str) -> list[list[str]]:
    """The cells (inline source) of the one GFM table in `markdown`, header row first."""
    tokens = GFM.parse(markdown)
    assert [t.type for t in tokens].count("table_open") == 1, markdown
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(token.content)
    return rows


def assert_parses(markdown: str) -> None:
    """A pipe table parses as one rectangular GFM table; an HTML table as HTML blocks with its cells."""
    if markdown.startswith("|"):
        rows = gfm_rows(markdown)
        assert len(rows) == markdown.count("\n") - 1, markdown  # every line but the delimiter is a row
        assert len({len(row) for row in rows}) == 1, rows
    else:
        tokens = GFM.parse(markdown)
        assert tokens[0].type == "html_block" and tokens[0].content.startswith("<table>"), markdown
        # Markdown between blank lines is parsed as Markdown, not swallowed by an HTML block: every line
        # of every HTML block is a tag line.
        for token in tokens:
            if token.type == "html_block":
                assert all(line.startswith("<") for line in token.content.splitlines()), token.content
        rendered = GFM.render(markdown)
        assert rendered.count("<table>") == rendered.count("</table>") >= markdown.count("<table>")


# -- the five shapes, each in the three modes ---------------------------------------------------------
SIMPLE = ("<table><tbody><tr><th>Name</th><th>Role</th></tr><tr><td>Ada</td><td>Lead</td></tr>"
          "<tr><td>Linus</td><td>Dev</td></tr></tbody></table>")
SIMPLE_GFM = "| Name | Role |\n| --- | --- |\n| Ada | Lead |\n| Linus | Dev |\n"
SIMPLE_HTML = ("<table>\n<tr><th>Name</th><th>Role</th></tr>\n<tr><td>Ada</td><td>Lead</td></tr>\n"
               "<tr><td>Linus</td><td>Dev</td></tr>\n</table>\n")

HEADER_COLUMN = ('<table data-layout="default"><colgroup><col style="width: 120.0px;" /><col /></colgroup>'
                 "<tbody><tr><th><p>Owner</p></th><td><p>Platform team</p></td></tr>"
                 "<tr><th><p>Pager</p></th><td><p>ops-oncall</p></td></tr></tbody></table>")
HEADER_COLUMN_GFM = "|  |  |\n| --- | --- |\n| **Owner** | Platform team |\n| **Pager** | ops-oncall |\n"
HEADER_COLUMN_HTML = ("<table>\n<tr><th>Owner</th><td>Platform team</td></tr>\n"
                      "<tr><th>Pager</th><td>ops-oncall</td></tr>\n</table>\n")

COLSPAN = ("<table><tbody><tr><th>Day</th><th>AM</th><th>PM</th></tr>"
           '<tr><td>Mon</td><td colspan="2">Offsite</td></tr>'
           "<tr><td>Tue</td><td>Build</td><td>Review</td></tr></tbody></table>")
COLSPAN_HTML = ("<table>\n<tr><th>Day</th><th>AM</th><th>PM</th></tr>\n"
                '<tr><td>Mon</td><td colspan="2">Offsite</td></tr>\n'
                "<tr><td>Tue</td><td>Build</td><td>Review</td></tr>\n</table>\n")
COLSPAN_REPEAT = ("| Day | AM | PM |\n| --- | --- | --- |\n| Mon | Offsite | Offsite |\n"
                  "| Tue | Build | Review |\n")

ROWSPAN = ("<table><tbody><tr><th>Team</th><th>Service</th></tr>"
           '<tr><td rowspan="2">Core</td><td>auth</td></tr><tr><td>billing</td></tr></tbody></table>')
ROWSPAN_HTML = ("<table>\n<tr><th>Team</th><th>Service</th></tr>\n"
                '<tr><td rowspan="2">Core</td><td>auth</td></tr>\n<tr><td>billing</td></tr>\n</table>\n')
ROWSPAN_REPEAT = "| Team | Service |\n| --- | --- |\n| Core | auth |\n| Core | billing |\n"

BOTH = ('<table><tbody><tr><th rowspan="2">Region</th><th colspan="2">Sales</th></tr>'
        "<tr><th>Q1</th><th>Q2</th></tr><tr><td>EU</td><td>10</td><td>12</td></tr></tbody></table>")
BOTH_HTML = ('<table>\n<tr><th rowspan="2">Region</th><th colspan="2">Sales</th></tr>\n'
             "<tr><th>Q1</th><th>Q2</th></tr>\n<tr><td>EU</td><td>10</td><td>12</td></tr>\n</table>\n")
# The second header row has no place in GFM but as a body row; its th cells are bold like a header column.
BOTH_REPEAT = ("| Region | Sales | Sales |\n| --- | --- | --- |\n| **Region** | **Q1** | **Q2** |\n"
               "| EU | 10 | 12 |\n")

SHAPES = [
    ("simple", SIMPLE, {"auto": SIMPLE_GFM, "html": SIMPLE_HTML, "repeat": SIMPLE_GFM}),
    ("header-column", HEADER_COLUMN,
     {"auto": HEADER_COLUMN_GFM, "html": HEADER_COLUMN_HTML, "repeat": HEADER_COLUMN_GFM}),
    ("colspan", COLSPAN, {"auto": COLSPAN_HTML, "html": COLSPAN_HTML, "repeat": COLSPAN_REPEAT}),
    ("rowspan", ROWSPAN, {"auto": ROWSPAN_HTML, "html": ROWSPAN_HTML, "repeat": ROWSPAN_REPEAT}),
    ("rowspan-and-colspan", BOTH, {"auto": BOTH_HTML, "html": BOTH_HTML, "repeat": BOTH_REPEAT}),
]


@pytest.mark.parametrize("mode", ["auto", "html", "repeat"])
@pytest.mark.parametrize(("body", "expected"), [(body, out) for _, body, out in SHAPES],
                         ids=[name for name, _, _ in SHAPES])
def test_shape_in_each_mode(body, expected, mode):
    out = convert(body, mode)
    assert out == expected[mode]
    assert_parses(out)


# -- content in cells -------------------------------------------------------------------------------
LIST_IN_CELL = ("<table><tbody><tr><th>Step</th><th>Checks</th></tr><tr><td>Deploy</td>"
                "<td><p>Before:</p><ul><li><p>tests <strong>green</strong></p></li><li><p>tag pushed</p>"
                "<ul><li><p>signed</p></li></ul></li></ul></td></tr></tbody></table>")
CODE = 'if a < b and c & d:\n    print("x | y")  \n\n\treturn `z`'
CODE_IN_CELL = ("<table><tbody><tr><th>Task</th><th>Command</th></tr><tr><td>Check</td><td>"
                '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">python</ac:parameter>'
                f"<ac:plain-text-body><![CDATA[{CODE}]]></ac:plain-text-body></ac:structured-macro>"
                "</td></tr></tbody></table>")
NESTED = ("<table><tbody><tr><th>Env</th><th>Hosts</th></tr><tr><td>prod</td><td><table><tbody>"
          "<tr><th>Host</th><th>Role</th></tr><tr><td>db1</td><td>primary</td></tr></tbody></table>"
          "</td></tr></tbody></table>")
PIPES = ("<table><tbody><tr><th>Operator</th><th>Meaning</th></tr>"
         "<tr><td><code>a || b</code></td><td>either a|b</td></tr></tbody></table>")
EMPTY_CELLS = ("<table><tbody><tr><th>Key</th><th /></tr><tr><td /><td><p>&nbsp;</p></td></tr>"
               "<tr><td>x</td><td></td></tr></tbody></table>")
NO_HEADER = "<table><tbody><tr><td>Key</td><td>Value</td></tr><tr><td>port</td><td>8080</td></tr></tbody></table>"
LINE_BREAK = "<table><tbody><tr><th>Where</th></tr><tr><td><p>Floor 2<br/>Room 14</p></td></tr></tbody></table>"
TWO_PARAGRAPHS = ("<table><tbody><tr><th>Since</th></tr><tr><td><p>10.2</p><p>11.0 - deprecated</p></td></tr>"
                  "</tbody></table>")
RAGGED = "<table><tbody><tr><th>A</th><th>B</th><th>C</th></tr><tr><td>1</td></tr></tbody></table>"
HIGHLIGHTED = ('<table data-layout="wide" data-table-width="1200"><colgroup><col style="width: 80px;" /></colgroup>'
               '<tbody><tr><th data-highlight-colour="#f4f5f7" class="highlight-grey"><p style="text-align: center;">'
               '<strong>State</strong></p></th></tr><tr><td data-highlight-colour="#ffbdad"><span style="color: red;">'
               "down</span></td></tr></tbody></table>")
HTML_TEXT = ("<table><tbody><tr><th>Expr</th></tr><tr><td><p>x &lt; y &amp;&amp; z</p><p>&amp;lt; stays</p></td>"
             '<td rowspan="1"><a href="https://example.com/a?b=1&amp;c=2">query</a> <em>ok</em></td></tr>'
             "</tbody></table>")
MENTION_IN_MERGED = ('<table><tbody><tr><th colspan="2">Owners</th></tr><tr><td><ac:link>'
                     '<ri:user ri:account-id="557058:ada" /></ac:link></td>'
                     '<td><ac:emoticon ac:name="tick" /> on call</td></tr></tbody></table>')

FORMATTED = ('<table><tbody><tr><th><p><strong>Setup </strong></p></th><th><p>Notes</p></th></tr><tr><td rowspan="2">'
             '<span style="color: #ff5630;">H<sub>2</sub>O</span></td><td><ol start="3"><li><p><s>old</s> new</p></li>'
             "<li><p>first</p><p>second</p></li></ol></td></tr><tr><td><u>under</u> <i>it</i></td></tr></tbody></table>")

CELL_CASES = [
    ("formatting-as-plain-html", FORMATTED, "auto",
     "<table>\n<tr><th><strong>Setup</strong></th><th>Notes</th></tr>\n"
     '<tr><td rowspan="2">H<sub>2</sub>O</td><td><ol start="3"><li><del>old</del> new</li>'
     "<li><p>first</p><p>second</p></li></ol></td></tr>\n<tr><td>under <em>it</em></td></tr>\n</table>\n"),
    ("list-in-cell-auto", LIST_IN_CELL, "auto",
     "<table>\n<tr><th>Step</th><th>Checks</th></tr>\n"
     "<tr><td>Deploy</td><td><p>Before:</p><ul><li>tests <strong>green</strong></li><li>tag pushed"
     "<ul><li>signed</li></ul></li></ul></td></tr>\n</table>\n"),
    ("list-in-cell-repeat", LIST_IN_CELL, "repeat",
     "| Step | Checks |\n| --- | --- |\n| Deploy | Before:<br>- tests **green**<br>- tag pushed<br>\u00a0\u00a0- signed |\n"),
    ("code-in-cell-auto", CODE_IN_CELL, "auto",
     "<table>\n<tr><th>Task</th><th>Command</th></tr>\n<tr>\n<td>Check</td>\n<td>\n\n"
     f"```python\n{CODE}\n```\n\n</td>\n</tr>\n</table>\n"),
    ("nested-table-auto", NESTED, "auto",
     "<table>\n<tr><th>Env</th><th>Hosts</th></tr>\n<tr>\n<td>prod</td>\n<td>\n\n"
     "| Host | Role |\n| --- | --- |\n| db1 | primary |\n\n</td>\n</tr>\n</table>\n"),
    ("pipes-auto", PIPES, "auto",
     "| Operator | Meaning |\n| --- | --- |\n| `a \\|\\| b` | either a\\|b |\n"),
    ("pipes-html", PIPES, "html",
     "<table>\n<tr><th>Operator</th><th>Meaning</th></tr>\n"
     "<tr><td><code>a || b</code></td><td>either a|b</td></tr>\n</table>\n"),
    ("empty-cells-auto", EMPTY_CELLS, "auto", "| Key |  |\n| --- | --- |\n|  |  |\n| x |  |\n"),
    ("empty-cells-html", EMPTY_CELLS, "html",
     "<table>\n<tr><th>Key</th><th></th></tr>\n<tr><td></td><td></td></tr>\n<tr><td>x</td><td></td></tr>\n"
     "</table>\n"),
    ("no-header-row", NO_HEADER, "auto", "|  |  |\n| --- | --- |\n| Key | Value |\n| port | 8080 |\n"),
    ("line-break", LINE_BREAK, "auto", "| Where |\n| --- |\n| Floor 2<br>Room 14 |\n"),
    ("two-paragraphs-auto", TWO_PARAGRAPHS, "auto",
     "<table>\n<tr><th>Since</th></tr>\n<tr><td><p>10.2</p><p>11.0 - deprecated</p></td></tr>\n</table>\n"),
    ("two-paragraphs-repeat", TWO_PARAGRAPHS, "repeat", "| Since |\n| --- |\n| 10.2<br>11.0 - deprecated |\n"),
    ("ragged-row-padded", RAGGED, "auto", "| A | B | C |\n| --- | --- | --- |\n| 1 |  |  |\n"),
    ("layout-and-colours-dropped", HIGHLIGHTED, "auto", "| **State** |\n| --- |\n| down |\n"),
    ("html-text-escaped", HTML_TEXT, "html",
     "<table>\n<tr><th>Expr</th></tr>\n<tr><td><p>x &lt; y && z</p><p>&amp;lt; stays</p></td>"
     '<td><a href="https://example.com/a?b=1&c=2">query</a> <em>ok</em></td></tr>\n</table>\n'),
    ("converted-cells-in-html", MENTION_IN_MERGED, "auto",
     '<table>\n<tr><th colspan="2">Owners</th></tr>\n<tr><td>@Ada Lovelace</td><td>✅ on call</td></tr>\n'
     "</table>\n"),
]


@pytest.mark.parametrize(("body", "mode", "expected"), [case[1:] for case in CELL_CASES],
                         ids=[case[0] for case in CELL_CASES])
def test_cell_content(body, mode, expected):
    out = convert(body, mode, users={"557058:ada": "Ada Lovelace"})
    assert out == expected
    assert_parses(out)


def test_code_in_a_cell_survives_byte_for_byte_and_renders_as_code():
    out = convert(CODE_IN_CELL)
    assert f"\n{CODE}\n" in out
    fences = [t for t in GFM.parse(out) if t.type == "fence"]
    assert [(f.info, f.content) for f in fences] == [("python", CODE + "\n")]


def test_markdown_inside_html_cells_is_parsed_as_markdown():
    tokens = [t.type for t in GFM.parse(convert(NESTED))]
    assert tokens.count("html_block") == 2 and tokens.count("table_open") == 1
    assert gfm_rows(convert(NESTED)) == [["Host", "Role"], ["db1", "primary"]]


def test_escaped_pipes_stay_inside_their_cells():
    # The table parser takes `\|` as a pipe inside the cell, code spans included.
    assert gfm_rows(convert(PIPES)) == [["Operator", "Meaning"], ["`a || b`", "either a|b"]]
    assert "<code>a || b</code>" in GFM.render(convert(PIPES))


def test_repeat_mode_keeps_code_cells_as_html_and_says_so():
    result = convert_storage(CODE_IN_CELL, ConversionContext(tables="repeat"))
    assert result.markdown == convert(CODE_IN_CELL, "auto")
    assert any("kept as HTML" in w for w in result.warnings)


def test_repeat_mode_nested_table_is_html():
    assert convert(NESTED, "repeat") == convert(NESTED, "auto")


def test_table_inside_a_list_item_and_a_panel():
    body = f"<ul><li><p>Owners:</p>{ROWSPAN}</li></ul>"
    out = convert(body)
    assert out == "- Owners:\n\n  " + ROWSPAN_HTML.replace("\n", "\n  ").rstrip() + "\n"
    assert [t.type for t in GFM.parse(out)][:4] == ["bullet_list_open", "list_item_open", "paragraph_open", "inline"]
    panel = f'<ac:structured-macro ac:name="info"><ac:rich-text-body>{SIMPLE}</ac:rich-text-body></ac:structured-macro>'
    assert convert(panel) == "> [!NOTE]\n" + "".join(f"> {line}\n" for line in SIMPLE_GFM.splitlines())


def test_table_among_paragraphs_and_caption():
    body = f"<p>Before.</p><table><caption>Rota</caption>{SIMPLE[7:-8]}</table><p>After.</p>"
    assert convert(body) == "Before.\n\nRota\n\n" + SIMPLE_GFM + "\nAfter.\n"


def test_links_in_cells_are_recorded_once():
    body = ('<table><tbody><tr><td rowspan="2"><ac:link><ri:page ri:content-title="Runbook" /></ac:link></td>'
            "<td>a</td></tr><tr><td>b</td></tr></tbody></table>")
    for mode in ("auto", "html", "repeat"):
        result = convert_storage(body, ConversionContext(site_url="https://w", space_key="OPS", tables=mode))
        assert [link["target"] for link in result.links] == ["https://w/display/OPS/Runbook"], mode


def test_empty_and_broken_tables():
    assert convert("<p>x</p><table></table><table><tbody><tr></tr></tbody></table>") == "x\n"
    assert convert("<table><tr><td>cell without end") == "|  |\n| --- |\n| cell without end |\n"
    assert convert('<table><tr><td rowspan="x" colspan="-2">a</td><td rowspan="9">b</td></tr></table>') == (
        "|  |  |\n| --- | --- |\n| a | b |\n")


# -- every cell's text reaches the output, on the shared real pages -----------------------------------
_HIDDEN = {"ac:task-id", "ac:task-status", "ac:task-uuid", "ac:adf-attribute", "ac:placeholder"}


def _visible(node: NavigableString) -> bool:
    for parent in node.parents:
        if parent.name == "ac:parameter":
            return parent.get("ac:name") == "title"  # a status lozenge shows its title
        if parent.name in _HIDDEN:
            return False
    return True


def _normal(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("mode", ["auto", "html", "repeat"])
def test_every_table_cell_text_is_in_the_output_of_every_shared_sample(shared_dir, mode):
    checked = 0
    for path in sorted((shared_dir / "confluence-samples" / "storage").glob("*.xhtml")):
        body = path.read_text(encoding="utf-8-sig")
        out = convert(body, mode)
        # Read the output as a reader sees it: Markdown escapes and HTML entities resolved.
        readable = _normal(html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", out)))
        for cell in BeautifulSoup(body, "html.parser").find_all(["td", "th"]):
            for node in cell.find_all(string=True):
                if isinstance(node, Comment) or not isinstance(node, NavigableString | CData):
                    continue
                text = _normal(str(node))
                if text and _visible(node):
                    assert text in readable, f"{path.name} ({mode}): {text!r}"
                    checked += 1
    assert checked > 100


def test_html_cells_link_where_markdown_links_do():
    """A Confluence URL of a page in the sync points at its article in HTML cells too, recorded once."""
    from km_assets.convert import PageRef

    context = dict(site_url="https://acme.atlassian.net/wiki", space_key="ENG", page_id="1",
                   pages={"42": PageRef(id="42", space="ENG", title="Runbook", path="eng/runbook.md")})
    body = ('<table><tbody><tr><td><p>See <a href="https://acme.atlassian.net/wiki/spaces/ENG/pages/42/Runbook">'
            "the runbook</a></p></td></tr><tr></tr><tr><td><div><p>x</p></div></td></tr></tbody></table>")
    html_result = convert_storage(body, ConversionContext(tables="html", **context))
    assert html_result.markdown == ('<table>\n<tr><td>See <a href="eng/runbook.md">the runbook</a></td></tr>\n'
                                    "<tr></tr>\n<tr><td>x</td></tr>\n</table>\n")
    assert html_result.links == [{"target": "eng/runbook.md", "kind": "internal"}]
    # In GFM the empty row has nothing to show, and a paragraph wrapped in a div is still one paragraph.
    assert convert(body, **context) == "|  |\n| --- |\n| See [the runbook](eng/runbook.md) |\n| x |\n"
