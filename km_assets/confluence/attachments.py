"""Downloading attachments to files: streamed, size-capped, hashed, atomic, once per version.

- Cloud: `/rest/api/content/{page}/child/attachment/{att}/download?version=N` answers 302 to the media
  host (the servlet path refuses API tokens, CHANGE-2735). httpx applies the client's auth to the first
  request only and drops Authorization when a redirect leaves the origin (except an http->https upgrade
  of the same host), so the media host never sees our credentials; a test pins this.
- Data Center: `_links.download` (servlet, ?version=) joined onto the client's base URL, not onto
  `_links.base`: a DC with a misconfigured base URL would otherwise get our credentials elsewhere.
- Files land at root/<container>/<attachment>/v<version>/<safe name>, written to a temp name beside it
  and renamed when complete, with a sidecar JSON (size, sha256) that lets a re-run skip them. On object
  storage (an fsspec URL root) a download is spooled to a local temporary file and uploaded in one put.
- One attachment's failure is a row; refused credentials are not an item problem and propagate.
- One download per stored binary (`identity`): Confluence gives no hash before a download, but Cloud
  names each stored binary by its media `fileId`, so attachments sharing one (a page copied with its
  files) are fetched once, and a binary stored by an earlier run (`known`) is not fetched again. Data
  Center has no such id: there an attachment version is its own identity, and equal bytes are only
  found after the download (the extraction step de-duplicates by sha256).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import secrets
import tempfile
import threading
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal
from urllib.parse import quote, urlsplit

import httpx
from upath import UPath

from ..config import AttachmentSettings
from ..storage_root import is_local, root_path
from .client import ConfluenceClient
from .errors import AuthenticationError, ConfluenceError, PermissionDeniedError

__all__ = ["DownloadResult", "LocalStore", "ObjectStore", "UnsafePathError", "attachment_path",
           "download_attachment", "download_attachments", "download_request", "file_store", "identity",
           "safe_filename", "skip_reason"]

Status = Literal["downloaded", "skipped", "failed"]
CHUNK_BYTES = 64 * 1024
STREAM_ATTEMPTS = 3  # the client retries until headers arrive; a body cut mid-stream restarts here
SIDECAR = ".km-attachment.json"
MAX_NAME_BYTES = 200
ALREADY_STORED = "already stored"

_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"{kind}{n}" for kind in ("COM", "LPT") for n in "0123456789¹²³")}
_FORBIDDEN = re.compile(r'[<>:"|?*]')  # not portable to Windows; / and \ are handled as separators
_BIDI = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_URL_TAIL = re.compile(r"(https?://[^\s?#]+)[?#]\S*")  # media URLs carry their token in the query


@dataclass(frozen=True)
class DownloadResult:
    attachment_id: str
    container_id: str
    version: int
    status: Status
    reason: str | None = None
    path: str | None = None  # relative to root, POSIX form
    bytes: int | None = None
    sha256: str | None = None
    media_type: str | None = None


class UnsafePathError(ValueError):
    """A target path that would resolve outside root (a symlink planted inside it, say)."""


# -- names and paths --------------------------------------------------------------------------------
def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """One path component that is safe on POSIX and Windows and at most 200 bytes of UTF-8."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]  # the base name, whichever separator the uploader's OS used
    # Control characters (NUL included) and bidi overrides ("gnp.exe" shown as "exe.png") go.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc").translate(_BIDI)
    text = _FORBIDDEN.sub("_", text).strip(" ").rstrip(". ")  # Windows drops trailing dots and spaces
    if not text.strip("."):  # "", ".", "..", "...": nothing usable
        return safe_filename(fallback) if fallback and fallback != name else "attachment"
    if text.split(".")[0].rstrip(" ").upper() in _RESERVED:  # CON.txt is the console, whatever follows
        text = "_" + text
    return _truncate(text, MAX_NAME_BYTES)


def _truncate(text: str, limit: int) -> str:
    if len(text.encode()) <= limit:
        return text
    stem, dot, ext = text.rpartition(".")
    ext = dot + ext if stem and dot and len(ext.encode()) <= 16 else ""  # keep an extension, not a tail
    stem = text[: len(text) - len(ext)].encode()[: limit - len(ext.encode())].decode("utf-8", "ignore")
    return stem.rstrip(". ") + ext


