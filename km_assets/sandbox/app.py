"""The sandbox's HTTP face: a Starlette app that answers like Confluence Cloud or Data Center.

- Cloud serves the API under /wiki, and again under Atlassian's gateway form
  /ex/confluence/{cloudId}/wiki/... (where scoped API tokens work); Basic auth with e-mail + token;
  the same token sent as Bearer gets Cloud's 403.
- Data Center serves at the root; Basic user + password, or a personal access token as Bearer. With
  anonymous access on, an invalid PAT is served as anonymous rather than refused (CONFSERVER-98199).
Every answer is counted by route and status, so tests can prove how polite a client was.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .admin import admin_routes
from .http import ApiContext, BadRequest, RequestCounters, SandboxOptions, error, json_response
from .routes_v1 import file_response, v1_routes
from .routes_v2 import v2_routes
from .rpc import rpc_routes
from .site import Site, User

__all__ = ["build_app"]

_CLOUD_BEARER = "Failed to parse Connect Session Auth Token"


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, secret = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    return user, secret


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class _Authenticator:
    """Decides who a request is, per flavor. Returns the user, None for anonymous, or a refusal."""

    def __init__(self, site: Site, options: SandboxOptions) -> None:
        self.site = site
        self.options = options

    def api_user(self) -> User:
        return self.site.users[self.options.api_user]

    def __call__(self, request: Request) -> User | None | Response:
        header = request.headers.get("authorization", "")
        opts = self.options
        basic = _basic(header)
        bearer = header[7:].strip() if header.lower().startswith("bearer ") else None
        gateway = bool(request.scope.get("km_gateway_prefix"))
        user = self.api_user()
        if opts.cloud:
            if basic is not None:
                name, secret = basic
                token_ok = _same(secret, opts.api_token) or (gateway and _same(secret, opts.scoped_token))
                if _same(name, user.email) and token_ok:
                    return user
                return error(401, "Basic authentication with passwords is deprecated. For more information, "
                                  "see: https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/")
            if bearer is not None:
                return error(403, _CLOUD_BEARER)
            return error(401, "This request requires authentication.")
        # Data Center
        if basic is not None:
            name, secret = basic
            if _same(name, user.username) and _same(secret, opts.api_token):
                return user
            return error(401, "Authentication failed: wrong username or password.")
        if bearer is not None:
            if _same(bearer, opts.pat):
                return user
            if opts.anonymous_access:
                return None  # CONFSERVER-98199: a bad PAT becomes anonymous, with a 200
            return error(401, "Authentication failed: the personal access token is not valid.")
        if opts.anonymous_access:
            return None
        return error(401, "This request requires authentication.")


def build_app(site: Site, options: SandboxOptions, counters: RequestCounters | None = None) -> Starlette:
    counters = counters if counters is not None else RequestCounters()
    api = ApiContext(site, options, counters)
    authenticate = _Authenticator(site, options)
    if options.api_user not in site.users:
        raise ValueError(f"the site has no user {options.api_user!r} for the API to log in as")

    def wrap(route: str, handler: Callable, *, authenticated: bool = True):
        async def endpoint(request: Request) -> Response:
            if authenticated:
                who = authenticate(request)
                if isinstance(who, Response):
                    counters.add(request, route, who.status_code)
                    return who
                request.scope["km_viewer"] = who
            try:
                result = await handler(request)
            except BadRequest as err:
                response: Response = error(400, str(err))
            else:
                response = (result if isinstance(result, Response)
                            else json_response(result, shared=request.scope.get("km_shared")))
            counters.add(request, route, response.status_code)
            return response
        return endpoint

    api_routes = v1_routes(api) + (v2_routes(api) if options.cloud else rpc_routes(api))

    async def tenant_info(request: Request) -> Response:
        return json_response({"cloudId": options.cloud_id})

    async def applinks_manifest(request: Request) -> Response:
        # Public on Server/DC: how clients learn the version (and so which permission APIs exist).
        version = options.dc_version
        return json_response({"id": "5b1c2d3e-0000-4000-8000-00000000dc01", "name": "Confluence",
                              "typeId": "confluence", "version": version,
                              "buildNumber": int("".join(f"{int(p):02d}" for p in version.split(".")[:3])),
                              "applinksVersion": "9.0.0", "url": api.base_url(request)})

    async def media(request: Request) -> Response:
        att = site.attachments.get(request.path_params["att"])
        if att is None or not hmac.compare_digest(request.query_params.get("token", ""),
                                                  api.media_token(att.id)):
            return error(404, "File not found")
        return file_response(att)

    async def download_servlet(request: Request) -> Response:
        # Cloud deprecated the servlet for API tokens (CHANGE-2735); DC still serves _links.download here.
        if options.cloud:
            return error(401, "Unauthorized: the download servlet does not accept API tokens")
        page_id, filename = request.path_params["id"], request.path_params["filename"]
        att = next((a for a in site.attachments_of(page_id) if a.filename == filename), None)
        content = site.content.get(page_id)
        if att is None or content is None or not site.can_view(api.viewer(request), content):
            return error(404, "Attachment not found")
        return file_response(att)

    routes: list[Route] = []
    prefix = api.context_path
    gateway = f"/ex/confluence/{options.cloud_id}"

    def with_gateway(request_handler: Callable) -> Callable:
        async def endpoint(request: Request) -> Response:
            request.scope["km_gateway_prefix"] = gateway
            return await request_handler(request)
        return endpoint

    for method, path, handler in api_routes:
        endpoint = wrap(path, handler)
        routes.append(Route(prefix + path, endpoint, methods=[method]))
        if options.cloud:
            routes.append(Route(gateway + prefix + path, with_gateway(endpoint), methods=[method]))
    if options.cloud:
        routes.append(Route("/_edge/tenant_info", wrap("/_edge/tenant_info", tenant_info, authenticated=False)))
        routes.append(Route("/media/file/{att}", wrap("/media/file/{att}", media, authenticated=False)))
    else:
        routes.append(Route("/rest/applinks/1.0/manifest",
                            wrap("/rest/applinks/1.0/manifest", applinks_manifest, authenticated=False)))
    routes.append(Route(prefix + "/download/attachments/{id}/{filename}",
                        wrap("/download/attachments/{id}/{filename}", download_servlet)))

    routes.extend(admin_routes(api))

    async def not_found(request: Request, exc: Exception) -> Response:
        counters.add(request, request.url.path, 404)
        return error(404, f"null for uri: {request.url}")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        counters.add(request, request.url.path, 405)
        return error(405, f"HTTP {request.method} is not supported by this URL")

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
    app.state.api = api
    return app
