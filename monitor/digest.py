"""The daily digest: per business unit, what the checks say, how fresh and how large the data
is, and what is still broken and since when.

One `Digest` is built from the warehouse and rendered twice, as Markdown for email and Slack
(through apprise) and as tables on the terminal, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ingest.schema import RAW_SCHEMA, RAW_TABLES
from monitor import history
from monitor.results import BUSINESS_UNITS, PLATFORM, Status
from monitor.warehouse import Warehouse
from warehouse.paths import view_schema

#: Every section of the digest, in the order people read them.
UNITS = (*BUSINESS_UNITS, PLATFORM)

#: Row-count history, declared once like `history.TABLES`: DDL and inserts come from here.
ROW_COUNTS_TABLE = "row_counts"
ROW_COUNTS: dict[str, str] = {
    "dataset": "VARCHAR",  # as people name it in prod, whatever environment was counted
    "counted_at": "TIMESTAMP",
    "row_count": "BIGINT",
    "environment": "VARCHAR",
}

#: Slack refuses a section block longer than this; email readers skim no further either.
SECTION_LIMIT = 3000
#: How many items of each list a section shows, tried in turn until the section fits.
LIST_LIMITS = (10, 5, 3, 1, 0)
#: Names are cut to this length, so every list item stays short and well-formed Markdown.
NAME_LIMIT = 80

STATUS_STYLES = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.ERROR: "magenta",
}


@dataclass(frozen=True)
class Freshness:
    """How recent a source is: its newest record (`created_at`, where it has one) and its
    latest load (`_loaded_at`). Both matter: a load can succeed and bring nothing new."""

    dataset: str
    newest_record: datetime | None
    record_age: timedelta | None
    loaded_at: datetime | None
    load_age: timedelta | None


@dataclass(frozen=True)
class RowCount:
    """A dataset's size now and at the comparison point (about a day earlier)."""

    dataset: str
    rows: int
    previous_rows: int | None
    previous_at: datetime | None

    @property
    def change(self) -> int | None:
        return None if self.previous_rows is None else self.rows - self.previous_rows


@dataclass(frozen=True)
class Problem:
    """A check whose latest result is not a pass, and how long it has been so."""

    status: Status
    dataset: str
    check: str
    column: str | None
    failing_rows: int | None
    opened_at: datetime
    open_for: timedelta
    message: str | None


@dataclass(frozen=True)
class UnitDigest:
    """One business unit's part of the digest."""

    name: str
    checks: dict[Status, int]
    freshness: tuple[Freshness, ...]
    row_counts: tuple[RowCount, ...]
    problems: tuple[Problem, ...]

    def count(self, status: Status) -> int:
        return self.checks.get(status, 0)


@dataclass(frozen=True)
class Digest:
    environment: str
    as_of: datetime
    units: tuple[UnitDigest, ...]

    def unit(self, name: str) -> UnitDigest:
        for unit in self.units:
            if unit.name == name:
                return unit
        raise ValueError(f"unknown business unit {name!r}; known: {', '.join(UNITS)}")


# --- building ---------------------------------------------------------------------------------


def build_digest(
    warehouse: Warehouse, environment: str = "prod", as_of: datetime | None = None
) -> Digest:
    """The digest of `environment` at `as_of` (default now, naive UTC like all history).

    Building it stores today's row counts (at `as_of`), so that tomorrow's digest has
    something to compare with.
    """
    as_of = as_of or history.now()
    history.ensure_schema(warehouse)
    ensure_row_counts(warehouse)
    counts = count_rows(warehouse, environment, as_of)
    freshness = source_freshness(warehouse, as_of)
    checks = check_counts(warehouse, environment, as_of)
    problems = open_problems(warehouse, environment, as_of)
    return Digest(
        environment,
        as_of,
        tuple(
            UnitDigest(
                unit,
                checks.get(unit, {}),
                tuple(f for f in freshness if dataset_unit(f.dataset) == unit),
                tuple(c for c in counts if dataset_unit(c.dataset) == unit),
                tuple(problem for owner, problem in problems if owner == unit),
            )
            for unit in UNITS
        ),
    )


def ensure_row_counts(warehouse: Warehouse) -> None:
    """Create the row-count history if missing: counts are kept, like every other history,
    so a change can be measured against any earlier day."""
    ddl = ", ".join(f"{name} {type_}" for name, type_ in ROW_COUNTS.items())
    warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS {history.SCHEMA}")
    warehouse.execute(f"CREATE TABLE IF NOT EXISTS {history.SCHEMA}.{ROW_COUNTS_TABLE} ({ddl})")


def dataset_unit(dataset: str) -> str:
    """A mart belongs to its schema's unit; sources and everything else to the platform."""
    schema = dataset.split(".")[0]
    return schema if schema in BUSINESS_UNITS else PLATFORM


