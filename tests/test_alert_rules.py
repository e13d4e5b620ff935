"""The alert rules alone: new, silent, changed, still failing after the interval, resolved."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from monitor.alerts.delivery import record_alerts
from monitor.alerts.rules import decide_alerts
from monitor.channels import fit
from monitor.results import CheckResult, Source, Status
from monitor.storage.database import Database
from monitor.storage.tables import ensure_tables

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
def database(tmp_path: Path) -> Database:
    store = Database(duckdb.connect(str(tmp_path / "greenery.duckdb")))
    ensure_tables(store)
    return store


def _decide(database: Database, status: Status, age: timedelta | None = None) -> list[str]:
    """Decide and record the alerts for one result; `age` back-dates what was recorded."""
    decided = decide_alerts(database, "prod", [_result(status)], INTERVAL, "file:///r.html")
    record_alerts(database, "run", "prod", decided)
    if age:
        database.execute("UPDATE monitor.alerts SET created_at = created_at - ?", [age])
    return [a.kind for a in decided]


def test_a_failure_alerts_once_then_stays_silent(database: Database) -> None:
    assert _decide(database, Status.WARN) == ["new"]
    assert _decide(database, Status.WARN) == []
    assert _decide(database, Status.WARN) == []


def test_a_status_change_alerts_again(database: Database) -> None:
    assert _decide(database, Status.WARN) == ["new"]
    assert _decide(database, Status.FAIL) == ["changed"]
    assert _decide(database, Status.FAIL) == []


def test_the_re_alert_interval_repeats_a_long_failure(database: Database) -> None:
    assert _decide(database, Status.FAIL, age=INTERVAL - timedelta(minutes=5)) == ["new"]
    assert _decide(database, Status.FAIL) == []
    database.execute("UPDATE monitor.alerts SET created_at = created_at - INTERVAL 10 MINUTE")
    assert _decide(database, Status.FAIL) == ["still_failing"]


def test_passing_again_resolves_once(database: Database) -> None:
    assert _decide(database, Status.FAIL) == ["new"]
    assert _decide(database, Status.PASS) == ["resolved"]
    assert _decide(database, Status.PASS) == []
    assert _decide(database, Status.FAIL) == ["new"]


def test_an_alert_says_what_where_how_bad_and_how_to_reproduce(database: Database) -> None:
    (alert,) = decide_alerts(database, "prod", [_result(Status.FAIL)], INTERVAL, "file:///r.html")
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
    cut = fit(body, 2900)
    assert len(cut) <= 2900 and cut.startswith("**summary**") and "cut to fit" in cut
