"""From results to alerts, and alerts to channels, without repeats and without losing any.

The rules, derived from the history of alerts per check and environment:
- a check that is not passing and has no open alert gets one (`new`);
- an open alert whose check changes status gets a follow-up (`changed`);
- an open alert older than the re-alert interval, still failing, is repeated (`still_failing`);
- a check that passes again after an open alert gets a `resolved` notice, which closes it.
An alert is delivered per channel; a channel that failed is tried again on the next run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.channels import Channel
from monitor.history import SCHEMA, insert, now
from monitor.results import CheckResult, Status
from monitor.warehouse import Warehouse

#: Undelivered alerts older than this are no longer retried (they stay in history).
RETRY_WINDOW = timedelta(days=7)
SAMPLE_COLUMNS = 6


@dataclass(frozen=True)
class Alert:
    alert_id: str
    check_id: str
    kind: str
    status: str
    route: frozenset[str]
    title: str
    body: str


@dataclass(frozen=True)
class Delivery:
    alert: Alert
    channel: str
    error: str | None


def decide_alerts(
    warehouse: Warehouse,
    environment: str,
    results: list[CheckResult],
    realert_after: timedelta,
    report_url: str | None,
) -> list[Alert]:
    """The alerts this run's results call for, by the rules above."""
    open_alerts = _open_alerts(warehouse, environment)
    current = now()
    alerts = []
    for result in results:
        last = open_alerts.get(result.check_id)
        kind = _kind(result.status, last, current, realert_after)
        if kind:
            alerts.append(_compose(result, kind, environment, last, report_url))
    return alerts


def _kind(
    status: Status, last: dict | None, current: datetime, realert_after: timedelta
) -> str | None:
    if not status.is_problem:
        return "resolved" if last else None
    if last is None:
        return "new"
    if last["status"] != status:
        return "changed"
    if current - last["created_at"] >= realert_after:
        return "still_failing"
    return None


def _open_alerts(warehouse: Warehouse, environment: str) -> dict[str, dict]:
    """Per check, its latest alert, if that alert is not a `resolved` notice."""
    rows = warehouse.rows(
        f"""
        SELECT check_id, arg_max(kind, created_at) AS kind, arg_max(status, created_at) AS status,
               max(created_at) AS created_at
        FROM {SCHEMA}.alerts WHERE environment = ? GROUP BY check_id
        """,
        [environment],
    )
    return {row["check_id"]: row for row in rows if row["kind"] != "resolved"}


def _compose(
    result: CheckResult, kind: str, environment: str, last: dict | None, report_url: str | None
) -> Alert:
    label = {"resolved": "RESOLVED", "still_failing": "STILL FAILING"}.get(
        kind, str(result.status).upper()
    )
    where = f"{result.dataset}" + (f".{result.column}" if result.column else "")
    title = f"[{label}] {where}: {_short(result.check)} ({environment})"
    lines = [f"**{_what(result, kind, last)}**", ""]
    lines.append(f"- Check: `{result.check}` ({result.source}, {_severity(result)})")
    lines.append(f"- Model: `{result.dataset}` in environment `{environment}`")
    if result.owner or result.tags:
        lines.append(f"- Owner: {result.owner or '-'}; tags: {', '.join(result.tags) or '-'}")
    if result.status.is_problem:
        lines.append(f"- How bad: {_how_bad(result)}")
        if result.message:
            lines.append(f"- Detail: {result.message}")
    if report_url:
        lines.append(f"- Report: {report_url}")
    body = "\n".join(lines)
    extras = []
    if result.status.is_problem and result.sample:
        extras.append("\nFailing rows (personal data masked):\n\n" + _table(result.sample))
    if result.status.is_problem and result.query:
        extras.append(f"\nReproduce:\n\n```sql\n{result.query}\n```")
    body += "".join(extras)
    route = frozenset({result.business_unit, *(t for t in result.tags), result.owner or ""}) - {""}
    return Alert(
        uuid.uuid4().hex[:12], result.check_id, kind, str(result.status), route, title, body
    )


