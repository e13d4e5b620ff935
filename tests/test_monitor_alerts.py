"""The monitor end to end: plain SQLMesh plans and runs, real SMTP and HTTP servers on loopback.

One story, step by step, on a generated warehouse whose data ends yesterday:
clean build -> no message; ten faults of different kinds land in one day -> at most ten
incidents and one message per channel; the same faults again -> silence; a channel that
refused the connection gets its message on the next run; the data fixed -> one resolved
message per channel; a failing apply -> told by the next run.
"""

from __future__ import annotations

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

pytestmark = pytest.mark.monitor

#: Ten faults of different kinds, landed in one day, and the raw table each one starts at.
FAULTS = {
    "a stale source": "raw.events",
    "a negative quantity": "raw.order_items",
    "a duplicated order line": "raw.order_items",
    # No raw check sees it: the sessions mart does, and is its root.
    "a shipment in a session without checkout": "core.fct_sessions",
    "a user delivered twice": "raw.users",
    "an emptied email": "raw.users",
    "an order by an unknown user": "raw.orders",
    "an unknown order status": "raw.orders",
    "a promo with a negative discount": "raw.promos",
    "a product with a negative price": "raw.products",
}
FIXES = """
    DELETE FROM raw.order_items WHERE _source_file = 'fault.csv';
    DELETE FROM raw.events WHERE _source_file = 'fault.csv';
    DELETE FROM raw.users WHERE _source_line > 1000;
    DELETE FROM raw.orders WHERE _source_file = 'fault.csv';
    DELETE FROM raw.promos WHERE _source_file = 'fault.csv';
    DELETE FROM raw.products WHERE _source_file = 'fault.csv';
    UPDATE raw.users SET email = fault_saved.saved_email FROM fault_saved
    WHERE raw.users.user_id = fault_saved.user_id;
    UPDATE raw.events SET _loaded_at = current_timestamp::TIMESTAMP
"""


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


def _events(story: Story, event: str | None = None) -> list[dict]:
    rows = story.sql(
        "SELECT event, root, impacted, status FROM monitor.incidents WHERE ? IS NULL OR event = ?",
        [event, event],
    )
    return [dict(zip(("event", "root", "impacted", "status"), r, strict=True)) for r in rows]


def _messages(story: Story) -> dict[str, int]:
    """Messages stored per channel, all runs so far."""
    return dict(story.sql("SELECT channel, count(*) FROM monitor.messages GROUP BY channel"))


def _1_a_clean_build_sends_nothing(story: Story) -> None:
    results = story.sql("SELECT status, count(*) FROM monitor.check_results GROUP BY ALL")
    assert dict(results).keys() == {"pass"}, results
    # Every audit, Soda check and history monitor of prod: 296 results, none a problem.
    assert sum(n for _, n in results) > 295
    assert story.emails() == []
    assert story.slack() == []
    assert _events(story) == []


