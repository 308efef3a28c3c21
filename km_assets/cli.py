"""The `km` command: a thin face over the packages (demo, sandbox, test-connection, sync, report, ...)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from .config import load_config
    from .confluence import client_for, list_spaces
    from .defs.run import dagster_instance, sync_spaces
    from .km.parquet_files import is_local, root_path
    from .reports.store import Store
    from .sandbox import Sandbox, SandboxOptions

    options = SandboxOptions()
    if os.environ.get("KM_DEMO_TOKEN"):
        options.api_token = os.environ["KM_DEMO_TOKEN"]  # lets a test know the secret it must never find
    with Sandbox(options=options) as sandbox:
        print(f"Sandbox Confluence ({sandbox.options.flavor}) at {sandbox.url}")
        # The demo connection in km.yaml reads its URL and token from these variables.
        os.environ["KM_DEMO_URL"] = sandbox.url
        os.environ["KM_DEMO_TOKEN"] = sandbox.options.api_token
        config = load_config(args.config)
        connection = config.connection("demo")
        instance = dagster_instance()
        with client_for(connection, connection.secret()) as client:
            spaces = list_spaces(client, connection)
        print(f"Spaces: {', '.join(spaces)}")
        summary = sync_spaces(config, connection, spaces, instance, log_level="WARNING")
    runs, failed = summary.runs, summary.failed
    # A folder, or object storage (s3://...): read through fsspec either way, credentials from the environment.
    local = is_local(config.storage.root)
    root = Path(config.storage.root) if local else root_path(config.storage.root)
    store = Store(config.storage.root, connection.asset_prefix)
    print(f"\nDagster runs: {len(runs)} ({len(failed)} failed), instance at {os.environ['DAGSTER_HOME']}")
    print(f"Parquet under {root.resolve() if local else root}:")
    for asset in ("raw_history", "articles_current", "article_metadata", "permission_map"):
        pattern = root / connection.asset_prefix / asset / "**" / "*.parquet"
        rows = store.count(asset)
        print(f"  {asset:<16} {rows:>5} rows  pl.scan_parquet('{pattern}', hive_partitioning=True)")
    if not failed:
        from .reports import run_report

        # The sandbox is gone by now: the report reads only what the sync stored.
        html = run_report(config, connection.name)  # reports/, or the object storage root's reports/
        print(f"\nSync report: {html}")
    print("\nOpen the Dagster UI on the same data:  make ui   (then http://127.0.0.1:3000)")
    print("Explore the data in notebooks:         make lab  (notebooks/)")
    return 1 if failed else 0


def _rate(value: str) -> float:
    """'20/s' or '20' -> 20.0 requests per second."""
    number = value.removesuffix("/s")
    try:
        rate = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a rate like 20/s, got {value!r}") from None
    if rate < 0:
        raise argparse.ArgumentTypeError("a rate cannot be negative")
    return rate


def _date(value: str) -> str:
    """A date or ISO time, checked here so a typo fails before the notebook starts."""
    from .reports.store import parse_moment

    try:
        parse_moment(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-20 or 2026-11-20T08:00, got {value!r}") from None
    return value


def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import Sandbox, SandboxOptions
    from .sandbox.faults import FaultOptions
    from .sandbox.synthetic import parse_site_spec

    try:
        site = parse_site_spec(args.site, seed=args.seed)
        faults = FaultOptions(seed=args.seed, latency_ms=args.latency_ms, rate_limit_per_s=args.rate_limit,
                              error_rate=args.error_rate)
    except ValueError as err:
        print(f"km sandbox: {err}", file=sys.stderr)
        return 2
    options = SandboxOptions(flavor=args.flavor, dc_version=args.dc_version)
    if args.token:
        options.api_token = args.token
    sandbox = Sandbox(site=site, options=options, port=args.port, faults=faults).start()
    secret_name = "API token" if options.cloud else "password"
    print(f"Sandbox Confluence ({options.flavor}, site {args.site}) listening on {sandbox.url}")
    print(f"  user:  {sandbox.login}")
    print(f"  {secret_name}: {options.api_token}")
    if not options.cloud:
        print(f"  personal access token (Bearer): {options.pat}")
    print(f"  admin API: {sandbox.root_url}/__sandbox__/ (header X-Sandbox-Admin-Token: the {secret_name})")
    print("For the demo connection in km.yaml:")
    print(f"  export KM_DEMO_URL={sandbox.url} KM_DEMO_TOKEN={options.api_token}")
    print("Ctrl-C stops it.", flush=True)
    try:
        sandbox.wait_forever()
    finally:
        sandbox.stop()
    return 0


def _test_connection(args: argparse.Namespace) -> int:
    from .config import ConfigError, load_config
    from .confluence.diagnose import test_connection

    config = load_config(args.config)
    connections = [config.connection(args.name)] if args.name else list(config.connections)
    if not connections:
        raise ConfigError("km.yaml lists no connections")
    failed = 0
    for index, connection in enumerate(connections):
        report = test_connection(connection)
        print(("\n" if index else "") + report.text(), flush=True)
        failed += not report.ok
    return 1 if failed else 0


def _convert(args: argparse.Namespace) -> int:
    import json

    from .convert import ConversionContext, convert_storage

    path = Path(args.page)
    if not path.is_file():
        print(f"km convert: {path}: no such file", file=sys.stderr)
        return 2
    context = ConversionContext(site_url=args.site_url, space_key=args.space, tables=args.tables)
    result = convert_storage(path.read_bytes(), context)
    if not args.json:
        sys.stdout.write(result.markdown)
        return 0
    report = {"markdown": result.markdown, "fidelity": round(result.fidelity, 4),
              "macros": dict(result.macros), "macro_handling": result.macro_handling,
              "unhandled_macros": dict(result.unhandled_macros), "links": result.links,
              "attachments": result.attachments, "warnings": result.warnings}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def _progress(name: str, steps: Iterator[int], step: str) -> None:
    print(f"[{name}] {next(steps):>3}. {step}", flush=True)


def _sync(args: argparse.Namespace) -> int:
    import functools
    import itertools
    from datetime import UTC, datetime

    import polars as pl

    from .config import ConfigError, load_config
    from .confluence import client_for, list_spaces
    from .defs.run import dagster_instance, sync_connection
    from .reports.store import Store

    config = load_config(args.config)
    connections = [config.connection(args.connection)] if args.connection else list(config.connections)
    if not connections:
        raise ConfigError("km.yaml lists no connections")
    since = datetime.fromisoformat(args.since).replace(tzinfo=UTC) if args.since else None
    instance = dagster_instance()
    failed = 0
    for connection in connections:
        secret = connection.secret()  # reported before any request is made
        if args.space:
            spaces = list(args.space)
        else:
            with client_for(connection, secret) as client:
                spaces = list_spaces(client, connection)
        started = datetime.now(UTC)
        progress = functools.partial(_progress, connection.name, itertools.count(1))

        summary = sync_connection(config, connection, spaces, instance, full=args.full, since=since,
                                  log_level="WARNING", progress=progress, permissions=args.permissions)
        failed += len(summary.failed)
        seconds = (datetime.now(UTC) - started).total_seconds()
        # By path under the storage root (a folder or an fsspec URL), the space from the partition folder.
        current = Store(config.storage.root, connection.asset_prefix).read("articles_current", ["content_id"])
        print(f"\n{connection.name}: {len(summary.runs)} runs in {seconds:.1f}s, {len(summary.failed)} failed")
        print(f"{'space':<10} {'articles':>9}")
        for space in spaces:
            print(f"{space:<10} {current.filter(pl.col('space') == space).height:>9}")
    return 1 if failed else 0


def _explain(command: str, explain) -> int:
    """Print what an explain function says; a LookupError (unknown id, nothing synced yet) is one line."""
    try:
        print(explain())
    except LookupError as err:
        print(f"km {command}: {err.args[0] if err.args else err}", file=sys.stderr)
        return 1
    return 0


def _explain_mapping(args: argparse.Namespace) -> int:
    from .config import load_config
    from .km.mapping import explain_mapping

    return _explain("explain-mapping", lambda: explain_mapping(load_config(args.config), args.connection,
                                                               args.content_id))


def _explain_access(args: argparse.Namespace) -> int:
    from .config import load_config
    from .km.permissions import explain_access_from_storage

    return _explain("explain-access", lambda: explain_access_from_storage(
        load_config(args.config), args.connection, args.content_id, args.principal))


def _why_missing(args: argparse.Namespace) -> int:
    from .config import load_config
    from .reports.why_missing import diagnose_missing

    try:
        verdict = diagnose_missing(load_config(args.config), args.connection, args.page)
    except ValueError as err:
        print(f"km why-missing: {err}", file=sys.stderr)
        return 2
    print(verdict.text())
    return 0 if verdict.reason == "synced" else 1


def _report(args: argparse.Namespace) -> int:
    from .config import ConfigError, load_config
    from .reports import ReportError, run_report

    config = load_config(args.config)
    connections = [config.connection(args.connection)] if args.connection else list(config.connections)
    if not connections:
        raise ConfigError("km.yaml lists no connections")
    for connection in connections:
        try:
            html = run_report(config, connection.name, args.since, args.until, args.out,
                              config_path=args.config)
        except (ReportError, ValueError) as err:
            print(f"km report: {err}", file=sys.stderr)
            return 1
        print(html)
    return 0


def _ui(args: argparse.Namespace) -> int:
    from .defs.run import dagster_instance

    dagster_instance()  # prepares $DAGSTER_HOME (./.dagster), the instance `km demo` wrote to
    workspace = Path(args.workspace).resolve()
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(args.port), "-w", str(workspace)]
    print(f"Dagster UI on http://127.0.0.1:{args.port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})", flush=True)
    os.execv(command[0], command)
    return 0  # not reached: exec replaces this process


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="km", description="Confluence to KM articles, through Dagster assets.")
    parser.add_argument("--config", default=None, help="km.yaml to read (default: $KM_CONFIG or ./km.yaml)")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the demo connection end to end against the embedded sandbox")
    demo.set_defaults(handler=_demo)

    sandbox = commands.add_parser("sandbox", help="serve a sandbox Confluence on 127.0.0.1 until Ctrl-C")
    sandbox.add_argument("--flavor", choices=["cloud", "datacenter"], default="cloud")
    sandbox.add_argument("--dc-version", default="9.2.0", help="Data Center version to emulate")
    sandbox.add_argument("--site", default="demo", help="demo, or synthetic:SPACES:PAGES (e.g. synthetic:5:2000)")
    sandbox.add_argument("--seed", type=int, default=0, help="seed for synthetic sites and fault injection")
    sandbox.add_argument("--latency-ms", type=float, default=0.0)
    sandbox.add_argument("--rate-limit", type=_rate, default=0.0, help="requests per second, e.g. 20/s (0: none)")
    sandbox.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered with a 5xx")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.add_argument("--token", default=None,
                         help="API token the sandbox accepts (default: a new random one, printed)")
    sandbox.set_defaults(handler=_sandbox)

    test = commands.add_parser("test-connection", help="check a km.yaml connection: secret, reachability, "
                               "deployment, login, spaces, item counts and the first sync's duration")
    test.add_argument("name", nargs="?", default=None, help="connection to check (default: every one)")
    # SUPPRESS: without --config here the top-level `km --config` value stays in force.
    test.add_argument("--config", default=argparse.SUPPRESS, help="km.yaml to read (as km --config)")
    test.set_defaults(handler=_test_connection)

    convert = commands.add_parser("convert", help="print the Markdown of one storage-format body (a .xhtml file)")
    convert.add_argument("page", help="a file holding a page's storage format (body.storage.value)")
    convert.add_argument("--json", action="store_true", help="print the article with its report as JSON")
    convert.add_argument("--tables", choices=["auto", "html", "repeat"], default="auto")
    convert.add_argument("--site-url", default="https://confluence.example.com/wiki",
                         help="where links to pages and attachments outside the sync point")
    convert.add_argument("--space", default="", help="the page's space key, for relative page links")
    convert.set_defaults(handler=_convert)

    sync = commands.add_parser("sync", help="sync connections in-process: first sync, settled windows, reconciliation")
    sync.add_argument("connection", nargs="?", default=None, help="connection to sync (default: every one)")
    sync.add_argument("--space", action="append", help="only this space (repeatable)")
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="list each space's whole history again")
    mode.add_argument("--since", help="re-fetch every window from this date or time (UTC) on")
    sync.add_argument("--permissions", action="store_true",
                      help="also sync the permission map (it has its own schedule otherwise)")
    sync.set_defaults(handler=_sync)

    mapping = commands.add_parser("explain-mapping", help="which rule set each KM field of one article, and why")
    mapping.add_argument("connection")
    mapping.add_argument("content_id")
    mapping.set_defaults(handler=_explain_mapping)

    access = commands.add_parser("explain-access", help="why a principal may or may not read and edit an article: "
                                                        "space grant, restricted ancestors, the page, the verdict")
    access.add_argument("connection")
    access.add_argument("content_id")
    access.add_argument("principal", help="account id or user name, user:ID, group:NAME, or anonymous")
    access.set_defaults(handler=_explain_access)

    missing = commands.add_parser("why-missing", help="what keeps one Confluence page out of the KM: a filter, "
                                  "its status, permissions, a window not synced yet, its conversion, or where it is")
    missing.add_argument("connection")
    missing.add_argument("page", help="a content id or a page URL (/pages/ID/..., ?pageId=ID, /display/KEY/Title)")
    missing.set_defaults(handler=_why_missing)

    report = commands.add_parser("report", help="run the sync report notebook (papermill) and render it as HTML "
                                 "under reports/; prints the HTML's path")
    report.add_argument("connection", nargs="?", default=None, help="connection to report on (default: every one)")
    report.add_argument("--since", type=_date, default=None, help="from this date or time (UTC), inclusive")
    report.add_argument("--until", type=_date, default=None, help="until this date (the whole day) or time (UTC)")
    report.add_argument("--out", default=None, help="folder or fsspec URL for the reports (default: reports/, "
                        "or <root>/<connection>/reports/ when storage.root is object storage)")
    report.set_defaults(handler=_report)

    ui = commands.add_parser("ui", help="open the Dagster UI (dagster dev on 127.0.0.1) on the same data")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--workspace", default="workspace.yaml")
    ui.set_defaults(handler=_ui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .config import ConfigError
    from .confluence import ConfluenceError
    from .km.parquet_files import StorageWriteError

    try:
        return args.handler(args)
    except (ConfigError, ConfluenceError, StorageWriteError) as err:
        print(f"km {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
