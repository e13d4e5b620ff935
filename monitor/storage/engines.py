"""The engines the monitor's database door speaks to: the one module that knows which.

The monitor writes its SQL once, in DuckDB's dialect with `?` parameters, as the models are
written once. On DuckDB it runs as written, a batch of rows in one transaction. On PostgreSQL,
SQLGlot translates each statement (once per text) and the parameters become psycopg2's named
ones; SQLMesh's connection there is not in autocommit, so a statement the monitor starts a
transaction with is committed (or rolled back) by the monitor, and one inside a transaction
someone else opened is left to them. On both, a transaction the monitor opens is its to end.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import duckdb
import sqlglot

#: A `?` parameter outside quotes (string literals and quoted names are skipped whole).
_QUESTION_MARK = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")|\?")
#: The column name a `?` stands in as while SQLGlot translates.
_MARK = "greenery_parameter_"


class Engine(Protocol):
    """Runs one statement on a DB-API connection and hands back its cursor."""

    name: str

    def run(self, connection: Any, sql: str, parameters: Sequence[Any]) -> Any: ...

    def run_many(self, connection: Any, sql: str, rows: list[Sequence[Any]]) -> None: ...


class DuckDB:
    """The default warehouse: SQL runs as written."""

    name = "duckdb"

    def run(self, connection: Any, sql: str, parameters: Sequence[Any]) -> Any:
        return connection.execute(sql, parameters)

    def run_many(self, connection: Any, sql: str, rows: list[Sequence[Any]]) -> None:
        """In one transaction: outside one, DuckDB commits each row of `executemany` on its
        own (a run's 301 results took 0.16 to 0.49 s, and 0.05 s in one transaction)."""
        with _duckdb_transaction(connection):
            connection.executemany(sql, rows)


def _duckdb_transaction(connection: Any) -> contextlib.AbstractContextManager[None]:
    """A transaction of our own on `connection`; inside one someone else opened (DuckDB
    refuses a second), the statements join it."""
    try:
        connection.begin()
    except duckdb.TransactionException:
        return _ended_if_owned(connection, owned=False)
    return _ended_if_owned(connection, owned=True)


class Postgres:
    """A PostgreSQL warehouse through psycopg2 (SQLMesh's `postgres` gateway)."""

    name = "postgres"

    def run(self, connection: Any, sql: str, parameters: Sequence[Any]) -> Any:
        cursor = connection.cursor()
        with _owned_transaction(connection):
            cursor.execute(_to_postgres(sql), _named(parameters))
        return cursor

    def run_many(self, connection: Any, sql: str, rows: list[Sequence[Any]]) -> None:
        with connection.cursor() as cursor, _owned_transaction(connection):
            cursor.executemany(_to_postgres(sql), [_named(row) for row in rows])


def _owned_transaction(connection: Any) -> contextlib.AbstractContextManager[None]:
    """The implicit transaction a psycopg2 statement opens, ours when none was open."""
    from psycopg2.extensions import TRANSACTION_STATUS_IDLE

    owned = (
        not connection.autocommit and connection.info.transaction_status == TRANSACTION_STATUS_IDLE
    )
    return _ended_if_owned(connection, owned=owned)


@contextlib.contextmanager
def _ended_if_owned(connection: Any, *, owned: bool) -> Iterator[None]:
    """Commit the statements' transaction, or roll it back on an error, when the monitor
    opened it; one someone else opened is theirs to end."""
    try:
        yield
    except BaseException:
        if owned:
            connection.rollback()
        raise
    if owned:
        connection.commit()


def engine_of(connection: Any) -> Engine:
    """The engine behind a DB-API connection, from its driver."""
    if isinstance(connection, duckdb.DuckDBPyConnection):
        return DuckDB()
    if type(connection).__module__.startswith("psycopg2"):
        return Postgres()
    raise TypeError(f"the monitor has no engine for a {type(connection).__name__} connection")


@functools.lru_cache(maxsize=512)
def _to_postgres(sql: str) -> str:
    """DuckDB SQL with `?` parameters as PostgreSQL SQL with `%(n)s` ones (n from 1).

    Each `?` stands in as a column name while SQLGlot translates (a bare `?` cannot stand
    where a value is cast, `?::TIMESTAMP`, and how SQLGlot writes placeholders depends on
    what SQLMesh has set up in the process); a literal `%` is doubled, as psycopg2 requires.
    """
    counter = iter(range(1, 1 << 30))
    marked = _QUESTION_MARK.sub(lambda m: m.group(1) or f"{_MARK}{next(counter)}", sql)
    translated = ";\n".join(
        sqlglot.transpile(marked, read="duckdb", write="postgres", unsupported_level="raise")
    )
    return re.sub(rf"{_MARK}(\d+)", r"%(\1)s", translated.replace("%", "%%"))


def _named(parameters: Sequence[Any]) -> dict[str, Any]:
    return {str(number): value for number, value in enumerate(parameters, start=1)}
