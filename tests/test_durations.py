"""Durations as people say them, in the monitor and in `greenery answers`: never a Python
timedelta, and a historical export said so in one line."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import duckdb
import pytest
from rich.console import Console

from greenery.answers import historical_note
from greenery.durations import human_duration
from monitor.presentation import wording
from monitor.presentation.wording import format_ago, format_duration, readable_message


@pytest.mark.parametrize(
    ("duration", "said"),
    [
        (timedelta(seconds=20), "under 1 min"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=3), "3 h"),
        (timedelta(hours=3, minutes=12), "3 h 12 min"),
        (timedelta(hours=26, minutes=40), "26 h"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
        (timedelta(days=2), "2 d"),
        (timedelta(days=59), "59 d"),
        (timedelta(days=75), "2 months"),
        (timedelta(days=365), "1 year"),
        (timedelta(days=400), "1 year 1 month"),
        (timedelta(days=2118, hours=9, minutes=37, seconds=19.011823), "5 years 9 months"),
        (-timedelta(hours=5), "5 h"),  # the sign is the caller's to say
        (183_038_000 / 1000, "2 d 2 h"),  # seconds, as Soda's milliseconds / 1000
        (90, "1 min"),
    ],
)
def test_human_duration(duration: timedelta | float, said: str) -> None:
    assert human_duration(duration) == said


def test_the_monitor_says_durations_with_the_same_words() -> None:
    assert wording.human_duration is human_duration
    assert format_duration(timedelta(days=3, hours=4)) == "3 d 4 h"
    assert format_ago(timedelta(days=2118)) == "5 years 9 months ago"
    assert format_ago(-timedelta(hours=26)) == "26 h in the future"
    assert format_ago(None) == "never"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (
            "newest value 2021-02-12 08:55:36, 2118 days, 9:37:19.011823 before NOW",
            "newest value 2021-02-12 08:55:36, 5 years 9 months before NOW",
        ),
        (
            "newest value 2026-11-30 08:55:36, 1 day, 2:00:00 before NOW",
            "newest value 2026-11-30 08:55:36, 26 h before NOW",
        ),
        (
            "newest value 2026-12-01 08:55:36, 9:37:19.011823 before NOW",
            "newest value 2026-12-01 08:55:36, 9 h 37 min before NOW",
        ),
        (
            "newest value 2026-12-02 10:00:00, -1 day, 23:00:00 before NOW",
            "newest value 2026-12-02 10:00:00, 1 h after NOW",
        ),
        ("missing columns: email", "missing columns: email"),
        (None, None),
    ],
)
def test_stored_messages_never_show_a_timedelta(stored: str | None, shown: str | None) -> None:
    assert readable_message(stored) == shown


@pytest.fixture
def events() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.events AS SELECT * FROM (VALUES "
        "(TIMESTAMP '2021-02-10 10:00:00'), (TIMESTAMP '2021-02-12 08:55:36')) t(created_at)"
    )
    return con


def test_a_historical_export_is_said_in_one_line(events: duckdb.DuckDBPyConnection) -> None:
    note = historical_note(events, as_of=datetime(2026, 12, 1, 20, 0))

    assert note == (
        "Historical export: newest event 2021-02-12, 5 years 9 months ago; "
        "the freshness checks fail for that reason, not for a fault."
    )
    console = Console(file=io.StringIO(), width=80)  # as `make demo` prints into a pipe
    console.print(note, soft_wrap=True)
    assert console.file.getvalue() == note + "\n"


def test_a_recent_export_or_none_says_nothing(events: duckdb.DuckDBPyConnection) -> None:
    assert historical_note(events, as_of=datetime(2021, 3, 1)) is None  # 17 days: not historical
    assert historical_note(duckdb.connect(), as_of=datetime(2026, 12, 1)) is None  # no raw.events
