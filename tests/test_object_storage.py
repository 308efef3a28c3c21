"""storage.root on object storage (issue 12), end to end against a real S3-compatible server.

moto runs in server mode as a subprocess on 127.0.0.1; credentials and the endpoint reach s3fs, polars and
DuckDB through the AWS_* environment only (never km.yaml). The demo connection is synced once into a local
folder and once into s3://<bucket>/km, and what comes back from the bucket (polars, DuckDB, the project's
own readers, `km sync`) must equal what the local sync wrote.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import dagster as dg
import httpx
import polars as pl
import pytest

from km_assets.config import AttachmentSettings, load_config
from km_assets.confluence import ConfluenceClient, Deployment, list_attachments
from km_assets.confluence.attachments import (
    ALREADY_STORED,
    SIDECAR,
    ObjectStore,
    UnsafePathError,
    download_attachments,
    file_store,
    identity,
)
from km_assets.confluence.client import ClientSettings
from km_assets.defs.run import sync_spaces
from km_assets.defs.storage import read_ids, read_space
from km_assets.km.current import SNAPSHOT
from km_assets.km.parquet_files import STAGING, StorageWriteError, root_path, write_parquet_atomically
from km_assets.sandbox import Sandbox, SandboxOptions, load_demo_site

pytestmark = pytest.mark.slow

MOTO = str(Path(sys.executable).with_name("moto_server"))
READY_TIMEOUT_S = 30.0
HOSTILE = ["../../etc/passwd", "/abs/path.txt", "a\x00b.txt", "CON.txt", "x" * 300 + ".pdf", "....", "..",
           "..\\..\\boot.ini", "é" * 150 + ".txt", "evil\u202egnp.exe", SIDECAR]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """Stop the server by its own pid: terminate, wait, kill if it does not go."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _start_moto() -> tuple[subprocess.Popen, str]:
    """moto_server on a free port of 127.0.0.1, ready when its API answers (polled, with a deadline). A port
    taken between the probe and the bind makes the server exit: then another port is tried."""
    for _ in range(3):
        port = _free_port()
        process = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{endpoint}/moto-api/", timeout=2).status_code == 200:
                    return process, endpoint
            except httpx.TransportError:
                pass  # not listening yet: poll again until the deadline
            time.sleep(0.1)
        _stop(process)
    raise RuntimeError(f"moto_server did not answer on 127.0.0.1 within {READY_TIMEOUT_S}s (three ports tried)")


@pytest.fixture(scope="module")
def moto_endpoint(request) -> str:
    process, endpoint = _start_moto()
    request.addfinalizer(lambda: _stop(process))
    return endpoint


@dataclass
class S3:
    endpoint: str
    bucket: str
    key_id: str
    secret: str

    @property
    def storage_options(self) -> dict[str, str]:  # polars (object_store) spelling
        return {"aws_access_key_id": self.key_id, "aws_secret_access_key": self.secret,
                "aws_endpoint_url": self.endpoint, "aws_region": "us-east-1", "aws_allow_http": "true"}

    def fs(self):
        import s3fs

        return s3fs.S3FileSystem(key=self.key_id, secret=self.secret, endpoint_url=self.endpoint,
                                 use_listings_cache=False, skip_instance_cache=True)


@pytest.fixture
def s3(moto_endpoint, monkeypatch) -> Iterator[S3]:
    """A fresh bucket; credentials and endpoint in the environment only (as a deployment would set them)."""
    import s3fs

    info = S3(moto_endpoint, f"km-{uuid.uuid4().hex[:12]}", "AKIAKMTEST", f"km-s3-secret-{uuid.uuid4().hex}")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", info.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", info.secret)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3fs.S3FileSystem.clear_instance_cache()  # file systems made under another test's variables
    info.fs().mkdir(info.bucket)
    yield info
    s3fs.S3FileSystem.clear_instance_cache()


def _km_yaml(path: Path, root: str, url: str) -> Path:
    path.write_text(f"""
storage: {{root: {root}}}
connections:
  - name: demo
    url: {url}
    deployment: cloud
    auth: {{username: sync-bot@northwind.example, api_token_env: KM_TEST_TOKEN}}
    content_types: [page, blogpost, attachment]
""")
    return path


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(sorted(frame.columns)).sort("content_id")


