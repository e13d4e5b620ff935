"""The digest and the HTML report, on a small warehouse with three days of monitor history.

Runs are stored through `monitor.storage.writes` at explicit times (its clock is patched per
run), so every age and duration below is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from monitor.alerts.incidents import decide_events, group_incidents, record_events
from monitor.presentation.digest import build_digest
from monitor.presentation.markdown import SECTION_LIMIT, digest_text
from monitor.presentation.report import build_report
from monitor.presentation.terminal import print_digest
from monitor.results import CheckResult, Source, Status
from monitor.storage import writes
from monitor.storage.database import Database, now
from monitor.storage.tables import ensure_tables

pytestmark = pytest.mark.monitor

#: Day 0 at 06:00, three days ago, so the report's 30-day window (counted from now) holds it.
DAY0 = datetime.combine(now().date() - timedelta(days=3), time(6))
DAY1, DAY2 = DAY0 + timedelta(days=1), DAY0 + timedelta(days=2)
AS_OF = DAY2 + timedelta(hours=6)
ESCAPED_CHECK = '<script>alert("x")</script>'


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Database]:
    connection = duckdb.connect(str(tmp_path / "greenery.duckdb"))
    yield Database(connection)
    connection.close()


@pytest.fixture
def filled(warehouse: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    create_tables(warehouse)
    store_row_counts(warehouse)
    store_runs(warehouse, monkeypatch)
    return warehouse


def result(
    dataset: str, check: str, status: Status, failing_rows: int | None = None, **fields: object
) -> CheckResult:
    fields.setdefault("source", Source.SQLMESH_AUDIT)
    return CheckResult(
        dataset=dataset, check=check, status=status, failing_rows=failing_rows, **fields
    )


def record_run(
    warehouse: Database,
    monkeypatch: pytest.MonkeyPatch,
    at: datetime,
    results: list[CheckResult],
    environment: str = "prod",
) -> None:
    """A run stored through `writes` as if it happened `at`."""
    with monkeypatch.context() as patch:
        patch.setattr(writes, "now", lambda: at)
        run = writes.start_run(warehouse, environment, "run")
        writes.finish_run(warehouse, run, results, "ok")


def create_tables(warehouse: Database) -> None:
    """Three raw sources (two with `created_at`), the loader's log (not a source) and two
    marts, one of them a view as SQLMesh makes them. fct_orders holds one row more than the
    monitor counted at AS_OF: the digest and the report show what the monitor stored."""
    for schema in ("raw", "core", "marketing", "sqlmesh__core"):
        warehouse.execute(f"CREATE SCHEMA {schema}")
    warehouse.execute("CREATE TABLE raw._load_log AS SELECT 'orders.csv' AS file_name")
    warehouse.execute(
        "CREATE TABLE raw.events AS SELECT i AS event_id, ?::TIMESTAMP - to_minutes(i) "
        "AS created_at, ?::TIMESTAMP AS _loaded_at FROM range(50) t(i)",
        [AS_OF - timedelta(hours=3), AS_OF - timedelta(hours=2)],
    )
    warehouse.execute(
        "CREATE TABLE raw.orders AS SELECT i AS order_id, ?::TIMESTAMP - to_hours(i) "
        "AS created_at, ?::TIMESTAMP AS _loaded_at FROM range(20) t(i)",
        [AS_OF - timedelta(days=1, hours=4), AS_OF - timedelta(hours=2)],
    )
    warehouse.execute(
        "CREATE TABLE raw.products AS SELECT i AS product_id, ?::TIMESTAMP AS _loaded_at "
        "FROM range(5) t(i)",
        [AS_OF - timedelta(hours=26)],
    )
    physical = "sqlmesh__core.core__fct_orders__1"
    warehouse.execute(f"CREATE TABLE {physical} AS SELECT i AS order_id FROM range(101) t(i)")
    warehouse.execute(f"CREATE VIEW core.fct_orders AS SELECT * FROM {physical}")
    warehouse.execute("CREATE TABLE marketing.repeat_rate AS SELECT 0.8 AS repeat_rate")


def store_row_counts(warehouse: Database) -> None:
    """The monitor's counts: each dataset at AS_OF; before that, fct_orders has one a day
    before, raw.events only a younger one, repeat_rate none; the dev count must be ignored."""
    ensure_tables(warehouse)
    counts = [
        ("core.fct_orders", AS_OF, 100, "prod"),
        ("marketing.repeat_rate", AS_OF, 1, "prod"),
        ("raw.events", AS_OF, 50, "prod"),
        ("raw.orders", AS_OF, 20, "prod"),
        ("raw.products", AS_OF, 5, "prod"),
        ("core.fct_orders", DAY0, 80, "prod"),
        ("core.fct_orders", DAY1, 90, "prod"),
        ("core.fct_orders", DAY1 + timedelta(hours=12), 95, "prod"),
        ("core.fct_orders", DAY1 + timedelta(hours=3), 1, "dev"),
        ("raw.events", DAY2, 40, "prod"),
    ]
    writes.append(
        warehouse,
        "row_counts",
        (
            dict(zip(("dataset", "counted_at", "row_count", "environment"), c, strict=True))
            for c in counts
        ),
    )


def store_runs(warehouse: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Core: not_null fails from day 1, a reconciliation warns from day 0, uniqueness passes,
    a range check is new on day 2.
    Marketing warns from day 1. Platform: a freshness warning and an erroring Soda check on
    day 2. A dev failure and a product failure after AS_OF must not reach the digest."""
    not_null = "core.fct_orders", "not_null"
    unique = "core.fct_orders", "unique_values"
    reconciles = "core.fct_orders", "assert_order_total_reconciles"
    references = "marketing.fct_user_orders", "assert_references"
    freshness = "raw.orders", "freshness"
    record_run(
        warehouse,
        monkeypatch,
        DAY0,
        [
            result(*not_null, Status.PASS, 0, column="order_id"),
            result(*unique, Status.PASS, 0, column="order_id"),
            result(*reconciles, Status.WARN, 2, severity="warn"),
            result(*references, Status.PASS, 0, severity="warn"),
            result(*freshness, Status.PASS, source=Source.MONITOR),
        ],
    )
    record_run(
        warehouse,
        monkeypatch,
        DAY1,
        [
            result(*not_null, Status.FAIL, 3, column="order_id"),
            result(*unique, Status.PASS, 0, column="order_id"),
            result(*reconciles, Status.WARN, 2, severity="warn"),
            result(*references, Status.WARN, 4, severity="warn"),
            result(*freshness, Status.PASS, source=Source.MONITOR),
        ],
    )
    record_run(
        warehouse,
        monkeypatch,
        DAY2,
        [
            result(
                *not_null,
                Status.FAIL,
                5,
                column="order_id",
                query="SELECT * FROM core.fct_orders WHERE order_id IS NULL",
                sample=[{"order_id": None, "email": "***", "order_total": 12.5}],
            ),
            result(*unique, Status.PASS, 0, column="order_id"),
            result("core.fct_orders", "accepted_range", Status.PASS, 0, column="order_total"),
            result(*reconciles, Status.WARN, 2, severity="warn"),
            result(*references, Status.WARN, 4, severity="warn"),
            result(*freshness, Status.WARN, source=Source.MONITOR, message="26 h old"),
            result(
                "staging.stg_greenery__orders",
                "row_count > 0",
                Status.ERROR,
                source=Source.SODA,
                message="could not connect",
            ),
        ],
    )
    record_run(
        warehouse,
        monkeypatch,
        DAY2 + timedelta(hours=1),
        [result(*unique, Status.FAIL, 7, column="order_id")],
        environment="dev",
    )
    record_run(
        warehouse,
        monkeypatch,
        AS_OF + timedelta(hours=2),
        [result("product.product_conversion", "not_null", Status.FAIL, 1, column="product_id")],
    )


