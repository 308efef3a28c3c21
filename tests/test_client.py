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
