"""Incidents alone: grouping by dataset and lineage, and the lifecycle run after run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.alerts.incidents import decide_events, group_incidents, record_events
from monitor.results import CheckResult, Source, Status
from monitor.storage.database import Database, now

pytestmark = pytest.mark.monitor

INTERVAL = timedelta(hours=24)
#: raw.orders -> staging -> core.fct_orders -> marketing.fct_user_orders; raw.users -> core.
UPSTREAM = {
    "staging.stg_greenery__orders": {"raw.orders"},
    "staging.stg_greenery__users": {"raw.users"},
    "core.fct_orders": {"staging.stg_greenery__orders"},
    "core.dim_users": {"staging.stg_greenery__users"},
    "marketing.fct_user_orders": {"core.fct_orders", "core.dim_users"},
}


def _problem(dataset: str, check: str, status: Status = Status.FAIL, rows: int = 3, **kw):
    return CheckResult(
        source=kw.pop("source", Source.SODA),
        dataset=dataset,
        check=check,
        status=status,
        failing_rows=rows,
        owner=kw.pop("owner", "data_team"),
        **kw,
    )


def _run(database: Database, problems: list[CheckResult], retired=frozenset(), age=None):
    """One run's events; `age` back-dates what earlier runs recorded."""
    if age:
        database.execute("UPDATE monitor.incidents SET created_at = created_at - ?", [age])
    moment = now()
    checked = {*UPSTREAM, "raw.orders", "raw.users", "raw.events"}
    incidents = group_incidents(problems, UPSTREAM)
    events = decide_events(database, "prod", incidents, checked, set(retired), INTERVAL, moment)
    record_events(database, "run", "prod", events, moment)
    return [(e.event, e.root) for e in events]


def test_an_audit_and_a_soda_check_on_one_dataset_are_one_incident() -> None:
    (incident,) = group_incidents(
        [
            _problem("raw.orders", "not_null(columns := (order_id))", source=Source.SQLMESH_AUDIT),
            _problem("raw.orders", "missing_count(order_id) = 0", Status.WARN),
        ],
        UPSTREAM,
    )
    assert incident.root == "raw.orders" and incident.status is Status.FAIL
    assert incident.failing_rows == 6 and len(incident.problems) == 2


def test_downstream_failures_join_their_root_with_the_impacted_marts() -> None:
    incidents = group_incidents(
        [
            _problem("core.fct_orders", "values in (user_id) must exist", tags=("core",)),
            _problem("raw.orders", "missing_count(user_id) = 0"),
            _problem("marketing.fct_user_orders", "assert_references", owner="marketing"),
            _problem("raw.users", "duplicate_count(user_id) = 0"),
        ],
        UPSTREAM,
    )
    roots = {i.root: i for i in incidents}
    assert set(roots) == {"raw.orders", "raw.users"}
    orders = roots["raw.orders"]
    assert orders.impacted == ("core.fct_orders", "marketing.fct_user_orders")
    assert set(orders.units) == {"platform", "core", "marketing"}
    assert {"marketing", "core", "data_team"} <= orders.route
    assert roots["raw.users"].impacted == ()


def test_a_fault_opens_once_then_stays_quiet(database: Database) -> None:
    fault = [_problem("raw.orders", "missing_count(user_id) = 0")]
    assert _run(database, fault) == [("opened", "raw.orders")]
    assert _run(database, fault) == []
    assert _run(database, fault, age=INTERVAL) == [("still_open", "raw.orders")]


def test_a_worse_or_better_fault_is_a_change(database: Database) -> None:
    _run(database, [_problem("raw.orders", "missing_count(user_id) = 0", rows=3)])
    assert _run(database, [_problem("raw.orders", "missing_count(user_id) = 0", rows=9)]) == [
        ("changed", "raw.orders")
    ]
    warn = [_problem("raw.orders", "missing_count(user_id) = 0", Status.WARN, rows=9)]
    assert _run(database, warn) == [("changed", "raw.orders")]


def test_fixing_resolves_once_and_a_new_fault_opens_anew(database: Database) -> None:
    _run(database, [_problem("raw.orders", "missing_count(user_id) = 0")])
    assert _run(database, []) == [("resolved", "raw.orders")]
    assert _run(database, []) == []
    assert _run(database, [_problem("raw.orders", "x")]) == [("opened", "raw.orders")]


def test_removing_the_failing_check_retires_its_incident(database: Database) -> None:
    fault = _problem("raw.orders", "missing_count(user_id) = 0")
    _run(database, [fault])
    assert _run(database, [], retired={fault.check_id}) == [("retired", "raw.orders")]


def test_editing_a_threshold_keeps_the_check(database: Database) -> None:
    before = _problem("raw.events", "freshness(created_at) < 1d", key="freshness(created_at)")
    after = _problem("raw.events", "freshness(created_at) < 2d", key="freshness(created_at)")
    assert before.check_id == after.check_id
    _run(database, [before])
    assert _run(database, [after]) == []


def test_a_run_that_did_not_check_a_root_leaves_its_incident_open(database: Database) -> None:
    _run(database, [_problem("raw.orders", "missing_count(user_id) = 0")])
    moment = now()
    events = decide_events(database, "prod", [], {"sqlmesh.pipeline"}, set(), INTERVAL, moment)
    assert events == []
