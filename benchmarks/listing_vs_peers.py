"""Listing a whole synthetic site: our client vs LangChain's ConfluenceLoader vs atlassian-python-api.

    .venv/bin/python benchmarks/listing_vs_peers.py              # 5 spaces x 2,000 pages, 50 ms, 20 req/s
    .venv/bin/python benchmarks/listing_vs_peers.py --quick      # 2 x 300, a smoke run
    .venv/bin/python benchmarks/listing_vs_peers.py --contenders ours,atlassian --rate 10

The site is built once; each contender then gets a fresh Cloud sandbox with the same latency and rate
limit, so request counters, the rate-limit bucket and the early-retry police start from zero. Each lists
every page (and blog post where it can) of every space with storage bodies:

- ours: `client_for(...)` with the site's rate as its own limit, 4 at once, page size 250 (the Cloud
  cap), the spaces listed concurrently through `client.map_concurrently` over `list_space_content`;
- LangChain `ConfluenceLoader(space_key=S)` per space, one after the other, with its default retries
  (tenacity) and its default page size; it converts every body to text (BeautifulSoup), which is part of
  its cost. It lists pages only: `space_key` asks for type=page;
- atlassian-python-api 3.41 `get_all_pages_from_space(S, start, limit=100, expand="body.storage")`,
  pages then blog posts, start += len(batch) until an empty batch, with `backoff_and_retry=True`.

The rate-limit bound is ceil(items / page size) / rate: the least time any client can take when one
request brings one page of results. bound/wall says how close a contender came (1.0 = at the bound).
The sandbox runs in a forked child process and so does each client, so a client's CPU (and GIL) does not
slow the server down, and each client's CPU time and peak RSS growth are its own; `--in-process` runs
everything in this process (the sandbox in a thread) instead. `--contenders ours-lean,...` adds a
diagnostic: our client asking only for the peers' expansions (body.storage,version). Every contender must
list every expected item exactly once, with a body: otherwise a FAIL line is printed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import multiprocessing
import os
import platform
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import MemorySampler, SandboxCounts  # noqa: E402

from km_assets.config import AuthSettings, ConnectionSettings, RateLimitSettings  # noqa: E402
from km_assets.confluence.connect import client_for  # noqa: E402
from km_assets.confluence.cql import content_cql  # noqa: E402
from km_assets.confluence.listing import content_filter, list_space_content, search  # noqa: E402
from km_assets.sandbox.faults import FaultOptions  # noqa: E402
from km_assets.sandbox.server import Sandbox  # noqa: E402
from km_assets.sandbox.site import Site  # noqa: E402
from km_assets.sandbox.synthetic import synthetic_site  # noqa: E402

OUR_PAGE_SIZE = 250  # the Cloud cap of content/search (the sandbox clamps larger values to it)
OUR_CONCURRENCY = 4
ATLASSIAN_PAGE_SIZE = 100
LANGCHAIN_DEFAULT_LIMIT = 50  # ConfluenceLoader(limit=50) by default
CONTENDERS = ("ours", "langchain", "atlassian")  # the default run
OPTIONAL = ("ours-lean",)  # diagnostics, on request
LEAN_EXPAND = "body.storage,version"
TOKEN_ENV = "KM_BENCH_TOKEN"  # named in the settings only; the secret is passed in, never read from it


# -- the sandbox, in a child process or in a thread ----------------------------------------------------
def _snapshot(sandbox: Sandbox, cpu_start: float | None) -> dict[str, Any]:
    by_status: Counter = Counter()
    with sandbox.counters.lock:
        for (_route, status), n in sandbox.counters.by_route.items():
            by_status[status] += n
    faults = sandbox.faults_runtime.stats() if sandbox.faults_runtime is not None else {}
    cpu = time.process_time() - cpu_start if cpu_start is not None else None
    return {"requests": sum(by_status.values()), "by_status": dict(by_status), "faults": faults, "cpu_s": cpu}


def _serve(site: Site, faults: FaultOptions, conn: Connection) -> None:
    """Child process: run one sandbox, answer "stats" and "stop" from the parent."""
    cpu_start = time.process_time()
    sandbox = Sandbox(site=site, faults=faults).start()
    conn.send({"url": sandbox.url, "login": sandbox.login, "token": sandbox.options.api_token})
    try:
        while True:
            command = conn.recv()
            if command == "stats":
                conn.send(_snapshot(sandbox, cpu_start))
            elif command == "stop":
                snapshot = _snapshot(sandbox, cpu_start)
                sandbox.stop()
                conn.send(snapshot)
                return
    except EOFError:  # the parent went away
        sandbox.stop()


class ForkedSandbox:
    """A Sandbox in a forked child: the site is inherited (copy-on-write), nothing is pickled."""

    def __init__(self, site: Site, faults: FaultOptions) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child_conn = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(site, faults, child_conn), daemon=True,
                                    name="bench-sandbox")
        self._process.start()
        child_conn.close()
        if not self._conn.poll(60):
            self._process.kill()
            raise TimeoutError("the sandbox child did not start within 60 s")
        info = self._conn.recv()
        self.url, self.login, self.token = info["url"], info["login"], info["token"]

    def stats(self) -> dict[str, Any]:
        self._conn.send("stats")
        return self._conn.recv()

    def stop(self) -> dict[str, Any]:
        self._conn.send("stop")
        snapshot = self._conn.recv()
        self._process.join(15)
        if self._process.is_alive():
            self._process.kill()
        return snapshot


class ThreadSandbox:
    """The same interface over a Sandbox in a thread of this process (sandbox CPU is then not separable)."""

    def __init__(self, site: Site, faults: FaultOptions) -> None:
        self._sandbox = Sandbox(site=site, faults=faults).start()
        self.url, self.login, self.token = self._sandbox.url, self._sandbox.login, self._sandbox.options.api_token

    def stats(self) -> dict[str, Any]:
        return _snapshot(self._sandbox, None)

    def stop(self) -> dict[str, Any]:
        snapshot = _snapshot(self._sandbox, None)
        self._sandbox.stop()
        return snapshot


SandboxHandle = ForkedSandbox | ThreadSandbox


@dataclass(frozen=True)
class Endpoint:
    """What a client needs of a sandbox (and all it gets: a client child never touches the sandbox pipe)."""

    url: str
    login: str
    token: str


# -- measuring -----------------------------------------------------------------------------------------
@dataclass
class Listing:
    """What a contender brought back: ids in arrival order, items without a body, notes to print."""

    ids: list[str] = field(default_factory=list)
    without_body: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Result(SandboxCounts):
    name: str
    page_size: int
    kinds: tuple[str, ...]
    listing: Listing | None = None
    error: str | None = None
    wall_s: float = 0.0
    client_cpu_s: float = 0.0
    server: dict[str, Any] = field(default_factory=dict)
    rss_delta_mb: float = float("nan")
    failures: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return len(self.listing.ids) if self.listing else 0

    @property
    def early_retries(self) -> int:
        return int(self.server.get("faults", {}).get("early_retries", 0))

    def bound_s(self, page_size: int, rate: float) -> float:
        return math.ceil(self.items / page_size) / rate if rate > 0 else 0.0


# -- contenders ----------------------------------------------------------------------------------------
def run_ours(sandbox: Endpoint, spaces: list[str], args: argparse.Namespace) -> Listing:
    connection = ConnectionSettings(
        name="bench", url=sandbox.url, deployment="cloud",
        auth=AuthSettings(username=sandbox.login, api_token_env=TOKEN_ENV), page_size=OUR_PAGE_SIZE,
        rate_limit=RateLimitSettings(requests_per_second=args.rate, max_concurrency=OUR_CONCURRENCY))
    out = Listing()
    spans: dict[str, tuple[float, float]] = {}
    t0 = time.perf_counter()

    def one_space(space: str) -> tuple[list[str], int]:
        ids, without_body = [], 0
        started = time.perf_counter()
        for row in list_space_content(client, connection, space):
            ids.append(row["content_id"])
            without_body += not row["body_storage"]
        spans[space] = (started - t0, time.perf_counter() - t0)
        return ids, without_body

    with client_for(connection, sandbox.token) as client:
        for _space, (ids, without_body) in client.map_concurrently(one_space, spaces):
            out.ids += ids
            out.without_body += without_body
        out.notes.append("spaces listed from-to (s): " + ", ".join(
            f"{space} {a:.1f}-{b:.1f}" for space, (a, b) in sorted(spans.items(), key=lambda kv: kv[1])))
        kinds = Counter(e.kind for e in client.events.events())
        out.notes.append(f"client: {client.requests_made} requests sent, token bucket waited "
                         f"{client.bucket.waited:.2f} s in total over its threads, concurrency limit at the end "
                         f"{client.concurrency.limit}/{client.concurrency.maximum}"
                         f", client events {dict(kinds)}")
    return out


def run_ours_lean(sandbox: Endpoint, spaces: list[str], args: argparse.Namespace) -> Listing:
    """Diagnostic: our client and CQL, but only the expansions the peers ask for (body.storage,version).

    Separates what our paging and concurrency buy from what our richer listing (restrictions, ancestors,
    history, labels, child types: everything raw_content keeps) costs the server to render.
    """
    connection = ConnectionSettings(
        name="bench", url=sandbox.url, deployment="cloud",
        auth=AuthSettings(username=sandbox.login, api_token_env=TOKEN_ENV), page_size=OUR_PAGE_SIZE,
        rate_limit=RateLimitSettings(requests_per_second=args.rate, max_concurrency=OUR_CONCURRENCY))
    cql_filter = content_filter(connection)
    out = Listing()

    def one_space(space: str) -> tuple[list[str], int]:
        ids, without_body = [], 0
        for item in search(client, content_cql(space, cql_filter), expand=LEAN_EXPAND, limit=OUR_PAGE_SIZE):
            ids.append(str(item["id"]))
            without_body += not (((item.get("body") or {}).get("storage") or {}).get("value"))
        return ids, without_body

    with client_for(connection, sandbox.token) as client:
        for _space, (ids, without_body) in client.map_concurrently(one_space, spaces):
            out.ids += ids
            out.without_body += without_body
    out.notes.append(f"diagnostic: expand={LEAN_EXPAND} only, raw rows (no content_record)")
    return out


def run_langchain(sandbox: Endpoint, spaces: list[str], args: argparse.Namespace) -> Listing:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.document_loaders import ConfluenceLoader
    out = Listing()
    for space in spaces:
        loader = ConfluenceLoader(url=sandbox.url, username=sandbox.login, api_key=sandbox.token, cloud=True,
                                  space_key=space, limit=args.langchain_limit, max_pages=10 * args.pages + 1000,
                                  include_restricted_content=True, keep_markdown_format=False)
        for doc in loader.lazy_load():
            out.ids.append(str(doc.metadata["id"]))
            out.without_body += not doc.page_content.strip()
    out.notes.append("LangChain's space_key listing asks for type=page only: blog posts are not expected from it")
    return out


def run_atlassian(sandbox: Endpoint, spaces: list[str], args: argparse.Namespace) -> Listing:
    from atlassian import Confluence

    out = Listing()
    confluence = Confluence(sandbox.url, username=sandbox.login, password=sandbox.token, cloud=True,
                            backoff_and_retry=True)
    for space in spaces:
        for kind in ("page", "blogpost"):
            start = 0
            while True:
                batch = confluence.get_all_pages_from_space(space, start=start, limit=ATLASSIAN_PAGE_SIZE,
                                                            expand="body.storage", content_type=kind)
                if not batch:
                    break
                for item in batch:
                    out.ids.append(str(item["id"]))
                    out.without_body += not (((item.get("body") or {}).get("storage") or {}).get("value"))
                start += len(batch)
    out.notes.append("atlassian-python-api: backoff_and_retry=True (urllib3 Retry on 413/429/503, honours "
                     "Retry-After); no extra retry wrapper was needed")
    return out


RUNNERS: dict[str, Callable[[Endpoint, list[str], argparse.Namespace], Listing]] = {
    "ours": run_ours, "ours-lean": run_ours_lean, "langchain": run_langchain, "atlassian": run_atlassian}


def expected_ids(site: Site, spaces: list[str], kinds: tuple[str, ...]) -> set[str]:
    """What the sandbox's API user may read: current content of those kinds in those spaces."""
    from km_assets.sandbox.synthetic import SYNC_USER

    bot = site.users[SYNC_USER]
    wanted = set(spaces)
    return {c.id for c in site.content.values()
            if c.space in wanted and c.type in kinds and c.status == "current" and site.can_view(bot, c)}


