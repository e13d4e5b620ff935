"""The `postgres` gateway for real, on the server at GREENERY_PG_HOST (127.0.0.1:5432 here).

Always: a generated scale-1 shop, in a database of the test's own (`gtest_<random>`, dropped
at the end), landed as a daily job lands it: every day but the last with the code of
`ingest load --gateway postgres`, then `sqlmesh plan`; the last day alone through that
command, then `sqlmesh run`. Its marts must equal a full DuckDB build of the same data, row
for row; `greenery answers --gateway postgres` must print what it prints on DuckDB;
`monitor check` must find only the stale sources; and a fault landed by
`monitor daily --gateway postgres` must reach a loopback SMTP server through the monitor of
the run it makes. A missing database or server is one paragraph and exit code 2.

With the course's reference export beside the clone (../shared/greenery-reference), it is
built too, in a second database, and must give the DuckDB build's known answers.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlmesh import Context

from greenery import cli as greenery_cli
from greenery.connect import connect, connect_postgres, gateway_connection
from greenery.paths import PROJECT_ROOT
from greenery.project import open_context
from ingest import cli as ingest_cli
from ingest.generate import generate
from ingest.postgres import load_postgres
from monitor import cli as monitor_cli
from tests.conftest import END, START
from tests.servers import Mailbox, free_port, smtp_server
from tests.warehouse_builds import after, land

REFERENCE = Path(
    os.environ.get("GREENERY_REFERENCE_DIR", PROJECT_ROOT.parent / "shared" / "greenery-reference")
)
#: The schemas of the marts, compared between the engines.
MART_SCHEMAS = ("core", "marketing", "product")
#: Mart columns that depend on how a history was landed, not only on what it holds: landed
#: day by day, a product has a version per day its row changed; landed at once, only the last.
#: (The same on DuckDB: a daily DuckDB build differs from a full one in these columns only.)
LANDING_HISTORY_COLUMNS = {"core.dim_products": {"price_valid_from"}}

pytestmark = [pytest.mark.monitor, pytest.mark.postgres]


@dataclass
class Warehouse:
    """The generated shop on the server, landed day by day; its full DuckDB build; the
    mailbox its alerts reach; and the export folders."""

    database: str
    context: Context
    duckdb_file: Path
    mailbox: Mailbox
    day_dir: Path

    def query(self, sql: str) -> list[tuple]:
        """On a connection of its own: readers do not wait for SQLMesh's, as on DuckDB."""
        return _query(self.database, sql)

    def on_duckdb(self, sql: str) -> list[tuple]:
        with connect(self.duckdb_file, read_only=True) as connection:
            return connection.execute(sql).fetchall()


def _connect(database: str) -> psycopg2.extensions.connection:
    """A connection to `database` on the gateway's server (`postgres` to create others)."""
    settings = gateway_connection("postgres")
    connection = psycopg2.connect(
        host=settings["host"],
        port=settings["port"],
        dbname=database,
        user=settings["user"],
        password=settings.get("password") or None,
    )
    connection.autocommit = True
    return connection


def _query(database: str, sql: str) -> list[tuple]:
    with contextlib.closing(_connect(database)) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@contextlib.contextmanager
def _database() -> Iterator[str]:
    """A new database on the server, the gateway's (GREENERY_PG_DATABASE) until it is dropped.

    Its name is short: SQLMesh's unit tests name tables `<database>__<schema>__<model>`, and
    PostgreSQL cuts identifiers at 63 characters (README, "Running on PostgreSQL").
    """
    database = f"gtest_{secrets.token_hex(3)}"
    with contextlib.closing(_connect("postgres")) as admin:
        admin.cursor().execute(f"CREATE DATABASE {database}")
        try:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("GREENERY_PG_DATABASE", database)
                yield database
        finally:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@pytest.fixture(scope="module")
