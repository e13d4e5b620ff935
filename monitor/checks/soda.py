"""Soda checks of an environment: one SodaCL file per dataset in checks/, run as one scan.

How the scan is set up, and why:
- It runs on the warehouse's own DuckDB connection (SQLMesh may hold the file), through a
  cursor of it: a second session on the same database, so the scan's search_path and Soda's
  rollbacks never reach the caller's session.
- Check files name tables bare (`checks for fct_orders`) and the session's search_path finds
  them: a dev environment lists its schemas before prod's, so a check reads a model's dev
  version when the environment holds one and prod's otherwise, as SQLMesh's virtual
  environments do. Reference checks across schemas resolve the same way.
- Each prod schema is a Soda data source scoped to the schema the environment reads, so a
  schema check sees that one relation's columns, not prod's and dev's together.
- Freshness is measured against the caller's `now` (Soda's NOW variable), never the clock.
- Soda never phones home: its telemetry is switched off before Soda is imported.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from greenery.layout import BUSINESS_UNITS, RAW_SCHEMA, view_schema
from greenery.paths import PROJECT_ROOT
from monitor.checks.audits import SAMPLE_ROWS
from monitor.datasets import Dataset, mask
from monitor.results import CheckResult, Source, Status
from monitor.storage.database import Database

CHECKS_DIR = PROJECT_ROOT / "checks"
#: Soda metrics that count rows breaking a rule, and the count behind each percentage.
ROW_COUNTS = {
    "missing_count": "missing_count",
    "missing_percent": "missing_count",
    "invalid_count": "invalid_count",
    "invalid_percent": "invalid_count",
    "duplicate_count": "duplicate_count",
    "duplicate_percent": "duplicate_count",
}
#: Soda's configuration file, read once per process from a folder only this module writes.
SODA_CONFIG = "send_anonymous_usage_stats: false\nuser_cookie_id: greenery-monitor\n"


def _without_telemetry() -> None:
    """Switch Soda's usage telemetry off before Soda is imported.

    Soda reads `send_anonymous_usage_stats` from its config file when its telemetry module
    is imported, and tries the internet otherwise (about 8 s per scan offline). Its config
    helper is created first, from a file in a private temporary folder, so no scan ever
    tries, and nothing in the user's home is read or written. This holds as long as this
    module is the first to import Soda in the process, as it is in this project.
    """
    from soda.common.config_helper import ConfigHelper

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.yml"
        config.write_text(SODA_CONFIG)
        helper = ConfigHelper.get_instance(str(config))
    helper.config["send_anonymous_usage_stats"] = False


_without_telemetry()
# Soda's own imports come after: importing soda.scan starts its telemetry.
from soda.common.log import Log  # noqa: E402
from soda.execution.check.check import Check  # noqa: E402
from soda.execution.check.metric_check import MetricCheck  # noqa: E402
from soda.execution.check.reference_check import ReferenceCheck  # noqa: E402
from soda.execution.check.user_defined_failed_rows_check import (  # noqa: E402
    UserDefinedFailedRowsCheck,
)
from soda.execution.check.user_defined_failed_rows_expression_check import (  # noqa: E402
    UserDefinedFailedRowsExpressionCheck,
)
from soda.execution.check_outcome import CheckOutcome  # noqa: E402
from soda.sampler.sample_context import SampleContext  # noqa: E402
from soda.sampler.sample_ref import SampleRef  # noqa: E402
from soda.sampler.sampler import Sampler  # noqa: E402
from soda.scan import Scan  # noqa: E402

STATUS = {CheckOutcome.PASS: Status.PASS, CheckOutcome.WARN: Status.WARN}
#: Lines of Soda's report on a check that repeat what a result already says elsewhere.
NOT_SHOWN = (
    "failed_rows_sample_ref",
    "now_variable_name",
    "max_column_timestamp_utc",
    "now_timestamp_utc",
)


def run_soda_checks(
    warehouse: Database,
    environment: str,
    datasets: dict[str, Dataset],
    now: datetime,
    checks_dir: Path = CHECKS_DIR,
) -> list[CheckResult]:
    """Every check of every dataset `environment` holds, as results; never raises.

    A check file whose dataset the environment does not hold is skipped (a dev environment
    holds only the models that changed). A Soda problem becomes ERROR results naming the
    dataset and the error.
    """
    files = _check_files(checks_dir)
    scope: dict[str, Path] = {}
    try:
        scope = _datasets_in_environment(warehouse, environment, files)
        if not scope:
            return []
        return _scan(warehouse, environment, scope, datasets, now)
    except Exception as error:  # the monitor reports what broke; the caller's work stands
        return [
            _error(name, "soda scan", f"{type(error).__name__}: {error}", datasets)
            for name in scope or files
        ]


def _check_files(checks_dir: Path) -> dict[str, Path]:
    """`schema.table` -> its check file, from the files' names (`core.fct_orders.yml`)."""
    return {path.stem: path for path in sorted(checks_dir.glob("*.*.yml"))}


