"""`km sandbox` as a user runs it: prints what to connect with, serves, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

KM = str(Path(sys.executable).with_name("km"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    """Read the child's stdout until a line contains marker, with a deadline (no sleeping)."""
    # Raw reads on the descriptor: a buffered readline could hold lines select() cannot see.
    fd = process.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    out = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in out:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {marker!r} within {timeout}s; got:\n{out.decode()}"
        if selector.select(remaining):
            chunk = os.read(fd, 65536)
            assert chunk, f"km sandbox exited early:\n{out.decode()}"
            out += chunk
    return out.decode()


def _as_a_background_shell_starts_it() -> None:
    """Non-interactive shells start background jobs with SIGINT ignored, some supervisors SIGTERM too;
    Python keeps an inherited "ignore", so `km sandbox` must install its own handlers to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@pytest.mark.parametrize(("flavor", "site", "expected_pages", "stop"), [
    ("datacenter", "synthetic:2:40", 80, signal.SIGINT),
    ("cloud", "demo", None, signal.SIGTERM),
])
def test_km_sandbox_serves_until_interrupted(flavor, site, expected_pages, stop):
    port = _free_port()
    process = subprocess.Popen([KM, "sandbox", "--flavor", flavor, "--site", site, "--port", str(port),
                                "--latency-ms", "5", "--rate-limit", "200/s"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, preexec_fn=_as_a_background_shell_starts_it)
    try:
        banner = _read_until(process, "Ctrl-C stops it.", timeout=60)
        url = re.search(r"listening on (\S+)", banner).group(1)
        user = re.search(r"user:\s+(\S+)", banner).group(1)
        secret = re.search(r"(?:API token|password):\s+(\S+)", banner).group(1)
        assert url.startswith(f"http://127.0.0.1:{port}")
        assert url.endswith("/wiki") == (flavor == "cloud")
        body = httpx.get(url + "/rest/api/content/search", params={"cql": "type = page", "limit": 1},
                         auth=(user, secret), timeout=10).json()
        if expected_pages is not None:
            assert body["totalSize"] == expected_pages
        else:
            assert body["totalSize"] > 0
    finally:
        os.killpg(process.pid, stop)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # never leave it running, whatever the verdict
            process.wait(timeout=30)
            raise
    assert code == 0


def test_km_sandbox_rejects_a_bad_site_spec():
    result = subprocess.run([KM, "sandbox", "--site", "synthetic:two:10", "--port", str(_free_port())],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "synthetic:SPACES:PAGES" in result.stderr


@pytest.mark.parametrize("confluence_sandbox", [
    {"flavor": "datacenter", "site": "synthetic:1:30", "faults": {"latency_ms": 1}},
], indirect=True)
def test_the_shipped_pytest_fixture_takes_flavor_site_and_faults(confluence_sandbox):
    assert confluence_sandbox.options.flavor == "datacenter"
    body = httpx.get(confluence_sandbox.url + "/rest/api/content/search", auth=confluence_sandbox.basic_auth,
                     params={"cql": "type = page", "limit": 1}).json()
    assert body["totalSize"] == 30
