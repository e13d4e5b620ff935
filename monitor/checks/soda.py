"""Soda checks of an environment: one SodaCL file per dataset in checks/, run as one scan.

How the scan is set up, and why:
- It runs on a session of its own on the warehouse (on DuckDB a cursor of SQLMesh's own
  connection, which may hold the file; soda_sources.py knows the engine), so the scan's
  search_path and Soda's rollbacks never reach the caller's session.
- Check files name tables bare (`checks for fct_orders`) and the session's search_path finds
  them: a dev environment lists its schemas before prod's, so a check reads a model's dev
  version when the environment holds one and prod's otherwise, as SQLMesh's virtual
  environments do. Reference checks across schemas resolve the same way.
- Each prod schema is a Soda data source scoped to the schema the environment reads, so a
  schema check sees that one relation's columns (soda_compat.py says why that is not public).
- Freshness is measured against the caller's `now` (Soda's NOW variable), never the clock.
- The `[new]` checks read the rows loaded since SINCE (scan_scope.py says when that is not
  every row).
- Results come from Soda's public scan results: outcome, value, thresholds and diagnostics;
  failing rows from a sampler, Soda's extension point for them. Soda never phones home
  (soda_compat.py, through which every Soda import goes).
- Soda's results leave out a check it could not evaluate, so each dataset also gets one
  `soda scan` result: ERROR naming the checks Soda skipped and why, else PASS.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

from greenery.durations import human_duration
from greenery.layout import BUSINESS_UNITS, RAW_SCHEMA, view_schema
from greenery.paths import PROJECT_ROOT
from monitor.checks.audits import SAMPLE_ROWS
from monitor.checks.scan_scope import EVERY_ROW
from monitor.checks.soda_compat import (
    SampleContext,
    Sampler,
    Scan,
    sample_table,
    scope_data_source,
)
from monitor.checks.soda_sources import data_sources
from monitor.datasets import Dataset, mask
from monitor.results import CheckResult, Source, Status
from monitor.storage.database import Database

#: libyaml's parser where PyYAML was built with it (its wheels are): the check files and each
#: check's definition are read after every scan, and the pure-Python parser took 7% of the hook.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CHECKS_DIR = PROJECT_ROOT / "checks"
STATUS = {"pass": Status.PASS, "warn": Status.WARN, "fail": Status.FAIL}
#: Soda metrics whose value counts rows that break the rule, and the count behind a percentage.
ROW_COUNT_METRICS = {"missing_count", "invalid_count", "duplicate_count", "reference"}
FAILED_ROWS = "failed rows"
#: Soda's names for the comparisons in a check's thresholds.
COMPARISONS = {
    "greaterThan": ">",
    "greaterThanOrEqual": ">=",
    "lessThan": "<",
    "lessThanOrEqual": "<=",
}
SCAN_CHECK = "soda scan"
#: Where a check's line turns from what it measures to its threshold.
THRESHOLD = re.compile(r"\s+(?:=|!=|<>|<=|>=|<|>|not between|between|warn|fail)\s")


def run_soda_checks(
    warehouse: Database,
    environment: str,
    datasets: dict[str, Dataset],
    now: datetime,
    checks_dir: Path = CHECKS_DIR,
    rows_since: datetime | None = None,
) -> list[CheckResult]:
    """Every check of every dataset `environment` holds, as results; never raises.

    `rows_since`: the `[new]` checks read only the rows loaded since then; None, every row
    (monitor/checks/scan_scope.py decides).

    A check file whose dataset the environment does not hold is skipped (a dev environment
    holds only the models that changed), except where the dataset must be there (see
    `_always_held`): then its `soda scan` result is an ERROR saying it does not exist. A Soda
    problem becomes ERROR results naming the dataset and the error.
    """
    files = _check_files(checks_dir)
    scope: dict[str, Path] = {}
    try:
        scope = _datasets_in_environment(warehouse, environment, files)
        missing = [
            _scan_result(name, f"{name} does not exist: none of its checks could run", datasets)
            for name in files
            if name not in scope and _always_held(name, environment)
        ]
        if not scope:
            return missing
        return missing + _scan(
            warehouse, environment, scope, datasets, now, rows_since or EVERY_ROW
        )
    except Exception as error:  # the monitor reports what broke; the caller's work stands
        return [
            _scan_result(name, f"{type(error).__name__}: {error}", datasets)
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


def _always_held(dataset: str, environment: str) -> bool:
    """Prod holds every dataset, and every environment the raw tables: one missing there was
    dropped, and is said, not skipped. A dev environment holds only the marts that changed."""
    return environment == "prod" or dataset.split(".")[0] not in BUSINESS_UNITS


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


class _RowSampler(Sampler):
    """Keeps the first failing rows of each check, with the query that lists them all."""

    logs = None  # Soda hands every sampler its scan's logs

    def __init__(self) -> None:
        self.samples: dict[tuple[str, str], tuple[str, list[dict[str, Any]]]] = {}

    def store_sample(self, sample_context: SampleContext) -> None:
        sample = sample_context.sample
        names = [column.name for column in sample.get_schema().columns]
        rows = [dict(zip(names, row, strict=True)) for row in sample.get_rows()[:SAMPLE_ROWS]]
        key = (sample_table(sample_context), sample_context.check_name)
        self.samples[key] = (sample_context.query, rows)


@dataclass
class _Scan:
    """A scan that ran, and what turning its checks into results needs besides."""

    scan: Scan
    sampler: _RowSampler
    files: dict[str, str]  # check file path -> dataset
    datasets: dict[str, Dataset]
    tables: dict[str, str]  # table -> the schema search_path found it in


def _scan(
    database: Database,
    environment: str,
    scope: dict[str, Path],
    datasets: dict[str, Dataset],
    now: datetime,
    rows_since: datetime,
) -> list[CheckResult]:
    path = _search_path(database, environment)
    with data_sources(database, path) as add_data_source:
        scan = Scan()
        scan.disable_telemetry()
        sampler = _RowSampler()
        scan.sampler = sampler
        scan.add_variables({"NOW": _utc_iso(now), "SINCE": _utc_iso(rows_since)})
        for schema in sorted({name.split(".")[0] for name in scope}):
            add_data_source(scan, schema)
            scope_data_source(scan, schema, _physical_schema(schema, environment))
        done = _Scan(scan, sampler, {}, datasets, _table_schemas(database, path))
        for name, file in scope.items():
            scan.set_data_source_name(name.split(".")[0])
            scan.add_sodacl_yaml_file(str(file))
            done.files[str(file)] = name
        scan.execute()
        return _results(done, scope)


def _results(done: _Scan, scope: dict[str, Path]) -> list[CheckResult]:
    """One result per check Soda evaluated, and one `soda scan` result per dataset."""
    scan_results = done.scan.get_scan_results()
    evaluated = scan_results["checks"]
    metrics = {metric["identity"]: metric for metric in scan_results["metrics"]}
    results = _with_unique_keys([_result(done, check, metrics) for check in evaluated])
    per_file: dict[str, int] = defaultdict(int)
    for check in evaluated:
        per_file[check["location"]["filePath"]] += 1
    errors = [_log_text(log.get_dict()) for log in done.scan.get_error_logs()]
    for name, file in scope.items():
        missing = _declared_checks(file) - per_file[str(file)]
        message = None
        if missing > 0:
            related = [e for e in errors if name in e or file.name in e] or errors
            message = f"Soda could not evaluate {missing} check(s): " + (
                "; ".join(related) or "no reason given"
            )
        results.append(_scan_result(name, message, done.datasets))
    return results


def _with_unique_keys(results: list[CheckResult]) -> list[CheckResult]:
    """Two checks of one dataset with the same stable key (`row_count > 0` and `row_count
    between 1 and 9`) keep their full names as keys, so that neither takes the other's id."""
    counts = Counter((r.dataset, r.stable_key) for r in results)
    return [replace(r, key=None) if counts[(r.dataset, r.stable_key)] > 1 else r for r in results]


