"""One monitor run: audits and checks of an environment -> history -> alerts -> channels.

Called by the SQLMesh hooks after every plan apply and run, and by the `monitor` command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmesh.core.engine_adapter import EngineAdapter
from sqlmesh.core.snapshot import Snapshot
from sqlmesh.utils.errors import AuditError

from monitor import alerts, history
from monitor.anomalies import run_history_monitors
from monitor.audits import dataset_name, results_from_audit_errors, run_sqlmesh_audits
from monitor.channels import load_channels
from monitor.datasets import from_models
from monitor.results import CheckResult, Source, Status
from monitor.settings import Settings
from monitor.soda import run_soda_checks
from monitor.warehouse import Warehouse
from warehouse.paths import view_schema

#: The pipeline itself is a check: it fails when a plan or run fails, resolves when one succeeds.
PIPELINE_DATASET = "sqlmesh.pipeline"


@dataclass
class Outcome:
    """What a monitor run found and sent, for the command line and the hooks' log line."""

    run_id: str
    results: list[CheckResult]
    alerts: list[alerts.Alert]
    deliveries: list[alerts.Delivery] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(r.status is status for r in self.results)

    @property
    def failed_deliveries(self) -> list[alerts.Delivery]:
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
    now: datetime | None = None,
    failure: str | None = None,
    audit_errors: list[AuditError] | None = None,
    settings: Settings | None = None,
) -> Outcome:
    """Check `environment` and alert on what changed.

    After a failed plan or run (`failure` set), the failing audits SQLMesh reported are
    recorded and alerted on, and nothing else runs: the environment was not updated.
    """
    settings = settings or Settings.from_environment()
    warehouse = Warehouse(adapter.connection)
    run = history.start_run(warehouse, environment, trigger)
    models = [s.node for s in snapshots.values() if s.is_model]
    datasets = from_models(models)
    in_scope = _snapshots_in_environment(warehouse, snapshots, environment)

    if failure:
        results = results_from_audit_errors(audit_errors or [], datasets, adapter)
    else:
        moment = now or history.now()
        results = run_sqlmesh_audits(adapter, in_scope, datasets, None, moment)
        results += run_soda_checks(warehouse, environment, datasets, moment)
        results += run_history_monitors(warehouse, environment, datasets, moment)
    results.append(_pipeline_result(trigger, failure))

    history.finish_run(warehouse, run, results, "failed" if failure else "ok", failure or "")
    decided = alerts.decide_alerts(
        warehouse, environment, results, settings.realert_after, settings.report_url
    )
    alerts.record_alerts(warehouse, run.run_id, environment, decided)
    deliveries = alerts.deliver_pending(warehouse, load_channels(settings))
    return Outcome(run.run_id, results, decided, deliveries)


def _snapshots_in_environment(
    warehouse: Warehouse, snapshots: dict[str, Snapshot], environment: str
) -> dict[str, Snapshot]:
    """In prod, every model; in a dev environment, the models it holds views for."""
    if environment == "prod":
        return snapshots
    names = {dataset_name(s.name): key for key, s in snapshots.items() if s.is_model}
    schemas = {view_schema(name.split(".")[0], environment) for name in names}
    present = {
        relation.replace(f"__{environment}.", ".") for relation in warehouse.relations(schemas)
    }
    return {key: snapshots[key] for name, key in names.items() if name in present}


def _pipeline_result(trigger: str, failure: str | None) -> CheckResult:
    return CheckResult(
        source=Source.PIPELINE,
        dataset=PIPELINE_DATASET,
        check=f"sqlmesh {trigger} succeeds",
        status=Status.FAIL if failure else Status.PASS,
        owner="data_team",
        message=failure,
    )
