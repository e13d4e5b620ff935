"""Faults of the environment, said as one paragraph a person can act on: the one place that
maps DuckDB's, PostgreSQL's and the operating system's errors (a locked, corrupt, unwritable
or missing warehouse file, a full disk, a server that refuses connections) to
`ExpectedError`s. `greenery.commands.dispatch` applies it to
every command; `monitor.hook` to what goes wrong inside `sqlmesh plan` and `sqlmesh run`."""

from __future__ import annotations

import errno
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from greenery.errors import ExpectedError

if TYPE_CHECKING:
    import psycopg2


class WarehouseLockedError(ExpectedError):
    """Another process holds the DuckDB file; DuckDB allows one writer and no other reader."""


class WarehouseMissingError(ExpectedError):
    """There is no warehouse file to read yet, or no folder to create it in."""


class WarehouseCorruptError(ExpectedError):
    """The file is not a DuckDB database, or a truncated or damaged one."""


class WarehouseRenamedError(ExpectedError):
    """A warehouse file copied or moved under another name: its views name the old one."""


class ServerUnreachableError(ExpectedError):
    """The PostgreSQL server of the `postgres` gateway cannot be reached or refuses us."""


class NotWritableError(ExpectedError):
    """A file cannot be written: read-only file system or no permission."""


class DiskFullError(ExpectedError):
    """The disk holding a file has no space left."""


_CATALOG_MISSING = re.compile(r'Catalog "([^"]+)" does not exist')
_QUOTED_PATH = re.compile(r'(?:file|database) "([^"]+)"')
_CORRUPT = (
    "not a valid duckdb database file",
    "could not read enough bytes",
    "corrupt database file",
    "is a directory",
    "checksum",
)
_DISK_FULL = ("no space left on device", "disk quota exceeded")
_NOT_WRITABLE = ("read-only file system", "permission denied")


def explain(error: BaseException, path: Path | str | None = None) -> ExpectedError | None:
    """The `ExpectedError` an environmental fault found in `error` or its causes amounts to,
    or None when it is none of them (a bug keeps its traceback). `path` says where the
    caller was writing (a file, or a list of them), for errors that do not name a file
    (a failed write() has no file name)."""
    # A PostgreSQL error can only come from psycopg2 once something imported it: DuckDB's
    # commands need not pay for its import.
    postgres = sys.modules.get("psycopg2")
    for cause in _chain(error):
        if isinstance(cause, ExpectedError):
            return cause
        if isinstance(cause, duckdb.Error):
            found = _from_duckdb(cause, path)
        elif isinstance(cause, OSError):
            found = _from_os(cause, path)
        elif postgres and isinstance(cause, postgres.OperationalError):
            found = _from_postgres(cause)
        else:
            continue
        if found is not None:
            found.__cause__ = cause
            return found
    return None


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _from_duckdb(error: duckdb.Error, path: Path | None) -> ExpectedError | None:
    text = str(error)
    lowered = text.lower()
    quoted = _QUOTED_PATH.search(text)
    file = quoted.group(1) if quoted else str(path or "the warehouse file")
    said = f"DuckDB: {text}"
    if "could not set lock" in lowered or "conflicting lock" in lowered:
        return locked(file, text)
    if any(sign in lowered for sign in _DISK_FULL):
        return _disk_full(file, said, _WAREHOUSE_ADVICE)
    if any(sign in lowered for sign in _NOT_WRITABLE):
        return _not_writable(file, said, _WAREHOUSE_ADVICE)
    if "read-only mode: database does not exist" in lowered:
        return WarehouseMissingError(f"{file} does not exist yet: build it with `make demo`.")
    if "cannot open file" in lowered and "no such file or directory" in lowered:
        return _folder_missing(file)
    if any(sign in lowered for sign in _CORRUPT) or isinstance(
        error, duckdb.SerializationException
    ):
        return WarehouseCorruptError(
            f"{file} is not a readable DuckDB warehouse: it is truncated, damaged or another "
            f"kind of file ({said}). Rebuild it with `make demo` (move it aside first if you "
            "want to keep it), or restore it from a backup."
        )
    renamed = _CATALOG_MISSING.search(text)
    if renamed:
        return WarehouseRenamedError(
            f"{file} was built as {renamed.group(1)}.duckdb: SQLMesh's views in a DuckDB "
            f"warehouse name the file they were built in (catalog {renamed.group(1)!r}), so a "
            f"copy under another name cannot read them ({said}). Give the copy its name "
            f"back ({renamed.group(1)}.duckdb, in any folder), or build a new warehouse "
            "under this name with `make demo`."
        )
    if "database has been invalidated" in lowered:
        return WarehouseCorruptError(
            f"DuckDB stopped writing {file} after an earlier fault ({said}). Fix that fault "
            "(disk space, permissions) and run the command again; the file keeps its last "
            "committed state."
        )
    return None


