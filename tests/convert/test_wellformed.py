"""Well-formed bodies go through lxml, and the tree is the one html.parser builds, node for node.

Every body here is parsed both ways and compared: names, attributes (multi-valued `class` included),
string classes (CData, Comment, NavigableString) and text, the links between nodes, and the serialised
tree. (Only `sourceline`/`sourcepos` differ: lxml's path leaves them None; nothing here reads them.)
"""

from __future__ import annotations

import warnings

import pytest
from bs4 import BeautifulSoup
from bs4.builder import HTMLParserTreeBuilder
from bs4.element import Tag

from km_assets.convert.parse import StorageTag, parse_storage
from km_assets.convert.wellformed import StorageTreeBuilder, xml_tree

KEEP = {"pre", "textarea", "ac:plain-text-body"}


def _tree(body: str, builder) -> tuple[list, list, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(body, builder=builder, element_classes={Tag: StorageTag})
    nodes = [soup, *soup.descendants]
    index = {id(node): i for i, node in enumerate(nodes)}
    described = []
    for node in nodes:
        if isinstance(node, Tag):
            described.append((type(node).__name__, node.name, node.prefix, repr(node.attrs), node.can_be_empty_element,
                              node.known_xml, node.interesting_string_types))
        else:
            described.append((type(node).__name__, str(node)))
    # The replay links nodes itself (next_element, siblings): every link must be html.parser's.
    links = [tuple(index.get(id(getattr(node, link))) for link in
                   ("parent", "next_element", "previous_element", "next_sibling", "previous_sibling"))
             for node in nodes]
    return described, links, str(soup)


def _same_tree(body: str) -> None:
    html_parser = _tree(body, HTMLParserTreeBuilder(preserve_whitespace_tags=KEEP))
    assert _tree(body, StorageTreeBuilder(preserve_whitespace_tags=KEEP)) == html_parser


FAST = [
    '<p>plain <strong>bold</strong> and <em>em</em></p>\n<p>second</p>',
    '<ac:structured-macro ac:name="code" ac:schema-version="1"><ac:parameter ac:name="language">py</ac:parameter>'
    '<ac:plain-text-body><![CDATA[if a < b and c > d:\n    x = "&nbsp;"\n\n]]></ac:plain-text-body></ac:structured-macro>',
    '<p>&nbsp;&mdash;&rdquo;&amp;&lt;&gt;&quot;&apos;&#160;&#xA0;&#128512;&NotEqualTilde;&amp;nbsp;</p>',
    '<p title="a &amp; b &nbsp; &#10; c" class="one  two one">x</p><td headers="h1 h2">y</td>',
    '<P CLASS="Up">Upper</P><Ac:Link><Ri:Page Ri:Content-Title="T"/></Ac:Link>',
    '<p>line<br/>break<br></br>again</p><hr/><img src="a.png"/>',
    '<p>a<!-- a comment & <b> -->b<!---->c</p>',
    '<ac:plain-text-body><![CDATA[   ]]></ac:plain-text-body><p><![CDATA[]]></p><p><![CDATA[ ]]></p>',
    '<p><![CDATA[a]]]]><![CDATA[>b]]></p>',
    '   \n  <p>  </p>\n\n<pre>  keep\n\n  this  </pre>\t',
    '<table><tbody><tr><th>h</th></tr><tr><td><p>c</p></td></tr></tbody></table>',
    '<p>é ü 한국어 😀 \u2028 \ufeff</p><ri:user ri:account-id="1"/><at:var at:name="x"/>',
    '<ac:task-list><ac:task><ac:task-status>complete</ac:task-status>'
    '<ac:task-body>done</ac:task-body></ac:task></ac:task-list>',
]

# html.parser reads each of these differently from XML (or XML refuses them): they go to html.parser.
REFUSED = [
    '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><p>&x;</p>',
    '<?php x ?><p>pi</p>',
    '<p>a\r\nb</p>',
    '<p title="a\nb">x</p>',
    '<p>&bogus; &copy</p>',
    '<p>&#150; &#0; &#65535;</p>',
    '<p><![CDATA[a] ]>b]]></p>',
    '<p xmlns:ac="urn:x"><ac:link>x</ac:link></p>',
    '<p>unclosed',
    '<p>x</P>',
    '<p a="1" a="2">dup</p>',
    '<p checked>bare attribute</p>',
]

REPLAYED_BY_HTML_PARSER = [  # XML takes them, but html.parser nests them differently
    '<br>text inside a void element</br>',
    '<p><script>if (a &lt; b) {}</script></p>',
    '<style>p{}</style>',
    '<_x>underscore</_x>',
]


@pytest.mark.parametrize("body", FAST)
def test_well_formed_bodies_take_lxml_and_give_the_same_tree(body):
    assert xml_tree(body) is not None
    _same_tree(body)


@pytest.mark.parametrize("body", REFUSED)
def test_ambiguous_bodies_are_refused_before_lxml_builds_anything(body):
    assert xml_tree(body) is None
    _same_tree(body)


@pytest.mark.parametrize("body", REPLAYED_BY_HTML_PARSER)
def test_bodies_refused_while_replaying_start_again_in_html_parser(body):
    assert xml_tree(body) is not None
    _same_tree(body)


def test_entity_declarations_never_reach_lxml():
    laughs = '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><p>&b;</p>'
    soup, problems = parse_storage(laughs)
    assert "aaaa" not in soup.get_text()
    assert any("DOCTYPE" in p for p in problems)


@pytest.mark.parametrize("body", [
    "<div>" * 120 + "at the limit" + "</div>" * 120,
    "<div>" * 121 + "one past" + "</div>" * 121,
    "<ul><li>" * 100 + "deep list" + "</li></ul>" * 100,
    '<p>a<!-- c --><![CDATA[d]]></p>',
])
def test_parse_storage_gives_the_same_soup_and_warnings_without_lxml(body, monkeypatch):
    soup, problems = parse_storage(body)
    fast = (str(soup), problems)
    monkeypatch.setattr("km_assets.convert.wellformed.xml_tree", lambda text: None)
    soup, problems = parse_storage(body)
    assert fast == (str(soup), problems)
