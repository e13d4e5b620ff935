"""Every table of the monitor's history, declared once: the DDL and every insert come from here.

History is append-only and typed. Every run and every result (passes too) is kept; alert state
is derived from these rows, never kept elsewhere, so history, alerts, digest and report cannot
disagree.
"""

from __future__ import annotations

from greenery.layout import MONITOR_SCHEMA
from monitor.storage.database import Database

TABLES: dict[str, dict[str, str]] = {
    # One row when SQLMesh starts an apply or run (before_all); `runs` holds its end.
    "pipeline_starts": {
        "run_id": "VARCHAR",
        "environment": "VARCHAR",
        "started_at": "TIMESTAMP",
        "host": "VARCHAR",
        "pid": "BIGINT",
    },
    "runs": {
        "run_id": "VARCHAR",
        "environment": "VARCHAR",
        "trigger": "VARCHAR",  # sqlmesh (an apply or run), manual, daily
        "started_at": "TIMESTAMP",
        "finished_at": "TIMESTAMP",
        "outcome": "VARCHAR",  # ok, failed (the apply or run failed or never finished)
        "message": "VARCHAR",
    },
    "check_results": {
        "run_id": "VARCHAR",
        "environment": "VARCHAR",
        "trigger": "VARCHAR",
        "checked_at": "TIMESTAMP",
        "check_id": "VARCHAR",
        "check_key": "VARCHAR",  # the stable name the id derives from (no threshold text)
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
    "row_counts": {
        "dataset": "VARCHAR",  # as people name it in prod, whatever environment was counted
        "counted_at": "TIMESTAMP",
        "row_count": "BIGINT",
        "environment": "VARCHAR",
    },
    "schemas": {
        "dataset": "VARCHAR",
        "environment": "VARCHAR",
        "observed_at": "TIMESTAMP",
        "columns": "VARCHAR",  # JSON: column name -> type
    },
    # One row per Soda scan: which rows its `[new]` checks read (monitor/checks/scan_scope.py).
    "soda_scans": {
        "run_id": "VARCHAR",
        "environment": "VARCHAR",
        "started_at": "TIMESTAMP",  # the run's start: rows loaded later are new to the next scan
        "rows_since": "TIMESTAMP",  # NULL: every row (a full scan)
    },
    # One row per incident event: opened, changed, still_open (re-alerted), resolved.
    "incidents": {
        "incident_id": "VARCHAR",  # the same from opened to resolved
        "run_id": "VARCHAR",
        "environment": "VARCHAR",
        "root": "VARCHAR",  # the most upstream failing dataset: the incident's key while open
        "event": "VARCHAR",
        "status": "VARCHAR",  # the worst status among its checks (pass once resolved)
        "created_at": "TIMESTAMP",
        "opened_at": "TIMESTAMP",
        "impacted": "VARCHAR",  # the other failing datasets downstream, comma separated
        "units": "VARCHAR",  # the business units concerned, comma separated
        "route": "VARCHAR",  # the apprise tags the incident goes to, comma separated
        "failing_rows": "BIGINT",
        "checks": "VARCHAR",  # JSON: the problems, each with dataset, check, status, rows, query
    },
    # One message per run per channel, holding that run's incident events for the channel.
    "messages": {
        "message_id": "VARCHAR",
        "run_id": "VARCHAR",
        "environment": "VARCHAR",
        "channel": "VARCHAR",  # the channel's URL with secrets hidden
        "created_at": "TIMESTAMP",
        "title": "VARCHAR",
        "body": "VARCHAR",
    },
    # One row per plan review of a dev environment against prod (monitor/review/).
    "reviews": {
        "run_id": "VARCHAR",
        "environment": "VARCHAR",
        "reviewed_at": "TIMESTAMP",
        "models_changed": "BIGINT",
        "beyond_tolerance": "BIGINT",
        "review": "VARCHAR",  # JSON: the lines the terminal prints (Review.said)
    },
    "deliveries": {
        "message_id": "VARCHAR",
        "channel": "VARCHAR",
        "attempted_at": "TIMESTAMP",
        "delivered": "BOOLEAN",
        "error": "VARCHAR",
    },
}


def qualified(table: str) -> str:
    """`monitor.<table>`, for a table declared above (a typo fails here, not in SQL)."""
    if table not in TABLES:
        raise KeyError(f"no monitor table {table!r}; declared: {', '.join(TABLES)}")
    return f"{MONITOR_SCHEMA}.{table}"


def ensure_tables(database: Database) -> None:
    """Create the schema and every table that is missing; existing history is kept."""
    database.execute(f"CREATE SCHEMA IF NOT EXISTS {MONITOR_SCHEMA}")
    for table, columns in TABLES.items():
        ddl = ", ".join(f"{name} {type_}" for name, type_ in columns.items())
        database.execute(f"CREATE TABLE IF NOT EXISTS {qualified(table)} ({ddl})")


def has_history(database: Database) -> bool:
    """Whether a monitor run has created the tables: readers treat none as an empty history."""
    return qualified("check_results") in database.relations([MONITOR_SCHEMA])