def counted_relations(warehouse: Warehouse, environment: str) -> dict[str, str]:
    """Dataset (prod name) -> relation to count: the raw sources and the marts' views in
    `environment` (SQLMesh puts a dev environment's views in schemas `<unit>__<env>`)."""
    relations = {name: name for name in sources(warehouse)}
    for unit in BUSINESS_UNITS:
        for relation in warehouse.relations([view_schema(unit, environment)]):
            relations[f"{unit}.{relation.split('.', 1)[1]}"] = relation
    return relations


def count_rows(warehouse: Warehouse, environment: str, as_of: datetime) -> list[RowCount]:
    """Count every dataset, compare with the counts stored before, then store these."""
    relations = counted_relations(warehouse, environment)
    current = {
        dataset: warehouse.value(f"SELECT count(*) FROM {quoted(relation)}")
        for dataset, relation in sorted(relations.items())
    }
    before = previous_counts(warehouse, environment, as_of)
    stored = [
        {"dataset": dataset, "counted_at": as_of, "row_count": rows, "environment": environment}
        for dataset, rows in current.items()
    ]
    warehouse.insert(
        f"{history.SCHEMA}.{ROW_COUNTS_TABLE}",
        list(ROW_COUNTS),
        ([row[column] for column in ROW_COUNTS] for row in stored),
    )
    return [
        RowCount(dataset, rows, *before.get(dataset, (None, None)))
        for dataset, rows in current.items()
    ]


def previous_counts(
    warehouse: Warehouse, environment: str, as_of: datetime
) -> dict[str, tuple[int, datetime]]:
    """Dataset -> (rows, counted_at) to compare with: the latest count at least a day before
    `as_of`, else the earliest one before `as_of` (a young history still shows a trend)."""
    rows = warehouse.rows(
        f"""
        SELECT dataset, coalesce(
            arg_max({{'rows': row_count, 'at': counted_at}}, counted_at)
                FILTER (WHERE counted_at <= ?),
            arg_min({{'rows': row_count, 'at': counted_at}}, counted_at)
        ) AS previous
        FROM {history.SCHEMA}.{ROW_COUNTS_TABLE}
        WHERE environment = ? AND counted_at < ?
        GROUP BY dataset
        """,
        [as_of - timedelta(days=1), environment, as_of],
    )
    return {row["dataset"]: (row["previous"]["rows"], row["previous"]["at"]) for row in rows}


def sources(warehouse: Warehouse) -> list[str]:
    """The raw contract's tables that the warehouse has; the loader's own bookkeeping tables
    in `raw` are not sources."""
    present = warehouse.relations([RAW_SCHEMA])
    return sorted(table.qualified_name for table in RAW_TABLES if table.qualified_name in present)


def source_freshness(warehouse: Warehouse, as_of: datetime) -> list[Freshness]:
    """Newest `created_at` and `_loaded_at` of every source, read from the tables themselves:
    the history says what checks saw, this says what the data is now."""
    found = []
    for relation in sources(warehouse):
        columns = warehouse.columns(relation)
        newest = latest(warehouse, relation, "created_at") if "created_at" in columns else None
        loaded = latest(warehouse, relation, "_loaded_at") if "_loaded_at" in columns else None
        found.append(Freshness(relation, newest, age(newest, as_of), loaded, age(loaded, as_of)))
    return found


def latest(warehouse: Warehouse, relation: str, column: str) -> datetime | None:
    return warehouse.value(f'SELECT max("{column}") FROM {quoted(relation)}')


def age(moment: datetime | None, as_of: datetime) -> timedelta | None:
    return None if moment is None else as_of - moment


def check_counts(
    warehouse: Warehouse, environment: str, as_of: datetime
) -> dict[str, dict[Status, int]]:
    """Unit -> status -> how many checks have that status as their latest result."""
    counts: dict[str, dict[Status, int]] = {}
    for row in warehouse.rows(
        f"""
        SELECT business_unit, status, count(*) AS checks
        FROM (
            SELECT check_id,
                   arg_max(business_unit, checked_at) AS business_unit,
                   arg_max(status, checked_at) AS status
            FROM {history.SCHEMA}.check_results
            WHERE environment = ? AND checked_at <= ?
            GROUP BY check_id
        )
        GROUP BY ALL
        """,
        [environment, as_of],
    ):
        counts.setdefault(row["business_unit"], {})[Status(row["status"])] = row["checks"]
    return counts


