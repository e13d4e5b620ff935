"""Open the warehouse file, turning DuckDB's lock conflict into advice a person can act on."""

import os
import re
from pathlib import Path

import duckdb


class WarehouseLockedError(Exception):
    """Another process holds the DuckDB file; DuckDB allows one writer and no other reader."""


class WarehouseMissingError(Exception):
    """There is no warehouse file to read yet."""


def duckdb_settings() -> dict[str, str]:
    """DuckDB settings for every process that opens the warehouse (SQLMesh's too, config.py).

    DuckDB's default memory limit is 80% of the machine; a bounded limit makes it spill large
    sorts, joins and temp tables to disk instead, so a build's peak memory stays predictable.
    """
    return {"memory_limit": os.environ.get("GREENERY_DUCKDB_MEMORY_LIMIT", "2GB")}


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