def check(result: Result, expected: set[str]) -> None:
    if result.error is not None:
        result.failures.append(f"raised {result.error}")
        return
    assert result.listing is not None
    ids = result.listing.ids
    seen = set(ids)
    duplicates = len(ids) - len(seen)
    missing, extra = expected - seen, seen - expected
    if duplicates:
        twice = [i for i, n in Counter(ids).items() if n > 1][:5]
        result.failures.append(f"{duplicates} items listed more than once (e.g. {', '.join(twice)})")
    if missing:
        result.failures.append(f"{len(missing)} of {len(expected)} expected items missing "
                               f"(e.g. {', '.join(sorted(missing)[:5])})")
    if extra:
        result.failures.append(f"{len(extra)} unexpected items (e.g. {', '.join(sorted(extra)[:5])})")
    if result.listing.without_body:
        result.failures.append(f"{result.listing.without_body} items came without a storage body / text")


def measure(name: str, endpoint: Endpoint, spaces: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Run one contender here and now: its listing (or error), wall and CPU time, and peak RSS growth."""
    out: dict[str, Any] = {"listing": None, "error": None}
    with MemorySampler() as rss:
        cpu_start = time.process_time()
        started = time.perf_counter()
        try:
            out["listing"] = RUNNERS[name](endpoint, spaces, args)
        except Exception as err:  # reported as a FAIL, and the other contenders still run
            out["error"] = f"{type(err).__name__}: {err}"
            traceback.print_exc()
        out["wall_s"] = time.perf_counter() - started
        out["client_cpu_s"] = time.process_time() - cpu_start
    out["rss_delta_mb"] = rss.delta_mb
    return out


def _client_child(name: str, endpoint: Endpoint, spaces: list[str], args: argparse.Namespace,
                  conn: Connection) -> None:
    conn.send(measure(name, endpoint, spaces, args))


def measure_in_child(name: str, endpoint: Endpoint, spaces: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """The same in a forked child, so its heap, CPU time and RSS are its own, not the previous contender's."""
    ctx = multiprocessing.get_context("fork")
    conn, child_conn = ctx.Pipe()
    process = ctx.Process(target=_client_child, args=(name, endpoint, spaces, args, child_conn),
                          name=f"bench-{name}")
    process.start()
    child_conn.close()
    try:
        out = conn.recv()  # before join: a big answer would otherwise block the child's exit
    except EOFError:
        out = {"listing": None, "error": f"the client process died (exit code {process.exitcode})",
               "wall_s": 0.0, "client_cpu_s": 0.0, "rss_delta_mb": float("nan")}
    process.join()
    return out


def run_contender(name: str, site: Site, spaces: list[str], faults: FaultOptions,
                  args: argparse.Namespace) -> Result:
    page_size = {"langchain": args.langchain_limit, "atlassian": ATLASSIAN_PAGE_SIZE}.get(name, OUR_PAGE_SIZE)
    kinds = ("page",) if name == "langchain" else ("page", "blogpost")
    result = Result(name, page_size, kinds)
    gc.collect()
    sandbox: SandboxHandle = (ThreadSandbox if args.in_process else ForkedSandbox)(site, faults)
    try:
        endpoint = Endpoint(sandbox.url, sandbox.login, sandbox.token)
        measured = (measure if args.in_process else measure_in_child)(name, endpoint, spaces, args)
    finally:
        result.server = sandbox.stop()
    result.listing, result.error = measured["listing"], measured["error"]
    result.wall_s, result.client_cpu_s = measured["wall_s"], measured["client_cpu_s"]
    result.rss_delta_mb = measured["rss_delta_mb"]
    check(result, expected_ids(site, spaces, kinds))
    return result


# -- reporting -----------------------------------------------------------------------------------------
def describe(result: Result, args: argparse.Namespace) -> None:
    rate = args.rate
    own, ref = result.bound_s(result.page_size, rate), result.bound_s(OUR_PAGE_SIZE, rate)
    wall = result.wall_s or float("nan")
    server_cpu = result.server.get("cpu_s")
    print(f"\n== {result.name}: page size {result.page_size}, kinds {'+'.join(result.kinds)}")
    print(f"   wall {result.wall_s:.2f} s   items {result.items}   items/s {result.items / wall:.0f}   "
          f"requests {result.requests} (by status {result.server.get('by_status', {})})")
    print(f"   429s {result.throttled}   early retries {result.early_retries}   "
          f"sandbox faults {result.server.get('faults', {})}")
    print(f"   rate-limit bound {own:.2f} s at its page size (bound/wall {own / wall:.2f}); "
          f"{ref:.2f} s at ours ({OUR_PAGE_SIZE}) (bound/wall {ref / wall:.2f})")
    cpu = (f"client CPU {result.client_cpu_s:.2f} s   sandbox CPU {server_cpu:.2f} s" if server_cpu is not None
           else f"CPU of client and sandbox together (one process) {result.client_cpu_s:.2f} s")
    print(f"   {cpu}   peak RSS delta {result.rss_delta_mb:.0f} MB")
    for note in result.listing.notes if result.listing else []:
        print(f"   note: {note}")
    for failure in result.failures:
        print(f"   FAIL {result.name}: {failure}")
    if not result.failures:
        print(f"   OK   {result.name}: every expected item exactly once, each with a body")


def median_run(tries: list[Result]) -> Result:
    """The run with the median wall time (the lower middle one of an even count), failed runs first."""
    failed = [r for r in tries if r.failures]
    if failed:
        return failed[0]
    ordered = sorted(tries, key=lambda r: r.wall_s)
    return ordered[(len(ordered) - 1) // 2]


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def table(results: list[Result], args: argparse.Namespace, runs: dict[str, list[Result]]) -> str:
    ours = next((r for r in results if r.name == "ours" and not r.error), None)
    header = ("| contender | page size | wall (s) | requests | 429s | early retries | items | items/s "
              "| bound own (s) | bound/wall | bound @250 (s) | bound@250/wall | peak RSS Δ (MB) | ours is x faster "
              "| check |" + (" wall of each run (s) |" if args.repeat > 1 else ""))
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    names = {"ours": "km_assets client", "ours-lean": f"km_assets client, expand={LEAN_EXPAND} (diagnostic)",
             "langchain": f"LangChain ConfluenceLoader (limit={args.langchain_limit})",
             "atlassian": "atlassian-python-api get_all_pages_from_space"}
    for r in results:
        own, ref = r.bound_s(r.page_size, args.rate), r.bound_s(OUR_PAGE_SIZE, args.rate)
        wall = r.wall_s or float("nan")
        speedup = "-" if ours is None or r is ours else f"{r.wall_s / ours.wall_s:.1f}"
        lines.append(f"| {names[r.name]} | {r.page_size} | {r.wall_s:.1f} | {r.requests} | {r.throttled} "
                     f"| {r.early_retries} | {r.items} | {r.items / wall:.0f} | {own:.2f} | {own / wall:.2f} "
                     f"| {ref:.2f} | {ref / wall:.2f} | {r.rss_delta_mb:.0f} | {speedup} "
                     f"| {'FAIL' if any(t.failures for t in runs[r.name]) else 'ok'} |"
                     + (f" {' / '.join(f'{t.wall_s:.1f}' for t in runs[r.name])} |" if args.repeat > 1 else ""))
    return "\n".join(lines)


def machine() -> str:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "absent"

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.system()} {platform.machine()}, nproc {cpus}, "
            f"Python {platform.python_version()}, httpx {version('httpx')}, atlassian-python-api "
            f"{version('atlassian-python-api')}, langchain-community {version('langchain-community')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", type=int, default=5)
    parser.add_argument("--pages", type=int, default=2000, help="pages per space (blog posts come on top)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate", type=float, default=20.0, help="the sandbox's rate limit, requests/s")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="2 spaces x 300 pages, a smoke run")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help=f"comma-separated, from {', '.join(CONTENDERS + OPTIONAL)}")
    parser.add_argument("--langchain-limit", type=int, default=LANGCHAIN_DEFAULT_LIMIT,
                        help="ConfluenceLoader(limit=...): its default is 50")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of all contenders (interleaved); the table shows each one's median run")
    parser.add_argument("--in-process", action="store_true",
                        help="run sandbox and clients in this process (sandbox in a thread), not in forked children")
    args = parser.parse_args(argv)
    if args.quick:
        args.spaces, args.pages = 2, 300
    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    unknown = sorted(set(names) - set(CONTENDERS) - set(OPTIONAL))
    if unknown:
        parser.error(f"unknown contenders: {', '.join(unknown)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.rate <= 0:
        parser.error("--rate must be positive: the bound is computed from it")

    # Import the peers before any clock starts (LangChain's import alone takes a while).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if "langchain" in names:
            import langchain_community.document_loaders  # noqa: F401
        if "atlassian" in names:
            import atlassian  # noqa: F401

    print(f"machine: {machine()}")
    started = time.perf_counter()
    site = synthetic_site(args.spaces, args.pages, seed=args.seed)
    spaces = sorted(site.spaces)
    counts = Counter(c.type for c in site.content.values())
    print(f"site: {args.spaces} spaces x {args.pages} pages, seed {args.seed}: {counts['page']} pages, "
          f"{counts['blogpost']} blog posts, built in {time.perf_counter() - started:.1f} s")
    faults = FaultOptions(latency_ms=args.latency_ms, rate_limit_per_s=args.rate, seed=args.seed)
    print(f"sandbox: Cloud, latency {args.latency_ms:g} ms, rate limit {args.rate:g}/s (burst "
          f"{faults.effective_burst}), fresh per contender; "
          + ("sandbox and clients in this process" if args.in_process
             else "sandbox and each client in their own forked processes"))

    print(f"load average before: {load_average()}")
    runs: dict[str, list[Result]] = {name: [] for name in names}
    for round_ in range(1, args.repeat + 1):
        for name in names:
            print(f"\nrunning {name}" + (f" (round {round_} of {args.repeat})" if args.repeat > 1 else "") + " ...",
                  flush=True)
            result = run_contender(name, site, spaces, faults, args)
            describe(result, args)
            runs[name].append(result)
            sys.stdout.flush()
    print(f"\nload average after: {load_average()}")
    results = [median_run(runs[name]) for name in names]

    ours = next((r for r in results if r.name == "ours" and not r.error), None)
    if ours is not None:
        print()
        for r in results:
            if r is not ours and r.wall_s > 0:
                print(f"speed-up of ours vs {r.name}: {r.wall_s / ours.wall_s:.1f}x "
                      f"({ours.items / ours.wall_s:.0f} vs {r.items / r.wall_s:.0f} items/s)")
    print(f"\n{args.spaces} spaces x {args.pages} pages, {args.latency_ms:g} ms latency, {args.rate:g} requests/s"
          + (f", median of {args.repeat} runs" if args.repeat > 1 else "") + f"; {machine()}\n")
    print(table(results, args, runs))
    failed = [name for name, tries in runs.items() if any(r.failures for r in tries)]
    for name in failed:
        print(f"FAIL: {name} did not list every expected item exactly once (see above)")
    return 1 if failed else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
