"""Connection settings, read from km.yaml and the environment.

km.yaml names connections and filters; secrets are never written in it, only the names of the
environment variables that hold them. Strings may use ``${VAR}`` or ``${VAR:-default}`` so a URL can
follow the environment (the demo points its connection at a sandbox on a free port this way).
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .config_mapping import MappingSettings
from .config_permissions import PermissionSettings

__all__ = [
    "AttachmentSettings",
    "AuthSettings",
    "ConfigError",
    "ConnectionSettings",
    "KmConfig",
    "MappingSettings",
    "PermissionSettings",
    "RateLimitSettings",
    "SyncSettings",
    "TransformSettings",
    "load_config",
]

DEFAULT_CONFIG_PATH = "km.yaml"
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_CONNECTION_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


class ConfigError(ValueError):
    """km.yaml (or the environment it names) is not usable; the message names the key and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuthSettings(_Strict):
    """How to authenticate. Cloud: username (account e-mail) + API token; Server/DC: a PAT, or user + password."""

    username: str | None = None
    api_token_env: str | None = None
    pat_env: str | None = None
    password_env: str | None = None
    # Cloud scoped API tokens work only through Atlassian's gateway, addressed by the site's cloudId.
    scoped: bool = False
    gateway_url: str = "https://api.atlassian.com"

    def secret_env(self) -> str:
        names = [n for n in (self.api_token_env, self.pat_env, self.password_env) if n]
        if len(names) != 1:
            raise ConfigError(
                "auth: set exactly one of api_token_env, pat_env or password_env "
                f"(found {len(names)})"
            )
        return names[0]


class IncludeExclude(_Strict):
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)


class RateLimitSettings(_Strict):
    requests_per_second: float = Field(default=10.0, ge=0)
    max_concurrency: int = Field(default=4, ge=1, le=64)
    max_retries: int = Field(default=8, ge=0, le=50)
    # requests_per_second is the site's whole budget. How processes share it:
    # - machine (true): one bucket per site in a file that every process of this user on this machine
    #   takes its requests from (parallel spaces, a schedule next to `km sync`, Dagster's run workers);
    # - pool: for runs spread over machines (Kubernetes): each step that calls Confluence holds a slot of
    #   the connection's Dagster concurrency pool and takes requests_per_second / the pool's slots, so all
    #   steps together stay within the budget however many pods run them (defs/pools.py);
    # - none (false): each process has the whole rate (one process per site only).
    shared: Literal["machine", "pool", "none"] = "machine"

    @field_validator("shared", mode="before")
    @classmethod
    def _shared_from_bool(cls, value: object) -> object:
        return {True: "machine", False: "none"}.get(value, value) if isinstance(value, bool) else value


class AttachmentSettings(_Strict):
    """Downloads (size and media-type policy, checked before any request) and text extraction.

    Extraction runs in a worker process that is killed after `time_limit_s` and whose address space is
    capped at `memory_mb` above its idle size; archives, video, audio and images are never extracted.
    `mode`: `separate` writes one `attachment_articles` row per attachment version; `merged` marks
    them to be appended to the parent article instead.
    """

    download: bool = True
    max_bytes: int = Field(default=52_428_800, ge=0)
    media_types: list[str] = Field(default_factory=list)  # empty: all but the skipped kinds below
    skip_media_types: list[str] = Field(default_factory=lambda: ["video/", "audio/"])
    extract: bool = True
    mode: Literal["separate", "merged"] = "separate"
    extract_media_types: list[str] = Field(default_factory=list)  # empty: every kind we can extract
    time_limit_s: float = Field(default=60.0, gt=0, le=3600)
    memory_mb: int = Field(default=1024, ge=64, le=65536)
    # Office files are zips: what their members may unpack to, in total (zip-bomb guard).
    max_unpacked_bytes: int = Field(default=524_288_000, ge=0)


class TransformSettings(_Strict):
    """How storage format becomes Markdown. A policy per macro name: convert, html, placeholder or drop."""

    macros: dict[str, Literal["convert", "html", "placeholder", "drop"]] = Field(default_factory=dict)
    default_macro_policy: Literal["convert", "html", "placeholder", "drop"] = "convert"
    tables: Literal["auto", "html", "repeat"] = "auto"


class SyncSettings(_Strict):
    """Incremental sync. Windows start at `start` (set it to when the connection was first synced);
    everything modified before it is the history, fetched by one listing per space."""

    start: date = date(2026, 1, 1)
    lag_minutes: int = Field(default=15, ge=0)  # wait this long after a window ends (search index lag)
    overlap_minutes: int = Field(default=10, ge=0)  # each window's query starts this much earlier
    time_zone: str = "UTC"  # the site's time zone: CQL dates are read in it
    reconcile: Literal["hourly", "daily", "weekly"] = "daily"
    # Spaces synced at once by `km sync` (one worker process each, sharing the site's rate limit): one
    # space's listing waits on the network while another's articles convert. It pays where the network
    # is slow (5 spaces at 1 s per request: 97 -> 82 s with 2) and costs where CPU is short: each worker
    # holds Dagster and its own conversion pool (+320 MB for 2), and small syncs pay their start.
    parallel_spaces: int = Field(default=1, ge=1, le=32)


