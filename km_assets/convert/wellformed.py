"""Well-formed storage bodies parsed by lxml, and handed to BeautifulSoup exactly as html.parser would.

Python's HTML tokenizer was a fifth of a page's conversion time. Storage format is nearly always
well-formed XHTML, which libxml2 reads in C; what it gives is replayed into BeautifulSoup's own tree
construction (its Tag constructor, pushTag/popTag, `endData` for every string) in the order, and with
the names, attributes and text, that BeautifulSoup's html.parser builder gives it, so the tree
(whitespace, CDATA and comment strings, multi-valued `class`, void elements, links between nodes) is
the same. Only `sourceline`/`sourcepos` are left None on this path; nothing reads them.

Only bodies whose reading is unambiguous take this path; anything else (a DOCTYPE or declaration, a
processing instruction, `script`/`style`, carriage returns, an entity html.parser and XML would read
differently, a void element with content, a name html.parser would not take as a tag, any XML error)
is refused before a node is made, or undone, and parsed by html.parser as before. lxml never sees a
DTD (bodies with `<!` other than comments and CDATA are refused first) and may not load one, resolve
an entity or use the network.
"""

from __future__ import annotations

import html
import re
import threading
from typing import Any

from bs4.builder import HTMLParserTreeBuilder
from bs4.builder._htmlparser import BeautifulSoupHTMLParser
from bs4.dammit import EntitySubstitution
from bs4.element import CData, Comment, Tag
from lxml import etree

__all__ = ["StorageTreeBuilder", "xml_tree"]

# Undeclared prefixes (ac:, ri:, at: and any other) are declared on a wrapper element, each as its
# own namespace, so a name maps back to "prefix:local" as written.
_NS = "urn:km-assets:prefix:"
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_ELEMENT_PREFIX = re.compile(r"</?([A-Za-z_][\w.-]*):")  # a literal first character: quick to search
_ANY_PREFIX = re.compile(r"(?:</?|\s)([A-Za-z_][\w.-]*):")  # attributes too, when those were not enough
_USUAL_PREFIXES = frozenset({"ac", "ri", "at"})
# What may start something the two parsers could read differently: references and declarations.
_MARK = re.compile(r"&|<!")
_REFERENCE = re.compile(r"&(?:#([0-9]+)|#(x[0-9a-fA-F]+)|([A-Za-z][A-Za-z0-9]*));")
# Where html.parser ends a CDATA section: it also takes "] ]>".
_HTML_CDATA_END = re.compile(r"]\s*]\s*>")
# XML turns tabs and line breaks in attribute values into spaces; html.parser keeps them.
_SPACE_IN_ATTRIBUTE = re.compile(r"=\s*(?:\"[^\"<]*[\t\n][^\"<]*\"|'[^'<]*[\t\n][^'<]*')")
# The CDATA placeholder: a processing instruction, which no accepted body contains ("<?" is refused).
_CDATA_MARK = "<?km-cdata?>"

_LOCAL = threading.local()  # lxml parsers are not to be shared between threads


def _parser() -> etree.XMLParser:
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = etree.XMLParser(
            resolve_entities=False, load_dtd=False, dtd_validation=False, attribute_defaults=False,
            no_network=True, huge_tree=False, recover=False, remove_comments=False, remove_pis=False,
            remove_blank_text=False, collect_ids=False)
    return parser


def _safe_code_point(number: int) -> bool:
    # Characters XML takes and html.parser's readers (text and attribute) give unchanged.
    return (number in (0x9, 0xA) or 0x20 <= number <= 0x7E or 0xA0 <= number <= 0xD7FF
            or 0xE000 <= number <= 0x10FFFF) and not 0xFDD0 <= number <= 0xFDEF and number & 0xFFFE != 0xFFFE


_REPLACEMENTS: dict[str, str | None] = {}


def _replacement(match: re.Match) -> str | None:
    """A reference as decimal character references, when html.parser reads it the same in text and in
    attribute values (bs4's text reading, html.unescape's attribute reading); else None."""
    reference = match.group()
    known = _REPLACEMENTS.get(reference, "")
    if known != "":
        return known
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        text = EntitySubstitution.HTML_ENTITY_TO_CHARACTER.get(name)
    else:
        text, replaced, rest = BeautifulSoupHTMLParser._dereference_numeric_character_reference(
            decimal or hexadecimal)
        text = None if replaced or rest else text
    out = None
    if text and text == html.unescape(reference) and all(_safe_code_point(ord(c)) for c in text):
        out = "".join(f"&#{ord(c)};" for c in text)
    if len(_REPLACEMENTS) < 4096:
        _REPLACEMENTS[reference] = out
    return out


def _xml_text(text: str) -> tuple[str, list[str]] | None:
    """(the body as XML lxml reads the way html.parser does, the CDATA sections' text), or None."""
    if "\r" in text or "<?" in text or "xmlns" in text or _SPACE_IN_ATTRIBUTE.search(text):
        return None
    if "&" not in text and "<!" not in text:
        return text, []
    pieces: list[str] = []
    cdata: list[str] = []
    done = 0
    for mark in _MARK.finditer(text):
        start = mark.start()
        if start < done:
            continue  # inside a comment or CDATA section already taken
        if text.startswith("<![CDATA[", start):
            end = text.find("]]>", start + 9)
            loose = _HTML_CDATA_END.search(text, start + 3)
            if end < 0 or loose is None or loose.start() != end:
                return None
            pieces += (text[done:start], _CDATA_MARK)
            cdata.append(text[start + 9:end])
            done = end + 3
        elif text.startswith("<!--", start):
            # Kept for lxml; XML forbids "--" inside, so it ends where html.parser ends it.
            end = text.find("-->", start + 4)
            if end < 0:
                return None
            pieces.append(text[done:end + 3])
            done = end + 3
        elif mark.group() == "<!":
            return None  # DOCTYPE, entity declarations, other declarations
        else:
            reference = _REFERENCE.match(text, start)
            replacement = _replacement(reference) if reference is not None else None
            if replacement is None:
                return None
            pieces += (text[done:start], replacement)
            done = reference.end()
    pieces.append(text[done:])
    return "".join(pieces), cdata


