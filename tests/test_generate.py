"""The synthetic Greenery generator: determinism, daily replay, and the structure audits rely on."""

import csv
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest.generate import default_days, generate
from ingest.schema import RAW_TABLES

START = date(2024, 3, 1)
END = date(2024, 3, 4)
END_TS = "2024-03-04 23:59:59"
TABLES = [table.name for table in RAW_TABLES]


def _rows(directory: Path, table: str) -> list[tuple[str, ...]]:
    with (directory / f"{table}.csv").open(newline="") as file:
        return [tuple(row) for row in csv.reader(file)][1:]


def _load(con: duckdb.DuckDBPyConnection, directory: Path, schema: str, *, typed: bool) -> None:
    """Load the seven CSVs into `schema`: typed per the contract, or as exact text."""
    con.execute(f"create schema {schema}")
    for table in RAW_TABLES:
        path = directory / table.file_name
        types = table.columns if typed else dict.fromkeys(table.columns, "VARCHAR")
        con.execute(
            f"create table {schema}.{table.name} as select * from read_csv(?, header = true, "
            f"columns = {types!r}, nullstr = '')",
            [str(path)],
        )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scale1")
    generate(out, scale=1, seed=7, start=START, end=END)
    return out


@pytest.fixture(scope="module")
def con(data: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    _load(con, data, "raw", typed=True)
    con.execute("use raw")
    return con


def _value(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The single value a query returns."""
    return con.sql(sql).fetchone()[0]


# --- API and determinism ---------------------------------------------------------------------


def test_default_days_grows_with_scale() -> None:
    assert default_days(0.1) == default_days(1) == 4
    assert default_days(10) < default_days(100) < default_days(1000)
    assert 100 <= default_days(1000) <= 140


def test_default_window_ends_yesterday(tmp_path: Path) -> None:
    generate(tmp_path, scale=0.2)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    days = {row[4][:10] for row in _rows(tmp_path, "events")}
    first = yesterday - timedelta(days=default_days(0.2) - 1)
    assert max(days) <= yesterday.isoformat()
    assert min(days) >= first.isoformat()


def test_headers_and_counts_match_the_contract(tmp_path: Path) -> None:
    counts = generate(tmp_path, scale=1, seed=7, start=START, end=END)
    assert list(counts) == TABLES
    for table in RAW_TABLES:
        with (tmp_path / table.file_name).open(newline="") as file:
            lines = file.read().split("\n")
        assert lines[0] == ",".join(table.columns)
        assert lines[-1] == ""  # \n line ends, last line terminated
        assert len(lines) - 2 == counts[table.name]


def test_same_arguments_give_identical_bytes(tmp_path: Path, data: Path) -> None:
    generate(tmp_path / "again", scale=1, seed=7, start=START, end=END)
    generate(tmp_path / "other", scale=1, seed=8, start=START, end=END)
    for table in RAW_TABLES:
        again = (tmp_path / "again" / table.file_name).read_bytes()
        assert again == (data / table.file_name).read_bytes(), table.name
    other = (tmp_path / "other" / "events.csv").read_bytes()
    assert other != (data / "events.csv").read_bytes()


def test_rejects_only_day_outside_window(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, scale=1, start=START, end=END, only_day=END + timedelta(days=1))
    with pytest.raises(ValueError):
        generate(tmp_path, scale=1, start=END + timedelta(days=2), end=END)


def test_small_fractional_scale_still_has_a_shop(tmp_path: Path) -> None:
    counts = generate(tmp_path, scale=0.1, seed=3, start=START, end=END)
    assert counts["users"] >= 5
    assert counts["orders"] >= 5
    assert counts["events"] >= 50


# --- Daily replay ----------------------------------------------------------------------------

STATUS_RANK = {"preparing": 0, "shipped": 1, "delivered": 2}


def test_a_later_end_keeps_every_earlier_row(tmp_path: Path, data: Path) -> None:
    later = tmp_path / "later"
    generate(later, scale=1, seed=7, start=START, end=END + timedelta(days=1))
    for table in ("addresses", "users", "promos", "order_items", "events"):
        before, after = _rows(data, table), _rows(later, table)
        assert set(before) <= set(after), table
    assert len(_rows(later, "events")) > len(_rows(data, "events"))

    orders_after = {row[0]: row for row in _rows(later, "orders")}
    advanced = 0
    for row in _rows(data, "orders"):
        new = orders_after[row[0]]
        assert new[:8] == row[:8]
        assert STATUS_RANK[new[12]] >= STATUS_RANK[row[12]]
        if new[12] == row[12]:
            assert new == row
        else:
            advanced += 1
            assert all(new[i] == row[i] for i in range(8, 12) if row[i])
    assert advanced > 0
    assert len(orders_after) > len(_rows(data, "orders"))

    products_after = {row[0]: row for row in _rows(later, "products")}
    products = _rows(data, "products")
    assert all(products_after[row[0]][:3] == row[:3] for row in products)
    assert any(products_after[row[0]][3] != row[3] for row in products)


@pytest.mark.parametrize("offset", [0, 2])
def test_yesterday_plus_todays_delta_is_today(tmp_path: Path, offset: int) -> None:
    day = START + timedelta(days=offset)
    generate(tmp_path / "before", scale=1, seed=7, start=START, end=day - timedelta(days=1))
    delta = generate(tmp_path / "delta", scale=1, seed=7, start=START, end=END, only_day=day)
    full = generate(tmp_path / "after", scale=1, seed=7, start=START, end=day)
    assert delta["promos"] == 0
    assert 0 < delta["users"] < full["users"]  # only newcomers, never the earlier users
    assert 0 < delta["products"] <= full["products"]
    assert 0 < delta["orders"] <= full["orders"]
    before_events = len(_rows(tmp_path / "before", "events"))
    assert delta["events"] > 0
    assert before_events + delta["events"] == full["events"]  # events never change

    con = duckdb.connect()
    for name in ("before", "delta", "after"):
        _load(con, tmp_path / name, name, typed=False)
    for table in RAW_TABLES:
        unchanged = f"from delta.{table.name} intersect from before.{table.name}"
        assert _value(con, f"select count(*) from ({unchanged})") == 0, table.name
        keys = " and ".join(f"b.{k} = d.{k}" for k in table.key)
        con.execute(
            f"delete from before.{table.name} b "
            f"where exists (select 1 from delta.{table.name} d where {keys})"
        )
        con.execute(f"insert into before.{table.name} select * from delta.{table.name}")
        for left, right in (("before", "after"), ("after", "before")):
            diff = f"from {left}.{table.name} except all from {right}.{table.name}"
            assert _value(con, f"select count(*) from ({diff})") == 0, (table.name, left)
    days = {row[4][:10] for row in _rows(tmp_path / "delta", "events")}
    assert days == {day.isoformat()}


# --- Structure ---------------------------------------------------------------------------------


def test_sizes_follow_the_reference_at_scale_one(con: duckdb.DuckDBPyConnection) -> None:
    counts = {t: _value(con, f"select count(*) from {t}") for t in TABLES}
    assert 110 <= counts["users"] <= 150
    assert counts["users"] < counts["addresses"] <= 1.3 * counts["users"]
    assert counts["promos"] == 6
    assert counts["products"] == 30
    assert 280 <= counts["orders"] <= 450
    assert 2 * counts["orders"] <= counts["order_items"] <= 3 * counts["orders"]
    assert 2_800 <= counts["events"] <= 4_500
    statuses = _value(con, "select count(distinct status) from promos")
    assert statuses == 2
    assert _value(con, "select count(*) from promos where status = 'active'") < 6 / 2


def test_keys_are_unique_and_never_null(con: duckdb.DuckDBPyConnection) -> None:
    for table in RAW_TABLES:
        key = ", ".join(table.key)
        nulls = " or ".join(f"{k} is null" for k in table.key)
        assert _value(con, f"select count(*) from {table.name} where {nulls}") == 0
        dupes = f"select {key} from {table.name} group by all having count(*) > 1"
        assert _value(con, f"select count(*) from ({dupes})") == 0, table.name


def test_foreign_keys_resolve(con: duckdb.DuckDBPyConnection) -> None:
    references = [
        ("users", "address_id", "addresses", "address_id"),
        ("orders", "address_id", "addresses", "address_id"),
        ("orders", "user_id", "users", "user_id"),
        ("orders", "promo_id", "promos", "promo_id"),
        ("order_items", "order_id", "orders", "order_id"),
        ("order_items", "product_id", "products", "product_id"),
        ("events", "user_id", "users", "user_id"),
        ("events", "order_id", "orders", "order_id"),
        ("events", "product_id", "products", "product_id"),
    ]
    for child, column, parent, key in references:
        orphans = (
            f"select count(*) from {child} where {column} is not null "
            f"and {column} not in (select {key} from {parent})"
        )
        assert _value(con, orphans) == 0, (child, column)
    empty_orders = "from orders where order_id not in (select order_id from order_items)"
    assert _value(con, f"select count(*) {empty_orders}") == 0


def test_orders_usually_ship_to_the_default_address(con: duckdb.DuckDBPyConnection) -> None:
    elsewhere = _value(
        con,
        """select avg((o.address_id <> u.address_id)::int)
        from orders o join users u using (user_id)""",
    )
    assert 0.02 <= elsewhere <= 0.25
    extra = "from addresses where address_id not in (select address_id from users)"
    assert _value(con, f"select count(*) {extra}") > 0
    unused = f"{extra} and address_id not in (select address_id from orders)"
    assert _value(con, f"select count(*) {unused}") == 0


def test_text_formats(con: duckdb.DuckDBPyConnection, data: Path) -> None:
    uuid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    violations = [
        "from addresses where not regexp_full_match(zipcode, '[0-9]{5}')",
        "from addresses where country <> 'United States' or state is null",
        "from users where not regexp_full_match(email, '[a-z0-9]+@[a-z0-9-]+\\.[a-z]+')",
        "from users where not regexp_full_match(phone_number, '[0-9]{3}-[0-9]{3}-[0-9]{4}')",
        f"from events where not regexp_full_match(event_id || session_id, '({uuid}){{2}}')",
    ]
    for violation in violations:
        assert _value(con, f"select count(*) {violation}") == 0, violation
    assert _value(con, "select count(*) from addresses where zipcode like '0%'") > 0
    assert _value(con, "select count(*) - count(distinct email) from users") == 0
    assert _value(con, "select count(*) from promos where promo_id like '% %'") >= 1
    assert _value(con, "select count(*) from promos where promo_id <> lower(promo_id)") >= 1
    timestamp = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
    for row in _rows(data, "orders"):
        assert all(timestamp.fullmatch(value) for value in (row[4], *row[10:12]) if value)
        for money in row[5:8]:
            assert money == repr(round(float(money), 2))
    assert all(timestamp.fullmatch(row[4]) for row in _rows(data, "events"))


def test_money_adds_up_in_cents(con: duckdb.DuckDBPyConnection) -> None:
    wrong_cost = """
        select o.order_id from orders o join order_items i using (order_id)
        join products p using (product_id)
        group by o.order_id, o.order_cost
        having round(o.order_cost * 100) <> sum(i.quantity * round(p.price * 100))"""
    assert _value(con, f"select count(*) from ({wrong_cost})") == 0
    wrong_total = """
        select count(*) from orders o left join promos p using (promo_id)
        where round(o.order_total * 100) <> round(o.order_cost * 100)
              + round(o.shipping_cost * 100) - coalesce(p.discount, 0) * 100
           or o.order_total <= 0 or o.shipping_cost not between 1 and 9.99"""
    assert _value(con, wrong_total) == 0
    promo_share = _value(con, "select avg((promo_id is not null)::int) from orders")
    assert 0.05 <= promo_share <= 0.2
    bad_items = "select count(*) from order_items where quantity not between 1 and 4"
    assert _value(con, bad_items) == 0
    bad_prices = """select count(*) from products where price not between 15 and 95
        or (price * 100)::bigint % 25 <> 0 or inventory < 0"""
    assert _value(con, bad_prices) == 0


def test_statuses_and_delivery_window(con: duckdb.DuckDBPyConnection) -> None:
    wrong = f"""
        select count(*) from orders where not case status
          when 'preparing' then tracking_id is null and shipping_service is null
               and estimated_delivery_at is null and delivered_at is null
          when 'shipped' then tracking_id is not null
               and shipping_service in ('ups', 'fedex', 'usps', 'dhl') and delivered_at is null
          when 'delivered' then tracking_id is not null
               and shipping_service in ('ups', 'fedex', 'usps', 'dhl')
               and delivered_at between created_at + interval 1 day and created_at + interval 7 day
               and delivered_at <= timestamp '{END_TS}'
          else false end
          or (estimated_delivery_at is not null and estimated_delivery_at
              not between created_at + interval 1 day and created_at + interval 5 day)"""
    assert _value(con, wrong) == 0
    for status in ("preparing", "shipped", "delivered"):
        assert _value(con, f"select count(*) from orders where status = '{status}'") > 0
    no_estimate = "from orders where status <> 'preparing' and estimated_delivery_at is null"
    assert _value(con, f"select count(*) {no_estimate}") > 0


def test_shipments_match_statuses(con: duckdb.DuckDBPyConnection) -> None:
    shipped = """
        select o.order_id, o.status, s.created_at - o.created_at as delay,
               s.session_id = c.session_id as same_session
        from orders o
        left join events s on s.order_id = o.order_id and s.event_type = 'package_shipped'
        left join events c on c.order_id = o.order_id and c.event_type = 'checkout'"""
    wrong = f"""select count(*) from ({shipped}) where (status = 'preparing') <> (delay is null)
        or delay not between interval 2 hour and interval 9 hour or not same_session"""
    assert _value(con, wrong) == 0
    recent = (
        f"select count(*) from orders where created_at > timestamp '{END_TS}' - interval 9 hour"
    )
    assert _value(con, recent) > 0  # the preparing check above had cases to bite on


def test_sessions_are_coherent(con: duckdb.DuckDBPyConnection) -> None:
    sessions = """
        select session_id, count(distinct user_id) as users,
               count(*) filter (event_type = 'checkout') as checkouts,
               max(created_at) filter (event_type <> 'package_shipped') - min(created_at) as span
        from events group by session_id"""
    wrong = "users <> 1 or checkouts > 1 or span > interval 3 hour"
    assert _value(con, f"select count(*) from ({sessions}) where {wrong}") == 0
    checkout_share = _value(con, f"select avg(checkouts) from ({sessions})")
    assert 0.5 <= checkout_share <= 0.7
    urls = """select count(*) from events where page_url <> 'https://greenary.com/' || case
        when event_type in ('page_view', 'add_to_cart') and order_id is null
             and product_id is not null then 'product/' || product_id
        when event_type = 'checkout' and product_id is null then 'checkout/' || order_id
        when event_type = 'package_shipped' and product_id is null then 'shipping/' || order_id
        end or page_url is null"""
    assert _value(con, urls) == 0
    unviewed_adds = """
        select count(*) from events a where a.event_type = 'add_to_cart' and not exists (
            select 1 from events v where v.event_type = 'page_view'
            and v.session_id = a.session_id and v.product_id = a.product_id
            and v.created_at < a.created_at)"""
    assert _value(con, unviewed_adds) == 0


def test_orders_hold_exactly_the_cart(con: duckdb.DuckDBPyConnection) -> None:
    carts = """
        select distinct c.order_id, a.product_id from events c
        join events a on a.session_id = c.session_id and a.event_type = 'add_to_cart'
        where c.event_type = 'checkout'"""
    items = "select order_id, product_id from order_items"
    for left, right in ((carts, items), (items, carts)):
        assert _value(con, f"select count(*) from ({left} except {right})") == 0
    checkout_time = """
        select count(*) from orders o join events c
        on c.order_id = o.order_id and c.event_type = 'checkout'
        where abs(epoch(o.created_at) - epoch(c.created_at)) > 1"""
    assert _value(con, checkout_time) == 0
    without_checkout = """select count(*) from orders where order_id not in
        (select order_id from events where event_type = 'checkout')"""
    assert _value(con, without_checkout) == 0
    sizes = "select count(*) as n from order_items group by order_id"
    assert _value(con, f"select max(n) from ({sizes})") <= 7


def test_nothing_happens_outside_the_window(con: duckdb.DuckDBPyConnection) -> None:
    late = f"""select count(*) from (
        select created_at as ts from events union all select created_at from orders
        union all select delivered_at from orders union all select created_at from users
        union all select updated_at from users) where ts > timestamp '{END_TS}'"""
    assert _value(con, late) == 0
    early = f"""select count(*) from (select created_at from events union all
        select created_at from orders) where created_at < timestamp '{START}'"""
    assert _value(con, early) == 0
    new_users = f"select count(*) from users where created_at >= timestamp '{START}'"
    assert 0 < _value(con, new_users) < _value(con, "select count(*) from users") / 4
    before_events = """
        select count(*) from users u join events e using (user_id)
        where e.created_at <= u.created_at or u.updated_at < u.created_at"""
    assert _value(con, before_events) == 0
    assert _value(con, "select min(created_at) from users") >= datetime(2023, 3, 1)


def test_silent_users_never_order(con: duckdb.DuckDBPyConnection) -> None:
    silent = "select user_id from users where user_id not in (select user_id from events)"
    assert 1 <= _value(con, f"select count(*) from ({silent})") <= 0.12 * 130
    assert _value(con, f"select count(*) from orders where user_id in ({silent})") == 0


@pytest.mark.parametrize("scale", [1, 10])
def test_repeat_buyers_are_about_four_in_five(tmp_path: Path, scale: int) -> None:
    start = END - timedelta(days=default_days(scale) - 1)
    generate(tmp_path, scale=scale, seed=11, start=start, end=END)
    per_user = f"select user_id, count(*) as n from read_csv('{tmp_path}/orders.csv') group by 1"
    share = _value(duckdb.connect(), f"select avg((n >= 2)::int) from ({per_user})")
    low, high = (0.7, 0.9) if scale == 1 else (0.75, 0.85)
    assert low <= share <= high


def test_more_days_spread_the_same_shop_thinner(tmp_path: Path) -> None:
    """`days` sets the horizon: ten times the days, about the same totals, a tenth per day."""
    short = generate(tmp_path / "short", scale=2, seed=3, end=END, days=4)
    long = generate(tmp_path / "long", scale=2, seed=3, end=END, days=40)
    last_day = _rows(tmp_path / "short", "events"), _rows(tmp_path / "long", "events")
    per_day = [sum(row[4].startswith(END.isoformat()) for row in rows) for rows in last_day]
    assert 0.5 < long["events"] / short["events"] < 2
    assert 5 < per_day[0] / per_day[1] < 20
