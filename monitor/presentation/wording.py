"""How the digest, the report and the terminal say times, ages, changes and counts: one wording."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.presentation.digest import RowCount, UnitDigest
from monitor.results import Status


def format_duration(delta: timedelta) -> str:
    """'2 d 4 h', '3 h 12 min', '5 min': precise enough to act on, short enough for a list."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


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
