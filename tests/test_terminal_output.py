"""What the monitor prints, at 80 columns, at 200 and into a file: names are never cut, and the
run summary names what failed and what to run next.

The history is stored through `monitor.storage.writes` at explicit times, with the long names
the project's checks have (audits with their arguments, Soda checks with their levels)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from monitor.presentation.digest import build_digest
from monitor.presentation.terminal import (
    open_problems_table,
    print_digest,
    recent_results_table,
    results_table,
    run_summary,
    short_check_name,
)
from monitor.results import CheckResult, Source, Status
from monitor.storage import reads, writes
from monitor.storage.database import Database, now

pytestmark = pytest.mark.monitor

DAY0 = datetime.combine(now().date() - timedelta(days=3), time(6))
DAY1 = DAY0 + timedelta(days=1)
AS_OF = DAY1 + timedelta(hours=4)
#: A Soda freshness message as older runs stored it: Python's timedelta, never to be printed.
STALE = "newest value 2021-02-12 08:55:36, 2118 days, 9:37:19.011823 before NOW"

FRESHNESS = ("raw.events", "freshness(created_at) warn when > 36h fail when > 2d", "created_at")
REFERENCES = (
    "marketing.fct_user_orders",
    "assert_references(column := user_id, target := core.dim_users, target_column := user_id)",
    "user_id",
)
NOT_NULL = (
    "marketing.repeat_purchase_indicators",
    "not_null(columns := (buyer_segment, users, avg_orders))",
    "buyer_segment",
)
VALUES = (
    "staging.stg_greenery__order_items",
    "accepted_values(column := status, is_in := ('preparing', 'shipped', 'delivered'))",
    "status",
)
PASSING = (
    "core.dim_products",
    "unique_combination_of_columns(columns := (product_id))",
    "product_id",
)
CHECKS = (FRESHNESS, REFERENCES, NOT_NULL, VALUES, PASSING)
WIDTHS = (80, 200)


def result(check: tuple[str, str, str], status: Status, **fields: object) -> CheckResult:
    dataset, name, column = check
    fields.setdefault("source", Source.SQLMESH_AUDIT)
    return CheckResult(dataset=dataset, check=name, column=column, status=status, **fields)


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """Day 0: the references audit warns, the rest pass. Day 1: freshness fails (with the
    stored timedelta), the references audit still warns, a not_null fails, the values check
    errors; the uniqueness check passes both days."""
    connection = duckdb.connect(str(tmp_path / "greenery.duckdb"))
    database = Database(connection)
    days = {
        DAY0: [
            result(FRESHNESS, Status.PASS, source=Source.SODA),
            result(REFERENCES, Status.WARN, failing_rows=4, severity="warn"),
            result(NOT_NULL, Status.PASS, failing_rows=0),
            result(VALUES, Status.PASS, failing_rows=0),
            result(PASSING, Status.PASS, failing_rows=0),
        ],
        DAY1: [
            result(FRESHNESS, Status.FAIL, source=Source.SODA, message=STALE),
            result(REFERENCES, Status.WARN, failing_rows=4, severity="warn"),
            result(NOT_NULL, Status.FAIL, failing_rows=1_234),
            result(VALUES, Status.ERROR, message="Catalog Error: Table does not exist"),
            result(PASSING, Status.PASS, failing_rows=0),
        ],
    }
    for at, results in days.items():
        with monkeypatch.context() as patch:
            patch.setattr(writes, "now", lambda at=at: at)
            run = writes.start_run(database, "prod", "run")
            writes.finish_run(database, run, results, "ok")
    yield database
    connection.close()


def lines_of(render, width: int | None) -> list[str]:
    """What `render(console)` prints at `width`, or into a file at rich's own width."""
    if width is None:
        console = Console(file=io.StringIO())  # not a terminal, as in `>> logs/daily.log`
        render(console)
        return console.file.getvalue().splitlines()
    console = Console(record=True, width=width)
    render(console)
    return console.export_text().splitlines()


def assert_names_whole(lines: list[str], names: list[str], width: int | None) -> None:
    """Every name is on one line, whole; nothing was cut short; a line wider than the console
    is one name alone (the terminal folds it, a log keeps it whole)."""
    for name in names:
        assert any(name in line for line in lines), f"{name!r} is cut or wrapped:\n" + "\n".join(
            lines
        )
    assert not any("…" in line for line in lines)
    for line in lines:
        assert len(line.rstrip()) <= (width or 80) or line.strip() in names, line


