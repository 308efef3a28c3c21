"""Test Connection: does a configured connection work, and what would its first sync fetch?

Seven checks run in order; each says what it found and, when it fails, what to change in km.yaml or the
environment. A failed check stops the ones after it (they would fail for the same reason and bury the
cause); those are reported as not run. The secret is read once and scrubbed from every line of the
report, so a server that echoes a credential cannot leak it through us.
"""

from __future__ import annotations

import math
import os
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from ..config import ConfigError, ConnectionSettings
from .client import ClientSettings, ConfluenceClient
from .connect import client_for
from .cql import content_cql
from .deployment import Deployment, detect_deployment
from .errors import AuthenticationError, ConfluenceError, NotFoundError, PermissionDeniedError
from .listing import content_filter, current_user, list_spaces, page_size

__all__ = ["CHECKS", "Check", "ConnectionReport", "test_connection"]

CHECKS = ("secret", "reachability", "deployment", "identity", "spaces", "items", "first sync")
_SECRET_KINDS = {"api_token_env": "API token", "pat_env": "personal access token", "password_env": "password"}
_CONNECT_SESSION = "Failed to parse Connect Session Auth Token"
_API_TOKENS = "https://id.atlassian.com/manage-profile/security/api-tokens"


@dataclass
class Check:
    name: str
    ok: bool | None = None  # None: not run, because an earlier check failed
    detail: str = ""
    fix: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable findings (counts, versions)


class ConnectionReport(list[Check]):
    """The checks of one connection, in order."""

    def __init__(self, connection: str, url: str, checks: Iterable[Check] = ()) -> None:
        super().__init__(checks)
        self.connection, self.url = connection, url

    @property
    def ok(self) -> bool:
        return bool(self) and all(c.ok for c in self)

    def check(self, name: str) -> Check:
        return next(c for c in self if c.name == name)

    def text(self) -> str:
        lines = [f"Connection {self.connection!r} ({self.url})"]
        for check in self:
            mark = "PASS" if check.ok else "SKIP" if check.ok is None else "FAIL"
            lines.append(f"  {mark}  {check.name:<13} {check.detail}")
            if check.fix and check.ok is False:
                lines.append(f"        {'fix:':<13} {check.fix}")
        passed = sum(1 for c in self if c.ok)
        lines.append(f"  {'OK' if self.ok else 'FAILED'}: {passed} of {len(self)} checks passed")
        return "\n".join(lines)


def test_connection(connection: ConnectionSettings, environ: Mapping[str, str] = os.environ, *,
                    transport: httpx.BaseTransport | None = None) -> ConnectionReport:
    """Run the checks against the live site. What the site or the network does becomes a failed check."""
    run = _Diagnosis(connection, environ, transport)
    steps: list[Callable[[], Check]] = [run.secret, run.reachability, run.deployment, run.identity, run.spaces,
                                        run.items, run.estimate]
    report = ConnectionReport(connection.name, connection.url)
    try:
        for name, step in zip(CHECKS, steps, strict=True):
            if report and not report[-1].ok:
                report.append(Check(name, None, "not run: an earlier check failed"))
                continue
            try:
                check = step()
            except (ConfluenceError, httpx.HTTPError) as err:
                check = _fail(_describe(err), _generic_fix(err))
            check.name = name
            report.append(check)
    finally:
        if run.client is not None:
            run.client.close()
    for check in report:
        check.detail, check.fix = run.scrub(check.detail), run.scrub(check.fix)
    return report


# pytest would otherwise collect this function from any test module that imports it.
test_connection.__test__ = False  # type: ignore[attr-defined]


def _fail(detail: str, fix: str, **data: Any) -> Check:
    return Check("", False, detail, fix, data)


def _pass(detail: str, **data: Any) -> Check:
    return Check("", True, detail, "", data)


