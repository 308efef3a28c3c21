"""Attachment downloads against real sandboxes over HTTP (Cloud's 302 to the media host, Data Center's
servlet link), plus httpx.MockTransport for what a sandbox cannot show: a cross-origin media host, and a
body without Content-Length that outgrows its declared size."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import tracemalloc
from pathlib import Path

import httpx
import pytest

from km_assets.config import AttachmentSettings
from km_assets.confluence import (
    AuthenticationError,
    ConfluenceClient,
    Deployment,
    PermissionDeniedError,
    list_attachments,
)
from km_assets.confluence.attachments import (
    ALREADY_STORED,
    SIDECAR,
    DownloadResult,
    download_attachment,
    download_attachments,
    download_request,
    safe_filename,
)
from km_assets.confluence.client import ClientSettings
from km_assets.sandbox import Sandbox, SandboxOptions, load_demo_site

REST_DOWNLOAD = "/rest/api/content/{id}/child/attachment/{att}/download"
MEDIA = "/media/file/{att}"
SERVLET = "/download/attachments/{id}/{filename}"
FAST = ClientSettings(requests_per_second=1000, max_retries=1, backoff_base=0.01)
HOSTILE = ["../../etc/passwd", "/abs/path.txt", "a\x00b.txt", "CON.txt", "x" * 300 + ".pdf", "....", "..",
           "..\\..\\boot.ini", "é" * 150 + ".txt", "nul", "evil\u202egnp.exe", SIDECAR]


def client_for(sb: Sandbox, auth: tuple[str, str] | None = None) -> ConfluenceClient:
    return ConfluenceClient.basic(sb.url, *(auth or sb.basic_auth), settings=FAST,
                                  deployment=Deployment(sb.options.flavor, sb.url))


def records_of(sb: Sandbox, client: ConfluenceClient) -> list[dict]:
    return list(list_attachments(client, sorted({a.container_id for a in sb.site.attachments.values()})))


def downloads(sb: Sandbox) -> int:
    return sum(sb.counters.total(route) for route in (REST_DOWNLOAD, MEDIA, SERVLET))


def assert_inside(root: Path, result: DownloadResult) -> Path:
    assert result.path is not None
    path = root / result.path
    assert path.resolve().is_relative_to(root.resolve())
    return path


@pytest.fixture(scope="module", params=["cloud", "datacenter"])
def demo(request):
    with Sandbox(options=SandboxOptions(flavor=request.param)) as sb:
        yield sb


def test_every_attachment_downloads_once_via_the_flavors_path(demo, tmp_path):
    client = client_for(demo)
    records = records_of(demo, client)
    assert len(records) == len(demo.site.attachments)
    before = demo.counters.snapshot()
    results = list(download_attachments(client, records, tmp_path, AttachmentSettings()))
    assert {r.status for r in results} == {"downloaded"}
    for result in results:
        att = demo.site.attachments[result.attachment_id]
        stored = assert_inside(tmp_path, result)
        assert stored.read_bytes() == att.data and result.bytes == att.size
        assert result.sha256 == hashlib.sha256(att.data).hexdigest()
        assert result.path == f"{att.container_id}/{att.id}/v{att.version}/{att.filename}"
        assert json.loads(stored.with_name(SIDECAR).read_text())["sha256"] == result.sha256
    n = len(records)
    delta = {route: demo.counters.total(route) - sum(before.get(route, {}).values())
             for route in (REST_DOWNLOAD, MEDIA, SERVLET)}
    if demo.options.cloud:  # REST download answered 302, the media route served the bytes
        assert delta == {REST_DOWNLOAD: n, MEDIA: n, SERVLET: 0}
        assert demo.counters.total(REST_DOWNLOAD, 302) >= n and demo.counters.total(MEDIA, 200) >= n
    else:
        assert delta == {REST_DOWNLOAD: 0, MEDIA: 0, SERVLET: n}
    assert not list(tmp_path.rglob("*.part"))

    requests = downloads(demo)
    again = list(download_attachments(client, records, tmp_path, AttachmentSettings()))
    assert downloads(demo) == requests  # nothing fetched a second time
    assert {(r.status, r.reason) for r in again} == {("skipped", ALREADY_STORED)}
    assert {r.sha256 for r in again} == {r.sha256 for r in results}


def test_a_tampered_file_is_downloaded_again(demo, tmp_path):
    client = client_for(demo)
    record = records_of(demo, client)[0]
    first = download_attachment(client, record, tmp_path, AttachmentSettings())
    (tmp_path / first.path).write_bytes(b"corrupted")
    second = download_attachment(client, record, tmp_path, AttachmentSettings())
    assert second.status == "downloaded" and second.sha256 == first.sha256


def test_size_limit_skips_before_downloading_when_declared(demo, tmp_path):
    client = client_for(demo)
    records = records_of(demo, client)
    requests = downloads(demo)
    results = {r.attachment_id: r for r in download_attachments(client, records, tmp_path,
                                                                 AttachmentSettings(max_bytes=200))}
    small = {a.id for a in demo.site.attachments.values() if a.size <= 200}
    big = set(demo.site.attachments) - small
    assert small and big
    assert {i for i, r in results.items() if r.status == "downloaded"} == small
    for att_id in big:
        assert results[att_id].status == "skipped" and "exceeds attachments.max_bytes (200)" in results[att_id].reason
    per_download = 2 if demo.options.cloud else 1
    assert downloads(demo) - requests == per_download * len(small)  # the big ones were never asked for


def test_media_type_filters_and_video_skip_give_reasons(demo, tmp_path):
    client = client_for(demo)
    records = records_of(demo, client)
    video = {**records[0], "attachment_id": "att-video", "media_type": "video/mp4", "filename": "demo.mp4"}
    audio = {**records[0], "attachment_id": "att-audio", "media_type": "audio/mpeg; rate=44100"}
    requests = downloads(demo)
    results = {r.attachment_id: r for r in download_attachments(
        client, [*records, video, audio], tmp_path, AttachmentSettings(media_types=["image/", "video/mp4"]))}
    assert results["att-video"].reason == "media type video/mp4 is skipped (attachments.skip_media_types: video/)"
    assert "audio/mpeg is skipped" in results["att-audio"].reason
    for record in records:
        result = results[record["attachment_id"]]
        if record["media_type"].startswith("image/"):
            assert result.status == "downloaded"
        else:
            assert result.status == "skipped"
            assert result.reason == f"media type {record['media_type']} is not in attachments.media_types"
    images = sum(r["media_type"].startswith("image/") for r in records)
    assert downloads(demo) - requests == (2 if demo.options.cloud else 1) * images
    off = download_attachment(client, records[0], tmp_path / "off", AttachmentSettings(download=False))
    assert off.status == "skipped" and "downloads are off" in off.reason


def test_one_missing_attachment_is_a_row_and_wrong_credentials_propagate(demo, tmp_path):
    client = client_for(demo)
    records = records_of(demo, client)
    gone = {**records[0], "attachment_id": "att404404", "download_path": "/download/attachments/65539/gone.txt"}
    results = {r.attachment_id: r for r in download_attachments(client, [gone, *records], tmp_path,
                                                                 AttachmentSettings())}
    assert results["att404404"].status == "failed" and "HTTP 404" in results["att404404"].reason
    assert sum(r.status == "downloaded" for r in results.values()) == len(records)
    bad = client_for(demo, (demo.login, "wrong-token"))
    with pytest.raises(AuthenticationError):
        list(download_attachments(bad, records, tmp_path / "bad", AttachmentSettings()))
    assert "wrong-token" not in json.dumps(bad.events.rows(), default=str)


def test_hostile_file_names_stay_inside_root(demo, tmp_path):
    site = load_demo_site()
    added = [site.add_attachment("65539", filename=name, data=f"payload {i}".encode(), media_type="text/plain",
                                 by="amoreau") for i, name in enumerate(HOSTILE)]
    root = tmp_path / "root"
    with Sandbox(site=site, options=SandboxOptions(flavor=demo.options.flavor)) as sb:
        client = client_for(sb)
        records = [r for r in list_attachments(client, ["65539"]) if r["attachment_id"] in {a.id for a in added}]
        assert len(records) == len(added)
        results = list(download_attachments(client, records, root, AttachmentSettings()))
    # No file name steered a request anywhere but the listing and the download routes.
    allowed = {"/rest/api/content/{id}/child/attachment", REST_DOWNLOAD, MEDIA, SERVLET}
    strays = [r for r in sb.counters.snapshot() if r not in allowed]
    # DC: an encoded slash in a name misses the servlet route (as Tomcat refuses it) but stays beneath it.
    assert all(r.startswith("/download/attachments/65539/") for r in strays) and (strays == [] or not sb.options.cloud)
    assert [p.name for p in tmp_path.iterdir()] == ["root"]  # nothing written beside root
    for result in results:
        if sb.options.cloud or result.status == "downloaded":  # DC's servlet 404s names with slashes
            assert result.status == "downloaded", result
            stored = assert_inside(root, result)
            assert stored.read_bytes() == site.attachments[result.attachment_id].data
            assert len(stored.name.encode()) <= 200 and stored.parent.parent.parent.parent == root
    names = {site.attachments[r.attachment_id].filename: Path(r.path or "").name for r in results}
    if sb.options.cloud:
        assert names["../../etc/passwd"] == "passwd" and names["/abs/path.txt"] == "path.txt"
        assert names["...."] == added[HOSTILE.index("....")].id
        assert names[SIDECAR] == "_" + SIDECAR
    assert names["a\x00b.txt"] == "ab.txt" and names["CON.txt"] == "_CON.txt"
    assert names["x" * 300 + ".pdf"] == "x" * 196 + ".pdf"


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"), ("/abs/path.txt", "path.txt"), ("C:\\Users\\x\\a.doc", "a.doc"),
    ("a\x00b\x1f.txt", "ab.txt"), ("CON.txt", "_CON.txt"), ("lpt1", "_lpt1"), ("com¹.log", "_com¹.log"),
    ("report. . ", "report"), ("...", "att1"), ("", "att1"), (None, "att1"), ("a:b?.txt", "a_b_.txt"),
    ("x" * 300 + ".tar", "x" * 196 + ".tar"), ("é" * 150 + ".txt", "é" * 98 + ".txt"),
    ("y" * 250, "y" * 200), ("evil\u202egnp.exe", "evilgnp.exe"), (".hidden", ".hidden"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name, fallback="att1") == expected
    assert len(safe_filename(name, fallback="att1").encode()) <= 200


def test_download_route_by_link_shape_when_the_deployment_is_unknown():
    record = {"attachment_id": "att5", "container_id": "7", "filename": "r.pdf", "version": 2}
    dc = ConfluenceClient.basic("https://wiki.acme.test/confluence", "u", "p")
    cloud_link = {**record, "download_path": "/rest/api/content/7/child/attachment/att5/download"}
    assert download_request(dc, cloud_link) == ("/rest/api/content/7/child/attachment/att5/download",
                                                {"version": 2})
    servlet = {**record, "download_path": "/download/attachments/7/r.pdf?version=2&api=v2"}
    assert download_request(dc, servlet) == ("/download/attachments/7/r.pdf?version=2&api=v2", None)
    elsewhere = {**servlet, "download_path": "https://evil.test/download/attachments/7/r.pdf"}
    steered = {**servlet, "download_path": "/download/attachments/7/../../../rest/api/user/current"}
    for rebuilt in (elsewhere, steered):  # our credentials go to our base URL's servlet path only
        assert download_request(dc, rebuilt) == ("/download/attachments/7/r.pdf", {"version": 2, "api": "v2"})


# -- what a sandbox cannot show ---------------------------------------------------------------------
def test_credentials_are_not_sent_to_a_cross_origin_media_host(tmp_path):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "acme.atlassian.net":
            att = request.url.path.split("/")[-2]
            return httpx.Response(302, headers={
                "location": f"https://api.media.atlassian.com/file/{att}/binary?token=media-secret&dl=true"})
        if "gone" in request.url.path:
            return httpx.Response(404, json={"message": "file not found"})
        return httpx.Response(200, content=b"hello media")

    client = ConfluenceClient.basic("https://acme.atlassian.net/wiki", "me@acme.test", "api-secret",
                                    transport=httpx.MockTransport(handler), settings=FAST)  # kind from the URL
    record = {"attachment_id": "att1", "container_id": "42", "filename": "a.txt", "media_type": "text/plain",
              "file_size": 11, "version": 3, "download_path": "/download/attachments/42/a.txt"}
    result = download_attachment(client, record, tmp_path, AttachmentSettings())
    assert result.status == "downloaded" and (tmp_path / result.path).read_bytes() == b"hello media"
    confluence, media = seen
    assert confluence.url.path == "/wiki/rest/api/content/42/child/attachment/att1/download"
    assert confluence.url.params["version"] == "3" and confluence.headers["authorization"].startswith("Basic ")
    assert media.url.host == "api.media.atlassian.com" and "authorization" not in media.headers

    failed = download_attachment(client, {**record, "attachment_id": "gone"}, tmp_path, AttachmentSettings())
    assert failed.status == "failed" and "404" in failed.reason
    logged = json.dumps([failed.reason, client.events.rows()], default=str)
    assert "media-secret" not in logged and "api-secret" not in logged


def test_a_body_larger_than_declared_is_aborted_mid_stream(tmp_path):
    sent: list[int] = []

    def body():
        for _ in range(40):  # 40 x 64 KiB, no Content-Length: the limit is found while streaming
            sent.append(1)
            yield b"z" * 65536

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body())

    client = ConfluenceClient.basic("https://dc.acme.test", "bot", "pw", transport=httpx.MockTransport(handler),
                                    settings=FAST, deployment=Deployment("datacenter", "https://dc.acme.test"))
    record = {"attachment_id": "att7", "container_id": "9", "filename": "big.bin", "media_type": "application/zip",
              "file_size": 1000, "version": 1, "download_path": "/download/attachments/9/big.bin?version=1&api=v2"}
    result = download_attachment(client, record, tmp_path, AttachmentSettings(max_bytes=300_000))
    assert result.status == "skipped" and "over attachments.max_bytes (300000)" in result.reason
    assert 1 < len(sent) < 40  # some of it was written, then the stream was cut
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # the partial file is gone


def test_a_size_that_grew_after_listing_is_refused_by_content_length(tmp_path):
    site = load_demo_site()
    att = site.add_attachment("65539", filename="grows.bin", data=b"small", media_type="application/octet-stream",
                              by="amoreau")
    with Sandbox(site=site, options=SandboxOptions(flavor="cloud")) as sb:
        client = client_for(sb)
        record = next(r for r in list_attachments(client, ["65539"]) if r["attachment_id"] == att.id)
        att.data = b"B" * 500_000  # the listing said 5 bytes
        result = download_attachment(client, record, tmp_path, AttachmentSettings(max_bytes=100_000))
        assert sb.counters.total(MEDIA) == 1
    assert result.status == "skipped" and "the listing declared 5" in result.reason
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


_SERVE_BIG = """
import json, random, sys
from km_assets.sandbox import Sandbox, SandboxOptions, load_demo_site
site = load_demo_site()
att = site.add_attachment("65539", filename="big.bin", data=random.Random(30).randbytes(30 * 2**20),
                          media_type="application/octet-stream", by="amoreau")