# --- digest --------------------------------------------------------------------------------------


def test_digest_counts_latest_results_per_business_unit(filled: Database) -> None:
    digest = build_digest(filled, as_of=AS_OF)

    counts = {u.name: {s: u.count(s) for s in Status if u.count(s)} for u in digest.units}
    assert counts == {
        "core": {Status.PASS: 2, Status.WARN: 1, Status.FAIL: 1},
        "marketing": {Status.WARN: 1},
        "product": {},  # its only result came after AS_OF
        "platform": {Status.WARN: 1, Status.ERROR: 1},
    }


def test_digest_freshness_of_sources(filled: Database) -> None:
    freshness = {f.dataset: f for f in build_digest(filled, as_of=AS_OF).unit("platform").freshness}

    assert set(freshness) == {"raw.events", "raw.orders", "raw.products"}
    assert freshness["raw.events"].record_age == timedelta(hours=3)
    assert freshness["raw.events"].load_age == timedelta(hours=2)
    assert freshness["raw.orders"].record_age == timedelta(days=1, hours=4)
    assert freshness["raw.products"].newest_record is None
    assert freshness["raw.products"].load_age == timedelta(hours=26)


def test_digest_row_counts_compare_with_a_day_before(filled: Database) -> None:
    digest = build_digest(filled, as_of=AS_OF)

    orders = digest.unit("core").row_counts[0]
    assert (orders.dataset, orders.rows, orders.previous_rows) == ("core.fct_orders", 100, 90)
    assert (orders.previous_at, orders.change) == (DAY1, 10)
    events = {c.dataset: c for c in digest.unit("platform").row_counts}["raw.events"]
    assert (events.previous_rows, events.previous_at, events.change) == (40, DAY2, 10)
    (rate,) = digest.unit("marketing").row_counts
    assert (rate.rows, rate.previous_rows, rate.change) == (1, None, None)
    assert filled.value("SELECT count(*) FROM monitor.row_counts") == 10  # the digest only reads


