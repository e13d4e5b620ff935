"""Every read of the monitor's history. Nothing here writes: `monitor digest`, `problems`,
`history` and `report` only read, and a warehouse without history reads as empty.

The queries are written once, in SQL every engine the monitor runs on reads after SQLGlot's
translation (monitor/storage/engines.py): a row's latest value per key is a `row_number()`
window, not DuckDB's `arg_max`, and groups are named, not `GROUP BY ALL`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from monitor.storage.database import Database
from monitor.storage.tables import TABLES, has_history, qualified

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
        SELECT {_columns("check_results", "latest")}, opened.opened_at
        FROM latest JOIN opened USING (check_id)
        WHERE latest.n = 1 AND latest.status <> 'pass'
        ORDER BY CASE latest.status WHEN 'error' THEN 0 WHEN 'fail' THEN 1 ELSE 2 END,
                 opened.opened_at, latest.dataset, latest.check_name
        """,
        [environment, environment, environment],
    )


def soda_scans(database: Database, environment: str) -> tuple[datetime | None, datetime | None]:
    """When the environment's last Soda scan started, and when its last full scan did."""
    row = database.rows(
        f"""
        SELECT max(started_at) AS last_scan,
               max(CASE WHEN rows_since IS NULL THEN started_at END) AS last_full_scan
        FROM {qualified("soda_scans")} WHERE environment = ?
        """,
        [environment],
    )[0]
    return row["last_scan"], row["last_full_scan"]


def latest_run(database: Database, environment: str) -> Row | None:
    """The newest run of `environment` with its count of failing (fail or error) results."""
    if not has_history(database):
        return None
    rows = database.rows(
        f"""
        SELECT r.*, (
            SELECT count(*) FROM {qualified("check_results")} AS c
            WHERE c.run_id = r.run_id AND c.status IN ('fail', 'error')
        ) AS failing
        FROM {qualified("runs")} AS r
        WHERE r.environment = ?
        ORDER BY r.finished_at DESC LIMIT 1
        """,
        [environment],
    )
    return rows[0] if rows else None


def latest_statuses(database: Database, environment: str, as_of: datetime) -> list[Row]:
    """Per check: its business unit and latest status at `as_of`."""
    if not has_history(database):
        return []
    return database.rows(
        f"""
        SELECT check_id, business_unit, status FROM (
            SELECT check_id, business_unit, status,
                   row_number() OVER (PARTITION BY check_id ORDER BY checked_at DESC) AS n
            FROM {qualified("check_results")}
            WHERE environment = ? AND checked_at <= ?
        ) AS latest WHERE n = 1
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
        SELECT day, row_count FROM (
            SELECT counted_at::DATE AS day, row_count,
                   row_number() OVER (PARTITION BY counted_at::DATE ORDER BY counted_at DESC) AS n
            FROM {qualified("row_counts")}
            WHERE dataset = ? AND environment = ? AND counted_at >= ? AND counted_at::DATE < ?::DATE
        ) AS daily WHERE n = 1 ORDER BY day
        """,
        [dataset, environment, since, before],
    )
    return [row["row_count"] for row in rows]


def row_counts_with_previous(database: Database, environment: str, as_of: datetime) -> list[Row]:
    """Each dataset's latest count at `as_of`, and the count to compare it with: the latest one
    at least a day older, else the earliest one before it (a young history still shows a trend)."""
    if not has_history(database):
        return []
    rows = database.rows(
        f"""
        WITH counts AS (
            SELECT * FROM {qualified("row_counts")} WHERE environment = ? AND counted_at <= ?
        ), latest AS (
            SELECT dataset, max(counted_at) AS counted_at FROM counts GROUP BY dataset
        ), earlier AS (
            SELECT p.dataset, p.row_count, p.counted_at,
                   row_number() OVER (
                       PARTITION BY p.dataset
                       ORDER BY p.counted_at <= latest.counted_at - INTERVAL 1 DAY DESC,
                                CASE WHEN p.counted_at <= latest.counted_at - INTERVAL 1 DAY
                                     THEN p.counted_at END DESC,
                                p.counted_at
                   ) AS n
            FROM latest JOIN counts AS p
              ON p.dataset = latest.dataset AND p.counted_at < latest.counted_at
        )
        SELECT latest.dataset, latest.counted_at, c.row_count,
               earlier.row_count AS previous_count, earlier.counted_at AS previous_at
        FROM latest
        JOIN counts AS c USING (dataset, counted_at)
        LEFT JOIN earlier ON earlier.dataset = latest.dataset AND earlier.n = 1
        ORDER BY latest.dataset
        """,
        [environment, as_of],
    )
    return [
        {
            "dataset": row["dataset"],
            "counted_at": row["counted_at"],
            "rows": row["row_count"],
            "previous": None
            if row["previous_at"] is None
            else {"rows": row["previous_count"], "at": row["previous_at"]},
        }
        for row in rows
    ]


