"""Shared fixtures: the sandbox (a real HTTP server on 127.0.0.1) and the shared real samples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from km_assets.sandbox import Sandbox, SandboxOptions

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KM_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session", autouse=True)
def _rate_limit_files(tmp_path_factory):
    """Every sandbox has its own port, so its own per-site bucket file: keep them out of /tmp. Set for the
    whole session (km subprocesses inherit it)."""
    previous = os.environ.get("KM_RATE_LIMIT_DIR")
    os.environ["KM_RATE_LIMIT_DIR"] = str(tmp_path_factory.mktemp("rate-limits"))
    yield
    if previous is None:
        os.environ.pop("KM_RATE_LIMIT_DIR", None)
    else:
        os.environ["KM_RATE_LIMIT_DIR"] = previous


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared holds real third-party samples; CI has it, a user's clone may not."""
    if not (SHARED / "confluence-samples").is_dir():
        pytest.skip(f"real Confluence samples not found at {SHARED} (set KM_SHARED_DIR); "
                    "they are not part of the repository")
    return SHARED


@pytest.fixture(scope="session")
def demo_sandbox():
    """One read-only demo sandbox for the session. Tests that change the site start their own."""
    with Sandbox(options=SandboxOptions(flavor="cloud")) as sandbox:
        yield sandbox


@pytest.fixture
def fresh_sandbox(confluence_sandbox):
    """A sandbox this test may change (the `confluence_sandbox` fixture the package ships)."""
    return confluence_sandbox


@pytest.fixture(scope="session", autouse=True)
def no_sandbox_secret_is_written(tmp_path_factory):
    """After the whole session, no file any test wrote contains a secret any sandbox handed out.

    Every sandbox draws its API token, PAT and scoped token from `secrets.token_urlsafe`; this records
    them (wrapping the sandbox module's reference only), then searches every file under the session's
    temporary root, Parquet decoded and SQLite (Dagster's event logs and runs, for instances kept under a
    test's tmp_path) read row by row.
    """
    import secrets as real_secrets

    import km_assets.sandbox.http as sandbox_http

    issued: list[str] = []

    class Recording:
        def __getattr__(self, name):
            return getattr(real_secrets, name)

        @staticmethod
        def token_urlsafe(nbytes=None):
            token = real_secrets.token_urlsafe(nbytes)
            issued.append(token)
            return token

    original = sandbox_http.secrets
    sandbox_http.secrets = Recording()
    yield
    sandbox_http.secrets = original
    _assert_no_secret_in_files(tmp_path_factory.getbasetemp(), issued)


def _assert_no_secret_in_files(root: Path, tokens: list[str]) -> None:
    import polars as pl

    needles = [t for t in tokens if len(t) >= 16]
    leaks = []
    for path in root.rglob("*"):
        if not path.is_file() or path.stat().st_size > 200_000_000:
            continue
        if path.suffix == ".parquet":
            try:
                frame = pl.read_parquet(path)
            except pl.exceptions.PolarsError:
                continue  # a deliberately corrupt file written by a test; not a leak of ours
            text = " ".join(str(v) for c in frame.columns for v in frame[c].to_list())
        else:
            data = path.read_bytes()
            text = data.decode("utf-8", errors="ignore")
            if data.startswith(b"SQLite format 3\x00"):
                text += _sqlite_text(path)
        leaks += [f"{path}" for t in needles if t in text]
    assert not leaks, f"sandbox secrets were written to: {sorted(set(leaks))[:10]}"


def _sqlite_text(path: Path) -> str:
    """A SQLite file's rows as text (Dagster's event logs and run storage): a long value is split across
    overflow pages on disk, so a byte search could miss a secret inside one. Read through a copy, so that
    an instance still open elsewhere is not touched."""
    import shutil
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / path.name
        shutil.copyfile(path, copy)
        for suffix in ("-wal", "-shm"):  # a WAL holds rows not yet checkpointed into the file
            if path.with_name(path.name + suffix).exists():
                shutil.copyfile(path.with_name(path.name + suffix), copy.with_name(copy.name + suffix))
        db = sqlite3.connect(copy)
        try:
            return "\n".join(db.iterdump())
        except sqlite3.DatabaseError:
            return ""  # not a readable database after all; the byte search above still ran
        finally:
            db.close()


def write_km_yaml(tmp_path: Path, url: str, extra: str = "") -> Path:
    """A km.yaml with one `demo` connection to `url` (the sandbox's sync-bot, secret in KM_TEST_TOKEN),
    storing under tmp_path/data; `extra` is more connection keys, indented four spaces."""
    path = tmp_path / "km.yaml"
    path.write_text(f"""
storage: {{root: {tmp_path / 'data'}}}
connections:
  - name: demo
    url: {url}
    deployment: cloud
    auth: {{username: sync-bot@northwind.example, api_token_env: KM_TEST_TOKEN}}
{extra}""")
    return path


HOURLY_FROM_NOV_20 = "    schedule: hourly\n    sync: {start: 2026-11-20, lag_minutes: 0, overlap_minutes: 10}\n"