def test_digest_open_problems_worst_first_with_open_duration(filled: Database) -> None:
    digest = build_digest(filled, as_of=AS_OF)

    core = [(p.status, p.check, p.opened_at, p.open_for) for p in digest.unit("core").problems]
    assert core == [
        (Status.FAIL, "not_null", DAY1, timedelta(days=1, hours=6)),
        (Status.WARN, "assert_order_total_reconciles", DAY0, timedelta(days=2, hours=6)),
    ]
    platform = [(p.status, p.dataset) for p in digest.unit("platform").problems]
    assert platform == [
        (Status.ERROR, "staging.stg_greenery__orders"),
        (Status.WARN, "raw.orders"),
    ]
    assert digest.unit("product").problems == ()


def test_digest_text_has_a_section_per_unit(filled: Database) -> None:
    digest = build_digest(filled, as_of=AS_OF)
    text = digest_text(digest)

    assert [line.split(" · ")[0] for line in text.splitlines() if line.startswith("## ")] == [
        "## Core",
        "## Marketing",
        "## Product",
        "## Platform",
    ]
    core = digest_text(digest, "core")
    assert "## Marketing" not in core
    assert "2 passed, 1 warned, 1 failed" in core
    assert "**FAIL** `core.fct_orders` `not_null` on `order_id`, 5 failing rows, open 30 h" in core
    assert "`core.fct_orders`: 100 rows, +10 (+11.1%) since" in core
    platform = digest_text(digest, "platform")
    assert "1 errored" in platform
    assert "`raw.events`: newest record" in platform and "(3 h ago), loaded 2 h ago" in platform


