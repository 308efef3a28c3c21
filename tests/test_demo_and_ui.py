"""The README's commands, run as a user runs them: `km demo` and `km ui` (what `make demo`/`make ui` call)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import polars as pl
import pytest

from km_assets.sandbox import load_demo_site

REPO = Path(__file__).resolve().parents[1]
KM = str(Path(sys.executable).with_name("km"))


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KM_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(tmp_path / ".dagster")
    return env


SECRET = "demo-tok-3f9c1a-never-written"


@pytest.mark.slow
def test_km_demo_writes_one_row_per_page_and_blog_post(tmp_path):
    site = load_demo_site()
    expected = sum(1 for c in site.content.values() if c.type in ("page", "blogpost") and c.status == "current")
    env = {**_env(tmp_path), "KM_DEMO_TOKEN": SECRET}
    for attempt in (1, 2):  # re-running the demo works and gives the same rows
        result = subprocess.run([KM, "--config", str(REPO / "km.yaml"), "demo"], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"attempt {attempt}:\n{result.stdout}\n{result.stderr}"
        assert "make ui" in result.stdout
        for asset in ("raw_history", "articles_current", "article_metadata"):
            df = pl.read_parquet(tmp_path / "data" / "demo" / asset / "**" / "*.parquet", hive_partitioning=True)
            assert df.height == expected, asset
            assert df["content_id"].n_unique() == expected
            assert f"{asset:<16} {expected:>5} rows" in result.stdout
        permissions = pl.read_parquet(tmp_path / "data/demo/permission_map/**/*.parquet", hive_partitioning=True)
        assert permissions.filter(pl.col("granted"))["content_id"].n_unique() == expected
        assert not permissions.filter(~pl.col("granted")).height, "the demo site's permissions all read"
        assert SECRET not in result.stdout + result.stderr
    # Per space and demo run: the content sync's run and the permission sync's, each with its own files.
    logs = list((tmp_path / "data" / "demo" / "integration_runs").rglob("*.parquet"))
    runs = {(path.parent.name, path.name.split(".")[0]) for path in logs}
    assert len(runs) == 2 * 2 * len(site.spaces), "integration logs of every space and run"
    gathered = pl.read_parquet(tmp_path / "data/demo/integration_log/**/*.parquet", hive_partitioning=True)
    assert (gathered["kind"] == "request").any()

    # The explain commands read what the demo stored, by path.
    mapping = subprocess.run([KM, "--config", str(REPO / "km.yaml"), "explain-mapping", "demo", "65537"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert mapping.returncode == 0, mapping.stderr
    assert "Article Title" in mapping.stdout and site.content["65537"].title in mapping.stdout
    restricted = next(c for c in site.content.values() if c.read_groups or c.read_users)
    access = subprocess.run([KM, "--config", str(REPO / "km.yaml"), "explain-access", "demo", restricted.id,
                             "anonymous"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert access.returncode == 0, access.stderr
    assert restricted.id in access.stdout
    unknown = subprocess.run([KM, "--config", str(REPO / "km.yaml"), "explain-mapping", "demo", "999999999"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 1 and "999999999" in unknown.stderr
    _assert_secret_absent(tmp_path, SECRET)


def _assert_secret_absent(root: Path, secret: str) -> None:
    """Every file the demo wrote (Parquet, the Dagster instance's event logs and storage) is free of it."""
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(files) > 10
    needle = secret.encode()

    def contains(path: Path) -> bool:
        if path.suffix == ".parquet":  # compressed: look at the decoded values, not the bytes
            frame = pl.read_parquet(path)
            return any(secret in str(value) for column in frame.columns for value in frame[column].to_list())
        return needle in path.read_bytes()

    leaked = [str(p) for p in files if contains(p)]
    assert not leaked, f"the API token was written to {leaked}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_km_ui_serves_the_assets_and_stops_with_its_process_group(tmp_path):
    port = _free_port()
    process = subprocess.Popen([KM, "ui", "--port", str(port)], cwd=REPO, env=_env(tmp_path),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    query = {"query": """{
      assetNodes { assetKey { path } groupName isPartitioned
                   partitionDefinition { dimensionTypes { name } }
                   assetChecksOrError { ... on AssetChecks { checks { name } } } }
      repositoriesOrError { ... on RepositoryConnection { nodes {
          schedules { name cronSchedule } sensors { name } jobs { name } } } }
    }"""}
    try:
        deadline = time.monotonic() + 90
        nodes = None
        while time.monotonic() < deadline:
            assert process.poll() is None, "dagster dev exited early"
            try:
                response = httpx.post(f"http://127.0.0.1:{port}/graphql", json=query, timeout=5)
                data = response.json().get("data") or {}
                if data.get("assetNodes"):
                    nodes = data["assetNodes"]
                    repository = data["repositoriesOrError"]["nodes"][0]
                    break
            except (httpx.TransportError, json.JSONDecodeError):
                pass
            time.sleep(0.5)
        assert nodes is not None, "the Dagster UI did not answer within 90 s"
        by_path = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        assert {"demo/raw_history", "demo/raw_content", "demo/snapshot", "demo/articles", "demo/tombstones",
                "demo/articles_current", "demo/article_metadata", "demo/raw_attachments", "demo/integration_log",
                "demo/permission_map", "demo/attachment_articles", "demo/sync_report"} <= set(by_path)
        assert all(n["isPartitioned"] for n in nodes if n["assetKey"]["path"][-1] != "sync_report")
        dimensions = {d["name"] for d in by_path["demo/raw_content"]["partitionDefinition"]["dimensionTypes"]}
        assert dimensions == {"space", "window"}
        checks = {("/".join(n["assetKey"]["path"]), c["name"]) for n in nodes
                  for c in (n["assetChecksOrError"] or {}).get("checks", [])}
        assert {("demo/articles", "titles_not_empty"), ("demo/raw_content", "versions_unique"),
                ("demo/raw_content", "fresh"), ("demo/articles", "no_unhandled_macros"),
                ("demo/article_metadata", "article_title_present"), ("demo/permission_map", "no_fail_closed_rows"),
                ("demo/permission_map", "principals_mapped")} <= checks
        assert {s["name"] for s in repository["schedules"]} == {"demo__incremental", "demo__reconcile",
                                                                  "demo__permissions", "demo__report"}
        assert {s["name"] for s in repository["sensors"]} == {"demo__spaces", "demo__refresh"}
        assert {"demo__initial", "demo__window", "demo__reconcile", "demo__refresh",
                "demo__permissions", "demo__report"} <= {j["name"] for j in repository["jobs"]}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        _wait_group_gone(process.pid, 30)
        if _group_alive(process.pid):
            # dagster dev's children may outlive a SIGTERM under load: stop them by group, still ours.
            os.killpg(process.pid, signal.SIGKILL)
            _wait_group_gone(process.pid, 15)
    assert not _group_alive(process.pid), "processes of dagster dev were left running"


def _wait_group_gone(pgid: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
