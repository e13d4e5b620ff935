"""A plan review, end to end, through the commands a user runs: a real change planned into a
dev environment (`sqlmesh plan dev`) is reviewed against prod in the plan's own output, sent
once to each channel (real SMTP and HTTP servers on loopback), and `monitor review` gates on
the key figures' tolerances.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from greenery.paths import PROJECT_ROOT
from tests.servers import http_server, smtp_server
from tests.warehouse_builds import copy_of

pytestmark = pytest.mark.monitor

BIN = Path(sys.executable).parent
#: What a copy of the project needs to plan: its config, sources, models, audits and macros.
PROJECT_PARTS = ("config.yaml", "external_models.yaml", "models", "audits", "macros")
MARKETING = PROJECT_ROOT / "models" / "marts" / "marketing"
#: The change: the high-value quantile raised, and orders still being prepared no longer count.
EDITS = {
    "fct_user_orders.sql": (
        "QUANTILE_CONT(total_spend, 0.75)",
        "QUANTILE_CONT(total_spend, 0.9)",
    ),
    "user_order_totals.sql": (
        "  FROM orders\n  GROUP BY",
        "  FROM orders\n  WHERE\n    status <> 'preparing'\n  GROUP BY",
    ),
}


def _run(command: list[str], warehouse: Path, urls: str = "") -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "GREENERY_WAREHOUSE": str(warehouse), "APPRISE_URLS": urls}
    environment.pop("APPRISE_CONFIG_PATH", None)
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)


def _copy(copy: Path) -> Path:
    copy.mkdir()
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, copy / part)
    return copy


def _changed_project(tmp_path: Path) -> Path:
    copy = _copy(tmp_path / "project")
    for model, (old, new) in EDITS.items():
        path = copy / "models" / "marts" / "marketing" / model
        assert old in path.read_text(), f"the test's change no longer applies to {model}"
        path.write_text(path.read_text().replace(old, new))
    return copy


def _plan(project: Path, environment: str, warehouse: Path, urls: str = ""):
    command = [str(BIN / "sqlmesh"), "-p", str(project), "plan", environment]
    return _run([*command, "--auto-apply", "--no-prompts", "--skip-tests"], warehouse, urls)


def test_a_dev_plan_is_reviewed_told_once_per_channel_and_gated(
    built_generated_monitored: Path, tmp_path: Path
) -> None:
    warehouse = copy_of(built_generated_monitored, tmp_path)
    with smtp_server() as (smtp_port, mailbox), http_server() as (http_port, posts):
        urls = (
            f"mailto://127.0.0.1:{smtp_port}?from=monitor@greenery.test"
            f"&to=marketing@greenery.test&mode=insecure json://127.0.0.1:{http_port}/review"
        )
        planned = _plan(_changed_project(tmp_path), "dev", warehouse, urls)
        assert planned.returncode == 0, planned.stdout + planned.stderr
        output = planned.stdout
        assert "Plan review of dev against prod" in output, output + planned.stderr
        assert "marketing.fct_user_orders · breaking (direct change; rebuilt)" in output
        assert "marketing.user_order_totals · breaking (direct change; rebuilt)" in output
        assert "marketing.repeat_rate · indirect breaking (downstream of a change" in output
        assert re.search(r"is_high_value: equal in \d+\.\d% of matched rows", output)
        assert re.search(
            r"rows: \d+ in prod, \d+ in dev; 0 added, 0 removed, [1-9]\d* changed", output
        )
        before, after = re.search(r"repeat rate: (\S+) -> (\S+)", output).groups()
        assert before != after, "excluding an order status moves the repeat rate"

        reviews = [m for m in mailbox.texts() if "Greenery plan review (dev)" in m]
        assert len(reviews) == 1, mailbox.texts()
        (posted,) = [p for p in posts.bodies("/review") if "plan review" in p["title"]]
        for text in (reviews[0], posted["message"].replace("\\_", "_")):
            assert "marketing.fct_user_orders" in text and "is_high_value" in text
            assert f"repeat rate: {before} -> {after}" in text

    gate = _run([str(BIN / "monitor"), "review", "--environment", "dev"], warehouse)
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert gate.stdout.index("Beyond tolerance") < gate.stdout.index("marketing.fct_user_orders")
    assert f"repeat rate: {before} -> {after}" in gate.stdout.split("marketing.")[0]

    added = _copy(tmp_path / "probe")
    fct = added / "models" / "marts" / "marketing" / "fct_user_orders.sql"
    last = "::BOOLEAN AS is_high_value\nFROM users"
    assert last in fct.read_text(), "the test's column no longer fits fct_user_orders"
    fct.write_text(
        fct.read_text().replace(
            last,
            last.replace("\nFROM", ",\n  (users.order_count > 0)::BOOLEAN AS has_ordered\nFROM"),
        )
    )
    assert _plan(added, "probe", warehouse).returncode == 0
    calm = _run([str(BIN / "monitor"), "review", "--environment", "probe"], warehouse)
    assert calm.returncode == 0, calm.stdout + calm.stderr
    assert "key figures within tolerance" in calm.stdout
    assert "marketing.fct_user_orders · non-breaking (direct change; rebuilt)" in calm.stdout
    assert "column added: has_ordered BOOLEAN" in calm.stdout
    assert "indirect non-breaking (downstream of a change; reuses prod's table)" in calm.stdout

    page = tmp_path / "report.html"
    written = _run([str(BIN / "monitor"), "report", "--out", str(page)], warehouse)
    assert written.returncode == 0, written.stdout + written.stderr
    section = page.read_text().split('id="plan-reviews"')[1].split("</section>")[0]
    assert section.index("<strong>probe</strong>") < section.index("<strong>dev</strong>")
    assert "1 beyond tolerance" in section or "beyond tolerance</span>" in section
    assert f"repeat rate: {before} -&gt; {after}" in section
