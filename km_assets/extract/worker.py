"""Extraction in a separate process that can be stopped: a per-file time limit and a memory cap.

One long-lived worker (a fresh interpreter, `python -m km_assets.extract.worker FD`, so nothing of the
parent is inherited and no caller needs an `if __name__ == "__main__"` guard, as multiprocessing's
spawn would) imports the converters once, then caps its own address space (RLIMIT_AS) at its idle size plus
`memory_mb`: a file that needs more raises MemoryError inside the worker, which is reported and the
worker replaced. A file that takes longer than `time_limit_s` gets the worker killed (SIGKILL) and
replaced. A worker that dies otherwise (a crash in a C library) is a reason row too. The parent never
parses a document itself, so none of this can take the run down.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Literal

from ..config import AttachmentSettings
from .convert import EXTRACTOR, classify_error, convert_file, warm_up
from .kinds import ZIP_KINDS, kind_of, refusal
from .zipguard import zip_problem

__all__ = ["Extraction", "Extractor", "Limits"]

Status = Literal["extracted", "skipped", "failed"]
START_TIMEOUT_S = 120.0  # importing the converters on a busy 2-core machine


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 52_428_800
    time_limit_s: float = 60.0
    memory_mb: int = 1024
    max_unpacked_bytes: int = 524_288_000
    media_types: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: AttachmentSettings) -> Limits:
        return cls(settings.max_bytes, settings.time_limit_s, settings.memory_mb, settings.max_unpacked_bytes,
                   tuple(settings.extract_media_types))


@dataclass(frozen=True)
class Extraction:
    status: Status
    reason: str | None = None
    markdown: str | None = None
    kind: str | None = None
    seconds: float = 0.0
    extractor: str = EXTRACTOR
    limited: bool = field(default=False)  # failed on a limit: another limit may succeed

    @property
    def chars(self) -> int:
        return len(self.markdown or "")


def _vm_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


def _serve(conn: Connection, memory_mb: int) -> None:
    """The worker's loop: jobs in, ("ok", markdown) or (kind, reason) out, until the pipe closes."""
    warm_up()
    cap = _vm_bytes() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            conn.send(("ok", convert_file(**job)))
        except MemoryError:
            conn.send(("memory", f"memory limit: needed more than attachments.memory_mb ({memory_mb} MB)"))
            return  # the heap may be in pieces: a fresh worker takes over
        except Exception as err:  # noqa: BLE001 - any library error is this file's problem, reported
            conn.send(("error", classify_error(err)))


class Extractor:
    """Files -> Extraction rows, one worker process at a time. Use as a context manager."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self.started = 0  # workers started: a test can see that a killed worker was replaced
        self.converted = 0  # files handed to a worker (the dedup tests count these)

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):  # a worker that died already cannot be asked to stop
                self._conn.send(None)
            self._conn.close()
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = self._conn = None

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def _worker(self) -> Connection:
        if self._conn is None:
            ours, theirs = socket.socketpair()
            process = subprocess.Popen(
                [sys.executable, "-m", "km_assets.extract.worker", str(theirs.fileno()), str(self.limits.memory_mb)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)  # library warnings ("Data-loss while decompressing") stay out of logs
            theirs.close()
            conn = Connection(ours.detach())
            self._process, self._conn, self.started = process, conn, self.started + 1
            if not conn.poll(START_TIMEOUT_S) or conn.recv()[0] != "ready":
                self._kill()
                raise RuntimeError("the extraction worker did not start (is markitdown installed?)")
        return self._conn

    def extract(self, path: Path | str, *, filename: str | None = None,
                media_type: str | None = None) -> Extraction:
        """Never raises for a file's content; a missing file or a refused type is a row too."""
        path = Path(path)
        filename = filename or path.name
        try:
            size = path.stat().st_size
        except OSError as err:
            return Extraction("failed", f"stored copy unreadable: {type(err).__name__}: {err}")
        reason = refusal(filename, media_type, size, max_bytes=self.limits.max_bytes,
                         allowed=self.limits.media_types)
        kind = kind_of(filename, media_type)
        if reason:
            return Extraction("skipped", reason, kind=kind)
        if size == 0:
            return Extraction("failed", "corrupt: an empty file (0 bytes)", kind=kind)
        if kind in ZIP_KINDS:
            problem = zip_problem(path, self.limits.max_unpacked_bytes)
            if problem:
                return Extraction("failed", problem, kind=kind)
        return self._convert(path, kind or "text", filename, media_type)

    def _convert(self, path: Path, kind: str, filename: str, media_type: str | None) -> Extraction:
        conn = self._worker()
        self.converted += 1
        started = time.perf_counter()
        conn.send({"path": str(path), "kind": kind, "filename": filename, "media_type": media_type})
        limit = self.limits.time_limit_s
        try:
            ready = conn.poll(limit)
            answer = conn.recv() if ready else None
        except (EOFError, OSError):
            ready, answer = True, None
        seconds = round(time.perf_counter() - started, 4)
        if not ready:
            self._kill()
            return Extraction("failed", f"time limit: stopped after {limit:g} s (attachments.time_limit_s)",
                              kind=kind, seconds=seconds, limited=True)
        if answer is None:
            code = self._process.poll() if self._process is not None else None
            self._kill()
            return Extraction("failed", f"the extraction worker died (exit code {code})", kind=kind,
                              seconds=seconds, limited=True)
        status, value = answer
        if status == "ok":
            return Extraction("extracted", None, value, kind=kind, seconds=seconds)
        if status == "memory":
            self._kill()
            return Extraction("failed", value, kind=kind, seconds=seconds, limited=True)
        return Extraction("failed", value, kind=kind, seconds=seconds)


if __name__ == "__main__":  # the worker process itself
    _serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
