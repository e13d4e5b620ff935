"""SQLMesh project configuration.

Python rather than YAML for two reasons: the monitor hears about failed plans and runs through
a notification target, which is a Python class (YAML reaches only SQLMesh's built-in targets);
and the warehouse path derives from this file's folder, so every `sqlmesh` command opens the
project's `greenery.duckdb` whatever directory it starts from.
"""

import os
from pathlib import Path

from sqlmesh.core.config import (
    Config,
    DuckDBConnectionConfig,
    GatewayConfig,
    LinterConfig,
    ModelDefaultsConfig,
)
from sqlmesh.core.config.format import FormatConfig

from monitor.hook import MonitorNotificationTarget
from warehouse.connect import duckdb_settings

PROJECT_ROOT = Path(__file__).resolve().parent
WAREHOUSE = os.environ.get("GREENERY_WAREHOUSE", str(PROJECT_ROOT / "greenery.duckdb"))

config = Config(
    gateways={
        "local": GatewayConfig(
            connection=DuckDBConnectionConfig(
                database=WAREHOUSE, connector_config=duckdb_settings()
            )
        )
    },
    default_gateway="local",
    model_defaults=ModelDefaultsConfig(
        dialect="duckdb",
        # The first day incremental models cover; the generator and the reference are later.
        start=os.environ.get("GREENERY_START", "2020-01-01"),
        cron="@daily",
        owner="data_team",
    ),
    linter=LinterConfig(
        enabled=True,
        rules="ALL",
        # Unit tests are required per mart (tests/test_project.py checks it); staging views,
        # snapshots and intermediate models are covered through the marts that read them.
        ignored_rules=["nomissingunittest"],
    ),
    format=FormatConfig(append_newline=True, max_text_width=100),
    # The data-quality monitor (monitor/): Soda checks, history and alerts after each apply
    # and run; the notification target reports applies and runs that fail.
    before_all=["@monitor_before_all()"],
    after_all=["@monitor_after_all()"],
    notification_targets=[MonitorNotificationTarget()],
)