def test_the_demo_sync_on_s3_reads_back_as_the_local_sync_wrote_it(s3, demo_sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("KM_TEST_TOKEN", demo_sandbox.options.api_token)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # a root mistaken for a relative folder ("s3:/bucket/...") would land here
    url = f"s3://{s3.bucket}/km"
    local_yaml = _km_yaml(tmp_path / "local.yaml", str(tmp_path / "local"), demo_sandbox.url)
    s3_yaml = _km_yaml(tmp_path / "s3.yaml", url, demo_sandbox.url)
    assert s3.secret not in s3_yaml.read_text() and s3.endpoint not in s3_yaml.read_text()
    spaces = sorted(demo_sandbox.site.spaces)
    now = datetime.now(UTC)
    configs = {}
    for name, path in (("local", local_yaml), ("s3", s3_yaml)):
        configs[name] = config = load_config(path)
        with dg.instance_for_test() as instance:
            summary = sync_spaces(config, config.connection("demo"), spaces, instance, log_level="WARNING", now=now)
        assert summary.runs and not summary.failed, (name, summary.runs)

    local = tmp_path / "local" / "demo"
    expected = _sorted(pl.read_parquet(local / "articles_current/**/*.parquet", hive_partitioning=True))
    live = {c.id for c in demo_sandbox.site.content.values() if c.status == "current"}
    assert set(expected["content_id"]) == live

    # polars, straight from the bucket (object_store, its own S3 client).
    pattern = f"{url}/demo/articles_current/**/*.parquet"
    from_polars = _sorted(pl.scan_parquet(pattern, hive_partitioning=True,
                                          storage_options=s3.storage_options).collect())
    assert from_polars.equals(expected)
    for row, want in zip(from_polars.iter_rows(named=True), expected.iter_rows(named=True), strict=True):
        assert (row["content_id"], row["title"], row["markdown"], row["space"]) == \
            (want["content_id"], want["title"], want["markdown"], want["space"])

    # DuckDB through an fsspec file system registered on the connection (httpfs cannot be installed here).
    import duckdb

    with duckdb.connect() as db:
        db.register_filesystem(s3.fs())
        from_duckdb = db.sql(f"select content_id, title, markdown, space from read_parquet('{pattern}', "
                             "hive_partitioning = true) order by content_id").pl()
    assert from_duckdb.rows() == expected.select("content_id", "title", "markdown", "space").rows()

    # Every other asset and side table is in the bucket too, with the local sync's rows.
    fs = s3.fs()
    keys = {key.removeprefix(f"{s3.bucket}/km/demo/") for key in fs.find(f"{s3.bucket}/km")}
    files = {p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()}
    runs = "integration_runs/"  # named by run id, which differs between the two syncs
    assert {k for k in keys if not k.startswith(runs)} == {f for f in files if not f.startswith(runs)}
    assert len([k for k in keys if k.startswith(runs)]) == len([f for f in files if f.startswith(runs)])
    assert any(k.startswith("attachment_files/") and not k.endswith(SIDECAR) for k in keys)
    assert any(k.startswith("attachment_text/") for k in keys)
    assert not [k for k in fs.find(s3.bucket) if STAGING in k or k.endswith((".tmp", ".part"))]
    for asset, key in (("article_metadata", "content_id"), ("permission_map", None),
                       ("attachment_articles", "attachment_id"), ("raw_history", "content_id")):
        theirs = pl.scan_parquet(f"{url}/demo/{asset}/**/*.parquet", hive_partitioning=True,
                                 storage_options=s3.storage_options).collect()
        ours = pl.read_parquet(local / asset / "**/*.parquet", hive_partitioning=True)
        assert ours.height > 0, asset
        order = [key] if key else sorted(ours.columns)
        theirs, ours = theirs.select(sorted(ours.columns)).sort(order), ours.select(sorted(ours.columns)).sort(order)
        measured = {"seconds"}  # how long an extraction took: a timing, not content
        differ = [c for c in ours.columns if c not in measured and not theirs[c].equals(ours[c])]
        assert not differ, (asset, differ, theirs.select(differ).rows()[:3], ours.select(differ).rows()[:3])
    assert os.listdir(cwd) == []

    # The project's own readers: the explain commands and the notebooks' store.
    from km_assets.km.mapping import explain_mapping
    from km_assets.km.permissions import explain_access_from_storage
    from km_assets.reports.store import Store

    some = expected["content_id"][0]
    assert explain_mapping(configs["s3"], "demo", some) == explain_mapping(configs["local"], "demo", some)
    assert explain_access_from_storage(configs["s3"], "demo", some, "anonymous") == \
        explain_access_from_storage(configs["local"], "demo", some, "anonymous")
    store = Store(url, "demo")
    assert store.count("articles_current") == expected.height
    assert store.written_at("articles_current", spaces[0]) is not None
    assert store.log().height == Store(str(tmp_path / "local"), "demo").log().height > 0

    # The sync report (papermill: the kernel reads the bucket with the same environment) sums up the same.
    # Run by the sync_report asset with no reports folder set (as in a Kubernetes run pod): the executed
    # notebook and its HTML go to <root>/demo/reports/ in the bucket, not to the pod's disk, and the
    # metadata links them. The local root's report, for comparison, goes to a local folder.
    from km_assets.reports import figures, run_report

    local_report = run_report(configs["local"], "demo", out_dir=tmp_path / "reports-local")
    assert figures(local_report.with_suffix(".ipynb"))["summary"]["items"] == expected.height
    _check_the_report_asset_writes_to_the_bucket(s3, url, configs["s3"], local_report, cwd, monkeypatch,
                                                 expected.height, demo_sandbox.options.api_token)

    # No secret in any object: neither the S3 secret nor the Confluence token.
    for key in fs.find(s3.bucket):
        data = fs.cat_file(key)
        text = data.decode("utf-8", "ignore")
        if key.endswith(".parquet"):
            frame = pl.read_parquet(data)
            text += " ".join(str(v) for c in frame.columns for v in frame[c].to_list())
        assert s3.secret not in text and demo_sandbox.options.api_token not in text, key

    # `km sync` on the same km.yaml: reads its own Dagster instance and the bucket, prints the counts.
    from km_assets.cli import main

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster-home"))
    assert main(["--config", str(s3_yaml), "sync", "demo", "--space", spaces[0]]) == 0
    counts = expected.group_by("space").len()
    wanted = counts.filter(pl.col("space") == spaces[0])["len"].item()
    assert os.listdir(cwd) == []
    assert store.count("articles_current") == expected.height  # the re-sync replaced, did not add
    from_polars_again = _sorted(pl.scan_parquet(pattern, hive_partitioning=True,
                                                storage_options=s3.storage_options).collect())
    assert from_polars_again.filter(pl.col("space") == spaces[0]).height == wanted


_SUMMARY_ROW = re.compile(r'<tr><td>"(\w+)"</td><td>"([^"<]*)"</td></tr>')


def _summary_table(html: str) -> dict[str, str]:
    """The report's headline table (figure -> value), as the HTML shows it to a reader."""
    return dict(_SUMMARY_ROW.findall(html[html.index("<table"):html.index("</table>")]))


def _check_the_report_asset_writes_to_the_bucket(s3: S3, url: str, config, local_report: Path, cwd: Path,
                                                 monkeypatch, items: int, token: str) -> None:
    from km_assets.defs.report_assets import report_assets
    from km_assets.reports import figures

    monkeypatch.delenv("KM_REPORTS_DIR", raising=False)
    local_html = local_report.read_text(encoding="utf-8")
    fs = s3.fs()
    folder = f"{s3.bucket}/km/demo/reports"
    assert not fs.exists(folder)
    with dg.instance_for_test() as instance:
        result = dg.materialize(report_assets(config.connection("demo"), url), instance=instance)
        assert result.success
        logs = " ".join(str(entry) for entry in instance.all_logs(result.run_id))
    metadata = {k: v.value for k, v in result.asset_materializations_for_node("demo__sync_report")[0].metadata.items()}
    assert sorted(fs.find(folder)) == [f"{folder}/sync_report.html", f"{folder}/sync_report.ipynb"]
    assert metadata["url"] == metadata["html"] == f"{url}/demo/reports/sync_report.html"
    assert metadata["notebook"] == f"{url}/demo/reports/sync_report.ipynb"
    assert metadata["items"] == items
    assert f"sync report written to {url}/demo/reports/sync_report.html" in logs
    assert os.listdir(cwd) == []  # no reports/ folder on the local disk

    # The HTML in the bucket is the report itself: its headline table says what the local run's says.
    html = fs.cat_file(f"{folder}/sync_report.html").decode("utf-8")
    shown, local_shown = _summary_table(html), _summary_table(local_html)
    assert shown["items"] == str(items)
    same = ("items", "spaces", "new", "changed", "deleted", "attachments", "attachment_bytes")
    assert {k: shown[k] for k in same} == {k: local_shown[k] for k in same}
    assert html.count("<img") == local_html.count("<img") > 0  # the plots, embedded
    copy = local_report.with_name("from-bucket.ipynb")
    fs.get_file(f"{folder}/sync_report.ipynb", str(copy))
    assert figures(copy)["summary"]["items"] == items
    for text in (html, copy.read_text(encoding="utf-8"), str(metadata), logs):
        assert s3.secret not in text and s3.key_id not in text and token not in text


def test_km_sync_prints_the_counts_it_read_from_the_bucket(s3, demo_sandbox, tmp_path, monkeypatch, capsys):
    from km_assets.cli import main

    monkeypatch.setenv("KM_TEST_TOKEN", demo_sandbox.options.api_token)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster-home"))
    monkeypatch.chdir(tmp_path)
    config = _km_yaml(tmp_path / "km.yaml", f"s3://{s3.bucket}/km", demo_sandbox.url)
    space = sorted(demo_sandbox.site.spaces)[0]
    assert main(["--config", str(config), "sync", "demo", "--space", space]) == 0
    out = capsys.readouterr().out
    rows = pl.scan_parquet(f"s3://{s3.bucket}/km/demo/articles_current/**/*.parquet", hive_partitioning=True,
                           storage_options=s3.storage_options).collect()
    assert rows.height > 0 and set(rows["space"]) == {space}
    assert f"{space:<10} {rows.height:>9}" in out.splitlines()
    assert s3.secret not in out


def _versions(s3: S3) -> list[tuple[str, bool]]:
    """(key, is delete marker) of every object version in the bucket."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1",
                          aws_access_key_id=s3.key_id, aws_secret_access_key=s3.secret)
    listing = client.list_object_versions(Bucket=s3.bucket)
    return sorted([(v["Key"], False) for v in listing.get("Versions", [])]
                  + [(m["Key"], True) for m in listing.get("DeleteMarkers", [])])


def test_a_partition_is_one_put_of_the_final_object_and_a_failed_write_keeps_the_old_one(s3, monkeypatch,
                                                                                         tmp_path):
    import boto3

    boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1").put_bucket_versioning(
        Bucket=s3.bucket, VersioningConfiguration={"Status": "Enabled"})
    root = root_path(f"s3://{s3.bucket}/km")
    target = root / "demo" / "articles" / "space=ENG" / "data.parquet"
    first, second = pl.DataFrame({"content_id": ["1", "2"]}), pl.DataFrame({"content_id": ["3"]})

    assert write_parquet_atomically(first, target, root) == target
    with target.open("rb") as handle:
        assert pl.read_parquet(handle).equals(first)
    write_parquet_atomically(second, target, root)
    with target.open("rb") as handle:
        assert pl.read_parquet(handle).equals(second)
    # Two versions of the final key and nothing else: no staging object was written, copied or deleted
    # (a rename on S3 is a copy plus a delete, which leaves a delete marker on a versioned bucket).
    key = "km/demo/articles/space=ENG/data.parquet"
    assert _versions(s3) == [(key, False), (key, False)]

    # A write that fails before the upload (its local temporary folder is not a folder) never touches the
    # object: readers keep the previous one, and the message says so and names both ends.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setattr(tempfile, "tempdir", str(blocker))
    with pytest.raises(StorageWriteError) as failed:
        write_parquet_atomically(pl.DataFrame({"content_id": ["4"]}), target, root)
    monkeypatch.setattr(tempfile, "tempdir", None)
    message = str(failed.value)
    assert message.startswith(f"cannot write {target}: ") and "its previous data is unchanged" in message
    assert str(blocker) in message and s3.secret not in message
    with target.open("rb") as handle:
        assert pl.read_parquet(handle).equals(second)
    assert _versions(s3) == [(key, False), (key, False)]

    # A bucket that does not exist: a StorageWriteError naming the object, the cause and its errno.
    missing = root_path(f"s3://{s3.bucket}-missing/km")
    with pytest.raises(StorageWriteError) as nowhere:
        write_parquet_atomically(first, missing / "demo" / "x" / "data.parquet", missing)
    assert str(nowhere.value).startswith(f"cannot write s3://{s3.bucket}-missing/km/demo/x/data.parquet: ")
    assert "nothing was written in its place" in str(nowhere.value) and s3.secret not in str(nowhere.value)


def test_readers_see_partitions_another_process_wrote_after_they_listed(s3):
    """Parallel spaces, Dagster's run workers and the UI's sensors are other processes writing under the same
    root: a listing this process made earlier must not hide what they wrote since."""
    root = f"s3://{s3.bucket}/km"
    base = root_path(root)
    row = {"content_id": "1", "content_type": "page", "version": 1, "title": "A", "space_key": "ENG"}
    write_parquet_atomically(pl.DataFrame([row]), base / "demo/snapshot/space=ENG/data.parquet", base)
    # Lists the whole asset folder (every space) and reads space HR, which is not there yet.
    assert read_ids(root, "demo", ["snapshot"], ["1", "2"], SNAPSHOT)["content_id"].to_list() == ["1"]
    assert read_space(root, "demo", ["snapshot"], "HR", SNAPSHOT).height == 0
    script = ("import polars as pl, sys\n"
              "from km_assets.km.parquet_files import root_path, write_parquet_atomically\n"
              "base = root_path(sys.argv[1])\n"
              "frame = pl.DataFrame([{'content_id': '2', 'content_type': 'page', 'version': 1, 'title': 'B',"
              " 'space_key': 'HR'}])\n"
              "write_parquet_atomically(frame, base / 'demo/snapshot/space=HR/data.parquet', base)\n")
    subprocess.run([sys.executable, "-c", script, root], check=True, timeout=120)  # inherits the AWS_* variables
    assert read_space(root, "demo", ["snapshot"], "HR", SNAPSHOT)["content_id"].to_list() == ["2"]
    assert sorted(read_ids(root, "demo", ["snapshot"], ["1", "2"], SNAPSHOT)["content_id"]) == ["1", "2"]


@pytest.mark.parametrize("rel", ["../x.txt", "a/../../x.txt", "/abs/x.txt", "a/b\x00c.txt", "a/..\\..\\x.txt",
                                 "a/" + "x" * 300, "..", "a/\x1b.txt"])
def test_the_object_store_refuses_names_that_leave_its_root(rel):
    store = ObjectStore("s3://bucket/km/demo/attachment_files")
    with pytest.raises(UnsafePathError):
        store.path(PurePosixPath(rel))
    assert str(store.path(PurePosixPath("65539/att1/v1/a b.txt"))) == \
        "s3://bucket/km/demo/attachment_files/65539/att1/v1/a b.txt"
    assert isinstance(file_store("s3://bucket/x"), ObjectStore)
    assert not isinstance(file_store("file:///tmp/x"), ObjectStore)


FAST = ClientSettings(requests_per_second=1000, max_retries=1, backoff_base=0.01)


def test_hostile_attachment_names_stay_under_the_bucket_prefix(s3):
    site = load_demo_site()
    added = [site.add_attachment("65539", filename=name, data=f"payload {i}".encode(), media_type="text/plain",
                                 by="amoreau") for i, name in enumerate(HOSTILE)]
    root = f"s3://{s3.bucket}/km/demo/attachment_files"
    with Sandbox(site=site, options=SandboxOptions(flavor="cloud")) as sb:
        client = ConfluenceClient.basic(sb.url, *sb.basic_auth, settings=FAST, deployment=Deployment("cloud", sb.url))
        records = [r for r in list_attachments(client, ["65539"]) if r["attachment_id"] in {a.id for a in added}]
        assert len(records) == len(added)
        results = list(download_attachments(client, records, root, AttachmentSettings()))
        fs = s3.fs()
        assert {r.status for r in results} == {"downloaded"}, results
        prefix = f"{s3.bucket}/km/demo/attachment_files/"
        keys = fs.find(s3.bucket)
        assert keys and all(k.startswith(prefix) for k in keys), keys
        for result in results:
            key = prefix + result.path
            assert ".." not in result.path.split("/") and len(result.path.split("/")[-1].encode()) <= 200
            assert fs.cat_file(key) == site.attachments[result.attachment_id].data
        names = {site.attachments[r.attachment_id].filename: r.path.split("/")[-1] for r in results}
        assert names["../../etc/passwd"] == "passwd" and names["/abs/path.txt"] == "path.txt"
        assert names["a\x00b.txt"] == "ab.txt" and names[SIDECAR] == "_" + SIDECAR

        # A second run finds them stored (re-hashed from the bucket), and a tampered object is fetched again.
        again = list(download_attachments(client, records, root, AttachmentSettings()))
        assert {(r.status, r.reason) for r in again} == {("skipped", ALREADY_STORED)}
        victim = results[0]
        fs.pipe_file(prefix + victim.path, b"tampered")
        record = next(r for r in records if r["attachment_id"] == victim.attachment_id)
        redone = list(download_attachments(client, [record], root, AttachmentSettings()))
        assert [(r.status, r.sha256) for r in redone] == [("downloaded", victim.sha256)]
        # A known path that would leave the root is not trusted: downloaded again, under its safe name.
        known = {identity(record): "../../outside.txt"}
        trusted = list(download_attachments(client, [record], root, AttachmentSettings(), known=known))
        assert [r.status for r in trusted] == ["skipped"] and trusted[0].path == victim.path
        assert not [k for k in fs.find(s3.bucket) if "outside" in k]


def _notebooks(folder: Path, source: str) -> Path:
    """A notebooks folder (KM_NOTEBOOKS_DIR) whose sync_report is one real code cell: papermill runs it in the
    project's kernel, so the upload paths are exercised without a sync behind them."""
    import nbformat

    folder.mkdir()
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("connection = None", metadata={
        "tags": ["parameters"]}), nbformat.v4.new_code_cell(source)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(book, str(folder / "sync_report.ipynb"))
    return folder


def test_a_report_on_object_storage_is_uploaded_and_a_failed_one_names_its_object(s3, tmp_path, monkeypatch):
    from km_assets.reports import ReportError, run_report
    from km_assets.reports.run import write_report

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KM_TEST_TOKEN", "km-token-not-used-here")
    url = f"s3://{s3.bucket}/km"
    config = load_config(_km_yaml(tmp_path / "km.yaml", url, "http://127.0.0.1:9"))
    fs = s3.fs()
    folder = f"{s3.bucket}/km/demo/reports"

    # A notebook that raises: its executed copy (with the traceback) goes to the bucket, the error names it.
    monkeypatch.setenv("KM_NOTEBOOKS_DIR", str(_notebooks(tmp_path / "broken", "raise RuntimeError('report broke')")))
    with pytest.raises(ReportError, match=r"failed in cell \d+: RuntimeError: report broke") as caught:
        run_report(config, "demo")
    assert f"{url}/demo/reports/sync_report.failed.ipynb" in str(caught.value)
    assert fs.find(s3.bucket) == [f"{folder}/sync_report.failed.ipynb"]
    assert b"report broke" in fs.cat_file(f"{folder}/sync_report.failed.ipynb")

    # The next good run uploads the notebook and its HTML (content type from the name) and removes the failure.
    monkeypatch.setenv("KM_NOTEBOOKS_DIR", str(_notebooks(tmp_path / "good", "print('report body ' + 'ok')")))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the local working copies go
    report = write_report(config, "demo")
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert (str(report.html), str(report.notebook)) == (f"{url}/demo/reports/sync_report.html",
                                                        f"{url}/demo/reports/sync_report.ipynb")
    assert report.url == str(report.html)
    assert sorted(fs.find(s3.bucket)) == [f"{folder}/sync_report.html", f"{folder}/sync_report.ipynb"]
    assert "report body ok" in fs.cat_file(f"{folder}/sync_report.html").decode()
    assert b"report body ok" in fs.cat_file(f"{folder}/sync_report.ipynb")
    assert fs.info(f"{folder}/sync_report.html")["ContentType"] == "text/html"
    assert os.listdir(scratch) == []  # the local working copies are gone
    assert not (tmp_path / "reports").exists()

    # An explicit fsspec URL as the reports folder: <out>/<connection>/, with the range in the name.
    html = run_report(config, "demo", "2026-01-01", "2026-01-31T12:00", out_dir=f"s3://{s3.bucket}/elsewhere")
    assert str(html) == f"s3://{s3.bucket}/elsewhere/demo/sync_report_2026-01-01_2026-01-31T1200.html"
    assert fs.exists(f"{s3.bucket}/elsewhere/demo/sync_report_2026-01-01_2026-01-31T1200.ipynb")

    # A local root keeps today's default: ./reports/<connection>/, files on the local disk.
    local = load_config(_km_yaml(tmp_path / "local.yaml", str(tmp_path / "data"), "http://127.0.0.1:9"))
    report = write_report(local, "demo")
    assert report.html == tmp_path / "reports" / "demo" / "sync_report.html" and report.html.is_file()
    assert report.notebook == report.html.with_suffix(".ipynb") and report.notebook.is_file()
    assert report.url == report.html.as_uri() and report.url.startswith("file:///")
