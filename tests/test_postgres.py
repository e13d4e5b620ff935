"""The `postgres` gateway for real, on the server at GREENERY_PG_HOST (127.0.0.1:5432 here).

One build of the course's reference export, in a database of the test's own
(`gtest_<random>`, dropped at the end): `ingest load --gateway postgres`'s code lands
it, `sqlmesh plan` on the gateway builds it with its state on the server, and the answers are
the DuckDB build's. Then the monitor on the same server: a fault landed in a raw table reaches
a loopback SMTP server through the hook of a plain `sqlmesh run`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from sqlmesh import Context

from greenery.connect import gateway_connection
from greenery.paths import PROJECT_ROOT
from ingest.postgres import connect_postgres, load_postgres
from tests.servers import Mailbox, smtp_server
from tests.warehouse_builds import failing_audits

REFERENCE = Path(
    os.environ.get("GREENERY_REFERENCE_DIR", PROJECT_ROOT.parent / "shared" / "greenery-reference")
)

pytestmark = [
    pytest.mark.monitor,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not (REFERENCE / "orders.csv").is_file(),
        reason=f"the reference export is not on this machine ({REFERENCE})",
    ),
]


@dataclass
class Warehouse:
    """The reference export built on the server, and the mailbox its alerts reach."""

    context: Context
    database: str
    mailbox: Mailbox

    def query(self, sql: str) -> list[tuple]:
        """On a connection of its own: readers do not wait for SQLMesh's, as on DuckDB."""
        with contextlib.closing(connect_postgres()) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()


def _admin() -> psycopg2.extensions.connection:
    """A connection to the server's `postgres` database, to create and drop test databases."""
    settings = gateway_connection("postgres")
    connection = psycopg2.connect(
        host=settings["host"],
        port=settings["port"],
        dbname="postgres",
        user=settings["user"],
        password=settings.get("password") or None,
    )
    connection.autocommit = True
    return connection


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    # Short: SQLMesh's unit tests name tables `<database>__<schema>__<model>`, and PostgreSQL
    # cuts identifiers at 63 characters (README, "Running on PostgreSQL").
    database = f"gtest_{secrets.token_hex(3)}"
    saved = {name: os.environ.get(name) for name in ("GREENERY_PG_DATABASE", "APPRISE_CONFIG_PATH")}
    admin = _admin()
    admin.cursor().execute(f"CREATE DATABASE {database}")
    context = None
    try:
        with smtp_server() as (smtp_port, mailbox):
            config = tmp_path_factory.mktemp("postgres") / "apprise.yml"
            config.write_text(
                "urls:\n"
                f"  - mailto://127.0.0.1:{smtp_port}?from=monitor@greenery.test"
                "&to=data-team@greenery.test&mode=insecure:\n"
                "      tag: data_team, marketing, product\n"
            )
            os.environ["APPRISE_CONFIG_PATH"] = str(config)
            os.environ["GREENERY_PG_DATABASE"] = database
            with contextlib.closing(connect_postgres()) as connection:
                load_postgres(REFERENCE, connection)
            context = Context(paths=PROJECT_ROOT, gateway="postgres")
            context.plan("prod", auto_apply=True, no_prompts=True)
            yield Warehouse(context, database, mailbox)
    finally:
        if context is not None:
            context.close()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()


def test_the_reference_answers_are_the_same_as_on_duckdb(warehouse: Warehouse) -> None:
    [(purchasers, repeaters, rate)] = warehouse.query(
        "SELECT purchasers, repeat_purchasers, repeat_rate FROM marketing.repeat_rate"
    )
    assert (purchasers, repeaters, round(rate, 6)) == (124, 99, 0.798387)
    funnel = warehouse.query(
        "SELECT sum(sessions), sum(sessions_with_add_to_cart), sum(sessions_with_checkout) "
        "FROM product.session_funnel"
    )
    assert funnel == [(578, 467, 361)]
    top = warehouse.query(
        "SELECT product_name, sessions_viewed, sessions_purchased, "
        "round(conversion_rate::numeric, 6) FROM product.product_conversion "
        "ORDER BY conversion_rate DESC, product_name LIMIT 3"
    )
    assert [(name, viewed, bought, float(rate)) for name, viewed, bought, rate in top] == [
        ("String of pearls", 64, 39, 0.609375),
        ("Arrow Head", 63, 35, 0.555556),
        ("Cactus", 55, 30, 0.545455),
    ]
    assert warehouse.query(
        "SELECT count(*), sum(sessions_viewed), sum(sessions_purchased) "
        "FROM product.product_conversion"
    ) == [(30, 1845, 862)]


def test_every_audit_passes_and_nothing_is_rejected(warehouse: Warehouse) -> None:
    assert failing_audits(warehouse.context, "2021-02-01", "2021-02-28") == []
    assert warehouse.query("SELECT sum(rejected_rows) FROM quality.staging_reconciliation") == [
        (0,)
    ]


def test_the_unit_tests_pass_on_the_server(warehouse: Warehouse) -> None:
    result = warehouse.context.test()
    assert result.wasSuccessful(), result
    assert result.testsRun >= 15


def test_loading_the_same_export_again_changes_nothing(warehouse: Warehouse) -> None:
    before = warehouse.query("SELECT count(*), max(_loaded_at) FROM raw.orders")
    with contextlib.closing(connect_postgres()) as connection:
        results = load_postgres(REFERENCE, connection)
    assert {(r.rows_inserted, r.rows_replaced) for r in results} == {(0, 0)}
    assert warehouse.query("SELECT count(*), max(_loaded_at) FROM raw.orders") == before
    assert warehouse.query("SELECT count(*) FROM raw.orders_versions") == [(361,)]


def test_a_fault_reaches_the_mailbox_through_the_monitor(warehouse: Warehouse) -> None:
    with contextlib.closing(connect_postgres()) as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO raw.promos (promo_id, discount, status, _loaded_at, _source_file, "
            "_source_line) VALUES ('fault-promo', -5, 'active', now(), 'fault.csv', 1)"
        )
        connection.commit()
    later = datetime.now().replace(microsecond=0) + timedelta(days=1)
    warehouse.context.run(end=later, execution_time=later)

    opened = warehouse.query(
        "SELECT root FROM monitor.incidents WHERE event = 'opened' AND root = 'raw.promos'"
    )
    assert opened == [("raw.promos",)]
    texts = warehouse.mailbox.texts()
    assert any("raw.promos" in text for text in texts), texts
    delivered = warehouse.query("SELECT bool_and(delivered) FROM monitor.deliveries")
    assert delivered == [(True,)]
