"""Land a folder of Greenery CSVs into the warehouse's `raw` schema.

The loader is the EL step in front of SQLMesh. Three promises:

* strict: a file whose header or rows do not parse as the raw contract (`ingest.schema`) is
  refused with the file, line and column, and nothing is written for any file of the batch;
* idempotent: loading the same files twice changes nothing (not even `_loaded_at`);
* incremental: a key seen again with other content replaces its earlier rows (an order that
  moved from `preparing` to `shipped`), new keys are appended, keys absent from the files are
  kept;
* in order: each load records, per table, the export's newest as-of time (`RawTable.as_of`)
  and the file's sha256 in `raw._load_log`. An export older than what has landed is refused
  unless `allow_older` is passed; even then a key's row is only replaced by a row that is not
  older (its as-of time, then the export's), so replaying history never reverts newer state.

Business rules (negative quantities, unknown statuses, duplicated keys) are not the loader's
job: such rows land as delivered and staging routes them to `staging.stg_greenery__rejects`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import duckdb

from greenery.errors import ExpectedError
from greenery.layout import RAW_SCHEMA
from ingest.schema import (
    LOAD_COLUMNS,
    RAW_TABLES,
    TIMESTAMP_PATTERN,
    VALUE_RULES,
    VERSION_COLUMN,
    RawTable,
)

__all__ = [
    "TIMESTAMP_PATTERN",
    "LoadError",
    "LoadResults",
    "TableLoad",
    "count_data_lines",
    "create_raw_tables",
    "find_files",
    "load",
]

#: How many malformed rows one error message lists before summarising the rest.
MAX_ERRORS_SHOWN = 10


class LoadError(ExpectedError):
    """Input that does not match the raw contract; nothing of the batch was written.

    `table` names the raw table whose file was refused, when one file is at fault, so that
    the monitor can tell that table's owners.
    """

    table: str | None = None


@dataclass(frozen=True)
class TableLoad:
    """What one file did to its raw table."""

    table: str
    file: Path
    rows_in_file: int
    rows_inserted: int
    rows_replaced: int

    @property
    def rows_unchanged(self) -> int:
        return self.rows_in_file - self.rows_inserted


class LoadResults(list[TableLoad]):
    """One `TableLoad` per file landed, and `absent`: the raw tables the export did not hold.

    A partial export (a delta of some tables) is allowed; the tables it left out are said.
    """

    def __init__(self, loads: list[TableLoad], absent: tuple[str, ...]) -> None:
        super().__init__(loads)
        self.absent = absent


def load(
    raw_dir: Path, con: duckdb.DuckDBPyConnection, *, allow_older: bool = False
) -> LoadResults:
    """Validate every CSV in `raw_dir`, then merge them into `raw` in one transaction.

    An export whose newest as-of time for a table is older than what has landed for it is
    refused, unless `allow_older` (replaying history); a file already landed is not refused.
    """
    files = find_files(raw_dir)
    con.execute("SET TimeZone = 'UTC'")
    create_raw_tables(con)
    con.execute("BEGIN TRANSACTION")
    try:
        staged = [(table, path, _stage_one(con, table, path)) for table, path in files]
        newest = {table.name: _newest_as_of(con, table) for table, _, _ in staged}
        fingerprints = {table.name: _sha256(path) for table, path, _ in staged}
        if not allow_older:
            for table, path, _ in staged:
                _refuse_older(con, table, path, newest[table.name], fingerprints[table.name])
        export_as_of = max((t for t in newest.values() if t is not None), default=None)
        results = [_merge(con, table, path, rows, export_as_of) for table, path, rows in staged]
        version_as_of = export_as_of or _landed_as_of(con)
        for table, path, _ in staged:
            if table.keeps_versions:
                _record_versions(con, table, path, version_as_of)
        con.execute(
            f"INSERT INTO {RAW_SCHEMA}._load_log (loaded_at, table_name, source_file, "
            "rows_in_file, rows_inserted, rows_replaced, newest_as_of, export_as_of, "
            "fingerprint) SELECT current_timestamp, * FROM "
            "(VALUES "
            + ", ".join("(?, ?, ?, ?, ?, ?::TIMESTAMP, ?::TIMESTAMP, ?)" for _ in results)
            + ")",
            [
                v
                for r in results
                for v in (
                    r.table,
                    str(r.file),
                    r.rows_in_file,
                    r.rows_inserted,
                    r.rows_replaced,
                    newest[r.table],
                    export_as_of,
                    fingerprints[r.table],
                )
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    present = {table.name for table, _ in files}
    return LoadResults(results, tuple(t.name for t in RAW_TABLES if t.name not in present))


def find_files(raw_dir: Path) -> list[tuple[RawTable, Path]]:
    """The raw tables with a file in `raw_dir` (`orders.csv` or `orders.csv.gz`).

    A folder with none of them is a mistake; so is a name that is there but is not a readable
    file (a folder, a dangling link), or a table given twice (plain and compressed).
    """
    if not raw_dir.is_dir():
        raise LoadError(f"{raw_dir}: not a folder of CSV files")
    files = []
    for table in RAW_TABLES:
        found = [raw_dir / n for n in table.file_names if os.path.lexists(raw_dir / n)]
        if len(found) > 1:
            raise LoadError(
                f"{' and '.join(map(str, found))}: both hold {table.name}; "
                "keep one of them. Nothing was loaded."
            )
        for path in found:
            if path.is_file():
                files.append((table, path))
            elif path.is_symlink() and not path.exists():
                target = os.readlink(path)
                raise LoadError(f"{path}: a link to nothing ({target}); nothing was loaded.")
            elif path.is_dir():
                raise LoadError(f"{path}: a folder, not a file; nothing was loaded.")
            else:
                raise LoadError(f"{path}: not a regular file; nothing was loaded.")
    if not files:
        expected = ", ".join(t.file_name for t in RAW_TABLES)
        raise LoadError(f"{raw_dir}: none of the expected files is there ({expected})")
    return files


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Every raw table, `raw._load_log` and the versions tables, where missing: the schema
    `load` merges into (ingest/postgres.py builds its DuckDB mirror of a server from it)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for table in RAW_TABLES:
        columns = {**table.columns, **LOAD_COLUMNS}
        ddl = ", ".join(f"{name} {type_}" for name, type_ in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {table.qualified_name} ({ddl})")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._load_log (loaded_at TIMESTAMPTZ, "
        "table_name VARCHAR, source_file VARCHAR, rows_in_file BIGINT, rows_inserted BIGINT, "
        "rows_replaced BIGINT)"
    )
    for column, type_ in _LOG_COLUMNS_ADDED.items():
        con.execute(f"ALTER TABLE {RAW_SCHEMA}._load_log ADD COLUMN IF NOT EXISTS {column} {type_}")
    for table in RAW_TABLES:
        if table.keeps_versions:
            _create_versions_table(con, table)


def _create_versions_table(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    """`raw.<table>_versions`; in a warehouse that predates it, seeded with the current rows
    as of the export that landed them, so that history starts from what is known."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [RAW_SCHEMA, f"{table.name}_versions"],
    ).fetchone()[0]
    if exists:
        return
    columns = {**table.columns, **VERSION_COLUMN, **LOAD_COLUMNS}
    ddl = ", ".join(f"{name} {type_}" for name, type_ in columns.items())
    con.execute(f"CREATE TABLE {table.versions_name} ({ddl})")
    con.execute(
        f"INSERT INTO {table.versions_name} SELECT c.* EXCLUDE (_loaded_at, _source_file, "
        "_source_line), coalesce(l.export_as_of, TIMESTAMP '1970-01-01'), c._loaded_at, "
        f"c._source_file, c._source_line FROM {table.qualified_name} AS c LEFT JOIN ("
        f"SELECT DISTINCT loaded_at::TIMESTAMP AS loaded_at, source_file, export_as_of "
        f"FROM {RAW_SCHEMA}._load_log WHERE table_name = ?"
        ") AS l ON l.loaded_at = c._loaded_at AND l.source_file = c._source_file",
        [table.name],
    )


