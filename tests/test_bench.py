"""The benchmark's smoke mode: one tiny scale end to end, so `make bench` cannot rot.

No timing is asserted (a benchmark is not a test); what is asserted is that every step ran,
was measured, and that the floor computed the same tables as the framework.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.report import STEP_ORDER
from greenery.paths import PROJECT_ROOT


def test_bench_smoke_mode_measures_every_step(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--scales", "0.05", "--out", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
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
    assert any(t["target"].startswith("peak memory under 4 GB") for t in data["targets"])

    table = (out / "results.md").read_text()
    assert "| 0.05 |" in table and "build / floor" in table and "daily run" in table
    # The run's own logs show the plan ran the monitor, and the daily run processed the day.
    logs = out / "scale-0.05" / "logs"
    assert "monitor run" in (logs / "plan.log").read_text()
    assert "monitor run" in (logs / "daily-run.log").read_text()
