"""Every benchmark in one command, their output gathered into BENCHMARKS.md.

    .venv/bin/python benchmarks/run_all.py            # the documented sizes (the 100,000-page sync: ~40 min)
    .venv/bin/python benchmarks/run_all.py --quick    # small sizes, a few minutes: a smoke run
    .venv/bin/python benchmarks/run_all.py --only full_sync_vs_peers,mapping
    .venv/bin/python benchmarks/run_all.py --captured incremental_sync=/tmp/incremental.log   # reuse a run

Each script runs as its own process, one after the other (they measure wall time and memory: running
them side by side would skew both), with its full output kept in BENCHMARKS.md under its command line,
exit status and wall time. The file starts with the machine and the load average before the run.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
# name -> (documented arguments, quick arguments)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "full_sync_vs_peers": ([], ["--quick"]),
    "listing_vs_peers": (["--repeat", "3"], ["--quick"]),
    "incremental_sync": (["--spaces", "10", "--pages", "10000"], ["--spaces", "2", "--pages", "300"]),
    "convert_vs_markdownify": ([], ["--repeat", "1", "--synthetic-pages", "200"]),
    "convert_throughput": ([], ["--pages", "300", "--repeat", "1"]),
    "mapping": ([], ["--rows", "20000", "--repeat", "1"]),
    "permissions": ([], ["--pages", "2000", "--repeat", "1"]),
    "attachments": (["--copies", "10", "--repeat", "3"], ["--copies", "2", "--repeat", "1"]),
    "sandbox_memory": ([], ["--spec", "synthetic:2:1000"]),
    "parallel_partitions": (["--unshared"], ["--quick"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the scripts, not the figures")
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--out", default=str(HERE.parent / "BENCHMARKS.md"))
    parser.add_argument("--captured", action="append", default=[], metavar="NAME=LOG",
                        help="take NAME's section from LOG, the output of an earlier run of that script with the "
                             "documented arguments (the 100,000-page sync takes ~40 min), instead of running it")
    args = parser.parse_args(argv)
    captured = dict(item.split("=", 1) for item in args.captured)
    if unknown := set(captured) - set(BENCHMARKS):
        parser.error(f"unknown benchmarks in --captured: {', '.join(sorted(unknown))}")
    names = [n.strip() for n in args.only.split(",")] if args.only else list(BENCHMARKS)
    if unknown := [n for n in names if n not in BENCHMARKS]:
        parser.error(f"unknown benchmarks: {', '.join(unknown)}")

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    sections = [f"# Benchmarks\n\n`benchmarks/run_all.py{' --quick' if args.quick else ''}` on "
                f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {platform.system()} {platform.machine()}, {cpus} CPUs, "
                f"Python {platform.python_version()}; load average before the run {load}.\n"]
    failed = 0
    for name in names:
        documented, quick = BENCHMARKS[name]
        command = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else documented)]
        shown = " ".join(["benchmarks/" + name + ".py", *command[2:]])
        print(f"== {shown}", flush=True)
        if name in captured:
            log = Path(captured[name])
            done = subprocess.CompletedProcess(command, 0, log.read_text(encoding="utf-8"), "")
            seconds = float("nan")
            status = (f"captured from an earlier run of the same command (log {log.name}, last written "
                      f"{datetime.fromtimestamp(log.stat().st_mtime, UTC):%Y-%m-%d %H:%M} UTC)")
            sections.append(f"## {name}\n\n`{shown}`: {status}\n\n"
                            + "\n".join(line for line in done.stdout.splitlines() if line.startswith("|"))
                            + f"\n\n<details><summary>full output</summary>\n\n```\n{done.stdout.strip()}\n```\n"
                            "</details>\n")
            continue
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent)
        seconds = time.perf_counter() - started
        failed += done.returncode != 0
        status = "ok" if done.returncode == 0 else f"exit status {done.returncode}"
        print(f"   {status} in {seconds:.0f} s", flush=True)
        output = done.stdout.strip() + (f"\n\n(stderr, last lines)\n{done.stderr.strip()[-3000:]}"
                                        if done.returncode else "")
        # The scripts' own Markdown tables, rendered; then everything they printed, as printed.
        tables = "\n".join(line for line in done.stdout.splitlines() if line.startswith("|"))
        sections.append(f"## {name}\n\n`{shown}`: {status}, {seconds:.0f} s\n\n{tables}\n\n"
                        f"<details><summary>full output</summary>\n\n```\n{output}\n```\n</details>\n")
    Path(args.out).write_text("\n".join(sections), encoding="utf-8")
    print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
