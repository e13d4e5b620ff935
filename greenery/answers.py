"""The stakeholders' questions, answered from the marts of an environment.

The queries are plain SQL both engines read alike, on DB-API cursors: the same answers, in
the same words, from a DuckDB file or a PostgreSQL database (`greenery answers --gateway`).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from greenery.durations import human_duration
from greenery.errors import ExpectedError
from greenery.layout import RAW_SCHEMA, view_schema

#: An export whose newest event is older than this is historical: its freshness checks fail
#: because the data is old, not because a load or a model broke.
HISTORICAL_AFTER = timedelta(days=30)


def historical_note(con: Any, as_of: datetime | None = None) -> str | None:
    """One line when the landed export is historical (its newest event older than
    `HISTORICAL_AFTER` at `as_of`, naive UTC, default now), else None: the demo's "2 fail" on
    a months-old export is then explained where the newcomer reads the answers."""
    as_of = as_of or datetime.now(UTC).replace(tzinfo=None)
    if not _exists(con, RAW_SCHEMA, "events"):
        return None
    [(newest,)] = _rows(con, f"SELECT max(created_at) FROM {RAW_SCHEMA}.events")
    if newest is None or as_of - newest <= HISTORICAL_AFTER:
        return None
    return (
        f"Historical export: newest event {newest:%Y-%m-%d}, {human_duration(as_of - newest)} "
        "ago; the freshness checks fail for that reason, not for a fault."
    )


def print_answers(con: Any, console: Console, environment: str = "prod") -> None:
    """Print the repeat rate, the buyer segments side by side, and the best-converting products."""
    marketing = view_schema("marketing", environment)
    product = view_schema("product", environment)

    note = historical_note(con)
    if note:
        console.print(note, style="yellow", highlight=False, soft_wrap=True)

    if not _exists(con, marketing, "repeat_rate"):
        raise ExpectedError(
            f"The warehouse has no {marketing}.repeat_rate: the models are not applied to "
            f"environment {environment!r} yet. Apply them with `sqlmesh plan {environment}` "
            "(or build everything with `make demo`) first."
        )
    [(purchasers, repeaters, rate)] = _rows(
        con, f"SELECT purchasers, repeat_purchasers, repeat_rate FROM {marketing}.repeat_rate"
    )
    console.print(
        f"[bold]User repeat rate:[/] {repeaters} of {purchasers} purchasers bought again: "
        f"[bold]{rate:.6f}[/] ({rate:.1%})"
    )

    features = {
        "users": "{:,.0f}",
        "avg_orders": "{:.2f}",
        "avg_order_value": "${:,.2f}",
        "avg_units_per_order": "{:.2f}",
        "avg_distinct_products_bought": "{:.2f}",
        "promo_order_share": "{:.1%}",
        "avg_sessions": "{:.2f}",
        "add_to_cart_rate": "{:.1%}",
        "checkout_rate": "{:.1%}",
        "avg_days_to_deliver": "{:.2f}",
        "late_delivery_share": "{:.1%}",
    }
    rows = _rows(
        con,
        f"SELECT buyer_segment, {', '.join(features)} FROM {marketing}.repeat_purchase_indicators "
        "ORDER BY CASE buyer_segment WHEN 'repeat' THEN 0 WHEN 'one-time' THEN 1 ELSE 2 END",
    )
    segments = Table(title="Buyer segments side by side (marketing.repeat_purchase_indicators)")
    segments.add_column("feature")
    for segment, *_ in rows:
        segments.add_column(segment, justify="right")
    for position, (feature, fmt) in enumerate(features.items(), start=1):
        segments.add_row(
            feature.replace("_", " "),
            *("-" if row[position] is None else fmt.format(row[position]) for row in rows),
        )
    console.print(segments)

    products = Table(title="Top products by conversion (product.product_conversion)")
    for name in ("product", "sessions viewed", "sessions bought", "conversion"):
        products.add_column(name, justify="left" if name == "product" else "right")
    for name, viewed, bought, conversion in _rows(
        con,
        f"SELECT product_name, sessions_viewed, sessions_purchased, conversion_rate "
        f"FROM {product}.product_conversion WHERE conversion_rate IS NOT NULL "
        "ORDER BY conversion_rate DESC, sessions_purchased DESC, product_name LIMIT 5",
    ):
        products.add_row(name, f"{viewed:,}", f"{bought:,}", f"{conversion:.1%}")
    console.print(products)


def _rows(con: Any, sql: str) -> list[tuple]:
    """The rows of `sql`, on a cursor of its own: DuckDB's connections and psycopg2's both
    hand out DB-API cursors."""
    with contextlib.closing(con.cursor()) as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _exists(con: Any, schema: str, name: str) -> bool:
    """Whether `schema.name` is a table or view, asked of the catalogue both engines keep
    (a missing relation's error differs by engine)."""
    return bool(
        _rows(
            con,
            "SELECT 1 FROM information_schema.tables "
            f"WHERE table_schema = '{schema}' AND table_name = '{name}'",
        )
    )