def last_schema(database: Database, dataset: str, environment: str) -> dict[str, str] | None:
    """Column name -> type as the last run saw `dataset`, or None if never seen."""
    stored = database.value(
        f"SELECT columns FROM {qualified('schemas')} "
        "WHERE dataset = ? AND environment = ? ORDER BY observed_at DESC LIMIT 1",
        [dataset, environment],
    )
    return None if stored is None else json.loads(stored)


def open_incidents(database: Database, environment: str) -> dict[str, Row]:
    """Per root, the latest event of its incident, when that incident is still open."""
    if not has_history(database):
        return {}
    rows = database.rows(
        f"""
        SELECT {_columns("incidents", "latest")} FROM (
            SELECT *, row_number() OVER (PARTITION BY root ORDER BY created_at DESC) AS n
            FROM {qualified("incidents")} WHERE environment = ?
        ) AS latest WHERE n = 1
        """,
        [environment],
    )
    return {row["root"]: row for row in rows if row["event"] not in ("resolved", "retired")}


def pending_messages(database: Database, channels: list[str], since: datetime) -> list[Row]:
    """Messages for `channels` created since `since` that no attempt has delivered yet,
    oldest first."""
    if not channels or not has_history(database):
        return []
    marks = ", ".join("?" for _ in channels)
    return database.rows(
        f"""
        SELECT m.* FROM {qualified("messages")} AS m
        WHERE m.channel IN ({marks}) AND m.created_at >= ?
          AND NOT EXISTS (
              SELECT 1 FROM {qualified("deliveries")} AS d
              WHERE d.message_id = m.message_id AND d.delivered
          )
        ORDER BY m.created_at
        """,
        [*channels, since],
    )


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


def results_problems_first(
    database: Database, environment: str, dataset: str | None, limit: int
) -> list[Row]:
    """Up to `limit` stored results of `environment` (or of one dataset), problems first: worst
    status first, newest first within a status; then passes, newest first."""
    if not has_history(database):
        return []
    return database.rows(
        f"""
        SELECT * FROM {qualified("check_results")}
        WHERE environment = ? AND (? IS NULL OR dataset = ?)
        ORDER BY CASE status WHEN 'error' THEN 0 WHEN 'fail' THEN 1 WHEN 'warn' THEN 2 ELSE 3 END,
                 checked_at DESC, dataset, check_name
        LIMIT ?
        """,
        [environment, dataset, dataset, limit],
    )


def runs_of_environment_since(database: Database, environment: str, since: datetime) -> list[Row]:
    """The runs of `environment` started since `since`, newest first, each with how many of its
    results passed, warned, failed and errored (`pass`, `warn`, `fail`, `error`)."""
    if not has_history(database):
        return []
    return database.rows(
        f"""
        SELECT r.run_id, r.environment, r.trigger, r.started_at, r.finished_at, r.outcome,
               r.message,
               count(c.check_id) FILTER (WHERE c.status = 'pass') AS pass,
               count(c.check_id) FILTER (WHERE c.status = 'warn') AS warn,
               count(c.check_id) FILTER (WHERE c.status = 'fail') AS fail,
               count(c.check_id) FILTER (WHERE c.status = 'error') AS error
        FROM {qualified("runs")} AS r
        LEFT JOIN {qualified("check_results")} AS c
               ON c.run_id = r.run_id AND c.environment = r.environment
        WHERE r.environment = ? AND r.started_at >= ?
        GROUP BY r.run_id, r.environment, r.trigger, r.started_at, r.finished_at, r.outcome,
                 r.message
        ORDER BY r.started_at DESC
        """,
        [environment, since],
    )


def learning_monitors(database: Database, environment: str, as_of: datetime) -> list[Row]:
    """The history monitors whose latest result at `as_of` says they are still learning
    (too little history to judge): dataset, business unit, check and message."""
    if not has_history(database):
        return []
    return database.rows(
        f"""
        SELECT dataset, business_unit, check_name, message FROM (
            SELECT dataset, business_unit, check_name, message,
                   row_number() OVER (PARTITION BY check_id, dataset ORDER BY checked_at DESC) AS n
            FROM {qualified("check_results")}
            WHERE environment = ? AND source = 'monitor' AND checked_at <= ?
        ) AS latest
        WHERE n = 1 AND starts_with(message, 'learning:')
        ORDER BY dataset, check_name
        """,
        [environment, as_of],
    )


def _columns(table: str, alias: str) -> str:
    """`alias.column, ...` for every column of a monitor table: a portable `* EXCLUDE (...)`."""
    return ", ".join(f"{alias}.{column}" for column in TABLES[table])


def latest_reviews(database: Database) -> list[Row]:
    """The newest plan review of each dev environment, newest first."""
    if not has_history(database):
        return []
    return database.rows(
        f"""
        WITH ranked AS (
            SELECT *, row_number() OVER (
                PARTITION BY environment ORDER BY reviewed_at DESC
            ) AS n
            FROM {qualified("reviews")}
        )
        SELECT run_id, environment, reviewed_at, models_changed, beyond_tolerance, review
        FROM ranked WHERE n = 1 ORDER BY reviewed_at DESC
        """
    )
