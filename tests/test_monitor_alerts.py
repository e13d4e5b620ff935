"""The monitor end to end: plain SQLMesh plans and runs, real SMTP and HTTP servers on loopback.

One story, step by step, on a generated warehouse whose data ends yesterday:
clean build -> no alert; faults injected at the raw layer -> exactly the expected alerts by
email and Slack; the same faults again -> silence; the data fixed -> resolved notices; a
channel that refused the connection gets its alerts on the next run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta

import apprise.plugins.slack
import pytest
from sqlglot import parse_one
from sqlmesh import Context
from sqlmesh.core.model.common import ParsableSql

from ingest.generate import generate
from tests.servers import Capture, Mailbox, free_port, http_server, smtp_server
from tests.warehouse_builds import build

#: Every alert the injected faults must raise, and no other: (dataset, part of the check name).
#: SQLMesh audits and Soda checks both watch most rules, and both speak up.
EXPECTED = [
    # a stale source: raw.order_items not loaded for three days
    ("raw.order_items", "freshness(_loaded_at)"),
    # a duplicated order line
    ("raw.order_items", "unique_combination_of_columns_non_blocking"),
    ("raw.order_items", "duplicate_count(order_id, product_id)"),
    # a negative quantity
    ("raw.order_items", "invalid_count(quantity)"),
    # a user delivered twice
    ("raw.users", "unique_values_non_blocking"),
    ("raw.users", "duplicate_count(user_id)"),
    # an order by an unknown user, with no lines
    ("raw.orders", "values in (user_id) must exist in users"),
    ("core.fct_orders", "assert_references(column := user_id"),
    ("core.fct_orders", "values in (user_id) must exist in dim_users"),
    ("core.fct_orders", "every order has lines"),
    ("marketing.fct_user_orders", "assert_references(column := user_id"),
    ("marketing.fct_user_orders", "values in (user_id) must exist in dim_users"),
    # a shipment in a session without checkout
    ("core.fct_sessions", "assert_shipments_have_checkout"),
    ("core.fct_sessions", "packages_shipped > 0 has checkouts > 0"),
]


class Story:
    """Shared state of the scenario: the context, the servers' inboxes, the clock."""

    def __init__(self, context: Context, mailbox: Mailbox, posts: Capture, dead_port: int):
        self.context = context
        self.mailbox = mailbox
        self.posts = posts
        self.dead_port = dead_port
        self.day = 0

    def run(self) -> None:
        """A plain `sqlmesh run`, a day later each time, so that the daily models are due."""
        self.day += 1
        before = self.monitor_runs()
        now = datetime.now().replace(microsecond=0)
        later = now + timedelta(days=self.day)
        self.context.run(end=later, execution_time=later)
        assert self.monitor_runs() == before + 1, "every run must reach the monitor"

    def sql(self, statement: str, parameters: list | None = None) -> list[tuple]:
        """On SQLMesh's own connection: this process holds the DuckDB file."""
        cursor = self.context.engine_adapter.connection.execute(statement, parameters or [])
        return cursor.fetchall() if cursor.description else []

    def clock(self) -> datetime:
        """The story's time: today plus one day per run so far."""
        now = datetime.now().replace(microsecond=0)
        return now + timedelta(days=self.day)

    def monitor_runs(self) -> int:
        """Monitor runs that checked something (not the closing of an unfinished apply)."""
        return self.sql("SELECT count(*) FROM monitor.runs WHERE outcome = 'ok'")[0][0]

    def emails(self) -> list[str]:
        return self.mailbox.texts()

    def slack(self) -> list[dict]:
        return self.posts.bodies("/slack/")


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    root = tmp_path_factory.mktemp("monitor")
    generate(root / "raw", scale=0.5, seed=5)  # ends yesterday: fresh for the real clock
    dead_port = free_port()
    with smtp_server() as (smtp_port, mailbox), http_server() as (http_port, posts):
        saved = apprise.plugins.slack.NotifySlack.webhook_url
        apprise.plugins.slack.NotifySlack.webhook_url = f"http://127.0.0.1:{http_port}/slack"
        config = root / "apprise.yml"
        config.write_text(
            "urls:\n"
            f"  - mailto://127.0.0.1:{smtp_port}?from=monitor@greenery.test"
            "&to=data-team@greenery.test&mode=insecure:\n"
            "      tag: data_team\n"
            "  - slack://T0000AAAA/B0000BBBB/abcdefghijklmnopqrstuvwx/#marketing:\n"
            "      tag: marketing\n"
            f"  - json://127.0.0.1:{dead_port}/hooks:\n"
            "      tag: data_team\n"
        )
        saved_env = os.environ.get("APPRISE_CONFIG_PATH")
        os.environ["APPRISE_CONFIG_PATH"] = str(config)
        try:
            context = build(root / "raw", root / "greenery.duckdb")
            yield Story(context, mailbox, posts, dead_port)
        finally:
            apprise.plugins.slack.NotifySlack.webhook_url = saved
            if saved_env is None:
                os.environ.pop("APPRISE_CONFIG_PATH")
            else:
                os.environ["APPRISE_CONFIG_PATH"] = saved_env


