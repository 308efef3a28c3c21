"""Small inline things: emoticons and emoji as Unicode, dates, inline-comment markers, editor placeholders."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, convert_storage

GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def md(body: str) -> str:
    return convert_storage(body).markdown


def one_paragraph(markdown: str) -> str:
    tokens = GFM.parse(markdown)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], markdown
    return tokens[1].content


NAMES = [
    ("tick", "✅"), ("cross", "❌"), ("warning", "⚠️"), ("information", "ℹ️"), ("question", "❓"),
    ("plus", "➕"), ("minus", "➖"), ("light-on", "💡"), ("light-off", "💡"), ("yellow-star", "⭐"),
    ("red-star", "⭐"), ("green-star", "⭐"), ("blue-star", "⭐"), ("thumbs-up", "👍"), ("thumbs-down", "👎"),
    ("smile", "🙂"), ("sad", "🙁"), ("cheeky", "😛"), ("laugh", "😀"), ("wink", "😉"), ("heart", "❤️"),
    ("broken-heart", "💔"),
]


@pytest.mark.parametrize(("name", "emoji"), NAMES, ids=[n for n, _ in NAMES])
def test_named_emoticon(name, emoji):
    out = md(f'<p>Status <ac:emoticon ac:name="{name}" /> ok</p>')
    assert out == f"Status {emoji} ok\n"
    assert one_paragraph(out) == f"Status {emoji} ok"


EMOJI = [
    # Cloud's picker: ac:name is a stand-in, the emoji attributes say which emoji it is.
    ("id-and-fallback", 'ac:name="blue-star" ac:emoji-shortname=":grinning:" ac:emoji-id="1f600" '
                        'ac:emoji-fallback="😀"', "😀"),
    ("id-only", 'ac:name="blue-star" ac:emoji-id="1f680"', "🚀"),
    ("id-sequence", 'ac:name="blue-star" ac:emoji-shortname=":thumbsup_tone2:" ac:emoji-id="1f44d-1f3fc" '
                    'ac:emoji-fallback=":thumbsup_tone2:"', "👍🏼"),
    ("fallback-with-variation-selector", 'ac:name="blue-star" ac:emoji-id="2764" ac:emoji-fallback="❤️"', "❤️"),
    ("atlassian-id", 'ac:name="tick" ac:emoji-shortname=":check_mark:" ac:emoji-id="atlassian-check_mark" '
                     'ac:emoji-fallback=":check_mark:"', "✅"),
    ("atlassian-id-without-name", 'ac:emoji-id="atlassian-light_bulb_on" ac:emoji-fallback=":light_bulb_on:"', "💡"),
    ("custom-emoji", 'ac:name="blue-star" ac:emoji-shortname=":partyparrot:" '
                     'ac:emoji-id="2b8d4f3e-7c1a-4e9b-9a55-0f3d6c2e8a11" ac:emoji-fallback=":partyparrot:"',
     ":partyparrot:"),
    ("unknown-name", 'ac:name="unicorn-dance"', ":unicorn-dance:"),
]


@pytest.mark.parametrize(("attrs", "emoji"), [e[1:] for e in EMOJI], ids=[e[0] for e in EMOJI])
def test_emoji(attrs, emoji):
    out = md(f"<p>a <ac:emoticon {attrs} /> b</p>")
    assert out == f"a {emoji} b\n"
    assert one_paragraph(out) == f"a {emoji} b"


def test_emoticons_in_a_list_and_a_table_cell():
    assert md('<ul><li><p><ac:emoticon ac:name="tick" /> Success</p></li><li><p>'
              '<ac:emoticon ac:name="cross" /> Failure</p></li></ul>') == "- ✅ Success\n- ❌ Failure\n"
    table = ('<table><tbody><tr><th>Check</th><th>Result</th></tr><tr><td>lint</td>'
             '<td><ac:emoticon ac:name="tick" /></td></tr></tbody></table>')
    assert md(table) == "| Check | Result |\n| --- | --- |\n| lint | ✅ |\n"


TIMES = [
    ("date", '<p>Due <time datetime="2026-03-01" />.</p>', "Due 2026-03-01.\n"),
    ("as-written", '<p>From <time datetime="2026-3-1" /> on</p>', "From 2026-3-1 on\n"),
    ("in-bold", '<p><strong>Freeze: <time datetime="2026-12-18" /></strong></p>', "**Freeze: 2026-12-18**\n"),
    ("text-without-datetime", "<p>On <time>1 March</time></p>", "On 1 March\n"),
]


@pytest.mark.parametrize(("body", "expected"), [t[1:] for t in TIMES], ids=[t[0] for t in TIMES])
def test_time(body, expected):
    out = md(body)
    assert out == expected
    one_paragraph(out)


COMMENTS = [
    ("plain", '<p>The <ac:inline-comment-marker ac:ref="0f3a">retry budget</ac:inline-comment-marker> is 3.</p>',
     "The retry budget is 3.\n"),
    ("around-formatting", '<p><ac:inline-comment-marker ac:ref="1"><strong>Never</strong> skip</ac:inline-comment-marker>'
                          " review</p>", "**Never** skip review\n"),
    ("inside-formatting", '<p><em>see <ac:inline-comment-marker ac:ref="2">here</ac:inline-comment-marker></em></p>',
     "*see here*\n"),
    ("placeholder-dropped", "<p>Owner: <ac:placeholder>Type @ to mention someone</ac:placeholder></p><p>Next</p>",
     "Owner:\n\nNext\n"),
    ("placeholder-only-paragraph", "<p><ac:placeholder>Write here</ac:placeholder></p>", "\n"),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in COMMENTS], ids=[c[0] for c in COMMENTS])
def test_inline_comment_markers_and_placeholders(body, expected):
    result = convert_storage(body)
    assert result.markdown == expected
    assert result.fidelity == 1.0  # placeholders are not reader-visible text


def test_inline_comment_marker_in_a_table_cell_keeps_the_cell_plain():
    table = ('<table><tbody><tr><th>k</th></tr><tr><td rowspan="1" colspan="1">'
             '<ac:inline-comment-marker ac:ref="9">marked</ac:inline-comment-marker> text</td></tr></tbody></table>')
    assert md(table) == "| k |\n| --- |\n| marked text |\n"
    html = convert_storage(table, ConversionContext(tables="html"))
    assert html.markdown == "<table>\n<tr><th>k</th></tr>\n<tr><td>marked text</td></tr>\n</table>\n"
