"""The raw contract: the seven Greenery tables as the course's export delivers them.

One declaration serves the generator (column order of the CSVs it writes), the loader (types
it enforces and keys it merges on), SQLMesh and the tests: `ingest contract` writes
`external_models.yaml` from it (ingest/contract.py), and the macro that lists rejected rows
(macros/rejects.py) reads its tables and keys.
"""

from dataclasses import dataclass

from greenery.layout import RAW_SCHEMA

#: Columns the loader adds to every raw table: where and when each row arrived.
LOAD_COLUMNS: dict[str, str] = {
    "_loaded_at": "TIMESTAMP",
    "_source_file": "VARCHAR",
    "_source_line": "BIGINT",
}


@dataclass(frozen=True)
class RawTable:
    """One raw table: its CSV columns with DuckDB types, the key the loader merges on, and what
    the table holds (`description`, shown by SQLMesh).

    `time_column` is set for a table the warehouse processes by time (events, incremental from
    staging on): a row without that time could never be placed in an interval, so the loader
    refuses it as it refuses an unreadable time, rather than let staging drop it.
    """

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    description: str
    time_column: str | None = None

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"


# Money stays DOUBLE here because the source delivers floats (REAL in the course's Postgres);
# staging casts it to DECIMAL. Zipcodes stay text so leading zeros survive.
RAW_TABLES: tuple[RawTable, ...] = (
    RawTable(
        "addresses",
        {
            "address_id": "VARCHAR",
            "address": "VARCHAR",
            "zipcode": "VARCHAR",
            "state": "VARCHAR",
            "country": "VARCHAR",
        },
        ("address_id",),
        description="Addresses of users and of order deliveries, as exported.",
    ),
    RawTable(
        "users",
        {
            "user_id": "VARCHAR",
            "first_name": "VARCHAR",
            "last_name": "VARCHAR",
            "email": "VARCHAR",
            "phone_number": "VARCHAR",
            "created_at": "TIMESTAMP",
            "updated_at": "TIMESTAMP",
            "address_id": "VARCHAR",
        },
        ("user_id",),
        description="Shop accounts, as exported (personal data).",
    ),
    RawTable(
        "promos",
        {"promo_id": "VARCHAR", "discount": "INTEGER", "status": "VARCHAR"},
        ("promo_id",),
        description="Promo codes with their dollar discount, as exported.",
    ),
    RawTable(
        "products",
        {"product_id": "VARCHAR", "name": "VARCHAR", "price": "DOUBLE", "inventory": "INTEGER"},
        ("product_id",),
        description="Plants for sale with current price and inventory, as exported.",
    ),
    RawTable(
        "orders",
        {
            "order_id": "VARCHAR",
            "user_id": "VARCHAR",
            "promo_id": "VARCHAR",
            "address_id": "VARCHAR",
            "created_at": "TIMESTAMP",
            "order_cost": "DOUBLE",
            "shipping_cost": "DOUBLE",
            "order_total": "DOUBLE",
            "tracking_id": "VARCHAR",
            "shipping_service": "VARCHAR",
            "estimated_delivery_at": "TIMESTAMP",
            "delivered_at": "TIMESTAMP",
            "status": "VARCHAR",
        },
        ("order_id",),
        description="Orders with costs, promo, shipping and delivery status, as exported.",
    ),
    RawTable(
        "order_items",
        {"order_id": "VARCHAR", "product_id": "VARCHAR", "quantity": "INTEGER"},
        ("order_id", "product_id"),
        description="Order lines: which products and how many units each order holds.",
    ),
    RawTable(
        "events",
        {
            "event_id": "VARCHAR",
            "session_id": "VARCHAR",
            "user_id": "VARCHAR",
            "page_url": "VARCHAR",
            "created_at": "TIMESTAMP",
            "event_type": "VARCHAR",
            "order_id": "VARCHAR",
            "product_id": "VARCHAR",
        },
        ("event_id",),
        description="Web events (page_view, add_to_cart, checkout, package_shipped) by session.",
        time_column="created_at",
    ),
)

RAW_TABLES_BY_NAME: dict[str, RawTable] = {table.name: table for table in RAW_TABLES}
