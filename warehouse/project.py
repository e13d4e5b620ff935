"""The SQLMesh project as a Python object, bound to one warehouse file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlglot import exp
from sqlmesh import Context

from warehouse.paths import PROJECT_ROOT


@dataclass(frozen=True)
class AuditOutcome:
    """One audit of one model: how many rows broke it (0 = passed)."""

    model: str
    audit: str
    blocking: bool
    failing_rows: int
    query: str


def open_context(warehouse: Path) -> Context:
    """A SQLMesh context of this project on `warehouse`.

    config.yaml reads the file from GREENERY_WAREHOUSE, so the variable is set first.
    """
    os.environ["GREENERY_WAREHOUSE"] = str(warehouse)
    os.environ.setdefault("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "true")
    return Context(paths=PROJECT_ROOT)


def run_audits(context: Context, start: date | str, end: date | str) -> list[AuditOutcome]:
    """Every audit of every model over [start, end], blocking and non-blocking alike.

    `Context.audit` only answers pass or fail; the results themselves are what the tests and
    the monitor need.
    """
    outcomes = []
    for snapshot in context.snapshots.values():
        for result in context.snapshot_evaluator.audit(
            snapshot=snapshot, start=start, end=end, snapshots=context.snapshots
        ):
            if result.skipped:
                continue
            table = exp.to_table(snapshot.name, dialect="duckdb")
            outcomes.append(
                AuditOutcome(
                    model=f"{table.db}.{table.name}",
                    audit=result.audit.name,
                    blocking=result.blocking,
                    failing_rows=result.count or 0,
                    query=result.query.sql(dialect="duckdb") if result.query else "",
                )
            )
    return outcomes
