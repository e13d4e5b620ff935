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
    LOAD = "load"


def audit_status(failing_rows: int, blocking: bool) -> Status:
    """A SQLMesh audit: a blocking audit that finds rows fails, a non-blocking one warns."""
    if not failing_rows:
        return Status.PASS
    return Status.FAIL if blocking else Status.WARN


@dataclass(frozen=True)
class CheckResult:
    """One check of one dataset in one run. `check_id` names the check across runs: it derives
    from `key`, a stable name without threshold text (a check whose threshold is edited stays
    the same check), or from `check` when the check has no other name."""

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
    key: str | None = None

    @property
    def stable_key(self) -> str:
        return self.key or self.check

    @property
    def check_id(self) -> str:
        identity = "|".join((self.source, self.dataset, self.stable_key, self.column or ""))
        return hashlib.sha1(identity.encode()).hexdigest()[:16]

    @property
    def business_unit(self) -> str:
        """Whom this check concerns (see `greenery.layout.business_unit`)."""
        return business_unit(self.dataset, self.tags)