@dataclass
class _Diagnosis:
    """State shared by the checks: each one fills in what the next one needs."""

    connection: ConnectionSettings
    environ: Mapping[str, str]
    transport: httpx.BaseTransport | None
    var: str = ""
    secret_value: str = ""
    detected: Deployment | None = None
    client: ConfluenceClient | None = None
    keys: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def scrub(self, text: str) -> str:
        # Below 4 characters a "secret" protects nothing, and masking it would garble every word.
        return text.replace(self.secret_value, "***") if len(self.secret_value) >= 4 else text

    def secret(self) -> Check:
        auth = self.connection.auth
        try:
            self.var = auth.secret_env()
        except ConfigError as err:
            return _fail(str(err), "name the secret's variable with one of auth.api_token_env (Cloud), "
                                   "auth.pat_env or auth.password_env (Data Center)")
        key = next(k for k in _SECRET_KINDS if getattr(auth, k) == self.var)
        self.secret_value = self.environ.get(self.var, "")
        if not self.secret_value:
            return _fail(f"environment variable {self.var} is not set (auth.{key} names it)",
                         f"export {self.var}=<the {_SECRET_KINDS[key]}> in the environment that runs km")
        if not auth.pat_env and not auth.username:
            return _fail(f"auth.{key} means Basic auth, but auth.username is not set",
                         "set auth.username: the account e-mail on Cloud, the user name on Data Center")
        how = "sent as Bearer" if auth.pat_env else f"Basic auth as {auth.username}"
        return _pass(f"{self.var} is set ({_SECRET_KINDS[key]}, {how})")

    def reachability(self) -> Check:
        url, host = self.connection.url, _host(self.connection.url)
        try:
            # Detection starts with a plain GET of the site root, so a transport error here is the
            # connection's own (refused, DNS, TLS); its later probes only tell Cloud from DC.
            self.detected = detect_deployment(url, transport=self.transport, declared="auto")
        except (httpx.TransportError, httpx.InvalidURL) as err:
            return _fail(f"cannot reach {host}: {_describe(err)}", _reach_fix(err, host))
        secure = urlsplit(url).scheme == "https"
        return _pass(f"{host} answered ({'HTTPS, certificate verified' if secure else 'plain HTTP'})")

    def deployment(self) -> Check:
        assert self.detected is not None
        found, conn = self.detected, self.connection
        declared = "datacenter" if conn.deployment == "server" else conn.deployment
        identified = found.cloud_id is not None or found.version is not None
        problems: list[str] = []
        fixes: list[str] = []
        if found.site_url != conn.url:  # detection normalised a missing or extra /wiki
            problems += found.hints
            fixes.append(f"set url: {found.site_url}")
        if identified and declared not in ("auto", found.kind):
            problems.append(f"km.yaml says deployment: {conn.deployment}, but the site is {_kind_name(found)}")
            fixes.append(f"set deployment: {found.kind} (or auto)")
        if conn.auth.pat_env and found.kind == "datacenter" and (0,) < found.version_tuple < (7, 9):
            problems.append(f"personal access tokens need Data Center 7.9 or later; the site runs {found.version}")
            fixes.append("use auth.username with auth.password_env")
        if problems:
            return _fail("; ".join(problems), "; ".join(fixes), kind=found.kind, version=found.version)
        name = _kind_name(found)
        if not identified:  # no tenant_info, no applinks manifest (a proxy may hide them): trust km.yaml
            found = Deployment(declared if declared != "auto" else "datacenter", conn.url)
            name = f"not identified (no tenant_info, no applinks manifest); treated as {_kind_name(found)}"
        try:
            self.client = client_for(conn, self.secret_value, deployment=found, transport=self.transport,
                                     settings=_settings(conn))
        except ValueError as err:  # scoped tokens on a site without a cloudId
            return _fail(str(err), "scoped API tokens need a Cloud site; use auth.api_token_env otherwise")
        via = f"; API calls go through {self.client.base_url}" if conn.auth.scoped else ""
        return _pass(f"{name}{via}", kind=found.kind, version=found.version, cloud_id=found.cloud_id)

    def identity(self) -> Check:
        client, var = self._client(), self.var
        try:
            me = current_user(client)
        except AuthenticationError as err:
            return _fail(f"credentials refused: {err.status} from {err.url}", self._refused_fix())
        except PermissionDeniedError as err:
            if _CONNECT_SESSION not in str(err):
                return _fail(str(err), "give the account Confluence product access (a licence / 'can use')")
            return _fail(f"403 {_CONNECT_SESSION}: Cloud received the API token as a Bearer token (auth.pat_env)",
                         "Cloud API tokens use Basic auth: set username to the account email, and name "
                         f"{var} in auth.api_token_env instead of auth.pat_env")
        if me.get("type") == "anonymous":
            return _fail("Confluence served this request as anonymous: the personal access token was not "
                         "accepted (CONFSERVER-98199)",
                         "create a new personal access token for the sync user (Profile > Personal Access "
                         f"Tokens) and put it in {var}; with anonymous access on, Data Center ignores a bad "
                         "token instead of refusing it")
        ids = {k: me[k] for k in ("accountId", "email", "username", "userKey") if me.get(k)}
        who = me.get("displayName") or me.get("publicName") or "an unnamed user"
        shown = ", ".join(f"{k} {v}" for k, v in ids.items())
        return _pass(f"logged in as {who}" + (f" ({shown})" if shown else ""), user={"displayName": who, **ids})

    def _refused_fix(self) -> str:
        auth, var = self.connection.auth, self.var
        deployment = self._client().deployment
        if deployment is not None and deployment.kind == "cloud":
            if auth.password_env:
                return (f"Cloud refuses passwords over the API: create an API token at {_API_TOKENS}, put it "
                        f"in {var} and name it with auth.api_token_env")
            return (f"Cloud wants Basic auth with the account e-mail and an API token: check auth.username "
                    f"(now {auth.username!r}) and that {var} holds a current API token ({_API_TOKENS})")
        if auth.pat_env:
            return (f"{var} must hold a valid, unexpired personal access token of the sync user "
                    "(Profile > Personal Access Tokens)")
        return (f"check auth.username (the Data Center user name, not the e-mail, now {auth.username!r}) "
                f"and the password in {var}; or use a personal access token with auth.pat_env")

    def spaces(self) -> Check:
        client, spaces = self._client(), self.connection.spaces
        if not spaces.include:
            self.keys = list_spaces(client, self.connection)
            if not self.keys:
                return _fail("this user can read no spaces (after spaces.exclude)",
                             "grant the sync user View on the spaces to import")
            return _pass(f"{len(self.keys)} readable spaces (spaces.include is empty: all are imported): "
                         f"{_some(self.keys)}", spaces=self.keys)
        missing: list[str] = []
        for key in (k for k in spaces.include if k not in spaces.exclude):
            try:
                client.get_json(f"/rest/api/space/{quote(key, safe='')}")
                self.keys.append(key)
            except NotFoundError:
                missing.append(key)
        if missing:
            # One page of readable spaces is enough to spot a typo; listing them all could take long.
            readable = [s["key"] for s in client.get_json("/rest/api/space", {"limit": 50}).get("results", [])]
            return _fail(f"{', '.join(missing)}: not found or this user cannot read it",
                         f"fix spaces.include (this user can read: {_some(readable)}), or grant the sync "
                         "user View on the space", missing=missing)
        if not self.keys:
            return _fail("spaces.exclude removes every space in spaces.include", "review spaces in km.yaml")
        return _pass(f"{len(self.keys)} configured spaces exist and are readable: {_some(self.keys)}",
                     spaces=self.keys)

    def items(self) -> Check:
        flt = content_filter(self.connection)
        for key in self.keys:
            cql = content_cql(key, flt)
            try:
                self.counts[key] = self._total(cql) if flt.content_types else 0
            except ConfluenceError as err:
                if err.status != 400:
                    raise
                return _fail(f"the site refused the filters' CQL for {key}: {err}",
                             f"check labels, page_trees and dates in km.yaml (CQL: {cql})")
        total = sum(self.counts.values())
        per = ", ".join(f"{k} {n}" for k, n in self.counts.items())
        return _pass(f"{total} pages and blog posts match the filters: {per}", per_space=dict(self.counts),
                     total=total)

    def _total(self, cql: str) -> int:
        # limit=1, no expansions: one small answer per space. Cloud's content/search may omit totalSize,
        # so fall back to rest/api/search, which reports it on both deployments.
        for path in ("/rest/api/content/search", "/rest/api/search"):
            total = self._client().get_json(path, {"cql": cql, "limit": 1}).get("totalSize")
            if isinstance(total, int):
                return total
        raise ConfluenceError(f"the site reported no totalSize for CQL {cql}")

    def estimate(self) -> Check:
        size = page_size(self._client(), self.connection)  # what the sync will get (DC: 50 with bodies)
        # One request per page of results, plus one per space (an empty space still costs a request).
        requests = sum(math.ceil(n / size) + 1 for n in self.counts.values())
        rate = self.connection.rate_limit.requests_per_second
        seconds = requests / rate if rate > 0 else None
        basis = f"at least {requests} requests ({len(self.counts)} spaces, page size {size})"
        pace = (f"take at least {_duration(seconds)} at {rate:g} requests/s" if seconds is not None
                else "have no rate limit (requests_per_second: 0): only the server's latency bounds them")
        return _pass(f"{basis} {pace}; a lower bound: attachments, comments, retries and the server's "
                     "latency add to it", requests=requests, page_size=size, requests_per_second=rate,
                     seconds=seconds)

    def _client(self) -> ConfluenceClient:
        assert self.client is not None, "the deployment check creates the client"
        return self.client


