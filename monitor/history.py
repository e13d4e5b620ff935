"""The monitor's history in the warehouse's `monitor` schema: append-only and typed.

Every run and every result (passes too) is kept; alert state is derived from these rows, never
kept elsewhere, so history, alerts, digest and report cannot disagree.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.results import CheckResult
from monitor.warehouse import Warehouse

SCHEMA = "monitor"

#: Each table's columns, declared once: the DDL and the inserts are built from these.
TABLES: dict[str, dict[str, str]] = {
    "runs": {
        "run_id": "VARCHAR",
        "environment": "VARCHAR",
        "trigger": "VARCHAR",  # plan, run, manual, daily
        "started_at": "TIMESTAMP",
        "finished_at": "TIMESTAMP",
        "outcome": "VARCHAR",  # ok, failed (the plan or run failed), error (the monitor failed)
        "message": "VARCHAR",
    },
    "check_results": {
        "run_id": "VARCHAR",
        "environment": "VARCHAR",
        "trigger": "VARCHAR",
        "checked_at": "TIMESTAMP",
        "check_id": "VARCHAR",
        "source": "VARCHAR",
        "dataset": "VARCHAR",
        "check_name": "VARCHAR",
        "column_name": "VARCHAR",
        "owner": "VARCHAR",
        "tags": "VARCHAR",
        "business_unit": "VARCHAR",
        "severity": "VARCHAR",
        "status": "VARCHAR",
        "measured_value": "DOUBLE",
        "threshold": "VARCHAR",
        "failing_rows": "BIGINT",
        "query": "VARCHAR",
        "sample": "VARCHAR",
        "message": "VARCHAR",
    },
    "alerts": {
        "alert_id": "VARCHAR",
        "run_id": "VARCHAR",
        "environment": "VARCHAR",
        "check_id": "VARCHAR",
        "kind": "VARCHAR",  # new, worse, still_failing, resolved, pipeline_failed
        "status": "VARCHAR",
        "created_at": "TIMESTAMP",
        "route": "VARCHAR",  # the apprise tags the alert goes to, comma separated
        "title": "VARCHAR",
        "body": "VARCHAR",
    },
    "deliveries": {
        "alert_id": "VARCHAR",
        "channel": "VARCHAR",  # the channel's URL with secrets hidden
        "attempted_at": "TIMESTAMP",
        "delivered": "BOOLEAN",
        "error": "VARCHAR",
    },
}


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def ensure_schema(warehouse: Warehouse) -> None:
    warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for table, columns in TABLES.items():
        ddl = ", ".join(f"{name} {type_}" for name, type_ in columns.items())
        warehouse.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table} ({ddl})")


def insert(warehouse: Warehouse, table: str, rows: list[dict[str, Any]]) -> None:
    columns = list(TABLES[table])
    warehouse.insert(f"{SCHEMA}.{table}", columns, ([row.get(c) for c in columns] for row in rows))


@dataclass(frozen=True)
class Run:
    run_id: str
    environment: str
    trigger: str
    started_at: datetime


def start_run(warehouse: Warehouse, environment: str, trigger: str) -> Run:
    ensure_schema(warehouse)
    return Run(uuid.uuid4().hex[:12], environment, trigger, now())


def finish_run(
    warehouse: Warehouse, run: Run, results: list[CheckResult], outcome: str, message: str = ""
) -> None:
    """Store the run and all its results in one go."""
    checked_at = now()
    insert(
        warehouse,
        "check_results",
        [
            {
                "run_id": run.run_id,
                "environment": run.environment,
                "trigger": run.trigger,
                "checked_at": checked_at,
                "check_id": r.check_id,
                "source": str(r.source),
                "dataset": r.dataset,
                "check_name": r.check,
                "column_name": r.column,
                "owner": r.owner,
                "tags": ",".join(r.tags),
                "business_unit": r.business_unit,
                "severity": r.severity,
                "status": str(r.status),
                "measured_value": r.measured_value,
                "threshold": r.threshold,
                "failing_rows": r.failing_rows,
                "query": r.query,
                "sample": json.dumps(r.sample, default=str) if r.sample else None,
                "message": r.message,
            }
            for r in results
        ],
    )
    insert(
        warehouse,
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


def previous_statuses(warehouse: Warehouse, environment: str, run_id: str) -> dict[str, str]:
    """check_id -> the status it had in the latest earlier run of `environment` that ran it."""
    return {
        row["check_id"]: row["status"]
        for row in warehouse.rows(
            f"""
            SELECT check_id, arg_max(status, checked_at) AS status
            FROM {SCHEMA}.check_results
            WHERE environment = ? AND run_id <> ?
            GROUP BY check_id
            """,
            [environment, run_id],
        )
    }


def open_problems(warehouse: Warehouse, environment: str = "prod") -> list[dict[str, Any]]:
    """Checks whose latest result is not a pass, worst first, with how long they have been open.

    A problem opens at the first non-pass result after its latest pass.
    """
    return warehouse.rows(
        f"""
        WITH latest AS (
            SELECT *, row_number() OVER (PARTITION BY check_id ORDER BY checked_at DESC) AS n
            FROM {SCHEMA}.check_results WHERE environment = ?
        ), last_pass AS (
            SELECT check_id, max(checked_at) AS passed_at
            FROM {SCHEMA}.check_results WHERE environment = ? AND status = 'pass'
            GROUP BY check_id
        ), opened AS (
            SELECT r.check_id, min(r.checked_at) AS opened_at
            FROM {SCHEMA}.check_results AS r LEFT JOIN last_pass AS p USING (check_id)
            WHERE r.environment = ? AND r.status <> 'pass'
              AND (p.passed_at IS NULL OR r.checked_at > p.passed_at)
            GROUP BY r.check_id
        )
        SELECT latest.* EXCLUDE (n), opened.opened_at,
               date_diff('minute', opened.opened_at, latest.checked_at) AS open_minutes
        FROM latest JOIN opened USING (check_id)
        WHERE latest.n = 1 AND latest.status <> 'pass'
        ORDER BY CASE latest.status WHEN 'error' THEN 0 WHEN 'fail' THEN 1 ELSE 2 END,
                 opened.opened_at, latest.dataset, latest.check_name
        """,
        [environment, environment, environment],
    )


def latest_run(warehouse: Warehouse, environment: str) -> dict[str, Any] | None:
    """The newest run of `environment` with its count of failing (fail or error) results."""
    rows = warehouse.rows(
        f"""
        SELECT r.*, count(*) FILTER (WHERE c.status IN ('fail', 'error')) AS failing
        FROM {SCHEMA}.runs AS r LEFT JOIN {SCHEMA}.check_results AS c USING (run_id)
        WHERE r.environment = ?
        GROUP BY ALL ORDER BY r.finished_at DESC LIMIT 1
        """,
        [environment],
    )
    return rows[0] if rows else None


def recent_results(
    warehouse: Warehouse, environment: str, dataset: str | None, limit: int
) -> list[dict[str, Any]]:
    return warehouse.rows(
        f"""
        SELECT * FROM {SCHEMA}.check_results
        WHERE environment = ? AND (? IS NULL OR dataset = ?)
        ORDER BY checked_at DESC, dataset, check_name LIMIT ?
        """,
        [environment, dataset, dataset, limit],
    )


def failed_deliveries_since(warehouse: Warehouse, since: datetime) -> list[str]:
    """Channels that could not take an alert since `since` (retried on the next run)."""
    return [
        row["channel"]
        for row in warehouse.rows(
            f"SELECT DISTINCT channel FROM {SCHEMA}.deliveries "
            "WHERE NOT delivered AND attempted_at >= ? ORDER BY channel",
            [since],
        )
    ]
