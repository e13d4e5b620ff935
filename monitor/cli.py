"""`monitor`: run the checks, send the digest, build the report, read the history.

The commands that run checks import SQLMesh and Soda (`monitor.runner`) once the warehouse has
opened: two seconds and a half that the commands reading the history do not pay, nor a command
told of a fault of the warehouse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape as markup

from greenery.commands import add_gateway_option, dispatch
from greenery.connect import describe_warehouse, open_warehouse
from greenery.errors import ExpectedError
from greenery.layout import RAW_SCHEMA, UNITS
from greenery.paths import PROJECT_ROOT
from greenery.project import open_context
from ingest.load import LoadError
from ingest.postgres import land
from monitor.alerts.delivery import deliver_pending
from monitor.channels import Channel, Channels, load_channels
from monitor.presentation.digest import Digest, build_digest
from monitor.presentation.markdown import digest_text
from monitor.presentation.report import build_report
from monitor.presentation.review import print_review
from monitor.presentation.terminal import (
    open_problems_table,
    print_digest,
    recent_results_table,
    results_table,
)
from monitor.results import CheckResult, Source, Status
from monitor.settings import Settings
from monitor.storage import reads
from monitor.storage.database import Database

if TYPE_CHECKING:
    from sqlmesh import Context

console = Console()
errors = Console(stderr=True)
DEFAULT_REPORT = PROJECT_ROOT / "reports" / "monitor.html"
CHANNELS_HELP = (
    "list the channels as loaded (secrets hidden), what each hears, and the problems of the "
    "configuration; exit 1 when there are any"
)
REVIEW_HELP = (
    "what a dev environment changes against prod: rows, columns and key figures of the changed "
    "models and the marts downstream; exit 1 when a key figure moves beyond its tolerance"
)
DAILY_HELP = (
    "land the new day, `sqlmesh run` (checks and alerts follow), send the digest, write the "
    "report; exit non-zero when anything failed"
)


def main(argv: list[str] | None = None) -> int:
    return dispatch(_parser(), argv)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="monitor", description=__doc__)
    commands = parser.add_subparsers(required=True)

    def add(
        name: str, run, text: str, environment: bool = True, warehouse: bool = True
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(run=run)
        if environment:
            sub.add_argument("--environment", default="prod", help="SQLMesh environment")
        if warehouse:
            add_gateway_option(sub)
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
    add("review", _review, REVIEW_HELP)
    add("problems", _problems, "list the open problems, worst first")
    recent = add("history", _history, "list recent results, problems first")
    recent.add_argument("--dataset", help="only this dataset (schema.table)")
    recent.add_argument("--limit", type=int, default=30)
    add(
        "test-notify",
        _test_notify,
        "send a test message to every channel",
        environment=False,
        warehouse=False,
    )
    add("channels", _channels, CHANNELS_HELP, environment=False, warehouse=False)
    deliver = add(
        "deliver", _deliver, "send the messages channels have not taken yet", environment=False
    )
    deliver.add_argument(
        "--wait", type=float, default=30.0, help="seconds to wait for the channels (default 30)"
    )
    return parser


def _open_context(args: argparse.Namespace, *, load: bool) -> Context:
    """The project's SQLMesh context on the command's gateway; SQLMesh's log goes to logs/,
    as the `sqlmesh` command's does, not to the terminal."""
    return open_context(gateway=args.gateway, load=load, log_to=PROJECT_ROOT / "logs")


def _check(args: argparse.Namespace) -> int:
    context = _open_context(args, load=False)
    from monitor.runner import monitor_environment

    snapshots = _environment_snapshots(context, args.environment, args.gateway)
    with console.status(f"Checking {args.environment}..."):
        outcome = monitor_environment(context.engine_adapter, snapshots, args.environment, "manual")
    problems = [r for r in outcome.results if r.status.is_problem]
    if problems:
        console.print(results_table(problems, "Problems found"), soft_wrap=True)
    summary = outcome.summary(args.environment, channel_problems=False)
    console.print(summary, highlight=False, soft_wrap=True, markup=False)
    for problem in outcome.channel_problems:
        errors.print(f"channel configuration: {problem}", highlight=False, markup=False)
    failing = outcome.count(Status.FAIL) + outcome.count(Status.ERROR)
    delivery_failed = _failed(failing, [d.channel for d in outcome.failed_deliveries])
    return 1 if delivery_failed or outcome.channel_problems else 0