with Sandbox(site=site, options=SandboxOptions(flavor="cloud")) as sb:
    print(json.dumps({"url": sb.url, "auth": sb.basic_auth, "id": att.id}), flush=True)
    sys.stdin.read()
"""


def test_a_30_mb_attachment_streams_with_small_memory(tmp_path):
    # The sandbox runs in another process: in this one its 30 MB send buffer would be traced too.
    expected = hashlib.sha256(random.Random(30).randbytes(30 * 2**20)).hexdigest()
    server = subprocess.Popen([sys.executable, "-c", _SERVE_BIG], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        info = json.loads(server.stdout.readline())
        client = ConfluenceClient.basic(info["url"], *info["auth"], settings=FAST,
                                        deployment=Deployment("cloud", info["url"]))
        record = next(r for r in list_attachments(client, ["65539"]) if r["attachment_id"] == info["id"])
        tracemalloc.start()
        try:
            result = download_attachment(client, record, tmp_path, AttachmentSettings())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        server.stdin.close()
        server.wait(10)
    assert result.status == "downloaded" and result.bytes == 30 * 2**20 and result.sha256 == expected
    assert peak < 2 * 2**20, f"peak traced memory {peak} bytes for a 30 MiB file"


def test_403_propagates_until_a_download_succeeded_and_media_host_refusals_are_rows(tmp_path):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "media.acme.test":
            return httpx.Response(403 if "expired" in request.url.path else 200, content=b"data")
        att = request.url.path.split("/")[-2]
        if att == "locked":
            return httpx.Response(403, json={"message": "not permitted"})
        return httpx.Response(302, headers={"location": f"https://media.acme.test/file/{att}?token=t0k"})

    client = ConfluenceClient.basic("https://acme.atlassian.net/wiki", "me@acme.test", "api-secret",
                                    transport=httpx.MockTransport(handler),
                                    settings=ClientSettings(requests_per_second=1000, max_concurrency=1))
    record = {"container_id": "42", "filename": "a.txt", "media_type": "text/plain", "version": 1}
    ok, locked, expired = ({**record, "attachment_id": a} for a in ("ok", "locked", "expired"))
    with pytest.raises(PermissionDeniedError):  # the first answer is a 403: the token, not the item
        list(download_attachments(client, [locked, ok], tmp_path, AttachmentSettings()))
    results = {r.attachment_id: r for r in download_attachments(client, [ok, locked, expired], tmp_path / "2",
                                                                 AttachmentSettings())}
    assert results["ok"].status == "downloaded"
    assert results["locked"].status == "failed" and "403" in results["locked"].reason
    assert results["expired"].reason == "HTTP 403 from the media host" and "t0k" not in str(client.events.rows())