def test_digest_text_sections_fit_slack(
    warehouse: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = [
        result("core.fct_orders", f"check_{i}_" + "x" * 150, Status.FAIL, i, column="c" * 60)
        for i in range(120)
    ]
    record_run(warehouse, monkeypatch, DAY0, failing)
    digest = build_digest(warehouse, as_of=AS_OF)

    for unit in digest.units:
        assert len(digest_text(digest, unit.name)) <= SECTION_LIMIT
    core = digest_text(digest, "core")
    assert core.count("- **FAIL**") == 10
    assert "- … and 110 more" in core
    assert "open 2 d 6 h" in core  # names are cut, never the facts after them


def test_print_digest_shows_every_table(filled: Database) -> None:
    console = Console(record=True, width=200)
    print_digest(build_digest(filled, as_of=AS_OF), console)
    out = console.export_text()

    for title in ("Checks", "Open problems", "Source freshness", "Row counts"):
        assert title in out
    assert "assert_order_total_reconciles" in out and "2 d 6 h" in out


# --- report --------------------------------------------------------------------------------------


def test_report_is_one_self_contained_file(filled: Database, tmp_path: Path) -> None:
    out = build_report(filled, tmp_path / "report" / "index.html")

    assert [p.name for p in out.parent.iterdir()] == ["index.html"]
    html = out.read_text()
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "http://" not in html and "https://" not in html


def test_report_lists_open_problems_before_history(filled: Database, tmp_path: Path) -> None:
    html = build_report(filled, tmp_path / "report.html").read_text()

    problems, history_at = html.index('id="open-problems"'), html.index('id="history"')
    first_problem = html.index("could not connect")
    assert problems < first_problem < history_at
    section = html[problems:history_at]
    assert section.index("staging.stg_greenery__orders") < section.index("core.fct_orders")
    assert "<details><summary>Query to reproduce</summary>" in section
    assert "WHERE order_id IS NULL" in section
    assert "<th>email</th>" in section and "<td>***</td>" in section


def test_report_history_strips_charts_and_runs(filled: Database, tmp_path: Path) -> None:
    html = build_report(filled, tmp_path / "report.html").read_text()
    history_html = html[html.index('id="history"') : html.index('id="runs"')]

    assert history_html.count('class="cell fail" title=') == 3  # not_null twice, product once
    assert history_html.count('class="cell error" title=') == 1
    assert history_html.count('class="cell none" title=') == 2  # the range check, days 0 and 1
    assert "<svg" in history_html and "101 rows" not in history_html  # counts from history only
    assert "95 rows" in history_html and "100 rows" in history_html
    runs_html = html[html.index('id="runs"') :]
    assert runs_html.count("<tr><td><code>") == 4  # prod's runs only: the dev run is not counted
    assert "dev" not in runs_html


def test_report_escapes_names(
    warehouse: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    record_run(warehouse, monkeypatch, DAY0, [result("core.x", ESCAPED_CHECK, Status.FAIL, 1)])
    html = build_report(warehouse, tmp_path / "report.html").read_text()

    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_report_renders_empty_history(warehouse: Database, tmp_path: Path) -> None:
    for prepare in (lambda: None, lambda: ensure_tables(warehouse)):
        prepare()
        html = build_report(warehouse, tmp_path / "report.html").read_text()
        assert "No open problems" in html
        assert "No check results or row counts in the last 30 days" in html
        assert "No monitor runs of prod in the last 30 days" in html


def _history_sections(html: str) -> dict[str, str]:
    """The history section cut per dataset: name -> its HTML, in page order."""
    history = html[html.index('id="history"') : html.index('id="runs"')]
    parts = re.split(r'(?=<div class="dataset">|<details class="dataset clean">)', history)[1:]
    return {re.search(r"<(?:h3|strong)>([^<]+)<", part)[1]: part for part in parts}


def test_report_counts_runs_of_its_environment_and_says_what_they_found(
    filled: Database, tmp_path: Path
) -> None:
    html = build_report(filled, tmp_path / "report.html").read_text()
    runs_html = html[html.index('id="runs"') :]

    badges = re.findall(r'<span class="badge (\w+)">([^<]*)</span>', runs_html)
    assert badges == [  # newest first; a run that found failures never reads as a plain "ok"
        ("fail", "ok · 1 fail"),
        ("error", "ok · 1 error · 1 fail · 3 warn"),
        ("fail", "ok · 1 fail · 2 warn"),
        ("warn", "ok · 1 warn"),
    ]
    header = html[: html.index('id="open-problems"')]
    assert 'Monitor runs of prod</div><div class="big">4</div>' in header
    assert '<span class="badge fail">ok · 1 fail</span>' in header


def test_report_folds_passing_checks_and_lists_datasets_with_problems_first(
    filled: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean = [result("core.dim_users", f"check {i}", Status.PASS, 0) for i in range(3)]
    record_run(filled, monkeypatch, DAY2 + timedelta(hours=2), clean)
    sections = _history_sections(build_report(filled, tmp_path / "report.html").read_text())

    assert list(sections) == [
        "staging.stg_greenery__orders",  # error
        "core.fct_orders",  # fail, then by unit and name
        "product.product_conversion",
        "marketing.fct_user_orders",  # warn
        "raw.orders",
        "core.dim_users",  # all pass
        "marketing.repeat_rate",  # row counts only
        "raw.events",
        "raw.products",
    ]
    shown, folded = sections["core.fct_orders"].split('<details class="passing">')
    assert "not_null" in shown and "assert_order_total_reconciles" in shown
    assert "unique_values" not in shown and "accepted_range" not in shown
    assert "unique_values" in folded and "accepted_range" in folded
    assert "<summary>2 passing checks</summary>" in folded
    assert "4 checks: 1 fail, 1 warn, 2 pass" in shown
    users = sections["core.dim_users"]
    assert users.startswith('<details class="dataset clean">')  # closed: one line on the page
    assert "3 checks, all pass" in users


def test_report_says_durations_in_messages_as_people_do(
    warehouse: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stored = "newest value 2021-02-12 08:55:36, 2118 days, 9:37:19.011823 before NOW"
    freshness = result("raw.events", "freshness(created_at)", Status.FAIL, message=stored)
    record_run(warehouse, monkeypatch, DAY0, [freshness])
    html = build_report(warehouse, tmp_path / "report.html").read_text()

    assert "newest value 2021-02-12 08:55:36, 5 years 9 months before NOW" in html
    assert "days," not in html and "9:37:19" not in html


def test_report_lists_open_incidents_first(filled: Database, tmp_path: Path) -> None:
    problems = [
        result("raw.orders", "missing_count(user_id) = 0", Status.FAIL, 3, source=Source.SODA),
        result("core.fct_orders", "assert_references", Status.WARN, 2, severity="warn"),
    ]
    upstream = {"core.fct_orders": {"raw.orders"}}
    moment = now()
    incidents = group_incidents(problems, upstream)
    events = decide_events(filled, "prod", incidents, set(upstream), set(), timedelta(1), moment)
    record_events(filled, "run", "prod", events, moment)

    html = build_report(filled, tmp_path / "report.html").read_text()

    section = html[html.index('id="open-incidents"') : html.index('id="open-problems"')]
    assert "<strong>raw.orders</strong> · impacts <code>core.fct_orders</code>" in section
    assert "<dt>failing rows</dt><dd>5</dd>" in section