def _physical_schema(schema: str, environment: str) -> str:
    """The schema `environment` reads for a prod schema: `core__dev` for core in dev."""
    return view_schema(schema, environment) if schema in BUSINESS_UNITS else schema


def _datasets_in_environment(
    warehouse: Database, environment: str, files: dict[str, Path]
) -> dict[str, Path]:
    """The check files whose dataset exists in `environment`."""
    wanted = {name: _relation(name, environment) for name in files}
    present = warehouse.relations({relation.split(".")[0] for relation in wanted.values()})
    return {name: files[name] for name, relation in wanted.items() if relation in present}


def _relation(dataset: str, environment: str) -> str:
    schema, table = dataset.split(".", 1)
    return f"{_physical_schema(schema, environment)}.{table}"


def _search_path(warehouse: Database, environment: str) -> list[str]:
    """The schemas bare table names resolve in: the environment's own first, then prod's."""
    prod = [*BUSINESS_UNITS, RAW_SCHEMA]
    own = [_physical_schema(schema, environment) for schema in BUSINESS_UNITS]
    wanted = list(dict.fromkeys([*own, *prod]))
    existing = {
        row["schema_name"]
        for row in warehouse.rows(
            "SELECT schema_name FROM information_schema.schemata "
            "WHERE catalog_name = current_database()"
        )
    }
    return [schema for schema in wanted if schema in existing]


def _table_schemas(warehouse: Database, path: list[str]) -> dict[str, str]:
    """Table name -> the schema search_path finds it in (the first on the path that has it)."""
    found: dict[str, str] = {}
    for relation in sorted(warehouse.relations(path), key=lambda r: path.index(r.split(".")[0])):
        schema, table = relation.split(".", 1)
        found.setdefault(table, schema)
    return found


class _Session:
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


class _Rows(SampleRef):
    """A failed-rows sample Soda hands the sampler, kept in memory as dicts."""

    def __init__(self, context: SampleContext) -> None:
        sample = context.sample
        schema = sample.get_schema()
        names = [column.name for column in schema.columns]
        self.rows = [dict(zip(names, row, strict=True)) for row in sample.get_rows()[:SAMPLE_ROWS]]
        super().__init__(
            name=context.sample_name,
            schema=schema,
            total_row_count=sample.get_rows_count(),
            stored_row_count=len(self.rows),
            type=SampleRef.TYPE_NOT_PERSISTED,
        )


class _RowSampler(Sampler):
    """Keeps the first failing rows of each check; Soda's default sampler drops them."""

    logs = None  # Soda hands every sampler its scan's logs

    def store_sample(self, sample_context: SampleContext) -> SampleRef:
        return _Rows(sample_context)


@dataclass(frozen=True)
class _Scope:
    """Which dataset each check file is about, and the errors Soda logged reading it."""

    files: dict[str, str]  # check file path -> dataset
    parse_errors: dict[str, list[str]]  # dataset -> errors


@dataclass(frozen=True)
class _Done:
    """A scan that ran, and what turning its checks into results needs besides."""

    scan: Scan
    scope: _Scope
    run_errors: list[str]  # what Soda logged while running the checks
    datasets: dict[str, Dataset]
    tables: dict[str, str]  # table -> the schema search_path found it in


