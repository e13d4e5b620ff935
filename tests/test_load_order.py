"""Exports land in order: an older export is refused, and replaying one never reverts state."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.cli import main as ingest_main
from ingest.generate import generate
from ingest.load import LoadError, load
from ingest.schema import RAW_TABLES

START = date(2026, 11, 20)
DAYS = (date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The same shop exported at the end of three successive days."""
    root = tmp_path_factory.mktemp("history")
    dirs = []
    for day in DAYS:
        out = root / day.isoformat()
        generate(out, scale=0.5, seed=7, start=START, end=day)
        dirs.append(out)
    return dirs


def _content(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every raw row without the loader's bookkeeping, in a stable order."""
    return {
        t.name: con.execute(
            f"SELECT * EXCLUDE (_loaded_at, _source_file, _source_line) "
            f"FROM {t.qualified_name} ORDER BY ALL"
        ).fetchall()
        for t in RAW_TABLES
    }


def _everything(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    tables = [*(t.qualified_name for t in RAW_TABLES), "raw._load_log"]
    return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def test_replaying_history_out_of_order_ends_as_landing_it_in_order(
    history: list[Path], tmp_path: Path
) -> None:
    day1, day2, day3 = history
    in_order = duckdb.connect(str(tmp_path / "in_order.duckdb"))
    for export in (day1, day2, day3):
        load(export, in_order)
    replayed = duckdb.connect(str(tmp_path / "replayed.duckdb"))
    load(day3, replayed)
    for export in (day1, day2):
        load(export, replayed, allow_older=True)

    expected = _content(in_order)
    assert _content(replayed) == expected
    # The history is not trivial: orders moved on between the days, so the guard did work.
    statuses = in_order.execute(
        f"SELECT count(*) FROM read_csv('{day1 / 'orders.csv'}') AS a "
        f"JOIN read_csv('{day3 / 'orders.csv'}') AS b USING (order_id) WHERE a.status <> b.status"
    ).fetchone()[0]
    assert statuses > 0
    log = replayed.execute(
        "SELECT table_name, newest_as_of IS NOT NULL, length(fingerprint) FROM raw._load_log "
        "WHERE table_name IN ('orders', 'products') ORDER BY loaded_at LIMIT 2"
    ).fetchall()
    assert sorted(log) == [("orders", True, 64), ("products", False, 64)]


def test_an_older_export_is_refused_and_changes_nothing(
    history: list[Path], tmp_path: Path
) -> None:
    _, day2, day3 = history
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load(day3, con)
    before = _everything(con)

    with pytest.raises(LoadError) as refused:
        load(day2, con)

    message = str(refused.value)
    assert "Nothing was loaded" in message and "--allow-older" in message
    newest, held = re.findall(r"(?:from|up to) (\d{4}-\d{2}-\d{2} \d{2}:\d{2})", message)[:2]
    assert newest < held and held.startswith("2026-11-26")
    assert str(day3) in message
    assert refused.value.table in {"users", "orders", "events"}
    assert f"warehouse already holds {refused.value.table} up to" in message
    assert _everything(con) == before


def test_reloading_the_same_export_is_not_refused(history: list[Path], tmp_path: Path) -> None:
    day1, _, day3 = history
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load(day1, con)
    load(day3, con)
    before = _content(con)
    results = load(day3, con)
    assert all(r.rows_inserted == 0 for r in results)
    # The older export landed before is the very same file: a no-op, not a refusal.
    results = load(day1, con)
    assert all(r.rows_inserted == 0 and r.rows_replaced == 0 for r in results)
    assert _content(con) == before


def test_the_command_refuses_and_takes_allow_older(
    history: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, day2, day3 = history
    warehouse = tmp_path / "w.duckdb"
    assert ingest_main(["load", str(day3), "--warehouse", str(warehouse)]) == 0
    capsys.readouterr()
    assert ingest_main(["load", str(day2), "--warehouse", str(warehouse)]) != 0
    assert "--allow-older" in capsys.readouterr().err
    assert ingest_main(["load", str(day2), "--warehouse", str(warehouse), "--allow-older"]) == 0


def test_an_old_load_log_gains_the_new_columns(history: list[Path], tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw._load_log (loaded_at TIMESTAMPTZ, table_name VARCHAR, "
        "source_file VARCHAR, rows_in_file BIGINT, rows_inserted BIGINT, rows_replaced BIGINT)"
    )
    con.execute("INSERT INTO raw._load_log VALUES (now(), 'orders', 'old.csv', 1, 1, 0)")
    load(history[0], con)
    assert con.execute(
        "SELECT count(*) FROM raw._load_log WHERE fingerprint IS NOT NULL"
    ).fetchone()[0] == len(RAW_TABLES)