@pytest.fixture(params=[*WIDTHS, None], ids=["80", "200", "file"])
def width(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int | None:
    monkeypatch.delenv("COLUMNS", raising=False)  # a file gets rich's default width, 80
    monkeypatch.delenv("LINES", raising=False)
    return request.param


def test_digest_keeps_every_name_whole(history: Database, width: int | None) -> None:
    digest = build_digest(history, as_of=AS_OF)
    lines = lines_of(lambda console: print_digest(digest, console), width)

    problems = [check for check in CHECKS if check is not PASSING]
    assert_names_whole(lines, [name for check in problems for name in check[:2]], width)
    assert not any("days," in line for line in lines)


def test_problems_and_history_keep_every_name_whole(history: Database, width: int | None) -> None:
    problems = reads.open_problems(history, "prod")
    recent = reads.results_problems_first(history, "prod", None, 30)

    for render, checks in (
        (lambda c: c.print(open_problems_table(problems, "prod"), soft_wrap=True), CHECKS[:4]),
        (lambda c: c.print(recent_results_table(recent), soft_wrap=True), CHECKS),
    ):
        lines = lines_of(render, width)
        assert_names_whole(lines, [name for check in checks for name in check[:2]], width)


def test_narrow_console_lists_each_row_as_a_short_block(history: Database) -> None:
    problems = reads.open_problems(history, "prod")
    listing = open_problems_table(problems, "prod")
    lines = lines_of(lambda console: console.print(listing, soft_wrap=True), 80)

    assert lines[0] == "Open problems (prod)"
    error = lines.index(f"ERROR {VALUES[0]}")  # the check does not fit beside its dataset
    assert lines[error + 1] == f"   {VALUES[1]}"
    assert lines[error + 2].startswith("   column status, open ")
    fail = next(i for i, line in enumerate(lines) if line.startswith(f"FAIL {FRESHNESS[0]}"))
    assert lines[fail] == f"FAIL {FRESHNESS[0]} · {FRESHNESS[1]}"
    assert lines[fail + 2] == "   newest value 2021-02-12 08:55:36, 5 years 9 months before NOW"
    assert not any("┃" in line for line in lines)


def test_wide_console_keeps_the_table(history: Database) -> None:
    recent = reads.results_problems_first(history, "prod", "raw.events", 5)
    lines = lines_of(
        lambda console: console.print(recent_results_table(recent), soft_wrap=True), 200
    )

    assert any("┃ status" in line for line in lines)
    assert sum(FRESHNESS[1] in line for line in lines) == 2


def test_history_lists_problems_first_worst_and_newest_first(history: Database) -> None:
    rows = reads.results_problems_first(history, "prod", None, 30)

    assert [(r["status"], r["dataset"], r["checked_at"]) for r in rows] == [
        ("error", VALUES[0], DAY1),
        ("fail", NOT_NULL[0], DAY1),  # one time: by dataset
        ("fail", FRESHNESS[0], DAY1),
        ("warn", REFERENCES[0], DAY1),
        ("warn", REFERENCES[0], DAY0),
        ("pass", PASSING[0], DAY1),
        ("pass", PASSING[0], DAY0),
        ("pass", NOT_NULL[0], DAY0),
        ("pass", FRESHNESS[0], DAY0),
        ("pass", VALUES[0], DAY0),
    ]
    limited = reads.results_problems_first(history, "prod", None, 3)
    assert [r["status"] for r in limited] == ["error", "fail", "fail"]


def test_a_console_that_crops_gets_long_names_wrapped_never_cut(width: int | None) -> None:
    """Printed without `soft_wrap`, rich would crop a line at the console's width: a name wider
    than the console is then wrapped at its spaces, its continuation indented."""
    check = "forall(criteria := (" + " AND ".join(f"c{i} >= 0" for i in range(30)) + "))"
    listing = results_table([result(("core.fct_orders", check, "c1"), Status.FAIL)], "Problems")
    lines = lines_of(lambda console: console.print(listing), width)

    assert all(len(line) <= (width or 80) for line in lines)
    shown = " ".join(line.strip() for line in lines[2:] if not line.startswith("   column"))
    assert check in shown


# --- the run summary -----------------------------------------------------------------------------


def test_run_summary_names_what_failed_and_the_next_command() -> None:
    results = [
        result(FRESHNESS, Status.FAIL, source=Source.SODA, message=STALE),
        result(("raw.orders", *FRESHNESS[1:]), Status.FAIL, source=Source.SODA),
        *(result(PASSING, Status.PASS) for _ in range(347)),
    ]
    summary = run_summary(results, as_of=datetime(2026, 12, 1, 20, 0))

    assert summary.splitlines() == [
        "349 checked: 347 pass, 2 fail:",
        "  raw.events freshness(created_at), newest 2021-02-12, 5 years 9 months ago;",
        "  raw.orders freshness(created_at).",
        "See `monitor problems`.",
    ]


def test_run_summary_names_three_worst_then_counts_the_rest() -> None:
    results = [
        result(REFERENCES, Status.WARN, failing_rows=4),
        result(NOT_NULL, Status.FAIL, failing_rows=1_234),
        result(VALUES, Status.ERROR),
        result(PASSING, Status.WARN, failing_rows=1),
        result(PASSING, Status.PASS),
    ]
    summary = run_summary(results, environment="dev")
    lines = summary.splitlines()

    assert lines[0] == "5 checked: 1 pass, 2 warn, 1 fail, 1 error:"
    assert lines[1] == "  staging.stg_greenery__order_items accepted_values(status) (error);"
    assert lines[2:4] == [
        "  marketing.repeat_purchase_indicators not_null(buyer_segment),",
        "    1,234 failing rows;",
    ]
    assert "and 1 more." in summary and "  core.dim_products" in summary
    assert lines[-1] == "See `monitor problems --environment dev`."
    assert all(len(line) <= 80 for line in lines)


def test_run_summary_when_all_pass_or_nothing_ran() -> None:
    assert run_summary([result(PASSING, Status.PASS)] * 3) == (
        "3 checked: all pass; see `monitor digest`."
    )
    assert "monitor check" in run_summary([])


def test_short_check_names() -> None:
    assert short_check_name(FRESHNESS[1]) == "freshness(created_at)"
    assert short_check_name(VALUES[1], "status") == "accepted_values(status)"
    assert short_check_name("row_count > 0") == "row_count > 0"
    assert short_check_name(NOT_NULL[1]) == "not_null"