def attachment_path(record: dict[str, Any]) -> PurePosixPath:
    """<container>/<attachment>/v<version>/<safe name>, relative to the store's root."""
    att = str(record["attachment_id"])
    name = safe_filename(record.get("filename"), fallback=att)
    if name.lower() == SIDECAR:  # lower: case-insensitive file systems
        name = "_" + name
    return PurePosixPath(safe_filename(str(record["container_id"]), "_"), safe_filename(att, "_"),
                         f"v{int(record.get('version') or 1)}", name)


class _Sidecars(ABC):
    """The JSON sidecar beside each stored file (what was downloaded, its size and hash), through the
    store's own `path` and `writer`, so it is written as atomically as the file itself."""

    @abstractmethod
    def path(self, rel: PurePosixPath) -> Path | UPath: ...

    @abstractmethod
    def writer(self, rel: PurePosixPath) -> AbstractContextManager[IO[bytes]]: ...

    def read_meta(self, rel: PurePosixPath) -> dict[str, Any] | None:
        try:
            meta = json.loads(self.path(rel).with_name(SIDECAR).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) else None

    def write_meta(self, rel: PurePosixPath, meta: dict[str, Any]) -> None:
        with self.writer(rel.with_name(SIDECAR)) as handle:
            handle.write(json.dumps(meta, indent=1, sort_keys=True).encode())


