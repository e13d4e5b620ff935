"""`monitor`: run the checks, send the digest, build the report, read the history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from greenery.commands import dispatch
from greenery.connect import connect
from greenery.errors import ExpectedError
from greenery.layout import UNITS
from greenery.paths import PROJECT_ROOT, warehouse_path
from greenery.project import open_context
from ingest.load import load
from monitor.channels import load_channels
from monitor.presentation.digest import Digest, build_digest
from monitor.presentation.markdown import digest_text
from monitor.presentation.report import build_report
from monitor.presentation.terminal import (
    open_problems_table,
    print_digest,
    recent_results_table,
    results_table,
)
from monitor.results import Status
from monitor.runner import monitor_environment
from monitor.settings import Settings
from monitor.storage import reads
from monitor.storage.database import Database

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
    digest.add_argument("--unit", choices=UNITS, help="only this unit")
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
    problems = [r for r in outcome.results if r.status.is_problem]
    if problems:
        console.print(results_table(problems, "Problems found"))
    console.print(outcome.summary(), highlight=False)
    failing = outcome.count(Status.FAIL) + outcome.count(Status.ERROR)
    return 1 if _failed(failing, [d.channel for d in outcome.failed_deliveries]) else 0


def _daily(args: argparse.Namespace) -> int:
    context = open_context(warehouse_path())
    database = Database(context.engine_adapter.connection)
    if args.raw_dir:
        with console.status(f"Landing {args.raw_dir}..."):
            load(args.raw_dir, context.engine_adapter.connection)
    before = reads.latest_run(database, args.environment)
    with console.status("sqlmesh run: models, audits, then the monitor's checks and alerts..."):
        completion = context.run(args.environment)
    snapshots = _environment_snapshots(context, args.environment)
    latest = reads.latest_run(database, args.environment)
    if completion.is_failure:
        failure = f"sqlmesh run of {args.environment} failed: see the output above"
        monitor_environment(
            context.engine_adapter, snapshots, args.environment, "daily", failure=failure
        )
    elif latest is None or (before and latest["run_id"] == before["run_id"]):
        # Nothing was due, so SQLMesh ran no hook: check the data as it stands.
        monitor_environment(context.engine_adapter, snapshots, args.environment, "daily")
    latest = reads.latest_run(database, args.environment)
    digest = build_digest(database, args.environment)
    print_digest(digest, console)
    failed = reads.failed_deliveries_since(database, latest["started_at"])
    failed += _send_digest(digest, units=None)
    console.print(f"Report: {build_report(database, args.report, args.environment)}")
    return 1 if _failed(latest["failing"], failed) or completion.is_failure else 0


def _environment_snapshots(context, environment: str) -> dict:
    found = context.state_reader.get_environment(environment)
    if found is None:
        raise ExpectedError(
            f"There is no SQLMesh environment {environment!r} in {warehouse_path()}: "
            f"apply one with `sqlmesh plan {environment}` first."
        )
    return {s.name: s for s in context.state_reader.get_snapshots(found.snapshots).values()}


def _digest(args: argparse.Namespace) -> int:
    with connect(warehouse_path(), read_only=True) as con:
        digest = build_digest(Database(con), args.environment)
    print_digest(digest, console)
    if args.send:
        units = (args.unit,) if args.unit else None
        return 1 if _failed(0, _send_digest(digest, units)) else 0
    return 0


def _report(args: argparse.Namespace) -> int:
    with connect(warehouse_path(), read_only=True) as con:
        path = build_report(Database(con), args.out, args.environment)
    console.print(f"Report written to {path}")
    return 0


def _problems(args: argparse.Namespace) -> int:
    with connect(warehouse_path(), read_only=True) as con:
        rows = reads.open_problems(Database(con), args.environment)
    console.print(open_problems_table(rows, args.environment) if rows else "No open problems.")
    return 0


def _history(args: argparse.Namespace) -> int:
    with connect(warehouse_path(), read_only=True) as con:
        rows = reads.recent_results(Database(con), args.environment, args.dataset, args.limit)
    console.print(recent_results_table(rows))
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


def _send_digest(digest: Digest, units: tuple[str, ...] | None) -> list[str]:
    """Each business unit's digest to the channels that hear that unit; the failed channels."""
    failed = []
    channels = load_channels(Settings.from_environment())
    for unit in units or UNITS:
        body = digest_text(digest, unit)
        for channel in (c for c in channels if c.hears(frozenset({unit}))):
            if channel.send(f"Greenery data digest: {unit}", body):
                failed.append(channel.label)
    return failed


def _failed(problems: int, failed_channels: list[str]) -> bool:
    """Say which deliveries failed; true when anything failed."""
    for label in failed_channels:
        errors.print(f"[bold red]delivery failed:[/] {label}", highlight=False)
    return bool(problems or failed_channels)


if __name__ == "__main__":
    sys.exit(main())