def _daily(args: argparse.Namespace) -> int:
    context = _open_context(args, load=True)
    from monitor.runner import monitor_environment

    database = Database(context.engine_adapter.connection)
    snapshots = _environment_snapshots(context, args.environment, args.gateway)
    refused = args.raw_dir and _land(context, snapshots, args.environment, args.raw_dir)
    completion = None
    if refused:
        errors.print(
            f"[bold red]refused:[/] {markup(refused)}\nSkipped: `sqlmesh run` and the checks, "
            "since nothing new landed; the digest and the report below show the data as it was.",
            highlight=False,
        )
    else:
        before = reads.latest_run(database, args.environment)
        with console.status("sqlmesh run: models, audits, then the monitor's checks..."):
            completion = context.run(args.environment)
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
    failed_run = completion is not None and completion.is_failure
    return 1 if _failed(latest["failing"], failed) or refused or failed_run else 0


def _land(context, snapshots: dict, environment: str, raw_dir: Path) -> str | None:
    """Land the day's export. A refusal is recorded and told to the table's owners as an
    incident (file, line, reason), and returned; an export accepted after a refusal closes it."""
    from monitor.runner import monitor_environment

    adapter = context.engine_adapter
    try:
        with console.status(f"Landing {raw_dir}..."):
            land(raw_dir, adapter.connection)
    except LoadError as error:
        table = f"{RAW_SCHEMA}.{error.table}" if error.table else f"{RAW_SCHEMA}.export"
        refusal = _load_result(table, Status.FAIL, str(error))
        monitor_environment(adapter, snapshots, environment, "daily", only=[refusal])
        return str(error)
    refused_before = {
        row["dataset"]
        for row in reads.open_problems(Database(adapter.connection), environment)
        if row["source"] == Source.LOAD
    }
    if refused_before:
        accepted = [_load_result(table, Status.PASS, None) for table in sorted(refused_before)]
        monitor_environment(adapter, snapshots, environment, "daily", only=accepted)
    return None


def _load_result(dataset: str, status: Status, message: str | None) -> CheckResult:
    return CheckResult(
        source=Source.LOAD,
        dataset=dataset,
        check="the day's export is accepted by the loader",
        status=status,
        owner="data_team",
        message=message,
    )


def _environment_snapshots(context, environment: str, gateway: str) -> dict:
    found = context.state_reader.get_environment(environment)
    if found is None:
        raise ExpectedError(
            f"There is no SQLMesh environment {environment!r} in {describe_warehouse(gateway)}: "
            f"apply one with `sqlmesh --gateway {gateway} plan {environment}` first."
        )
    return {s.name: s for s in context.state_reader.get_snapshots(found.snapshots).values()}


def _review(args: argparse.Namespace) -> int:
    if args.environment == "prod":
        raise ExpectedError(
            "A review compares a dev environment with prod: pass --environment <name> of one "
            "(`sqlmesh plan <name>` creates it)."
        )
    context = _open_context(args, load=False)
    snapshots = _environment_snapshots(context, args.environment, args.gateway)
    from monitor.review.review import review_environment

    with console.status(f"Reviewing {args.environment} against prod..."):
        review = review_environment(context.engine_adapter, snapshots, args.environment)
    print_review(review, console)
    return 1 if review.beyond_tolerance else 0


def _digest(args: argparse.Namespace) -> int:
    with open_warehouse(args.gateway, read_only=True) as con:
        digest = build_digest(Database(con), args.environment)
    print_digest(digest, console)
    if args.send:
        units = (args.unit,) if args.unit else None
        return 1 if _failed(0, _send_digest(digest, units)) else 0
    return 0


def _report(args: argparse.Namespace) -> int:
    with open_warehouse(args.gateway, read_only=True) as con:
        path = build_report(Database(con), args.out, args.environment)
    console.print(f"Report written to {path}")
    return 0


