"""Monitors built on the stored history, for sources and marts alike.

- volume: today's growth of a table against its typical daily growth, and tables that shrink;
- staleness: a table that stopped growing while its typical day brings rows;
- schema drift: columns added, removed or retyped since the last run.
They read what earlier runs stored (row counts, schemas) and store today's for tomorrow: the
one place the monitor counts rows.

Volume and staleness judge a table only once they have seen MIN_DAYS days of it. Until then
they pass with no measured value and a message that starts with LEARNING ("learning: 3 of 7
days of history; not judged yet"), so that a digest can tell "not judged yet" from "fine".
A shrinking table is the exception: yesterday's count is all that takes, and a table losing
rows is news on any day. `volume_verdict` and `staleness_verdict` are the rules themselves,
pure functions of today's count and the earlier days' counts;
tests/test_history_monitors.py replays the generator's clean days through them.
"""

from __future__ import annotations

import itertools
import math
import statistics
from datetime import datetime, timedelta
from typing import NamedTuple

from greenery.layout import BUSINESS_UNITS, RAW_SCHEMA, view_schema
from monitor.datasets import Dataset
from monitor.results import CheckResult, Source, Status
from monitor.storage import reads, writes
from monitor.storage.database import Database

#: How far back the history reaches: two weeks of daily counts, so that a typical day is a
#: median over 13 daily growths, which one odd day cannot move.
WINDOW = timedelta(days=14)
#: Earlier days counted before volume and staleness speak: a week, so that a quiet weekday
#: or a weekend is in the history before a day is called unusual.
MIN_DAYS = 7
#: A day's growth warns outside [typical / FACTOR - slack, typical * FACTOR + slack]. Twice
#: (or half) the typical day: on the generator's clean days a day's growth strays at most
#: 1.44 times (and 0.82 times) from the median of the days before (the shop grows by about 2%
#: a day, so a two-week median lags by a sixth, and days vary by a tenth or more), and a day
#: the monitor missed doubles the next growth; a load that brought nothing, or five times the
#: usual, is far outside.
FACTOR = 2.0
#: The slack is NOISE standard deviations of a count of independent arrivals (about the
#: square root of the count; +1 so that a table that never grows still has some): it keeps
#: quiet tables quiet (3 new users on a typical day is often 0 or 7), and is small beside the
#: factor on busy ones. So a day without rows warns by volume from about 38 rows a typical
#: day up; quieter tables are left to staleness, and five times the typical day warns from 2.
NOISE = 3.0
#: Staleness: the quiet days a table must go without a new row before it is called stale:
#: so many that, at its typical growth, chance gives it that stretch less than once in
#: 10,000 days (Poisson: exp(-typical * days)), and at least two. 3 new users a day: 4 days;
#: 5 or more rows a day: 2 days; 1 row a day: 10 days, so in practice such a table is left to
#: the freshness checks. A table whose typical day brings nothing is never stale.
STALE_CHANCE = 1e-4
MIN_QUIET_DAYS = 2
#: How a result of a rule that has not judged yet starts its message (measured value None).
LEARNING = "learning:"


class Verdict(NamedTuple):
    """What a rule says about one table on one day."""

    status: Status
    message: str
    measured_value: float | None = None
    threshold: str | None = None


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


def _learning(daily: list[int]) -> Verdict | None:
    """PASS without a measured value while fewer than MIN_DAYS earlier days were counted."""
    if len(daily) >= MIN_DAYS:
        return None
    return Verdict(
        Status.PASS, f"{LEARNING} {len(daily)} of {MIN_DAYS} days of history; not judged yet"
    )


def _typical(daily: list[int]) -> float:
    """The typical daily growth: the median of the growths between the earlier days' counts
    (0 for a table that typically shrinks, which volume reports day by day)."""
    return max(statistics.median(b - a for a, b in itertools.pairwise(daily)), 0)


def volume_verdict(rows: int, daily: list[int]) -> Verdict:
    """Today's growth (`rows` against the last of `daily`, the earlier days' counts, oldest
    first) against the typical daily growth."""
    if daily and rows < daily[-1]:
        return Verdict(
            Status.WARN,
            f"{daily[-1] - rows:,} row(s) fewer than the day before",
            measured_value=rows - daily[-1],
            threshold=">= 0",
        )
    if learning := _learning(daily):
        return learning
    growth, typical = rows - daily[-1], _typical(daily)
    slack = NOISE * math.sqrt(typical + 1)
    low, high = max(typical / FACTOR - slack, 0), typical * FACTOR + slack
    return Verdict(
        Status.PASS if low <= growth <= high else Status.WARN,
        f"grew by {growth:,} rows; a typical day of the last {len(daily)} adds {typical:,.0f}",
        measured_value=growth,
        threshold=f"{math.ceil(low):,} to {math.floor(high):,} rows a day",
    )


def staleness_verdict(rows: int, daily: list[int]) -> Verdict:
    """A table that has gone without new rows, up to today, for longer than chance explains
    at the typical growth of its days before that quiet stretch. A stretch that began before
    the window has nothing to compare with, and passes: the sources' freshness checks report
    a source that stopped long ago. A table that fills up and stays full (none does here) is
    called stale until its growing days leave the window."""
    if learning := _learning(daily):
        return learning
    counts = [*daily, rows]
    quiet = 0
    while quiet + 1 < len(counts) and counts[-1 - quiet] == counts[-2 - quiet]:
        quiet += 1
    before_quiet = counts[: len(counts) - quiet]
    if len(before_quiet) < 2:
        return Verdict(
            Status.PASS,
            f"no new rows for {quiet} day(s), all the history there is: nothing to compare with",
            measured_value=quiet,
        )
    typical = _typical(before_quiet)
    if typical <= 0:
        return Verdict(
            Status.PASS,
            "a typical day adds no rows: nothing to go stale",
            measured_value=quiet,
        )
    needed = max(MIN_QUIET_DAYS, math.ceil(-math.log(STALE_CHANCE) / typical))
    said = f"no new rows for {quiet} day(s)" if quiet else "new rows today"
    return Verdict(
        Status.WARN if quiet >= needed else Status.PASS,
        f"{said}; a typical day before adds {typical:,.0f}",
        measured_value=quiet,
        threshold=f"fewer than {needed} days without new rows",
    )


def _volume(dataset: str, info: Dataset | None, rows: int, daily: list[int]) -> CheckResult:
    verdict = volume_verdict(rows, daily)
    return _result(dataset, info, "volume: growth in line with recent days", **verdict._asdict())


def _staleness(dataset: str, info: Dataset | None, rows: int, daily: list[int]) -> CheckResult:
    verdict = staleness_verdict(rows, daily)
    return _result(dataset, info, "staleness: still changing as it used to", **verdict._asdict())


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
