"""Soda's data sources on the warehouse the monitor reads: the one module of the Soda runner
that knows which engine that is (monitor/checks/soda.py is the same for every engine).

- DuckDB: a cursor of the warehouse's own connection (SQLMesh may hold the file, so no second
  connection can open it), with the scan's search_path.
- PostgreSQL: soda-core-postgres's own connections, with the settings of the connection the
  monitor was given and the scan's search_path, closed when the scan is done (Soda leaves
  them open, in a transaction whose locks would hold off the next load); the server has no
  single-holder lock. The check files name column types as DuckDB reports them;
  PostgreSQL's names for the same types are accepted as synonyms (its `information_schema`
  gives `numeric` without the precision, so a decimal's precision is checked on DuckDB only).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import yaml

from monitor.checks.soda_compat import Scan, add_type_synonyms, close_data_sources
from monitor.storage.database import Database

#: PostgreSQL's type name -> the DuckDB names the check files use for it.
POSTGRES_TYPE_SYNONYMS: dict[str, list[str]] = {
    "text": ["varchar"],
    "character varying": ["varchar"],
    "double precision": ["double"],
    "timestamp without time zone": ["timestamp"],
    "numeric": [
        "decimal",
        *(f"decimal({precision},{scale})" for precision in range(1, 39) for scale in range(39)),
    ],
}

#: Adds data source `name`, whose bare table names resolve through the search path, to a scan.
AddSource = Callable[[Scan, str], None]


@contextlib.contextmanager
def data_sources(database: Database, search_path: list[str]) -> Iterator[AddSource]:
    """For the length of a scan, how to add a data source on `database`'s warehouse."""
    if database.engine.name == "postgres":
        scans: list[Scan] = []
        try:
            yield _postgres_sources(database.connection, search_path, scans)
        finally:
            for scan in scans:
                close_data_sources(scan)
        return
    cursor = database.connection.cursor()
    try:
        cursor.execute(f"SET search_path = '{','.join(search_path)}'")
        session = _DuckDBSession(cursor)
        yield lambda scan, name: scan.add_duckdb_connection(session, name)
    finally:
        cursor.close()


def _postgres_sources(connection: Any, search_path: list[str], scans: list[Scan]) -> AddSource:
    """Adds a data source to a scan, and the scan to `scans`, whose connections are closed
    after it."""
    info = connection.info

    def add(scan: Scan, name: str) -> None:
        source = {
            "type": "postgres",
            "host": info.host,
            "port": info.port,
            "username": info.user,
            "password": info.password or "",
            "database": info.dbname,
            # Soda passes it to the server as the session's search_path.
            "schema": ",".join(search_path),
        }
        scan.add_configuration_yaml_str(yaml.safe_dump({f"data_source {name}": source}))
        add_type_synonyms(scan, name, POSTGRES_TYPE_SYNONYMS)
        scans.append(scan)

    return add


class _DuckDBSession:
    """The scan's DuckDB session: a cursor of the warehouse's connection.

    Soda rolls back after a failed query; DuckDB has already undone the failed statement and
    raises "no transaction is active", which would end the whole scan. Here that rollback is
    a no-op, so one broken check costs only its own dataset's checks.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def rollback(self) -> None:
        with contextlib.suppress(duckdb.TransactionException):
            self._cursor.rollback()