def _problems(args: argparse.Namespace) -> int:
    with open_warehouse(args.gateway, read_only=True) as con:
        rows = reads.open_problems(Database(con), args.environment)
    console.print(
        open_problems_table(rows, args.environment) if rows else "No open problems.",
        soft_wrap=True,
    )
    return 0


def _history(args: argparse.Namespace) -> int:
    with open_warehouse(args.gateway, read_only=True) as con:
        rows = reads.results_problems_first(
            Database(con), args.environment, args.dataset, args.limit
        )
    console.print(recent_results_table(rows, "Recent results, problems first"), soft_wrap=True)
    return 0


def _test_notify(args: argparse.Namespace) -> int:
    """A test message to every channel that loaded; exit 2 when the configuration has
    problems (they are named first), 1 when a channel failed."""
    channels = _load_channels()
    if not channels and not channels.problems:
        errors.print("No channel configured: set APPRISE_CONFIG_PATH or APPRISE_URLS (see README).")
        return 2
    failed = 0
    for channel in channels:
        error = channel.send(
            "Greenery monitor: test", "This channel receives Greenery's data alerts."
        )
        failed += error is not None
        console.print(
            f"{'[red]FAILED[/]' if error else '[green]sent[/]'} {markup(channel.label)} "
            f"(tags: {markup(', '.join(sorted(channel.tags))) or 'none: hears everything'})"
            + (f": {markup(error)}" if error else ""),
            highlight=False,
        )
    if channels.problems:
        return 2
    return 1 if failed else 0


def _channels(args: argparse.Namespace) -> int:
    settings = Settings.from_environment()
    channels = load_channels(settings)
    urls = len(settings.apprise_urls)
    console.print(
        f"Channels from {markup(str(settings.apprise_config or 'no apprise.yml'))} and "
        f"APPRISE_URLS ({urls} URL{'s' if urls != 1 else ''}): {len(channels)} loaded",
        highlight=False,
        soft_wrap=True,
    )
    for channel in channels:
        console.print(f"- {markup(channel.label)}", highlight=False, soft_wrap=True)
        console.print(
            f"  {markup(channel.origin)}; format {channel.format}; "
            f"tags: {markup(', '.join(sorted(channel.tags))) or 'none'}; "
            f"hears: {markup(_hearing(channel))}",
            highlight=False,
            soft_wrap=True,
        )
    if channels.problems:
        console.print(f"[bold red]Problems ({len(channels.problems)}):[/]")
        for problem in channels.problems:
            console.print(f"- {markup(str(problem))}", highlight=False, soft_wrap=True)
    return 1 if channels.problems else 0


def _hearing(channel: Channel) -> str:
    """What reaches a channel: every unit, some units, and models by their tags or owners."""
    if channel.hears(frozenset()):
        return "everything"
    units = [unit for unit in UNITS if channel.hears(frozenset({unit}))]
    heard = [f"units {', '.join(units)}" if units else "no unit"]
    if others := sorted(channel.tags - set(UNITS)):
        heard.append(f"models tagged or owned {', '.join(others)}")
    return "; ".join(heard)


def _load_channels() -> Channels:
    """The configured channels; each problem of the configuration is said on stderr."""
    channels = load_channels(Settings.from_environment())
    for problem in channels.problems:
        errors.print(f"[bold red]channel configuration:[/] {markup(str(problem))}", highlight=False)
    return channels


def _deliver(args: argparse.Namespace) -> int:
    with open_warehouse(args.gateway) as con:
        deliveries = deliver_pending(Database(con), _load_channels(), args.wait)
    for delivery in deliveries:
        console.print(
            f"{'[red]not delivered[/]' if delivery.error else '[green]delivered[/]'} "
            f"{delivery.title} to {delivery.channel}"
            + (f": {delivery.error}" if delivery.error else ""),
            highlight=False,
        )
    if not deliveries:
        console.print("Nothing pending.")
    return 1 if any(d.error for d in deliveries) else 0


def _send_digest(digest: Digest, units: tuple[str, ...] | None) -> list[str]:
    """Each business unit's digest to the channels that hear that unit; the failed channels."""
    failed = []
    channels = _load_channels()
    for unit in units or UNITS:
        for channel in (c for c in channels if c.hears(frozenset({unit}))):
            body = digest_text(digest, unit, channel.format)
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