def open_problems(
    warehouse: Warehouse, environment: str, as_of: datetime
) -> list[tuple[str, Problem]]:
    """(unit, problem) of every open problem that had opened by `as_of`, worst first."""
    return [
        (
            row["business_unit"],
            Problem(
                Status(row["status"]),
                row["dataset"],
                row["check_name"],
                row["column_name"],
                row["failing_rows"],
                row["opened_at"],
                as_of - row["opened_at"],
                row["message"],
            ),
        )
        for row in history.open_problems(warehouse, environment)
        if row["opened_at"] <= as_of
    ]


def quoted(relation: str) -> str:
    return ".".join(f'"{part}"' for part in relation.split("."))


# --- wording shared by the digest and the report ------------------------------------------------


def format_duration(delta: timedelta) -> str:
    """'2 d 4 h', '3 h 12 min', '5 min': precise enough to act on, short enough for a list."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def format_ago(delta: timedelta | None) -> str:
    """How old something is; a timestamp after `as_of` is said to be in the future, since a
    negative age would read as fresh when it is a source error."""
    if delta is None:
        return "never"
    if delta < timedelta(0):
        return f"{format_duration(delta)} in the future"
    return f"{format_duration(delta)} ago"


def format_time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def format_change(count: RowCount) -> str:
    if count.change is None:
        return "no earlier count"
    percent = f" ({count.change / count.previous_rows:+.1%})" if count.previous_rows else ""
    return f"{count.change:+,}{percent} since {format_time(count.previous_at)}"


def check_summary(unit: UnitDigest) -> str:
    """'12 passed, 1 warned, 2 failed', with errors only when there are some."""
    parts = [
        f"{unit.count(Status.PASS)} passed",
        f"{unit.count(Status.WARN)} warned",
        f"{unit.count(Status.FAIL)} failed",
    ]
    if unit.count(Status.ERROR):
        parts.append(f"{unit.count(Status.ERROR)} errored")
    return ", ".join(parts)


# --- Markdown ------------------------------------------------------------------------------------


def digest_text(digest: Digest, business_unit: str | None = None) -> str:
    """Markdown, one section per business unit (or only `business_unit`'s), each section
    within Slack's limit: lists are shortened to "and N more" until it fits."""
    units = [digest.unit(business_unit)] if business_unit else list(digest.units)
    return "\n\n".join(section(digest, unit) for unit in units)


def section(digest: Digest, unit: UnitDigest) -> str:
    for limit in LIST_LIMITS:
        text = render_section(digest, unit, limit)
        if len(text) <= SECTION_LIMIT:
            return text
    return text[: SECTION_LIMIT - 1] + "…"


def render_section(digest: Digest, unit: UnitDigest, limit: int) -> str:
    lines = [
        f"## {unit.name.capitalize()} · {digest.environment} · {format_time(digest.as_of)} UTC",
        f"Checks (latest result of each): {check_summary(unit)}",
        "",
        f"**Open problems ({len(unit.problems)})**",
        *bullets([problem_line(p) for p in unit.problems], limit, "No open problems."),
    ]
    if unit.freshness:
        lines += ["", "**Source freshness**"]
        lines += bullets([freshness_line(f) for f in unit.freshness], limit, "")
    lines += ["", "**Row counts**"]
    lines += bullets([count_line(c) for c in unit.row_counts], limit, "No datasets.")
    return "\n".join(lines)


def bullets(items: list[str], limit: int, empty: str) -> list[str]:
    if not items:
        return [empty]
    shown = [f"- {item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"- … and {len(items) - limit} more")
    return shown


def problem_line(problem: Problem) -> str:
    column = f" on {code(problem.column)}" if problem.column else ""
    rows = f", {problem.failing_rows:,} failing rows" if problem.failing_rows else ""
    return (
        f"**{problem.status.upper()}** {code(problem.dataset)} {code(problem.check)}"
        f"{column}{rows}, open {format_duration(problem.open_for)}"
        f" (since {format_time(problem.opened_at)})"
    )


def freshness_line(freshness: Freshness) -> str:
    newest = (
        f"newest record {format_time(freshness.newest_record)}"
        f" ({format_ago(freshness.record_age)}), "
        if freshness.newest_record
        else ""
    )
    return f"{code(freshness.dataset)}: {newest}loaded {format_ago(freshness.load_age)}"


def count_line(count: RowCount) -> str:
    rows = "row" if count.rows == 1 else "rows"
    return f"{code(count.dataset)}: {count.rows:,} {rows}, {format_change(count)}"


def code(name: str) -> str:
    """Inline code, so names with Markdown characters (`_`, `*`) print as they are; cut to
    `NAME_LIMIT`, so that no single item can keep a section over Slack's limit."""
    if len(name) > NAME_LIMIT:
        name = name[: NAME_LIMIT - 1] + "…"
    return "`" + name.replace("`", "'") + "`"


# --- terminal ------------------------------------------------------------------------------------


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
                "" if p.failing_rows is None else f"{p.failing_rows:,}",
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
