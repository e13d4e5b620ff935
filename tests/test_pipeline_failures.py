"""A failing apply and a failing scheduled run reach the channels (real SMTP and HTTP servers
on loopback), through the commands a user runs: `sqlmesh plan`, `monitor check`,
`monitor daily`.

SQLMesh skips `after_all` when an apply fails, so the monitor learns of it from the start its
`before_all` recorded: the next monitor run reports the apply that never finished, once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from greenery.paths import PROJECT_ROOT
from ingest.generate import generate
from tests.servers import Capture, Mailbox, http_server, smtp_server
from tests.warehouse_builds import build, copy_of

pytestmark = pytest.mark.monitor

BIN = Path(sys.executable).parent
#: What a copy of the project needs to plan: its config, sources, models, audits and macros.
PROJECT_PARTS = ("config.yaml", "external_models.yaml", "models", "audits", "macros")
PIPELINE = "sqlmesh.pipeline"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean prod build of data ending yesterday, planned the morning before: no check fails,
    no alert is due, and yesterday's interval is due for the next `sqlmesh run`. Built once
    for the module, the monitor on; each test takes a copy (`warehouse`)."""
    root = tmp_path_factory.mktemp("pipeline")
    generate(root / "raw", scale=0.3, seed=11)
    path = root / "greenery.duckdb"
    build(root / "raw", path, last_day=datetime.now(UTC).date() - timedelta(days=2)).close()
    return path


@pytest.fixture
def warehouse(built: Path, tmp_path: Path) -> Path:
    """The test's own copy of the build, its export beside it in `tmp_path`/raw: every test
    fails or refuses something in its warehouse, and none sees another's."""
    shutil.copytree(built.parent / "raw", tmp_path / "raw")
    return copy_of(built, tmp_path)


def _run(command: list[str], warehouse: Path, urls: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "GREENERY_WAREHOUSE": str(warehouse), "APPRISE_URLS": urls}
    environment.pop("APPRISE_CONFIG_PATH", None)
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)


def _broken_project(tmp_path: Path) -> Path:
    """A copy of the project whose dim_products doubles every product: its blocking
    `unique_values` audit fails while the plan applies."""
    copy = tmp_path / "project"
    copy.mkdir()
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, copy / part)
        else:
            shutil.copy(source, copy / part)
    model = copy / "models" / "marts" / "core" / "dim_products.sql"
    text = model.read_text()
    join = "LEFT JOIN snapshots.products_history AS history"
    assert join in text, "the test's fault no longer applies to dim_products"
    model.write_text(text.replace(join, f"CROSS JOIN (SELECT 1 UNION ALL SELECT 2) AS d\n{join}"))
    return copy


def test_a_failing_plan_reaches_the_channels_at_the_next_monitor_run(
    warehouse: Path, tmp_path: Path
) -> None:
    with smtp_server() as (smtp_port, mailbox), http_server() as (http_port, posts):
        urls = (
            f"mailto://127.0.0.1:{smtp_port}?from=monitor@greenery.test"
            f"&to=data-team@greenery.test&mode=insecure json://127.0.0.1:{http_port}/alerts"
        )
        plan = [str(BIN / "sqlmesh"), "-p", str(_broken_project(tmp_path)), "plan"]
        failed = _run([*plan, "--auto-apply", "--no-prompts", "--skip-tests"], warehouse, urls)
        assert failed.returncode != 0, failed.stdout
        assert mailbox.messages == [] and posts.posts == [], "no monitor ran after the failure"

        checked = _run([str(BIN / "monitor"), "check"], warehouse, urls)
        assert checked.returncode == 1, checked.stdout + checked.stderr
        _assert_one_pipeline_alert(mailbox, posts, "never finished")

        again = _run([str(BIN / "monitor"), "check"], warehouse, urls)
        assert again.returncode == 0, again.stdout + again.stderr
        assert [m["subject"].split("]")[0] for m in mailbox.messages] == ["[FAIL", "[RESOLVED"]


def test_a_failing_scheduled_run_reaches_the_channels(warehouse: Path) -> None:
    with http_server() as (http_port, posts):
        subprocess.run(
            [sys.executable, "-c", "import duckdb, sys; "
             "duckdb.connect(sys.argv[1]).execute('DROP TABLE raw.promos')", str(warehouse)],
            check=True,
        )  # fmt: skip
        daily = _run([str(BIN / "monitor"), "daily"], warehouse, f"json://127.0.0.1:{http_port}/a")
        assert daily.returncode == 1, daily.stdout + daily.stderr
        assert "Traceback" not in daily.stderr
        told = [p for p in posts.bodies("/a") if "digest" not in p["title"]]
        pipeline = [p for p in told if PIPELINE in p["message"]]
        assert len(pipeline) == 1, posts.posts
        assert "sqlmesh run of prod failed" in pipeline[0]["message"]
        assert any("raw.promos" in p["message"] for p in told), "its cause is told"


def test_a_scheduled_run_whose_audit_fails_reaches_the_channels(warehouse: Path) -> None:
    """`sqlmesh run` reaches `after_all` even when a model's blocking audit failed, and the
    table may then hold what failed: the monitor audits the models the run left behind
    instead of taking their audits from their last build."""
    with duckdb.connect(str(warehouse)) as con:
        (table,) = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE table_name LIKE 'core__fct_orders__%' AND NOT table_name LIKE '%__dev'"
        ).fetchone()
        con.execute(f"INSERT INTO {table} SELECT * FROM {table} LIMIT 1")
    with http_server() as (port, posts):
        run = _run([str(BIN / "sqlmesh"), "run"], warehouse, f"json://127.0.0.1:{port}/a")

        assert run.returncode != 0, run.stdout
        told = [p["message"] for p in posts.bodies("/a")]
        assert any("core.fct_orders" in m and "unique_combination_of_columns" in m for m in told), (
            told
        )


def _assert_one_pipeline_alert(mailbox: Mailbox, posts: Capture, words: str) -> None:
    (mail,) = mailbox.texts()
    (post,) = posts.bodies("/alerts")
    for text in (mail, json.dumps(post)):
        assert PIPELINE in text and words in text, text


def test_a_refused_export_reaches_the_channels_and_the_next_one_closes_it(
    warehouse: Path, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    shutil.copytree(tmp_path / "raw", export)
    orders = export / "orders.csv"
    header, rest = orders.read_text().split("\n", 1)
    orders.write_text(f"{header},coupon\n" + rest.replace("\n", ",x\n"))
    monitor = str(BIN / "monitor")
    with http_server() as (port, posts):
        url = f"json://127.0.0.1:{port}/a"
        refused = _run([monitor, "daily", "--raw-dir", str(export)], warehouse, url)

        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "unexpected column(s) coupon" in refused.stderr and "Skipped" in refused.stderr
        assert "Traceback" not in refused.stderr
        incidents = [p for p in posts.bodies("/a") if "digest" not in p["title"]]
        (told,) = incidents
        assert "raw.orders" in told["message"] and "orders.csv, line 1" in told["message"]

        accepted = _run([monitor, "daily", "--raw-dir", str(tmp_path / "raw")], warehouse, url)
        assert "refused" not in accepted.stderr, accepted.stderr
        resolved = [p for p in posts.bodies("/a") if p["title"].startswith("[RESOLVED]")]
        assert len(resolved) == 1 and "raw.orders" in resolved[0]["message"]
