"""A broken monitor never breaks a plan: it says so in one paragraph, and the plan's result
stands; `GREENERY_MONITOR=off` switches it off."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import runner
from monitor.checks.audits import PASSED_WHEN_BUILT
from tests.conftest import END
from tests.warehouse_builds import build, query

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


def test_the_switch_turns_the_monitor_off(
    generated_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENERY_MONITOR", "off")
    context = build(generated_dir, tmp_path / "greenery.duckdb", last_day=END)

    assert query(context, "SELECT count(*) FROM marketing.repeat_rate") == [(1,)]
    schemas = query(context, "SELECT schema_name FROM information_schema.schemata")
    assert ("monitor",) not in schemas


def test_after_an_apply_the_audits_it_ran_are_not_run_again(
    generated_dir: Path, tmp_path: Path
) -> None:
    """A built model whose audits all block passed them in the apply; views, raw tables and
    non-blocking audits run again (tables change under views; SQLMesh only warns for the
    others)."""
    context = build(generated_dir, tmp_path / "greenery.duckdb", last_day=END)
    rows = query(
        context,
        "SELECT dataset, message = ? FROM monitor.check_results WHERE source = 'sqlmesh_audit' "
        "GROUP BY ALL ORDER BY ALL".replace("?", f"'{PASSED_WHEN_BUILT}'"),
    )
    taken = {dataset for dataset, from_apply in rows if from_apply}
    run = {dataset for dataset, from_apply in rows if not from_apply}
    assert {"core.dim_products", "marketing.repeat_rate"} <= taken
    assert {"staging.stg_greenery__orders", "raw.events", "core.fct_orders"} <= run
    assert not taken & run