class LocalStore(_Sidecars):
    """Where downloads land. Every file operation goes through here, so an fsspec store can replace it."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, rel: PurePosixPath) -> Path:
        target = self.root / rel
        if not target.resolve().is_relative_to(self.root.resolve()):
            raise UnsafePathError(f"{rel} would resolve outside the attachment root")
        return target

    @contextmanager
    def writer(self, rel: PurePosixPath) -> Iterator[IO[bytes]]:
        """A file that appears at `rel` only when the block completes; a partial one is removed."""
        final = self.path(rel)
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")  # same dir: rename is atomic
        try:
            with open(temp, "xb") as handle:
                yield handle
            # No fsync: a file torn by a crash fails its sidecar check and is downloaded again.
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def matches(self, rel: PurePosixPath, size: int, sha256: str) -> bool:
        """Whether the stored file still has this size and hash (re-hashed: cheap next to a download)."""
        target = self.path(rel)
        try:
            if target.stat().st_size != size:
                return False
            with open(target, "rb") as handle:
                return hashlib.file_digest(handle, "sha256").hexdigest() == sha256
        except OSError:
            return False

    @contextmanager
    def local_copy(self, rel: PurePosixPath) -> Iterator[Path]:
        """A local file holding the stored one, for readers that need a path (the extraction worker)."""
        yield self.path(rel)


_MAX_KEY_PART_BYTES = 255


class ObjectStore(_Sidecars):
    """Downloads on object storage (a root such as s3://bucket/km/demo/attachment_files): the same interface
    as LocalStore. Object stores have no symlinks and no dot segments, so containment is checked on the
    name itself, as strictly: a relative path of plain components (no '', '.', '..', no control character,
    no backslash, none over 255 bytes) whose joined key stays under the root's key."""

    def __init__(self, root: UPath | str) -> None:
        self.root = root_path(root)

    def path(self, rel: PurePosixPath) -> UPath:
        text = str(rel)
        parts = text.split("/")
        unsafe = (rel.is_absolute() or text.startswith("/") or not text
                  or any(part in ("", ".", "..") or len(part.encode()) > _MAX_KEY_PART_BYTES
                         or "\\" in part or any(unicodedata.category(ch) == "Cc" for ch in part)
                         for part in parts))
        base = self.root.path.rstrip("/")
        if unsafe or not posixpath.normpath(f"{base}/{text}").startswith(f"{base}/"):
            raise UnsafePathError(f"{rel} would resolve outside the attachment root")
        return self.root.joinpath(*parts)

    @contextmanager
    def writer(self, rel: PurePosixPath) -> Iterator[IO[bytes]]:
        """An object that appears at `rel` only when the block completes: the bytes are spooled to a local
        temporary file and uploaded in one put (a multipart upload is completed only at its end, and aborted
        on failure), so a reader never sees part of one and a failed download leaves nothing."""
        final = self.path(rel)
        with tempfile.TemporaryDirectory(prefix="km-attachment-") as scratch:
            local = os.path.join(scratch, "part")
            with open(local, "xb") as handle:
                yield handle
            final.fs.put_file(local, final.path)

    def matches(self, rel: PurePosixPath, size: int, sha256: str) -> bool:
        """Whether the stored object still has this size and hash (re-hashed, as on local storage)."""
        target = self.path(rel)
        try:
            if target.stat().st_size != size:
                return False
            digest = hashlib.sha256()
            with target.open("rb") as handle:
                while chunk := handle.read(CHUNK_BYTES * 16):
                    digest.update(chunk)
            return digest.hexdigest() == sha256
        except OSError:
            return False

    @contextmanager
    def local_copy(self, rel: PurePosixPath) -> Iterator[Path]:
        """The object downloaded to a local temporary file (under its own name, so its extension still
        tells its kind), removed afterwards."""
        target = self.path(rel)
        with tempfile.TemporaryDirectory(prefix="km-attachment-") as scratch:
            local = Path(scratch) / target.name
            target.fs.get_file(target.path, str(local))
            yield local


def file_store(root: Path | UPath | str | LocalStore | ObjectStore) -> LocalStore | ObjectStore:
    """The store for a root: a local folder (LocalStore, its checks unchanged), else object storage."""
    if isinstance(root, LocalStore | ObjectStore):
        return root
    if isinstance(root, Path):
        return LocalStore(root)
    path = UPath(root)
    return LocalStore(Path(path.path)) if is_local(path) else ObjectStore(path)


# -- policy -----------------------------------------------------------------------------------------
def _allowed(media: str, pattern: str) -> bool:
    pattern = pattern.strip().lower().removesuffix("*")
    return media.startswith(pattern) if pattern.endswith("/") else media == pattern


def skip_reason(record: dict[str, Any], settings: AttachmentSettings) -> str | None:
    """Why this attachment is not to be downloaded at all, decided from its listing row alone."""
    if not settings.download:
        return "attachment downloads are off (attachments.download)"
    media = (record.get("media_type") or "").split(";")[0].strip().lower()  # without parameters
    skipped = next((p for p in settings.skip_media_types if media and media.startswith(p.strip().lower())), None)
    if skipped:
        return f"media type {media} is skipped (attachments.skip_media_types: {skipped})"
    if settings.media_types and not any(_allowed(media, p) for p in settings.media_types):
        return f"media type {media or 'unknown'} is not in attachments.media_types"
    size = _declared(record)
    if size is not None and size > settings.max_bytes:
        return f"declared size {size} bytes exceeds attachments.max_bytes ({settings.max_bytes})"
    return None


def _declared(record: dict[str, Any]) -> int | None:
    """The listing's fileSize, or None when absent or garbled (then only the stream can tell)."""
    value = record.get("file_size")
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


# -- where to download from -------------------------------------------------------------------------
def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def download_request(client: ConfluenceClient, record: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """(path or URL, query) for this attachment: Cloud's REST download or Data Center's servlet link."""
    container, att = quote(str(record["container_id"]), safe=""), quote(str(record["attachment_id"]), safe="")
    version = int(record.get("version") or 1)
    link = record.get("download_path") or ""
    kind = client.deployment.kind if client.deployment is not None else None
    if kind is None:  # undetected: the link's shape tells (Cloud moved it to REST, onyx PR #12124)
        host = urlsplit(client.base_url)
        cloud = link.startswith("/rest/api/") or host.netloc.endswith(".atlassian.net") or "/ex/confluence/" in host.path
        kind = "cloud" if cloud else "datacenter"
    if kind == "cloud":
        return f"/rest/api/content/{container}/child/attachment/{att}/download", {"version": version}
    relative = link.startswith("/") and not link.startswith("//")  # relative to the site base = our base URL
    if (relative or (link and _origin(link) == _origin(client.base_url))) and _plain(urlsplit(link).path):
        return link, None
    name = quote(str(record.get("filename") or ""), safe="")
    name = name.replace(".", "%2E") if not name.strip(".") else name  # "." and ".." are dot segments too
    return f"/download/attachments/{container}/{name}", {"version": version, "api": "v2"}


def _plain(path: str) -> bool:
    """A servlet link with no dot segments: a file named ../../x must not steer our credentials elsewhere."""
    return "/download/attachments/" in path and not {".", ".."} & set(path.split("/"))


# -- downloading ------------------------------------------------------------------------------------
class _TooLarge(Exception):
    """Over max_bytes once the server answered: a skip, with the partial file already gone."""


def _clean(client: ConfluenceClient, text: str) -> str:
    """A reason fit for rows and logs: no query strings (media tokens), no known secret."""
    return client.events.redact(_URL_TAIL.sub(r"\1?…", text)) or ""


def _result(record: dict[str, Any], status: Status, reason: str | None = None, **fields: Any) -> DownloadResult:
    return DownloadResult(str(record["attachment_id"]), str(record["container_id"]),
                          int(record.get("version") or 1), status, reason,
                          media_type=record.get("media_type"), **fields)


def download_attachment(client: ConfluenceClient, record: dict[str, Any],
                        root: Path | UPath | str | LocalStore | ObjectStore,
                        settings: AttachmentSettings) -> DownloadResult:
    """Download one attachment row (from `attachment_record`) under root, unless policy or the store says not.

    Raises AuthenticationError / PermissionDeniedError when the site itself refuses us: that is the
    connection's problem, not this item's. Everything else becomes a "skipped" or "failed" result.
    """
    store = file_store(root)
    reason = skip_reason(record, settings)
    if reason:
        return _note(client, _result(record, "skipped", reason))
    try:
        rel = attachment_path(record)
        meta = store.read_meta(rel) or {}
        size, sha256, declared = meta.get("bytes"), meta.get("sha256"), _declared(record)
        if isinstance(size, int) and isinstance(sha256, str) and declared in (None, size) \
                and store.matches(rel, size, sha256):  # Confluence declaring another size: fetch again
            return _result(record, "skipped", ALREADY_STORED, path=str(rel), bytes=size, sha256=sha256)
        url, params = download_request(client, record)
        failure = "no attempt made"
        for _ in range(STREAM_ATTEMPTS):
            try:
                return _fetch(client, store, rel, url, params, record, settings)
            except httpx.TooManyRedirects:
                failure = "too many redirects"
                break
            except (httpx.TransportError, httpx.DecodingError) as err:  # the body broke off: start again
                failure = f"{type(err).__name__}: {err}"
    except _TooLarge as err:
        return _note(client, _result(record, "skipped", str(err)))
    except (AuthenticationError, PermissionDeniedError) as err:
        if err.url is None or _origin(err.url) == _origin(client.url("/")):
            raise
        failure = f"HTTP {err.status} from the media host"  # an expired media token, not our credentials
    except ConfluenceError as err:  # the client already retried 429/5xx/network errors
        failure = f"HTTP {err.status} from {urlsplit(err.url).path}" if err.status and err.url else str(err)
    except (OSError, UnsafePathError) as err:
        failure = f"{type(err).__name__}: {err}"
    return _note(client, _result(record, "failed", _clean(client, failure)))


def _fetch(client: ConfluenceClient, store: LocalStore | ObjectStore, rel: PurePosixPath, url: str,
           params: dict[str, Any] | None, record: dict[str, Any], settings: AttachmentSettings) -> DownloadResult:
    limit = settings.max_bytes
    response = client.request("GET", url, params=params, stream=True, follow_redirects=True)
    try:
        length = response.headers.get("content-length")
        encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
        if length and length.isdigit() and not encoded and int(length) > limit:
            raise _TooLarge(f"the server sends {int(length)} bytes, more than attachments.max_bytes ({limit}); "
                            f"the listing declared {record.get('file_size')}")
        digest, size = hashlib.sha256(), 0
        with store.writer(rel) as handle:
            for chunk in response.iter_bytes(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:  # the listing's size was wrong (or absent): stop, the writer removes the part
                    raise _TooLarge(f"stopped after {size} bytes, over attachments.max_bytes ({limit}); "
                                    f"the listing declared {record.get('file_size')}")
                digest.update(chunk)
                handle.write(chunk)
    finally:
        response.close()
    sha256 = digest.hexdigest()
    store.write_meta(rel, {"attachment_id": str(record["attachment_id"]), "version": int(record.get("version") or 1),
                           "filename": record.get("filename"), "media_type": record.get("media_type"),
                           "bytes": size, "sha256": sha256})
    return _result(record, "downloaded", path=str(rel), bytes=size, sha256=sha256)


def _note(client: ConfluenceClient, result: DownloadResult) -> DownloadResult:
    client.events.record("skipped", item_id=result.attachment_id, message=f"{result.status}: {result.reason}")
    return result


def identity(record: dict[str, Any]) -> str:
    """What names one stored binary before it is downloaded: Cloud's media fileId, else the version."""
    file_id = record.get("file_id")
    if file_id:
        return f"file:{file_id}"
    return f"attachment:{record['attachment_id']}:v{int(record.get('version') or 1)}"


def _stored(store: LocalStore | ObjectStore, rel: str | None, record: dict[str, Any]) -> DownloadResult | None:
    """The binary an earlier run stored for this identity, if it is still there and intact."""
    if not rel:
        return None
    try:
        path = PurePosixPath(rel)
        meta = store.read_meta(path) or {}
        size, sha256 = meta.get("bytes"), meta.get("sha256")
        if isinstance(size, int) and isinstance(sha256, str) and store.matches(path, size, sha256):
            return _result(record, "skipped", ALREADY_STORED, path=rel, bytes=size, sha256=sha256)
    except (UnsafePathError, ValueError, OSError):
        pass  # a row naming a path outside the store is not trusted: download again
    return None


def download_attachments(client: ConfluenceClient, records: Iterable[dict[str, Any]],
                         root: Path | UPath | str | LocalStore | ObjectStore, settings: AttachmentSettings,
                         known: Mapping[str, str] | None = None) -> Iterator[DownloadResult]:
    """Download many, once per `identity`, at most the client's concurrency at once.

    `known` maps identities to paths (relative to root) that earlier runs stored: those are checked
    on disk, not fetched. Attachments sharing an identity get the one download's result, with a
    reason naming the attachment it came from. Results come in completion order.

    401 always propagates. 403 propagates until one download has succeeded: before that it most
    likely means the token is of the wrong kind; after it, one page is closed to us.
    """
    store = file_store(root)
    known = known or {}
    proven = threading.Event()
    groups: dict[str, list[dict[str, Any]]] = {}
    for n, record in enumerate(records):
        # Policy is per attachment (its own name and media type): a refused one is never a group's member.
        key = f"refused:{n}" if skip_reason(record, settings) else identity(record)
        groups.setdefault(key, []).append(record)

    def fetch(record: dict[str, Any]) -> DownloadResult:
        try:
            result = (None if skip_reason(record, settings) else _stored(store, known.get(identity(record)), record)) \
                or download_attachment(client, record, store, settings)  # which applies the policy again
        except PermissionDeniedError as err:
            if not proven.is_set():
                raise
            path = urlsplit(err.url).path if err.url else "the site"
            result = _note(client, _result(record, "failed", f"HTTP 403 from {path}"))
        if result.status == "downloaded":
            proven.set()
        return result

    def one(group: list[dict[str, Any]]) -> list[DownloadResult]:
        # A member whose download fails (deleted since the listing, say) keeps its failure; the next
        # member tries, and the first success serves the rest.
        results: list[DownloadResult] = []
        for n, record in enumerate(group):
            result = fetch(record)
            results.append(result)
            if result.status != "failed":
                return results + [_same_file(result, other) for other in group[n + 1:]]
        return results

    for _, results in client.map_concurrently(one, list(groups.values())):
        yield from results


def _same_file(result: DownloadResult, record: dict[str, Any]) -> DownloadResult:
    reason = result.reason if result.reason == ALREADY_STORED or result.status != "downloaded" else \
        f"same file as {result.attachment_id} ({identity(record)}): downloaded once"
    return replace(result, attachment_id=str(record["attachment_id"]), container_id=str(record["container_id"]),
                   version=int(record.get("version") or 1), reason=reason, media_type=record.get("media_type"))
