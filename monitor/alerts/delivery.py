"""Messages to channels, off the pipeline's critical path and without losing any.

Each run stores at most one message per channel (the incident events it hears), then sends
every pending message, each channel in its own thread, and waits at most `deadline` seconds
for all of them together. A channel that has not answered by then is recorded as not yet
delivered; its message goes out at the next monitor run, or with `monitor deliver`. A channel
only ever receives messages composed since it was configured: nothing old is replayed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.alerts.compose import compose_message, compose_review
from monitor.alerts.incidents import IncidentEvent
from monitor.channels import Channel
from monitor.storage import reads, writes
from monitor.storage.database import Database, now

if TYPE_CHECKING:  # SQLMesh, which a review needs, is not imported to send or print one
    from monitor.review.review import Review

#: Undelivered messages older than this are no longer retried (they stay in history).
RETRY_WINDOW = timedelta(days=7)
NO_ANSWER = "no answer within {deadline:g} s; kept for the next run or `monitor deliver`"


@dataclass(frozen=True)
class Delivery:
    message_id: str
    title: str
    channel: str
    error: str | None


def record_messages(
    database: Database,
    run_id: str,
    environment: str,
    events: list[IncidentEvent],
    channels: Iterable[Channel],
    report_url: str | None,
) -> int:
    """Compose and store this run's message for every channel that hears one of `events`;
    how many were stored."""
    created = now()
    rows = []
    for channel in channels:
        heard = [event for event in events if channel.hears(event.route)]
        if heard:
            title, body = compose_message(heard, environment, channel, report_url)
            rows.append(_message(run_id, environment, channel, created, title, body))
    writes.append(database, "messages", rows)
    return len(rows)


def record_review(
    database: Database, run_id: str, review: Review, channels: Iterable[Channel]
) -> int:
    """Store a plan review as one message for every channel that hears a changed model's
    unit, owner or tags, to go out with `deliver_pending` as every message does; how many."""
    created = now()
    rows = [
        _message(run_id, review.environment, channel, created, *compose_review(review, channel))
        for channel in channels
        if review.models and channel.hears(review.route)
    ]
    writes.append(database, "messages", rows)
    return len(rows)


def _message(
    run_id: str, environment: str, channel: Channel, created: datetime, title: str, body: str
) -> dict[str, object]:
    return {
        "message_id": uuid.uuid4().hex[:12],
        "run_id": run_id,
        "environment": environment,
        "channel": channel.label,
        "created_at": created,
        "title": title,
        "body": body,
    }


def deliver_pending(database: Database, channels: list[Channel], deadline: float) -> list[Delivery]:
    """Send every pending message, channels in parallel, waiting `deadline` seconds at most."""
    by_label = {channel.label: channel for channel in channels}
    pending = reads.pending_messages(database, list(by_label), now() - RETRY_WINDOW)
    outcomes: dict[str, str | None] = {}
    threads = []
    for label in dict.fromkeys(row["channel"] for row in pending):
        rows = [row for row in pending if row["channel"] == label]
        thread = threading.Thread(
            target=_send_all, args=(by_label[label], rows, outcomes), daemon=True
        )
        thread.start()
        threads.append(thread)
    _join(threads, deadline)
    deliveries = [
        Delivery(
            row["message_id"],
            row["title"],
            row["channel"],
            outcomes[row["message_id"]]
            if row["message_id"] in outcomes
            else NO_ANSWER.format(deadline=deadline),
        )
        for row in pending
    ]
    attempted = now()
    writes.append(
        database,
        "deliveries",
        (
            {
                "message_id": d.message_id,
                "channel": d.channel,
                "attempted_at": attempted,
                "delivered": d.error is None,
                "error": d.error,
            }
            for d in deliveries
        ),
    )
    return deliveries


def _send_all(channel: Channel, rows: list[dict], outcomes: dict[str, str | None]) -> None:
    """One channel's messages, in order; each outcome is stored as soon as it is known."""
    for row in rows:
        outcomes[row["message_id"]] = channel.send(row["title"], row["body"])


def _join(threads: list[threading.Thread], deadline: float) -> None:
    """Wait for every thread, `deadline` seconds in all; the late ones run on as daemons
    and are forgotten (their messages stay pending)."""
    ends = time.monotonic() + deadline
    for thread in threads:
        thread.join(max(0.0, ends - time.monotonic()))