def _alerts(story: Story, kind: str) -> list[dict]:
    rows = story.sql(
        "SELECT a.kind, c.dataset, c.check_name, c.failing_rows, a.title, a.body "
        "FROM monitor.alerts AS a JOIN monitor.check_results AS c "
        "  ON c.run_id = a.run_id AND c.check_id = a.check_id WHERE a.kind = ?",
        [kind],
    )
    names = ("kind", "dataset", "check", "failing_rows", "title", "body")
    return [dict(zip(names, row, strict=True)) for row in rows]


def _assert_exactly_expected(alerts: list[dict]) -> None:
    """Each alert is one of EXPECTED, and each of EXPECTED is exactly one alert."""
    found = sorted((a["dataset"], a["check"]) for a in alerts)
    for dataset, words in EXPECTED:
        matching = [f for f in found if f[0] == dataset and words in f[1]]
        assert len(matching) == 1, (dataset, words, found)
    assert len(found) == len(EXPECTED), found


def test_1_a_clean_build_sends_nothing(story: Story) -> None:
    results = story.sql("SELECT status, count(*) FROM monitor.check_results GROUP BY ALL")
    assert dict(results).keys() == {"pass"}, results
    assert sum(n for _, n in results) > 300
    assert story.emails() == []
    assert story.slack() == []


def test_2_faults_at_the_raw_layer_raise_exactly_the_expected_alerts(story: Story) -> None:
    old = "current_timestamp::TIMESTAMP - INTERVAL 3 DAY"
    story.sql(f"UPDATE raw.order_items SET _loaded_at = {old}")  # a stale source
    story.sql(  # a negative quantity, and a duplicated order line
        f"""
        INSERT INTO raw.order_items
        SELECT order_id, (SELECT max(product_id) FROM raw.products), -2, {old}, 'fault.csv', 1
        FROM raw.order_items ORDER BY order_id LIMIT 1;
        INSERT INTO raw.order_items
        SELECT order_id, product_id, quantity + 1, {old}, 'fault.csv', 2
        FROM raw.order_items ORDER BY order_id DESC LIMIT 1
        """
    )
    story.sql(  # a shipment in a session without checkout
        """
        INSERT INTO raw.events
        SELECT 'fault-event', 'fault-session', user_id,
               replace(page_url, '/checkout/', '/shipping/'), created_at + INTERVAL 1 HOUR,
               'package_shipped', order_id, NULL, _loaded_at, 'fault.csv', 3
        FROM raw.events WHERE event_type = 'checkout'
        ORDER BY created_at DESC LIMIT 1
        """
    )
    story.sql(  # a user delivered twice (personal data in the sample), and an order by nobody
        """
        INSERT INTO raw.users
        SELECT * REPLACE ('changed.' || email AS email, _source_line + 1000 AS _source_line)
        FROM raw.users ORDER BY user_id LIMIT 1;
        INSERT INTO raw.orders
        SELECT * REPLACE ('fault-order' AS order_id, 'nobody' AS user_id)
        FROM raw.orders ORDER BY order_id LIMIT 1
        """
    )
    story.run()

    new = _alerts(story, "new")
    _assert_exactly_expected(new)
    for alert in new:
        assert alert["dataset"] in alert["title"]
        assert f"`{alert['dataset']}`" in alert["body"]
        if alert["failing_rows"]:
            assert f"{alert['failing_rows']:,} failing row(s)" in alert["body"]

    emails = story.emails()
    assert len(emails) == len(new), "the data team's inbox hears every alert once"
    duplicated_user = next(e for e in emails if "raw.users" in e and "duplicate_count" in e)
    assert "***" in duplicated_user
    assert "changed." not in duplicated_user and "@" not in duplicated_user.split("Reproduce")[0]

    slack = story.slack()
    assert slack, "the marketing channel hears the marketing alert"
    texts = [json.dumps(post) for post in slack]
    assert all("marketing.fct_user_orders" in text for text in texts)
    assert all(len(a["text"]) <= 3000 for post in slack for a in post["attachments"])

    refused = story.sql(
        "SELECT count(*) FROM monitor.deliveries WHERE NOT delivered AND channel LIKE 'json://%'"
    )[0][0]
    assert refused == len(new), "the refusing channel's failures are recorded"


