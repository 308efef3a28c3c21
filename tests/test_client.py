"""Narrow client unit tests over httpx.MockTransport; end-to-end behaviour is tested against the sandbox."""

from __future__ import annotations

import httpx
import pytest

from km_assets.confluence import (
    AuthenticationError,
    ConfluenceClient,
    NotFoundError,
    PermissionDeniedError,
    UnexpectedResponseError,
    current_user,
)


def client(handler) -> ConfluenceClient:
    return ConfluenceClient.basic("https://acme.atlassian.net/wiki", "me@acme.example", "tok3n",
                                  transport=httpx.MockTransport(handler))


def test_next_link_is_joined_onto_base_keeping_the_wiki_context():
    """langchain#11824: `_links.next` is relative to the context path; dropping /wiki gives 404."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path + "?" + request.url.query.decode())
        start = int(request.url.params.get("start", 0))
        body = {"results": [{"id": str(start)}], "_links": {"base": "https://acme.atlassian.net/wiki",
                                                          "context": "/wiki"}}
        if start < 2:
            body["_links"]["next"] = f"/rest/api/content?limit=1&start={start + 1}"
        return httpx.Response(200, json=body)

    ids = [item["id"] for item in client(handler).paginate("/rest/api/content", {"limit": 1})]
    assert ids == ["0", "1", "2"]
    assert all(path.startswith("/wiki/rest/api/content") for path in seen)


def test_basic_auth_header_is_sent_and_never_in_repr():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Basic ")
        return httpx.Response(200, json={"type": "known"})

    c = client(handler)
    assert current_user(c) == {"type": "known"}
    assert "tok3n" not in repr(c)


@pytest.mark.parametrize(("status", "error", "hint"), [
    (401, AuthenticationError, "API token"),
    (403, PermissionDeniedError, "not allowed"),
    (404, NotFoundError, "/wiki"),
])
def test_http_errors_are_typed_with_a_hint(status, error, hint):
    c = client(lambda request: httpx.Response(status, json={"message": "nope"}))
    with pytest.raises(error, match=hint) as caught:
        current_user(c)
    assert caught.value.status == status
    assert "tok3n" not in str(caught.value)


def test_html_from_a_proxy_is_a_clear_error():
    c = client(lambda request: httpx.Response(200, text="<html>login</html>",
                                              headers={"content-type": "text/html"}))
    with pytest.raises(UnexpectedResponseError, match="text/html, not JSON"):
        current_user(c)


def test_deprecation_and_warning_299_are_logged_once_each():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": []}, headers={
            "Deprecation": "true", "Warning": '299 - "Deprecated API: use /wiki/api/v2/pages"'})

    c = client(handler)
    for _ in range(3):
        c.get_json("/rest/api/content")
    warnings = [e.message for e in c.events.events() if e.kind == "warning"]
    assert warnings == ["deprecation: true", 'warning: 299 - "Deprecated API: use /wiki/api/v2/pages"']


def test_retry_after_parsing_both_forms():
    from email.utils import formatdate

    from km_assets.confluence.politeness import parse_retry_after

    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(formatdate(1_000_010, usegmt=True), now=1_000_000) == 10
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_a_429_pauses_every_request_until_retry_after():
    """The next request (of any thread) waits the announced time; the fake clock proves it."""
    now = [0.0]
    sent_at = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    responses = iter([httpx.Response(429, headers={"Retry-After": "3"}, json={}),
                      httpx.Response(200, json={"ok": 1})])

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(now[0])
        return next(responses)

    c = ConfluenceClient.basic("https://acme.atlassian.net/wiki", "me", "tok", sleep=sleep,
                               clock=lambda: now[0], transport=httpx.MockTransport(handler))
    assert c.get_json("/rest/api/space") == {"ok": 1}
    assert sent_at[1] - sent_at[0] >= 3
    assert c.concurrency.limit < c.settings.max_concurrency


def test_server_errors_retry_then_raise_a_typed_error():
    from km_assets.confluence import ServerError
    from km_assets.confluence.client import ClientSettings

    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(502, json={"message": "bad gateway"})

    c = ConfluenceClient.basic("https://acme.atlassian.net/wiki", "me", "tok", sleep=lambda s: None,
                               settings=ClientSettings(max_retries=3), transport=httpx.MockTransport(handler))
    with pytest.raises(ServerError, match="after 4 attempts"):
        c.get_json("/rest/api/space")
    assert len(calls) == 4
