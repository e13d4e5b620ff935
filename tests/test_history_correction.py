"""A correction reaches history: a bad day fixed and restated leaves the type 2 history models
as a clean load of the corrected day would have."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from sqlmesh import Context

from greenery.project import open_context
from ingest.generate import generate
from tests.conftest import END, START
from tests.warehouse_builds import after, copy_of, land, query

HISTORY = {
    "snapshots.products_history": "product_id, valid_from",
    "core.dim_products": "product_id",
}


def _corrupt(day: Path, bad: Path) -> tuple[str, str]:
    """A copy of the day's export with one product's inventory and one order's tracking id
    wrong: values the contract accepts, so only a person could tell. Returns their keys."""
    shutil.copytree(day, bad)
    changed = []
    for table, column, wrong in (("products", "inventory", "9999"), ("orders", "tracking_id", "X")):
        path = bad / f"{table}.csv"
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows, f"the day's export should hold {table} that changed"
        rows[0][column] = wrong
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        changed.append(rows[0][f"{table[:-1]}_id"])
    return changed[0], changed[1]


#: Models incremental by key, rebuilt whole by the restatement, with their load columns:
#: `_loaded_at` says when the rows they were computed from landed, `_processed_after` which
#: batch wrote them, so both differ from a clean load's and are left out.
BY_KEY = {
    "intermediate.int_order_items__priced": (
        "order_id, product_id",
        "_loaded_at, _processed_after",
    ),
    "core.fct_orders": ("order_id", "_loaded_at"),
    "marketing.user_order_totals": ("user_id", "_loaded_at"),
    "snapshots.order_status_history": ("order_id, valid_from", "_loaded_at"),
}


def _history(context: Context) -> dict[str, list[tuple]]:
    history = {t: query(context, f"SELECT * FROM {t} ORDER BY {key}") for t, key in HISTORY.items()}
    for t, (key, load_columns) in BY_KEY.items():
        history[t] = query(context, f"SELECT * EXCLUDE ({load_columns}) FROM {t} ORDER BY {key}")
    return history


def test_a_corrected_day_restated_gives_the_history_of_a_clean_load(
    built_until_previous_day: Path, tmp_path: Path
) -> None:
    """Both warehouses start as copies of one build up to the day before END (conftest)."""
    day = tmp_path / "day"
    generate(day, scale=0.5, seed=11, start=START, end=END, only_day=END)
    product, order = _corrupt(day, tmp_path / "bad-day")

    faulty_warehouse = copy_of(built_until_previous_day, tmp_path / "faulty")
    faulty = open_context(faulty_warehouse)
    land(tmp_path / "bad-day", faulty_warehouse)
    faulty.run(execution_time=after(END))
    wrong = query(
        faulty,
        "SELECT inventory FROM snapshots.products_history "
        f"WHERE product_id = '{product}' AND valid_to IS NULL",
    )
    assert wrong == [(9999,)], "the bad value should have reached history first"

    # The fix: the corrected export of the same day, landed, then the day restated.
    land(day, faulty_warehouse)
    faulty.plan(
        restate_models=["staging.*", "snapshots.*", "core.*"],
        start=END,
        end=END,
        execution_time=after(END),
        auto_apply=True,
        no_prompts=True,
    )

    clean_warehouse = copy_of(built_until_previous_day, tmp_path / "clean")
    clean = open_context(clean_warehouse)
    land(day, clean_warehouse)
    clean.run(execution_time=after(END))
    expected = _history(clean)
    assert _history(faulty) == expected
    # The history is not trivial: the day moved the product and the order to a new version.
    for table, key, value in (
        ("snapshots.products_history", "product_id", product),
        ("snapshots.order_status_history", "order_id", order),
    ):
        versions = query(clean, f"SELECT count(*) FROM {table} WHERE {key} = '{value}'")[0][0]
        assert versions >= 1, table
    assert (
        query(clean, "SELECT count(*) FROM snapshots.products_history WHERE valid_to IS NOT NULL")[
            0
        ][0]
        > 0
    )
