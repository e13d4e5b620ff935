"""`make demo`, the way a new user runs it, in a copy of the project."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from greenery.paths import PROJECT_ROOT
from ingest.generate import generate
from tests.conftest import END, START

pytestmark = pytest.mark.monitor


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tracked files of this project, sharing this checkout's virtual environment."""
    target = tmp_path_factory.mktemp("checkout") / "greenery"
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in tracked:
        source = PROJECT_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    return target


def _make(project: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run make in `project`, its environment taken as set up (`-o`: the shared .venv must
    not be re-synced against the copy)."""
    env = {k: v for k, v in os.environ.items() if k != "GREENERY_WAREHOUSE"}
    command = ["make", "-C", str(project), "-o", f"{project}/.venv/.synced", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_make_demo_builds_the_warehouse_at_the_project_root(
    project_copy: Path, tmp_path: Path
) -> None:
    """Started from another folder, the demo still writes `greenery.duckdb` at the root."""
    result = _make(project_copy, "demo", cwd=tmp_path)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "User repeat rate" in result.stdout
    assert "monitor run" in result.stdout, "`sqlmesh plan` in a terminal runs the monitor"
    assert "checked: all pass" in result.stdout
    assert "Top products by conversion" in result.stdout
    assert not (tmp_path / "greenery.duckdb").exists()
    with duckdb.connect(str(project_copy / "greenery.duckdb"), read_only=True) as con:
        purchasers, rate = con.execute(
            "SELECT purchasers, repeat_rate FROM marketing.repeat_rate"
        ).fetchone()
    assert purchasers > 100
    assert f"{rate:.6f}" in result.stdout


def test_make_demo_on_an_export_folder(project_copy: Path, tmp_path: Path) -> None:
    export = tmp_path / "export"
    generate(export, scale=0.5, seed=5, start=START, end=END)
    with (export / "orders.csv").open() as handle:
        orders = sum(1 for _ in handle) - 1

    result = _make(project_copy, "demo", f"RAW_DIR={export}", cwd=project_copy)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with duckdb.connect(str(project_copy / "greenery.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM core.fct_orders").fetchone() == (orders,)
