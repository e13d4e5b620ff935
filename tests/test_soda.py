"""Soda checks (checks/*.yml, run by monitor/soda.py) on warehouses built by real SQLMesh plans.

Clean generated data passes every check; faults injected at the raw layer fail exactly the
checks that guard against them, with counts, a query that finds the rows and masked samples;
a dev environment runs only its own models' checks (plus raw); a Soda problem becomes ERROR
results, never an exception.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlglot import exp
from sqlmesh import Context
from sqlmesh.core.model.common import ParsableSql

from greenery.project import open_context
from monitor.checks.soda import CHECKS_DIR, run_soda_checks
from monitor.datasets import MASK, from_models
from monitor.results import CheckResult, Status
from monitor.runner import retired_checks
from monitor.storage import reads, writes
from monitor.storage.database import Database
from tests.conftest import END, REFERENCE, monitor_switched
from tests.warehouse_builds import after, build, copy_of

pytestmark = pytest.mark.monitor

#: The day after the generated data ends: what "now" is for fixed-date data.
NOW = datetime.combine(END + timedelta(days=1), time())
#: What a check file must use, somewhere in checks/, by the words SodaCL spells it with.
CHECK_KINDS = (
    "row_count",
    "missing_count(",
    "duplicate_count(",
    "valid values:",
    "must exist in",
    "freshness(",
    "schema:",
    "failed rows:",
    "warn:",
    "fail:",
)


def _check(
    context: Context,
    environment: str = "prod",
    now: datetime = NOW,
    checks_dir: Path = CHECKS_DIR,
    rows_since: datetime | None = None,
) -> list[CheckResult]:
    """Run the checks on the context's own connection, as the SQLMesh hooks do."""
    datasets = from_models(context.models.values())
    warehouse = Database(context.engine_adapter.connection)
    return run_soda_checks(warehouse, environment, datasets, now, checks_dir, rows_since)


def _problems(results: list[CheckResult]) -> dict[tuple[str, str], CheckResult]:
    return {(r.dataset, r.check): r for r in results if r.status is not Status.PASS}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def clean(
    built_generated_monitored: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Context]:
    """The session's monitored build of the generated data (conftest), on this module's copy:
    its tests only read it."""
    context = open_context(copy_of(built_generated_monitored, tmp_path_factory.mktemp("clean")))
    yield context
    context.close()


@pytest.fixture
def clean_own(built_generated_monitored: Path, tmp_path: Path) -> Iterator[Context]:
    """The same build on a copy of the test's own, for a test that plans or records into it."""
    context = open_context(copy_of(built_generated_monitored, tmp_path / "clean"))
    yield context
    context.close()


