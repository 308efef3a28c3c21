"""A full sync to Markdown: our pipeline vs LangChain's ConfluenceLoader vs LlamaIndex's ConfluenceReader.

    .venv/bin/python benchmarks/full_sync_vs_peers.py             # 5 spaces x 2,000 pages, 50 ms, 20 req/s
    .venv/bin/python benchmarks/full_sync_vs_peers.py --quick     # 2 x 200, a smoke run

The same work for each, on a fresh Cloud sandbox each (same site, latency and rate limit; request
counters start from zero), in a forked child so CPU time and peak memory are the contender's own:

- ours: `sync_connection` (what `km sync` runs) on a fresh Dagster instance and storage folder: per space
  the first sync (history listing, reconciliation snapshot, Markdown articles, mapped metadata,
  articles_current) as Dagster runs writing Parquet. Pages and blog posts; attachments and the permission
  map off, since the peers fetch neither by default;
- LangChain `ConfluenceLoader(space_key=S, keep_markdown_format=True)` per space (pages only: its
  space listing asks for type=page);
- LlamaIndex `ConfluenceReader(...).load_data(space_key=S, page_status="current")` per space (pages only).

The rate-limit bound is the contender's own requests / rate: the least time those requests can take at the
limit; bound/wall says how close it came. "x faster" compares wall times. Every contender must bring every
expected item once: otherwise a FAIL line and exit status 1.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import MemorySampler, SandboxCounts  # noqa: E402
from listing_vs_peers import Endpoint, ForkedSandbox, expected_ids, machine  # noqa: E402

from km_assets.sandbox.faults import FaultOptions  # noqa: E402
from km_assets.sandbox.synthetic import synthetic_site  # noqa: E402

TOKEN_ENV = "KM_BENCH_TOKEN"
CONTENDERS = ("ours", "langchain", "llamaindex")
PAGE_SIZES = {"ours": 250, "langchain": 50}  # LlamaIndex's reader: its client's default
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


# -- contenders: each returns the ids of the Markdown documents it produced -----------------------------
def run_ours(endpoint: Endpoint, spaces: list[str], args: argparse.Namespace) -> list[str]:
    import os

    import dagster as dg
    import polars as pl

    from km_assets.config import load_config
    from km_assets.defs.run import sync_connection

    folder = Path(tempfile.mkdtemp(prefix="km-bench-full-"))
    (folder / "dagster").mkdir()
    (folder / "km.yaml").write_text(f"""
storage: {{root: {folder / 'data'}}}
connections:
  - name: bench
    url: {endpoint.url}
    deployment: cloud
    auth: {{username: {endpoint.login}, api_token_env: {TOKEN_ENV}}}
    content_types: [page, blogpost]
    page_size: 250
    rate_limit: {{requests_per_second: {args.rate}, max_concurrency: 4}}
    permissions: {{enabled: false}}
    schedule: daily
    sync: {{parallel_spaces: {args.parallel_spaces}}}
