"""The raw contract: the seven Greenery tables as the course's export delivers them.

One declaration serves the generator (column order of the CSVs it writes), the loader (types
it enforces and keys it merges on), SQLMesh and the tests: `ingest contract` writes
`external_models.yaml` from it (ingest/contract.py), and the macro that lists rejected rows
(macros/rejects.py) reads its tables and keys.
"""

from dataclasses import dataclass

from greenery.layout import RAW_SCHEMA

#: The column a `_versions` table adds before LOAD_COLUMNS: the as-of time of the export that
#: delivered the version.
VERSION_COLUMN = {"_export_as_of": "TIMESTAMP"}

#: Columns the loader adds to every raw table: where and when each row arrived.
LOAD_COLUMNS: dict[str, str] = {
    "_loaded_at": "TIMESTAMP",
    "_source_file": "VARCHAR",
    "_source_line": "BIGINT",
}


#: ISO-8601 as the exports write it: date, T or space, time, optional fraction and offset.
TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?"


@dataclass(frozen=True)
class ValueRule:
    """What a CSV value of one contract type must look like to be loaded.

    The text must match `pattern` in full (DuckDB's own casts are lenient: they take `2.5`,
    `1e3`, `0x10` or `1_000` as integers), then convert to `parse_as`, then to `fits` when
    set: the type staging casts the column to, so that no value that loads can make a
    `sqlmesh plan` fail. `meaning` is shown in refusals.
    """

    pattern: str
    parse_as: str
    meaning: str
    fits: str | None = None


#: One rule per non-text contract type; VARCHAR takes any text.
VALUE_RULES: dict[str, ValueRule] = {
    "INTEGER": ValueRule(r"[+-]?\d+", "INTEGER", "a whole number (32-bit)"),
    # Staging casts every DOUBLE (price, order_cost, shipping_cost, order_total) to
    # DECIMAL(12, 2): a value must be finite and round below 10^10 in magnitude.
    "DOUBLE": ValueRule(
        r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?",
        "DOUBLE",
        "a finite decimal number below 10^10 in magnitude (staging casts it to DECIMAL(12, 2))",
        fits="DECIMAL(12, 2)",
    ),
    # Read as an instant (an offset is honoured), stored as naive UTC.
    "TIMESTAMP": ValueRule(
        TIMESTAMP_PATTERN,
        "TIMESTAMPTZ",
        "an ISO-8601 timestamp (YYYY-MM-DD[T ]hh:mm:ss[.fff][Z|+hh:mm])",
    ),
}


@dataclass(frozen=True)
class RawTable:
    """One raw table: its CSV columns with DuckDB types, the key the loader merges on, and what
    the table holds (`description`, shown by SQLMesh).

    `time_column` is set for a table the warehouse processes by time (events, incremental from
    staging on): a row without that time could never be placed in an interval, so the loader
    refuses it as it refuses an unreadable time, rather than let staging drop it.

    `as_of` names the timestamp columns that say when a row's state was true (the newest of
    them is the row's as-of time). The loader records each export's newest as-of time per
    table, refuses an export older than what has landed, and never replaces a key's row by an
    older one. A table without such columns (products, promos) follows the export's as-of time.

    `keeps_versions` is set for a table whose history the models keep (product prices and
    inventory, order status). The raw table holds each key's current state; beside it
    `raw.<name>_versions` holds every version an export delivered, keyed by the key and the
    export's as-of time. A corrected export of the same day replaces that day's version, so the
    history models, rebuilt from the versions, take a correction as a clean load would have.
    """

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    description: str
    time_column: str | None = None
    as_of: tuple[str, ...] = ()
    keeps_versions: bool = False

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def file_names(self) -> tuple[str, ...]:
        """The names the table's file may have in an export: plain or gzip-compressed."""
        return (self.file_name, f"{self.file_name}.gz")

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    @property
    def versions_name(self) -> str:
        """The table of every version delivered (only when `keeps_versions`)."""
        return f"{RAW_SCHEMA}.{self.name}_versions"


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
        as_of=("created_at", "updated_at"),
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
        keeps_versions=True,
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
        as_of=("created_at", "delivered_at"),
        keeps_versions=True,
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
        as_of=("created_at",),
    ),
)

RAW_TABLES_BY_NAME: dict[str, RawTable] = {table.name: table for table in RAW_TABLES}
