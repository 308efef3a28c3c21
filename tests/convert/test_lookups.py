"""The converter's shortcuts around bs4's matcher find exactly what bs4's find/find_parent find.

StorageTag.find_parent (markdownify asks every element for find_parent("pre")) and nodes.child/children
compare names directly; that is only right while bs4 matches a plain name the same way on parsed storage
(no namespace prefix from the HTML parser). These tests fail if a bs4 upgrade changes that.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from bs4.element import Tag

from km_assets.convert.nodes import child, children
from km_assets.convert.parse import StorageTag, parse_storage

PAGE = """<h1>Title</h1><pre>a<b>b<i>c</i></b></pre>
<table><tbody><tr><th>k</th><td><p>v <ac:link><ri:page ri:content-title="T" /><ac:plain-text-link-body>
<![CDATA[x]]></ac:plain-text-link-body></ac:link></p></td></tr></tbody></table>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">py</ac:parameter>
<ac:parameter ac:name="title">t</ac:parameter><ac:plain-text-body><![CDATA[print(1)]]></ac:plain-text-body>
</ac:structured-macro><ac:adf-extension><ac:adf-node type="panel"><ac:adf-content><p>p</p></ac:adf-content>
</ac:adf-node><ac:adf-fallback><div><pre>q</pre></div></ac:adf-fallback></ac:adf-extension>"""

NAMES = ["pre", "td", "th", "p", "ac:link", "ri:page", "ac:parameter", "ac:plain-text-body", "ac:adf-node",
         "ac:adf-fallback", "ac:structured-macro", "nothing"]


def _elements(soup):
    return [el for el in soup.descendants if isinstance(el, Tag)]


def _ids(tags):
    return [id(tag) for tag in tags]  # Tag == compares markup; these must be the very same elements


def test_parsed_storage_is_made_of_storage_tags():
    soup, _ = parse_storage(PAGE)
    assert all(type(el) is StorageTag for el in _elements(soup))


def test_find_parent_by_name_finds_what_bs4_finds():
    soup, _ = parse_storage(PAGE)
    for el in _elements(soup):
        for name in [*NAMES, ["td", "th"], ("pre", "ac:adf-fallback")]:
            assert el.find_parent(name) is Tag.find_parent(el, name), (el.name, name)
        # Anything but a name still goes through bs4.
        assert el.find_parent("ac:adf-node", attrs={"type": "panel"}) is Tag.find_parent(
            el, "ac:adf-node", attrs={"type": "panel"})


def test_child_and_children_find_what_bs4_finds_among_children():
    for soup in (parse_storage(PAGE)[0], BeautifulSoup(PAGE, "html.parser")):
        for el in [soup, *_elements(soup)]:
            assert _ids(children(el)) == _ids(el.find_all(True, recursive=False))
            for name in NAMES:
                assert child(el, name) is el.find(name, recursive=False), (el.name, name)
                assert _ids(children(el, name)) == _ids(el.find_all(name, recursive=False)), (el.name, name)
            assert child(el, "ri:page", "ri:blog-post") is el.find(["ri:page", "ri:blog-post"], recursive=False)
