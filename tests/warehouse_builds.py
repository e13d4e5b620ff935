"""Build a warehouse the way a user does: land raw CSVs, then plan every model into prod."""

from __future__ import annotations

import shutil
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
    next midnight, as a real daily plan does the morning after the data's last day. The plan
    skips SQLMesh's unit tests, which tests/test_project.py runs once.
    """
    land(raw_dir, warehouse)
    context = open_context(warehouse)
    context.plan(
        "prod", auto_apply=True, no_prompts=True, skip_tests=True, execution_time=after(last_day)
    )
    return context


def copy_of(warehouse: Path, folder: Path) -> Path:
    """A copy of a closed `warehouse` in `folder`, under the same file name: SQLMesh's DuckDB
    views name the file's stem as their catalog, so a renamed copy cannot read them (the
    commands refuse one by design). A module or test that changes a shared build changes
    its own copy, never the build another one reads."""
    assert not Path(f"{warehouse}.wal").exists(), f"{warehouse} is still open somewhere"
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / warehouse.name
    shutil.copyfile(warehouse, copy)
    return copy


def after(day: date | None) -> datetime | None:
    """Midnight after `day`: the execution time at which `day` is complete."""
    return None if day is None else datetime.combine(day + timedelta(days=1), time())


def query(context: Context, sql: str) -> list[tuple]:
    return context.engine_adapter.fetchall(sql)


def failing_audits(context: Context, start: date | str, end: date | str) -> list[CheckResult]:
    """Every audit of every model, blocking or not, that finds rows over [start, end]."""
    results = run_sqlmesh_audits(context.engine_adapter, context.snapshots, {}, start, end)
    declared = sum(len(s.model.audits_with_args) for s in context.snapshots.values() if s.is_model)
    assert len(results) == declared > 70, "the project's audits should all have run"
    return [r for r in results if r.status.is_problem]
