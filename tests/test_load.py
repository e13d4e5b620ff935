"""The loader: idempotent, incremental by day, and strict about malformed input."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from ingest.cli import main as ingest_main
from ingest.generate import generate
from ingest.load import LoadError, load
from ingest.schema import RAW_TABLES
from tests.conftest import END, START


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every raw row, bookkeeping included, in a stable order."""
    return {
        t.name: con.execute(f"SELECT * FROM {t.qualified_name} ORDER BY ALL").fetchall()
        for t in RAW_TABLES
    }


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def test_loading_the_same_files_twice_changes_nothing(generated_dir: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    first = load(generated_dir, con)
    before = _snapshot(con)
    second = load(generated_dir, con)

    assert all(r.rows_inserted == r.rows_in_file > 0 for r in first)
    assert all(r.rows_inserted == 0 and r.rows_replaced == 0 for r in second)
    assert _snapshot(con) == before


def test_day_by_day_landing_equals_one_full_load(tmp_path: Path) -> None:
    """Land each day's export in turn (re-running one day), then compare with a single load."""
    daily = duckdb.connect(str(tmp_path / "daily.duckdb"))
    day = START
    while day <= END:
        out = tmp_path / f"day-{day}"
        generate(out, scale=0.5, seed=3, start=START, end=day)
        load(out, daily)
        if day == START + timedelta(days=1):
            assert all(r.rows_inserted == 0 for r in load(out, daily)), "a re-run duplicated rows"
        day += timedelta(days=1)

    full = duckdb.connect(str(tmp_path / "full.duckdb"))
    load(tmp_path / f"day-{END}", full)
    for table in RAW_TABLES:
        columns = ", ".join(table.columns)
        query = f"SELECT {columns} FROM {table.qualified_name} ORDER BY ALL"
        assert daily.execute(query).fetchall() == full.execute(query).fetchall(), table.name

    first_load = daily.execute("SELECT min(_loaded_at) FROM raw.orders").fetchone()[0]
    orders_moved = daily.execute(
        "SELECT count(*) FROM raw.orders WHERE _loaded_at > ?", [first_load]
    ).fetchone()[0]
    assert orders_moved > 0, "later days should add orders or advance their status"


@pytest.mark.parametrize(
    ("file", "line", "edit", "expected"),
    [
        (
            "orders.csv",
            6,
            lambda row: row.replace("Z,", "not-a-time,", 1),
            ["orders.csv, line 6, column created_at", "not-a-time"],
        ),
        (
            "order_items.csv",
            4,
            lambda row: row.rsplit(",", 1)[0] + ",two",
            ["order_items.csv, line 4, column quantity", "two"],
        ),
        (
            "events.csv",
            8,
            lambda row: row + ",extra",
            ["events.csv, line 8", "too many columns"],
        ),
        (
            "events.csv",
            5,
            lambda row: re.sub(r",\d{4}-\d\d-\d\dT[^,]*,", ",,", row, count=1),
            ["events.csv, line 5, column created_at", "missing", "processed by created_at"],
        ),
        (
            "users.csv",
            1,
            lambda row: row.replace("email", "e_mail"),
            [
                "users.csv, line 1 (header)",
                "missing column(s) email",
                "unexpected column(s) e_mail",
            ],
        ),
    ],
    ids=["bad-timestamp", "bad-integer", "extra-field", "event-without-time", "renamed-column"],
)
def test_malformed_input_is_refused_and_nothing_is_lost(
    generated_dir: Path,
    tmp_path: Path,
    file: str,
    line: int,
    edit: Callable[[str], str],
    expected: list[str],
) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load(generated_dir, con)
    before = _snapshot(con)

    bad = _copy(generated_dir, tmp_path / "bad")
    rows = (bad / file).read_text().splitlines()
    rows[line - 1] = edit(rows[line - 1])
    (bad / file).write_text("\n".join(rows) + "\n")
    with pytest.raises(LoadError) as refused:
        load(bad, con)

    for fragment in expected:
        assert fragment in str(refused.value)
    assert _snapshot(con) == before


def test_cli_reports_malformed_input_without_a_traceback(
    generated_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _copy(generated_dir, tmp_path / "bad")
    (bad / "promos.csv").write_text("promo_id,discount,status\nspring,ten,active\n")

    code = ingest_main(["load", str(bad), "--warehouse", str(tmp_path / "w.duckdb")])

    err = capsys.readouterr().err
    assert code == 2
    assert "promos.csv, line 2, column discount" in err
    assert "Traceback" not in err


def test_a_folder_without_greenery_files_is_refused(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(LoadError, match="none of the expected files"):
        load(tmp_path, con)


def test_timestamps_with_offsets_land_as_utc(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "promos.csv").write_text("promo_id,discount,status\nspring,5,active\n")
    (folder / "users.csv").write_text(
        "user_id,first_name,last_name,email,phone_number,created_at,updated_at,address_id\n"
        "u1,A,B,a@b.co,555-555-5555,2021-02-11T23:30:34+02:00,2021-02-11T21:30:34Z,a1\n"
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load(folder, con)
    created, updated = con.execute("SELECT created_at, updated_at FROM raw.users").fetchone()
    assert created == updated
    assert str(created) == "2021-02-11 21:30:34"


def test_a_file_the_csv_reader_cannot_parse_is_named(generated_dir: Path, tmp_path: Path) -> None:
    bad = _copy(generated_dir, tmp_path / "bad")
    with (bad / "addresses.csv").open("a", newline="") as handle:
        handle.write('a-1,"1 Main St,12345,Ohio,United States\r\n')
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(LoadError, match=r"addresses\.csv"):
        load(bad, con)
    assert con.execute("SELECT count(*) FROM raw.addresses").fetchone() == (0,)
