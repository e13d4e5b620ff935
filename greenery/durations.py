"""How long something lasted, or how old it is, as people say it: one wording for the project's
commands (`greenery answers`) and the monitor (digest, report, terminal, check messages).

Precise enough to act on and short enough for a list: "12 min", "3 h 12 min", "26 h",
"3 d 4 h", "4 months", "5 years 9 months". Never a Python timedelta ("2118 days, 9:37:19.01").
"""

from __future__ import annotations

from datetime import timedelta

#: Average lengths, so that an age in months or years needs no calendar: an age this long
#: is said to the month, and a day either way changes nothing a reader does.
DAYS_PER_YEAR = 365.2425
DAYS_PER_MONTH = DAYS_PER_YEAR / 12


def human_duration(value: timedelta | float | int) -> str:
    """A duration (a timedelta, or seconds) in at most two units; its sign is dropped, so the
    caller says "ago" or "in the future"."""
    seconds = abs(value.total_seconds() if isinstance(value, timedelta) else float(value))
    minutes = int(seconds // 60)
    hours, minute = divmod(minutes, 60)
    days, hour = divmod(hours, 24)
    if minutes < 1:
        return "under 1 min"
    if hours < 1:
        return f"{minutes} min"
    if hours < 10:
        return _units((hours, "h"), (minute, "min"))
    if hours < 48:
        return f"{hours} h"
    if seconds < 2 * DAYS_PER_MONTH * 86400:
        return _units((days, "d"), (hour, "h"))
    # Whole months, a day's slack given so that 365 days make a year, not "11 months".
    years, month = divmod(int((seconds / 86400 + 1) / DAYS_PER_MONTH), 12)
    return _units((years, "year"), (month, "month"), plural=True)


def _units(*parts: tuple[int, str], plural: bool = False) -> str:
    """'3 d 4 h', '3 d' (a zero part is left out), '1 year 2 months'."""
    return " ".join(f"{n} {unit}{'s' if plural and n != 1 else ''}" for n, unit in parts if n)
