"""`km sync` on storage it cannot write to: one line naming the path and the cause, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import write_km_yaml

KM = str(Path(sys.executable).with_name("km"))


def test_km_sync_reports_an_unwritable_storage_root_in_one_line(tmp_path, demo_sandbox):
    config = write_km_yaml(tmp_path, demo_sandbox.url, "    spaces: {include: [HR]}\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / ".staging").write_text("a file where the staging folder must be")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KM_", "DAGSTER_"))}
    env |= {"KM_TEST_TOKEN": demo_sandbox.options.api_token, "DAGSTER_HOME": str(tmp_path / ".dagster")}
    result = subprocess.run([KM, "--config", str(config), "sync", "demo"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    message = [line for line in result.stderr.splitlines() if line.startswith("km sync:")]
    assert len(message) == 1 and ".staging" in message[0], result.stderr
    assert "Traceback" not in result.stderr
