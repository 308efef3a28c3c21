"""Every real sample in ../shared/attachment-samples extracts to Markdown holding its known content
(PROVENANCE.md's "Known content"), through the worker process the pipeline uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from km_assets.extract import Extractor, Limits, kind_of

MEDIA = {".pdf": "application/pdf",
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".csv": "text/csv", ".html": "text/html", ".md": "text/markdown", ".zip": "application/zip"}

KNOWN = {
    "multilang.pdf": ["Привет, мир", "你好世界", "こんにちは世界"],
    "pdflatex-outline.pdf": ["Hello, here is some text without a meaning.", "Huardest gefburn", "9 Baz"],
    "nics-background-checks-2015-11.pdf": ["NICS Firearm Background Checks", "November - 2015", "Pennsylvania"],
    "word365_structure.pdf": ["Liste numérotée", "En-tête 1", "Alouette"],
    "par-hyperlinks.docx": ["No hyperlinks", "[awesome hyperlink](http://yahoo.com/)",
                            "[second one](http://python.org/)"],
    "tbl-cell-access.docx": ["| 4 | 5 | 6 |", "| 7 | 8 | 9 |"],
    "blk-paras-and-tables.docx": ["Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
                                  "Donec semper facilisis metus finibus malesuada.", "Text before"],
    "tbl-cell.pptx": ["unladen swallows", "merged cell", "vert anchor is inherited"],
    "shp-access-chart.pptx": ["| Category 1 | 4.3 | 2.4 | 2.0 |", "Series 3"],
    "issues.xlsx": ["## spc_chrs", "àâéêèçöïî«»", "aaa ' aaa"],
    "any_sheets.xlsx": ["This workbook contains 4 sheets: Visible, Hidden, VeryHidden and Chart", "## VeryHidden"],
    "example-utf8.csv": ["Cardinal Slant-D® Ring Binder, Heavy Gauge Vinyl", "Muhammed MacIntyre",
                         "Storage & Organization"],
    "example-non-utf8.csv": ["製品カテゴリ", "ヌナブット準州", "モハメド・マッキンタイア"],
    "example-utf8.html": ["Instead of drinking water from the cat bowl", "Chase the red dot", "“owners”"],
    "tables.md": ["The Tables extension adds the ability to create tables in Markdown documents.",
                  "PHP Markdown Extra"],
    # Hostile, yet recoverable: the damaged stream and the broken xref still give their text.
    "zen_of_python_corrupted.pdf": ["zen_of_python.txt", "Beautiful is better than ugly."],
    "issue-297.pdf": ["test example"],
}


@pytest.fixture(scope="module")
def samples(shared_dir) -> Path:
    folder = shared_dir / "attachment-samples"
    if not folder.is_dir():
        pytest.skip(f"attachment samples not found at {folder}")
    return folder


@pytest.fixture(scope="module")
def extractor():
    with Extractor(Limits(time_limit_s=60)) as ex:
        yield ex


def test_every_sample_file_is_covered_here(samples):
    files = {p.name for p in samples.iterdir() if p.suffix in MEDIA and p.name != "PROVENANCE.md"}
    hostile = {"libreoffice-writer-password.pdf", "empty.pdf", "zbsm.zip"}
    assert files == set(KNOWN) | hostile


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_sample_extracts_to_markdown_with_its_known_text(samples, extractor, name):
    path = samples / name
    result = extractor.extract(path, filename=name, media_type=MEDIA[path.suffix])
    assert (result.status, result.reason) == ("extracted", None)
    assert result.kind == kind_of(name, MEDIA[path.suffix])
    for phrase in KNOWN[name]:
        assert phrase in result.markdown, phrase


def test_a_generic_media_type_is_decided_by_the_file_name(samples, extractor):
    result = extractor.extract(samples / "par-hyperlinks.docx", media_type="application/octet-stream")
    assert result.kind == "docx"
    assert "[second one](http://python.org/)" in result.markdown


def test_the_tables_docx_comes_out_as_markdown_tables(samples, extractor):
    """Not only the words: the cells of a table stay a GFM table (rows with pipes and a separator)."""
    markdown = extractor.extract(samples / "tbl-cell-access.docx", media_type=MEDIA[".docx"]).markdown
    assert "| --- |" in markdown
