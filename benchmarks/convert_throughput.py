"""Article building throughput: synthetic pages through `build_articles`, serial and in worker processes.

A first sync is CPU-bound on conversion, so this is the figure that decides its wall time. The pages are
a synthetic space's (the same generator the sandbox serves), handed in as raw_content rows, so the title
index, front matter and every macro family are exercised as in a sync.

    .venv/bin/python benchmarks/convert_throughput.py [--pages 2000] [--workers 1 2] [--repeat 3]
    .venv/bin/python benchmarks/convert_throughput.py --pages 2000 --profile 25   # cProfile, top 25

`--workers 1` is the in-process path; `--workers N` (N > 1) converts in N processes (the default of
`build_articles` is os.cpu_count()). Every parallel run is checked equal to the serial one.
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import os
import platform
import pstats
import statistics
import sys
import time

import polars as pl

from km_assets.km.articles import build_articles
from km_assets.km.schemas import RAW_CONTENT
from km_assets.sandbox.site import Site
from km_assets.sandbox.synthetic import synthetic_site


def raw_content(site: Site, site_url: str) -> pl.DataFrame:
    """The site's pages and blog posts as raw_content rows (what the sync's listing stores)."""
    rows = []
    for content in site.content.values():
        if content.type not in ("page", "blogpost"):
            continue
        rows.append({
            "content_id": content.id, "content_type": content.type, "space_key": content.space,
            "title": content.title, "version": content.version.number, "labels": list(content.labels),
            "ancestor_ids": [], "parent_id": content.parent, "body_storage": content.body,
            "url": f"{site_url}/pages/viewpage.action?pageId={content.id}",
            "created_by": content.creator, "created_by_name": content.creator.title(),
            "created_at": content.created, "modified_at": content.modified,
        })
    return pl.DataFrame(rows, schema=RAW_CONTENT)


def run(raw: pl.DataFrame, site_url: str, workers: int) -> tuple[float, pl.DataFrame]:
    kwargs = {"workers": workers} if "workers" in inspect.signature(build_articles).parameters else {}
    if workers > 1 and not kwargs:
        raise SystemExit("this build_articles has no `workers` parameter: use --workers 1")
    started = time.perf_counter()
    out = build_articles(raw, site_url, **kwargs)
    return time.perf_counter() - started, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="pages in the synthetic space")
    parser.add_argument("--spaces", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--repeat", type=int, default=3, help="median of this many runs per worker count")
    parser.add_argument("--profile", type=int, metavar="N", default=0,
                        help="profile one serial run and print the N most expensive functions instead")
    args = parser.parse_args(argv)
    site_url = "https://acme.atlassian.net/wiki"
    raw = raw_content(synthetic_site(spaces=args.spaces, pages=args.pages, seed=args.seed), site_url)
    megabytes = sum(len(body.encode("utf-8")) for body in raw["body_storage"]) / 1e6
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, {raw.height} items "
          f"({megabytes:.1f} MB of storage), median of {args.repeat}")
    if args.profile:
        profiler = cProfile.Profile()
        # Serial: with workers the profile would show only the parent waiting for them.
        serial = {"workers": 1} if "workers" in inspect.signature(build_articles).parameters else {}
        profiler.runcall(build_articles, raw, site_url, **serial)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
        return 0
    print("\n| workers | wall (s) | ms per page | pages/s | MB/s |")
    print("|---|---|---|---|---|")
    serial: pl.DataFrame | None = None
    for workers in args.workers:
        times = []
        for _ in range(args.repeat):
            seconds, out = run(raw, site_url, workers)
            times.append(seconds)
            if serial is None:
                serial = out
            elif not out.equals(serial):
                raise SystemExit(f"{workers} workers gave a different frame from the first run")
        wall = statistics.median(times)
        print(f"| {workers} | {wall:.2f} | {1000 * wall / raw.height:.2f} | {raw.height / wall:,.0f} "
              f"| {megabytes / wall:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
