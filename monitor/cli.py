"""`monitor`: run the checks, send the digest, build the report, read the history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ingest.load import LoadError, load
from monitor import history
from monitor.alerts import fit
from monitor.channels import load_channels
from monitor.digest import build_digest, digest_text, print_digest
from monitor.report import build_report
from monitor.results import BUSINESS_UNITS, PLATFORM, Status
from monitor.runner import monitor_environment
from monitor.settings import Settings
from monitor.warehouse import Warehouse
from warehouse.commands import dispatch
from warehouse.connect import connect
from warehouse.paths import PROJECT_ROOT, warehouse_path
from warehouse.project import open_context

console = Console()
errors = Console(stderr=True)
DEFAULT_REPORT = PROJECT_ROOT / "reports" / "monitor.html"
DAILY_HELP = (
    "land the new day, `sqlmesh run` (checks and alerts follow), send the digest, write the "
    "report; exit non-zero when anything failed"
)


def main(argv: list[str] | None = None) -> int:
    return dispatch(_parser(), argv)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="monitor", description=__doc__)
    commands = parser.add_subparsers(required=True)

    def add(name: str, run, text: str, environment: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(run=run)
        if environment:
            sub.add_argument("--environment", default="prod", help="SQLMesh environment")
        return sub

    add("check", _check, "run every audit and check of an environment now, and alert")
    daily = add("daily", _daily, DAILY_HELP)
    daily.add_argument("--raw-dir", type=Path, help="folder of the new day's CSVs to land first")
    daily.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    digest = add("digest", _digest, "the state of the data per business unit")
    digest.add_argument("--send", action="store_true", help="send it to the channels too")
    digest.add_argument("--unit", choices=(*BUSINESS_UNITS, PLATFORM), help="only this unit")
    report = add("report", _report, "write the static HTML report (one file, works offline)")
    report.add_argument("--out", type=Path, default=DEFAULT_REPORT)
    add("problems", _problems, "list the open problems, worst first")
    recent = add("history", _history, "list recent results")
    recent.add_argument("--dataset", help="only this dataset (schema.table)")
    recent.add_argument("--limit", type=int, default=30)
    add("test-notify", _test_notify, "send a test message to every channel", environment=False)
    return parser


def _check(args: argparse.Namespace) -> int:
    context = open_context(warehouse_path())
    snapshots = _environment_snapshots(context, args.environment)
    with console.status(f"Checking {args.environment}..."):
        outcome = monitor_environment(context.engine_adapter, snapshots, args.environment, "manual")
    _print_results([r for r in outcome.results if r.status.is_problem], "Problems found")
    console.print(outcome.summary(), highlight=False)
    failing = outcome.count(Status.FAIL) + outcome.count(Status.ERROR)
    return 1 if _failed(failing, [d.channel for d in outcome.failed_deliveries]) else 0


def _daily(args: argparse.Namespace) -> int:
    context = open_context(warehouse_path())
    warehouse = Warehouse(context.engine_adapter.connection)
    if args.raw_dir:
        with console.status(f"Landing {args.raw_dir}..."):
            load(args.raw_dir, context.engine_adapter.connection)
    before = history.latest_run(warehouse, args.environment) if _has_history(warehouse) else None
    with console.status("sqlmesh run: models, audits, then the monitor's checks and alerts..."):
        completion = context.run(args.environment)
    latest = history.latest_run(warehouse, args.environment)
    if latest is None or (before and latest["run_id"] == before["run_id"]):
        # Nothing was due, so SQLMesh ran no hook: check the data as it stands.
        snapshots = _environment_snapshots(context, args.environment)
        monitor_environment(context.engine_adapter, snapshots, args.environment, "daily")
        latest = history.latest_run(warehouse, args.environment)
    digest = build_digest(warehouse, args.environment)
    print_digest(digest, console)
    failed = history.failed_deliveries_since(warehouse, latest["started_at"])
    failed += _send_digest(digest, units=None)
    console.print(f"Report: {build_report(warehouse, args.report, args.environment)}")
    return 1 if _failed(latest["failing"], failed) or not completion.is_success else 0


def _has_history(warehouse: Warehouse) -> bool:
    return bool(warehouse.relations([history.SCHEMA]))


def _environment_snapshots(context, environment: str) -> dict:
    found = context.state_reader.get_environment(environment)
    if found is None:
        raise LoadError(f"no SQLMesh environment {environment!r}: run `sqlmesh plan` first")
    return {s.name: s for s in context.state_reader.get_snapshots(found.snapshots).values()}


def _digest(args: argparse.Namespace) -> int:
    with connect(warehouse_path()) as con:
        digest = build_digest(Warehouse(con), args.environment)
    print_digest(digest, console)
    if args.send:
        units = (args.unit,) if args.unit else None
        return 1 if _failed(0, _send_digest(digest, units)) else 0
    return 0


def _report(args: argparse.Namespace) -> int:
    with connect(warehouse_path()) as con:
        path = build_report(Warehouse(con), args.out, args.environment)
    console.print(f"Report written to {path}")
    return 0


def _problems(args: argparse.Namespace) -> int:
    with connect(warehouse_path(), read_only=True) as con:
        rows = history.open_problems(Warehouse(con), args.environment)
    table = Table(
        "status",
        "dataset",
        "check",
        "column",
        "failing rows",
        "open since",
        title=f"Open problems ({args.environment})",
    )
    for row in rows:
        table.add_row(
            row["status"],
            row["dataset"],
            row["check_name"],
            row["column_name"] or "",
            _number(row["failing_rows"]),
            f"{row['opened_at']:%Y-%m-%d %H:%M}",
        )
    console.print(table if rows else "No open problems.")
    return 0


def _history(args: argparse.Namespace) -> int:
    with connect(warehouse_path(), read_only=True) as con:
        rows = history.recent_results(Warehouse(con), args.environment, args.dataset, args.limit)
    table = Table(
        "checked at",
        "trigger",
        "status",
        "dataset",
        "check",
        "failing rows",
        title="Recent results",
    )
    for row in rows:
        table.add_row(
            f"{row['checked_at']:%Y-%m-%d %H:%M}",
            row["trigger"],
            row["status"],
            row["dataset"],
            row["check_name"],
            _number(row["failing_rows"]),
        )
    console.print(table)
    return 0


def _test_notify(args: argparse.Namespace) -> int:
    channels = load_channels(Settings.from_environment())
    if not channels:
        errors.print("No channel configured: set APPRISE_CONFIG_PATH or APPRISE_URLS (see README).")
        return 2
    failed = 0
    for channel in channels:
        error = channel.send(
            "Greenery monitor: test", "This channel receives Greenery's data alerts."
        )
        failed += error is not None
        console.print(
            f"{'[red]FAILED[/]' if error else '[green]sent[/]'} {channel.label} "
            f"(tags: {', '.join(sorted(channel.tags)) or 'none: hears everything'})"
            + (f": {error}" if error else ""),
            highlight=False,
        )
    return 1 if failed else 0


def _send_digest(digest, units: tuple[str, ...] | None) -> list[str]:
    """Each business unit's digest to the channels that hear that unit; the failed channels."""
    failed = []
    channels = load_channels(Settings.from_environment())
    for unit in units or (*BUSINESS_UNITS, PLATFORM):
        body = digest_text(digest, unit)
        for channel in (c for c in channels if c.hears(frozenset({unit}))):
            if channel.send(f"Greenery data digest: {unit}", fit(body, channel.body_limit)):
                failed.append(channel.label)
    return failed


def _failed(problems: int, failed_channels: list[str]) -> bool:
    """Say which deliveries failed; true when anything failed."""
    for label in failed_channels:
        errors.print(f"[bold red]delivery failed:[/] {label}", highlight=False)
    return bool(problems or failed_channels)


def _print_results(results: list, title: str) -> None:
    if not results:
        return
    table = Table("status", "dataset", "check", "failing rows", title=title)
    for r in results:
        table.add_row(str(r.status), r.dataset, r.check[:70], _number(r.failing_rows))
    console.print(table)


def _number(value: object) -> str:
    return "" if value is None else f"{value:,}"


if __name__ == "__main__":
    sys.exit(main())
