"""Memory and time of a large synthetic sandbox site: generation, a 1000-item listing, and HTTP serving.

    .venv/bin/python benchmarks/sandbox_memory.py                 # synthetic:10:10000 = 100k pages
    .venv/bin/python benchmarks/sandbox_memory.py --spec synthetic:2:5000 --no-http

Everything runs in this process (no subprocess), so ru_maxrss is the peak of the whole run. The budget is
about 2 GB RSS for 100,000 pages.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from km_assets.sandbox import v1  # noqa: E402
from km_assets.sandbox.site import Content, Site  # noqa: E402
from km_assets.sandbox.synthetic import parse_site_spec  # noqa: E402

LISTING_EXPAND = "body.storage,version,space,history,ancestors,metadata.labels"
BUDGET_MB = 2048


def vm_rss_mb() -> float:
    """Current resident set size, from /proc (Linux); falls back to the peak elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS, KiB on Linux


def report(stage: str, seconds: float | None = None, **extra: object) -> None:
    took = f"{seconds:8.2f} s" if seconds is not None else " " * 10
    more = "  ".join(f"{k}={v}" for k, v in extra.items())
    print(f"{stage:<34} {took}  rss={vm_rss_mb():7.1f} MB  peak={peak_rss_mb():7.1f} MB  {more}", flush=True)


def listing(site: Site, space: str, count: int) -> list[Content]:
    """The first `count` pages of a space in the order content/list serves them."""
    pages = [c for c in site.content.values() if c.space == space and c.type == "page" and c.status == "current"]
    return sorted(pages, key=lambda c: (c.position, int(c.id)))[:count]


def content_renderer(site: Site, expand: set[str], *, cloud: bool = True) -> Callable[[Content], dict]:
    """The real v1 renderer, whether it takes (site, c, expand, cloud=, base=, context=) or (View, c, expand)."""
    base, context = ("http://127.0.0.1:8080/wiki", "/wiki") if cloud else ("http://127.0.0.1:8080", "")
    if next(iter(inspect.signature(v1.render_content).parameters)) == "view":
        view = v1.View(site=site, cloud=cloud, base=base, context=context,  # type: ignore[attr-defined]
                       viewer=site.users.get("sync-bot"))
        return lambda c: v1.render_content(view, c, expand)
    return lambda c: v1.render_content(site, c, expand, cloud=cloud, base=base, context=context)  # type: ignore[call-arg]


def render_listing(site: Site, items: list[Content], *, cloud: bool = True) -> str:
    render = content_renderer(site, v1.parse_expand(LISTING_EXPAND), cloud=cloud)
    results = [render(c) for c in items]
    return json.dumps({"results": results, "size": len(results)})


def serve_once(site: Site, space: str, limit: int) -> tuple[int, int, int]:
    """One content/search page with bodies and a walk of a space through the real server: (items, bytes, pages)."""
    import httpx

    from km_assets.sandbox.server import Sandbox

    with Sandbox(site=site) as sandbox, httpx.Client(base_url=sandbox.url, auth=sandbox.basic_auth,
                                                      timeout=120) as client:
        first = client.get("/rest/api/content/search", params={
            "cql": f'space="{space}"', "limit": limit, "expand": "body.storage,version"})
        first.raise_for_status()
        body = first.json()
        pages, seen = 1, len(body["results"])
        while "next" in body["_links"] and pages < 5:
            body = client.get(body["_links"]["base"] + body["_links"]["next"]).json()
            pages, seen = pages + 1, seen + len(body["results"])
        return seen, len(first.content), pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="synthetic:10:10000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--items", type=int, default=1000, help="pages in the rendered listing")
    parser.add_argument("--all-bodies", action="store_true", help="also generate every body once")
    parser.add_argument("--no-http", action="store_true", help="skip serving through the real HTTP server")
    args = parser.parse_args(argv)

    report("start")
    started = time.perf_counter()
    site = parse_site_spec(args.spec, args.seed)
    generated = time.perf_counter() - started
    gc.collect()
    pages = sum(c.type == "page" for c in site.content.values())
    report("generate " + args.spec, generated, pages=pages, blogposts=len(site.content) - pages,
           attachments=len(site.attachments), spaces=len(site.spaces))
    after_generation = vm_rss_mb()

    space = next(iter(site.spaces))
    started = time.perf_counter()
    items = listing(site, space, args.items)
    payload = render_listing(site, items)
    report(f"render v1 listing of {len(items)}", time.perf_counter() - started,
           json_mb=f"{len(payload) / 2**20:.1f}")
    del payload
    gc.collect()

    if args.all_bodies:
        started = time.perf_counter()
        total = sum(len(c.body) for c in site.content.values())
        report("generate every body once", time.perf_counter() - started, body_mb=f"{total / 2**20:.0f}")

    if not args.no_http:
        started = time.perf_counter()
        seen, first_bytes, fetched = serve_once(site, space, 250)
        report("HTTP content/search, 5 pages", time.perf_counter() - started,
               items=seen, first_page_kb=first_bytes // 1024, requests=fetched)

    peak = peak_rss_mb()
    verdict = "within" if peak <= BUDGET_MB else "OVER"
    print(f"\nafter generation {after_generation:.0f} MB, peak {peak:.0f} MB: {verdict} the {BUDGET_MB} MB budget")
    return 0 if peak <= BUDGET_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
