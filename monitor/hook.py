"""Where SQLMesh hands over to the monitor: `before_all` and `after_all` of every apply and run.

config.yaml runs the macros in macros/monitor_hooks.py, which call these on SQLMesh's own
connection for the environment being applied or run:
- `before_all` records that an apply or run started;
- `after_all` checks the environment, alerts, and finishes that record; after an apply to a
  dev environment it also reviews the change against prod (monitor/review/), prints the
  review and sends it to the channels that hear the changed models.
SQLMesh skips `after_all` when an apply fails, so a start without an end is how the next
monitor run learns of the failure (monitor/checks/pipeline.py). Whatever goes wrong in the
monitor is printed as one paragraph and swallowed: the apply's or run's result stands.
`GREENERY_MONITOR=off` switches both off; `GREENERY_REVIEW=off` only the review (a quick
dev plan, the benchmark's baseline for the review's cost).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from sqlmesh.core.engine_adapter import EngineAdapter
from sqlmesh.core.snapshot import Snapshot

from greenery.faults import explain

SWITCH = "GREENERY_MONITOR"
REVIEW_SWITCH = "GREENERY_REVIEW"


def enabled(switch: str = SWITCH) -> bool:
    return os.environ.get(switch, "on").strip().lower() not in {"off", "0", "false", "no"}


def before_all(adapter: EngineAdapter, environment: str) -> None:
    """Record the start of an apply or run of `environment`."""
    from monitor.storage import writes
    from monitor.storage.database import Database

    def record() -> None:
        database = Database(adapter.connection)
        writes.record_pipeline_start(database, writes.start_run(database, environment, "sqlmesh"))

    _guarded(record, "could not record the start")


def after_all(adapter: EngineAdapter, environment: str, snapshots: dict[str, Snapshot]) -> None:
    """The apply or run reached its end: check the environment, alert, finish its record."""
    from monitor.checks.pipeline import own_start
    from monitor.runner import monitor_environment
    from monitor.storage.database import Database
    from monitor.storage.writes import Run

    def check() -> None:
        start = own_start(Database(adapter.connection), environment)
        run = Run(start["run_id"], environment, "sqlmesh", start["started_at"]) if start else None
        outcome = monitor_environment(
            adapter, snapshots, environment, "sqlmesh", run=run, after_apply=True
        )
        stream = sys.stderr if outcome.told_badly else sys.stdout
        print(outcome.summary(environment), file=stream)
        if environment != "prod" and enabled(REVIEW_SWITCH):
            _guarded(
                lambda: _review(adapter, environment, snapshots, outcome.run_id),
                "could not review the change",
            )

    _guarded(check, "failed")


def _review(
    adapter: EngineAdapter, environment: str, snapshots: dict[str, Snapshot], run_id: str
) -> None:
    """Print the review of a dev environment against prod, and send it."""
    from rich.console import Console

    from monitor.presentation.review import print_review
    from monitor.runner import review_and_tell

    review, deliveries = review_and_tell(adapter, snapshots, environment, run_id)
    print_review(review, Console())
    for failed in (d for d in deliveries if d.error):
        print(f"REVIEW DELIVERY FAILED to {failed.channel}: {failed.error}", file=sys.stderr)


def _guarded(step: Callable[[], None], what: str) -> None:
    try:
        step()
    except Exception as error:  # the monitor never breaks the apply or run it watches
        fault = explain(error)
        cause = str(fault) if fault else f"{type(error).__name__}: {error}"
        print(
            f"monitor: the monitor {what} ({cause}); the apply's or run's result stands. "
            "Run `monitor check` once the cause is fixed.",
            file=sys.stderr,
        )
