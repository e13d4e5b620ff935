"""The benchmark's smoke mode: one tiny scale end to end, so `make bench` cannot rot.

No timing is asserted (a benchmark is not a test); what is asserted is that every step ran,
was measured, that the floor computed the same tables as the framework, and that the change's
dev plan was reviewed only with the review on. The build on PostgreSQL is not run here: a
plan on the server would add about a quarter to this test's time, and tests/test_postgres.py
runs the same commands. What the benchmark adds around them is: a database of its own on the
server, there during both steps, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from bench.gateways import admin_connection, server_answers
from bench.measure import Measurement
from bench.report import STEP_ORDER, targets
from bench.review import REVIEW_HEADING, REVIEW_OFF, REVIEW_ON
from bench.scenario import ScaleResult, build_on_gateway
from greenery.paths import PROJECT_ROOT


def test_bench_smoke_mode_measures_every_step(tmp_path: Path) -> None:
    out = tmp_path / "results"
    command = [sys.executable, "-m", "bench", "--scales", "0.05", "--out", str(out)]
    # Cheaply: the unit tests run in tests/test_project.py, the PostgreSQL build below.
    command += ["--gateways", "duckdb", "--gateway-scale", "0.05", "--smoke"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    data = json.loads((out / "results.json").read_text())
    assert {"python", "sqlmesh", "duckdb", "soda-core-duckdb", "apprise"} <= set(data["versions"])
    assert data["machine"]["cores"] >= 1
    (scale,) = data["scales"]
    assert set(scale["steps"]) == set(STEP_ORDER)
    for step in scale["steps"].values():
        assert step["wall_s"] > 0 and step["cpu_s"] > 0 and step["peak_rss_mb"] > 10, step
    assert scale["history_rows"] > scale["day_rows"] > 0
    assert scale["build_s"] == round(
        scale["steps"]["load"]["wall_s"] + scale["steps"]["plan"]["wall_s"], 3
    )
    assert scale["ratios"]["dev plan with review / without"] > 0
    assert any(t["target"].startswith("peak memory under 4 GB") for t in data["targets"])
    gateways = data["gateways"]
    assert [b["gateway"] for b in gateways["builds"]] == ["duckdb"]
    assert set(gateways["not_built"]) == {"postgres", "spark"}

    table = (out / "results.md").read_text()
    assert "| 0.05 |" in table and "build / floor" in table and "daily run" in table
    assert "| dev plan, review on |" in table and "| Spark | not built: blocked" in table
    # Whether the daily's scan read all history depends on the hour (the history's freshness),
    # so the run only has to say which it was.
    assert isinstance(scale["daily_full_scan"], bool)
    assert ("Soda scan read every row" in table) == scale["daily_full_scan"]
    # The run's own logs show the plan ran the monitor, the daily run processed the day, and
    # the change's dev plan was reviewed only with the review on.
    logs = out / "scale-0.05" / "logs"
    assert "monitor run" in (logs / "plan.log").read_text()
    assert "monitor run" in (logs / "daily-run.log").read_text()
    reviewed, unreviewed = ((logs / f"{s.replace(',', '').replace(' ', '-')}.log").read_text()
                            for s in (REVIEW_ON, REVIEW_OFF))  # fmt: skip
    assert REVIEW_HEADING in reviewed and "marketing.fct_user_orders · breaking" in reviewed
    assert "monitor run" in unreviewed and REVIEW_HEADING not in unreviewed
    # The repository's model is untouched: the change was made in the benchmark's copy.
    assert (
        "QUANTILE_CONT(total_spend, 0.75)"
        in (PROJECT_ROOT / "models/marts/marketing/fct_user_orders.sql").read_text()
    )


@pytest.mark.skipif(not server_answers(), reason="no PostgreSQL server at GREENERY_PG_HOST")
def test_a_gateway_builds_in_a_database_of_its_own_dropped_afterwards(tmp_path: Path) -> None:
    ran: list[tuple[str, list[str], str, bool]] = []

    def run(name: str, command: list[str], env: Mapping[str, str]) -> None:
        database = env["GREENERY_PG_DATABASE"]
        ran.append((name, command, database, _exists(database)))

    applied = ["--auto-apply", "--no-prompts"]
    build_on_gateway("postgres", tmp_path, ["ingest", "load"], ["sqlmesh"], applied, {}, run)

    assert [(name, command) for name, command, _, _ in ran] == [
        ("postgres load", ["ingest", "load", "--gateway", "postgres", str(tmp_path)]),
        ("postgres plan", ["sqlmesh", "--gateway", "postgres", "plan", "prod", *applied]),
    ]
    (database,) = {database for _, _, database, _ in ran}
    assert len(database) <= 13 and all(exists for *_, exists in ran)
    assert not _exists(database)


def _exists(database: str) -> bool:
    with contextlib.closing(admin_connection()) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        return cursor.fetchone() is not None


def test_a_failed_step_ends_the_run_in_one_paragraph_naming_its_log(tmp_path: Path) -> None:
    """A DuckDB setting that DuckDB refuses: the first command that opens a warehouse (the one
    that renders the floor's script) fails, and the benchmark says which, with its command
    and where its output is, instead of a traceback."""
    out = tmp_path / "results"
    command = [sys.executable, "-m", "bench", "--scales", "0.05", "--out", str(out)]
    command += ["--gateways", "duckdb", "--smoke"]
    env = {**os.environ, "GREENERY_DUCKDB_MEMORY_LIMIT": "a lot"}
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    said = result.stderr.replace("\n", "")
    log = out / "floor-script.log"
    assert said.startswith("error: floor script: `") and said.endswith(f"see {log}"), said
    assert "Memory must have a number" in log.read_text()


def test_the_daily_run_at_scale_3000_is_judged_against_scale_1000s() -> None:
    """Flat in history: a target only when both scales ran, their dailies' ratio measured."""

    def scale(at: float, daily_load: float, daily_run: float) -> ScaleResult:
        steps = {name: Measurement(name, 1.0, 1.0, 100.0) for name in STEP_ORDER}
        steps["daily load"] = Measurement("daily load", daily_load, 1.0, 100.0)
        steps["daily run"] = Measurement("daily run", daily_run, 1.0, 100.0)
        return ScaleResult(at, 4, history_rows=10, day_rows=1, steps=steps)

    flat = "daily run at scale 3000 at most 1.3x scale 1000's (flat)"
    ran = {t.name: t for t in targets([scale(1000, 2.0, 10.0), scale(3000, 4.0, 20.0)])}
    assert (ran[flat].measured, ran[flat].met) == (2.0, False)
    assert flat not in {t.name for t in targets([scale(3000, 4.0, 20.0)])}
