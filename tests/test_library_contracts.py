"""What the monitor needs from Soda and SQLMesh beyond their documented APIs, held to the
installed versions. An upgrade that breaks one of these fails here, by name, instead of
silently losing schema checks, samples or audit results.

- Soda: `monitor/checks/soda_compat.py` (a data source's schema; a sample's table; closing a
  scan's connections);
- SQLMesh: `monitor/checks/audits.py` runs audits through the `SnapshotEvaluator` a Context
  uses, for each audit's count, query and blocking flag (`Context.audit` returns a bool), and
  reads from SQLMesh's state which models an apply or run evaluated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from sqlmesh import Context
from sqlmesh.core.config import Config, DuckDBConnectionConfig, GatewayConfig, ModelDefaultsConfig

from monitor.checks.audits import applied_models, run_sqlmesh_audits
from monitor.checks.soda_compat import (
    Sampler,
    Scan,
    close_data_sources,
    sample_table,
    scope_data_source,
)
from monitor.results import Status


def _two_schemas() -> duckdb.DuckDBPyConnection:
    """`t` in schema `a` with one column, and in schema `b` with two; search_path finds `a`'s."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA a; CREATE SCHEMA b")
    con.execute("CREATE TABLE a.t AS SELECT 1 AS x; CREATE TABLE b.t AS SELECT 1 AS x, NULL AS y")
    con.execute("SET search_path = 'a'")
    return con


def _scan(con: duckdb.DuckDBPyConnection, checks: str, schema: str | None) -> Scan:
    scan = Scan()
    scan.disable_telemetry()
    scan.add_duckdb_connection(con, "source")
    if schema:
        scope_data_source(scan, "source", schema)
    scan.set_data_source_name("source")
    scan.add_sodacl_yaml_str(checks)
    return scan


def test_soda_schema_checks_read_the_scoped_schema() -> None:
    checks = "checks for t:\n  - schema:\n      fail:\n        when required column missing: [y]\n"
    outcomes = {}
    for schema in ("a", "b"):
        scan = _scan(_two_schemas(), checks, schema)
        scan.execute()
        (result,) = scan.get_scan_results()["checks"]
        outcomes[schema] = result["outcome"]
    assert outcomes == {"a": "fail", "b": "pass"}, "Soda ignored the data source's schema"


def test_soda_samples_name_their_table() -> None:
    seen = []

    class Recorder(Sampler):
        logs = None

        def store_sample(self, sample_context):
            seen.append((sample_table(sample_context), sample_context.check_name))

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT NULL AS x")
    scan = _scan(con, "checks for t:\n  - missing_count(x) = 0\n", None)
    scan.sampler = Recorder()
    scan.execute()
    assert seen == [("t", "missing_count(x) = 0")]


def test_soda_data_sources_close_their_connections() -> None:
    """`close_data_sources` reaches the connections a scan's data sources hold: Soda leaves
    them open (a PostgreSQL one idle in a transaction that holds off a later load)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    scan = _scan(con, "checks for t:\n  - row_count > 0\n", None)
    scan.execute()

    close_data_sources(scan)

    with pytest.raises(duckdb.ConnectionException):
        con.execute("SELECT 1")


def test_sqlmesh_audit_results_carry_count_query_and_blocking(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.sql").write_text(
        "MODEL (name s.m, kind FULL, audits (not_null(columns := (x)),"
        " unique_values(columns := (x), blocking := false)));\n"
        "SELECT x::INT AS x FROM (VALUES (1), (2)) AS v(x)\n"
    )
    config = Config(
        gateways={"local": GatewayConfig(connection=DuckDBConnectionConfig())},
        default_gateway="local",
        model_defaults=ModelDefaultsConfig(dialect="duckdb"),
    )
    context = Context(paths=tmp_path, config=config)
    context.plan(auto_apply=True, no_prompts=True, skip_tests=True)
    snapshots = {s.name: s for s in context.snapshots.values()}
    (table,) = [s.table_name() for s in snapshots.values()]
    context.engine_adapter.execute(f"INSERT INTO {table} VALUES (NULL), (2)")

    results = run_sqlmesh_audits(context.engine_adapter, snapshots, {}, None, "2100-01-01")

    found = {r.check.split("(")[0]: r for r in results}
    assert set(found) == {"not_null", "unique_values"}
    assert found["not_null"].status is Status.FAIL and found["not_null"].failing_rows == 1
    assert found["unique_values"].status is Status.WARN and found["unique_values"].failing_rows
    assert "SELECT" in found["not_null"].query.upper()


def test_sqlmesh_state_says_which_models_an_apply_evaluated(tmp_path: Path) -> None:
    """`applied_models` reads SQLMesh's state through `EngineAdapterStateSync` on the
    warehouse's adapter: a model it evaluated carries a `last_altered_ts` of that time."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "v.sql").write_text("MODEL (name s.v, kind VIEW);\nSELECT 1 AS x\n")
    config = Config(
        # A file: an in-memory DuckDB keeps SQLMesh's state on a connection of its own.
        gateways={
            "local": GatewayConfig(
                connection=DuckDBConnectionConfig(database=str(tmp_path / "w.duckdb"))
            )
        },
        default_gateway="local",
        model_defaults=ModelDefaultsConfig(dialect="duckdb"),
    )
    context = Context(paths=tmp_path, config=config)
    before = datetime.now(UTC).replace(tzinfo=None)
    context.plan(auto_apply=True, no_prompts=True, skip_tests=True)
    after = datetime.now(UTC).replace(tzinfo=None)
    snapshots = {s.name: s for s in context.snapshots.values()}

    applied = applied_models(context.engine_adapter, snapshots, before)
    assert applied.evaluated == {s.snapshot_id for s in snapshots.values()}
    assert applied.behind == frozenset()
    assert applied_models(context.engine_adapter, snapshots, after).evaluated == frozenset()
