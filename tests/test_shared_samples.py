"""Real storage-format pages written by others (../shared, read at test time, never copied here)."""

from __future__ import annotations

import re

import pytest

from km_assets.convert import convert_storage


def test_every_shared_storage_sample_converts_without_markup_leaking(shared_dir):
    samples = sorted((shared_dir / "confluence-samples" / "storage").glob("*.xhtml"))
    assert samples, "no storage samples found"
    for path in samples:
        body = path.read_text(encoding="utf-8-sig")
        out = convert_storage(body).markdown
        assert out.strip(), path.name
        leaked = re.findall(r"</?(?:ac|ri|at):[a-z-]+", out)
        assert not leaked, f"{path.name}: {leaked[:3]}"


def test_top_level_code_macro_bodies_survive_byte_for_byte(shared_dir):
    """Code macros inside lists, tables or other macros are issue 5's (indentation there)."""
    from bs4 import BeautifulSoup

    checked = 0
    for path in sorted((shared_dir / "confluence-samples" / "storage").glob("*.xhtml")):
        body = path.read_text(encoding="utf-8-sig")
        out = convert_storage(body).markdown
        soup = BeautifulSoup(body, "html.parser")
        for macro in soup.find_all("ac:structured-macro", attrs={"ac:name": "code"}):
            if macro.find_parent(["ac:structured-macro", "li", "td", "th", "blockquote"]):
                continue
            source = macro.find("ac:plain-text-body")
            if source is None:
                continue
            assert source.get_text().rstrip("\n") in out, path.name
            checked += 1
    if checked == 0:
        pytest.fail("no code macros found in the shared samples")
