"""The volume and staleness rules (monitor/checks/history_monitors.py) on the generator's days.

The generator is stable by prefix (README, "Daily arrival"): one run over 44 days holds every
earlier day's rows, so each table's row count at the end of each day is the number of its
keys that exist by then (the loader keeps one row per key). Raw tables and the marts whose
size follows from them are replayed through the rules as the monitor meets them, one count a
day: starting on any of the 44 days, and at every amount of history from none to a full
window. Clean days must never warn; a day without rows, a day of five times the rows and a
table that shrinks must, once the rules have their week of history.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import duckdb
import pytest

from ingest.generate import generate
from monitor.checks.history_monitors import (
    LEARNING,
    MIN_DAYS,
    WINDOW,
    Verdict,
    staleness_verdict,
    volume_verdict,
)
from monitor.results import Status
from tests.conftest import START

pytestmark = pytest.mark.monitor

DAYS = 44  # 30 days judged with a full window of 14 behind them
RULES = (volume_verdict, staleness_verdict)

#: The day each row of a table (or of a mart built from it) first exists, from the raw CSVs.
#: Addresses have no time of their own: a user's default address arrives with the user,
#: any other with the first order shipped there.
FIRST_DAYS = {
    "raw.users": "SELECT created_at::TIMESTAMP::DATE FROM users",
    "raw.addresses": """
        SELECT min(day) FROM (
            SELECT address_id, created_at::TIMESTAMP::DATE AS day FROM users
            UNION ALL SELECT address_id, created_at::TIMESTAMP::DATE FROM orders
        ) GROUP BY address_id""",
    "raw.orders": "SELECT created_at::TIMESTAMP::DATE FROM orders",
    "raw.order_items": """
        SELECT orders.created_at::TIMESTAMP::DATE FROM order_items JOIN orders USING (order_id)""",
    "raw.events": "SELECT created_at::TIMESTAMP::DATE FROM events",
    "raw.products": "SELECT DATE '2000-01-01' FROM products",
    "raw.promos": "SELECT DATE '2000-01-01' FROM promos",
    "core.fct_sessions": """
        SELECT min(created_at::TIMESTAMP)::DATE FROM events GROUP BY session_id""",
    "product.session_funnel": """
        SELECT DISTINCT min(created_at::TIMESTAMP)::DATE FROM events GROUP BY session_id""",
    "product.fct_product_daily": """
        SELECT DISTINCT product_id, day FROM (
            SELECT product_id, created_at::TIMESTAMP::DATE AS day FROM events
            WHERE product_id IS NOT NULL
            UNION ALL
            SELECT product_id, orders.created_at::TIMESTAMP::DATE
            FROM order_items JOIN orders USING (order_id)
        )""",
}
#: Marts as large as a raw table (one row per user, order, order line, product).
SAME_SIZE = {
    "core.dim_users": "raw.users",
    "marketing.fct_user_orders": "raw.users",
    "core.fct_orders": "raw.orders",
    "product.fct_order_products": "raw.order_items",
    "core.dim_products": "raw.products",
    "product.product_conversion": "raw.products",
}


def _daily_counts(raw: Path, start: date, days: int) -> dict[str, list[int]]:
    """Dataset -> its row count at the end of each day from `start` on."""
    con = duckdb.connect()
    for table in ("users", "addresses", "orders", "order_items", "events", "products", "promos"):
        path = raw / f"{table}.csv"
        con.execute(f"CREATE TABLE {table} AS FROM read_csv('{path}', all_varchar = true)")
    counts = {}
    for dataset, sql in FIRST_DAYS.items():
        first_days = Counter(
            max(row[-1], start) for row in con.execute(f"SELECT * FROM ({sql})").fetchall()
        )
        running, counts[dataset] = 0, []
        for offset in range(days):
            running += first_days[start + timedelta(days=offset)]
            counts[dataset].append(running)
    con.close()
    counts |= {mart: counts[raw_table] for mart, raw_table in SAME_SIZE.items()}
    counts["marketing.repeat_rate"] = [1] * days
    return counts


class Shop(NamedTuple):
    scale: float
    counts: dict[str, list[int]]


@pytest.fixture(scope="module", params=[1, 10], ids=lambda scale: f"scale{scale}")
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """The daily counts of a shop generated over DAYS days from START, the way production
    replays it: same seed and start, the default window length, a later end each day."""
    scale = request.param
    raw = tmp_path_factory.mktemp(f"history{scale}")
    generate(raw, scale=scale, seed=7, start=START, end=START + timedelta(days=DAYS - 1))
    return Shop(scale, _daily_counts(raw, START, DAYS))


def _replay(counts: list[int], first: int, day: int) -> tuple[int, list[int]]:
    """Today's count and the earlier days' counts the monitor reads (reads.daily_counts: the
    days of the window, from the day it first counted the table)."""
    return counts[day], counts[max(first, day - WINDOW.days) : day]


def test_the_counts_are_what_the_loader_would_hold_each_day(shop: Shop, tmp_path: Path) -> None:
    """The generator run with an earlier end writes as many rows as counted for that day."""
    for offset in (0, 17):
        written = generate(
            tmp_path / str(offset),
            scale=shop.scale,
            seed=7,
            start=START,
            end=START + timedelta(days=offset),
        )
        assert {table: shop.counts[f"raw.{table}"][offset] for table in written} == written


def test_clean_days_never_warn_at_any_amount_of_history(shop: Shop) -> None:
    """Every day the monitor could have started on, every later day: zero warnings. So the
    false-alarm rate over the last 30 days is zero at every amount of history up to 14 days."""
    counts = shop.counts
    warnings, judged = [], 0
    for dataset, series in counts.items():
        for first in range(DAYS):
            for day in range(first, DAYS):
                rows, history = _replay(series, first, day)
                for rule in RULES:
                    verdict = rule(rows, history)
                    judged += verdict.measured_value is not None
                    if verdict.status is not Status.PASS:
                        warnings.append((dataset, first, day, rule.__name__, verdict.message))
    assert warnings == []
    assert judged > len(counts) * 30 * 30, "most days must be judged, not only learned from"


@pytest.mark.parametrize("rule", RULES)
def test_without_a_week_of_history_the_rules_are_learning(
    rule: Callable[[int, list[int]], Verdict],
) -> None:
    growing = [100 * day for day in range(1, 20)]
    for days in range(MIN_DAYS):
        verdict = rule(growing[days] * 5, growing[:days])  # far off, and still not judged
        assert verdict == Verdict(
            Status.PASS, f"{LEARNING} {days} of {MIN_DAYS} days of history; not judged yet"
        )
    judged = rule(growing[MIN_DAYS], growing[:MIN_DAYS])
    assert (judged.status, judged.message.startswith(LEARNING)) == (Status.PASS, False)
    assert judged.measured_value is not None


@pytest.mark.parametrize("history", range(MIN_DAYS, WINDOW.days + 1))
def test_real_anomalies_warn_once_the_history_is_there(shop: Shop, history: int) -> None:
    """After steady clean days: a table that shrinks warns; five times a typical day warns
    from 2 rows a typical day up (below, that is within a count's noise); no new rows warn
    the same day on tables busy enough for a quiet day to be impossible (38 rows a typical
    day), and by staleness within four quiet days from 3 rows a typical day up."""
    day = DAYS - 5
    for dataset, series in shop.counts.items():
        before = series[day - history : day]
        yesterday = before[-1]
        typical = statistics.median(b - a for a, b in itertools.pairwise(before))

        shrunk = volume_verdict(yesterday - 1, before)
        assert (shrunk.status, shrunk.measured_value) == (Status.WARN, -1), dataset

        grown = volume_verdict(yesterday + round(5 * typical), before)
        assert grown.status is (Status.WARN if typical >= 2 else Status.PASS), (dataset, grown)

        history_then, statuses = list(before), []  # no new row from `day` on
        for _ in range(4):
            statuses.append(
                {rule: rule(yesterday, history_then[-history:]).status for rule in RULES}
            )
            history_then.append(yesterday)
        if typical >= 38:
            assert statuses[0][volume_verdict] is Status.WARN, dataset
            assert statuses[1][staleness_verdict] is Status.WARN, dataset
        if typical >= 3:
            assert statuses[3][staleness_verdict] is Status.WARN, dataset
        if typical == 0:
            assert all(s is Status.PASS for days in statuses for s in days.values()), dataset


def test_a_table_that_shrinks_warns_from_its_second_count() -> None:
    """Yesterday's count is all a shrink needs: the loader never deletes, and a mart that
    loses rows lost them somewhere."""
    verdict = volume_verdict(99, [100])
    assert verdict == Verdict(Status.WARN, "1 row(s) fewer than the day before", -1, ">= 0")


def test_a_table_quiet_for_all_its_history_is_left_to_the_freshness_checks() -> None:
    verdict = staleness_verdict(100, [100] * WINDOW.days)
    assert (verdict.status, verdict.measured_value) == (Status.PASS, WINDOW.days)
    assert verdict.message.endswith("nothing to compare with")
