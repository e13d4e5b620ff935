"""The digest as Markdown for email and Slack: one section per business unit, each within
Slack's limit for a section. Names come from models and data, so each is escaped for the
format of the channel it goes to (monitor/channels.py)."""

from __future__ import annotations

from monitor.channels import Format, escape
from monitor.presentation.digest import Digest, Freshness, Problem, RowCount, UnitDigest
from monitor.presentation.wording import (
    check_summary,
    format_ago,
    format_change,
    format_duration,
    format_time,
)

#: Slack refuses a section block longer than this; email readers skim no further either.
SECTION_LIMIT = 3000
#: How many items of each list a section shows, tried in turn until the section fits.
LIST_LIMITS = (10, 5, 3, 1, 0)
#: Names are cut to this length, so every list item stays short and well-formed Markdown.
NAME_LIMIT = 80


def digest_text(
    digest: Digest, business_unit: str | None = None, fmt: Format = Format.MARKDOWN
) -> str:
    """Markdown, one section per business unit (or only `business_unit`'s), each section
    within Slack's limit: lists are shortened to "and N more" until it fits."""
    units = [digest.unit(business_unit)] if business_unit else list(digest.units)
    return "\n\n".join(section(digest, unit, fmt) for unit in units)


def section(digest: Digest, unit: UnitDigest, fmt: Format) -> str:
    for limit in LIST_LIMITS:
        text = render_section(digest, unit, limit, fmt)
        if len(text) <= SECTION_LIMIT:
            return text
    return text[: SECTION_LIMIT - 1] + "…"


def render_section(digest: Digest, unit: UnitDigest, limit: int, fmt: Format) -> str:
    lines = [
        f"## {unit.name.capitalize()} · {digest.environment} · {format_time(digest.as_of)} UTC",
        f"Checks (latest result of each): {check_summary(unit)}",
        "",
        f"**Open problems ({len(unit.problems)})**",
        *bullets([problem_line(p, fmt) for p in unit.problems], limit, "No open problems."),
    ]
    if unit.freshness:
        lines += ["", "**Source freshness**"]
        lines += bullets([freshness_line(f, fmt) for f in unit.freshness], limit, "")
    if unit.learning:
        names = ", ".join(code(name, fmt) for name in unit.learning)
        lines += [
            "",
            f"Volume and staleness not judged yet (learning, too little history): {names}",
        ]
    lines += ["", "**Row counts**"]
    lines += bullets([count_line(c, fmt) for c in unit.row_counts], limit, "No datasets.")
    return "\n".join(lines)


def bullets(items: list[str], limit: int, empty: str) -> list[str]:
    if not items:
        return [empty]
    shown = [f"- {item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"- … and {len(items) - limit} more")
    return shown


def problem_line(problem: Problem, fmt: Format) -> str:
    column = f" on {code(problem.column, fmt)}" if problem.column else ""
    rows = f", {problem.failing_rows:,} failing rows" if problem.failing_rows else ""
    return (
        f"**{problem.status.upper()}** {code(problem.dataset, fmt)} {code(problem.check, fmt)}"
        f"{column}{rows}, open {format_duration(problem.open_for)}"
        f" (since {format_time(problem.opened_at)})"
    )


def freshness_line(freshness: Freshness, fmt: Format) -> str:
    newest = (
        f"newest record {format_time(freshness.newest_record)}"
        f" ({format_ago(freshness.record_age)}), "
        if freshness.newest_record
        else ""
    )
    return f"{code(freshness.dataset, fmt)}: {newest}loaded {format_ago(freshness.load_age)}"


def count_line(count: RowCount, fmt: Format) -> str:
    rows = "row" if count.rows == 1 else "rows"
    return f"{code(count.dataset, fmt)}: {count.rows:,} {rows}, {format_change(count)}"


def code(name: str, fmt: Format) -> str:
    """A name as inline code the name cannot close, escaped for `fmt`; cut to `NAME_LIMIT`,
    so that no single item can keep a section over Slack's limit."""
    if len(name) > NAME_LIMIT:
        name = name[: NAME_LIMIT - 1] + "…"
    return escape(name, fmt, code=True)
