"""A broken monitor never breaks a plan: it says so in one paragraph, and the plan's result
stands; `GREENERY_MONITOR=off` switches it off."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from greenery.project import open_context
from monitor import runner
from monitor.checks.audits import PASSED_WHEN_BUILT
from monitor.results import Source
from tests.conftest import END
from tests.warehouse_builds import build, copy_of, query

pytestmark = pytest.mark.monitor


def test_a_failing_monitor_leaves_the_plan_applied(
    generated_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the monitor broke")

    monkeypatch.setattr(runner, "run_sqlmesh_audits", broken)
    context = build(generated_dir, tmp_path / "greenery.duckdb", last_day=END)

    err = capsys.readouterr().err
    assert "the monitor failed (RuntimeError: the monitor broke)" in err
    assert "result stands" in err and "Traceback" not in err
    assert query(context, "SELECT count(*) FROM marketing.repeat_rate") == [(1,)]


def _read(warehouse: Path, folder: Path, *queries: str) -> list[list[tuple]]:
    """`queries` on a copy of a session build (conftest): reading never touches its file."""
    with duckdb.connect(str(copy_of(warehouse, folder)), read_only=True) as con:
        return [con.execute(sql).fetchall() for sql in queries]


def test_the_switch_turns_the_monitor_off(built_generated: Path, tmp_path: Path) -> None:
    """conftest builds `built_generated` with GREENERY_MONITOR=off."""
    answer, schemas = _read(
        built_generated,
        tmp_path,
        "SELECT count(*) FROM marketing.repeat_rate",
        "SELECT schema_name FROM information_schema.schemata",
    )
    assert answer == [(1,)]
    assert ("monitor",) not in schemas


def test_after_an_apply_the_audits_it_ran_are_not_run_again(
    built_generated_monitored: Path, tmp_path: Path
) -> None:
    """Every model the apply evaluated passed its audits there (every model audit blocks,
    "Where each rule lives"), views included; the audits of raw tables run again, since
    SQLMesh does not build them."""
    (rows,) = _read(
        built_generated_monitored,
        tmp_path,
        "SELECT dataset, message = ? FROM monitor.check_results WHERE source = 'sqlmesh_audit' "
        "GROUP BY ALL ORDER BY ALL".replace("?", f"'{PASSED_WHEN_BUILT}'"),
    )
    taken = {dataset for dataset, from_apply in rows if from_apply}
    run = {dataset for dataset, from_apply in rows if not from_apply}
    assert {"core.dim_products", "marketing.repeat_rate", "core.fct_orders"} <= taken
    assert {"staging.stg_greenery__products", "quality.staging_reconciliation"} <= taken
    assert {"raw.orders_versions", "raw.products_versions"} == run


def test_views_sqlmesh_did_not_evaluate_in_the_apply_are_audited_again(
    built_generated_monitored: Path, tmp_path: Path
) -> None:
    """An apply that started after the last build evaluated nothing: the tables under a view
    may have changed since it was audited, so its audits run; a table SQLMesh built keeps
    the result it had then."""
    context = open_context(copy_of(built_generated_monitored, tmp_path), load=False)
    snapshots = {s.name: s for s in context.state_reader.get_snapshots(
        context.state_reader.get_environment("prod").snapshots).values()}  # fmt: skip
    outcome = runner.monitor_environment(
        context.engine_adapter, snapshots, "prod", "sqlmesh", after_apply=True
    )
    audits = [r for r in outcome.results if r.source is Source.SQLMESH_AUDIT]
    taken = {r.dataset for r in audits if r.message == PASSED_WHEN_BUILT}
    run = {r.dataset for r in audits if r.message != PASSED_WHEN_BUILT}
    assert {"staging.stg_greenery__products", "quality.staging_reconciliation"} <= run
    assert {"core.fct_orders", "marketing.repeat_rate"} <= taken
    assert not taken & run
    context.close()
