"""Shared fixtures: the sandbox (a real HTTP server on 127.0.0.1) and the shared real samples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from km_assets.sandbox import Sandbox, SandboxOptions

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KM_SHARED_DIR", REPO.parent / "shared"))


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
