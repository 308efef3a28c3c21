"""Hostile storage bodies: each gives an article or a clear warning, in bounded time and memory."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from km_assets.convert import convert_storage

XXE = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY net SYSTEM "http://127.0.0.1:9/x">]>
<p>before &xxe; &net; after</p>"""

LAUGHS = ("<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
          + "".join(f"<!ENTITY lol{i} \"{('&lol' + str(i - 1) + ';') * 10 if i > 1 else '&lol;' * 10}\">"
                    for i in range(1, 10))
          + "]><p>&lol9;</p>")


def bounded(body, seconds: float = 10.0, megabytes: float = 400.0):
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = convert_storage(body)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"took {elapsed:.1f}s"
    assert peak < megabytes, f"peak {peak:.0f} MB"
    return result


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def test_xxe_reads_no_file_and_fetches_nothing():
    result = bounded(XXE)
    assert "root:" not in result.markdown
    assert "before" in result.markdown and "after" in result.markdown
    assert any("DOCTYPE" in w for w in result.warnings)


def test_billion_laughs_does_not_expand():
    result = bounded(LAUGHS, seconds=5, megabytes=50)
    assert result.markdown.count("lol") < 100


def test_ten_megabyte_page():
    paragraph = "<p>" + "Fleet controller notes with <strong>bold</strong> text. " * 20 + "</p>\n"
    body = paragraph * (10_000_000 // len(paragraph))
    # tracemalloc would slow this five-fold: bound the resident size instead.
    before, started = _rss_mb(), time.monotonic()
    result = convert_storage(body)
    assert time.monotonic() - started < 60
    assert _rss_mb() - before < 1500
    assert result.markdown.count("Fleet controller notes") == body.count("Fleet controller notes")


def test_five_thousand_deep_nesting():
    body = "<div>" * 5000 + "deep text" + "</div>" * 5000
    result = bounded(body)
    assert "deep text" in result.markdown
    assert any("nested deeper" in w for w in result.warnings)


def test_deep_lists_and_quotes():
    body = "<ul><li>" * 3000 + "bottom" + "</li></ul>" * 3000 + "<blockquote>" * 3000 + "q" + "</blockquote>" * 3000
    result = bounded(body)
    assert "bottom" in result.markdown and "q" in result.markdown


def test_invalid_utf8_is_replaced_with_a_warning():
    result = bounded(b"<p>caf\xe9 and \xff\xfe bytes</p>")
    assert "caf" in result.markdown and "bytes" in result.markdown
    assert any("UTF-8" in w for w in result.warnings)


@pytest.mark.parametrize("body", [
    "<p>unclosed <strong>bold <em>both",
    "<table><tr><td>cell without end",
    '<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[never closed',
    '<ac:link><ri:page ri:content-title="X"',
    "</p></div></table>",
    "<<<>>>&&&;",
])
def test_broken_markup_degrades_to_an_article(body):
    result = bounded(body)
    assert isinstance(result.markdown, str)
    assert "<ac:" not in result.markdown


def test_nul_characters():
    result = bounded("<p>a\x00b</p>")
    assert "ab" in result.markdown


@pytest.mark.parametrize("body", ["<p>before</p><![foo bar", "<p>x <![ z]> y <script>alert(1)</script></p>"])
def test_markup_the_parser_rejects_keeps_its_words_and_no_tag(body):
    # html.parser raises on these broken marked sections; the article keeps the text, without markup.
    result = bounded(body)
    assert not any(ch in result.markdown for ch in "<>"), result.markdown
    assert ("before" in result.markdown) if "before" in body else ("alert(1)" in result.markdown)
    assert any("could not be parsed" in w for w in result.warnings)