def warehouse(generated_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Every day but END landed and planned, END's delta landed and `run`; a full DuckDB
    build of every day beside it. The monitor is off for these: the tests run it."""
    folder = tmp_path_factory.mktemp("postgres")
    previous, day_dir = folder / "until-previous-day", folder / "last-day"
    previous_day = END - timedelta(days=1)
    generate(previous, scale=1, seed=7, start=START, end=previous_day)
    generate(day_dir, scale=1, seed=7, start=START, end=END, only_day=END)
    duckdb_file = folder / "full.duckdb"
    with (
        pytest.MonkeyPatch.context() as patch,
        smtp_server() as (smtp_port, mailbox),
        _database() as database,
    ):
        config = folder / "apprise.yml"
        config.write_text(
            "urls:\n"
            f"  - mailto://127.0.0.1:{smtp_port}?from=monitor@greenery.test"
            "&to=data-team@greenery.test&mode=insecure:\n"
            "      tag: data_team, marketing, product\n"
        )
        patch.setenv("APPRISE_CONFIG_PATH", str(config))
        patch.setenv("GREENERY_MONITOR", "off")
        patch.setenv("GREENERY_WAREHOUSE", str(duckdb_file))  # open_context sets it; restored
        land(generated_dir, duckdb_file)
        _plan(open_context(duckdb_file), last_day=END).close()
        with contextlib.closing(connect_postgres()) as connection:
            load_postgres(previous, connection)
        context = open_context(gateway="postgres")
        try:
            _plan(context, last_day=previous_day)
            assert ingest_cli.main(["load", "--gateway", "postgres", str(day_dir)]) == 0
            assert not context.run(execution_time=after(END)).is_failure
            patch.setenv("GREENERY_MONITOR", "on")
            yield Warehouse(database, context, duckdb_file, mailbox, day_dir)
        finally:
            context.close()


def test_a_daily_arrival_builds_the_marts_a_full_duckdb_build_does(warehouse: Warehouse) -> None:
    relations = warehouse.on_duckdb(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        f"WHERE table_schema IN {MART_SCHEMAS} ORDER BY 1"
    )
    assert len(relations) >= 10
    for (relation,) in relations:
        columns = _compared_columns(warehouse.on_duckdb, relation)
        sql = f"SELECT {', '.join(columns)} FROM {relation}"
        assert _same_rows(warehouse.query(sql)) == _same_rows(warehouse.on_duckdb(sql)), relation
    new_day = f"SELECT count(*) FROM core.fct_sessions WHERE started_at >= '{END}'"
    assert warehouse.query(new_day)[0][0] > 0, "the run processed the new day"


def test_greenery_answers_on_the_server_are_the_duckdb_build_s(
    warehouse: Warehouse, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    assert greenery_cli.main(["answers", "--gateway", "postgres"]) == 0
    on_postgres = capsys.readouterr().out
    monkeypatch.setenv("GREENERY_WAREHOUSE", str(warehouse.duckdb_file))
    assert greenery_cli.main(["answers"]) == 0
    assert on_postgres == capsys.readouterr().out
    assert "User repeat rate:" in on_postgres


def test_monitor_check_on_the_server_finds_only_the_stale_sources(
    warehouse: Warehouse, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated data ended months ago: its freshness checks fail, every audit and Soda
    check on the models passes, and the problems are read back from the server's history."""
    monkeypatch.setenv("COLUMNS", "200")
    assert monitor_cli.main(["check", "--gateway", "postgres"]) == 1
    summary = capsys.readouterr().out
    checked = re.search(r"(\d+) checked: (\d+) pass, 2 fail:", summary)
    assert checked and int(checked[1]) == int(checked[2]) + 2, summary
    assert monitor_cli.main(["problems", "--gateway", "postgres"]) == 0
    problems = capsys.readouterr().out
    assert "raw.events" in problems and "raw.orders" in problems and "freshness" in problems
    assert warehouse.query("SELECT sum(rejected_rows) FROM quality.staging_reconciliation") == [
        (0,)
    ]


def test_the_unit_tests_pass_on_the_server(warehouse: Warehouse) -> None:
    result = warehouse.context.test()
    assert result.wasSuccessful(), result
    assert result.testsRun >= 15


def test_landing_the_same_day_again_changes_nothing(warehouse: Warehouse) -> None:
    before = warehouse.query("SELECT count(*), max(_loaded_at) FROM raw.orders")
    with contextlib.closing(connect_postgres()) as connection:
        results = load_postgres(warehouse.day_dir, connection)
    assert {(r.rows_inserted, r.rows_replaced) for r in results} == {(0, 0)}
    assert warehouse.query("SELECT count(*), max(_loaded_at) FROM raw.orders") == before


def test_a_fault_in_the_daily_export_reaches_the_mailbox(
    warehouse: Warehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`monitor daily --gateway postgres` lands it, runs SQLMesh, whose monitor alerts."""
    (tmp_path / "promos.csv").write_text("promo_id,discount,status\nfault-promo,-5,active\n")
    report = tmp_path / "report.html"
    daily = ["daily", "--gateway", "postgres", "--raw-dir", str(tmp_path), "--report", str(report)]
    assert monitor_cli.main(daily) == 1
    assert "raw.promos" in capsys.readouterr().out
    assert report.is_file()
    opened = warehouse.query(
        "SELECT root FROM monitor.incidents WHERE event = 'opened' AND root = 'raw.promos'"
    )
    assert opened == [("raw.promos",)]
    texts = warehouse.mailbox.texts()
    assert any("raw.promos" in text for text in texts), texts
    assert warehouse.query("SELECT bool_and(delivered) FROM monitor.deliveries") == [(True,)]


@pytest.mark.parametrize(
    "setting",
    [("GREENERY_PG_DATABASE", "gtest_missing"), ("GREENERY_PG_PORT", str(free_port()))],
    ids=["database missing", "server down"],
)
@pytest.mark.parametrize(
    ("main", "command"),
    [(greenery_cli.main, "answers"), (monitor_cli.main, "check")],
    ids=["answers", "check"],
)
def test_a_missing_database_or_server_is_one_paragraph_and_exit_code_2(
    setting: tuple[str, str],
    main: Callable[[list[str]], int],
    command: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(*setting)
    assert main([command, "--gateway", "postgres"]) == 2
    said = capsys.readouterr().err
    assert "The PostgreSQL server of the postgres gateway could not be used" in said
    assert "Traceback" not in said


@pytest.mark.skipif(
    not (REFERENCE / "orders.csv").is_file(),
    reason=f"the reference export is not on this machine ({REFERENCE})",
)
def test_the_reference_answers_are_the_same_as_on_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    """The course's export gives the DuckDB build's known answers (README, "The answers")."""
    monkeypatch.setenv("GREENERY_MONITOR", "off")
    with _database() as database:
        with contextlib.closing(connect_postgres()) as connection:
            load_postgres(REFERENCE, connection)
        context = open_context(gateway="postgres")
        try:
            _plan(context, last_day=None)
        finally:
            context.close()
        answers = _reference_answers(lambda sql: _query(database, sql))
    assert answers == {
        "repeat rate": (124, 99, 0.798387),
        "funnel": (578, 467, 361),
        "top products": [
            ("String of pearls", 64, 39, 0.609375),
            ("Arrow Head", 63, 35, 0.555556),
            ("Cactus", 55, 30, 0.545455),
        ],
        "conversions": (30, 1845, 862),
        "rejected rows": 0,
    }


def _plan(context: Context, last_day: date | None) -> Context:
    """Apply prod as of the midnight after `last_day` (None: now), without the unit tests:
    they have a test of their own here, and each plan would run them again."""
    context.plan(
        "prod", auto_apply=True, no_prompts=True, skip_tests=True, execution_time=after(last_day)
    )
    return context


def _reference_answers(query: Callable[[str], list[tuple]]) -> dict[str, Any]:
    [(purchasers, repeaters, rate)] = query(
        "SELECT purchasers, repeat_purchasers, repeat_rate FROM marketing.repeat_rate"
    )
    [funnel] = query(
        "SELECT sum(sessions), sum(sessions_with_add_to_cart), sum(sessions_with_checkout) "
        "FROM product.session_funnel"
    )
    top = query(
        "SELECT product_name, sessions_viewed, sessions_purchased, conversion_rate "
        "FROM product.product_conversion ORDER BY conversion_rate DESC, product_name LIMIT 3"
    )
    [conversions] = query(
        "SELECT count(*), sum(sessions_viewed), sum(sessions_purchased) "
        "FROM product.product_conversion"
    )
    [(rejected,)] = query("SELECT sum(rejected_rows) FROM quality.staging_reconciliation")
    return {
        "repeat rate": (purchasers, repeaters, round(rate, 6)),
        "funnel": tuple(funnel),
        "top products": [(name, seen, bought, round(r, 6)) for name, seen, bought, r in top],
        "conversions": tuple(conversions),
        "rejected rows": rejected,
    }


def _compared_columns(query: Callable[[str], list[tuple]], relation: str) -> list[str]:
    """The columns of `relation`, less the loader's (when and from which file a row landed)
    and `LANDING_HISTORY_COLUMNS`: they differ between a history landed in two loads and one
    load of it all."""
    schema, name = relation.split(".")
    landing = LANDING_HISTORY_COLUMNS.get(relation, set())
    return [
        column
        for (column,) in query(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = '{schema}' AND table_name = '{name}' ORDER BY ordinal_position"
        )
        if not column.startswith("_") and column not in landing
    ]


def _same_rows(rows: list[tuple]) -> list[tuple]:
    """Rows as both engines should give them: numbers as floats to 12 significant digits
    (PostgreSQL's decimals and DuckDB's doubles sum in different orders), in one order."""
    normal = [
        tuple(
            float(f"{value:.12g}") if isinstance(value, float | Decimal) else value for value in row
        )
        for row in rows
    ]
    return sorted(normal, key=repr)