def _scan(
    warehouse: Database,
    environment: str,
    scope: dict[str, Path],
    datasets: dict[str, Dataset],
    now: datetime,
) -> list[CheckResult]:
    path = _search_path(warehouse, environment)
    cursor = warehouse.connection.cursor()
    try:
        cursor.execute(f"SET search_path = '{','.join(path)}'")
        scan = Scan()
        scan.sampler = _RowSampler()
        scan.add_variables({"NOW": _utc_iso(now)})
        session = _Session(cursor)
        for schema in sorted({name.split(".")[0] for name in scope}):
            _add_data_source(scan, session, schema, _physical_schema(schema, environment))
        parsed = _add_check_files(scan, scope)
        parse_phase_errors = len(scan.get_error_logs())
        scan.execute()
        run_errors = [_log_text(log) for log in scan.get_error_logs()[parse_phase_errors:]]
        return _results(_Done(scan, parsed, run_errors, datasets, _table_schemas(warehouse, path)))
    finally:
        cursor.close()


def _add_data_source(scan: Scan, session: _Session, name: str, schema: str) -> None:
    """A data source named after the prod schema, reading `schema`.

    Soda names tables `<schema>.<table>` when a data source has a schema; the scan needs the
    schema only to scope schema checks' column lookups, and bare names everywhere else so
    search_path can pick dev or prod. Soda 3.5 takes no schema with an existing connection,
    so both are set on its data source object.
    """
    scan.add_duckdb_connection(session, name)
    source = scan._data_source_manager.get_data_source(name)
    source.schema, source.table_prefix = schema, None


def _add_check_files(scan: Scan, scope: dict[str, Path]) -> _Scope:
    """Parse each file under its schema's data source; keep the errors each one caused."""
    files, errors = {}, {}
    for name, path in scope.items():
        before = len(scan.get_error_logs())
        scan.set_data_source_name(name.split(".")[0])
        scan.add_sodacl_yaml_file(str(path))
        files[str(path)] = name
        new = scan.get_error_logs()[before:]
        if new:
            errors[name] = [_log_text(log) for log in new]
    return _Scope(files, errors)


def _results(done: _Done) -> list[CheckResult]:
    """One result per check, plus one ERROR per file Soda could not read."""
    results = [
        _error(name, "check file", "; ".join(errors), done.datasets)
        for name, errors in done.scope.parse_errors.items()
    ]
    # Soda's scan results leave out the checks it could not evaluate; its check objects
    # hold every check, with configuration, metrics and samples.
    results += [_result(done, check) for check in done.scan._checks]
    return results


def _result(done: _Done, check: Check) -> CheckResult:
    name = done.scope.files[check.check_cfg.location.file_path]
    dataset = done.datasets.get(name)
    configuration = check.check_cfg.source_configurations or {}
    status = _status(check.outcome)
    diagnostics = check.get_cloud_diagnostics_dict()
    sample = getattr(check.failed_rows_sample_ref, "rows", [])
    return CheckResult(
        source=Source.SODA,
        dataset=name,
        check=check.name,
        status=status,
        column=check.column.column_name if check.column else None,
        severity="warn" if "warn" in configuration and "fail" not in configuration else "fail",
        owner=dataset.owner if dataset else None,
        tags=dataset.tags if dataset else (),
        measured_value=_number(diagnostics.get("value")),
        threshold=_threshold(check),
        failing_rows=_failing_rows(check) if status is not Status.ERROR else None,
        query=_qualified(_query(done.scan, check), done.tables),
        sample=mask(sample, dataset) if status.is_problem else [],
        message=_message(check, status, name, done.run_errors),
    )


def _status(outcome: CheckOutcome | None) -> Status:
    """Soda's outcome as a status; a check Soda could not evaluate is an ERROR."""
    if outcome is None:
        return Status.ERROR
    return STATUS.get(outcome, Status.FAIL)


