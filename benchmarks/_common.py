"""Memory measurement shared by the benchmarks.

A sync is several processes (spaces synced by worker processes, articles converted by pools of their
own), so the memory a contender needs is that of its whole process tree. Resident sizes of forked
processes count the pages they share with their parent once per process; PSS (proportional set size,
Linux's smaps_rollup) splits each shared page among its sharers, so the tree's PSS sum is what the
machine actually holds for it. Where /proc has no smaps_rollup, RSS is summed instead (an upper bound).
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

__all__ = ["MemorySampler", "tree_memory_mb", "vm_rss_mb"]


def _field_kb(path: Path, key: str) -> int | None:
    try:
        with path.open() as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def vm_rss_mb(pid: int | str = "self") -> float:
    kb = _field_kb(Path(f"/proc/{pid}/status"), "VmRSS:")
    return kb / 1024 if kb is not None else float("nan")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        # The command name (field 2) may hold spaces and parentheses: the parent pid follows the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_memory_mb(root: int | None = None, exclude: set[int] | frozenset[int] = frozenset()) -> float:
    """PSS of `root` (this process by default) and all its descendants, minus the `exclude` subtrees."""
    tree = _children()
    total_kb, stack = 0, [root or os.getpid()]
    while stack:
        pid = stack.pop()
        if pid in exclude:
            continue
        kb = _field_kb(Path(f"/proc/{pid}/smaps_rollup"), "Pss:")
        if kb is None:
            kb = _field_kb(Path(f"/proc/{pid}/status"), "VmRSS:") or 0
        total_kb += kb
        stack.extend(tree.get(pid, []))
    return total_kb / 1024


def _sample_until_told(target: int, interval: float, exclude: set[int], conn) -> None:
    me = os.getpid()
    peak_rss = peak_tree = 0.0
    while not conn.poll(interval):
        peak_rss = max(peak_rss, vm_rss_mb(target))
        peak_tree = max(peak_tree, tree_memory_mb(target, exclude | {me}))
    conn.recv()
    peak_rss = max(peak_rss, vm_rss_mb(target))
    peak_tree = max(peak_tree, tree_memory_mb(target, exclude | {me}))
    conn.send((peak_rss, peak_tree))


class MemorySampler:
    """Peak memory while a block runs: this process's RSS, and its process tree's PSS (see above).

    The sampling runs in a process of its own, not a thread: a thread would change what is measured
    (build_articles forks its workers only while its process has a single thread).
    """

    def __init__(self, interval: float = 0.1, exclude: set[int] | None = None) -> None:
        self.interval = interval
        self.exclude = set(exclude or ())
        self.start_mb = vm_rss_mb()
        self.peak_mb = self.start_mb
        self.tree_start_mb = tree_memory_mb(exclude=self.exclude)
        self.tree_peak_mb = self.tree_start_mb
        self._conn = None
        self._process = None

    def __enter__(self) -> MemorySampler:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_sample_until_told, name="memory-sampler", daemon=True,
                                    args=(os.getpid(), self.interval, self.exclude, child))
        self._process.start()
        child.close()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        peak_rss, peak_tree = self._conn.recv()
        self._process.join()
        self.peak_mb = max(self.peak_mb, peak_rss)
        self.tree_peak_mb = max(self.tree_peak_mb, peak_tree)

    @property
    def delta_mb(self) -> float:
        """Growth of this process's RSS."""
        return self.peak_mb - self.start_mb

    @property
    def tree_delta_mb(self) -> float:
        """Growth of the process tree's PSS."""
        return self.tree_peak_mb - self.tree_start_mb


class SandboxCounts:
    """For a result holding `server`, what a sandbox counted when it stopped: its requests, and how many it
    answered 429 (mixed into the benchmarks' result dataclasses)."""

    server: dict

    @property
    def requests(self) -> int:
        return int(self.server.get("requests", 0))

    @property
    def throttled(self) -> int:
        return int(self.server.get("by_status", {}).get(429, 0))
