"""Which rows the Soda scan of a monitor run reads (monitor/checks/scan_scope.py), decided
from the scans and problems the history holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from monitor.checks.scan_scope import rows_since
from monitor.results import CheckResult, Source, Status
from monitor.storage import reads, writes
from monitor.storage.database import Database, now

WEEK = timedelta(days=7)


def _scan(database: Database, ago: timedelta, full: bool) -> writes.Run:
    run = writes.Run(f"run-{ago}", "prod", "sqlmesh", now() - ago)
    writes.record_soda_scan(database, run, None if full else run.started_at - timedelta(days=1))
    return run


def _since(database: Database, after_apply: bool = True) -> object:
    problems = reads.open_problems(database, "prod")
    return rows_since(database, "prod", problems, after_apply=after_apply, full_scan_every=WEEK)


def test_the_first_scan_reads_every_row(database: Database) -> None:
    assert _since(database) is None


def test_after_an_apply_a_scan_reads_the_rows_loaded_since_the_last_scan(
    database: Database,
) -> None:
    _scan(database, timedelta(days=2), full=True)
    last = _scan(database, timedelta(days=1), full=False)
    assert _since(database) == last.started_at


def test_a_check_on_demand_reads_every_row(database: Database) -> None:
    _scan(database, timedelta(days=1), full=True)
    assert _since(database, after_apply=False) is None


def test_a_week_after_the_last_full_scan_a_scan_reads_every_row(database: Database) -> None:
    _scan(database, timedelta(days=8), full=True)
    _scan(database, timedelta(days=1), full=False)
    assert _since(database) is None


def test_an_open_soda_problem_makes_the_scan_read_every_row(database: Database) -> None:
    """Only a scan that reads the bad rows can see them gone and close the problem."""
    run = _scan(database, timedelta(days=1), full=True)
    problem = CheckResult(
        source=Source.SODA, dataset="raw.events", check="missing_count(user_id)", status=Status.WARN
    )
    writes.finish_run(database, run, [problem], "ok")
    assert _since(database) is None

    writes.finish_run(database, run, [replace(problem, status=Status.PASS)], "ok")
    assert _since(database) == run.started_at