def _what(result: CheckResult, kind: str, last: dict | None) -> str:
    subject = f"{result.dataset}: {_short(result.check)}"
    if kind == "resolved":
        return f"{subject} passes again."
    if kind == "changed" and last:
        return f"{subject} went from {last['status']} to {result.status}."
    if kind == "still_failing":
        return f"{subject} is still {result.status}."
    return f"{subject} is {result.status}."


def _short(check: str, width: int = 80) -> str:
    return check if len(check) <= width else check[: width - 3] + "..."


def _severity(result: CheckResult) -> str:
    return "blocks" if result.severity == "fail" else "warns"


def _how_bad(result: CheckResult) -> str:
    parts = []
    if result.failing_rows is not None:
        parts.append(f"{result.failing_rows:,} failing row(s)")
    if result.measured_value is not None and result.measured_value != result.failing_rows:
        parts.append(f"measured {result.measured_value:g}")
    if result.threshold:
        parts.append(f"threshold {result.threshold}")
    return ", ".join(parts) or str(result.status)


def _table(sample: list[dict[str, object]]) -> str:
    """The sample as an aligned text table in a code block: readable in email, Slack and JSON."""
    columns = list(sample[0])[:SAMPLE_COLUMNS]

    def cell(value: object) -> str:
        text = "NULL" if value is None else str(value)
        return text if len(text) <= 24 else text[:21] + "..."

    grid = [columns, *([cell(row.get(c)) for c in columns] for row in sample)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(columns))]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True))
        for line in grid
    ]
    return "```\n" + "\n".join(line.rstrip() for line in lines) + "\n```"


def fit(body: str, limit: int) -> str:
    """Cut a body to a channel's limit, keeping the summary (it comes first)."""
    if len(body) <= limit:
        return body
    note = "\n\n(cut to fit the channel; see the report or `monitor problems` for the rest)"
    return body[: limit - len(note)].rsplit("\n", 1)[0] + note


def record_alerts(warehouse: Warehouse, run_id: str, environment: str, alerts: list[Alert]) -> None:
    created = now()
    insert(
        warehouse,
        "alerts",
        [
            {
                "alert_id": a.alert_id,
                "run_id": run_id,
                "environment": environment,
                "check_id": a.check_id,
                "kind": a.kind,
                "status": a.status,
                "created_at": created,
                "route": ",".join(sorted(a.route)),
                "title": a.title,
                "body": a.body,
            }
            for a in alerts
        ],
    )


def deliver_pending(warehouse: Warehouse, channels: list[Channel]) -> list[Delivery]:
    """Send every recorded alert not yet delivered to each channel that should hear it.

    New alerts and those a channel failed to take before are the same thing here: an
    (alert, channel) pair without a successful delivery.
    """
    pending = warehouse.rows(
        f"""
        SELECT a.* FROM {SCHEMA}.alerts AS a
        WHERE a.created_at >= ?
        ORDER BY a.created_at
        """,
        [now() - RETRY_WINDOW],
    )
    delivered = {
        (row["alert_id"], row["channel"])
        for row in warehouse.rows(
            f"SELECT alert_id, channel FROM {SCHEMA}.deliveries WHERE delivered"
        )
    }
    deliveries = []
    for row in pending:
        alert = Alert(
            row["alert_id"],
            row["check_id"],
            row["kind"],
            row["status"],
            frozenset(filter(None, row["route"].split(","))),
            row["title"],
            row["body"],
        )
        for channel in channels:
            if channel.hears(alert.route) and (alert.alert_id, channel.label) not in delivered:
                error = channel.send(alert.title, fit(alert.body, channel.body_limit))
                deliveries.append(Delivery(alert, channel.label, error))
    insert(
        warehouse,
        "deliveries",
        [
            {
                "alert_id": d.alert.alert_id,
                "channel": d.channel,
                "attempted_at": now(),
                "delivered": d.error is None,
                "error": d.error,
            }
            for d in deliveries
        ],
    )
    return deliveries