@pytest.fixture(scope="module")
def faulty(generated_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    """Generated data with faults at the raw layer, each caught by one check or two."""
    raw = tmp_path_factory.mktemp("faulty") / "raw"
    shutil.copytree(generated_dir, raw)
    _order_line_faults(raw / "order_items.csv", raw / "products.csv")
    _event_faults(raw / "events.csv")
    users = _rows(raw / "users.csv")
    users[0]["email"] = "not-an-email"  # personal data, to be masked in the samples
    _write(raw / "users.csv", users)
    with monitor_switched("off"):  # the tests run the checks themselves
        context = build(raw, raw.parent / "greenery.duckdb", END)
    yield context
    context.close()


@pytest.fixture(scope="module")
def emptied(generated_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    """Generated data whose last day's new users arrive with emptied contact fields: both
    emails (one an empty field, which the loader lands as NULL, one blanks, kept as sent),
    the first one's phone number (blanks) and street (empty), the second one's zipcode
    (empty: staging rejects that address)."""
    raw = tmp_path_factory.mktemp("emptied") / "raw"
    shutil.copytree(generated_dir, raw)
    users = _rows(raw / "users.csv")
    first, second = [u for u in users if u["created_at"].startswith(END.isoformat())]
    first.update(email="", phone_number="   ")
    second.update(email="   ")
    _write(raw / "users.csv", users)
    addresses = _rows(raw / "addresses.csv")
    by_id = {a["address_id"]: a for a in addresses}
    by_id[first["address_id"]]["address"] = ""
    by_id[second["address_id"]]["zipcode"] = ""
    _write(raw / "addresses.csv", addresses)
    with monitor_switched("off"):  # the tests run the checks themselves
        context = build(raw, raw.parent / "greenery.duckdb", END)
    yield context
    context.close()


def _order_line_faults(items_csv: Path, products_csv: Path) -> None:
    """A negative quantity on a new line of the first order, and its first line twice."""
    items = _rows(items_csv)
    first = items[0]
    ordered = {i["product_id"] for i in items if i["order_id"] == first["order_id"]}
    other = next(p["product_id"] for p in _rows(products_csv) if p["product_id"] not in ordered)
    items += [{**first, "product_id": other, "quantity": "-2"}, dict(first)]
    _write(items_csv, items)


def _event_faults(events_csv: Path) -> None:
    """Every event four days earlier (a stale source), and a shipment in a session that
    never checked out."""
    events = _rows(events_csv)
    for event in events:
        moved = datetime.fromisoformat(event["created_at"]) - timedelta(days=4)
        event["created_at"] = _stamp(moved)
    checked_out = {e["session_id"] for e in events if e["event_type"] == "checkout"}
    browse = next(e for e in events if e["session_id"] not in checked_out)
    order = next(e for e in events if e["event_type"] == "checkout")
    shipped = datetime.fromisoformat(browse["created_at"]) + timedelta(minutes=1)
    events.append(
        {
            **browse,
            "event_id": "fault-shipment",
            "page_url": f"https://greenary.com/shipping/{order['order_id']}",
            "created_at": _stamp(shipped),
            "event_type": "package_shipped",
            "order_id": order["order_id"],
            "product_id": "",
        }
    )
    _write(events_csv, events)


def test_check_files_cover_every_kind_of_check_and_say_why() -> None:
    files = sorted(CHECKS_DIR.glob("*.yml"))
    texts = {path.stem: path.read_text() for path in files}
    raw = {"addresses", "users", "promos", "products", "orders", "order_items", "events"}
    assert {f"raw.{table}" for table in raw} <= texts.keys()
    assert len(texts) == len(raw) + 11
    assert all(text.startswith("# ") and "Levels:" in text for text in texts.values())
    assert [kind for kind in CHECK_KINDS if not any(kind in t for t in texts.values())] == []


def test_every_check_passes_on_clean_generated_data(clean: Context) -> None:
    connection = clean.engine_adapter.connection
    path_before = connection.execute("SELECT current_setting('search_path')").fetchall()

    results = _check(clean)

    assert {r.dataset for r in results} == {p.stem for p in CHECKS_DIR.glob("*.yml")}
    assert len(results) > 150
    assert _problems(results) == {}
    assert connection.execute("SELECT current_setting('search_path')").fetchall() == path_before


def test_results_carry_owner_severity_threshold_and_query(clean: Context) -> None:
    results = {(r.dataset, r.check): r for r in _check(clean)}

    days = results[("product.session_funnel", "invalid_count(sessions) = 0")]
    assert (days.owner, days.tags, days.severity) == ("product", ("product",), "fail")
    assert (days.failing_rows, days.threshold) == (0, "fail when != 0")
    assert days.query is None, "a passing check has no failing rows to list"

    fresh = results[("raw.events", "freshness(created_at) warn when > 36h fail when > 2d")]
    assert (fresh.column, fresh.severity) == ("created_at", "fail")
    assert 0 < fresh.measured_value < timedelta(days=1) / timedelta(milliseconds=1)

    email = results[("core.dim_users", "invalid_count(email) warn when > 0")]
    assert (email.severity, email.owner, "pii" in email.tags) == ("warn", "data_team", True)


def test_a_scan_of_new_rows_judges_rows_loaded_since_and_the_tables_whole(
    faulty: Context,
) -> None:
    """The faulty rows were loaded before `rows_since`: the `[new]` checks that caught them
    (a raw key's duplicates among them) read no row of theirs, while the checks of a table as
    a whole, and of the marts without `[new]` checks, still see what they saw."""
    after_the_load = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=1)
    problems = _problems(_check(faulty, rows_since=after_the_load))

    assert set(problems) == {
        ("raw.events", "freshness(created_at) warn when > 36h fail when > 2d"),
        ("core.fct_sessions", "a session with packages_shipped > 0 has checkouts > 0"),
        ("core.dim_users", "invalid_count(email) warn when > 0"),
    }, "raw rows are judged one by one only when new; marts without `[new]` read every row"


def test_raw_faults_fail_exactly_the_checks_that_guard_against_them(faulty: Context) -> None:
    problems = _problems(_check(faulty))

    assert {key: r.status for key, r in problems.items()} == {
        ("raw.order_items", "invalid_count(quantity) warn when > 0 fail when > 10"): Status.WARN,
        (
            "raw.order_items",
            "duplicate_count(order_id, product_id) warn when > 0 fail when > 10",
        ): Status.WARN,
        ("raw.events", "freshness(created_at) warn when > 36h fail when > 2d"): Status.FAIL,
        (
            "core.fct_sessions",
            "a session with packages_shipped > 0 has checkouts > 0",
        ): Status.WARN,
        ("raw.users", "invalid_count(email) warn when > 0"): Status.WARN,
        ("core.dim_users", "invalid_count(email) warn when > 0"): Status.WARN,
    }
    assert {key[0]: r.failing_rows for key, r in problems.items() if key[0] != "raw.events"} == {
        "raw.order_items": 1,
        "core.fct_sessions": 1,
        "raw.users": 1,
        "core.dim_users": 1,
    }


def test_emptied_contact_fields_warn_exactly_the_completeness_checks(emptied: Context) -> None:
    """NULL, '' and blanks are all missing; each emptied field warns once, with its count (a
    blank email is missing, not malformed), and an address staging rejected is reported by
    the check about unknown addresses, not by the one about streets."""
    problems = _problems(_check(emptied))

    assert {key: (r.status, r.failing_rows) for key, r in problems.items()} == {
        ("raw.users", "every user has an email"): (Status.WARN, 2),
        ("raw.users", "every user has a phone number"): (Status.WARN, 1),
        ("raw.addresses", "every address has a street"): (Status.WARN, 1),
        ("raw.addresses", "every address has a zipcode"): (Status.WARN, 1),
        ("core.dim_users", "every user has an email"): (Status.WARN, 2),
        ("core.dim_users", "every user has a phone number"): (Status.WARN, 1),
        ("core.dim_users", "every user's known address has a street"): (Status.WARN, 1),
        ("core.dim_users", "a user's default address is known"): (Status.WARN, 1),
    }
    email = problems[("core.dim_users", "every user has an email")]
    assert (email.column, email.severity, email.threshold) == ("email", "warn", "warn when > 0")
    connection = emptied.engine_adapter.connection
    assert len(connection.execute(email.query).fetchall()) == 2
    assert {row["email"] for row in email.sample} == {None, MASK}  # a NULL has nothing to hide


def test_each_failing_query_finds_the_failing_rows_in_any_session(faulty: Context) -> None:
    connection = faulty.engine_adapter.connection
    problems = _problems(_check(faulty))

    shipment = problems[
        ("core.fct_sessions", "a session with packages_shipped > 0 has checkouts > 0")
    ]
    quantity = problems[("raw.order_items", "invalid_count(quantity) warn when > 0 fail when > 10")]
    for result in (shipment, quantity):
        assert len(connection.execute(result.query).fetchall()) == result.failing_rows
    assert [row["packages_shipped"] for row in shipment.sample] == [1]
    assert [row["quantity"] for row in quantity.sample] == [-2]


def test_samples_mask_personal_data(faulty: Context) -> None:
    problems = _problems(_check(faulty))

    for dataset in ("raw.users", "core.dim_users"):
        (row,) = problems[(dataset, "invalid_count(email) warn when > 0")].sample
        assert row["email"] == row["first_name"] == row["phone_number"] == MASK
        assert row["user_id"] != MASK
    duplicated = problems[
        ("raw.order_items", "duplicate_count(order_id, product_id) warn when > 0 fail when > 10")
    ]
    assert len(duplicated.sample) == 2  # the order line and its copy


def test_freshness_is_measured_against_the_runners_now(faulty: Context) -> None:
    """Not against the clock: the events end four days before NOW (failing); 54 hours
    earlier they are 42 hours old (late), 72 hours earlier a day old (fresh)."""
    key = ("raw.events", "freshness(created_at) warn when > 36h fail when > 2d")
    statuses = [
        _problems(_check(faulty, now=NOW - timedelta(hours=hours))).get(key)
        for hours in (0, 54, 72)
    ]
    assert [r.status if r else Status.PASS for r in statuses] == [
        Status.FAIL,
        Status.WARN,
        Status.PASS,
    ]


def test_a_dev_environment_runs_only_its_models_and_raw(clean_own: Context) -> None:
    """A dev environment holds only the changed model; its checks read the dev version, and
    its references reach the unchanged models in prod."""
    model = clean_own.get_model("product.product_conversion")
    changed = model.query.where(
        exp.condition("products.product_id <> (SELECT MIN(product_id) FROM core.dim_products)")
    )
    clean_own.upsert_model(model, query_=ParsableSql.from_parsed_expression(changed, "duckdb"))
    clean_own.plan(
        "dev", auto_apply=True, no_prompts=True, skip_tests=True, execution_time=after(END)
    )

    dev = _check(clean_own, "dev")

    assert {r.dataset for r in dev} == {
        *(p.stem for p in CHECKS_DIR.glob("raw.*.yml")),
        "product.product_conversion",
    }
    assert _problems(dev).keys() == {
        ("product.product_conversion", "row_count same as dim_products")
    }
    prod_count = _measured(_check(clean_own), "product.product_conversion", "row_count > 0")
    assert _measured(dev, "product.product_conversion", "row_count > 0") == prod_count - 1
    assert _problems(_check(clean_own)) == {}, "prod reads its own relations, dev ones exist or not"


def _measured(results: list[CheckResult], dataset: str, check: str) -> float | None:
    return next(r.measured_value for r in results if (r.dataset, r.check) == (dataset, check))


def test_a_check_file_without_its_dataset_is_an_error_where_the_dataset_must_be(
    clean: Context, tmp_path: Path
) -> None:
    """Prod holds every mart and every environment the raw tables: a check file without its
    dataset there (a dropped table, a typo in the file's name) is said. A dev environment
    holds only the marts that changed, so there a mart's file without its dataset is skipped."""
    shutil.copy(CHECKS_DIR / "raw.promos.yml", tmp_path)
    (tmp_path / "core.not_built.yml").write_text("checks for not_built:\n  - row_count > 0\n")
    (tmp_path / "raw.dropped.yml").write_text("checks for dropped:\n  - row_count > 0\n")

    in_prod = _problems(_check(clean, checks_dir=tmp_path))
    in_dev = _check(clean, environment="dev", checks_dir=tmp_path)

    assert {key: r.status for key, r in in_prod.items()} == {
        ("core.not_built", "soda scan"): Status.ERROR,
        ("raw.dropped", "soda scan"): Status.ERROR,
    }
    assert "core.not_built does not exist" in in_prod[("core.not_built", "soda scan")].message
    assert {r.dataset for r in in_dev} == {"raw.promos", "raw.dropped"}
    assert set(_problems(in_dev)) == {("raw.dropped", "soda scan")}


def test_broken_check_files_give_errors_not_exceptions(clean: Context, tmp_path: Path) -> None:
    shutil.copy(CHECKS_DIR / "raw.promos.yml", tmp_path)
    (tmp_path / "core.dim_users.yml").write_text(
        "checks for dim_users:\n  - row_count > 0\n  bad: [\n"
    )
    (tmp_path / "core.fct_orders.yml").write_text(
        "checks for fct_orders:\n"
        "  - row_count > 0\n"
        "  - failed rows:\n"
        "      name: a rule on a column that does not exist\n"
        "      fail condition: no_such_column > 0\n"
    )

    results = _check(clean, checks_dir=tmp_path)

    errors = {(r.dataset, r.check): r.message for r in results if r.status is Status.ERROR}
    assert errors.keys() == {("core.dim_users", "soda scan"), ("core.fct_orders", "soda scan")}
    assert "core.dim_users.yml" in errors[("core.dim_users", "soda scan")]
    assert "could not evaluate 2 check(s)" in errors[("core.fct_orders", "soda scan")]
    assert "no_such_column" in errors[("core.fct_orders", "soda scan")]
    assert {r.status for r in results if r.dataset == "raw.promos"} == {Status.PASS}


def test_percent_checks_count_their_failing_rows(clean: Context, tmp_path: Path) -> None:
    (tmp_path / "core.fct_orders.yml").write_text(
        "checks for fct_orders:\n  - missing_percent(promo_id):\n      warn: when > 50%\n"
    )
    result, scanned = _check(clean, checks_dir=tmp_path)

    assert (scanned.check, scanned.status) == ("soda scan", Status.PASS)
    promo_less = clean.engine_adapter.fetchone(
        "SELECT count(*) FROM core.fct_orders WHERE promo_id IS NULL"
    )[0]
    assert (result.status, result.failing_rows, result.severity) == (
        Status.WARN,
        promo_less,
        "warn",
    )
    assert len(result.sample) == 5


def test_an_unusable_warehouse_gives_errors_not_exceptions(tmp_path: Path) -> None:
    connection = duckdb.connect(str(tmp_path / "closed.duckdb"))
    connection.close()

    results = run_soda_checks(Database(connection), "prod", {}, NOW)

    assert {r.dataset for r in results} == {p.stem for p in CHECKS_DIR.glob("*.yml")}
    assert {r.status for r in results} == {Status.ERROR}
    assert all("closed" in (r.message or "") for r in results)


def test_soda_never_phones_home() -> None:
    """Soda's telemetry would install an OpenTelemetry exporter to collect.soda.io."""
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)