def _settings(connection: ConnectionSettings) -> ClientSettings:
    limits = connection.rate_limit
    # Few retries: a diagnosis should answer in seconds; a sync's patience would only delay the verdict.
    return ClientSettings(requests_per_second=limits.requests_per_second, max_concurrency=limits.max_concurrency,
                          max_retries=min(limits.max_retries, 2), backoff_max=2.0, timeout=15.0)


def _host(url: str) -> str:
    parts = urlsplit(url)  # hostname and port only: a netloc may carry user:password@
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _root_cause(err: BaseException) -> BaseException:
    seen = {id(err)}
    while (nxt := err.__cause__ or err.__context__) is not None and id(nxt) not in seen:
        seen.add(id(nxt))
        err = nxt
    return err


def _describe(err: BaseException) -> str:
    """`ConnectError (ConnectionRefusedError): [Errno 111] ...`: httpx wraps the OS error that says most."""
    root, name = _root_cause(err), type(err).__name__
    if root is not err and type(root).__name__ != name:
        name += f" ({type(root).__name__})"
    return f"{name}: {err}" if str(err) else name


def _generic_fix(err: Exception) -> str:
    status = getattr(err, "status", None) or 0
    return ("the site is rate limiting this user: lower rate_limit.requests_per_second, or retry later"
            if status == 429 else "the site answered with server errors: retry later, or ask its administrator"
            if status >= 500 else "fix the error above, then run km test-connection again")


