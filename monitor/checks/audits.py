"""SQLMesh audits as monitor results: blocking = fail, non-blocking = warn, passes kept too.

SQLMesh's public `Context.audit` returns only a bool, so the audits run through the
`SnapshotEvaluator` a Context itself uses, which returns each audit's count, query and
blocking flag: SQLMesh's own results and its own rule for when an audit blocks. After an
apply or run, SQLMesh's state says which models it evaluated there (`applied_models`), whose
audits are then not run again. tests/test_library_contracts.py holds the calls made here, so
an upgrade that changes them fails there, by name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlglot import exp
from sqlmesh.core.constants import SQLMESH as STATE_SCHEMA
from sqlmesh.core.engine_adapter import EngineAdapter
from sqlmesh.core.model import Model
from sqlmesh.core.snapshot import Snapshot, SnapshotEvaluator, SnapshotId
from sqlmesh.core.state_sync import EngineAdapterStateSync
from sqlmesh.utils.date import to_timestamp

from monitor.datasets import Dataset, dataset_name, mask
from monitor.results import CheckResult, Source, Status, audit_status

SAMPLE_ROWS = 5
#: A datetime, not a string: SQLMesh hands strings to dateparser, whose first parse costs
#: a fifth of a second.
EPOCH = datetime(1970, 1, 1)


def check_name(audit_name: str, args: dict[str, exp.Expression]) -> str:
    """The audit with its arguments: two `forall`s on one model are two checks."""
    shown = ", ".join(
        f"{k} := {v.sql(dialect='duckdb')}" for k, v in sorted(args.items()) if k != "blocking"
    )
    return f"{audit_name}({shown})" if shown else audit_name


def audit_key(audit_name: str, args: dict[str, exp.Expression]) -> str | None:
    """The audit's stable name: the audit and its column(s), so that editing a bound
    (`min_v := 0`) keeps the check; None for audits without columns (two `forall`s on a model
    differ by their criteria, which then name them)."""
    column = audited_column(args)
    return f"{audit_name}({column})" if column else None


def audited_column(args: dict[str, exp.Expression]) -> str | None:
    for key in ("column", "columns"):
        if key in args:
            return args[key].sql(dialect="duckdb").strip("()")
    return None


def run_sqlmesh_audits(
    adapter: EngineAdapter,
    snapshots: dict[str, Snapshot],
    datasets: dict[str, Dataset],
    start: datetime | str | None,
    end: datetime | str,
    *,
    applied: AppliedModels | None = None,
) -> list[CheckResult]:
    """Every audit of every model in `snapshots` over [start, end], as results with samples.

    With `start` None, each model is audited as a daily run leaves it: whole, or for a model
    incremental by time, its newest intervals (see `newest_intervals_start`).

    `applied`: the caller runs after a SQLMesh apply or run, and this is what SQLMesh's state
    says it did (`applied_models`). The audits SQLMesh already ran and passed are recorded as
    passed instead of run again (`AppliedModels.passed`); the others run.
    """
    evaluator = SnapshotEvaluator(adapter)
    by_id = {s.snapshot_id: s for s in snapshots.values()}
    results = []
    for snapshot in snapshots.values():
        if not snapshot.is_model or not snapshot.version:
            continue
        if applied and applied.passed(snapshot):
            results += [
                replace(
                    _audit_result(
                        snapshot.node, audit.name, args, 0, True, None, datasets, adapter
                    ),
                    message=PASSED_WHEN_BUILT,
                )
                for audit, args in snapshot.model.audits_with_args
            ]
            continue
        try:
            since = start or newest_intervals_start(adapter, snapshot)
            audits = evaluator.audit(
                snapshot=snapshot, snapshots=_with_parents(snapshot, by_id), start=since, end=end
            )
        except Exception as error:  # one model's broken table must not hide the others' audits
            results += _unrunnable(snapshot.model, error, datasets)
            continue
        for audit in audits:
            if not audit.skipped:
                query = audit.query.sql(dialect="duckdb") if audit.query else None
                results.append(
                    _audit_result(
                        snapshot.node,
                        audit.audit.name,
                        audit.audit_args,
                        audit.count or 0,
                        audit.blocking,
                        query,
                        datasets,
                        adapter,
                    )
                )
    return results


def _with_parents(snapshot: Snapshot, by_id: dict[SnapshotId, Snapshot]) -> dict[str, Snapshot]:
    """The snapshot and the ones it reads, by name: what its audits' queries name (a model
    lists its audits' targets among its dependencies). SQLMesh's scheduler passes the same;
    handing every snapshot instead makes each audit's render map all the project's tables."""
    named = {by_id[p].name: by_id[p] for p in snapshot.parents if p in by_id}
    return {**named, snapshot.name: snapshot}


PASSED_WHEN_BUILT = "passed when SQLMesh built the model (a failure would have stopped it)"


@dataclass(frozen=True)
class AppliedModels:
    """What SQLMesh's state says of the models after an apply or run (`applied_models`).

    `evaluated`: the models whose intervals it added in that apply or run. It adds an
    interval only once the model's audits passed, views' included.
    `behind`: the models it did not evaluate, whose newest interval ends before the newest
    one it processed: their evaluation failed there, or was skipped after a parent's failed
    (`sqlmesh run` reaches `after_all` even then), and a failed audit may have left the table
    changed.
    """

    evaluated: frozenset[SnapshotId]
    behind: frozenset[SnapshotId]

    def passed(self, snapshot: Snapshot) -> bool:
        """True when SQLMesh ran and passed every audit of `snapshot` on its table as it
        stands: all its audits block, and SQLMesh evaluated it in the apply or run, or it is
        a table SQLMesh built earlier, not behind (it changes only when SQLMesh builds it,
        and a failed audit stops that). Views it did not evaluate read tables that change
        under them; external models and non-blocking audits are never SQLMesh's verdict."""
        model = snapshot.model
        if not all(
            audit.blocking and args.get("blocking", exp.true()) != exp.false()
            for audit, args in model.audits_with_args
        ):
            return False
        if snapshot.snapshot_id in self.evaluated:
            return True
        materialised = not (model.kind.is_view or model.kind.is_external or model.kind.is_embedded)
        return materialised and snapshot.snapshot_id not in self.behind


