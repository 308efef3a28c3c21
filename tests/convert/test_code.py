"""code and noformat macros: exact input -> output pairs, and the byte rule for their bodies.

The byte rule (macros/code.py): the lines between the opening and the closing fence are exactly the lines
of the macro body. Inside a list item each line also carries the item's indentation, inside a quote (info,
panel, blockquote) the `> ` prefix (a bare `>` on an empty line). CommonMark removes exactly those, so the
parsed fence content is `body + "\\n"` (or "" for an empty body). Each test checks that with markdown-it.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, convert_storage
from km_assets.convert.parse import parse_storage

CTX = ConversionContext(site_url="https://acme.atlassian.net/wiki", space_key="ENG", page_id="42")
_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def md(body: str) -> str:
    return convert_storage(body, CTX).markdown


def fences(markdown: str) -> list[tuple[str, str]]:
    """(info, content) of every fenced code block CommonMark finds in the Markdown."""
    return [(t.info, t.content) for t in _MD.parse(markdown) if t.type == "fence"]


def cdata(text: str) -> str:
    """A CDATA section for any text: `]]>` is split across two sections, as Confluence stores it."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def code(body: str, language: str | None = None, **params: str) -> str:
    params = {**({"language": language} if language is not None else {}), **params}
    xml = "".join(f'<ac:parameter ac:name="{k}">{v}</ac:parameter>' for k, v in params.items())
    return f'<ac:structured-macro ac:name="code">{xml}<ac:plain-text-body>{cdata(body)}</ac:plain-text-body></ac:structured-macro>'


def expected_content(body: str) -> str:
    # A blank body gives an empty block (the HTML parser collapses whitespace-only text: see code.py).
    return body + "\n" if body.strip() else ""


# -- top level: language, title, dropped parameters, fences, CDATA --------------------------------------
PAIRS = [
    pytest.param(code('if a < b and c & d:\n    print("*x*_y_")', "py"),
                 '```python\nif a < b and c & d:\n    print("*x*_y_")\n```\n', id="py-is-python"),
    pytest.param(code("var x = list.Where(i => i > 0);", "c#"),
                 "```csharp\nvar x = list.Where(i => i > 0);\n```\n", id="c#-is-csharp"),
    pytest.param(code("alert('hi');", "js"), "```javascript\nalert('hi');\n```\n", id="js-is-javascript"),
    pytest.param(code("echo $HOME", "bash"), "```bash\necho $HOME\n```\n", id="bash-kept"),
    pytest.param(code("ls -la", "shell"), "```shell\nls -la\n```\n", id="shell-kept"),
    pytest.param(code("a: 1", "yml"), "```yaml\na: 1\n```\n", id="yml-is-yaml"),
    pytest.param(code("x -> y", "d2"), "```d2\nx -> y\n```\n", id="unknown-kept-as-given"),
    pytest.param(code("plain words", "none"), "```\nplain words\n```\n", id="none-is-no-language"),
    pytest.param(code("plain words", ""), "```\nplain words\n```\n", id="empty-language"),
    pytest.param(code("plain words"), "```\nplain words\n```\n", id="no-language-parameter"),
    pytest.param(code('println("hi")', "kotlin", title="hello.kt", linenumbers="true", collapse="true",
                      firstline="10", theme="Midnight"),
                 '**hello.kt**\n\n```kotlin\nprintln("hi")\n```\n', id="title-kept-presentation-dropped"),
    pytest.param(code("x", "py", title="a*b [draft]"), "**a\\*b \\[draft\\]**\n\n```python\nx\n```\n",
                 id="title-escaped"),
    pytest.param(code("a\n```\nb", "md"), "````markdown\na\n```\nb\n````\n", id="backticks-in-body-longer-fence"),
    pytest.param(code("x = a[b[0]]", "py"), "```python\nx = a[b[0]]\n```\n", id="cdata-with-]]"),
    pytest.param(code("if x]]>y:", "py"), "```python\nif x]]>y:\n```\n", id="split-cdata"),
    pytest.param(code("done\n", "bash"), "```bash\ndone\n\n```\n", id="trailing-newline-kept"),
    pytest.param(code("  indented\n\n\n   \nlast  ", "text"), "```text\n  indented\n\n\n   \nlast  \n```\n",
                 id="whitespace-and-blank-lines-kept"),
    pytest.param(code("", "py"), "```python\n```\n", id="empty-body"),
    pytest.param('<ac:structured-macro ac:name="code"><ac:plain-text-body>a &lt; b &amp;&amp; c</ac:plain-text-body>'
                 '</ac:structured-macro>', "```\na < b && c\n```\n", id="escaped-not-cdata"),
    pytest.param('<ac:structured-macro ac:name="noformat"><ac:parameter ac:name="nopanel">true</ac:parameter>'
                 '<ac:plain-text-body><![CDATA[\nkeep   this\n  ]]></ac:plain-text-body></ac:structured-macro>',
                 "```\n\nkeep   this\n  \n```\n", id="noformat"),
]


@pytest.mark.parametrize(("storage", "expected"), PAIRS)
def test_code_macro(storage: str, expected: str) -> None:
    out = md(storage)
    assert out == expected
    body = parse_storage(storage)[0].find("ac:plain-text-body").get_text()
    assert [content for _, content in fences(out)] == [expected_content(body)]


# -- nesting: the body survives inside lists, quotes, expands, layouts --------------------------------
BODY = "def f():\n\treturn 1  \n\n  # end"
SRC = code(BODY, "py")


def info(inner: str) -> str:
    return f'<ac:structured-macro ac:name="info"><ac:rich-text-body>{inner}</ac:rich-text-body></ac:structured-macro>'


