"""Alerts to channels, without losing any: every alert is stored first, then each channel
that should hear it is sent it until it takes it; a channel that failed is tried again on the
next run, within the retry window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from monitor.alerts.rules import Alert
from monitor.channels import Channel
from monitor.storage import reads, writes
from monitor.storage.database import Database, now

#: Undelivered alerts older than this are no longer retried (they stay in history).
RETRY_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Delivery:
    alert: Alert
    channel: str
    error: str | None


def record_alerts(database: Database, run_id: str, environment: str, alerts: list[Alert]) -> None:
    created = now()
    writes.append(
        database,
        "alerts",
        (
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
        ),
    )


def deliver_pending(database: Database, channels: list[Channel]) -> list[Delivery]:
    """Send every recorded alert not yet delivered to each channel that should hear it.

    New alerts and those a channel failed to take before are the same thing here: an
    (alert, channel) pair without a successful delivery.
    """
    delivered = reads.delivered_pairs(database)
    deliveries = []
    for row in reads.alerts_since(database, now() - RETRY_WINDOW):
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
                deliveries.append(
                    Delivery(alert, channel.label, channel.send(alert.title, alert.body))
                )
    writes.append(
        database,
        "deliveries",
        (
            {
                "alert_id": d.alert.alert_id,
                "channel": d.channel,
                "attempted_at": now(),
                "delivered": d.error is None,
                "error": d.error,
            }
            for d in deliveries
        ),
    )
    return deliveries
