"""Open the warehouse of a gateway, turning its faults into advice a person can act on: the
one module of the project's commands that knows which engine a gateway runs on."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import jinja2
import yaml

from greenery.faults import WarehouseMissingError, explain
from greenery.paths import PROJECT_ROOT, warehouse_path

if TYPE_CHECKING:
    from psycopg2.extensions import connection as PgConnection


def _config() -> dict[str, Any]:
    """config.yaml rendered with the same env_var defaults SQLMesh gives it."""
    text = (PROJECT_ROOT / "config.yaml").read_text()
    rendered = jinja2.Template(text).render(
        env_var=lambda name, default=None: os.environ.get(name, default)
    )
    return yaml.safe_load(rendered)


def gateways() -> tuple[list[str], str]:
    """The gateways of config.yaml and its default one, for a command's `--gateway` option."""
    config = _config()
    return list(config["gateways"]), config["default_gateway"]


def gateway_connection(gateway: str | None) -> dict[str, Any]:
    """The `connection` config.yaml gives SQLMesh for `gateway` (None: the default one),
    rendered with the same env_var defaults: every other process that opens the warehouse
    reads it from there."""
    config = _config()
    return config["gateways"][gateway or config["default_gateway"]]["connection"]


def duckdb_settings() -> dict[str, str]:
    """The DuckDB settings config.yaml gives SQLMesh (`connector_config`), for every other
    process that opens the warehouse too: declared once, with the same env_var defaults."""
    connection = gateway_connection("duckdb")
    return {name: str(value) for name, value in connection.get("connector_config", {}).items()}


@contextlib.contextmanager
def open_warehouse(gateway: str | None = None, *, read_only: bool = False) -> Iterator[Any]:
    """A DB-API connection to `gateway`'s warehouse, closed afterwards: the DuckDB file (see
    greenery.paths) or the PostgreSQL database config.yaml names. A fault (a file held by
    another process or missing, a server down or a database missing) is said plainly."""
    if gateway_connection(gateway)["type"] == "postgres":
        connection: Any = connect_postgres(read_only=read_only)
    else:
        connection = connect(warehouse_path(), read_only=read_only)
    try:
        yield connection
    finally:
        connection.close()


def describe_warehouse(gateway: str | None = None) -> str:
    """Where `gateway`'s warehouse is, for a message: the DuckDB file, or
    `postgres://user@host:port/database`."""
    settings = gateway_connection(gateway)
    if settings["type"] != "postgres":
        return str(warehouse_path())
    return (
        f"postgres://{settings['user']}@{settings['host']}:{settings['port']}/"
        f"{settings['database']}"
    )


def connect_postgres(*, read_only: bool = False) -> PgConnection:
    """A connection with the settings config.yaml gives SQLMesh's `postgres` gateway; read
    only, as a DuckDB file opened by a reading command is. A server that is not there, or a
    database that is not, is said plainly by greenery.faults, as every command's faults are."""
    import psycopg2  # here: DuckDB's commands need not pay for its import

    settings = gateway_connection("postgres")
    connection = psycopg2.connect(
        host=settings["host"],
        port=settings["port"],
        dbname=settings["database"],
        user=settings["user"],
        password=settings.get("password") or None,
        connect_timeout=10,
    )
    connection.set_session(readonly=read_only)
    return connection


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
