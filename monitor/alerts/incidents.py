"""From problems to incidents: one incident per fault, with a lifecycle.

Grouping. Results that describe one fault become one incident:
- every problem of one dataset (an audit and a Soda check guarding the same invariant, or two
  rules broken by one bad row) belongs to that dataset;
- a failing dataset and the failing datasets downstream of it in SQLMesh's DAG belong to one
  incident, whose root is the most upstream failing dataset (usually a raw table or its
  staging model); the others are its impacted datasets.

Lifecycle, kept in `monitor.incidents` and compared run to run by root:
- opened: a root with problems and no open incident;
- changed: its worst status, its failing checks or its failing rows differ from the last event;
- still_open: unchanged, and the last event is older than the re-alert interval;
- resolved: no problem left at that root (`retired` when every failing check was removed from
  the project rather than fixed).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.results import CheckResult, Status
from monitor.storage import reads, writes
from monitor.storage.database import Database

#: The events that end an incident.
CLOSING = ("resolved", "retired")


@dataclass(frozen=True)
class Incident:
    """One fault: its root, the failing datasets it reaches, and their problems."""

    root: str
    datasets: tuple[str, ...]  # the root first, then the impacted datasets
    problems: tuple[CheckResult, ...]  # worst first

    @property
    def impacted(self) -> tuple[str, ...]:
        return self.datasets[1:]

    @property
    def status(self) -> Status:
        return max((p.status for p in self.problems), key=lambda s: s.rank)

    @property
    def failing_rows(self) -> int:
        return sum(p.failing_rows or 0 for p in self.problems)

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(sorted({p.business_unit for p in self.problems}))

    @property
    def route(self) -> frozenset[str]:
        """Who hears it: the units concerned, and each problem's owner and tags."""
        tags = {tag for p in self.problems for tag in (p.business_unit, p.owner, *p.tags)}
        return frozenset(tags - {None, ""})


@dataclass(frozen=True)
class IncidentEvent:
    """What changed about an incident in this run; `checks` as stored and shown."""

    incident_id: str
    event: str  # opened, changed, still_open, resolved, retired
    root: str
    status: str
    previous_status: str | None
    opened_at: datetime
    impacted: tuple[str, ...]
    units: tuple[str, ...]
    route: frozenset[str]
    failing_rows: int
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def closes(self) -> bool:
        """Whether this event ends its incident."""
        return self.event in CLOSING

    @property
    def rank(self) -> int:
        """Worst first: open problems by status, then resolutions."""
        return -1 if self.closes else Status(self.status).rank


def group_incidents(
    problems: Iterable[CheckResult], upstream: dict[str, set[str]]
) -> list[Incident]:
    """One incident per root: each failing dataset joins the incident of the most upstream
    failing dataset it descends from (the first by name when it descends from several)."""
    by_dataset: dict[str, list[CheckResult]] = {}
    for problem in problems:
        by_dataset.setdefault(problem.dataset, []).append(problem)
    failing = set(by_dataset)
    ancestors = _ancestors(upstream)
    members: dict[str, list[str]] = {}
    for dataset in sorted(failing):
        roots = sorted(a for a in ancestors.get(dataset, set()) & failing if not
                       ancestors.get(a, set()) & failing)  # fmt: skip
        members.setdefault(roots[0] if roots else dataset, []).append(dataset)
    incidents = []
    for root, datasets in sorted(members.items()):
        ordered = [root, *sorted(d for d in datasets if d != root)]
        problems_of = [p for d in ordered for p in by_dataset[d]]
        problems_of.sort(key=lambda p: (-p.status.rank, ordered.index(p.dataset), p.check))
        incidents.append(Incident(root, tuple(ordered), tuple(problems_of)))
    return incidents


def _ancestors(upstream: dict[str, set[str]]) -> dict[str, set[str]]:
    """Every dataset's transitive upstream datasets."""
    found: dict[str, set[str]] = {}

    def visit(dataset: str, path: frozenset[str]) -> set[str]:
        if dataset not in found:
            result: set[str] = set()
            for parent in upstream.get(dataset, set()) - path:
                result |= {parent} | visit(parent, path | {dataset})
            found[dataset] = result
        return found[dataset]

    for dataset in upstream:
        visit(dataset, frozenset())
    return found