#: Columns added to `raw._load_log` after its first version (older warehouses gain them).
_LOG_COLUMNS_ADDED = {
    "newest_as_of": "TIMESTAMP",  # the file's newest as-of time (NULL: the table has none)
    "export_as_of": "TIMESTAMP",  # the newest as-of time over the export's files
    "fingerprint": "VARCHAR",  # sha256 of the file's bytes as stored
}


def _row_as_of(table: RawTable, alias: str = "") -> str | None:
    """SQL for a row's as-of time: the newest of its `as_of` columns (None: the table has none)."""
    if not table.as_of:
        return None
    prefix = f"{alias}." if alias else ""
    return f"greatest({', '.join(prefix + c for c in table.as_of)})"


def _newest_as_of(con: duckdb.DuckDBPyConnection, table: RawTable) -> datetime | None:
    as_of = _row_as_of(table)
    if as_of is None:
        return None
    return con.execute(f"SELECT max({as_of}) FROM _incoming_{table.name}").fetchone()[0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _refuse_older(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    path: Path,
    newest: datetime | None,
    fingerprint: str,
) -> None:
    """Refuse `path` if its newest as-of time is older than what has landed for its table,
    unless the very same file has landed before (reloading it changes nothing)."""
    if newest is None:
        return
    landed = con.execute(
        f"SELECT newest_as_of, loaded_at::TIMESTAMP, source_file, "
        f"bool_or(fingerprint = ?) OVER () FROM {RAW_SCHEMA}._load_log "
        "WHERE table_name = ? AND newest_as_of IS NOT NULL "
        "ORDER BY newest_as_of DESC, loaded_at DESC LIMIT 1",
        [fingerprint, table.name],
    ).fetchone()
    if landed is None or landed[3] or newest >= landed[0]:
        return
    error = LoadError(
        f"{path}: this export's newest {table.name} are from {_when(newest)}; the "
        f"warehouse already holds {table.name} up to {_when(landed[0])} (landed "
        f"{_when(landed[1])} from {landed[2]}). Nothing was loaded. To land an older export "
        "on purpose, pass --allow-older."
    )
    error.table = table.name
    raise error


@contextmanager
def _open_bytes(path: Path) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed when its name ends in `.gz`."""
    with gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb") as handle:
        yield handle  # type: ignore[misc]


def _printable(text: str, limit: int = 60) -> str:
    """`text` safe to print: control characters escaped, long text cut."""
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:limit])
    return shown + ("..." if len(text) > limit else "")


def _read_header(table: RawTable, path: Path) -> list[str]:
    """The file's column names, checked against the contract (order may differ).

    A byte-order mark (Excel's "CSV UTF-8") is dropped; a file holding NUL bytes is binary and
    refused by name, without echoing it.
    """
    try:
        with _open_bytes(path) as handle:
            start = handle.read(1 << 16)
    except (OSError, EOFError) as error:
        raise LoadError(f"{path}: not readable ({error}); nothing was loaded.") from error
    if b"\0" in start:
        raise LoadError(f"{path}: a binary file, not CSV text; nothing was loaded.")
    first = start.split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf")
    try:
        header = next(csv.reader([first.decode("utf-8").rstrip("\r")]), [])
    except UnicodeDecodeError as error:
        raise LoadError(
            f"{path}, line 1 (header): not UTF-8 text ({error.reason}); nothing was loaded."
        ) from error
    header = [_printable(c) for c in header]
    missing = [c for c in table.columns if c not in header]
    unexpected = [c for c in header if c not in table.columns]
    if missing or unexpected or len(header) != len(set(header)):
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unexpected:
            problems.append(f"unexpected column(s) {', '.join(unexpected)}")
        if len(header) != len(set(header)):
            problems.append("a column name is repeated")
        raise LoadError(
            f"{path}, line 1 (header): {'; '.join(problems)}. "
            f"Expected the columns {', '.join(table.columns)}."
        )
    return header


def _stage_one(con: duckdb.DuckDBPyConnection, table: RawTable, path: Path) -> int:
    """`_stage`, with a refusal tagged with its table."""
    try:
        return _stage(con, table, path)
    except LoadError as error:
        error.table = table.name
        raise


def _stage(con: duckdb.DuckDBPyConnection, table: RawTable, path: Path) -> int:
    """Parse `path` into a temp table typed by the contract; refuse it whole on any bad row.

    DuckDB's CSV reader finds the structural errors (field counts, quoting, encoding) with
    their lines; values are then checked against the contract's value rules here
    (`ingest.schema.VALUE_RULES`), because the reader's own casts are lenient (a timestamp with
    trailing text, an integer `2.5`, pass). Timestamps are read as instants and stored as naive
    UTC, so `...Z` and `...+02:00` agree.

    The reader counts records, not lines, and skips blank lines without a word. When its count
    and the file's line count disagree (a quoted field holds a line break, a quote is left
    open, a line is blank), the file is read once more to find where each record starts, so
    that every refusal and `_source_line` give the line an editor shows.
    """
    header = _read_header(table, path)
    text_columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in header) + "}"
    text = f"_text_{table.name}"
    con.execute("DROP TABLE IF EXISTS _reject_errors; DROP TABLE IF EXISTS _reject_scans")
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {text} AS
            SELECT *, row_number() OVER () + 1 AS _source_line
            FROM read_csv(?, header = true, auto_detect = false, columns = {text_columns},
                          store_rejects = true, rejects_scan = '_reject_scans',
                          rejects_table = '_reject_errors', strict_mode = true,
                          null_padding = false, parallel = false)
            """,
            [str(path)],
        )
    except duckdb.Error as error:
        # The reader gives up on the whole file (mixed line endings, broken compression).
        reason = _printable(str(error).splitlines()[0], 300)
        raise LoadError(
            f"{path}: not readable as CSV; nothing was loaded. {reason}{_mixed_endings(path)}"
        ) from error
    errors = con.execute(
        "SELECT line, column_name, lower(error_type), error_message FROM _reject_errors"
    ).fetchall()
    rows = con.execute(f"SELECT count(*) FROM {text}").fetchone()[0]
    records = rows + len({e[0] for e in errors})
    starts = None
    if records != count_data_lines(path):
        starts = _record_starts(path)  # refuses a blank line or an open quote with its line
        if len(starts) != records:
            raise LoadError(
                f"{path}: {len(starts)} record(s) but {records} could be read; nothing was "
                "loaded. A quoted field is left open or a line is malformed."
            )
    if errors:
        if starts is not None:  # the reader's "line" is the record's number, plus the header
            errors = [
                (starts[line - 2] if 2 <= line < len(starts) + 2 else line, *rest)
                for line, *rest in errors
            ]
        raise LoadError(_describe_errors(path, sorted(errors, key=lambda e: e[0])))
    if starts is not None:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {text} AS SELECT t.* REPLACE (s.line AS _source_line) "
            f"FROM {text} AS t JOIN (SELECT unnest(l) AS line, generate_subscripts(l, 1) + 1 AS i "
            f"FROM (SELECT ?::BIGINT[] AS l)) AS s ON s.i = t._source_line ORDER BY s.i",
            [starts],
        )
    errors = _type_errors(con, table, text)
    if errors:
        raise LoadError(_describe_errors(path, sorted(errors, key=lambda e: e[0])))

    # A view, not a copy: the merge reads it once when the table is new, twice otherwise.
    select = ", ".join(_typed(column, type_) for column, type_ in table.columns.items())
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _incoming_{table.name} AS "
        f"SELECT {select}, _source_line FROM {text}"
    )
    return rows