NESTED = [
    pytest.param(f"<ul><li><p>Step one</p>{SRC}</li><li><p>Step two</p></li></ul>",
                 "- Step one\n\n  ```python\n  def f():\n  \treturn 1  \n\n    # end\n  ```\n- Step two\n",
                 id="list-item-after-paragraph"),
    pytest.param(f"<ol><li>{SRC}</li></ol>",
                 "1. ```python\n   def f():\n   \treturn 1  \n\n     # end\n   ```\n",
                 id="first-in-ordered-item"),
    pytest.param(f"<ul><li>outer<ul><li>inner{SRC}</li></ul></li></ul>",
                 "- outer\n  - inner\n\n    ```python\n    def f():\n    \treturn 1  \n\n      # end\n    ```\n",
                 id="nested-list"),
    pytest.param(info(SRC), "> [!NOTE]\n> ```python\n> def f():\n> \treturn 1  \n>\n>   # end\n> ```\n",
                 id="info-quote"),
    pytest.param(f"<blockquote>{SRC}</blockquote>",
                 "> ```python\n> def f():\n> \treturn 1  \n>\n>   # end\n> ```\n", id="html-blockquote"),
    pytest.param('<ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">Source</ac:parameter>'
                 f'<ac:rich-text-body>{SRC}</ac:rich-text-body></ac:structured-macro>',
                 "<details>\n<summary>Source</summary>\n\n```python\ndef f():\n\treturn 1  \n\n  # end\n```\n\n"
                 "</details>\n", id="expand"),
    pytest.param(f'<ac:layout><ac:layout-section ac:type="two_equal"><ac:layout-cell>{SRC}</ac:layout-cell>'
                 "<ac:layout-cell><p>Notes</p></ac:layout-cell></ac:layout-section></ac:layout>",
                 "```python\ndef f():\n\treturn 1  \n\n  # end\n```\n\nNotes\n", id="layout"),
    pytest.param(info(f"<ul><li><p>Run:</p>{SRC}</li></ul>"),
                 "> [!NOTE]\n> - Run:\n>\n>   ```python\n>   def f():\n>   \treturn 1  \n>\n>     # end\n>   ```\n",
                 id="list-inside-info"),
]


@pytest.mark.parametrize(("storage", "expected"), NESTED)
def test_code_macro_nested(storage: str, expected: str) -> None:
    out = md(storage)
    assert out == expected
    assert fences(out) == [("python", BODY + "\n")]


def test_quote_rule_textually_removing_the_prefix_gives_the_body() -> None:
    """The rule as text: drop `> ` (or the bare `>`) from the lines between the fences -> the body."""
    lines = md(info(SRC)).split("\n")
    start, end = lines.index("> ```python"), lines.index("> ```")
    assert "\n".join(re.sub(r"^> ?", "", line) for line in lines[start + 1:end]) == BODY


def test_code_in_a_table_cell_keeps_its_body() -> None:
    # The cell's layout belongs to tables.py; here only the code must survive.
    out = md(f"<table><tr><th>Example</th></tr><tr><td>{code('x = a[0] * 2', 'py')}</td></tr></table>")
    assert "x = a[0] * 2" in out


# -- the byte rule for any body, in every container ----------------------------------------------------
CONTAINERS = {
    "top": "{}",
    "list": "<ul><li><p>item</p>{}</li></ul>",
    "ordered-first": "<ol><li>{}</li></ol>",
    "nested-list": "<ul><li>a<ol><li>b{}</li></ol></li></ul>",
    "info": info("{}"),
    "panel": '<ac:structured-macro ac:name="panel"><ac:rich-text-body>{}</ac:rich-text-body></ac:structured-macro>',
    "expand-in-info": info('<ac:structured-macro ac:name="expand"><ac:rich-text-body>{}</ac:rich-text-body>'
                           "</ac:structured-macro>"),
    "info-in-list": "<ul><li>" + info("{}") + "</li></ul>",
    "layout": "<ac:layout><ac:layout-section><ac:layout-cell>{}</ac:layout-cell></ac:layout-section></ac:layout>",
}
# Anything a code body holds, except what CommonMark itself reads as a line ending (\r) and NUL, which the
# parser removes. Weighted towards the characters that break naive converters.
BODIES = st.text(alphabet=st.sampled_from(list("ab `\t]>[<&*_#-+.1\\|\n") + ["\u00a0", "\x0c", "\u2028", "é"]),
                 max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(body=BODIES, container=st.sampled_from(sorted(CONTAINERS)))
def test_any_body_is_byte_identical_in_any_container(body: str, container: str) -> None:
    storage = CONTAINERS[container].format(code(body, "text"))
    # html.parser ends CDATA at `] ]>` (whitespace between): a parser limit (parse.py), not this rule's.
    assume(parse_storage(storage)[0].find("ac:plain-text-body").get_text() == body)
    assert fences(md(storage)) == [("text", expected_content(body))]


def test_every_code_macro_in_the_shared_samples_survives(shared_dir) -> None:
    """Real pages: every code/noformat body outside tables is a fence with exactly its content."""
    checked = 0
    for path in sorted((shared_dir / "confluence-samples" / "storage").glob("*.xhtml")):
        body = path.read_text(encoding="utf-8-sig")
        found = [content for _, content in fences(convert_storage(body).markdown)]
        soup, _ = parse_storage(body)
        for macro in soup.find_all("ac:structured-macro", attrs={"ac:name": ["code", "noformat"]}):
            if macro.find_parent(["td", "th"]):
                continue  # table layout is tables.py's
            source = macro.find("ac:plain-text-body").get_text()
            assert expected_content(source) in found, (path.name, source[:40])
            checked += 1
    assert checked >= 30
