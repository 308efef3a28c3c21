"""`km sync` as a user runs it, against a sandbox started by the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from km_assets.sandbox import Sandbox

KM = str(Path(sys.executable).with_name("km"))


@pytest.mark.slow
def test_km_sync_first_then_incremental(tmp_path):
    with Sandbox() as sandbox:
        (tmp_path / "km.yaml").write_text(f"""
storage: {{root: {tmp_path / 'data'}}}
connections:
  - name: demo
    url: {sandbox.url}
    deployment: cloud
    auth: {{username: {sandbox.login}, api_token_env: KM_TEST_TOKEN}}
""")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KM_", "DAGSTER_"))}
        env |= {"KM_TEST_TOKEN": sandbox.options.api_token, "DAGSTER_HOME": str(tmp_path / "dagster")}

        def sync(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([KM, "--config", str(tmp_path / "km.yaml"), "sync", *args], cwd=tmp_path,
                                  env=env, capture_output=True, text=True, timeout=300)

        first = sync()
        assert first.returncode == 0, first.stdout + first.stderr
        assert "initial ENG" in first.stdout and "0 failed" in first.stdout
        current = pl.read_parquet(tmp_path / "data/demo/articles_current/**/*.parquet", hive_partitioning=True)
        assert current.height == len(sandbox.site.content)

        second = sync("--space", "OPS")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "initial" not in second.stdout and "reconcile OPS" in second.stdout

        missing = subprocess.run([KM, "--config", str(tmp_path / "km.yaml"), "sync"], cwd=tmp_path,
                                 env={k: v for k, v in env.items() if k != "KM_TEST_TOKEN"},
                                 capture_output=True, text=True, timeout=120)
        assert missing.returncode == 2 and "KM_TEST_TOKEN" in missing.stderr
        assert sandbox.options.api_token not in first.stdout + first.stderr + second.stdout
