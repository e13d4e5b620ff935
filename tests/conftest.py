"""Shared fixtures: generated raw data, and warehouses built from it by a real SQLMesh plan."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.generate import generate
from monitor.storage.database import Database
from monitor.storage.tables import ensure_tables

#: Fixed dates keep the tests independent of today's date.
START = date(2026, 3, 1)
END = date(2026, 3, 4)

os.environ["SQLMESH__DISABLE_ANONYMIZED_ANALYTICS"] = "true"
# SQLMesh loads models in forked processes; tests run SMTP and HTTP server threads, and a fork
# beside live threads can crash the child. Load in-process instead.
os.environ["MAX_FORK_WORKERS"] = "1"
# The monitor's hooks run inside every SQLMesh apply; a test that does not test the monitor
# builds without it. Modules that test it say so with `pytestmark = pytest.mark.monitor`.
os.environ["GREENERY_MONITOR"] = "off"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "monitor: the module tests the monitor; its SQLMesh builds run its hooks"
    )
    config.addinivalue_line(
        "markers", "postgres: the module builds on the postgres gateway's server (GREENERY_PG_*)"
    )


@pytest.fixture(autouse=True, scope="module")
def _monitor_switch(request: pytest.FixtureRequest) -> Iterator[None]:
    """Switch the monitor on for the modules marked `monitor`, before their builds."""
    if request.node.get_closest_marker("monitor") is None:
        yield
        return
    os.environ["GREENERY_MONITOR"] = "on"
    yield
    os.environ["GREENERY_MONITOR"] = "off"


@pytest.fixture(autouse=True)
def _keep_warehouse_variable() -> Iterator[None]:
    """Contexts set GREENERY_WAREHOUSE; restore it so no test leaks its file into another."""
    saved = os.environ.get("GREENERY_WAREHOUSE")
    yield
    if saved is None:
        os.environ.pop("GREENERY_WAREHOUSE", None)
    else:
        os.environ["GREENERY_WAREHOUSE"] = saved


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scale-1 dataset over fixed dates, written once per test session."""
    out = tmp_path_factory.mktemp("generated")
    generate(out, scale=1, seed=7, start=START, end=END)
    return out


@pytest.fixture
def database(tmp_path: Path) -> Database:
    """A new DuckDB file with the monitor's tables, for the monitor's rules alone."""
    store = Database(duckdb.connect(str(tmp_path / "greenery.duckdb")))
    ensure_tables(store)
    return store