def _2_ten_faults_in_one_day_are_at_most_ten_incidents_in_one_message(story: Story) -> None:
    # A stale source: no events landed for three days.
    story.sql("UPDATE raw.events SET _loaded_at = current_timestamp::TIMESTAMP - INTERVAL 3 DAY")
    # Faults delivered today are stamped with today's load time, as the loader stamps them:
    # the models incremental by key process the rows loaded since their last run.
    story.sql(  # a negative quantity, and a duplicated order line
        """
        INSERT INTO raw.order_items
        SELECT order_id, (SELECT max(product_id) FROM raw.products), -2,
               current_timestamp::TIMESTAMP, 'fault.csv', 1
        FROM raw.order_items ORDER BY order_id LIMIT 1;
        INSERT INTO raw.order_items
        SELECT order_id, product_id, quantity + 1, current_timestamp::TIMESTAMP, 'fault.csv', 2
        FROM raw.order_items ORDER BY order_id DESC LIMIT 1;
        -- delivered in one file with the line it duplicates, which the loader lands again
        UPDATE raw.order_items SET _loaded_at = current_timestamp::TIMESTAMP
        WHERE order_id = (SELECT order_id FROM raw.order_items WHERE _source_line = 2
                          AND _source_file = 'fault.csv')
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
    story.sql(  # a user delivered twice (both rows in today's delivery) and an emptied email
        """
        INSERT INTO raw.users
        SELECT * REPLACE ('changed.' || email AS email, _source_line + 1000 AS _source_line,
            current_timestamp::TIMESTAMP AS _loaded_at)
        FROM raw.users ORDER BY user_id LIMIT 1;
        UPDATE raw.users SET _loaded_at = current_timestamp::TIMESTAMP
        WHERE user_id = (SELECT min(user_id) FROM raw.users);
        CREATE TABLE fault_saved AS
        SELECT user_id, email AS saved_email FROM raw.users ORDER BY user_id DESC LIMIT 1;
        UPDATE raw.users SET email = NULL, _loaded_at = current_timestamp::TIMESTAMP
        WHERE user_id IN (SELECT user_id FROM fault_saved)
        """
    )
    story.sql(  # an order by nobody, an unknown status, a bad promo and a bad product
        """
        INSERT INTO raw.orders SELECT * REPLACE (
            'fault-order' AS order_id, 'nobody' AS user_id, 'fault.csv' AS _source_file,
            current_timestamp::TIMESTAMP AS _loaded_at)
        FROM raw.orders ORDER BY order_id LIMIT 1;
        INSERT INTO raw.orders SELECT * REPLACE (
            'fault-status' AS order_id, 'lost' AS status, 'fault.csv' AS _source_file,
            current_timestamp::TIMESTAMP AS _loaded_at)
        FROM raw.orders ORDER BY order_id DESC LIMIT 1;
        INSERT INTO raw.promos SELECT * REPLACE (
            'fault-promo' AS promo_id, -5 AS discount, 'fault.csv' AS _source_file,
            current_timestamp::TIMESTAMP AS _loaded_at)
        FROM raw.promos LIMIT 1;
        INSERT INTO raw.products SELECT * REPLACE (
            'fault-product' AS product_id, -1.0 AS price, 'fault.csv' AS _source_file,
            current_timestamp::TIMESTAMP AS _loaded_at)
        FROM raw.products LIMIT 1
        """
    )
    story.run()

    opened = _events(story, "opened")
    assert 1 < len(opened) <= len(FAULTS), opened
    roots = {e["root"] for e in opened}
    reached = roots | {d for e in opened for d in e["impacted"].split(",") if d}
    assert set(FAULTS.values()) <= reached, reached
    emails, slack = story.emails(), story.slack()
    assert len(emails) == 1, "one message per channel per run"
    assert all(root in emails[0] for root in roots), emails[0]
    assert len(slack) == 1, "the marketing channel hears the incidents that reach marketing"
    refused = story.sql(
        "SELECT count(*) FROM monitor.deliveries WHERE NOT delivered AND channel LIKE 'json://%'"
    )[0][0]
    assert refused == 1, "the refusing channel's message is kept for later"


def _3_the_same_faults_again_send_nothing_new(story: Story) -> None:
    emails, slack, stored = len(story.emails()), len(story.slack()), _messages(story)
    story.run()
    assert len(story.emails()) == emails
    assert len(story.slack()) == slack
    assert _messages(story) == stored
    assert _events(story, "still_open") == []


def _4_a_refusing_channel_gets_its_message_on_the_next_run(story: Story) -> None:
    with http_server(story.dead_port) as (_, revived):
        story.run()
    (delivered,) = revived.bodies("/hooks")
    assert "raw.order_items" in delivered["message"]


def _5_fixing_the_data_sends_one_resolved_message(story: Story) -> None:
    story.sql(FIXES)
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

    resolved = _events(story, "resolved")
    assert {e["root"] for e in resolved} == {e["root"] for e in _events(story, "opened")}
    (message,) = story.emails()[emails:]
    assert message.startswith("[RESOLVED]"), message


def _6_a_failing_plan_is_reported_by_the_next_run(story: Story) -> None:
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


def test_the_story_step_by_step(story: Story) -> None:
    """Each step starts from the warehouse and the inboxes the one before left: the steps are
    one test, run in order, so that no test depends on the order tests run in."""
    _1_a_clean_build_sends_nothing(story)
    _2_ten_faults_in_one_day_are_at_most_ten_incidents_in_one_message(story)
    _3_the_same_faults_again_send_nothing_new(story)
    _4_a_refusing_channel_gets_its_message_on_the_next_run(story)
    _5_fixing_the_data_sends_one_resolved_message(story)
    _6_a_failing_plan_is_reported_by_the_next_run(story)
