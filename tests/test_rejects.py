"""Bad raw rows are routed to staging.stg_greenery__rejects with their rule, never dropped."""

from __future__ import annotations

import csv
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmesh import Context
from sqlmesh.utils import CompletionStatus

from greenery.project import open_context
from tests.conftest import END
from tests.warehouse_builds import after, build, copy_of, failing_audits, query


def _append_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(newline="") as handle:
        header = next(csv.reader(handle))
    with path.open("a", newline="") as handle:
        csv.DictWriter(handle, header, lineterminator="\n").writerows(rows)


def _first_row(path: Path) -> dict[str, str]:
    with path.open(newline="") as handle:
        return next(csv.DictReader(handle))


@pytest.fixture(scope="module")
def faulty(generated_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Context:
    """Generated data plus one row breaking each kind of staging rule."""
    raw = tmp_path_factory.mktemp("faulty") / "raw"
    shutil.copytree(generated_dir, raw)
    item = _first_row(raw / "order_items.csv")
    order = _first_row(raw / "orders.csv")
    address = _first_row(raw / "addresses.csv")
    event = _first_row(raw / "events.csv")
    _append_rows(
        raw / "order_items.csv",
        [
            {**item, "quantity": "3"},  # the same order line again
            {**item, "product_id": "p-negative", "quantity": "-2"},
        ],
    )
    _append_rows(raw / "orders.csv", [{**order, "order_id": "o-lost", "status": "lost"}])
    _append_rows(raw / "addresses.csv", [{**address, "address_id": "a-bad", "zipcode": "9021"}])
    _append_rows(raw / "addresses.csv", [{**address, "address_id": "a-text", "zipcode": "AB123"}])
    _append_rows(
        raw / "events.csv",
        [
            {**event, "event_id": ""},
            {**event, "page_url": "https://greenery.example/again"},
            {
                **event,
                "event_id": "e-next-day",
                "created_at": f"{END + timedelta(days=1)}T08:00:00Z",
            },
        ],
    )
    return build(raw, raw.parent / "greenery.duckdb", last_day=END)


def test_each_bad_row_is_rejected_with_its_rule(faulty: Context) -> None:
    rejected = query(
        faulty,
        "SELECT source_table, source_key, rejected_because FROM staging.stg_greenery__rejects "
        "ORDER BY ALL",
    )
    keys = {(table, rule) for table, _, rule in rejected}
    assert keys == {
        ("order_items", "duplicate_key"),
        ("order_items", "non_positive_quantity"),
        ("orders", "invalid_status"),
        ("addresses", "invalid_zipcode"),
        ("events", "missing_key"),
        ("events", "duplicate_key"),
    }
    assert len(rejected) == 6
    assert ("orders", "o-lost", "invalid_status") in rejected


def test_of_a_key_loaded_twice_in_one_file_the_first_line_is_kept(faulty: Context) -> None:
    kept, rejected_line = query(
        faulty,
        "SELECT (SELECT page_url FROM staging.stg_greenery__events WHERE event_id = r.source_key),"
        " r._source_line FROM staging.stg_greenery__rejects AS r "
        "WHERE r.source_table = 'events' AND r.rejected_because = 'duplicate_key'",
    )[0]
    assert kept != "https://greenery.example/again"
    assert rejected_line > 2


def test_zipcodes_that_lost_a_leading_zero_are_repaired(faulty: Context) -> None:
    assert query(
        faulty, "SELECT zipcode FROM staging.stg_greenery__addresses WHERE address_id = 'a-bad'"
    ) == [("09021",)]


def test_rejected_rows_keep_their_origin(faulty: Context) -> None:
    file, line, record = query(
        faulty,
        "SELECT _source_file, _source_line, record::VARCHAR FROM staging.stg_greenery__rejects "
        "WHERE source_key = 'o-lost'",
    )[0]
    assert file.endswith("orders.csv")
    lines = Path(file).read_text().splitlines()
    assert lines[line - 1].startswith("o-lost,")
    assert '"status":"lost"' in record.replace(" ", "")


def test_counts_reconcile_table_by_table(faulty: Context) -> None:
    rows = query(
        faulty,
        "SELECT source_table, delivered_rows, kept_rows, rejected_rows, pending_rows "
        "FROM quality.staging_reconciliation",
    )
    assert all(d == kept + rejected + pending for _, d, kept, rejected, pending in rows)
    assert sum(rejected for *_, rejected, _ in rows) == 6


def test_events_after_the_processed_days_are_pending_not_lost(faulty: Context) -> None:
    """An event of a day no run has processed yet is counted as pending, not as missing."""
    pending = dict(
        query(faulty, "SELECT source_table, pending_rows FROM quality.staging_reconciliation")
    )
    assert pending == {table: int(table == "events") for table in pending}
    staged = query(
        faulty, "SELECT count(*) FROM staging.base_greenery__events WHERE event_id = 'e-next-day'"
    )
    assert staged == [(0,)]


def test_marts_see_only_clean_rows(faulty: Context) -> None:
    assert query(faulty, "SELECT min(quantity) FROM product.fct_order_products")[0][0] >= 1
    assert query(faulty, "SELECT count(*) FROM core.fct_orders WHERE order_id = 'o-lost'") == [(0,)]


def test_rows_landed_since_the_last_run_are_pending_or_superseded(faulty: Context) -> None:
    """Between a load and the next run, a replaced order's new row is pending and its old row,
    which staging still holds, superseded; a new order and a new user are pending. The counts
    reconcile before the run takes them (in a transaction rolled back: the build stays)."""
    connection = faulty.engine_adapter.connection
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(
            """
            CREATE TEMP TABLE landed AS SELECT * FROM raw.orders ORDER BY order_id LIMIT 1;
            DELETE FROM raw.orders WHERE order_id = (SELECT order_id FROM landed);
            INSERT INTO raw.orders SELECT * REPLACE (
                'next.csv' AS _source_file, now()::TIMESTAMP AS _loaded_at)
            FROM landed;
            INSERT INTO raw.orders SELECT * REPLACE (
                'o-next' AS order_id, 'next.csv' AS _source_file, 2 AS _source_line,
                now()::TIMESTAMP AS _loaded_at)
            FROM landed;
            INSERT INTO raw.users SELECT * REPLACE (
                'u-next' AS user_id, 'next.csv' AS _source_file, now()::TIMESTAMP AS _loaded_at)
            FROM raw.users LIMIT 1
            """
        )
        rows = connection.execute(
            "SELECT source_table, delivered_rows, superseded_rows, kept_rows, rejected_rows, "
            "pending_rows FROM quality.staging_reconciliation"
        ).fetchall()
    finally:
        connection.execute("ROLLBACK")

    assert all(d + s == k + r + p for _, d, s, k, r, p in rows), rows
    counts = {table: (superseded, pending) for table, _, superseded, _, _, pending in rows}
    assert counts["orders"] == (1, 2)
    assert counts["users"] == (0, 1)
    assert counts["products"] == (0, 0)


def test_a_row_landed_behind_the_processed_loads_breaks_the_reconciliation(
    faulty: Context,
) -> None:
    """A raw row stamped before the newest load its base model holds is one no run will take
    (a run reads the keys loaded since then): it is not pending, and the equation the
    blocking audit enforces no longer holds for its table alone."""
    connection = faulty.engine_adapter.connection
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(
            """
            INSERT INTO raw.orders SELECT * REPLACE (
                'o-behind' AS order_id, 'by-hand.csv' AS _source_file,
                _loaded_at - INTERVAL 1 DAY AS _loaded_at)
            FROM raw.orders LIMIT 1
            """
        )
        rows = connection.execute(
            "SELECT source_table, delivered_rows + superseded_rows - kept_rows - rejected_rows "
            "- pending_rows FROM quality.staging_reconciliation"
        ).fetchall()
    finally:
        connection.execute("ROLLBACK")

    assert dict(rows) == {table: int(table == "orders") for table, _ in rows}


def test_a_raw_row_deleted_without_a_new_delivery_breaks_the_reconciliation(
    faulty: Context,
) -> None:
    """A row is superseded only when its key was delivered again (the loader replaces a key's
    rows whole); a raw row deleted by hand leaves staging holding a row nothing explains, and
    the equation breaks for its table alone, by that row."""
    connection = faulty.engine_adapter.connection
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(
            "DELETE FROM raw.users WHERE user_id = (SELECT min(user_id) FROM raw.users)"
        )
        rows = connection.execute(
            "SELECT source_table, kept_rows + rejected_rows + pending_rows - delivered_rows "
            "- superseded_rows FROM quality.staging_reconciliation"
        ).fetchall()
    finally:
        connection.execute("ROLLBACK")

    assert dict(rows) == {table: int(table == "users") for table, _ in rows}


def test_an_event_delivered_again_on_a_later_day_blocks_the_run(
    built_until_previous_day: Path, tmp_path: Path
) -> None:
    """The events' audits judge each processed interval only (base_greenery__events). An event
    delivered again, dated within the next run's lookback, leaves its row of an older day
    behind: a duplicate no interval's audit sees. The reconciliation's blocking audit does,
    since staging then keeps more events than raw holds."""
    context = open_context(copy_of(built_until_previous_day, tmp_path))
    moved = END - timedelta(days=1)
    context.engine_adapter.execute(
        f"""
        CREATE TEMP TABLE oldest AS SELECT * FROM raw.events ORDER BY created_at, event_id LIMIT 1;
        DELETE FROM raw.events WHERE event_id = (SELECT event_id FROM oldest);
        INSERT INTO raw.events SELECT * REPLACE (
            TIMESTAMP '{moved} 09:00:00' AS created_at, 'again.csv' AS _source_file,
            now()::TIMESTAMP AS _loaded_at)
        FROM oldest
        """
    )

    assert context.run(execution_time=after(END)) == CompletionStatus.FAILURE

    failing = failing_audits(context, moved, END)
    assert [result.dataset for result in failing] == ["quality.staging_reconciliation"]

    (event,) = query(context, "SELECT event_id FROM oldest")[0]
    kept = query(
        context, f"SELECT count(*) FROM staging.stg_greenery__events WHERE event_id = '{event}'"
    )
    assert kept == [(2,)]
