"""One monitor run: checks of an environment -> history -> incidents -> one message per channel.

Called by the SQLMesh hook after every apply and run, and by the `monitor` command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmesh.core.engine_adapter import EngineAdapter
from sqlmesh.core.snapshot import Snapshot

from greenery.layout import prod_name, view_schema
from monitor.alerts.delivery import Delivery, deliver_pending, record_messages, record_review
from monitor.alerts.incidents import IncidentEvent, decide_events, group_incidents, record_events
from monitor.channels import ChannelProblem, load_channels
from monitor.checks import pipeline
from monitor.checks.audits import applied_models, run_sqlmesh_audits
from monitor.checks.history_monitors import run_history_monitors
from monitor.checks.scan_scope import rows_since
from monitor.checks.soda import run_soda_checks
from monitor.datasets import dataset_name, from_models
from monitor.presentation.terminal import run_summary
from monitor.results import CheckResult, Source, Status
from monitor.review.review import Review, review_environment, store_review
from monitor.settings import Settings
from monitor.storage import reads, writes
from monitor.storage.database import Database, now


@dataclass
class Outcome:
    """What a monitor run found and sent, for the command line and the hook's log line."""

    run_id: str
    results: list[CheckResult]
    events: list[IncidentEvent]
    deliveries: list[Delivery] = field(default_factory=list)
    channel_problems: tuple[ChannelProblem, ...] = ()

    def count(self, status: Status) -> int:
        return sum(r.status is status for r in self.results)

    @property
    def failed_deliveries(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.error]

    @property
    def told_badly(self) -> bool:
        """A message could not be delivered, or the channels are misconfigured."""
        return bool(self.failed_deliveries or self.channel_problems)

    def summary(self, environment: str = "prod", channel_problems: bool = True) -> str:
        """What failed and what to run next, then what was told to whom (and, unless the
        caller says them itself, what is wrong with the channels' configuration)."""
        text = f"monitor run {self.run_id}: " + run_summary(self.results, environment)
        delivered = len(self.deliveries) - len(self.failed_deliveries)
        text += f"\n{len(self.events)} incident event(s); {delivered} message(s) delivered"
        for failed in self.failed_deliveries:
            text += f"\nDELIVERY FAILED to {failed.channel}: {failed.title} ({failed.error})"
        for problem in self.channel_problems if channel_problems else ():
            text += f"\nCHANNEL CONFIGURATION: {problem}"
        return text


def monitor_environment(
    adapter: EngineAdapter,
    snapshots: dict[str, Snapshot],
    environment: str,
    trigger: str,
    *,
    run: writes.Run | None = None,
    failure: str | None = None,
    only: list[CheckResult] | None = None,
    moment: datetime | None = None,
    settings: Settings | None = None,
    after_apply: bool = False,
) -> Outcome:
    """Check `environment`, open and close incidents, and tell the channels.

    `run` is the run a SQLMesh apply or run started in `before_all`; without one, a new run
    starts. With `failure` set (the caller saw SQLMesh fail), the pipeline check fails and
    nothing else is checked: the environment was not updated. With `only`, those results are
    recorded instead of running the checks (a refused or accepted export). `after_apply`:
    called after a SQLMesh apply or run, whose audit results stand for the models it
    evaluated and the tables it built before (see `AppliedModels`).
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
    results = [pipeline.pipeline_result(unfinished, failure), *(only or [])]
    retired: list[CheckResult] = []
    if only is None and not failure:
        datasets = from_models(s.node for s in snapshots.values() if s.is_model)
        in_scope = _snapshots_in_environment(database, snapshots, environment)
        applied = applied_models(adapter, in_scope, run.started_at) if after_apply else None
        results += run_sqlmesh_audits(adapter, in_scope, datasets, None, moment, applied=applied)
        open_problems = reads.open_problems(database, environment)  # before this run's results
        since = rows_since(
            database,
            environment,
            open_problems,
            after_apply=after_apply,
            full_scan_every=settings.full_scan_every,
        )
        results += run_soda_checks(database, environment, datasets, moment, rows_since=since)
        writes.record_soda_scan(database, run, since)
        results += run_history_monitors(database, environment, datasets, moment)
        retired = retired_checks(open_problems, results)
        results += retired

    for start in unfinished:
        writes.close_unfinished_start(database, start)
    writes.finish_run(database, run, results, "failed" if failure else "ok", failure or "")
    incidents = group_incidents((r for r in results if r.status.is_problem), _lineage(snapshots))
    events = decide_events(
        database,
        environment,
        incidents,
        {r.dataset for r in results},
        {r.check_id for r in retired},
        settings.realert_after,
        moment,
    )
    record_events(database, run.run_id, environment, events, moment)
    channels = load_channels(settings)
    record_messages(database, run.run_id, environment, events, channels, settings.report_url)
    deliveries = deliver_pending(database, channels, settings.delivery_deadline)
    return Outcome(run.run_id, results, events, deliveries, channels.problems)


def review_and_tell(
    adapter: EngineAdapter,
    snapshots: dict[str, Snapshot],
    environment: str,
    run_id: str,
    settings: Settings | None = None,
) -> tuple[Review, list[Delivery]]:
    """Review a dev environment against prod and send the review, one message per channel
    that hears a changed model, with the run `run_id` that checked the environment."""
    settings = settings or Settings.from_environment()
    database = Database(adapter.connection)
    review = review_environment(adapter, snapshots, environment)
    store_review(database, run_id, review)
    channels = load_channels(settings)
    record_review(database, run_id, review, channels)
    return review, deliver_pending(database, channels, settings.delivery_deadline)


def _lineage(snapshots: dict[str, Snapshot]) -> dict[str, set[str]]:
    """Dataset -> the datasets it reads, from SQLMesh's DAG."""
    return {
        dataset_name(s.name): {dataset_name(parent) for parent in s.node.depends_on}
        for s in snapshots.values()
        if s.is_model
    }


def retired_checks(open_problems: list[reads.Row], results: list[CheckResult]) -> list[CheckResult]:
    """The `open_problems` (as `reads.open_problems` gives them) whose check this run no longer
    has, although it ran that source on that dataset: the check was removed from the project.
    Each becomes a pass marked retired."""
    ran = {(str(r.source), r.dataset) for r in results}
    present = {r.check_id for r in results}
    return [
        CheckResult(
            source=Source(row["source"]),
            dataset=row["dataset"],
            check=row["check_name"],
            key=row["check_key"],
            column=row["column_name"],
            status=Status.PASS,
            owner=row["owner"],
            tags=tuple(filter(None, (row["tags"] or "").split(","))),
            message="retired: the check is no longer declared",
        )
        for row in open_problems
        if (row["source"], row["dataset"]) in ran and row["check_id"] not in present
    ]


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