def _reach_fix(err: BaseException, host: str) -> str:
    root = _root_cause(err)
    text = f"{err} {root}".lower()
    if isinstance(root, ssl.SSLError) or "ssl" in text or "certificate" in text:
        return (f"TLS with {host} failed: if the site uses an internal CA, point SSL_CERT_FILE at its bundle; "
                "check that the URL's scheme (http/https) matches the port")
    if isinstance(root, socket.gaierror) or "name or service" in text or "nodename" in text:
        return f"DNS does not know {host.split(':')[0]}: check the host name in url (VPN? proxy?)"
    if isinstance(root, ConnectionRefusedError) or "refused" in text:
        return f"nothing listens on {host}: check the host and port in url, and that Confluence is running"
    if isinstance(err, httpx.TimeoutException):
        return "no answer in time: check firewalls, or set HTTPS_PROXY if the site is reached through a proxy"
    return f"check url and the network between this machine and {host}"


def _kind_name(deployment: Deployment) -> str:
    if deployment.kind == "cloud":
        return "Confluence Cloud" + (f" (cloudId {deployment.cloud_id})" if deployment.cloud_id else "")
    return "Confluence Data Center" + (f" {deployment.version}" if deployment.version else "")


def _some(keys: list[str], limit: int = 20) -> str:
    more = f" and {len(keys) - limit} more" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more if keys else "none"


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.0f} min" if seconds < 7200 \
        else f"{seconds / 3600:.1f} h"