def _declared_checks(file: Path) -> int:
    """How many checks a SodaCL file declares: the items of its `checks for` sections."""
    try:
        document = yaml.load(file.read_text(), Loader=YAML_LOADER) or {}
    except yaml.YAMLError:
        return 1  # unreadable: Soda evaluates nothing of it, and its error says why
    return sum(
        len(items or []) for key, items in document.items() if str(key).startswith("checks for")
    )


def _result(done: _Scan, check: dict[str, Any], metrics: dict[str, dict]) -> CheckResult:
    name = done.files.get(check["location"]["filePath"], check["table"])
    dataset = done.datasets.get(name)
    diagnostics = check.get("diagnostics") or {}
    status = STATUS.get(check["outcome"], Status.ERROR)
    query, sample = done.sampler.samples.get((check["table"], check["name"]), (None, []))
    line, configuration = _declaration(check)
    failing_rows = _failing_rows(check, metrics, counts_failed_rows=line == FAILED_ROWS)
    return CheckResult(
        source=Source.SODA,
        dataset=name,
        check=check["name"],
        status=status,
        column=check.get("column"),
        severity="warn" if "warn" in diagnostics and "fail" not in diagnostics else "fail",
        owner=dataset.owner if dataset else None,
        tags=dataset.tags if dataset else (),
        measured_value=_number(diagnostics.get("value")),
        threshold=_threshold(diagnostics),
        failing_rows=failing_rows,
        query=_qualified(query, done.tables) if status.is_problem else None,
        sample=mask(sample, dataset) if status.is_problem else [],
        message=_message(diagnostics, failing_rows is not None) if status.is_problem else None,
        key=_stable_key(line, configuration),
    )


