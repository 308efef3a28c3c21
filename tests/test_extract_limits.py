"""Hostile attachments give a reason row in bounded time and memory, never an exception: the
encrypted PDF, the 0-byte PDF, the zbsm zip bomb (as a .zip and disguised as a .docx), a corrupt
DOCX, a 200 MB file over the limit, a file the time limit stops and one the memory cap stops."""

from __future__ import annotations

import resource
import shutil
import time
from pathlib import Path

import pytest

from km_assets.config import AttachmentSettings, ConfigError
from km_assets.extract import Extractor, Limits, refusal, zip_problem

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def samples(shared_dir) -> Path:
    folder = shared_dir / "attachment-samples"
    if not folder.is_dir():
        pytest.skip(f"attachment samples not found at {folder}")
    return folder


@pytest.fixture(scope="module")
def extractor():
    with Extractor(Limits(time_limit_s=30)) as ex:
        yield ex


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(("name", "media", "status", "reason"), [
    ("libreoffice-writer-password.pdf", "application/pdf", "failed", "encrypted: PDFPasswordIncorrect"),
    ("empty.pdf", "application/pdf", "failed", "corrupt: an empty file"),
    ("zbsm.zip", "application/zip", "skipped", "archive (application/zip): archives are not unpacked"),
])
def test_hostile_sample_gives_a_reason_row(samples, extractor, name, media, status, reason):
    started = time.perf_counter()
    result = extractor.extract(samples / name, media_type=media)
    assert (result.status, result.markdown) == (status, None)
    assert result.reason.startswith(reason)
    # Answered by the converter, not by the time limit's kill (30 s): the reason says which. The first
    # call also starts the worker (~3 s), more on a loaded machine, so the bound is the limit itself.
    assert time.perf_counter() - started < 30


def test_zip_bomb_disguised_as_docx_is_refused_from_its_directory(samples, extractor, tmp_path):
    bomb = tmp_path / "quarterly-report.docx"
    shutil.copyfile(samples / "zbsm.zip", bomb)
    before, started = _peak_rss_mb(), time.perf_counter()
    converted = extractor.converted
    result = extractor.extract(bomb, media_type=DOCX)
    assert result.status == "failed"
    assert result.reason.startswith("zip bomb guard: 250 members claim 5461307620 bytes")
    assert extractor.converted == converted, "never handed to a converter"
    assert time.perf_counter() - started < 2 and _peak_rss_mb() - before < 50


def test_overlapping_members_are_caught_even_under_a_generous_total(samples):
    """The zbsm construction without the size claim giving it away: members share one stream."""
    problem = zip_problem(samples / "zbsm.zip", max_unpacked=10**12)
    assert problem is not None and "overlap" in problem


def test_corrupt_docx_gives_a_reason(extractor, tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    result = extractor.extract(broken, media_type=DOCX)
    assert result.status == "failed" and result.reason.startswith("corrupt")


def test_ole_container_under_a_docx_name_is_reported_as_encrypted(extractor, tmp_path):
    """Word saves a password-protected .docx as an OLE compound file, not a zip."""
    locked = tmp_path / "locked.docx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    result = extractor.extract(locked, media_type=DOCX)
    assert result.status == "failed"
    assert result.reason.startswith(("encrypted", "corrupt"))  # the zip guard may see it first: not a zip


def test_200_mb_file_over_the_limit_is_skipped_without_reading_it(extractor, tmp_path):
    huge = tmp_path / "scan.pdf"
    with open(huge, "wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 1024 * 1024)
    started, converted = time.perf_counter(), extractor.converted
    result = extractor.extract(huge, media_type="application/pdf")
    assert (result.status, result.reason) == ("skipped", f"{200 * 1024 * 1024} bytes, over attachments.max_bytes "
                                                         "(52428800)")
    assert extractor.converted == converted and time.perf_counter() - started < 1


def test_the_time_limit_kills_the_worker_and_a_fresh_one_carries_on(samples, tmp_path):
    with Extractor(Limits(time_limit_s=0.05)) as ex:
        slow = ex.extract(samples / "nics-background-checks-2015-11.pdf", media_type="application/pdf")
        assert slow.seconds < 1  # from handing the file over to the kill (the worker's start-up excluded)
        assert slow.status == "failed" and slow.reason.startswith("time limit: stopped after 0.05 s")
        assert slow.limited
        text = tmp_path / "notes.txt"
        text.write_text("still alive", "utf-8")
        assert ex.extract(text, media_type="text/plain").markdown == "still alive"
        assert ex.started == 2


def test_the_memory_cap_stops_a_file_that_needs_more(tmp_path):
    big = tmp_path / "export.csv"
    with open(big, "w", encoding="utf-8") as handle:  # about 18 MB that the CSV converter holds several times
        for i in range(400_000):
            handle.write(f"{i},alpha beta gamma,{i * 3},delta epsilon\n")
    with Extractor(Limits(memory_mb=64)) as ex:
        result = ex.extract(big, media_type="text/csv")
        assert result.status == "failed"
        assert result.reason == "memory limit: needed more than attachments.memory_mb (64 MB)"
        small = tmp_path / "small.csv"
        small.write_text("a,b\n1,2\n", "utf-8")
        assert ex.extract(small, media_type="text/csv").markdown.startswith("| a | b |")


@pytest.mark.parametrize(("filename", "media", "reason"), [
    ("demo.mp4", "video/mp4", "video (video/mp4): no text to extract"),
    ("call.m4a", "audio/mp4", "audio (audio/mp4): no text to extract"),
    ("diagram.png", "image/png", "image (image/png): no text to extract"),
    ("backup.tar.gz", "application/octet-stream", "archive (.gz): archives are not unpacked"),
    ("tool.exe", "application/x-msdownload", "no text extractor for application/x-msdownload (.exe)"),
])
def test_media_types_without_text_are_skipped_with_a_reason(filename, media, reason):
    assert refusal(filename, media, 10, max_bytes=100) == reason


def test_extract_media_types_narrows_what_is_extracted():
    assert refusal("a.pdf", "application/pdf", 10, max_bytes=100, allowed=["text/"]) == \
        "media type application/pdf is not in attachments.extract_media_types"
    assert refusal("a.csv", "text/csv", 10, max_bytes=100, allowed=["text/"]) is None


def test_extraction_settings_validate_naming_the_key(tmp_path):
    from km_assets.config import load_config

    path = tmp_path / "km.yaml"
    path.write_text("connections:\n  - name: x\n    url: https://x.example\n    auth: {pat_env: X}\n"
                    "    attachments: {time_limit_s: 0, mode: inline}\n", "utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert "connections.0.attachments.time_limit_s" in str(err.value)
    assert "connections.0.attachments.mode" in str(err.value)
    assert AttachmentSettings().mode == "separate" and AttachmentSettings().extract
