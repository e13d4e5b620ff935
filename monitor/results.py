"""One record for every check result, whatever ran the check.

SQLMesh audits, Soda checks and the monitor's own history monitors all become `CheckResult`s,
so history, alerts, the digest and the report read one shape and one meaning of status.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from greenery.layout import business_unit


class Status(StrEnum):
    """What a result means for people. Ordered: a higher rank is worse."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return list(Status).index(self)

    @property
    def is_problem(self) -> bool:
        return self is not Status.PASS


class Source(StrEnum):
    SQLMESH_AUDIT = "sqlmesh_audit"
    SODA = "soda"
    MONITOR = "monitor"
    PIPELINE = "pipeline"


def audit_status(failing_rows: int, blocking: bool) -> Status:
    """A SQLMesh audit: a blocking audit that finds rows fails, a non-blocking one warns."""
    if not failing_rows:
        return Status.PASS
    return Status.FAIL if blocking else Status.WARN


@dataclass(frozen=True)
class CheckResult:
    """One check of one dataset in one run. `check_id` names the check across runs."""

    source: Source
    dataset: str
    check: str
    status: Status
    column: str | None = None
    severity: str = "fail"  # the worst status this check can give: "fail" or "warn"
    owner: str | None = None
    tags: tuple[str, ...] = ()
    measured_value: float | None = None
    threshold: str | None = None
    failing_rows: int | None = None
    query: str | None = None
    sample: list[dict[str, object]] = field(default_factory=list)
    message: str | None = None

    @property
    def check_id(self) -> str:
        key = "|".join((self.source, self.dataset, self.check, self.column or ""))
        return hashlib.sha1(key.encode()).hexdigest()[:16]

    @property
    def business_unit(self) -> str:
        """Whom this check concerns (see `greenery.layout.business_unit`)."""
        return business_unit(self.dataset, self.tags)
