"""What an alert says: a title and a Markdown body that read well in email, Slack and JSON."""

from __future__ import annotations

import uuid
from typing import Any

from monitor.results import CheckResult

SAMPLE_COLUMNS = 6


def compose(
    result: CheckResult, kind: str, environment: str, last: dict | None, report_url: str | None
) -> dict[str, Any]:
    """An alert's fields for `result`: id, check, kind, status, route, title and body."""
    label = {"resolved": "RESOLVED", "still_failing": "STILL FAILING"}.get(
        kind, str(result.status).upper()
    )
    where = f"{result.dataset}" + (f".{result.column}" if result.column else "")
    title = f"[{label}] {where}: {_short(result.check)} ({environment})"
    lines = [f"**{_what(result, kind, last)}**", ""]
    lines.append(f"- Check: `{result.check}` ({result.source}, {_severity(result)})")
    lines.append(f"- Model: `{result.dataset}` in environment `{environment}`")
    if result.owner or result.tags:
        lines.append(f"- Owner: {result.owner or '-'}; tags: {', '.join(result.tags) or '-'}")
    if result.status.is_problem:
        lines.append(f"- How bad: {_how_bad(result)}")
        if result.message:
            lines.append(f"- Detail: {result.message}")
    if report_url:
        lines.append(f"- Report: {report_url}")
    body = "\n".join(lines)
    if result.status.is_problem and result.sample:
        body += "\n\nFailing rows (personal data masked):\n\n" + _table(result.sample)
    if result.status.is_problem and result.query:
        body += f"\n\nReproduce:\n\n```sql\n{result.query}\n```"
    return {
        "alert_id": uuid.uuid4().hex[:12],
        "check_id": result.check_id,
        "kind": kind,
        "status": str(result.status),
        "route": frozenset({result.business_unit, *result.tags, result.owner or ""}) - {""},
        "title": title,
        "body": body,
    }


def _what(result: CheckResult, kind: str, last: dict | None) -> str:
    subject = f"{result.dataset}: {_short(result.check)}"
    if kind == "resolved":
        return f"{subject} passes again."
    if kind == "changed" and last:
        return f"{subject} went from {last['status']} to {result.status}."
    if kind == "still_failing":
        return f"{subject} is still {result.status}."
    return f"{subject} is {result.status}."


def _short(check: str, width: int = 80) -> str:
    return check if len(check) <= width else check[: width - 3] + "..."


def _severity(result: CheckResult) -> str:
    return "blocks" if result.severity == "fail" else "warns"


def _how_bad(result: CheckResult) -> str:
    parts = []
    if result.failing_rows is not None:
        parts.append(f"{result.failing_rows:,} failing row(s)")
    if result.measured_value is not None and result.measured_value != result.failing_rows:
        parts.append(f"measured {result.measured_value:g}")
    if result.threshold:
        parts.append(f"threshold {result.threshold}")
    return ", ".join(parts) or str(result.status)


def _table(sample: list[dict[str, object]]) -> str:
    """The sample as an aligned text table in a code block: readable in email, Slack and JSON."""
    columns = list(sample[0])[:SAMPLE_COLUMNS]

    def cell(value: object) -> str:
        text = "NULL" if value is None else str(value)
        return text if len(text) <= 24 else text[:21] + "..."

    grid = [columns, *([cell(row.get(c)) for c in columns] for row in sample)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(columns))]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True))
        for line in grid
    ]
    return "```\n" + "\n".join(line.rstrip() for line in lines) + "\n```"
