"""Syncing a connection's spaces in parallel worker processes.

Why processes, not threads: a space's run converts its articles in forked worker processes, which is
only safe while the process has a single thread, and conversion is CPU-bound Python. Each worker
process runs one space at a time with exactly the runs a sequential sync makes, on the same Dagster
instance (its storage is made for several processes: `dagster dev` runs steps that way).

Workers come from a fork server that has imported this package (Dagster included) once, so a worker
starts in milliseconds. A fork server keeps the environment and working directory it started with:
each task carries the caller's, so a token set after the first sync is the one used. A worker dies
with the fork server, which exits when the caller does: a killed `km sync` leaves no sync behind,
only runs that the next `km sync` marks failed.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import dagster as dg

if TYPE_CHECKING:
    from ..config import ConnectionSettings, KmConfig
    from .run import _Plan

__all__ = ["in_processes"]

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the fork server that made it exits."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class SpaceSyncError(RuntimeError):
    """A worker's error that could not travel back as itself (its type is named in the message)."""


def _sync_one(instance_ref: Any, config: KmConfig, connection_name: str, space: str,
              plan: _Plan, environ: dict[str, str], cwd: str) -> tuple[list[tuple[str, str, str, bool]], list[str]]:
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    from .build import build_definitions
    from .run import _sync_space

    lines: list[str] = []
    try:
        with dg.DagsterInstance.from_ref(instance_ref) as instance:
            runs = _sync_space(build_definitions(config), config.connection(connection_name), space, instance, plan,
                               lines.append)
    except BaseException as err:
        try:
            pickle.loads(pickle.dumps(err))
        except Exception:  # noqa: BLE001 - any unpicklable error is re-raised by name and message below
            raise SpaceSyncError(f"space {space}: {type(err).__name__}: {err}") from None
        raise
    return runs, lines


def in_processes(config: KmConfig, connection: ConnectionSettings, spaces: list[str], instance: dg.DagsterInstance,
                 plan: _Plan, workers: int, progress: Callable[[str], None] | None
                 ) -> Iterator[list[tuple[str, str, str, bool]]]:
    """Each space's runs, in the order of `spaces`, synced by up to `workers` processes at once.

    The first error stops the sync: spaces not started are not started, and the error is raised as
    the worker raised it.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["km_assets.defs.run"])
    ref = instance.get_ref()
    environ, cwd = dict(os.environ), os.getcwd()
    done: dict[str, list[tuple[str, str, str, bool]]] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_die_with_parent) as pool:
        pending: dict[Any, str] = {pool.submit(_sync_one, ref, config, connection.name, space, plan, environ, cwd):
                                   space for space in spaces}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    space = pending.pop(future)
                    runs, lines = future.result()
                    for line in lines if progress else ():
                        progress(line)
                    done[space] = runs
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    for space in spaces:
        yield done[space]
