"""The alert rules alone: new, silent, changed, still failing after the interval, resolved."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from monitor.warehouse import Warehouse

from monitor import alerts, history
from monitor.results import CheckResult, Source, Status

INTERVAL = timedelta(hours=24)


def _result(status: Status, failing: int = 3) -> CheckResult:
    return CheckResult(
        source=Source.SODA,
        dataset="marketing.fct_user_orders",
        check="missing_count(user_id) = 0",
        column="user_id",
        status=status,
        owner="marketing",
        tags=("marketing",),
        failing_rows=failing if status.is_problem else 0,
        query="SELECT * FROM marketing.fct_user_orders WHERE user_id IS NULL",
        sample=[{"user_id": None, "email": "***"}] if status.is_problem else [],
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    store = Warehouse(duckdb.connect(str(tmp_path / "greenery.duckdb")))
    history.ensure_schema(store)
    return store


def _decide(warehouse: Warehouse, status: Status, age: timedelta | None = None) -> list[str]:
    """Decide and record the alerts for one result; `age` back-dates what was recorded."""
    decided = alerts.decide_alerts(warehouse, "prod", [_result(status)], INTERVAL, "file:///r.html")
    alerts.record_alerts(warehouse, "run", "prod", decided)
    if age:
        warehouse.execute("UPDATE monitor.alerts SET created_at = created_at - ?", [age])
    return [a.kind for a in decided]


def test_a_failure_alerts_once_then_stays_silent(warehouse: Warehouse) -> None:
    assert _decide(warehouse, Status.WARN) == ["new"]
    assert _decide(warehouse, Status.WARN) == []
    assert _decide(warehouse, Status.WARN) == []


def test_a_status_change_alerts_again(warehouse: Warehouse) -> None:
    assert _decide(warehouse, Status.WARN) == ["new"]
    assert _decide(warehouse, Status.FAIL) == ["changed"]
    assert _decide(warehouse, Status.FAIL) == []


def test_the_re_alert_interval_repeats_a_long_failure(warehouse: Warehouse) -> None:
    assert _decide(warehouse, Status.FAIL, age=INTERVAL - timedelta(minutes=5)) == ["new"]
    assert _decide(warehouse, Status.FAIL) == []
    warehouse.execute("UPDATE monitor.alerts SET created_at = created_at - INTERVAL 10 MINUTE")
    assert _decide(warehouse, Status.FAIL) == ["still_failing"]


def test_passing_again_resolves_once(warehouse: Warehouse) -> None:
    assert _decide(warehouse, Status.FAIL) == ["new"]
    assert _decide(warehouse, Status.PASS) == ["resolved"]
    assert _decide(warehouse, Status.PASS) == []
    assert _decide(warehouse, Status.FAIL) == ["new"]


def test_an_alert_says_what_where_how_bad_and_how_to_reproduce(warehouse: Warehouse) -> None:
    (alert,) = alerts.decide_alerts(
        warehouse, "prod", [_result(Status.FAIL)], INTERVAL, "file:///r.html"
    )
    assert (
        alert.title == "[FAIL] marketing.fct_user_orders.user_id: missing_count(user_id) = 0 (prod)"
    )
    assert "3 failing row(s)" in alert.body
    assert "`marketing.fct_user_orders` in environment `prod`" in alert.body
    assert "SELECT * FROM marketing.fct_user_orders WHERE user_id IS NULL" in alert.body
    assert "***" in alert.body and "Report: file:///r.html" in alert.body
    assert alert.route == frozenset({"marketing"})


def test_a_long_body_is_cut_to_the_channel_and_keeps_its_summary() -> None:
    body = "**summary**\n" + "\n".join(f"line {n}" for n in range(2000))
    cut = alerts.fit(body, 2900)
    assert len(cut) <= 2900 and cut.startswith("**summary**") and "cut to fit" in cut