def _from_postgres(error: psycopg2.OperationalError) -> ExpectedError | None:
    """A connection the `postgres` gateway could not open: the server is not running or not
    reachable at the configured place, the database is missing, or the login is refused."""
    text = " ".join(str(error).split())
    lowered = text.lower()
    reasons = (
        "connection refused",
        "could not connect",
        "could not translate host name",
        "timeout expired",
        "does not exist",
        "authentication failed",
        "no password supplied",
    )
    if not any(reason in lowered for reason in reasons):
        return None
    return ServerUnreachableError(
        f"The PostgreSQL server of the postgres gateway could not be used (PostgreSQL: {text}). "
        "Start the server, or point GREENERY_PG_HOST, GREENERY_PG_PORT, GREENERY_PG_DATABASE, "
        "GREENERY_PG_USER and GREENERY_PG_PASSWORD at yours; the database must exist "
        '(`createdb greenery`). See README, "Running on PostgreSQL".'
    )


def _from_os(error: OSError, path: Path | str | None) -> ExpectedError | None:
    file = str(error.filename or path or "a file this command writes")
    said = f"{error.strerror or error}"
    advice = "or give the command a place on another disk"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return _disk_full(file, said, advice)
    if error.errno == errno.EROFS:
        return _not_writable(file, said, advice)
    if error.errno in (errno.EACCES, errno.EPERM):
        return NotWritableError(
            f"{file} cannot be opened ({said}): this user may not read or write it. Give it "
            "access to the file and its folder, or choose another place, then run the command "
            "again."
        )
    return None


def locked(file: str, text: str) -> ExpectedError:
    """A lock conflict on `file`; DuckDB's `text` names the holder's PID when it knows it."""
    match = re.search(r"PID (\d+)", text)
    holder = (
        f"process {match.group(1)} ({_command_line(int(match.group(1)))})"
        if match
        else "another process"
    )
    return WarehouseLockedError(
        f"{file} is in use by {holder}. DuckDB lets one process open the file for writing "
        "and no other process read it meanwhile. Stop that process (a running `sqlmesh ui` "
        "holds the file for its whole life) and try again."
    )


_WAREHOUSE_ADVICE = "or point GREENERY_WAREHOUSE (`ingest load --warehouse`) at a copy elsewhere"


def _disk_full(file: str, said: str, advice: str) -> ExpectedError:
    note = " The warehouse keeps its last committed state." if advice == _WAREHOUSE_ADVICE else ""
    return DiskFullError(
        f"The disk holding {file} is full ({said}). Free some space there, {advice}, then "
        f"run the command again.{note}"
    )


def _not_writable(file: str, said: str, advice: str) -> ExpectedError:
    note = (
        " The reading commands (`monitor problems`, `greenery answers`) open the warehouse "
        "read-only and work as it is."
        if advice == _WAREHOUSE_ADVICE
        else ""
    )
    return NotWritableError(
        f"{file} cannot be written ({said}). Make it and its folder writable, {advice}, "
        f"then run the command again.{note}"
    )


def _folder_missing(file: str) -> ExpectedError:
    return WarehouseMissingError(
        f"The folder {Path(file).parent} of {file} does not exist: create it, or give a "
        "path in an existing folder."
    )


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "command unknown"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip() or "command unknown"