def decide_events(
    database: Database,
    environment: str,
    incidents: list[Incident],
    checked: set[str],
    retired: set[str],
    realert_after: timedelta,
    now: datetime,
) -> list[IncidentEvent]:
    """The events this run's incidents call for, by the lifecycle above. Only an incident whose
    root this run `checked` can resolve: a run that looked at one export does not close the
    rest."""
    open_events = {
        root: last
        for root, last in reads.open_incidents(database, environment).items()
        if root in checked or any(i.root == root for i in incidents)
    }
    events = []
    for incident in incidents:
        last = open_events.pop(incident.root, None)
        event = _event(incident, last, realert_after, now)
        if event:
            events.append(_from_incident(incident, event, last, now))
    for root, last in sorted(open_events.items()):
        checks = json.loads(last["checks"] or "[]")
        gone = {check["check_id"] for check in checks}
        events.append(_closed(root, last, "retired" if gone <= retired else "resolved"))
    return sorted(events, key=lambda e: (-e.rank, e.root))


def _event(
    incident: Incident, last: dict | None, realert_after: timedelta, now: datetime
) -> str | None:
    if last is None:
        return "opened"
    checks = {c["check_id"] for c in json.loads(last["checks"] or "[]")}
    if (
        last["status"] != incident.status
        or checks != {p.check_id for p in incident.problems}
        or last["failing_rows"] != incident.failing_rows
    ):
        return "changed"
    if now - last["created_at"] >= realert_after:
        return "still_open"
    return None


def _from_incident(
    incident: Incident, event: str, last: dict | None, now: datetime
) -> IncidentEvent:
    return IncidentEvent(
        incident_id=last["incident_id"] if last else uuid.uuid4().hex[:12],
        event=event,
        root=incident.root,
        status=str(incident.status),
        previous_status=last["status"] if last else None,
        opened_at=last["opened_at"] if last else now,
        impacted=incident.impacted,
        units=incident.units,
        route=incident.route,
        failing_rows=incident.failing_rows,
        checks=[_check(p) for p in incident.problems],
    )


def _closed(root: str, last: dict, event: str) -> IncidentEvent:
    return IncidentEvent(
        incident_id=last["incident_id"],
        event=event,
        root=root,
        status=str(Status.PASS),
        previous_status=last["status"],
        opened_at=last["opened_at"],
        impacted=tuple(filter(None, last["impacted"].split(","))),
        units=tuple(filter(None, last["units"].split(","))),
        route=frozenset(filter(None, last["route"].split(","))),
        failing_rows=0,
        checks=json.loads(last["checks"] or "[]"),
    )


def _check(problem: CheckResult) -> dict[str, Any]:
    return {
        "check_id": problem.check_id,
        "dataset": problem.dataset,
        "check": problem.check,
        "key": problem.stable_key,
        "column": problem.column,
        "source": str(problem.source),
        "severity": problem.severity,
        "status": str(problem.status),
        "failing_rows": problem.failing_rows,
        "threshold": problem.threshold,
        "message": problem.message,
        "query": problem.query,
        "sample": problem.sample,
    }


def record_events(
    database: Database, run_id: str, environment: str, events: list[IncidentEvent], now: datetime
) -> None:
    writes.append(
        database,
        "incidents",
        (
            {
                "incident_id": e.incident_id,
                "run_id": run_id,
                "environment": environment,
                "root": e.root,
                "event": e.event,
                "status": e.status,
                "created_at": now,
                "opened_at": e.opened_at,
                "impacted": ",".join(e.impacted),
                "units": ",".join(e.units),
                "route": ",".join(sorted(e.route)),
                "failing_rows": e.failing_rows,
                "checks": json.dumps(e.checks, default=str),
            }
            for e in events
        ),
    )