def count_data_lines(path: Path) -> int:
    """Lines after the header, not counting one blank line that ends the file. The reader
    drops a record with an open quote or a blank line without a word, so its count is checked
    against this one."""
    lines, tail = 0, b"\n"
    with _open_bytes(path) as handle:
        while chunk := handle.read(1 << 24):
            lines += chunk.count(b"\n")
            tail = (tail + chunk)[-4:]
    if tail.endswith((b"\n\n", b"\n\r\n")):
        lines -= 1
    return lines + (not tail.endswith(b"\n")) - 1


def _mixed_endings(path: Path) -> str:
    """Where a file that mixes CRLF and LF line ends switches, for a refusal ("" if it does not).

    Only called for a file the reader gave up on."""
    first = None
    with _open_bytes(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith(b"\n"):
                break
            crlf = line.endswith(b"\r\n")
            if first is None:
                first = crlf
            elif crlf != first:
                ends = {True: "CRLF", False: "LF"}
                return (
                    f"\n  {path.name}, line {number}, the row: ends with {ends[crlf]} where "
                    f"line 1 ends with {ends[first]}; a file must use one kind of line end"
                )
    return ""


def _record_starts(path: Path) -> list[int]:
    """The line each data record starts on, as an editor counts lines.

    Python's CSV reader (RFC 4180: a quoted field may hold line breaks) walks the file; it is
    only called for a file whose records and lines disagree. One blank line may end the file;
    a blank line elsewhere and a quote left open are refused with their line.
    """
    starts: list[int] = []
    with _open_bytes(path) as raw:
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(handle, strict=True)
        end, blank = 1, None
        try:
            next(reader, None)
            end = reader.line_num
            for row in reader:
                if blank is not None:
                    break
                if not row:
                    blank = end + 1
                else:
                    starts.append(end + 1)
                end = reader.line_num
            else:
                return starts
        except csv.Error as error:
            raise LoadError(
                f"{path}: malformed CSV; nothing was loaded.\n  {path.name}, line {end + 1}, "
                f"the row: {error} (a quoted field opened here is not closed as CSV requires)"
            ) from error
    raise LoadError(
        f"{path}: malformed CSV; nothing was loaded.\n  {path.name}, line {blank}, the row: "
        "blank line inside the file (only one blank line may end it)"
    )


def _invalid(column: str, type_: str) -> str:
    """SQL that is true when a non-NULL text value breaks the contract's rule for `type_`."""
    rule = VALUE_RULES[type_]
    sql = (
        f"NOT regexp_full_match({column}, '{rule.pattern}') "
        f"OR try_cast({column} AS {rule.parse_as}) IS NULL"
    )
    if rule.fits:
        sql += f" OR try_cast(try_cast({column} AS {rule.parse_as}) AS {rule.fits}) IS NULL"
    return sql


def _typed(column: str, type_: str) -> str:
    if type_ == "TIMESTAMP":
        return f"timezone('UTC', {column}::TIMESTAMPTZ) AS {column}"
    return f"{column}::{type_} AS {column}"


def _type_errors(con: duckdb.DuckDBPyConnection, table: RawTable, text: str) -> list[tuple]:
    """(line, column, kind, message) for every value that does not parse as its type, and
    every row without the table's time column."""
    checks = [
        f"SELECT _source_line, '{column}', 'cast', 'could not read \"' || "
        f"{_shown(column)} || '\" as {type_}: not {VALUE_RULES[type_].meaning}' FROM {text} "
        f"WHERE {column} IS NOT NULL AND ({_invalid(column, type_)})"
        for column, type_ in table.columns.items()
        if type_ != "VARCHAR"
    ]
    if table.time_column:
        checks.append(
            f"SELECT _source_line, '{table.time_column}', 'missing', 'empty; {table.name} are "
            f"processed by {table.time_column}, so every row needs one' FROM {text} "
            f"WHERE {table.time_column} IS NULL"
        )
    if not checks:
        return []
    return con.execute(" UNION ALL ".join(checks)).fetchall()


def _shown(column: str) -> str:
    """SQL for a value as a refusal shows it: cut at 60 characters."""
    return f"CASE WHEN length({column}) > 60 THEN left({column}, 60) || '...' ELSE {column} END"


def _describe_errors(path: Path, errors: list[tuple]) -> str:
    lines = [f"{path}: {len(errors)} malformed value(s) or row(s); nothing was loaded."]
    for line, column, kind, message in errors[:MAX_ERRORS_SHOWN]:
        where = f"column {column}" if column else "the row"
        lines.append(f"  {path.name}, line {line}, {where}: {kind}: {_printable(message, 200)}")
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"  ... and {len(errors) - MAX_ERRORS_SHOWN} more")
    return "\n".join(lines)