def applied_models(
    adapter: EngineAdapter, snapshots: dict[str, Snapshot], started_at: datetime
) -> AppliedModels | None:
    """`AppliedModels` of the apply or run that started at `started_at`, from the intervals
    and `last_altered_ts` in SQLMesh's state, read in the warehouse where this project keeps
    it. None when it cannot be read there: then nothing is assumed, and every audit runs."""
    models = [s.model_copy() for s in snapshots.values() if s.is_model and s.version]
    try:
        refreshed = EngineAdapterStateSync(adapter, schema=STATE_SCHEMA).refresh_snapshot_intervals(
            models
        )
    except Exception:  # state kept elsewhere, or unreadable
        return None
    since = to_timestamp(started_at)
    evaluated = {
        s.snapshot_id: _newest_end(s)
        for s in refreshed
        if max(s.last_altered_ts or 0, s.dev_last_altered_ts or 0) >= since
    }
    newest = max(evaluated.values(), default=0)
    behind = {
        s.snapshot_id
        for s in refreshed
        if s.snapshot_id not in evaluated and _newest_end(s) < newest
    }
    return AppliedModels(frozenset(evaluated), frozenset(behind))


def _newest_end(snapshot: Snapshot) -> int:
    return max((end for _, end in [*snapshot.intervals, *snapshot.dev_intervals]), default=0)


def _unrunnable(model: Model, error: Exception, datasets: dict[str, Dataset]) -> list[CheckResult]:
    """An ERROR for each audit of a model whose audits could not run (its table is missing or
    unreadable), under each audit's own name, so that the next good run resolves it."""
    name = dataset_name(model.name)
    message = f"the audit could not run: {type(error).__name__}: {str(error).splitlines()[0]}"
    return [
        CheckResult(
            source=Source.SQLMESH_AUDIT,
            dataset=name,
            check=check_name(audit.name, args),
            column=audited_column(args),
            key=audit_key(audit.name, args),
            status=Status.ERROR,
            owner=model.owner,
            tags=tuple(model.tags),
            message=message,
        )
        for audit, args in model.audits_with_args
    ]


def newest_intervals_start(adapter: EngineAdapter, snapshot: Snapshot) -> datetime | str:
    """Where to start auditing a model: its whole table, except for a model incremental by
    time, whose newest interval and lookback are what a run just (re)processed. Older intervals
    were audited by SQLMesh when they were processed; auditing them again every day would
    make the daily monitor cost what all history costs."""
    model = snapshot.model
    if not model.kind.is_incremental_by_time_range:
        return EPOCH
    column = model.time_column.column.sql(dialect="duckdb")
    newest = adapter.fetchone(f"SELECT max({column}) FROM {snapshot.table_name()}")[0]
    if newest is None:
        return EPOCH
    return model.lookback_start(model.interval_unit.cron_floor(newest))


def _audit_result(
    model: Model,
    audit_name: str,
    args: dict[str, exp.Expression],
    failing: int,
    blocking: bool,
    query: str | None,
    datasets: dict[str, Dataset],
    adapter: EngineAdapter,
) -> CheckResult:
    """One audit's outcome on one model, with a masked sample of its failing rows."""
    name = dataset_name(model.name)
    return CheckResult(
        source=Source.SQLMESH_AUDIT,
        dataset=name,
        check=check_name(audit_name, args),
        key=audit_key(audit_name, args),
        column=audited_column(args),
        status=audit_status(failing, blocking),
        severity="fail" if blocking else "warn",
        owner=model.owner,
        tags=tuple(model.tags),
        measured_value=failing,
        threshold=f"{'fail' if blocking else 'warn'} when > 0 rows",
        failing_rows=failing,
        query=query,
        sample=_sample(adapter, query, datasets.get(name)) if failing and query else [],
    )


def _sample(adapter: EngineAdapter, query: str, dataset: Dataset | None) -> list[dict[str, object]]:
    """A few failing rows, personal columns masked."""
    try:
        cursor = adapter.cursor
        cursor.execute(f"SELECT * FROM ({query}) AS failing LIMIT {SAMPLE_ROWS}")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except Exception:  # a sample is a courtesy; the count already says what failed
        return []
    return mask(rows, dataset)
