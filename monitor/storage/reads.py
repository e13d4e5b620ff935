"""Every read of the monitor's history. Nothing here writes: `monitor digest`, `problems`,
`history` and `report` only read, and a warehouse without history reads as empty."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from monitor.storage.database import Database
from monitor.storage.tables import has_history, qualified

Row = dict[str, Any]


def open_problems(database: Database, environment: str) -> list[Row]:
    """Checks whose latest result is not a pass, worst first, with when each problem opened:
    at the first non-pass result after the check's latest pass."""
    if not has_history(database):
        return []
    results = qualified("check_results")
    return database.rows(
        f"""
        WITH latest AS (
            SELECT *, row_number() OVER (PARTITION BY check_id ORDER BY checked_at DESC) AS n
            FROM {results} WHERE environment = ?
        ), last_pass AS (
            SELECT check_id, max(checked_at) AS passed_at
            FROM {results} WHERE environment = ? AND status = 'pass'
            GROUP BY check_id
        ), opened AS (
            SELECT r.check_id, min(r.checked_at) AS opened_at
            FROM {results} AS r LEFT JOIN last_pass AS p USING (check_id)
            WHERE r.environment = ? AND r.status <> 'pass'
              AND (p.passed_at IS NULL OR r.checked_at > p.passed_at)
            GROUP BY r.check_id
        )
        SELECT latest.* EXCLUDE (n), opened.opened_at
        FROM latest JOIN opened USING (check_id)
        WHERE latest.n = 1 AND latest.status <> 'pass'
        ORDER BY CASE latest.status WHEN 'error' THEN 0 WHEN 'fail' THEN 1 ELSE 2 END,
                 opened.opened_at, latest.dataset, latest.check_name
        """,
        [environment, environment, environment],
    )


def latest_run(database: Database, environment: str) -> Row | None:
    """The newest run of `environment` with its count of failing (fail or error) results."""
    if not has_history(database):
        return None
    rows = database.rows(
        f"""
        SELECT r.*, count(c.check_id) FILTER (WHERE c.status IN ('fail', 'error')) AS failing
        FROM {qualified("runs")} AS r LEFT JOIN {qualified("check_results")} AS c USING (run_id)
        WHERE r.environment = ?
        GROUP BY ALL ORDER BY r.finished_at DESC LIMIT 1
        """,
        [environment],
    )
    return rows[0] if rows else None


def recent_results(
    database: Database, environment: str, dataset: str | None, limit: int
) -> list[Row]:
    if not has_history(database):
        return []
    return database.rows(
        f"""
        SELECT * FROM {qualified("check_results")}
        WHERE environment = ? AND (? IS NULL OR dataset = ?)
        ORDER BY checked_at DESC, dataset, check_name LIMIT ?
        """,
        [environment, dataset, dataset, limit],
    )


def latest_statuses(database: Database, environment: str, as_of: datetime) -> list[Row]:
    """Per check: its business unit and latest status at `as_of`."""
    if not has_history(database):
        return []
    return database.rows(
        f"""
        SELECT check_id, arg_max(business_unit, checked_at) AS business_unit,
               arg_max(status, checked_at) AS status
        FROM {qualified("check_results")}
        WHERE environment = ? AND checked_at <= ?
        GROUP BY check_id
        """,
        [environment, as_of],
    )


def unfinished_starts(database: Database) -> list[Row]:
    """Applies and runs SQLMesh began, in any environment, whose monitor run never finished."""
    return database.rows(
        f"""
        SELECT s.* FROM {qualified("pipeline_starts")} AS s
        WHERE NOT EXISTS (SELECT 1 FROM {qualified("runs")} AS r WHERE r.run_id = s.run_id)
        ORDER BY s.started_at
        """
    )


def daily_counts(
    database: Database, dataset: str, environment: str, since: datetime, before: datetime
) -> list[int]:
    """The last row count of each day in [since, the day of `before`), oldest first."""
    rows = database.rows(
        f"""
        SELECT counted_at::DATE AS day, arg_max(row_count, counted_at) AS rows
        FROM {qualified("row_counts")}
        WHERE dataset = ? AND environment = ? AND counted_at >= ? AND counted_at::DATE < ?::DATE
        GROUP BY day ORDER BY day
        """,
        [dataset, environment, since, before],
    )
    return [row["rows"] for row in rows]