""")
    os.environ[TOKEN_ENV] = endpoint.token
    config = load_config(folder / "km.yaml")
    with dg.instance_for_test(temp_dir=str(folder / "dagster")) as instance:
        summary = sync_connection(config, config.connection("bench"), spaces, instance, now=NOW,
                                  log_level="ERROR")
    if summary.failed:
        raise RuntimeError(f"failed runs: {summary.failed}")
    current = pl.read_parquet(folder / "data/bench/articles_current/**/*.parquet", hive_partitioning=True)
    return current["content_id"].to_list()


def run_langchain(endpoint: Endpoint, spaces: list[str], args: argparse.Namespace) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.document_loaders import ConfluenceLoader
    ids = []
    for space in spaces:
        loader = ConfluenceLoader(url=endpoint.url, username=endpoint.login, api_key=endpoint.token, cloud=True,
                                  space_key=space, limit=PAGE_SIZES["langchain"], max_pages=10 * args.pages + 1000,
                                  include_restricted_content=True, keep_markdown_format=True)
        ids += [str(doc.metadata["id"]) for doc in loader.lazy_load() if doc.page_content.strip()]
    return ids


def run_llamaindex(endpoint: Endpoint, spaces: list[str], args: argparse.Namespace) -> list[str]:
    from llama_index.readers.confluence import ConfluenceReader

    logging.getLogger("llama_index").setLevel(logging.ERROR)
    # Cloud's e-mail + API token is Basic auth: the reader's `api_token` alone would be sent as a Bearer
    # token, which Cloud refuses for API tokens.
    reader = ConfluenceReader(base_url=endpoint.url, user_name=endpoint.login, password=endpoint.token, cloud=True)
    ids = []
    for space in spaces:
        # Its defaults: every page of the space, in the page size its client asks for.
        docs = reader.load_data(space_key=space, page_status="current", include_attachments=False)
        ids += [str(doc.metadata.get("page_id") or doc.doc_id) for doc in docs if doc.text.strip()]
    return ids


RUNNERS = {"ours": run_ours, "langchain": run_langchain, "llamaindex": run_llamaindex}


# -- measuring -----------------------------------------------------------------------------------------
@dataclass
class Result(SandboxCounts):
    name: str
    ids: list[str] = field(default_factory=list)
    error: str | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    rss_delta_mb: float = float("nan")
    server: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _child(name: str, endpoint: Endpoint, spaces: list[str], args: argparse.Namespace, conn: Connection) -> None:
    out: dict[str, Any] = {"ids": [], "error": None}
    with MemorySampler() as rss:
        cpu, started = time.process_time(), time.perf_counter()
        try:
            out["ids"] = RUNNERS[name](endpoint, spaces, args)
        except Exception as err:  # reported as a FAIL; the other contenders still run
            out["error"] = f"{type(err).__name__}: {err}"
            traceback.print_exc()
        out["wall_s"], out["cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
    out["rss_delta_mb"] = rss.tree_delta_mb  # with its worker processes
    conn.send(out)


def run_contender(name: str, site, spaces: list[str], faults: FaultOptions, args: argparse.Namespace) -> Result:
    sandbox = ForkedSandbox(site, faults)
    result = Result(name)
    try:
        ctx = multiprocessing.get_context("fork")
        conn, child_conn = ctx.Pipe()
        process = ctx.Process(target=_child, name=f"bench-{name}",
                              args=(name, Endpoint(sandbox.url, sandbox.login, sandbox.token), spaces, args,
                                    child_conn))
        process.start()
        child_conn.close()
        try:
            out = conn.recv()
        except EOFError:
            out = {"ids": [], "error": f"the client process died (exit code {process.exitcode})", "wall_s": 0.0,
                   "cpu_s": 0.0, "rss_delta_mb": float("nan")}
        process.join()
    finally:
        result.server = sandbox.stop()
    result.ids, result.error = out["ids"], out["error"]
    result.wall_s, result.cpu_s, result.rss_delta_mb = out["wall_s"], out["cpu_s"], out["rss_delta_mb"]
    kinds = ("page", "blogpost") if name == "ours" else ("page",)
    expected = expected_ids(site, spaces, kinds)
    seen = Counter(result.ids)
    if result.error:
        result.failures.append(f"raised {result.error}")
    if missing := expected - set(seen):
        result.failures.append(f"{len(missing)} of {len(expected)} expected items missing")
    if twice := [i for i, n in seen.items() if n > 1]:
        result.failures.append(f"{len(twice)} items more than once")
    return result


def table(results: list[Result], rate: float) -> str:
    ours = next((r for r in results if r.name == "ours"), None)
    lines = ["| contender | wall (s) | requests | 429s | items | items/s | bound (s) | bound / wall | CPU (s) | "
             "peak memory growth, PSS with workers (MB) | ours is x faster | check |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        bound = r.requests / rate if rate else 0.0
        faster = f"{r.wall_s / ours.wall_s:.1f}" if ours and r is not ours and ours.wall_s else "-"
        lines.append(f"| {r.name} | {r.wall_s:.1f} | {r.requests} | {r.throttled} | {len(r.ids)} | "
                     f"{len(r.ids) / r.wall_s if r.wall_s else 0:.0f} | {bound:.1f} | "
                     f"{bound / r.wall_s if r.wall_s else 0:.2f} | {r.cpu_s:.1f} | {r.rss_delta_mb:.0f} | {faster} | "
                     f"{'ok' if not r.failures else 'FAIL'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", type=int, default=5)
    parser.add_argument("--pages", type=int, default=2000, help="pages per space (blog posts come on top)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate", type=float, default=20.0, help="the sandbox's and our requests per second")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--quick", action="store_true", help="2 spaces x 200 pages")
    parser.add_argument("--parallel-spaces", type=int, default=1, help="ours: spaces synced at once (sync.parallel_spaces)")
    args = parser.parse_args(argv)
    if args.quick:
        args.spaces, args.pages = 2, 200
    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    if unknown := set(names) - set(RUNNERS):
        parser.error(f"unknown contenders: {', '.join(sorted(unknown))} (known: {', '.join(RUNNERS)})")

    site = synthetic_site(args.spaces, args.pages, seed=args.seed)
    spaces = sorted(site.spaces)
    faults = FaultOptions(latency_ms=args.latency_ms, rate_limit_per_s=args.rate, seed=args.seed)
    print(f"{args.spaces} spaces x {args.pages} pages, {args.latency_ms:g} ms latency, {args.rate:g} requests/s; "
          f"{machine()}", flush=True)
    results = []
    for name in names:
        print(f"\n== {name} ...", flush=True)
        result = run_contender(name, site, spaces, faults, args)
        print(f"   wall {result.wall_s:.1f} s, {result.requests} requests, {len(result.ids)} items, "
              f"CPU {result.cpu_s:.1f} s" + "".join(f"\n   FAIL {f}" for f in result.failures), flush=True)
        results.append(result)
    print("\n" + table(results, args.rate))
    return 1 if any(r.failures for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
