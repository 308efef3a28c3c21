"""The converter's own tree walk gives exactly what markdownify's `process_tag`/`process_text` give."""

from __future__ import annotations

import pytest
from markdownify import MarkdownConverter

from km_assets.convert import ConversionContext, convert_storage
from km_assets.convert.walk import WalkMixin, _join_collapsing_newlines
from km_assets.sandbox import load_demo_site
from km_assets.sandbox.synthetic import synthetic_site

EDGES = [
    "<p>  lead and trail  </p>  <p>\n\n</p>\n<div> <span> a </span> <em>b</em> </div>",
    "<ul>\n <li> one </li>\n <li>two<ul><li>nested</li></ul></li>\n</ul>",
    "<pre>  keep\n\n\n  it  </pre><p>x<br/>y</p><h7>odd heading</h7><h2>  t  </h2>",
    "<table><tr><td> a </td><td>\n</td></tr></table><blockquote>\n<p>q</p>\n</blockquote>",
    "<p>a<!-- c --> b\t\tc  d\n\n e</p><code>  x  </code><kbd>_k_</kbd>",
]


def _both(body: str, monkeypatch, tables: str = "auto") -> tuple[object, object]:
    def run():
        result = convert_storage(body, ConversionContext(tables=tables))
        return result.markdown, result.links, result.warnings, result.fidelity

    ours = run()
    with monkeypatch.context() as patch:
        patch.setattr(WalkMixin, "process_tag", MarkdownConverter.process_tag)
        patch.setattr(WalkMixin, "process_text", MarkdownConverter.process_text)
        theirs = run()
    return ours, theirs


@pytest.mark.parametrize("body", EDGES)
def test_whitespace_edges_convert_as_markdownify_walks_them(body, monkeypatch):
    ours, theirs = _both(body, monkeypatch)
    assert ours == theirs


def test_demo_and_synthetic_pages_convert_as_markdownify_walks_them(monkeypatch):
    bodies = [c.body for c in load_demo_site().content.values()]
    bodies += [c.body for c in list(synthetic_site(1, 60, seed=3).content.values())]
    for body in bodies:
        for tables in ("auto", "repeat"):
            ours, theirs = _both(body, monkeypatch, tables)
            assert ours == theirs, body[:200]


def test_shared_samples_convert_as_markdownify_walks_them(shared_dir, monkeypatch):
    for path in sorted((shared_dir / "confluence-samples" / "storage").glob("*.xhtml")):
        ours, theirs = _both(path.read_bytes(), monkeypatch, "html")
        assert ours == theirs, path.name


@pytest.mark.parametrize("strings, joined", [
    (["a", "b"], "ab"),
    (["a\n", "\nb"], "a\nb"),
    (["a\n\n\n", "\n\nb"], "a\n\nb"),
    (["a\n", "\n\n\n", "b"], "a\n\nb"),  # a string of newlines only is a leading run
    (["\n\na\n", "\nb\n\n"], "\n\na\nb\n\n"),
])
def test_newlines_between_strings_collapse_to_the_longer_run_at_most_two(strings, joined):
    assert _join_collapsing_newlines(strings) == joined