def _merge(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    path: Path,
    rows: int,
    export_as_of: datetime | None,
) -> TableLoad:
    """Replace the rows of every key whose content changed, append new keys, keep the rest.

    A key's content is compared as a multiset of row hashes, so duplicated rows inside a file
    are kept (and later rejected by staging) yet reloading the file still changes nothing.
    A NULL key is a key like any other here; staging rejects it.

    A changed key is replaced only by rows that are not older: the newest as-of time of its
    rows decides, and when those are equal or unknown (a table without `as_of` columns, an
    order whose status moved without a new timestamp) the as-of time of the export that
    landed the rows, from `raw._load_log`. Rows whose load is unknown (written by hand, or
    landed before the log kept as-of times) are replaced as before.
    """
    staging = f"_incoming_{table.name}"
    insert = (
        f"INSERT INTO {table.qualified_name} "
        "SELECT s.* EXCLUDE (_source_line), current_timestamp::TIMESTAMP, ?, s._source_line "
        f"FROM {staging} AS s"
    )
    if con.execute(f"SELECT count(*) = 0 FROM {table.qualified_name}").fetchone()[0]:
        # A first load: every key is new, so there is nothing to compare.
        inserted = con.execute(insert, [str(path)]).fetchone()[0]
        return TableLoad(table.name, path, rows, inserted, 0)
    key = ", ".join(f"c.{k}" for k in table.key)
    content = f"count(*) AS n, sum(hash({', '.join(table.columns)})::HUGEINT) AS fingerprint"
    row_as_of = _row_as_of(table) or "NULL::TIMESTAMP"
    current_as_of = _row_as_of(table, "c") or "NULL::TIMESTAMP"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _changed_keys AS
        WITH incoming AS (
            SELECT {", ".join(table.key)}, {content}, max({row_as_of}) AS as_of
            FROM {staging} GROUP BY ALL
        ), current AS (
            SELECT {key}, count(*) AS n,
                sum(hash({", ".join(f"c.{c}" for c in table.columns)})::HUGEINT) AS fingerprint,
                max({current_as_of}) AS as_of, max(l.export_as_of) AS export_as_of
            FROM (
                -- The incoming keys' rows first: the log is then joined to those alone.
                SELECT c.* FROM {table.qualified_name} AS c
                SEMI JOIN incoming AS i ON {_same_key(table, "i", "c")}
            ) AS c
            LEFT JOIN (
                SELECT DISTINCT loaded_at::TIMESTAMP AS loaded_at, source_file, export_as_of
                FROM {RAW_SCHEMA}._load_log WHERE table_name = ? AND export_as_of IS NOT NULL
            ) AS l ON l.loaded_at = c._loaded_at AND l.source_file = c._source_file
            GROUP BY ALL
        )
        SELECT i.* EXCLUDE (as_of), c.n IS NOT NULL AS existed
        FROM incoming AS i LEFT JOIN current AS c ON {_same_key(table, "i", "c")}
        WHERE (c.n IS DISTINCT FROM i.n OR c.fingerprint IS DISTINCT FROM i.fingerprint)
          AND (c.n IS NULL OR CASE
              WHEN i.as_of IS NOT NULL AND c.as_of IS NOT NULL AND i.as_of <> c.as_of
                  THEN i.as_of > c.as_of
              ELSE c.export_as_of IS NULL OR ?::TIMESTAMP IS NULL
                  OR ?::TIMESTAMP >= c.export_as_of
          END)
        """,
        [table.name, export_as_of, export_as_of],
    )
    replaced = 0
    if con.execute("SELECT bool_or(existed) FROM _changed_keys").fetchone()[0]:
        # Only then: a day of new keys would otherwise scan the whole table for nothing.
        replaced = con.execute(
            f"DELETE FROM {table.qualified_name} AS t WHERE EXISTS "
            f"(SELECT 1 FROM _changed_keys AS k WHERE k.existed AND {_same_key(table, 'k', 't')})"
        ).fetchone()[0]
    inserted = con.execute(
        f"{insert} WHERE EXISTS "
        f"(SELECT 1 FROM _changed_keys AS k WHERE {_same_key(table, 'k', 's')})",
        [str(path)],
    ).fetchone()[0]
    return TableLoad(table.name, path, rows, inserted, replaced)


def _landed_as_of(con: duckdb.DuckDBPyConnection) -> datetime:
    """The as-of time of an export whose files carry no timestamps (products and promos
    alone): the newest export landed so far, or 1970 in an empty warehouse."""
    newest = con.execute(f"SELECT max(export_as_of) FROM {RAW_SCHEMA}._load_log").fetchone()[0]
    return newest or datetime(1970, 1, 1)


def _record_versions(
    con: duckdb.DuckDBPyConnection, table: RawTable, path: Path, as_of: datetime
) -> None:
    """Keep the file's rows as the versions of its keys as of `as_of`, whatever order the
    exports arrive in: a key's version of that time is replaced when its rows differ (a
    corrected export of the same day) and kept when they do not (the same file again)."""
    content = f"count(*) AS n, sum(hash({', '.join(table.columns)})::HUGEINT) AS fingerprint"
    key = ", ".join(table.key)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _changed_versions AS
        SELECT i.* FROM (SELECT {key}, {content} FROM _incoming_{table.name} GROUP BY ALL) AS i
        LEFT JOIN (
            SELECT {key}, {content} FROM {table.versions_name}
            WHERE _export_as_of = ? GROUP BY ALL
        ) AS v ON {_same_key(table, "i", "v")}
        WHERE v.n IS DISTINCT FROM i.n OR v.fingerprint IS DISTINCT FROM i.fingerprint
        """,
        [as_of],
    )
    changed = "(SELECT 1 FROM _changed_versions AS k WHERE {})"
    con.execute(
        f"DELETE FROM {table.versions_name} AS t WHERE t._export_as_of = ? AND EXISTS "
        + changed.format(_same_key(table, "k", "t")),
        [as_of],
    )
    con.execute(
        f"INSERT INTO {table.versions_name} SELECT s.* EXCLUDE (_source_line), ?::TIMESTAMP, "
        f"current_timestamp::TIMESTAMP, ?, s._source_line FROM _incoming_{table.name} AS s "
        "WHERE EXISTS " + changed.format(_same_key(table, "k", "s")),
        [as_of, str(path)],
    )


def _same_key(table: RawTable, left: str, right: str) -> str:
    """A join condition on the table's key that treats NULL keys as equal."""
    return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in table.key)
