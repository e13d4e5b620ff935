"""SQLMesh calls the monitor: after every apply and run, and when one fails.

SQLMesh offers two doors, and the monitor uses both:
- `before_all` / `after_all` statements (config.py) call macros that run in the SQLMesh process,
  on SQLMesh's own connection, for the environment being applied or run;
- a notification target hears which command is running and, when it fails, the audits that
  broke it; `after_all` does not run then, so the target reports the failure itself.
Whatever goes wrong in the monitor is printed and swallowed: the plan's result stands.
"""

from __future__ import annotations

import sys
import traceback
import typing as t
from dataclasses import dataclass, field

from sqlmesh.core.engine_adapter import EngineAdapter
from sqlmesh.core.notification_target import (
    GenericNotificationTarget,
    NotificationEvent,
    NotificationStatus,
)
from sqlmesh.core.snapshot import Snapshot
from sqlmesh.utils.errors import AuditError


@dataclass
class _Command:
    """What SQLMesh is doing now in this process: one plan apply or run at a time."""

    trigger: str = "plan"
    adapter: EngineAdapter | None = None
    environment: str = "prod"
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    audit_errors: list[AuditError] = field(default_factory=list)


_current = _Command()


def before_all(adapter: EngineAdapter, environment: str, snapshots: dict[str, Snapshot]) -> None:
    """Remember the connection and models: a failure later has only the notification."""
    _current.adapter, _current.environment, _current.snapshots = adapter, environment, snapshots


def after_all(adapter: EngineAdapter, environment: str, snapshots: dict[str, Snapshot]) -> None:
    """The apply or run succeeded: check the environment and alert."""
    _monitor(adapter, snapshots, environment)


def _report_failure(failure: str) -> None:
    if _current.adapter is None:
        print(
            f"monitor: {failure}; the warehouse was not opened, so nothing was recorded.",
            file=sys.stderr,
        )
        return
    _monitor(
        _current.adapter,
        _current.snapshots,
        _current.environment,
        failure=failure,
        audit_errors=list(_current.audit_errors),
    )


def _monitor(
    adapter: EngineAdapter, snapshots: dict[str, Snapshot], environment: str, **kwargs: t.Any
) -> None:
    """Run the monitor; print its summary, or its error, and never raise into SQLMesh."""
    try:
        from monitor.runner import monitor_environment

        outcome = monitor_environment(adapter, snapshots, environment, _current.trigger, **kwargs)
    except Exception:
        print("monitor: the monitor itself failed; the plan's result stands.", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return
    finally:
        _current.audit_errors.clear()
    stream = sys.stderr if outcome.failed_deliveries else sys.stdout
    print(outcome.summary(), file=stream)


class MonitorNotificationTarget(GenericNotificationTarget):
    """Hears which command runs, collects failing audits, and reports failed applies and runs."""

    notify_on: frozenset[NotificationEvent] = frozenset(
        {
            NotificationEvent.APPLY_START,
            NotificationEvent.RUN_START,
            NotificationEvent.AUDIT_FAILURE,
            NotificationEvent.APPLY_FAILURE,
            NotificationEvent.RUN_FAILURE,
        }
    )

    def send(self, notification_status: NotificationStatus, msg: str, **kwargs: t.Any) -> None:
        """Unused: every event this target hears has its own method below."""

    def notify_apply_start(
        self, environment: str, plan_id: str, *args: t.Any, **kwargs: t.Any
    ) -> None:
        _current.trigger, _current.environment = "plan", environment
        _current.audit_errors.clear()

    def notify_run_start(self, environment: str, *args: t.Any, **kwargs: t.Any) -> None:
        _current.trigger, _current.environment = "run", environment
        _current.audit_errors.clear()

    def notify_audit_failure(self, audit_error: AuditError, *args: t.Any, **kwargs: t.Any) -> None:
        _current.audit_errors.append(audit_error)

    def notify_apply_failure(
        self, environment: str, plan_id: str, exc: str, *args: t.Any, **kwargs: t.Any
    ) -> None:
        _report_failure(f"plan {plan_id} failed to apply to {environment}: {_last_line(exc)}")

    def notify_run_failure(self, exc: str, *args: t.Any, **kwargs: t.Any) -> None:
        _report_failure(f"sqlmesh run failed in {_current.environment}: {_last_line(exc)}")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else text
