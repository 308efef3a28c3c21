"""User mentions and the profile macros: `@Display Name` from the users the sync knows.

A user the sync cannot name keeps their id (or the link's own text), is recorded as an
"unresolved-mention" link and warned about once. Outputs are parsed with markdown-it-py: a mention is
text, never a link.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from km_assets.convert import ConversionContext, convert_storage

USERS = {"557058:aa11": "Alice Moreau", "8a80cb81": "Bob Ng", "jdoe": "John Doe"}
CTX = ConversionContext(site_url="https://acme.atlassian.net/wiki", space_key="ENG", page_id="42",
                        page_title="Home", users=USERS)

_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def parsed_text(markdown: str) -> str:
    """The text a CommonMark renderer shows, checking that no link was made."""
    tokens = [child for token in _MD.parse(markdown) for child in token.children or ()]
    assert not [t for t in tokens if t.type == "link_open"], markdown
    return "".join(t.content for t in tokens if t.type == "text")


def mention(kind: str, ident: str, body: str = "") -> str:
    return f'<ac:link><ri:user ri:{kind}="{ident}" />{body}</ac:link>'


CDATA_CAROL = "<ac:plain-text-link-body><![CDATA[Carol]]></ac:plain-text-link-body>"


PROFILE = '<ac:structured-macro ac:name="profile"><ac:parameter ac:name="user">{}</ac:parameter></ac:structured-macro>'

CASES = [
    ("Cloud account id", f"<p>Ask {mention('account-id', '557058:aa11')}.</p>", "Ask @Alice Moreau.\n",
     [("user:557058:aa11", "mention")]),
    ("Server user key", f"<p>{mention('userkey', '8a80cb81')} owns it</p>", "@Bob Ng owns it\n",
     [("user:8a80cb81", "mention")]),
    ("Server user name", f"<p>cc {mention('username', 'jdoe')}</p>", "cc @John Doe\n", [("user:jdoe", "mention")]),
    ("unknown user keeps the id", f"<p>cc {mention('account-id', '5b10ac8d')}</p>", "cc @5b10ac8d\n",
     [("user:5b10ac8d", "unresolved-mention")]),
    ("unknown user with a link body keeps the body",
     f"<p>cc {mention('userkey', 'ff80', CDATA_CAROL)}</p>",
     "cc Carol\n", [("user:ff80", "unresolved-mention")]),
    ("a known user's name wins over the link body",
     f"<p>{mention('username', 'jdoe', '<ac:link-body>jd</ac:link-body>')}</p>", "@John Doe\n",
     [("user:jdoe", "mention")]),
    ("bare user reference", '<p>by <ri:user ri:username="jdoe" /></p>', "by @John Doe\n", [("user:jdoe", "mention")]),
    ("mention in a table cell",
     f"<table><tbody><tr><th>Owner</th></tr><tr><td>{mention('userkey', '8a80cb81')}</td></tr></tbody></table>",
     "| Owner |\n| --- |\n| @Bob Ng |\n", [("user:8a80cb81", "mention")]),
    ("profile macro", PROFILE.format('<ri:user ri:account-id="557058:aa11" />'), "@Alice Moreau\n",
     [("user:557058:aa11", "mention")]),
    ("profile macro, older storage with a user name",
     '<ac:structured-macro ac:name="profile"><ac:parameter ac:name="user">jdoe</ac:parameter></ac:structured-macro>',
     "@John Doe\n", [("user:jdoe", "mention")]),
    ("profile picture macro of an unknown user",
     '<p>Lead: <ac:structured-macro ac:name="profile-picture"><ac:parameter ac:name="User">'
     '<ri:user ri:account-id="70121:zz" /></ac:parameter></ac:structured-macro></p>',
     "Lead: @70121:zz\n", [("user:70121:zz", "unresolved-mention")]),
]


@pytest.mark.parametrize(("body", "expected", "links"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_mentions(body: str, expected: str, links: list[tuple[str, str]]):
    result = convert_storage(body, CTX)
    assert result.markdown == expected
    assert [(link["target"], link["kind"]) for link in result.links] == links
    shown = parsed_text(result.markdown)  # also checks that no link was made
    if "|" not in expected:  # (a table's text comes cell by cell)
        assert shown == expected.strip()


def test_unresolved_users_are_counted_and_warned_once_each():
    body = "".join(f"<p>{mention(kind, ident)}</p>" for kind, ident in (
        ("account-id", "x1"), ("account-id", "x1"), ("userkey", "k2"), ("account-id", "557058:aa11")))
    result = convert_storage(body, CTX)
    assert result.markdown == "@x1\n\n@x1\n\n@k2\n\n@Alice Moreau\n"
    kinds = [link["kind"] for link in result.links]
    assert kinds.count("unresolved-mention") == 3 and kinds.count("mention") == 1
    assert result.warnings == ["user x1 is not known to the sync: the mention keeps the id",
                               "user k2 is not known to the sync: the mention keeps the id"]


def test_a_user_in_a_macro_parameter_is_recorded_once():
    result = convert_storage(PROFILE.format('<ri:user ri:userkey="8a80cb81" />'), CTX)
    assert result.links == [{"target": "user:8a80cb81", "kind": "mention"}]
