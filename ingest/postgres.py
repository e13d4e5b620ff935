"""`ingest load --gateway postgres`: land an export in a PostgreSQL warehouse.

The loader's rules (ingest/load.py: strict parsing, merge by key, export order, versions,
`raw._load_log`) are written once, in DuckDB SQL. Rather than a second copy of them in
PostgreSQL's dialect, the tables an export touches are pulled from the server into an
in-memory DuckDB mirror, `load` runs there unchanged, and the result is written back, all
inside one PostgreSQL transaction:

* one transaction: an advisory lock serialises concurrent loads, and nothing is written when
  any file is refused (the mirror is thrown away, the transaction rolled back);
* bulk: tables travel as CSV through `COPY ... TO STDOUT` and `COPY ... FROM STDIN`, never as
  row inserts;
* what is written back is what the DuckDB path would hold: the touched tables are replaced
  whole, so idempotence and ordering carry over (loading a file twice rewrites the same rows).

The price is that the touched tables cross the wire twice per load; a daily delta touches
what it delivers, not the whole warehouse.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from greenery.layout import RAW_SCHEMA
from ingest.load import LoadResults, create_raw_tables, find_files, load

#: Any constant: the key of the advisory lock that lets one load at a time into a database.
_LOAD_LOCK = 0x6772656E  # "gren"


def land(raw_dir: Path, connection: Any, *, allow_older: bool = False) -> LoadResults:
    """`ingest.load.load` into the warehouse `connection` reaches, whichever engine it is on
    (for the commands that land an export on a gateway's warehouse: `monitor daily`)."""
    if isinstance(connection, duckdb.DuckDBPyConnection):
        return load(raw_dir, connection, allow_older=allow_older)
    return load_postgres(raw_dir, connection, allow_older=allow_older)


def load_postgres(
    raw_dir: Path, connection: PgConnection, *, allow_older: bool = False
) -> LoadResults:
    """`ingest.load.load` into the server `connection` reaches, in one transaction."""
    touched = _touched_tables(raw_dir)
    with tempfile.TemporaryDirectory() as scratch, duckdb.connect() as mirror:
        csv_file = Path(scratch) / "table.csv"
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOAD_LOCK])
                mirror.execute("SET TimeZone = 'UTC'")
                create_raw_tables(mirror)
                for table in touched:
                    _pull(cursor, mirror, table, csv_file)
                results = load(raw_dir, mirror, allow_older=allow_older)
                cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
                for table in _mirror_tables(mirror):
                    _create(cursor, mirror, table)
                for table in touched:
                    _push(cursor, mirror, table, csv_file)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
    return results


def _touched_tables(raw_dir: Path) -> list[str]:
    """`raw.<table>` of every file in the export, its versions table, and the load log."""
    touched = []
    for table, _ in find_files(raw_dir):
        touched.append(table.qualified_name)
        if table.keeps_versions:
            touched.append(table.versions_name)
    return [*touched, f"{RAW_SCHEMA}._load_log"]


def _mirror_tables(mirror: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"{RAW_SCHEMA}.{name}"
        for (name,) in mirror.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY table_name",
            [RAW_SCHEMA],
        ).fetchall()
    ]


def _columns(mirror: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of a mirror table, in order."""
    schema, name = table.split(".")
    return dict(
        mirror.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, name],
        ).fetchall()
    )


def _create(cursor: PgCursor, mirror: duckdb.DuckDBPyConnection, table: str) -> None:
    """The table on the server, where missing, with the contract's types in PostgreSQL's
    words (SQLGlot translates them, as SQLMesh does the models)."""
    columns = ", ".join(
        f"{name} {sqlglot.exp.DataType.build(type_, dialect='duckdb').sql('postgres')}"
        for name, type_ in _columns(mirror, table).items()
    )
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")


def _exists(cursor: PgCursor, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    row: Any = cursor.fetchone()
    return bool(row[0])


def _pull(cursor: PgCursor, mirror: duckdb.DuckDBPyConnection, table: str, csv_file: Path) -> None:
    """The server's rows of `table` into the mirror's (empty) table of the same name.

    In CSV an unquoted empty field is NULL and `""` an empty text, for both engines.
    """
    if not _exists(cursor, table):
        return
    columns = _columns(mirror, table)
    with csv_file.open("wb") as out:
        cursor.copy_expert(
            f"COPY (SELECT {', '.join(columns)} FROM {table}) TO STDOUT WITH (FORMAT csv)", out
        )
    types = "{" + ", ".join(f"'{name}': '{type_}'" for name, type_ in columns.items()) + "}"
    mirror.execute(
        f"INSERT INTO {table} SELECT * FROM read_csv(?, header = false, columns = {types}, "
        "allow_quoted_nulls = false, auto_detect = false)",
        [str(csv_file)],
    )


def _push(cursor: PgCursor, mirror: duckdb.DuckDBPyConnection, table: str, csv_file: Path) -> None:
    """Replace the server's rows of `table` by the mirror's."""
    columns = ", ".join(_columns(mirror, table))
    mirror.execute(f"COPY {table} TO '{csv_file}' (FORMAT csv, HEADER false)")
    cursor.execute(f"TRUNCATE {table}")
    with csv_file.open("rb") as source:
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", source)
