"""The daily digest as data: per business unit, what the checks say, how fresh and how large the
data is, and what is still broken and since when.

Built only by reading the warehouse (the history the monitor stored, and the sources' newest
timestamps), then rendered as Markdown (`markdown`) and on the terminal (`terminal`), so the
two can never disagree. Row counts are those of the latest monitor run: the monitor counts
rows once, when it checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from greenery.layout import RAW_SCHEMA, UNITS, business_unit
from monitor.results import Status
from monitor.storage import reads
from monitor.storage.database import Database, now


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
    #: Datasets whose volume and staleness monitors lack the history to judge yet.
    learning: tuple[str, ...] = ()

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


def build_digest(
    database: Database, environment: str = "prod", as_of: datetime | None = None
) -> Digest:
    """The digest of `environment` at `as_of` (default now, naive UTC like all history)."""
    as_of = as_of or now()
    counts = row_counts(database, environment, as_of)
    freshness = source_freshness(database, [c.dataset for c in counts], as_of)
    checks = check_counts(database, environment, as_of)
    problems = open_problems(database, environment, as_of)
    learning = sorted(
        {
            (row["business_unit"], row["dataset"])
            for row in reads.learning_monitors(database, environment, as_of)
        }
    )
    return Digest(
        environment,
        as_of,
        tuple(
            UnitDigest(
                unit,
                checks.get(unit, {}),
                tuple(f for f in freshness if business_unit(f.dataset) == unit),
                tuple(c for c in counts if business_unit(c.dataset) == unit),
                tuple(problem for owner, problem in problems if owner == unit),
                tuple(d for u, d in learning if u == unit),
            )
            for unit in UNITS
        ),
    )


def row_counts(database: Database, environment: str, as_of: datetime) -> list[RowCount]:
    """Every dataset's latest stored count, with the one to compare it with."""
    found = []
    for row in reads.row_counts_with_previous(database, environment, as_of):
        previous = row["previous"] or {"rows": None, "at": None}
        found.append(RowCount(row["dataset"], row["rows"], previous["rows"], previous["at"]))
    return found


def source_freshness(database: Database, datasets: list[str], as_of: datetime) -> list[Freshness]:
    """Newest `created_at` and `_loaded_at` of every counted source, read from the tables
    themselves: the history says what checks saw, this says what the data is now."""
    found = []
    present = database.relations([RAW_SCHEMA])
    for relation in (d for d in datasets if d in present):
        columns = database.columns(relation)
        newest = _latest(database, relation, "created_at") if "created_at" in columns else None
        loaded = _latest(database, relation, "_loaded_at") if "_loaded_at" in columns else None
        found.append(Freshness(relation, newest, _age(newest, as_of), loaded, _age(loaded, as_of)))
    return found


def _latest(database: Database, relation: str, column: str) -> datetime | None:
    schema, table = relation.split(".")
    return database.value(f'SELECT max("{column}") FROM "{schema}"."{table}"')


def _age(moment: datetime | None, as_of: datetime) -> timedelta | None:
    return None if moment is None else as_of - moment


def check_counts(
    database: Database, environment: str, as_of: datetime
) -> dict[str, dict[Status, int]]:
    """Unit -> status -> how many checks have that status as their latest result."""
    counts: dict[str, dict[Status, int]] = {}
    for row in reads.latest_statuses(database, environment, as_of):
        unit = counts.setdefault(row["business_unit"], {})
        status = Status(row["status"])
        unit[status] = unit.get(status, 0) + 1
    return counts


def open_problems(
    database: Database, environment: str, as_of: datetime
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
        for row in reads.open_problems(database, environment)
        if row["opened_at"] <= as_of
    ]
