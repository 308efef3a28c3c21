"""A Confluence REST client over httpx: auth, pagination by `_links.next`, and typed errors.

`_links.next` is relative to the site's context path (`/wiki` on Cloud, the context root on Server/DC),
so it is joined onto `_links.base` from the same response, never onto the request URL: dropping the
`/wiki` is the 404 LangChain shipped (langchain#11824).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx

from .errors import (
    AuthenticationError,
    ConfluenceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
)

__all__ = ["CONTENT_EXPAND", "ConfluenceClient"]

# One listing brings everything raw_content keeps, so no item needs a second request.
CONTENT_EXPAND = ",".join([
    "body.storage", "version", "history", "history.lastUpdated", "space", "ancestors", "metadata.labels",
    "restrictions.read.restrictions.user", "restrictions.read.restrictions.group",
])


class ConfluenceClient:
    """One connection to one site. `base_url` is what a user types: Cloud's ends in /wiki."""

    def __init__(self, base_url: str, auth: httpx.Auth, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(auth=auth, timeout=timeout, transport=transport,
                                  headers={"Accept": "application/json"}, follow_redirects=False)
        self.requests_made = 0

    @classmethod
    def basic(cls, base_url: str, username: str, secret: str, **kwargs: Any) -> ConfluenceClient:
        return cls(base_url, httpx.BasicAuth(username, secret), **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ConfluenceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never shows credentials
        return f"ConfluenceClient({self.base_url!r})"

    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> dict:
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.base_url + path_or_url
        try:
            response = self._http.get(url, params=params)
        except httpx.TransportError as err:
            raise ConfluenceError(f"cannot reach {url}: {type(err).__name__}: {err}", url=url) from None
        self.requests_made += 1
        _raise_for_status(response)
        try:
            body = response.json()
        except ValueError:
            kind = response.headers.get("content-type", "unknown content type")
            raise UnexpectedResponseError(
                f"{response.request.method} {url} answered {response.status_code} with {kind}, not JSON; "
                "is the URL a Confluence site (or a proxy's login page)?", status=response.status_code,
                url=url) from None
        if not isinstance(body, dict):
            raise UnexpectedResponseError(f"{url} answered a JSON {type(body).__name__}, expected an object",
                                          status=response.status_code, url=url)
        return body

    def paginate(self, path: str, params: dict[str, Any]) -> Iterator[dict]:
        """Every result of a v1 listing, following `_links.next` until the server stops giving one."""
        body = self.get_json(path, params)
        while True:
            yield from body.get("results", [])
            links = body.get("_links") or {}
            next_link = links.get("next")
            if not next_link:
                return
            body = self.get_json(self._join(links, next_link))

    def _join(self, links: dict, next_link: str) -> str:
        if next_link.startswith(("http://", "https://")):
            return next_link
        base = (links.get("base") or self.base_url).rstrip("/")
        return urljoin(base + "/", next_link.lstrip("/"))

    # -- the calls the pipeline makes -------------------------------------------------------------
    def current_user(self) -> dict:
        return self.get_json("/rest/api/user/current")

    def spaces(self, keys: list[str] | None = None, page_size: int = 100) -> Iterator[dict]:
        params: dict[str, Any] = {"limit": page_size}
        if keys:
            params["spaceKey"] = keys
        return self.paginate("/rest/api/space", params)

    def search_content(self, cql: str, *, expand: str = CONTENT_EXPAND, page_size: int = 50) -> Iterator[dict]:
        return self.paginate("/rest/api/content/search", {"cql": cql, "expand": expand, "limit": page_size})

    def attachments(self, content_id: str, page_size: int = 100) -> Iterator[dict]:
        return self.paginate(f"/rest/api/content/{content_id}/child/attachment", {"limit": page_size})


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    url = str(response.request.url)
    detail = _server_message(response)
    if status == 401:
        raise AuthenticationError(
            f"401 from {url}: credentials refused{detail}. Cloud wants the account e-mail as username and an "
            "API token; Server/DC wants a personal access token or a password.", status=status, url=url)
    if status == 403:
        raise PermissionDeniedError(f"403 from {url}: not allowed{detail}", status=status, url=url)
    if status == 404:
        raise NotFoundError(
            f"404 from {url}{detail}. Check the site URL: Cloud URLs end in /wiki, Server/DC URLs do not "
            "(unless it runs under a context path).", status=status, url=url)
    if status == 429:
        raise RateLimitedError(f"429 from {url}: rate limited{detail}", status=status, url=url)
    if status >= 500:
        raise ServerError(f"{status} from {url}{detail}", status=status, url=url)
    raise ConfluenceError(f"{status} from {url}{detail}", status=status, url=url)


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return f" ({message})" if message else ""
