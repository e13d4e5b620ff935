"""A full build on freshly generated data: every audit passes, nothing is lost, runs are daily."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmesh import Context

from greenery.project import open_context
from ingest.generate import generate
from monitor.checks.audits import run_sqlmesh_audits
from tests.conftest import END, START
from tests.warehouse_builds import after, build, copy_of, failing_audits, land, query

RECONCILIATION = "quality.staging_reconciliation"
#: A base model's load columns: when, from which file and line a row landed, which batch wrote it.
LANDED_IN_BATCHES = ("_loaded_at", "_source_file", "_source_line", "_processed_after")


@pytest.fixture(scope="module")
def built(built_generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Context:
    """The session's build of the generated data (conftest), read through this module's copy."""
    return open_context(copy_of(built_generated, tmp_path_factory.mktemp("built")))


def test_every_audit_passes_blocking_and_warning_alike(built: Context) -> None:
    assert failing_audits(built, START, END) == []


def test_every_raw_row_is_kept_or_rejected(built: Context) -> None:
    rows = query(
        built,
        "SELECT source_table, delivered_rows, kept_rows, rejected_rows, pending_rows "
        "FROM quality.staging_reconciliation ORDER BY source_table",
    )
    assert len(rows) == 7
    for table, delivered, kept, rejected, pending in rows:
        assert delivered == kept + rejected > 0, table
        assert rejected == pending == 0, f"generated {table}: no rule broken, every day processed"


def test_marts_answer_the_questions(built: Context) -> None:
    purchasers, repeaters, rate = query(
        built, "SELECT purchasers, repeat_purchasers, repeat_rate FROM marketing.repeat_rate"
    )[0]
    buyers = query(built, "SELECT count(DISTINCT user_id) FROM staging.stg_greenery__orders")[0][0]
    assert purchasers == buyers
    assert rate == pytest.approx(repeaters / purchasers)
    assert 0.6 < rate < 0.95

    segments = dict(
        query(built, "SELECT buyer_segment, users FROM marketing.repeat_purchase_indicators")
    )
    assert set(segments) == {"none", "one-time", "repeat"}
    assert segments["repeat"] == repeaters

    sessions = query(built, "SELECT count(*) FROM core.fct_sessions")[0][0]
    distinct = query(built, "SELECT count(DISTINCT session_id) FROM staging.stg_greenery__events")
    assert sessions == distinct[0][0]

    funnel = query(
        built, "SELECT sum(sessions), sum(sessions_with_checkout) FROM product.session_funnel"
    )
    orders = query(built, "SELECT count(*) FROM core.fct_orders")[0][0]
    assert funnel[0] == (sessions, orders)


def test_a_daily_run_processes_only_the_new_day(
    built_until_previous_day: Path, tmp_path: Path
) -> None:
    """Built up to the day before END (conftest), land END, `run`: same marts as one build up
    to END."""
    latest = tmp_path / "until-end"
    generate(latest, scale=0.5, seed=11, start=START, end=END)

    warehouse = copy_of(built_until_previous_day, tmp_path / "daily")
    daily = open_context(warehouse)
    land(latest, warehouse)
    daily.run(execution_time=after(END))
    processed = query(
        daily,
        "SELECT count(*) FROM core.fct_sessions WHERE started_at >= "
        f"DATE '{END - timedelta(days=1)}'",
    )[0][0]

    full = build(latest, tmp_path / "full.duckdb", last_day=END)
    tables = {
        "core.fct_sessions": "session_id",
        "product.fct_product_daily": "product_id, activity_date",
        "product.session_funnel": "session_date",
        "marketing.fct_user_orders": "user_id",
    }
    # Incremental by key: a daily run computes only the keys the new day's load replaced. Their
    # load columns say when and from which file the loader landed a row, and which batch wrote
    # it, so they differ between a history landed in two loads and one load of it all; every
    # other column must not.
    by_key = {
        "staging.base_greenery__orders": LANDED_IN_BATCHES,
        "staging.base_greenery__order_items": LANDED_IN_BATCHES,
        "staging.base_greenery__users": LANDED_IN_BATCHES,
        "staging.base_greenery__addresses": LANDED_IN_BATCHES,
        "intermediate.int_order_items__priced": ("_loaded_at", "_processed_after"),
        "core.fct_orders": ("_loaded_at",),
        "product.fct_order_products": ("_loaded_at",),
        "marketing.user_order_totals": ("_loaded_at",),
    }
    for table, key in tables.items():
        sql = f"SELECT * FROM {table} ORDER BY {key}"
        assert query(daily, sql) == query(full, sql), table
    for table, load_columns in by_key.items():
        sql = f"SELECT * EXCLUDE ({', '.join(load_columns)}) FROM {table} ORDER BY ALL"
        assert query(daily, sql) == query(full, sql), table
    # Two loads make two versions where one load makes one, so the history is compared with
    # the daily warehouse's own full rebuild: the model's query rendered outside a run.
    history = "snapshots.order_status_history"
    rebuilt = daily.render(history).sql(dialect="duckdb")
    assert query(daily, f"SELECT * FROM {history} ORDER BY ALL") == query(
        daily, f"SELECT * FROM ({rebuilt}) ORDER BY ALL"
    )
    assert query(daily, f"SELECT count(*) FROM {history} WHERE valid_to IS NOT NULL")[0][0] > 0
    assert processed > 0
    _the_keyed_audits_judge_the_newest_batch(daily, full)


def _the_keyed_audits_judge_the_newest_batch(daily: Context, full: Context) -> None:
    """A full build's rows are one batch; a daily run's keys are the newest batch, which its
    audits judge (@in_newest_batch): a duplicate key written there blocks. Last, as it leaves
    the duplicate in the daily warehouse."""
    orders = "staging.base_greenery__orders"
    batches = f"SELECT _processed_after, count(*) FROM {orders} GROUP BY 1 ORDER BY 1"
    assert [epoch for epoch, _ in query(full, batches)] == [datetime(1970, 1, 1)]
    (_, older), (_, newest) = query(daily, batches)
    assert 0 < newest < older

    table = daily.get_snapshot(orders).table_name()
    daily.engine_adapter.execute(
        f"INSERT INTO {table} SELECT * REPLACE (_source_line + 100000 AS _source_line) "
        f"FROM {table} WHERE rejected_because IS NULL "
        f"AND _processed_after = (SELECT max(_processed_after) FROM {table}) LIMIT 1"
    )
    audited = {s.name: s for s in map(daily.get_snapshot, (orders, RECONCILIATION))}
    results = run_sqlmesh_audits(daily.engine_adapter, audited, {}, START, END)
    failing = [r for r in results if r.status.is_problem]
    # The duplicate also leaves staging holding one row more than raw: the reconciliation's.
    assert {(r.dataset, r.check.split("(")[0]) for r in failing} == {
        (orders, "unique_combination_of_columns"),
        (RECONCILIATION, "forall"),
    }