def row_counts_with_previous(database: Database, environment: str, as_of: datetime) -> list[Row]:
    """Each dataset's latest count at `as_of`, and the count to compare it with: the latest one
    at least a day older, else the earliest one before it (a young history still shows a trend)."""
    if not has_history(database):
        return []
    return database.rows(
        f"""
        WITH counts AS (
            SELECT * FROM {qualified("row_counts")} WHERE environment = ? AND counted_at <= ?
        ), latest AS (
            SELECT dataset, max(counted_at) AS counted_at FROM counts GROUP BY dataset
        )
        SELECT latest.dataset, latest.counted_at, c.row_count AS rows,
               coalesce(
                   arg_max({{'rows': p.row_count, 'at': p.counted_at}}, p.counted_at)
                       FILTER (WHERE p.counted_at <= latest.counted_at - INTERVAL 1 DAY),
                   arg_min({{'rows': p.row_count, 'at': p.counted_at}}, p.counted_at)
               ) AS previous
        FROM latest
        JOIN counts AS c USING (dataset, counted_at)
        LEFT JOIN counts AS p ON p.dataset = latest.dataset AND p.counted_at < latest.counted_at
        GROUP BY ALL ORDER BY latest.dataset
        """,
        [environment, as_of],
    )


def last_schema(database: Database, dataset: str, environment: str) -> dict[str, str] | None:
    """Column name -> type as the last run saw `dataset`, or None if never seen."""
    stored = database.value(
        f"SELECT arg_max(columns, observed_at) FROM {qualified('schemas')} "
        "WHERE dataset = ? AND environment = ?",
        [dataset, environment],
    )
    return None if stored is None else json.loads(stored)


def open_alerts(database: Database, environment: str) -> dict[str, Row]:
    """Per check, its latest alert, if that alert is not a `resolved` notice."""
    rows = database.rows(
        f"""
        SELECT check_id, arg_max(kind, created_at) AS kind, arg_max(status, created_at) AS status,
               max(created_at) AS created_at
        FROM {qualified("alerts")} WHERE environment = ? GROUP BY check_id
        """,
        [environment],
    )
    return {row["check_id"]: row for row in rows if row["kind"] != "resolved"}


def alerts_since(database: Database, since: datetime) -> list[Row]:
    return database.rows(
        f"SELECT * FROM {qualified('alerts')} WHERE created_at >= ? ORDER BY created_at", [since]
    )


def delivered_pairs(database: Database) -> set[tuple[str, str]]:
    """(alert id, channel) of every successful delivery."""
    return {
        (row["alert_id"], row["channel"])
        for row in database.rows(
            f"SELECT alert_id, channel FROM {qualified('deliveries')} WHERE delivered"
        )
    }


def failed_deliveries_since(database: Database, since: datetime) -> list[str]:
    """Channels that could not take an alert since `since` (retried on the next run)."""
    if not has_history(database):
        return []
    return [
        row["channel"]
        for row in database.rows(
            f"SELECT DISTINCT channel FROM {qualified('deliveries')} "
            "WHERE NOT delivered AND attempted_at >= ? ORDER BY channel",
            [since],
        )
    ]


def results_since(database: Database, environment: str, since: datetime) -> list[Row]:
    if not has_history(database):
        return []
    return database.rows(
        f"""
        SELECT run_id, trigger, checked_at, check_id, dataset, check_name, column_name, status,
               failing_rows, message
        FROM {qualified("check_results")} WHERE environment = ? AND checked_at >= ?
        ORDER BY checked_at, run_id
        """,
        [environment, since],
    )


def counts_since(database: Database, environment: str, since: datetime) -> list[Row]:
    if not has_history(database):
        return []
    return database.rows(
        f"""
        SELECT dataset, counted_at, row_count FROM {qualified("row_counts")}
        WHERE environment = ? AND counted_at >= ? ORDER BY counted_at
        """,
        [environment, since],
    )


def runs_since(database: Database, since: datetime) -> list[Row]:
    if not has_history(database):
        return []
    return database.rows(
        f"""
        SELECT run_id, environment, trigger, started_at, finished_at, outcome, message
        FROM {qualified("runs")} WHERE started_at >= ? ORDER BY started_at DESC
        """,
        [since],
    )
