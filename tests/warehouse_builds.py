"""Build a warehouse the way a user does: land raw CSVs, then plan every model into prod."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlmesh import Context

from greenery.connect import connect
from greenery.project import open_context
from ingest.load import load
from monitor.checks.audits import run_sqlmesh_audits
from monitor.results import CheckResult


def land(raw_dir: Path, warehouse: Path) -> None:
    with connect(warehouse) as con:
        load(raw_dir, con)


def build(raw_dir: Path, warehouse: Path, last_day: date | None = None) -> Context:
    """Load `raw_dir` into a new or existing `warehouse` and apply a prod plan.

    `last_day` is the last complete day the plan processes: the plan runs as if it were the
    next midnight, as a real daily plan does the morning after the data's last day.
    """
    land(raw_dir, warehouse)
    context = open_context(warehouse)
    context.plan("prod", auto_apply=True, no_prompts=True, execution_time=after(last_day))
    return context


def after(day: date | None) -> datetime | None:
    """Midnight after `day`: the execution time at which `day` is complete."""
    return None if day is None else datetime.combine(day + timedelta(days=1), time())


def query(context: Context, sql: str) -> list[tuple]:
    return context.engine_adapter.fetchall(sql)


def failing_audits(context: Context, start: date | str, end: date | str) -> list[CheckResult]:
    """Every audit of every model, blocking or not, that finds rows over [start, end]."""
    results = run_sqlmesh_audits(context.engine_adapter, context.snapshots, {}, start, end)
    assert len(results) > 90, "the project's audits should all have run"
    return [r for r in results if r.status.is_problem]
