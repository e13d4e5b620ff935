"""One monitor run: audits and checks of an environment -> history -> alerts -> channels.

Called by the SQLMesh hook after every apply and run, and by the `monitor` command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmesh.core.engine_adapter import EngineAdapter
from sqlmesh.core.snapshot import Snapshot

from greenery.layout import prod_name, view_schema
from monitor.alerts.delivery import Delivery, deliver_pending, record_alerts
from monitor.alerts.rules import Alert, decide_alerts
from monitor.channels import load_channels
from monitor.checks import pipeline
from monitor.checks.audits import run_sqlmesh_audits
from monitor.checks.history_monitors import run_history_monitors
from monitor.checks.soda import run_soda_checks
from monitor.datasets import dataset_name, from_models
from monitor.results import CheckResult, Status
from monitor.settings import Settings
from monitor.storage import writes
from monitor.storage.database import Database, now


@dataclass
class Outcome:
    """What a monitor run found and sent, for the command line and the hook's log line."""

    run_id: str
    results: list[CheckResult]
    alerts: list[Alert]
    deliveries: list[Delivery] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(r.status is status for r in self.results)

    @property
    def failed_deliveries(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.error]

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s}" for s in Status)
        text = f"monitor run {self.run_id}: {counts}; {len(self.alerts)} alert(s)"
        text += f", {len(self.deliveries) - len(self.failed_deliveries)} delivered"
        for failed in self.failed_deliveries:
            text += f"\nDELIVERY FAILED to {failed.channel}: {failed.alert.title} ({failed.error})"
        return text


def monitor_environment(
    adapter: EngineAdapter,
    snapshots: dict[str, Snapshot],
    environment: str,
    trigger: str,
    *,
    run: writes.Run | None = None,
    failure: str | None = None,
    moment: datetime | None = None,
    settings: Settings | None = None,
) -> Outcome:
    """Check `environment` and alert on what changed.

    `run` is the run a SQLMesh apply or run started in `before_all`; without one, a new run
    starts. With `failure` set (the caller saw SQLMesh fail), only the pipeline is reported:
    the environment was not updated, and the hook already checked what the run left.
    """
    settings = settings or Settings.from_environment()
    database = Database(adapter.connection)
    run = run or writes.start_run(database, environment, trigger)
    moment = moment or now()
    unfinished = [
        start
        for start in pipeline.unfinished_starts(database, moment)
        if start["run_id"] != run.run_id
    ]
    results = [pipeline.pipeline_result(unfinished, failure)]
    if not failure:
        datasets = from_models(s.node for s in snapshots.values() if s.is_model)
        in_scope = _snapshots_in_environment(database, snapshots, environment)
        results += run_sqlmesh_audits(adapter, in_scope, datasets, None, moment)
        results += run_soda_checks(database, environment, datasets, moment)
        results += run_history_monitors(database, environment, datasets, moment)

    for start in unfinished:
        writes.close_unfinished_start(database, start)
    writes.finish_run(database, run, results, "failed" if failure else "ok", failure or "")
    decided = decide_alerts(
        database, environment, results, settings.realert_after, settings.report_url
    )
    record_alerts(database, run.run_id, environment, decided)
    deliveries = deliver_pending(database, load_channels(settings))
    return Outcome(run.run_id, results, decided, deliveries)


def _snapshots_in_environment(
    database: Database, snapshots: dict[str, Snapshot], environment: str
) -> dict[str, Snapshot]:
    """In prod, every model; in a dev environment, the models it holds views for."""
    if environment == "prod":
        return snapshots
    names = {dataset_name(s.name): key for key, s in snapshots.items() if s.is_model}
    schemas = {view_schema(name.split(".")[0], environment) for name in names}
    present = {prod_name(relation) for relation in database.relations(schemas)}
    return {key: snapshots[key] for name, key in names.items() if name in present}