def test_3_the_same_faults_again_send_nothing_new(story: Story) -> None:
    emails, slack = len(story.emails()), len(story.slack())
    story.run()
    assert len(story.emails()) == emails
    assert len(story.slack()) == slack
    assert _alerts(story, "still_failing") == []


def test_4_a_refusing_channel_gets_its_alerts_on_the_next_run(story: Story) -> None:
    with http_server(story.dead_port) as (_, revived):
        story.run()
    delivered = revived.bodies("/hooks")
    assert len(delivered) == len(_alerts(story, "new"))
    assert {body["title"] for body in delivered} == {a["title"] for a in _alerts(story, "new")}


def test_5_fixing_the_data_sends_resolved_notices(story: Story) -> None:
    story.sql(
        """
        DELETE FROM raw.order_items WHERE _source_file = 'fault.csv';
        DELETE FROM raw.events WHERE _source_file = 'fault.csv';
        DELETE FROM raw.users WHERE _source_line > 1000;
        DELETE FROM raw.orders WHERE order_id = 'fault-order';
        UPDATE raw.order_items SET _loaded_at = current_timestamp::TIMESTAMP
        """
    )
    emails = len(story.emails())
    # Days already processed are rebuilt the SQLMesh way: restate them (staging's tables too).
    story.context.plan(
        restate_models=["staging.*", "core.*", "marketing.*", "product.*"],
        start=story.clock() - timedelta(days=7 + story.day),
        end=story.clock(),
        execution_time=story.clock(),
        auto_apply=True,
        no_prompts=True,
    )

    resolved = _alerts(story, "resolved")
    _assert_exactly_expected(resolved)
    assert all(a["title"].startswith("[RESOLVED]") for a in resolved)
    assert len(story.emails()) == emails + len(resolved)
    assert any("[RESOLVED]" in json.dumps(post) for post in story.slack())


def test_6_a_failing_plan_is_reported_by_the_next_run(story: Story) -> None:
    """A change that breaks a blocking audit fails its plan, and SQLMesh skips `after_all`:
    the next run's monitor reports the apply that never finished, once, to the channels."""
    model = story.context.get_model("core.dim_products")
    original = model.query.sql(dialect="duckdb")
    broken = parse_one(f"{original} UNION ALL {original}", dialect="duckdb")
    story.context.upsert_model(model, query_=ParsableSql.from_parsed_expression(broken, "duckdb"))
    emails = len(story.emails())

    with pytest.raises(Exception):  # noqa: B017 (whatever SQLMesh raises, the plan must fail)
        story.context.plan("faulty", auto_apply=True, no_prompts=True, skip_tests=True)
    assert len(story.emails()) == emails, "after_all does not run after a failed apply"

    story.run()
    (pipeline,) = [e for e in story.emails()[emails:] if "sqlmesh.pipeline" in e]
    assert "faulty" in pipeline and "never finished" in pipeline
    story.run()
    (resolved,) = [e for e in story.emails()[emails:] if "RESOLVED" in e]
    assert "sqlmesh.pipeline" in resolved
