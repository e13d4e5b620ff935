"""How the digest, the report and the terminal say times, ages, changes and counts: one wording."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from greenery.durations import human_duration
from monitor.presentation.digest import RowCount, UnitDigest
from monitor.results import Status

__all__ = [
    "check_summary",
    "format_ago",
    "format_change",
    "format_duration",
    "format_time",
    "human_duration",
    "readable_message",
]

#: A Python timedelta as `str()` writes it ("2118 days, 9:37:19.011823", "-1 day, 23:00:00",
#: or "9:37:19" just before "before"), as older check messages stored it; a time of day
#: ("2021-02-12 08:55:36") is left alone.
TIMEDELTA = re.compile(
    r"(?:(?<![\w.-])(?P<days>-?\d+) days?, (?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.\d+)?"
    r"|(?<![\d:-])(?P<h2>\d{1,2}):(?P<m2>\d{2}):(?P<s2>\d{2})(?:\.\d+)?(?= before\b))"
    r"(?P<before> before NOW)?"
)


def format_duration(delta: timedelta) -> str:
    """'12 min', '3 h 12 min', '26 h', '3 d 4 h', '5 years 9 months': `human_duration`, which
    lives in `greenery.durations` so that the project's commands and the monitor's checks
    (below this layer) say durations the same way."""
    return human_duration(delta)


def format_ago(delta: timedelta | None) -> str:
    """How old something is; a timestamp after `as_of` is said to be in the future, since a
    negative age would read as fresh when it is a source error."""
    if delta is None:
        return "never"
    if delta < timedelta(0):
        return f"{format_duration(delta)} in the future"
    return f"{format_duration(delta)} ago"


def format_time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def format_change(count: RowCount) -> str:
    if count.change is None:
        return "no earlier count"
    percent = f" ({count.change / count.previous_rows:+.1%})" if count.previous_rows else ""
    return f"{count.change:+,}{percent} since {format_time(count.previous_at)}"


def check_summary(unit: UnitDigest) -> str:
    """'12 passed, 1 warned, 2 failed', with errors only when there are some."""
    parts = [
        f"{unit.count(Status.PASS)} passed",
        f"{unit.count(Status.WARN)} warned",
        f"{unit.count(Status.FAIL)} failed",
    ]
    if unit.count(Status.ERROR):
        parts.append(f"{unit.count(Status.ERROR)} errored")
    return ", ".join(parts)


def readable_message(message: str | None) -> str | None:
    """A stored check message as people read it: a Python timedelta in it (Soda's freshness
    diagnostics, stored before the checks said durations themselves) becomes '5 years 9 months'.
    """
    if not message:
        return message
    return TIMEDELTA.sub(_said, message)


def _said(match: re.Match[str]) -> str:
    if match["days"] is not None:
        days, h, m, s = int(match["days"]), int(match["h"]), int(match["m"]), int(match["s"])
    else:
        days, h, m, s = 0, int(match["h2"]), int(match["m2"]), int(match["s2"])
    delta = timedelta(days=days, hours=h, minutes=m, seconds=s)
    before = match["before"] or ""
    if delta < timedelta(0) and before:
        return f"{human_duration(delta)} after NOW"
    return human_duration(delta) + before
