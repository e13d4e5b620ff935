"""Open the warehouse file, turning DuckDB's lock conflict into advice a person can act on."""

import os
import re
from pathlib import Path

import duckdb
import jinja2
import yaml

from greenery.errors import ExpectedError
from greenery.paths import PROJECT_ROOT


class WarehouseLockedError(ExpectedError):
    """Another process holds the DuckDB file; DuckDB allows one writer and no other reader."""


class WarehouseMissingError(ExpectedError):
    """There is no warehouse file to read yet."""


def duckdb_settings() -> dict[str, str]:
    """The DuckDB settings config.yaml gives SQLMesh (`connector_config`), for every other
    process that opens the warehouse too: declared once, with the same env_var defaults."""
    text = (PROJECT_ROOT / "config.yaml").read_text()
    rendered = jinja2.Template(text).render(
        env_var=lambda name, default=None: os.environ.get(name, default)
    )
    connection = yaml.safe_load(rendered)["gateways"]["duckdb"]["connection"]
    return {name: str(value) for name, value in connection.get("connector_config", {}).items()}


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Connect to `path`; if another process holds it, say which one and what to do."""
    if read_only and not path.exists():
        raise WarehouseMissingError(f"{path} does not exist yet: build it with `make demo`.")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        match = re.search(r"PID (\d+)", str(error))
        if "lock" not in str(error).lower() or match is None:
            raise
        pid = int(match.group(1))
        raise WarehouseLockedError(
            f"{path} is in use by process {pid} ({_command_line(pid)}). DuckDB lets one "
            "process open the file for writing and no other process read it meanwhile. "
            "Stop that process (a running `sqlmesh ui` holds the file for its whole life) "
            "and try again."
        ) from error
    # Set after opening, not as connect() config: a process that already holds the file
    # through SQLMesh (the tests, the hooks) may only open it again with identical config.
    for name, value in duckdb_settings().items():
        con.execute(f"SET {name} = '{value}'")
    return con


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "command unknown"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip() or "command unknown"
