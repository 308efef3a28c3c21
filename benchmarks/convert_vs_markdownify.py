"""Conversion speed: our storage-format converter against plain markdownify on the same bodies.

Bodies: the real samples in ../shared/confluence-samples/storage (when present), the demo site and a
synthetic site's pages. Prints MB/s for each converter and the ratio. Plain markdownify knows nothing of
macros (it drops ac:* markup's structure), so it is the floor for speed, not a peer in quality.

    .venv/bin/python benchmarks/convert_vs_markdownify.py [--repeat 5] [--synthetic-pages 400]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

from bs4 import XMLParsedAsHTMLWarning
from markdownify import markdownify

from km_assets.convert import convert_storage
from km_assets.sandbox import load_demo_site
from km_assets.sandbox.synthetic import synthetic_site

SHARED = Path(os.environ.get("KM_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))


def corpora(synthetic_pages: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    samples = sorted((SHARED / "confluence-samples" / "storage").glob("*.xhtml"))
    if samples:
        out["shared samples"] = [p.read_text(encoding="utf-8-sig") for p in samples]
    else:
        print(f"(no shared samples at {SHARED}: skipping that corpus)")
    out["demo site"] = [c.body for c in load_demo_site().content.values()]
    site = synthetic_site(1, synthetic_pages, seed=1)
    out["synthetic"] = [c.body for c in site.content.values()]
    return out


def rate(fn, bodies: list[str], repeat: int) -> tuple[float, float]:
    """(MB/s median, seconds median) over `repeat` passes."""
    size = sum(len(b.encode("utf-8")) for b in bodies) / 1e6
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        for body in bodies:
            fn(body)
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    return size / seconds, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--synthetic-pages", type=int, default=400)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, median of {args.repeat} passes")
    rows = []
    for name, bodies in corpora(args.synthetic_pages).items():
        megabytes = sum(len(b.encode("utf-8")) for b in bodies) / 1e6
        ours, _ = rate(convert_storage, bodies, args.repeat)
        plain, _ = rate(lambda b: markdownify(b, features="html.parser"), bodies, args.repeat)
        rows.append((name, len(bodies), megabytes, ours, plain))
    print("\n| corpus | bodies | MB | km_assets MB/s | plain markdownify MB/s | ours / plain |")
    print("|---|---|---|---|---|---|")
    for name, count, megabytes, ours, plain in rows:
        print(f"| {name} | {count} | {megabytes:.2f} | {ours:.2f} | {plain:.2f} | {ours / plain:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
