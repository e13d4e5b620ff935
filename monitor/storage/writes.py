"""Every write of the monitor's history: appends, never updates (see `tables`)."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.results import CheckResult
from monitor.storage.database import Database, now
from monitor.storage.tables import TABLES, ensure_tables, qualified


@dataclass(frozen=True)
class Run:
    """One monitor run: its id ties its results, alerts and deliveries together."""

    run_id: str
    environment: str
    trigger: str
    started_at: datetime


def append(database: Database, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Insert `rows` into a declared table; a key a row lacks is stored as NULL."""
    columns = list(TABLES[table])
    database.insert(qualified(table), columns, ([row.get(c) for c in columns] for row in rows))


def start_run(database: Database, environment: str, trigger: str) -> Run:
    ensure_tables(database)
    return Run(uuid.uuid4().hex[:12], environment, trigger, now())


def record_pipeline_start(database: Database, run: Run) -> None:
    """SQLMesh began an apply or run: if `finish_run` never follows, the next monitor run
    reports it as unfinished."""
    append(
        database,
        "pipeline_starts",
        [
            {
                "run_id": run.run_id,
                "environment": run.environment,
                "started_at": run.started_at,
                "host": socket.gethostname(),
                "pid": os.getpid(),
            }
        ],
    )


def finish_run(
    database: Database, run: Run, results: list[CheckResult], outcome: str, message: str = ""
) -> None:
    """Store the run and all its results in one go."""
    checked_at = now()
    append(database, "check_results", (_result_row(run, checked_at, r) for r in results))
    append(
        database,
        "runs",
        [
            {
                "run_id": run.run_id,
                "environment": run.environment,
                "trigger": run.trigger,
                "started_at": run.started_at,
                "finished_at": checked_at,
                "outcome": outcome,
                "message": message,
            }
        ],
    )


def _result_row(run: Run, checked_at: datetime, result: CheckResult) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "environment": run.environment,
        "trigger": run.trigger,
        "checked_at": checked_at,
        "check_id": result.check_id,
        "check_key": result.stable_key,
        "source": str(result.source),
        "dataset": result.dataset,
        "check_name": result.check,
        "column_name": result.column,
        "owner": result.owner,
        "tags": ",".join(result.tags),
        "business_unit": result.business_unit,
        "severity": result.severity,
        "status": str(result.status),
        "measured_value": result.measured_value,
        "threshold": result.threshold,
        "failing_rows": result.failing_rows,
        "query": result.query,
        "sample": json.dumps(result.sample, default=str) if result.sample else None,
        "message": result.message,
    }


def record_row_count(
    database: Database, dataset: str, environment: str, rows: int, at: datetime
) -> None:
    append(
        database,
        "row_counts",
        [{"dataset": dataset, "counted_at": at, "row_count": rows, "environment": environment}],
    )


def record_schema(
    database: Database, dataset: str, environment: str, columns: dict[str, str], at: datetime
) -> None:
    append(
        database,
        "schemas",
        [
            {
                "dataset": dataset,
                "environment": environment,
                "observed_at": at,
                "columns": json.dumps(columns),
            }
        ],
    )


def record_soda_scan(database: Database, run: Run, rows_since: datetime | None) -> None:
    """The run's Soda scan read the rows loaded since `rows_since` (None: every row)."""
    append(
        database,
        "soda_scans",
        [
            {
                "run_id": run.run_id,
                "environment": run.environment,
                "started_at": run.started_at,
                "rows_since": rows_since,
            }
        ],
    )


def close_unfinished_start(database: Database, start: dict[str, Any]) -> None:
    """End a start that never finished, as failed, so that it is reported once."""
    append(
        database,
        "runs",
        [
            {
                "run_id": start["run_id"],
                "environment": start["environment"],
                "trigger": "sqlmesh",
                "started_at": start["started_at"],
                "finished_at": now(),
                "outcome": "failed",
                "message": "never finished",
            }
        ],
    )
