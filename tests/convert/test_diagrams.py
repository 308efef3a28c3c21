"""plantuml, mermaid, drawio, gliffy and math macros: exact input -> output pairs."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, convert_storage

CTX = ConversionContext(site_url="https://acme.atlassian.net/wiki", space_key="ENG", page_id="42")
_MD = MarkdownIt("commonmark")


def macro(macro_name: str, source: str | None = None, /, **params: str) -> str:
    xml = "".join(f'<ac:parameter ac:name="{k}">{v}</ac:parameter>' for k, v in params.items())
    body = f"<ac:plain-text-body><![CDATA[{source}]]></ac:plain-text-body>" if source is not None else ""
    return f'<ac:structured-macro ac:name="{macro_name}">{xml}{body}</ac:structured-macro>'


UML = "@startuml\nAlice -> Bob: hello <b>\n' a comment *not* markdown\n@enduml"

PAIRS = [
    pytest.param(macro("plantuml", UML), f"```plantuml\n{UML}\n```\n", id="plantuml"),
    pytest.param(macro("mermaid", "graph TD;\n  A-->B;"), "```mermaid\ngraph TD;\n  A-->B;\n```\n", id="mermaid"),
    pytest.param(macro("mermaid-macro", "sequenceDiagram\n  A->>B: x"),
                 "```mermaid\nsequenceDiagram\n  A->>B: x\n```\n", id="mermaid-macro"),
    pytest.param(macro("code", "flowchart LR\n  a --> b", language="mermaid"),
                 "```mermaid\nflowchart LR\n  a --> b\n```\n", id="code-macro-in-mermaid"),
    pytest.param(macro("plantuml", ""), "[diagram: plantuml]\n", id="plantuml-without-source"),
    pytest.param(macro("drawio", diagramName="Network overview", simple="0", zoom="1", pageId="42", lbox="1",
                       revision="3"),
                 "[diagram: Network overview]\n", id="drawio"),
    pytest.param(macro("drawio", diagramName="net", diagramDisplayName="Network (v2)"),
                 "[diagram: Network (v2)]\n", id="drawio-display-name"),
    pytest.param(macro("gliffy", name="Org chart", pagePin="2"), "[diagram: Org chart]\n", id="gliffy"),
    pytest.param("<p>See " + macro("drawio", diagramName="flow") + " here.</p>", "See [diagram: flow] here.\n",
                 id="drawio-inline-in-text"),
    pytest.param(macro("drawio"), "[diagram: drawio]\n", id="drawio-without-name"),
    # math
    pytest.param(macro("mathblock", "E = mc^2\n\n\\int_0^1 x\\,dx"), "$$\nE = mc^2\n\\int_0^1 x\\,dx\n$$\n",
                 id="mathblock-blank-line-removed"),
    pytest.param("<p>Energy " + macro("mathinline", body="E = mc^2") + " holds.</p>", "Energy $E = mc^2$ holds.\n",
                 id="mathinline"),
    pytest.param(macro("latex", "\\frac{a}{b}"), "$$\n\\frac{a}{b}\n$$\n", id="latex"),
    pytest.param(macro("eq", "a^2 + b^2 = c^2"), "$$\na^2 + b^2 = c^2\n$$\n", id="eq"),
    pytest.param("<p>So " + macro("mathblock", "x^2") + " here.</p>", "So $x^2$ here.\n", id="mathblock-in-text"),
    pytest.param("<ul><li>Area:" + macro("mathblock", "A = \\pi r^2") + "</li></ul>",
                 "- Area:\n\n  $$\n  A = \\pi r^2\n  $$\n", id="mathblock-in-list"),
    pytest.param(macro("mathblock", ""), "\n", id="empty-math"),
]


@pytest.mark.parametrize(("storage", "expected"), PAIRS)
def test_diagram_or_math(storage: str, expected: str) -> None:
    result = convert_storage(storage, CTX)
    assert result.markdown == expected
    assert not result.unhandled_macros
    assert set(result.macro_handling.values()) == {"converted"}


@pytest.mark.parametrize("name", ["plantuml", "mermaid"])
def test_diagram_source_is_a_fence_with_the_exact_source(name: str) -> None:
    source = "  indented first\nA ]]> B `tick` ```\n\ttab\n"
    storage = macro(name, source.replace("]]>", "]]]]><![CDATA[>"))
    fences = [(t.info, t.content) for t in _MD.parse(convert_storage(storage, CTX).markdown) if t.type == "fence"]
    assert fences == [(name, source + "\n")]


def test_drawio_counts_as_handled_not_unhandled() -> None:
    result = convert_storage(macro("drawio", diagramName="x"), CTX)
    assert result.macros == {"drawio": 1}
    assert result.macro_handling == {"drawio": "converted"}
    assert result.unhandled_macros == {}