def _threshold(diagnostics: dict[str, Any]) -> str | None:
    """The levels as Soda evaluated them: `warn when > 0; fail when > 10`. Freshness and
    schema checks carry theirs in their names."""
    levels = []
    for level in ("warn", "fail"):
        bounds = diagnostics.get(level)
        if not isinstance(bounds, dict) or not bounds:
            continue
        if bounds.keys() == {"greaterThan", "lessThan"} and len(set(bounds.values())) == 1:
            levels.append(f"{level} when != {bounds['lessThan']:g}")  # `= 0` as Soda states it
        else:
            parts = [f"{COMPARISONS.get(k, k)} {v:g}" for k, v in bounds.items()]
            levels.append(f"{level} when " + " or ".join(parts))
    return "; ".join(levels) or None


def _log_text(log: dict[str, Any]) -> str:
    """A Soda error as one line: what, and where in which check file."""
    location = log.get("location") or {}
    where = f" ({location.get('filePath')}, line {location.get('line')})" if location else ""
    return log["message"].strip() + where


def _failing_rows(
    check: dict[str, Any], metrics: dict[str, dict], counts_failed_rows: bool
) -> int | None:
    """How many rows break the rule, for checks about rows; None for the others. A `failed
    rows` check (`counts_failed_rows`) counts them whatever its metric is called."""
    for identity in check["metrics"]:
        metric = metrics.get(identity, {})
        metric_name = metric.get("metricName", "")
        if metric_name in ROW_COUNT_METRICS or counts_failed_rows:
            return _int(metric.get("value"))
        if metric_name.endswith("_percent"):
            count = identity.removesuffix("_percent") + "_count"
            if count in metrics:
                return _int(metrics[count]["value"])
    return None


def _declaration(check: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The check as its file declares it: its line (`invalid_count(status) = 0`, `failed
    rows`) and its configuration (levels, `name`, valid values), from Soda's `definition`."""
    definition = yaml.load(check["definition"], Loader=YAML_LOADER) or {}
    item = next(iter(definition.values()), "")
    item = item[0] if isinstance(item, list) and item else item
    if isinstance(item, dict):
        line, configuration = next(iter(item.items()))
        return str(line), configuration if isinstance(configuration, dict) else {}
    return str(item), {}


def _stable_key(line: str, configuration: dict[str, Any]) -> str:
    """What identifies a check across edits of its levels: its `name` when it has one, else
    its line without the threshold (`freshness(created_at)`, `row_count`)."""
    if configuration.get("name"):
        return str(configuration["name"])
    return THRESHOLD.split(line, maxsplit=1)[0].strip()


def _message(diagnostics: dict[str, Any], counts_rows: bool) -> str | None:
    """What Soda's diagnostics say about a check that did not pass (its value only when it is
    not a count of failing rows, which the result carries already)."""
    parts = []
    if diagnostics.get("missing_column_names"):
        parts.append("missing columns: " + ", ".join(diagnostics["missing_column_names"]))
    for column, types in (diagnostics.get("column_type_mismatches") or {}).items():
        parts.append(f"{column} is {types['actual_type']}, expected {types['expected_type']}")
    for key in ("column_additions", "column_deletions"):
        if diagnostics.get(key):
            parts.append(f"{key.replace('_', ' ')}: " + ", ".join(diagnostics[key]))
    if diagnostics.get("maxColumnTimestamp"):
        parts.append(
            f"newest value {diagnostics['maxColumnTimestamp']}, "
            f"{human_duration(diagnostics['value'] / 1000)} before NOW"
        )
    if not parts and not counts_rows and diagnostics.get("value") is not None:
        parts.append(f"value {diagnostics['value']}")
    return "; ".join(parts) or None


def _qualified(sql: str | None, tables: dict[str, str]) -> str | None:
    """The query with each bare table name qualified by the schema the scan read it from, so
    a person can run it in any session (the scan found tables through its search_path)."""
    if sql is None:
        return None
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return sql.strip()
    for table in tree.find_all(exp.Table):
        if not table.db and table.name in tables:
            table.set("db", exp.to_identifier(tables[table.name]))
    return tree.sql(dialect="duckdb", pretty=True)


def _scan_result(name: str, message: str | None, datasets: dict[str, Dataset]) -> CheckResult:
    dataset = datasets.get(name)
    return CheckResult(
        source=Source.SODA,
        dataset=name,
        check=SCAN_CHECK,
        status=Status.ERROR if message else Status.PASS,
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
