"""attachment_articles end to end against the sandbox: one download and one extraction for a file on
50 pages (request counters), nothing new on a second run, a new version fetched alone, a deleted
attachment gone after the next reconciliation, and merged mode."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import dagster as dg
import polars as pl
import pytest
from conftest import write_km_yaml

from km_assets.config import AttachmentSettings, load_config
from km_assets.confluence import ConfluenceClient, Deployment, list_attachments
from km_assets.confluence.attachments import download_attachments
from km_assets.confluence.client import ClientSettings
from km_assets.defs.build import build_definitions
from km_assets.defs.run import sync_spaces
from km_assets.extract import Extractor, Limits
from km_assets.km.attachment_articles import append_attachments, build_attachment_articles
from km_assets.sandbox import Sandbox, SandboxOptions

REST = "/rest/api/content/{id}/child/attachment/{att}/download"
MEDIA = "/media/file/{att}"
SERVLET = "/download/attachments/{id}/{filename}"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def handbook(extra: str = "") -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading("Travel handbook", level=1)
    doc.add_paragraph("Book trains for trips under four hours." + extra)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def downloads(sb: Sandbox) -> int:
    return sum(sb.counters.total(route) for route in (REST, MEDIA, SERVLET))


def fifty_pages(site) -> list[str]:
    """One handbook uploaded once, then on 49 more pages as copies of the same stored binary."""
    then = datetime(2025, 12, 1, tzinfo=UTC)  # before the sync's history cutoff
    pages = [site.create(space="OPS", title=f"Office {i:02d}", by="cokafor", at=then).id for i in range(50)]
    first = site.add_attachment(pages[0], filename="travel-handbook.docx", data=handbook(), media_type=DOCX,
                                by="cokafor", at=then)
    return [first.id, *(site.copy_attachment(first.id, page).id for page in pages[1:])]


def attachments_run(config, instance, space: str) -> dg.ExecuteInProcessResult:
    defs = build_definitions(config)
    keys = [dg.AssetKey(["demo", "raw_attachments"]), dg.AssetKey(["demo", "attachment_articles"])]
    return dg.materialize(list(defs.assets), selection=keys, partition_key=space, instance=instance,
                          resources=defs.resources)


def read(tmp_path, asset: str) -> pl.DataFrame:
    return pl.read_parquet(tmp_path / f"data/demo/{asset}/**/*.parquet", hive_partitioning=True)


def meta(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    event = next(e for e in result.get_asset_materialization_events()
                 if e.asset_key == dg.AssetKey(["demo", asset]))
    return {k: v.value for k, v in event.step_materialization_data.materialization.metadata.items()}


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_a_file_on_50_pages_is_downloaded_and_extracted_once_then_never_again(tmp_path, monkeypatch,
                                                                                fresh_sandbox, instance):
    sb, site = fresh_sandbox, fresh_sandbox.site
    copies = fifty_pages(site)
    monkeypatch.setenv("KM_TEST_TOKEN", sb.options.api_token)
    config = load_config(write_km_yaml(tmp_path, sb.url))
    sync_spaces(config, config.connection("demo"), ["OPS"], instance)  # its first sync lists and extracts
    synced = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(["demo", "attachment_articles"]), asset_partitions=["OPS"]),
        limit=1).records[0].asset_materialization.metadata
    # The handbook once, plus OPS's own rota CSV and error log (its PNG is skipped: no text).
    assert synced["extracted_now"].value == 3
    before = downloads(sb)
    first = attachments_run(config, instance, "OPS")
    assert downloads(sb) == before, "the sync already stored it: nothing fetched again"
    rows = read(tmp_path, "attachment_articles").filter(pl.col("filename") == "travel-handbook.docx")
    assert sorted(rows["attachment_id"]) == sorted(copies)
    assert set(rows["status"]) == {"extracted"} and rows["sha256"].n_unique() == 1
    assert all("Book trains for trips under four hours." in md for md in rows["markdown"])
    assert meta(first, "attachment_articles")["extracted_now"] == 0  # all by sha256 from the first sync
    # The sync's own download: one REST call and one media fetch for all 50 (the counters' full story).
    fetched = [e.path for e in sb.counters.events if "/media/file/" in e.path or e.path.endswith("/download")]
    assert len([p for p in fetched if any(c in p for c in copies)]) == 2

    second = attachments_run(config, instance, "OPS")
    assert downloads(sb) == before
    assert meta(second, "attachment_articles")["extracted_now"] == 0
    again = read(tmp_path, "attachment_articles")
    assert again.filter(pl.col("status") == "extracted")["reused"].all()  # policy skips are decided afresh

    # A new version of one copy is a new binary: fetched (REST + media) and extracted alone.
    site.add_attachment(site.attachments[copies[7]].container_id, filename="travel-handbook.docx",
                        data=handbook(" Trains are booked through the portal."), media_type=DOCX, by="cokafor")
    third = attachments_run(config, instance, "OPS")
    assert downloads(sb) - before == 2
    assert meta(third, "raw_attachments")["downloaded"] == 1
    rows = read(tmp_path, "attachment_articles")
    assert rows.filter(pl.col("attachment_id") == copies[7])["version"].to_list() == [2]

    # Deleted in Confluence: gone from both tables after the next run (the reconciliation's).
    site.remove_attachment(copies[3])
    attachments_run(config, instance, "OPS")
    assert copies[3] not in read(tmp_path, "raw_attachments")["attachment_id"].to_list()
    assert copies[3] not in read(tmp_path, "attachment_articles")["attachment_id"].to_list()


def test_data_center_has_no_file_identity_so_50_copies_download_50_times_but_extract_once(tmp_path):
    """No fileId on Data Center: equal bytes are only known after the download, by their sha256."""
    with Sandbox(options=SandboxOptions(flavor="datacenter")) as sb:
        copies = fifty_pages(sb.site)
        client = ConfluenceClient.basic(sb.url, *sb.basic_auth, deployment=Deployment("datacenter", sb.url),
                                        settings=ClientSettings(requests_per_second=1000, max_retries=1))
        containers = sorted({sb.site.attachments[c].container_id for c in copies})
        records = list(list_attachments(client, containers))
        before = downloads(sb)
        results = list(download_attachments(client, records, tmp_path, AttachmentSettings()))
        assert downloads(sb) - before == 50 and {r.status for r in results} == {"downloaded"}
    raw = pl.DataFrame([{**rec, "status": r.status, "path": r.path, "sha256": r.sha256}
                        for rec, r in zip(sorted(records, key=lambda x: x["attachment_id"]),
                                          sorted(results, key=lambda x: x.attachment_id), strict=True)])
    with Extractor(Limits()) as ex:
        seen: dict = {}

        def extract(att):
            reused = att["sha256"] in seen
            if not reused:
                seen[att["sha256"]] = ex.extract(tmp_path / att["path"], filename=att["filename"],
                                                 media_type=att["media_type"])
            return seen[att["sha256"]], reused

        rows = build_attachment_articles(raw, "OPS", extract)
        assert ex.converted == 1
    assert rows.height == 50 and set(rows["status"]) == {"extracted"}
    assert rows["markdown"][0].startswith("---\ntitle: travel-handbook.docx\nparent_article: OPS/")


def test_merged_mode_puts_the_text_under_the_parent_article(tmp_path, monkeypatch, fresh_sandbox, instance):
    sb = fresh_sandbox
    monkeypatch.setenv("KM_TEST_TOKEN", sb.options.api_token)
    config = load_config(write_km_yaml(tmp_path, sb.url, "    attachments: {mode: merged}\n"))
    sync_spaces(config, config.connection("demo"), ["OPS"], instance)
    attachments_run(config, instance, "OPS")
    rows = read(tmp_path, "attachment_articles")
    csv = rows.filter(pl.col("filename") == "oncall-rota.csv").row(0, named=True)
    assert csv["mode"] == "merged" and not csv["markdown"].startswith("---")
    assert csv["markdown"].startswith("| week | starts | primary | secondary |")
    current = read(tmp_path, "articles_current")
    merged = append_attachments(current, rows)
    page = merged.filter(pl.col("content_id") == csv["container_id"])["markdown"][0]
    assert "## Attachments\n\n### oncall-rota.csv" in page and "| week | starts | primary | secondary |" in page
    assert f"[stored copy]({csv['stored_path']})" in page
    untouched = current.filter(~pl.col("content_id").is_in(rows["container_id"].to_list()))
    assert untouched.equals(merged.filter(~pl.col("content_id").is_in(rows["container_id"].to_list())))


def test_separate_mode_links_both_ways(tmp_path):
    raw = pl.DataFrame([{"attachment_id": "att1", "container_id": "42", "filename": "a.txt", "media_type": "text/plain",
                         "file_size": 5, "version": 3, "status": "downloaded", "path": "42/att1/v3/a.txt",
                         "sha256": "0" * 64, "download_url": "https://wiki.example/download/attachments/42/a.txt"}])
    from km_assets.extract import Extraction

    rows = build_attachment_articles(raw, "ENG", lambda att: (Extraction("extracted", markdown="hello", kind="text"),
                                                               False))
    row = rows.row(0, named=True)
    assert (row["parent_path"], row["article_path"], row["stored_path"]) == (
        "ENG/42.md", "ENG/42/attachments/att1-v3.md", "attachment_files/42/att1/v3/a.txt")
    assert "parent_article: ENG/42.md\nstored_copy: attachment_files/42/att1/v3/a.txt\n" in row["markdown"]
    articles = pl.DataFrame({"content_id": ["42"], "markdown": ["---\ntitle: x\n---\n\nbody\n"]})
    page = append_attachments(articles, rows)["markdown"][0]
    assert page.endswith("## Attachments\n\n### a.txt\n\n[stored copy](attachment_files/42/att1/v3/a.txt) · "
                         "[on Confluence](https://wiki.example/download/attachments/42/a.txt) · "
                         "[text](ENG/42/attachments/att1-v3.md)\n")