def xml_tree(text: str) -> tuple[Any, list[str]] | None:
    """(lxml's wrapper element around the body, CDATA texts in order), or None when refused."""
    prepared = _xml_text(text)
    if prepared is None:
        return None
    xml, cdata = prepared
    root = _parse(xml, _USUAL_PREFIXES.union(_ELEMENT_PREFIX.findall(xml)))
    if root is None and _undeclared_prefix():  # e.g. ac:local-id on a plain element
        root = _parse(xml, set(_ANY_PREFIX.findall(xml)))
    return None if root is None else (root, cdata)


def _parse(xml: str, prefixes: set[str] | frozenset[str]) -> Any:
    declarations = "".join(f' xmlns:{p}="{_NS}{p}"' for p in prefixes if p.lower() not in ("xml", "xmlns"))
    try:
        return etree.fromstring(f"<km-root{declarations}>{xml}</km-root>", _parser())
    except (etree.XMLSyntaxError, ValueError):
        return None


def _undeclared_prefix() -> bool:
    return any("Namespace prefix" in error.message for error in _parser().error_log)


_NAMES: dict[str, str | None] = {}


def _name(clark: str) -> str:
    """"{urn:...:ac}Link" -> "ac:link": the name html.parser gives (lowercase, prefix kept)."""
    name = _NAMES.get(clark)
    if name is None:
        if clark.startswith("{"):
            uri, _, local = clark[1:].partition("}")
            prefix = uri[len(_NS):] if uri.startswith(_NS) else "xml" if clark.startswith(_XML_NS) else None
            if prefix is None:
                raise _Refused(clark)
            name = f"{prefix}:{local}".lower()
        else:
            name = clark.lower()
        if len(_NAMES) < 4096:
            _NAMES[clark] = name
    return name


class _Refused(Exception):
    """The tree holds something html.parser would read differently: parse with html.parser instead."""


# Elements html.parser reads differently from XML: their content is raw text.
_RAW_TEXT = frozenset({"script", "style"})


class StorageTreeBuilder(HTMLParserTreeBuilder):
    """html.parser's builder, fed from lxml when the body is well-formed and unambiguous."""

    # How deep elements nest, when lxml read the body (None when html.parser did): parse_storage needs
    # no flattening walk when it is within its limit.
    depth: int | None = None

    def feed(self, markup: Any, *args: Any, **kwargs: Any) -> None:
        self.depth = None
        tree = xml_tree(markup) if isinstance(markup, str) and not args and not kwargs else None
        if tree is not None:
            try:
                self.depth = self._replay(*tree)
                return
            except _Refused:
                self.soup.reset()  # drop what was built; html.parser starts again from nothing
        super().feed(markup, *args, **kwargs)

    def _replay(self, root: Any, cdata: list[str]) -> int:
        """Build the soup from lxml's tree; the deepest element's depth (1: a top-level element).

        Starting and ending an element do what soup.handle_starttag and soup.handle_endtag do, minus
        what cannot apply here: an end tag always closes the innermost element (XML nests strictly),
        so it pops one tag instead of searching the stack, and nothing filters tags (no parse_only).
        """
        soup = self.soup
        end_data, push, pop = soup.endData, soup.pushTag, soup.popTag
        tag_class = soup.element_classes.get(Tag, Tag)
        attribute_dict = self.attribute_dict_class
        void = self.empty_element_tags or ()
        comment, instruction = etree.Comment, etree.ProcessingInstruction
        strings = iter(cdata)
        if root.text:
            soup.current_data.append(root.text)
        # Depth-first without recursion: bodies may nest thousands deep.
        stack: list[tuple[Any, Any]] = [(iter(root), None)]
        deepest = 1
        while stack:
            node = next(stack[-1][0], None)
            if node is None:
                element = stack.pop()[1]
                if element is None:
                    break  # the wrapper: not part of the body
                if soup.current_data:
                    end_data()
                pop()
                if element.tail:
                    soup.current_data.append(element.tail)
                continue
            tag = node.tag
            if tag is comment:
                end_data()
                soup.current_data.append(node.text or "")
                end_data(Comment)
            elif tag is instruction:
                end_data()
                soup.current_data.append(next(strings))
                end_data(CData)
            else:
                name = _name(tag)
                if not "a" <= name[:1] <= "z" or name in _RAW_TEXT or (name in void and (len(node) or node.text)):
                    raise _Refused(name)
                attrs = attribute_dict()
                for key, value in node.items():
                    attrs[_name(key) if key[:1] == "{" else key.lower()] = value
                if soup.current_data:
                    end_data()
                recent = soup._most_recent_element
                element = tag_class(soup, self, name, None, None, attrs, soup.currentTag, recent)
                if recent is not None:
                    recent.next_element = element
                soup._most_recent_element = element
                push(element)
                if node.text:
                    soup.current_data.append(node.text)
                stack.append((iter(node), node))
                if len(stack) > deepest:
                    deepest = len(stack)
                continue  # its tail follows its end tag
            if node.tail:
                soup.current_data.append(node.tail)
        return deepest - 1
