"""Delivery never holds the pipeline: channels are sent to in parallel within a deadline, and
what a silent channel did not take goes out once it answers again. Real servers on loopback:
an SMTP server that takes the message and never answers, an HTTP endpoint that answers after
30 s, and one that answers at once."""

from __future__ import annotations

import time

import pytest

from monitor.alerts.delivery import deliver_pending, record_messages
from monitor.alerts.incidents import decide_events, group_incidents, record_events
from monitor.channels import load_channels
from monitor.results import CheckResult, Source, Status
from monitor.settings import Settings
from monitor.storage.database import Database, now
from tests.servers import HangingMailbox, http_server, smtp_server

pytestmark = pytest.mark.monitor

DEADLINE = 2.0


def _settings(*urls: str) -> Settings:
    return Settings(
        apprise_config=None,
        apprise_urls=urls,
        realert_after=Settings.from_environment().realert_after,
        report_url=None,
        delivery_deadline=DEADLINE,
    )


def _one_incident(database: Database, settings: Settings) -> list:
    """Store one opened incident and this run's message to every channel; the channels."""
    fault = CheckResult(Source.SODA, "raw.orders", "missing_count(user_id) = 0", Status.FAIL)
    moment = now()
    incidents = group_incidents([fault], {})
    events = decide_events(
        database, "prod", incidents, {fault.dataset}, set(), settings.realert_after, moment
    )
    record_events(database, "run", "prod", events, moment)
    channels = load_channels(settings)
    assert record_messages(database, "run", "prod", events, channels, None) == len(channels)
    return channels


def test_silent_and_slow_channels_cost_the_deadline_and_lose_nothing(database: Database) -> None:
    with (
        smtp_server(HangingMailbox()) as (smtp_port, mailbox),
        http_server(delay=30) as (slow_port, slow),
        http_server() as (fast_port, fast),
    ):
        settings = _settings(
            f"mailto://127.0.0.1:{smtp_port}?from=m@greenery.test&to=d@greenery.test&mode=insecure",
            f"json://127.0.0.1:{slow_port}/slow",
            f"json://127.0.0.1:{fast_port}/fast",
        )
        channels = _one_incident(database, settings)

        started = time.monotonic()
        deliveries = deliver_pending(database, channels, DEADLINE)
        waited = time.monotonic() - started

        assert waited < DEADLINE + 1, "the run waits for the deadline, not for the channels"
        assert len(fast.bodies("/fast")) == 1, "the answering channel gets its message"
        undelivered = sorted(d.channel.split(":")[0] for d in deliveries if d.error)
        assert undelivered == ["json", "mailto"] and len(deliveries) == 3

        mailbox.answering.set()
        slow.delay = 0
        retried = deliver_pending(database, channels, DEADLINE)

        assert [d.error for d in retried] == [None, None]
        assert len(mailbox.messages) == 1 and len(slow.bodies("/slow")) == 1
        assert deliver_pending(database, channels, DEADLINE) == []


def test_a_channel_added_later_hears_nothing_old(database: Database) -> None:
    with http_server() as (port, old), http_server() as (new_port, new):
        channels = _one_incident(database, _settings(f"json://127.0.0.1:{port}/a"))
        deliver_pending(database, channels, DEADLINE)
        both = load_channels(
            _settings(f"json://127.0.0.1:{port}/a", f"json://127.0.0.1:{new_port}/b")
        )
        assert deliver_pending(database, both, DEADLINE) == []
        assert len(old.bodies("/a")) == 1 and new.posts == []
