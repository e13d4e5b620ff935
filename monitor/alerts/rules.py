"""When a result calls for an alert: the rules, derived from the history of alerts per check
and environment, so that a fault is told once and its end is told too.

- a check that is not passing and has no open alert gets one (`new`);
- an open alert whose check changes status gets a follow-up (`changed`);
- an open alert older than the re-alert interval, still failing, is repeated (`still_failing`);
- a check that passes again after an open alert gets a `resolved` notice, which closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.alerts.compose import compose
from monitor.results import CheckResult, Status
from monitor.storage import reads
from monitor.storage.database import Database, now


@dataclass(frozen=True)
class Alert:
    alert_id: str
    check_id: str
    kind: str
    status: str
    route: frozenset[str]
    title: str
    body: str


def decide_alerts(
    database: Database,
    environment: str,
    results: list[CheckResult],
    realert_after: timedelta,
    report_url: str | None,
) -> list[Alert]:
    """The alerts this run's results call for, by the rules above."""
    open_alerts = reads.open_alerts(database, environment)
    current = now()
    alerts = []
    for result in results:
        last = open_alerts.get(result.check_id)
        kind = alert_kind(result.status, last, current, realert_after)
        if kind:
            alerts.append(Alert(**compose(result, kind, environment, last, report_url)))
    return alerts


def alert_kind(
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
