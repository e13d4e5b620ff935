"""The `monitor` command on a built warehouse: problems, history, digest, report, test-notify."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, http_server
from tests.warehouse_builds import copy_of

pytestmark = pytest.mark.monitor


@pytest.fixture(scope="module")
def warehouse(built_generated_monitored: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse whose data ended months ago: the freshness checks fail, as they should.
    This module's copy of the session's monitored build (conftest)."""
    return copy_of(built_generated_monitored, tmp_path_factory.mktemp("cli"))


def _monitor(*args: str, warehouse: Path, **env: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "monitor"), *args]
    environment = {**os.environ, "GREENERY_WAREHOUSE": str(warehouse), "COLUMNS": "200", **env}
    environment.pop("APPRISE_CONFIG_PATH", None)
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)


def test_problems_lists_the_stale_sources(warehouse: Path) -> None:
    result = _monitor("problems", warehouse=warehouse)
    assert result.returncode == 0, result.stderr
    assert "raw.events" in result.stdout
    assert "freshness" in result.stdout


def test_check_exits_non_zero_when_checks_fail(warehouse: Path) -> None:
    result = _monitor("check", warehouse=warehouse)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "freshness" in result.stdout
    assert "monitor run" in result.stdout


def test_check_runs_then_says_a_broken_channel_configuration(warehouse: Path) -> None:
    urls = f"json://127.0.0.1:{free_port()}/hook,not-a-url"
    result = _monitor("check", warehouse=warehouse, APPRISE_URLS=urls)
    assert result.returncode == 1
    assert "monitor run" in result.stdout, "the checks ran all the same"
    assert "channel configuration: APPRISE_URLS, item 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_history_digest_and_report(warehouse: Path, tmp_path: Path) -> None:
    history = _monitor("history", "--dataset", "raw.events", "--limit", "5", warehouse=warehouse)
    assert history.returncode == 0 and "raw.events" in history.stdout
    digest = _monitor("digest", warehouse=warehouse)
    assert digest.returncode == 0 and "marketing" in digest.stdout
    out = tmp_path / "report.html"
    report = _monitor("report", "--out", str(out), warehouse=warehouse)
    assert report.returncode == 0, report.stderr
    assert "Open problems" in out.read_text()


def test_test_notify_reaches_every_channel_and_says_which_failed(warehouse: Path) -> None:
    dead = free_port()
    with http_server() as (port, capture):
        urls = f"json://127.0.0.1:{port}/ok json://127.0.0.1:{dead}/dead"
        result = _monitor("test-notify", warehouse=warehouse, APPRISE_URLS=urls)
    assert result.returncode == 1
    assert len(capture.bodies("/ok")) == 1
    assert "FAILED" in result.stdout and str(dead) in result.stdout
    assert "sent" in result.stdout


def test_digest_send_goes_through_apprise(warehouse: Path) -> None:
    with http_server() as (port, capture):
        result = _monitor(
            "digest", "--send", "--unit", "platform", warehouse=warehouse,
            APPRISE_URLS=f"json://127.0.0.1:{port}/digest",
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (body,) = capture.bodies("/digest")
    assert "platform" in body["title"]
    assert len(body["message"]) < 3000


def test_secrets_in_channel_urls_never_reach_output_or_history(warehouse: Path) -> None:
    secret = "s3cr3t-password-value"
    dead = free_port()
    url = f"mailto://user:{secret}@127.0.0.1:{dead}?to=a@greenery.test&from=b@greenery.test"
    # Re-alerting at once, so that this run has a message for the channel to refuse.
    result = _monitor(
        "check", warehouse=warehouse, APPRISE_URLS=url, MONITOR_REALERT_HOURS="0.0001"
    )
    assert secret not in result.stdout + result.stderr
    assert "delivery failed" in result.stderr.lower()
    stored = subprocess.run(
        [sys.executable, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True);"
         "print(c.execute(\"SELECT string_agg(channel, ' ') FROM monitor.deliveries\").fetchone())",
         str(warehouse)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert secret not in stored


def test_daily_lands_the_day_runs_and_exits_non_zero_on_failures(
    warehouse: Path, generated_dir: Path, tmp_path: Path
) -> None:
    report = tmp_path / "daily.html"
    result = _monitor(
        "daily", "--raw-dir", str(generated_dir), "--report", str(report), warehouse=warehouse
    )
    assert result.returncode == 1, "stale sources fail their freshness checks"
    assert "Checks (latest result of each)" in result.stdout
    assert report.is_file()


def test_a_missing_warehouse_is_named_without_a_traceback(tmp_path: Path) -> None:
    result = _monitor("problems", warehouse=tmp_path / "absent.duckdb")
    assert result.returncode == 2
    assert "absent.duckdb does not exist yet" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [("monitor", "check"), ("greenery", "answers")], ids=" ".join)
def test_a_warehouse_copied_under_another_name_is_said(
    command: tuple[str, ...], warehouse: Path, tmp_path: Path
) -> None:
    """SQLMesh's DuckDB views name the file's catalog: a renamed copy cannot read them."""
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    program, *args = command
    environment = {**os.environ, "GREENERY_WAREHOUSE": str(copy), "COLUMNS": "1000"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / program), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"{copy} was built as greenery.duckdb" in result.stderr
