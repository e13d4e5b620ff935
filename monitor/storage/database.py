"""The monitor's one door to the database: a DB-API connection and the few calls it needs.

Everything the monitor reads or writes goes through `Database`, so another engine means
another engine in monitor/storage/engines.py, not changes across the monitor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.storage.engines import Engine, engine_of


class Database:
    """A warehouse connection, possibly SQLMesh's own (one process may hold a DuckDB file);
    SQL is written in DuckDB's dialect and `engine` runs it on whichever engine it is."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.engine: Engine = engine_of(connection)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self.engine.run(self.connection, sql, parameters)

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The query's rows as dicts, keyed by column name."""
        cursor = self.engine.run(self.connection, sql, parameters)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def value(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        row = self.engine.run(self.connection, sql, parameters).fetchone()
        return None if row is None else row[0]

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            marks = ", ".join("?" for _ in columns)
            self.engine.run_many(
                self.connection,
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                rows,
            )

    def relations(self, schemas: Iterable[str]) -> set[str]:
        """`schema.name` of every table and view in `schemas`."""
        wanted = list(schemas)
        if not wanted:
            return set()
        marks = ", ".join("?" for _ in wanted)
        return {
            f"{schema}.{name}"
            for schema, name in self.engine.run(
                self.connection,
                "SELECT table_schema, table_name FROM information_schema.tables "
                f"WHERE table_catalog = current_database() AND table_schema IN ({marks})",
                wanted,
            ).fetchall()
        }

    def columns(self, relation: str) -> dict[str, str]:
        """Column name -> type of a table or view."""
        schema, name = relation.split(".")
        return dict(
            self.engine.run(
                self.connection,
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
                "ORDER BY ordinal_position",
                [schema, name],
            ).fetchall()
        )


def now() -> datetime:
    """The time history is stamped with: naive UTC, as every timestamp column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)
