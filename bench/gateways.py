"""Issue 12: the build on each gateway of config.yaml, next to DuckDB's.

At one scale (10 by default) the history the DuckDB build loaded is built again on each other
gateway, with the same commands a user runs there (README, "Running on PostgreSQL"): `ingest
load --gateway postgres`, then `sqlmesh --gateway postgres plan prod`, the monitor's hooks on.
On PostgreSQL it goes into a database the benchmark creates and drops, on the server at
GREENERY_PG_HOST. Its CPU and memory are the client processes'; the server's own are not
counted, so the wall time is the figure to compare.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import psycopg2

from greenery.connect import gateway_connection

DUCKDB = "duckdb"
#: The gateways the benchmark can build: DuckDB's build is part of every scale.
BUILDABLE = (DUCKDB, "postgres")
#: The gateways it cannot, and why; the report says so instead of leaving them out silently.
NOT_BUILT = {
    "spark": "blocked: Spark's plain tables take neither the incremental models' timestamp "
    'partitions nor a partition by expression (README, "Engines")',
}
#: The scale at which each other gateway builds (issue 12: the scale-10 build).
DEFAULT_SCALE = 10.0


def load_step(gateway: str) -> str:
    return "load" if gateway == DUCKDB else f"{gateway} load"


def plan_step(gateway: str) -> str:
    return "plan" if gateway == DUCKDB else f"{gateway} plan"


def server_answers(timeout_s: int = 3) -> bool:
    """Whether the PostgreSQL server of config.yaml's `postgres` gateway accepts a connection:
    without one, the default leaves the gateway out rather than failing the benchmark."""
    try:
        admin_connection(timeout_s).close()
    except psycopg2.Error:
        return False
    return True


def choose_gateways(asked: list[str] | None) -> tuple[list[str], dict[str, str]]:
    """The gateways to build other than DuckDB (whose build is every scale's), and those
    left out with why. By default PostgreSQL is built when its server answers; asked for,
    it is built or the benchmark fails."""
    not_built = dict(NOT_BUILT)
    if asked is None:
        if server_answers():
            asked = ["postgres"]
        else:
            asked = []
            not_built["postgres"] = f"no server answered at {server_address()} (GREENERY_PG_HOST)"
    others = [g for g in dict.fromkeys(asked) if g != DUCKDB]
    not_built |= {g: "not asked for (--gateways)" for g in BUILDABLE if g not in [DUCKDB, *others]}
    return others, not_built


def server_address() -> str:
    settings = gateway_connection("postgres")
    return f"{settings['host']}:{settings['port']}"


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A new database on the server, dropped afterwards whatever happened. Its name stays
    within 13 characters: the plan's unit tests name tables `<database>__<schema>__<model>`
    and PostgreSQL cuts names at 63 (README, "Running on PostgreSQL")."""
    name = f"gbench_{secrets.token_hex(3)}"
    admin = admin_connection()
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def admin_connection(timeout_s: int = 10) -> psycopg2.extensions.connection:
    """A connection to the server's `postgres` database, with the gateway's settings."""
    settings = gateway_connection("postgres")
    connection = psycopg2.connect(
        host=settings["host"],
        port=settings["port"],
        dbname="postgres",
        user=settings["user"],
        password=settings.get("password") or None,
        connect_timeout=timeout_s,
    )
    connection.autocommit = True
    return connection