class ConnectionSettings(_Strict):
    name: str
    url: str
    deployment: Literal["auto", "cloud", "server", "datacenter"] = "auto"
    auth: AuthSettings
    spaces: IncludeExclude = Field(default_factory=IncludeExclude)
    page_trees: IncludeExclude = Field(default_factory=IncludeExclude)
    labels: IncludeExclude = Field(default_factory=IncludeExclude)
    content_types: list[Literal["page", "blogpost", "attachment", "comment"]] = Field(
        default_factory=lambda: ["page", "blogpost", "attachment"]
    )
    statuses: list[Literal["current", "archived"]] = Field(default_factory=lambda: ["current"])
    created_after: date | None = None
    created_before: date | None = None
    modified_after: date | None = None
    modified_before: date | None = None
    include_comments: bool = False
    schedule: Literal["hourly", "daily", "weekly"] = "daily"
    sync: SyncSettings = Field(default_factory=SyncSettings)
    page_size: int = Field(default=100, ge=1, le=250)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    attachments: AttachmentSettings = Field(default_factory=AttachmentSettings)
    transform: TransformSettings = Field(default_factory=TransformSettings)
    mapping: MappingSettings = Field(default_factory=MappingSettings)
    permissions: PermissionSettings = Field(default_factory=PermissionSettings)

    @field_validator("name")
    @classmethod
    def _name_is_an_asset_prefix(cls, value: str) -> str:
        # The name becomes a Dagster asset-key prefix and a storage folder.
        if not _CONNECTION_NAME.match(value):
            raise ValueError(
                "must start with a lowercase letter and use only lowercase letters, digits, '-' and '_'"
            )
        return value

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https:// (got {value!r})")
        return value.rstrip("/")

    @property
    def asset_prefix(self) -> str:
        return self.name.replace("-", "_")

    def secret(self, environ: dict[str, str] | None = None) -> str:
        """The API token / PAT / password, from the environment variable km.yaml names."""
        env = os.environ if environ is None else environ
        var = self.auth.secret_env()
        value = env.get(var)
        if not value:
            raise ConfigError(
                f"connection {self.name!r}: environment variable {var} is not set "
                f"(auth.{_secret_key(self.auth, var)} names it)"
            )
        return value


def _secret_key(auth: AuthSettings, var: str) -> str:
    for key in ("api_token_env", "pat_env", "password_env"):
        if getattr(auth, key) == var:
            return key
    return "?"


class StorageSettings(_Strict):
    root: str = "./data"


class ExecutorSettings(_Strict):
    """How a launched run executes its steps (Dagster's executor for every job of the code location).

    `multiprocess` (the default, as before): one process per step on the run's machine or pod;
    `max_concurrent` caps how many at once (default: the CPU count). `in_process`: every step in the
    run's own process, one after the other. `k8s`: each step is a Kubernetes job of its own
    (dagster-k8s: install `km_assets[k8s]`); `max_concurrent` caps the step pods of one run. Whatever
    the kind, the steps that call Confluence also wait for a slot of the connection's pool.
    `km sync` runs in process and ignores this.
    """

    kind: Literal["multiprocess", "in_process", "k8s"] = "multiprocess"
    max_concurrent: int | None = Field(default=None, ge=1, le=1024)

    @model_validator(mode="after")
    def _max_concurrent_needs_parallel_kind(self) -> ExecutorSettings:
        if self.kind == "in_process" and self.max_concurrent is not None:
            raise ValueError(
                "max_concurrent does not apply to kind in_process (it runs one step at a time); "
                "remove it or use kind multiprocess or k8s"
            )
        return self


class KmConfig(_Strict):
    storage: StorageSettings = Field(default_factory=StorageSettings)
    connections: list[ConnectionSettings]
    executor: ExecutorSettings = Field(default_factory=ExecutorSettings)

    @field_validator("connections")
    @classmethod
    def _unique_names(cls, value: list[ConnectionSettings]) -> list[ConnectionSettings]:
        seen: set[str] = set()
        for conn in value:
            if conn.asset_prefix in seen:
                raise ValueError(f"connection name {conn.name!r} is used twice")
            seen.add(conn.asset_prefix)
        return value

    def connection(self, name: str) -> ConnectionSettings:
        for conn in self.connections:
            if conn.name == name:
                return conn
        known = ", ".join(c.name for c in self.connections) or "none"
        raise ConfigError(f"no connection named {name!r} in km.yaml (known: {known})")


def _expand_env(value: object, environ: dict[str, str], where: str) -> object:
    if isinstance(value, dict):
        return {k: _expand_env(v, environ, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, environ, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{where}: environment variable {name} is not set and has no default")

    return _ENV_REFERENCE.sub(substitute, value)


def _format_validation_error(err: ValidationError) -> str:
    lines = []
    for problem in err.errors():
        location = ".".join(str(part) for part in problem["loc"])
        lines.append(f"{location}: {problem['msg']}")
    return "; ".join(lines)


def load_config(path: str | Path | None = None, environ: dict[str, str] | None = None) -> KmConfig:
    """Read km.yaml. Errors name the file, the key and the reason, and nothing is half-loaded."""
    env = dict(os.environ if environ is None else environ)
    config_path = Path(path or env.get("KM_CONFIG", DEFAULT_CONFIG_PATH))
    if not config_path.is_file():
        raise ConfigError(f"{config_path}: no such file (set KM_CONFIG or pass the path)")
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{config_path}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: expected a mapping with a 'connections' key")
    try:
        return KmConfig.model_validate(_expand_env(raw, env, ""))
    except ConfigError as err:
        raise ConfigError(f"{config_path}: {err}") from None
    except ValidationError as err:
        raise ConfigError(f"{config_path}: {_format_validation_error(err)}") from None
