"""What a channel is told after a run: one message holding every incident event it hears,
worst first; past `DETAILED_LIMIT` events, a summary that points to the report.

Every value that comes from data (names, messages, sample cells, queries) goes through the
channel's escaping (monitor/channels.py), so that it reads as text in Slack, Markdown and HTML
and cannot ping, link or inject.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from monitor.alerts.incidents import IncidentEvent
from monitor.channels import Channel, code_block, escape

if TYPE_CHECKING:  # SQLMesh, which a review needs, is not imported to send or print one
    from monitor.review.review import Review

#: Up to this many events a message shows each in full; more become one line each.
DETAILED_LIMIT = 5
#: Problems listed per incident, sample rows and columns shown.
PROBLEMS_SHOWN = 4
SAMPLE_ROWS = 5
SAMPLE_COLUMNS = 6
CELL_WIDTH = 24
LABELS = {
    "opened": "{status} · new",
    "changed": "{status} · changed from {previous}",
    "still_open": "{status} · still open",
    "resolved": "RESOLVED",
    "retired": "RETIRED",
}


def compose_message(
    events: Sequence[IncidentEvent], environment: str, channel: Channel, report_url: str | None
) -> tuple[str, str]:
    """The title and Markdown body of one run's message to `channel`."""
    open_events = [e for e in events if not e.closes]
    counts = [f"{len(open_events)} open"] if open_events else []
    if len(open_events) < len(events):
        counts.append(f"{len(events) - len(open_events)} resolved")
    worst = open_events[0].status.upper() if open_events else "RESOLVED"
    title = f"[{worst}] Greenery data ({environment}): {', '.join(counts)}"
    if len(events) <= DETAILED_LIMIT:
        parts = [_detailed(event, channel) for event in events]
    else:
        parts = ["\n".join(f"- {_headline(event, channel)}" for event in events)]
    where = f"the report ({escape(report_url, channel.format)}) or " if report_url else ""
    parts.append(f"Every open problem: {where}`monitor problems --environment {environment}`.")
    return title, "\n\n".join(parts)


def compose_review(review: Review, channel: Channel) -> tuple[str, str]:
    """The title and Markdown body of a plan review: the key figures beyond tolerance first,
    then each changed model with why SQLMesh rebuilt it or not, and a sample of changed rows."""
    beyond = review.beyond_tolerance
    flag = f"{len(beyond)} key figure(s) beyond tolerance" if beyond else "key figures within"
    title = (
        f"[{'BEYOND TOLERANCE' if beyond else 'REVIEW'}] Greenery plan review "
        f"({review.environment}): {len(review.models)} model(s) changed, {flag}"
    )
    parts = []
    if beyond:
        parts.append(
            "**Beyond tolerance**\n"
            + "\n".join(f"- {escape(m.name, channel.format)}: {m.said()}" for m in beyond)
        )
    for model in review.models:
        lines = [f"**{_name(model.dataset, channel)}** · {model.why}"]
        lines += [f"- {escape(line, channel.format)}" for line in model.said(review.environment)]
        if model.sample:
            lines.append("Changed rows (personal data masked):")
            lines.append(code_block(_table(model.sample), channel.format))
        parts.append("\n".join(lines))
    within = [m for m in review.figures_to_say if not m.beyond_tolerance]
    if within:
        parts.append(
            "**Key figures within tolerance** (those that moved, and the headline ones)\n"
            + "\n".join(f"- {escape(m.name, channel.format)}: {m.said()}" for m in within)
        )
    parts.append(f"Again: `monitor review --environment {review.environment}`.")
    return title, "\n\n".join(parts)


def _headline(event: IncidentEvent, channel: Channel) -> str:
    label = LABELS[event.event].format(
        status=event.status.upper(), previous=(event.previous_status or "").upper()
    )
    problems = len(event.checks)
    what = (
        f"{problems} problem(s), {event.failing_rows:,} failing row(s)"
        if not event.closes
        else "its checks pass again"
        if event.event == "resolved"
        else "its failing checks were removed from the project"
    )
    impacted = f"; impacts {_names(event.impacted, channel)}" if event.impacted else ""
    return f"**{label}** · {_name(event.root, channel)}: {what}{impacted}"


def _detailed(event: IncidentEvent, channel: Channel) -> str:
    lines = [_headline(event, channel)]
    since = f"open since {event.opened_at:%Y-%m-%d %H:%M} UTC"
    units = f"; units: {', '.join(event.units)}" if event.units else ""
    lines.append(f"{since}{units}")
    if event.closes:
        return "\n".join(lines)
    for check in event.checks[:PROBLEMS_SHOWN]:
        lines.append(f"- {_problem(check, channel)}")
    if len(event.checks) > PROBLEMS_SHOWN:
        lines.append(f"- and {len(event.checks) - PROBLEMS_SHOWN} more")
    first = next((c for c in event.checks if c.get("sample")), None)
    if first:
        lines.append(f"Failing rows of {_label(first, channel)} (personal data masked):")
        lines.append(code_block(_table(first["sample"]), channel.format))
    with_query = next((c for c in event.checks if c.get("query")), None)
    if with_query:
        lines.append(f"Reproduce {_label(with_query, channel)}:")
        lines.append(code_block(with_query["query"], channel.format, "sql"))
    return "\n".join(lines)


def _problem(check: dict[str, Any], channel: Channel) -> str:
    where = check["dataset"] + (f".{check['column']}" if check.get("column") else "")
    parts = [f"{check['status'].upper()} {_label(check, channel)}"]
    parts[0] += f" on {_name(where, channel)}"
    if check.get("failing_rows"):
        parts.append(f"{check['failing_rows']:,} failing row(s)")
    if check.get("threshold"):
        parts.append(escape(check["threshold"], channel.format))
    if check.get("message"):
        parts.append(escape(check["message"], channel.format))
    parts.append(_consequence(check))
    return "; ".join(parts)


def _consequence(check: dict[str, Any]) -> str:
    """What the result does: only a failing (blocking) SQLMesh audit stops a build."""
    if check["status"] == "fail":
        return "blocks the build" if check["source"] == "sqlmesh_audit" else "fails"
    return {"warn": "warns", "error": "could not run"}.get(check["status"], check["status"])


def _label(check: dict[str, Any], channel: Channel) -> str:
    """A check by its stable name: its thresholds are said beside it."""
    return _name(check.get("key") or check["check"], channel)


def _name(name: str, channel: Channel) -> str:
    return escape(name, channel.format, code=True)


def _names(names: Sequence[str], channel: Channel) -> str:
    return ", ".join(_name(n, channel) for n in names)


def _table(sample: list[dict[str, Any]]) -> str:
    """The sample as an aligned text table: readable in email, Slack and JSON."""
    columns = list(sample[0])[:SAMPLE_COLUMNS]

    def cell(value: object) -> str:
        text = "NULL" if value is None else str(value)
        return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 3] + "..."

    grid = [columns, *([cell(row.get(c)) for c in columns] for row in sample[:SAMPLE_ROWS])]
    widths = [max(len(line[i]) for line in grid) for i in range(len(columns))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in grid
    )
