"""Monitors built on the stored history, for sources and marts alike.

- volume: today's growth of a table against its recent daily growth, and tables that shrink;
- staleness: a table whose row count stopped changing while it used to change every day;
- schema drift: columns added, removed or retyped since the last run.
They read what earlier runs stored (row counts, schemas) and store today's for tomorrow: the
one place the monitor counts rows.
"""

from __future__ import annotations

import itertools
import statistics
from datetime import datetime, timedelta

from greenery.layout import BUSINESS_UNITS, RAW_SCHEMA, view_schema
from monitor.datasets import Dataset
from monitor.results import CheckResult, Source, Status
from monitor.storage import reads, writes
from monitor.storage.database import Database

#: How far back the recent history reaches, and how much of it a verdict needs.
WINDOW = timedelta(days=14)
MIN_DAYS = 3
#: Growth this many standard deviations (and this share) away from the recent mean warns.
Z_LIMIT = 3.0
MIN_RELATIVE_DEVIATION = 0.2


def run_history_monitors(
    database: Database, environment: str, datasets: dict[str, Dataset], now: datetime
) -> list[CheckResult]:
    """Volume, staleness and schema-drift results for every source and mart of `environment`."""
    results = []
    for dataset, relation in sorted(monitored_relations(database, environment, datasets).items()):
        info = datasets.get(dataset)
        rows = database.value(f"SELECT count(*) FROM {relation}")
        daily = reads.daily_counts(database, dataset, environment, now - WINDOW, now)
        results.append(_volume(dataset, info, rows, daily))
        results.append(_staleness(dataset, info, rows, daily))
        results.append(_schema_drift(database, dataset, info, relation, environment, now))
        writes.record_row_count(database, dataset, environment, rows, now)
    return results


def monitored_relations(
    database: Database, environment: str, datasets: dict[str, Dataset]
) -> dict[str, str]:
    """Dataset (prod name) -> relation to read: the sources SQLMesh declares (external models
    in the raw schema) and the marts' views in `environment`."""
    relations = {name: name for name in database.relations([RAW_SCHEMA]) if name in datasets}
    for unit in BUSINESS_UNITS:
        for relation in database.relations([view_schema(unit, environment)]):
            relations[f"{unit}.{relation.split('.', 1)[1]}"] = relation
    return relations


def _result(
    dataset: str, info: Dataset | None, check: str, status: Status, **fields
) -> CheckResult:
    return CheckResult(
        source=Source.MONITOR,
        dataset=dataset,
        check=check,
        status=status,
        severity="warn",
        owner=info.owner if info else "data_team",
        tags=info.tags if info else (),
        **fields,
    )


def _volume(dataset: str, info: Dataset | None, rows: int, daily: list[int]) -> CheckResult:
    """Today's growth against the day-to-day growth of the recent history."""
    check = "volume: growth in line with recent days"
    if not daily:
        return _result(
            dataset,
            info,
            check,
            Status.PASS,
            measured_value=rows,
            message="first count: nothing to compare yet",
        )
    growth = rows - daily[-1]
    if growth < 0:
        return _result(
            dataset,
            info,
            check,
            Status.WARN,
            measured_value=growth,
            threshold=">= 0",
            message=f"{-growth:,} rows fewer than the day before",
        )
    steps = [b - a for a, b in itertools.pairwise(daily)]
    if len(steps) < MIN_DAYS:
        return _result(
            dataset,
            info,
            check,
            Status.PASS,
            measured_value=growth,
            message=f"{len(steps)} day(s) of history; {MIN_DAYS} needed to judge",
        )
    mean, spread = statistics.fmean(steps), statistics.pstdev(steps)
    low, high = mean - Z_LIMIT * spread, mean + Z_LIMIT * spread
    off = abs(growth - mean) > max(MIN_RELATIVE_DEVIATION * mean, 1)
    status = Status.WARN if off and not low <= growth <= high else Status.PASS
    return _result(
        dataset,
        info,
        check,
        status,
        measured_value=growth,
        threshold=f"{max(low, 0):,.0f} to {high:,.0f} rows a day",
        message=f"grew by {growth:,} rows; recent days {mean:,.0f} ± {spread:,.0f}",
    )


def _staleness(dataset: str, info: Dataset | None, rows: int, daily: list[int]) -> CheckResult:
    """A table that used to change daily and has not changed for two days."""
    check = "staleness: still changing as it used to"
    steps = [b - a for a, b in itertools.pairwise([*daily, rows])]
    if len(steps) < MIN_DAYS + 1:
        return _result(
            dataset,
            info,
            check,
            Status.PASS,
            measured_value=len(steps),
            message="not enough history to judge",
        )
    *earlier, before, today = steps
    used_to_change = sum(1 for step in earlier if step) >= 0.8 * len(earlier)
    stale = used_to_change and before == 0 and today == 0
    return _result(
        dataset,
        info,
        check,
        Status.WARN if stale else Status.PASS,
        measured_value=today,
        threshold="changes daily",
        message="no new rows for two days" if stale else None,
    )


def _schema_drift(
    database: Database,
    dataset: str,
    info: Dataset | None,
    relation: str,
    environment: str,
    now: datetime,
) -> CheckResult:
    """Columns and types against the last run's; then remember today's."""
    current = database.columns(relation)
    previous = reads.last_schema(database, dataset, environment)
    writes.record_schema(database, dataset, environment, current, now)
    check = "schema: same columns and types as the last run"
    if previous is None:
        return _result(dataset, info, check, Status.PASS, message="first schema seen")
    changes = [f"added {c} {t}" for c, t in current.items() if c not in previous]
    changes += [f"removed {c}" for c in previous if c not in current]
    changes += [
        f"{c} {previous[c]} -> {t}"
        for c, t in current.items()
        if c in previous and previous[c] != t
    ]
    return _result(
        dataset,
        info,
        check,
        Status.WARN if changes else Status.PASS,
        measured_value=len(changes),
        threshold="0 changes",
        message="; ".join(changes) or None,
    )
