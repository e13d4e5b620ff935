"""What the monitor prints on the terminal: the digest's tables, open problems, recent results."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from monitor.presentation.digest import Digest
from monitor.presentation.wording import format_ago, format_change, format_duration, format_time
from monitor.results import CheckResult, Status

STATUS_STYLES = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.ERROR: "magenta",
}


def print_digest(digest: Digest, console: Console) -> None:
    """The digest as terminal tables: all units side by side, then the details."""
    console.print(
        Text(f"Data quality digest · {digest.environment} · {format_time(digest.as_of)} UTC"),
        style="bold",
    )
    for table in (
        summary_table(digest),
        problems_table(digest),
        freshness_table(digest),
        counts_table(digest),
    ):
        console.print(table if table.row_count else Text(f"{table.title}: none"))


def summary_table(digest: Digest) -> Table:
    table = Table(title="Checks (latest result of each)", title_justify="left")
    for name in ("unit", "passed", "warned", "failed", "errored", "open problems"):
        table.add_column(name, justify="left" if name == "unit" else "right")
    for unit in digest.units:
        table.add_row(
            unit.name,
            *(
                Text(str(unit.count(s)), style=STATUS_STYLES[s] if unit.count(s) else "dim")
                for s in Status
            ),
            str(len(unit.problems)),
        )
    return table


def problems_table(digest: Digest) -> Table:
    table = Table(title="Open problems, worst first", title_justify="left")
    for name in ("unit", "status", "dataset", "check", "column", "failing rows", "open for"):
        table.add_column(name, justify="right" if name == "failing rows" else "left")
    for unit in digest.units:
        for p in unit.problems:
            table.add_row(
                unit.name,
                Text(p.status.upper(), style=STATUS_STYLES[p.status]),
                Text(p.dataset),
                Text(p.check),
                Text(p.column or ""),
                _number(p.failing_rows),
                format_duration(p.open_for),
            )
    return table


def freshness_table(digest: Digest) -> Table:
    table = Table(title="Source freshness", title_justify="left")
    for name in ("source", "newest record", "age", "loaded at", "load age"):
        table.add_column(name)
    for unit in digest.units:
        for f in unit.freshness:
            table.add_row(
                Text(f.dataset),
                format_time(f.newest_record),
                format_ago(f.record_age) if f.newest_record else "",
                format_time(f.loaded_at),
                format_ago(f.load_age),
            )
    return table


def counts_table(digest: Digest) -> Table:
    table = Table(title="Row counts", title_justify="left")
    for name in ("unit", "dataset", "rows", "change"):
        table.add_column(name, justify="right" if name == "rows" else "left")
    for unit in digest.units:
        for c in unit.row_counts:
            table.add_row(unit.name, Text(c.dataset), f"{c.rows:,}", format_change(c))
    return table


def open_problems_table(rows: list[dict], environment: str) -> Table:
    """`monitor problems`: the stored open problems, worst first."""
    table = Table(title=f"Open problems ({environment})", title_justify="left")
    for name in ("status", "dataset", "check", "column", "failing rows", "open since"):
        table.add_column(name, justify="right" if name == "failing rows" else "left")
    for row in rows:
        table.add_row(
            row["status"],
            Text(row["dataset"]),
            Text(row["check_name"]),
            Text(row["column_name"] or ""),
            _number(row["failing_rows"]),
            format_time(row["opened_at"]),
        )
    return table


def recent_results_table(rows: list[dict]) -> Table:
    """`monitor history`: the latest stored results."""
    table = Table(title="Recent results", title_justify="left")
    for name in ("checked at", "trigger", "status", "dataset", "check", "failing rows"):
        table.add_column(name, justify="right" if name == "failing rows" else "left")
    for row in rows:
        table.add_row(
            format_time(row["checked_at"]),
            row["trigger"],
            row["status"],
            Text(row["dataset"]),
            Text(row["check_name"]),
            _number(row["failing_rows"]),
        )
    return table


def results_table(results: list[CheckResult], title: str) -> Table:
    """A monitor run's results, as `monitor check` shows its problems."""
    table = Table(title=title, title_justify="left")
    for name in ("status", "dataset", "check", "failing rows"):
        table.add_column(name, justify="right" if name == "failing rows" else "left")
    for r in results:
        table.add_row(str(r.status), Text(r.dataset), Text(r.check[:70]), _number(r.failing_rows))
    return table


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"
