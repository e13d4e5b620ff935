"""A broken monitor never breaks a plan: it says so, and the plan's result stands."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import runner
from tests.conftest import END
from tests.warehouse_builds import build, query


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

    assert "the monitor itself failed; the plan's result stands" in capsys.readouterr().err
    assert query(context, "SELECT count(*) FROM marketing.repeat_rate") == [(1,)]
