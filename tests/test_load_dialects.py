"""The loader holds the contract's value rules and reads the CSV dialects real exports have.

Every refusal names the file, the line as an editor counts it, and the column; a refused load
writes nothing.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.cli import main as ingest_main
from ingest.load import LoadError, load
from ingest.schema import RAW_TABLES


def _snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {
        t.name: con.execute(f"SELECT * FROM {t.qualified_name} ORDER BY ALL").fetchall()
        for t in RAW_TABLES
    }


@pytest.fixture
def loaded(generated_dir: Path, tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A warehouse holding the generated export, and a copy of that export to spoil."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load(generated_dir, con)
    return con, Path(shutil.copytree(generated_dir, tmp_path / "export"))


def _set_field(path: Path, line: int, column: str, value: str) -> None:
    """Write `value` (raw CSV text) into `column` on `line` (1-based, header is line 1)."""
    lines = path.read_bytes().split(b"\n")
    index = lines[0].decode().split(",").index(column)
    fields = lines[line - 1].split(b",")
    fields[index] = value.encode("latin-1")
    lines[line - 1] = b",".join(fields)
    path.write_bytes(b"\n".join(lines))


def _refused(con: duckdb.DuckDBPyConnection, export: Path, *fragments: str) -> str:
    before = _snapshot(con)
    with pytest.raises(LoadError) as refused:
        load(export, con)
    message = str(refused.value)
    for fragment in fragments:
        assert fragment in message, message
    assert _snapshot(con) == before
    return message


@pytest.mark.parametrize(
    ("file", "line", "column", "value"),
    [
        ("order_items.csv", 3, "quantity", "2.5"),
        ("order_items.csv", 4, "quantity", "1e3"),
        ("order_items.csv", 5, "quantity", "0x10"),
        ("order_items.csv", 6, "quantity", "1_000"),
        ("order_items.csv", 6, "quantity", "99999999999"),
        ("promos.csv", 2, "discount", " 5"),
        ("products.csv", 3, "price", "inf"),
        ("products.csv", 4, "price", "NaN"),
        ("products.csv", 5, "price", "12345678901.5"),
        ("orders.csv", 7, "order_total", "9999999999.999"),
        ("orders.csv", 8, "shipping_cost", "-1e10"),
        ("orders.csv", 9, "created_at", "2026-03-01"),
        ("orders.csv", 9, "delivered_at", "03/01/2026 10:00:00"),
    ],
)
def test_a_value_outside_the_contract_rules_is_refused(
    loaded: tuple[duckdb.DuckDBPyConnection, Path], file: str, line: int, column: str, value: str
) -> None:
    con, export = loaded
    _set_field(export / file, line, column, value)
    _refused(con, export, f"{file}, line {line}, column {column}", f'"{value}"')


def test_values_inside_the_rules_load(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "products.csv").write_text(
        "product_id,name,price,inventory\n"
        "p1,Fern,+12.5,007\n"
        "p2,Palm,1.5e2,-3\n"
        "p3,Moss,9999999999.99,2147483647\n"
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load(export, con)
    assert con.execute("SELECT price, inventory FROM raw.products ORDER BY 1").fetchall() == [
        (12.5, 7),
        (150.0, -3),
        (9999999999.99, 2147483647),
    ]


def test_a_byte_order_mark_and_crlf_load_like_plain_lf(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, export = loaded
    before = _snapshot(con)
    for name in ("users.csv", "addresses.csv"):
        text = (export / name).read_bytes()
        (export / name).write_bytes(b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n"))
    results = load(export, con)
    assert all(r.rows_inserted == r.rows_replaced == 0 for r in results)
    assert _snapshot(con) == before


def test_quoted_line_breaks_load_with_the_line_each_record_starts_on(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "addresses.csv").write_bytes(
        b"address_id,address,zipcode,state,country\r\n"
        b'a1,"1 Main St\r\nFlat 2",12345,Ohio,United States\r\n'
        b'a2,"2 Elm St\r\n\r\nBack door",23456,Iowa,United States\r\n'
        b"a3,3 Oak St,34567,Utah,United States\r\n"
        b"\r\n"
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load(export, con)
    assert con.execute(
        "SELECT address_id, address, country, _source_line FROM raw.addresses ORDER BY 1"
    ).fetchall() == [
        ("a1", "1 Main St\r\nFlat 2", "United States", 2),
        ("a2", "2 Elm St\r\n\r\nBack door", "United States", 4),
        ("a3", "3 Oak St", "United States", 7),
    ]


def test_a_bad_value_after_a_quoted_line_break_is_named_by_its_editor_line(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, export = loaded
    path = export / "order_items.csv"
    lines = path.read_text().split("\n")
    order_id, product_id, _ = lines[2].split(",")
    lines[2] = f'{order_id},"{product_id}\nsecond line",1'
    path.write_text("\n".join(lines))
    _set_field(path, 9, "quantity", "2.5")  # record 8 of the file, on editor line 9
    _refused(con, export, "order_items.csv, line 9, column quantity", '"2.5"')


def test_a_latin_1_byte_is_refused_on_its_line(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, export = loaded
    _set_field(export / "users.csv", 10, "first_name", "Ren\xe9")
    _refused(con, export, "users.csv, line 10, column first_name", "utf-8")


def test_an_open_quote_is_refused_on_its_line(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, export = loaded
    _set_field(export / "addresses.csv", 5, "address", '"1 Main St')
    _refused(con, export, "addresses.csv, line 5", "not closed")


def test_a_blank_line_inside_a_file_is_refused_on_its_line(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, export = loaded
    path = export / "events.csv"
    lines = path.read_text().split("\n")
    path.write_text("\n".join([*lines[:6], "", *lines[6:]]))
    _refused(con, export, "events.csv, line 7", "blank line")


def test_a_file_ending_with_one_blank_line_loads(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, export = loaded
    before = _snapshot(con)
    with (export / "events.csv").open("a") as handle:
        handle.write("\n")
    assert all(r.rows_inserted == 0 for r in load(export, con))
    assert _snapshot(con) == before


def test_a_binary_file_is_refused_by_name_without_its_bytes(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, export = loaded
    (export / "promos.csv").write_bytes(b"\0" * 1000)
    message = _refused(con, export, "promos.csv", "binary")
    assert "\0" not in message


def test_a_gzip_export_loads_like_the_plain_file(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, export = loaded
    before = _snapshot(con)
    plain = export / "orders.csv"
    (export / "orders.csv.gz").write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    results = load(export, con)
    assert {r.table: r.file.name for r in results}["orders"] == "orders.csv.gz"
    assert all(r.rows_inserted == 0 for r in results)
    assert _snapshot(con) == before


def test_a_table_given_plain_and_compressed_is_refused_naming_both(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, export = loaded
    plain = export / "orders.csv"
    (export / "orders.csv.gz").write_bytes(gzip.compress(plain.read_bytes()))
    _refused(con, export, "orders.csv and", "orders.csv.gz")


@pytest.mark.parametrize("kind", ["folder", "dangling link"])
def test_a_name_that_is_not_a_file_is_refused(
    loaded: tuple[duckdb.DuckDBPyConnection, Path], kind: str
) -> None:
    con, export = loaded
    path = export / "orders.csv"
    path.unlink()
    if kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(export / "nowhere.csv")
    _refused(con, export, "orders.csv", kind.split()[-1])


def test_an_absent_table_is_said(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    con, export = loaded
    (export / "orders.csv").unlink()
    (export / "promos.csv").unlink()
    assert load(export, con).absent == ("promos", "orders")
    con.close()

    code = ingest_main(["load", str(export), "--warehouse", str(tmp_path / "w.duckdb")])
    assert code == 0
    assert "Not in the export (left as they were): promos, orders" in capsys.readouterr().out


def test_mixed_line_ends_are_refused_on_the_line_that_switches(
    loaded: tuple[duckdb.DuckDBPyConnection, Path],
) -> None:
    con, export = loaded
    path = export / "addresses.csv"
    lines = path.read_bytes().split(b"\n")
    lines[4] += b"\r"
    path.write_bytes(b"\n".join(lines))
    _refused(con, export, "addresses.csv, line 5", "ends with CRLF")
