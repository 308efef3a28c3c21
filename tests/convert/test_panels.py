"""info/note/tip/warning, panel and the new editor's panels: exact input -> output pairs.

Mapping (macros/panels.py), by what readers see in Confluence: info -> NOTE, tip -> TIP, note (yellow) ->
WARNING, warning (red) -> CAUTION; the new editor's purple note panel -> IMPORTANT; `panel` -> a plain quote
with its title in bold and its emoji icon in front.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, convert_storage

CTX = ConversionContext(site_url="https://acme.atlassian.net/wiki", space_key="ENG", page_id="42")
_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def macro(name: str, body: str, **params: str) -> str:
    xml = "".join(f'<ac:parameter ac:name="{k}">{v}</ac:parameter>' for k, v in params.items())
    return f'<ac:structured-macro ac:name="{name}">{xml}<ac:rich-text-body>{body}</ac:rich-text-body></ac:structured-macro>'


def adf_panel(panel_type: str, content: str, *attributes: tuple[str, str], rendered: str | None = None) -> str:
    """A new-editor panel as Confluence stores it: the ADF node, then the old renderer's HTML fallback
    (`rendered`: the content as HTML, which for plain paragraphs and lists is the content itself)."""
    attrs = "".join(f'<ac:adf-attribute key="{k}">{v}</ac:adf-attribute>' for k, v in
                    (("panel-type", panel_type), *attributes))
    fallback = content if rendered is None else rendered
    return (f'<ac:adf-extension><ac:adf-node type="panel">{attrs}<ac:adf-content>{content}</ac:adf-content>'
            '</ac:adf-node><ac:adf-fallback><div class="panel conf-macro output-block" style="background-color: '
            f'rgb(234,230,255);"><div class="panelContent">{fallback}</div></div></ac:adf-fallback></ac:adf-extension>')


CODE = ('<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter>'
        "<ac:plain-text-body><![CDATA[make deploy  \n\nmake verify]]></ac:plain-text-body></ac:structured-macro>")

PAIRS = [
    pytest.param(macro("info", "<p>Read me.</p>", title="Heads up"),
                 "> [!NOTE]\n> **Heads up**\n>\n> Read me.\n", id="info-with-title"),
    pytest.param(macro("tip", "<p>Use <code>--dry-run</code>.</p><p>Then go.</p>"),
                 "> [!TIP]\n> Use `--dry-run`.\n>\n> Then go.\n", id="tip-two-paragraphs"),
    pytest.param(macro("note", "<p>Mind the gap.</p>"), "> [!WARNING]\n> Mind the gap.\n", id="note-is-warning"),
    pytest.param(macro("warning", "<p>Do not <strong>delete</strong> prod.</p>", icon="false"),
                 "> [!CAUTION]\n> Do not **delete** prod.\n", id="warning-is-caution"),
    pytest.param(macro("info", ""), "\n", id="empty-info-is-dropped"),
    pytest.param(macro("info", "", title="Only a title"), "> [!NOTE]\n> **Only a title**\n", id="title-only"),
    pytest.param(macro("info", f"<p>Before deploying:</p><ul><li>check <em>logs</em></li><li>run:{CODE}</li></ul>"),
                 "> [!NOTE]\n> Before deploying:\n>\n> - check *logs*\n> - run:\n>\n>   ```bash\n"
                 ">   make deploy  \n>\n>   make verify\n>   ```\n", id="alert-with-list-and-code"),
    pytest.param(macro("info", macro("note", "<p>Inner.</p>")), "> [!NOTE]\n> > [!WARNING]\n> > Inner.\n",
                 id="alert-in-alert"),
    pytest.param("<ul><li><p>Step</p>" + macro("tip", "<p>Shortcut.</p>") + "</li></ul>",
                 "- Step\n\n  > [!TIP]\n  > Shortcut.\n", id="alert-in-list-item"),
    pytest.param(macro("panel", "<p>Body text.</p>", title="Release checklist", borderStyle="dashed", bgColor="#eee"),
                 "> **Release checklist**\n>\n> Body text.\n", id="panel-with-title"),
    pytest.param(macro("panel", "<p>Plain.</p>"), "> Plain.\n", id="panel-without-title"),
    pytest.param(macro("panel", "<p>A custom panel.</p>", panelIcon=":rainbow:", panelIconId="1f308",
                       panelIconText="🌈", bgColor="#E6FCFF"),
                 "> 🌈 A custom panel.\n", id="new-editor-panel-icon"),
    pytest.param(macro("panel", "<p>Body.</p>", panelIcon=":bulb:", panelIconText="💡", title="Idea"),
                 "> 💡 **Idea**\n>\n> Body.\n", id="icon-and-title"),
    pytest.param(macro("panel", "<ul><li>one</li></ul>", panelIcon=":rainbow:", panelIconText="🌈"),
                 "> 🌈\n>\n> - one\n", id="icon-before-a-list"),
    pytest.param(macro("panel", "<p>x</p>", panelIcon=":bulb:"), "> :bulb: x\n", id="icon-shortcode-only"),
    pytest.param(macro("panel", macro("expand", "<p>Hidden details.</p>", title="More"), title="Outer"),
                 "> **Outer**\n>\n> <details>\n> <summary>More</summary>\n>\n> Hidden details.\n>\n> </details>\n",
                 id="expand-inside-panel"),
    # The new editor (ac:adf-extension): its own content is converted, not the rendered HTML fallback.
    pytest.param(adf_panel("note", "<p>Purple note.</p><ul><li>a</li></ul>"),
                 "> [!IMPORTANT]\n> Purple note.\n>\n> - a\n", id="adf-note-panel"),
    pytest.param(adf_panel("success", "<p>Done.</p>"), "> [!TIP]\n> Done.\n", id="adf-success"),
    pytest.param(adf_panel("error", "<p>Broken.</p>"), "> [!CAUTION]\n> Broken.\n", id="adf-error"),
    pytest.param(adf_panel("custom", "<p>Launch day.</p>", ("panel-icon", ":rocket:"), ("panel-icon-text", "🚀"),
                           ("panel-color", "#e3fcef")),
                 "> 🚀 Launch day.\n", id="adf-custom-panel"),
    pytest.param("<h2>Heads " + macro("info", "<p>up</p>") + "</h2>", "## Heads up\n", id="in-a-heading-words-only"),
]


@pytest.mark.parametrize(("storage", "expected"), PAIRS)
def test_panel(storage: str, expected: str) -> None:
    result = convert_storage(storage, CTX)
    assert result.markdown == expected
    assert result.fidelity == 1.0


def _first_paragraph_in_quote(markdown: str) -> str:
    tokens = _MD.parse(markdown)
    assert tokens[0].type == "blockquote_open", "an alert is a blockquote"
    inline = next(t for t in tokens if t.type == "inline")
    return inline.content


@pytest.mark.parametrize(("name", "kind"), [("info", "NOTE"), ("tip", "TIP"), ("note", "WARNING"),
                                            ("warning", "CAUTION")])
def test_alert_parses_as_a_gfm_alert(name: str, kind: str) -> None:
    # GitHub's rule: a blockquote whose first line is exactly [!KIND]; the body follows on the next line.
    out = convert_storage(macro(name, "<p>Body.</p>", title="Title"), CTX).markdown
    assert _first_paragraph_in_quote(out).split("\n")[0] == f"[!{kind}]"


def test_code_inside_an_alert_is_a_fence_with_the_exact_body() -> None:
    out = convert_storage(macro("warning", f"<ol><li>{CODE}</li></ol>"), CTX).markdown
    assert [(t.info, t.content) for t in _MD.parse(out) if t.type == "fence"] == [
        ("bash", "make deploy  \n\nmake verify\n")]


def test_list_and_table_inside_an_alert_parse_as_such() -> None:
    body = ("<ul><li>a</li><li>b</li></ul><table><tbody><tr><th>k</th></tr><tr><td>v</td></tr></tbody></table>")
    types = [t.type for t in _MD.parse(convert_storage(macro("info", body), CTX).markdown)]
    assert types.count("list_item_open") == 2
    assert "table_open" in types
    assert types[0] == "blockquote_open" and types[-1] == "blockquote_close"


def test_table_inside_an_alert_is_the_table_quoted() -> None:
    # The table's own layout is tables.py's: inside an alert it is that same Markdown, quoted line by line.
    table = "<table><tbody><tr><th>Env</th><th>URL</th></tr><tr><td>prod</td><td>p.example</td></tr></tbody></table>"
    plain = convert_storage(table, CTX).markdown
    quoted = "".join(f"> {line}\n" if line else ">\n" for line in plain.rstrip("\n").split("\n"))
    assert convert_storage(macro("info", table), CTX).markdown == "> [!NOTE]\n" + quoted


def test_adf_panel_counts_its_macros_once() -> None:
    # The panel's content is converted once; the fallback (rendered HTML of the same content) is not used.
    rendered = '<div class="code panel pdl"><div class="codeContent"><pre>make deploy\n\nmake verify</pre></div></div>'
    result = convert_storage(adf_panel("info", CODE, rendered=rendered), CTX)
    assert result.macros["code"] == 1
    assert result.markdown == "> [!NOTE]\n> ```bash\n> make deploy  \n>\n> make verify\n> ```\n"