def _threshold(check: Check) -> str:
    """The levels as written: `warn when > 0; fail when > 1%`, or the inline condition."""
    configuration = check.check_cfg.source_configurations or {}
    levels = [
        f"{level} {_level_text(configuration[level])}"
        for level in ("warn", "fail")
        if level in configuration
    ]
    if levels:
        return "; ".join(levels)
    line = check.check_cfg.source_line
    for operator in (" not between ", " between ", " >= ", " <= ", " != ", " = ", " > ", " < "):
        if operator in line:
            return f"fail unless {operator.strip()} {line.split(operator, 1)[1]}"
    if " same as " in line:
        return "fail unless " + line.split(" ", 1)[1]
    return "fail when > 0 rows"


def _level_text(level: object) -> str:
    """A level's condition; a schema check's level lists what it watches for."""
    if isinstance(level, dict):
        return ", ".join(level)
    return str(level)


def _failing_rows(check: Check) -> int | None:
    """How many rows break the rule, for checks about rows; None for the others."""
    if isinstance(
        check, ReferenceCheck | UserDefinedFailedRowsCheck | UserDefinedFailedRowsExpressionCheck
    ):
        return _int(check.check_value)
    if isinstance(check, MetricCheck) and check.check_cfg.metric_name in ROW_COUNTS:
        return _count_metric(check, ROW_COUNTS[check.check_cfg.metric_name])
    return None


def _count_metric(check: MetricCheck, name: str) -> int | None:
    """The row count behind a count or percentage check (a percentage derives from it)."""
    for metric in check.metrics.values():
        if metric.name == name:
            return _int(metric.value)
        formula = getattr(metric, "derived_formula", None)
        if formula and name in formula.metric_dependencies:
            return _int(formula.metric_dependencies[name].value)
    return None


def _query(scan: Scan, check: Check) -> str | None:
    """The SQL that lists the failing rows when Soda has one; else the query behind the check."""
    if isinstance(check, UserDefinedFailedRowsExpressionCheck):
        return scan.jinja_resolve(check.get_failed_rows_sql())
    queries = [query for metric in check.metrics.values() for query in metric.queries]
    failing = [query.failing_sql for query in queries if getattr(query, "failing_sql", None)]
    if failing:
        return failing[0].strip()
    if isinstance(check, UserDefinedFailedRowsCheck):
        return check.metrics["failed_rows_count"].query.strip()
    return queries[0].sql.strip() if queries and queries[0].sql else None


def _qualified(sql: str | None, tables: dict[str, str]) -> str | None:
    """The query with each bare table name qualified by the schema the scan read it from, so
    a person can run it in any session (the scan found tables through its search_path)."""
    if sql is None:
        return None
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return sql
    for table in tree.find_all(exp.Table):
        if not table.db and table.name in tables:
            table.set("db", exp.to_identifier(tables[table.name]))
    return tree.sql(dialect="duckdb", pretty=True)


def _message(check: Check, status: Status, name: str, run_errors: list[str]) -> str | None:
    """What Soda says about a check that did not pass."""
    if status is Status.PASS:
        return None
    if status is Status.ERROR:
        # Soda names its queries `<n>.<data source>.<table>.<what>`: the dataset's own first.
        related = [error for error in run_errors if f"{name}." in error] or run_errors
        return "Soda could not evaluate the check: " + ("; ".join(related) or "no value")
    lines = check.get_log_diagnostic_lines()
    return "; ".join(line for line in lines if not line.startswith(NOT_SHOWN)) or None


def _log_text(log: Log) -> str:
    """A Soda error as one line of text: what, where in which file, and the cause."""
    parts = [log.message.strip(), str(log.location or ""), str(log.exception or "")]
    return " | ".join(part for part in parts if part)


def _error(name: str, check: str, message: str, datasets: dict[str, Dataset]) -> CheckResult:
    dataset = datasets.get(name)
    return CheckResult(
        source=Source.SODA,
        dataset=name,
        check=check,
        status=Status.ERROR,
        owner=dataset.owner if dataset else None,
        tags=dataset.tags if dataset else (),
        message=message,
    )


def _utc_iso(moment: datetime) -> str:
    """`now` as Soda and DuckDB read it: naive UTC, ISO format."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat()


def _number(value: object) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _int(value: object) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
