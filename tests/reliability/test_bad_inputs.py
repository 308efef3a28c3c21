"""Issue 11: each classic mistake or broken answer stops the sync with one clear message naming the cause,
never the secret: bad km.yaml (each kind of mistake), wrong credentials, a wrong URL, a TLS failure, and
answers that are not Confluence's JSON (a proxy's HTML error or login page, a truncated body).

The broken answers come from a real HTTP server standing where Confluence should be (a misconfigured proxy
does exactly this); the sync is the real one (Dagster runs, the connection's client), not a mock.
"""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from reliability_support import TOKEN_ENV, Case, parquet_files

from km_assets.config import ConfigError, load_config
from km_assets.confluence import ConfluenceError
from km_assets.confluence.errors import (
    AuthenticationError,
    NotFoundError,
    ServerError,
    UnexpectedResponseError,
)
from km_assets.sandbox import Sandbox

SECRET = "reliability-SECRET-token-0123456789"
LOGIN = "sync-bot@northwind.example"

# -- km.yaml: each kind of mistake, one message naming the key and the reason ----------------------

GOOD = {"name": "demo", "url": "https://acme.atlassian.net/wiki",
        "auth": "{username: a@b.example, api_token_env: T}"}


def connection_yaml(**fields: str) -> str:
    keys = {**GOOD, **fields}
    return "connections:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in keys.items() if v is not None) + "\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("", "expected a mapping with a 'connections' key"),
    ("- just\n- a list\n", "expected a mapping with a 'connections' key"),
    ("connections: [\n", "not valid YAML"),
    ("storage: {root: ./data}\n", "connections: Field required"),
    (connection_yaml(url=None), "connections.0.url: Field required"),
    (connection_yaml(auth=None), "connections.0.auth: Field required"),
    (connection_yaml(page_size="many"), "connections.0.page_size: Input should be a valid integer"),
    (connection_yaml(page_size="0"), "connections.0.page_size: Input should be greater than or equal to 1"),
    (connection_yaml(deployment="onprem"), "connections.0.deployment: Input should be 'auto', 'cloud', 'server' "
                                           "or 'datacenter'"),
    (connection_yaml(schedule="sometimes"), "connections.0.schedule: Input should be 'hourly', 'daily' or 'weekly'"),
    (connection_yaml(spaces="ENG"), "connections.0.spaces: Input should be a valid dictionary"),
    (connection_yaml(rate_limit="{max_concurrency: 1000}"),
     "connections.0.rate_limit.max_concurrency: Input should be less than or equal to 64"),
    (connection_yaml(modified_after="yesterday"), "connections.0.modified_after: Input should be a valid date"),
    (connection_yaml(url="${NOT_SET_ANYWHERE}"), "connections[0].url: environment variable NOT_SET_ANYWHERE "
                                                 "is not set and has no default"),
    (connection_yaml(auth="{username: a@b.example, api_token_env: T, password: hunter2}"),
     "connections.0.auth.password: Extra inputs are not permitted"),
])
def test_each_kind_of_km_yaml_mistake_gets_one_message_naming_key_and_reason(tmp_path, text, expected):
    path = tmp_path / "km.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as failed:
        load_config(path, environ={})
    message = str(failed.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert "\n" not in message.strip() or "not valid YAML" in message, message
    assert "hunter2" not in message, "a value typed by mistake where a secret goes is echoed"


# -- the sync against wrong settings and broken answers -------------------------------------------

class Answers(BaseHTTPRequestHandler):
    """Whatever is asked, the canned answer of `server.mode`."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        mode = self.server.mode  # type: ignore[attr-defined]
        self.server.requests += 1  # type: ignore[attr-defined]
        if mode == "proxy-502":
            self._send(502, "text/html", b"<html><head><title>502 Bad Gateway</title></head><body><center>"
                                         b"<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")
        elif mode == "login-page":
            self._send(200, "text/html; charset=utf-8", b"<!DOCTYPE html><html><body><form action='/sso/login'>"
                                                         b"Sign in</form></body></html>")
        elif mode == "truncated-json":
            self._send(200, "application/json", b'{"results": [{"id": "65537", "type": "page", "title": "Eng')
        elif mode == "cut-short":  # declares more than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b'{"results": [')
            self.wfile.flush()
            self.close_connection = True
        else:
            self._send(500, "text/plain", b"unknown mode")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def answering(mode: str, tls: ssl.SSLContext | None = None) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    server.mode, server.requests = mode, 0  # type: ignore[attr-defined]
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def self_signed(folder: Path) -> ssl.SSLContext:
    """A server context with a certificate no trust store knows (as an internal CA's would be)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wiki.internal.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address(
                "127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def failed_sync(tmp_path: Path, url: str, secret: str, monkeypatch: pytest.MonkeyPatch,
                expected: type[ConfluenceError] = ConfluenceError) -> str:
    """The sync's error message; it must be one line without the secret, and nothing may be stored."""
    monkeypatch.setenv(TOKEN_ENV, secret)
    case = Case(tmp_path / "case")
    case.write_config(url, LOGIN, "    rate_limit: {max_retries: 1}\n")
    with case.instance() as instance, pytest.raises(expected) as failed:
        case.sync(instance, ["ENG"], permissions=False)
    message = str(failed.value)
    assert "\n" not in message, message
    assert secret not in message and SECRET not in message
    stored = [name for name in parquet_files(case.root) if "/integration_runs/" not in name]
    assert stored == [], f"a failed first sync stored data: {stored}"
    return message


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as running:
        yield running


def test_wrong_credentials_name_the_refusal_and_the_fix(sandbox, tmp_path, monkeypatch):
    message = failed_sync(tmp_path, sandbox.url, SECRET, monkeypatch, AuthenticationError)
    assert message.startswith(f"401 from {sandbox.url}/rest/api/content/search"), message
    assert "credentials refused" in message and "Cloud wants the account e-mail" in message


def test_a_url_without_wiki_names_the_404_and_the_fix(sandbox, tmp_path, monkeypatch):
    message = failed_sync(tmp_path, sandbox.root_url, sandbox.options.api_token, monkeypatch, NotFoundError)
    assert message.startswith(f"404 from {sandbox.root_url}/rest/api/content/search"), message
    assert "Cloud URLs end in /wiki" in message


def test_an_untrusted_certificate_fails_at_once_naming_tls_and_the_fix(tmp_path, monkeypatch):
    with answering("login-page", tls=self_signed(tmp_path)) as server:
        url = f"https://127.0.0.1:{server.server_address[1]}/wiki"
        message = failed_sync(tmp_path, url, SECRET, monkeypatch)
    assert f"TLS with 127.0.0.1:{server.server_address[1]} failed" in message, message
    assert "CERTIFICATE_VERIFY_FAILED" in message or "certificate" in message, message
    assert "SSL_CERT_FILE" in message
    assert server.requests == 0  # no HTTP request got through the handshake


def test_https_to_a_plain_http_port_fails_at_once_naming_tls(sandbox, tmp_path, monkeypatch):
    url = sandbox.url.replace("http://", "https://")
    message = failed_sync(tmp_path, url, sandbox.options.api_token, monkeypatch)
    assert f"TLS with 127.0.0.1:{sandbox.port} failed" in message, message
    assert "http/https" in message


@pytest.mark.parametrize(("mode", "error", "expected"), [
    ("proxy-502", ServerError, "502 from {url}/rest/api/content/search"),
    ("login-page", UnexpectedResponseError, "answered 200 with text/html; charset=utf-8, not JSON"),
    ("truncated-json", UnexpectedResponseError, "answered 200 with application/json that is not valid JSON"),
    ("cut-short", ConfluenceError, "RemoteProtocolError after 2 attempts"),
])
def test_answers_that_are_not_confluences_json_are_named(tmp_path, monkeypatch, mode, error, expected):
    with answering(mode) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/wiki"
        message = failed_sync(tmp_path, url, SECRET, monkeypatch, error)
    assert expected.format(url=url) in message, message
    hints = {"proxy-502": "an HTML page, not Confluence's JSON: a proxy or gateway in front of the site answered",
             "login-page": "is the URL a Confluence site (or a proxy's login page)?",
             "truncated-json": "the response was truncated or corrupted on the way",
             "cut-short": "peer closed connection without sending complete message body"}
    assert hints[mode] in message, message