@pytest.mark.skipif(
    not (REFERENCE / "orders.csv").is_file(),
    reason=f"the reference export is not on this machine ({REFERENCE})",
)
def test_every_check_passes_on_the_reference_export(built_reference: Path, tmp_path: Path) -> None:
    context = open_context(copy_of(built_reference, tmp_path))
    last_day: date = context.engine_adapter.fetchone(
        "SELECT max(created_at)::DATE FROM raw.events"
    )[0]

    results = _check(context, now=datetime.combine(last_day + timedelta(days=1), time()))

    assert len(results) > 150
    assert _problems(results) == {}
    context.close()


def test_an_edited_or_removed_check_leaves_no_stale_problem(
    clean_own: Context, tmp_path: Path
) -> None:
    """Identity is the dataset and the check's stable name, not its threshold: a check whose
    level is edited stays the same check; one removed from its file is retired."""
    database = Database(clean_own.engine_adapter.connection)
    checks = tmp_path / "raw.events.yml"

    def run(lines: str) -> list[CheckResult]:
        checks.write_text(f"checks for events:\n  - row_count > 0\n{lines}")
        results = _check(clean_own, checks_dir=tmp_path, now=NOW + timedelta(days=400))
        results += retired_checks(reads.open_problems(database, "prod"), results)
        writes.finish_run(database, writes.start_run(database, "prod", "manual"), results, "ok")
        return results

    def stale() -> set[str]:
        rows = reads.open_problems(database, "prod")
        return {row["check_name"] for row in rows if row["dataset"] == "raw.events"}

    first = run("  - freshness(created_at) < 1d\n")
    edited = run("  - freshness(created_at) < 2d\n")
    assert stale() == {"freshness(created_at) < 2d"}, "the edited check replaced the old one"
    assert {r.check_id for r in first} == {r.check_id for r in edited}

    removed = run("")
    assert [r.message for r in removed if r.message and "retired" in r.message] == [
        "retired: the check is no longer declared"
    ]
    assert stale() == set()
