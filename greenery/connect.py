"""Open the warehouse file, turning its faults into advice a person can act on."""

import os
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import yaml

from greenery.faults import WarehouseMissingError, explain
from greenery.paths import PROJECT_ROOT


def gateway_connection(gateway: str) -> dict[str, Any]:
    """The `connection` config.yaml gives SQLMesh for `gateway`, rendered with the same
    env_var defaults: every other process that opens the warehouse reads it from there."""
    text = (PROJECT_ROOT / "config.yaml").read_text()
    rendered = jinja2.Template(text).render(
        env_var=lambda name, default=None: os.environ.get(name, default)
    )
    return yaml.safe_load(rendered)["gateways"][gateway]["connection"]


def duckdb_settings() -> dict[str, str]:
    """The DuckDB settings config.yaml gives SQLMesh (`connector_config`), for every other
    process that opens the warehouse too: declared once, with the same env_var defaults."""
    connection = gateway_connection("duckdb")
    return {name: str(value) for name, value in connection.get("connector_config", {}).items()}


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Connect to `path`; a fault of the file (held by another process, not a DuckDB file,
    its folder missing, not writable) is said plainly (greenery.faults)."""
    if read_only and not path.exists():
        raise WarehouseMissingError(f"{path} does not exist yet: build it with `make demo`.")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        fault = explain(error, path)
        if fault is None:
            raise
        raise fault from error
    # Set after opening, not as connect() config: a process that already holds the file
    # through SQLMesh (the tests, the hooks) may only open it again with identical config.
    for name, value in duckdb_settings().items():
        con.execute(f"SET {name} = '{value}'")
    return con
