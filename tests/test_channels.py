"""Channels: the example config as documented, configuration errors said (never swallowed),
throttle and timeouts, and escaping as it reaches the wire, through real apprise to SMTP and
HTTP servers on loopback."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import apprise.plugins.slack
import pytest
import yaml
from apprise.conversion.format import markdown_to_html

from greenery.errors import ExpectedError
from greenery.paths import PROJECT_ROOT
from monitor import cli
from monitor.channels import (
    CUT_NOTE,
    Format,
    code_block,
    escape,
    fit,
    load_channels,
    mask_url,
    model_tags,
)
from monitor.settings import Settings
from tests.servers import Capture, free_port, http_server, silent_server, smtp_server

pytestmark = pytest.mark.monitor

EXAMPLE = PROJECT_ROOT / "apprise.example.yml"
SECRET = "s3cr3t-Value-42"
#: Data that tries to ping, link, inject script or break out of a code block.
HOSTILE = [
    "<!channel> <@U123> <!here|here>",
    "<http://evil|click>",
    "<script>alert(1)</script>",
    "[link](http://x)",
    "``` closed? `tick` ``",
    "**bold** _it_ ~s~ # heading & co &lt;",
    "C:\\path\\<!channel>",
]


def _settings(config: Path | None = None, *urls: str, timeout: float = 5.0) -> Settings:
    return Settings(config, urls, None, None, channel_timeout=timeout)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "apprise.yml"
    path.write_text(text)
    return path


@pytest.fixture
def slack_on_loopback() -> Iterator[Capture]:
    """Slack webhooks always go to hooks.slack.com: point apprise's at a loopback server."""
    with http_server() as (port, capture):
        saved = apprise.plugins.slack.NotifySlack.webhook_url
        apprise.plugins.slack.NotifySlack.webhook_url = f"http://127.0.0.1:{port}/slack"
        try:
            yield capture
        finally:
            apprise.plugins.slack.NotifySlack.webhook_url = saved


def _mail_url(port: int) -> str:
    return (
        f"mailto://127.0.0.1:{port}?from=monitor@greenery.test&to=team@greenery.test&mode=insecure"
    )


# The example file, as documented ---------------------------------------------------------


def test_test_notify_reaches_every_channel_of_the_example_file(
    tmp_path: Path,
    slack_on_loopback: Capture,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The example as shipped (tags, a mail URL, a Slack webhook URL), with only the mail
    server moved to loopback; the Slack URL is kept and its host patched in-process."""
    text = EXAMPLE.read_text()
    (mail,) = [next(iter(e)) for e in yaml.safe_load(text)["urls"] if "mailto" in next(iter(e))]
    with smtp_server() as (port, mailbox):
        copy = _write(tmp_path, text.replace(mail, _mail_url(port)))
        monkeypatch.setenv("APPRISE_CONFIG_PATH", str(copy))
        monkeypatch.delenv("APPRISE_URLS", raising=False)
        code = cli.main(["test-notify"])
    out = capsys.readouterr()
    assert code == 0, out
    assert [m["subject"] for m in mailbox.messages] == ["Greenery monitor: test"]
    assert len(slack_on_loopback.bodies("/slack/")) == 1
    assert "tags: data_team" in out.out and "tags: marketing" in out.out
    assert out.err == ""


def test_the_example_file_loads_without_problems() -> None:
    channels = load_channels(_settings(EXAMPLE))
    assert channels.problems == ()
    assert [(sorted(c.tags), c.format) for c in channels] == [
        (["data_team"], Format.HTML),
        (["marketing"], Format.SLACK),
    ]
    assert all("app-password" not in c.label and "XXXXXXXX" not in c.label for c in channels)


# Configuration errors, said ----------------------------------------------------------------

BROKEN = [
    pytest.param(
        "urls:\n  - json://127.0.0.1/ok\n  bad: [\n", ["line 3", "not valid YAML"], id="yaml"
    ),
    pytest.param("- json://127.0.0.1/ok\n", ["line 1", "a mapping with `urls:`"], id="list"),
    pytest.param("url:\n  - json://127.0.0.1/ok\n", ["line 1", "unknown key 'url'"], id="typo"),
    pytest.param("urls: json://127.0.0.1/ok\n", ["line 1", "must be a list"], id="urls-str"),
    pytest.param("version: 2\nurls: []\n", ["line 1", "version: 1"], id="version"),
    pytest.param("", ["empty"], id="empty"),
    pytest.param("urls:\n  - 42\n", ["line 2", "expected a URL"], id="number"),
    pytest.param(
        "urls:\n  - json://127.0.0.1/a:\n      tag: {x: 1}\n", ["line 3", "tags are"], id="tag-map"
    ),
    pytest.param(
        f"urls:\n  - foo://user:{SECRET}@host/x:\n      tag: core\n",
        ["line 2", "unknown scheme foo://", "foo://user:****@host/x"],
        id="scheme",
    ),
    pytest.param(
        f"urls:\n  - json://127.0.0.1/ok\n  - slack://T000/B000/{SECRET}/#x:\n      tag: core\n",
        ["line 3", "Slack", "slack://T000/B000/s...2"],
        id="unparsable",
    ),
    pytest.param(
        "urls:\n  - json://127.0.0.1/ok:\n      tag: markting\n",
        ["line 2", "'markting'", "hears nothing"],
        id="unknown-tag",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
def test_a_broken_config_file_is_named_with_its_line(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = _write(tmp_path, text)
    problems = [str(p) for p in load_channels(_settings(path)).problems]
    assert problems and all(p.startswith(str(path)) for p in problems)
    assert [p for p in problems if all(words in p for words in expected)], problems
    assert SECRET not in " ".join(problems)


def test_one_bad_entry_loses_only_that_entry(tmp_path: Path) -> None:
    path = _write(tmp_path, "urls:\n  - nope://x\n  - json://127.0.0.1/ok:\n      tag: product\n")
    channels = load_channels(_settings(path))
    assert [c.tags for c in channels] == [frozenset({"product"})]
    assert [p.where for p in channels.problems] == [f"{path}, line 2"]


def test_unreadable_and_missing_files_are_named(tmp_path: Path) -> None:
    binary = tmp_path / "binary.yml"
    binary.write_bytes(b"\xff\xfeurls: []")
    for path, words in (
        (tmp_path / "absent.yml", "no such file"),
        (tmp_path, "cannot be read"),
        (binary, "not UTF-8"),
    ):
        (problem,) = load_channels(_settings(path)).problems
        assert problem.where == str(path) and words in problem.what


def test_a_configured_path_that_does_not_exist_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPRISE_CONFIG_PATH", str(tmp_path / "absent.yml"))
    assert Settings.from_environment().apprise_config == tmp_path / "absent.yml"


def test_bad_urls_in_the_environment_are_named_masked() -> None:
    channels = load_channels(
        _settings(None, "json://127.0.0.1/ok", "not-a-url", f"mailto://me:{SECRET}@127.0.0.1")
    )
    assert len(channels) == 1
    problems = [str(p) for p in channels.problems]
    assert problems[0].startswith("APPRISE_URLS, item 2: ")
    assert "not an apprise URL" in problems[0]
    assert problems[1].startswith("APPRISE_URLS, item 3: mailto://me:****@127.0.0.1")
    assert SECRET not in " ".join(problems)


def test_mask_url_hides_passwords_tokens_and_query_values() -> None:
    masked = mask_url(f"https://u:{SECRET}@hooks.example/services/T0/B0/{SECRET}?key={SECRET}")
    assert SECRET not in masked
    assert masked.startswith("https://u:****@hooks.example/s...s/T0/B0/s...2?key=s...2")


def test_a_channel_url_configured_twice_is_a_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "urls:\n  - json://127.0.0.1/ok:\n      tag: core\n")
    (problem,) = load_channels(_settings(path, "json://127.0.0.1/ok")).problems
    assert "configured 2 times" in problem.what and "APPRISE_URLS, item 1" in problem.what


def test_model_tags_are_the_owners_and_tags_of_the_model_blocks() -> None:
    assert {"data_team", "marketing", "product", "core", "pii", "staging"} <= model_tags()
    assert "name" not in model_tags() and "," not in model_tags()


def test_a_wrong_timeout_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_CHANNEL_TIMEOUT", "soon")
    with pytest.raises(ExpectedError, match="MONITOR_CHANNEL_TIMEOUT='soon'"):
        Settings.from_environment()


def test_commands_exit_non_zero_on_a_broken_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "urls:\n  - json://127.0.0.1/ok:\n      tag: markting\n")
    monkeypatch.setenv("APPRISE_CONFIG_PATH", str(path))
    monkeypatch.setenv("APPRISE_URLS", f"json://127.0.0.1:{free_port()}/dead,not-a-url")
    assert cli.main(["channels"]) == 1
    listing = capsys.readouterr().out
    assert "format markdown; tags: markting; hears: no unit" in listing
    assert "tags: none; hears: everything" in listing
    assert f"{path}, line 2: tag 'markting'" in listing
    assert "APPRISE_URLS, item 2" in listing

    assert cli.main(["test-notify"]) == 2
    said = capsys.readouterr()
    assert "channel configuration:" in said.err and "APPRISE_URLS, item 2" in said.err
    assert "FAILED" in said.out  # the channels that loaded were still tried

    monkeypatch.delenv("APPRISE_CONFIG_PATH")
    monkeypatch.setenv("APPRISE_URLS", "json://127.0.0.1/ok")
    assert cli.main(["channels"]) == 0
    assert "hears: everything" in capsys.readouterr().out


# Throttle and timeouts ---------------------------------------------------------------------


def test_mail_is_not_throttled_between_messages() -> None:
    """apprise waits 5.5 s between two mails of one service; the monitor turns that off."""
    with smtp_server() as (port, mailbox):
        (channel,) = load_channels(_settings(None, _mail_url(port)))
        started = time.monotonic()
        assert [channel.send(f"m{i}", "body") for i in range(3)] == [None, None, None]
        assert time.monotonic() - started < 3
    assert len(mailbox.messages) == 3


@pytest.mark.parametrize("scheme", ["json", "mail"])
def test_a_channel_that_never_answers_fails_within_the_timeout(scheme: str) -> None:
    with silent_server() as port:
        url = _mail_url(port) if scheme == "mail" else f"json://127.0.0.1:{port}/hook"
        (channel,) = load_channels(_settings(None, url, timeout=0.5))
        started = time.monotonic()
        error = channel.send("title", "body")
        elapsed = time.monotonic() - started
    assert error and "127.0.0.1" not in error
    assert elapsed < 3


def test_a_timeout_in_the_url_is_kept() -> None:
    (channel,) = load_channels(_settings(None, "json://127.0.0.1/x?cto=9", timeout=0.5))
    assert channel.service.socket_connect_timeout == 9
    assert channel.service.socket_read_timeout == 0.5
    assert channel.service.request_rate_per_sec == 0


# Escaping, as it reaches the wire ----------------------------------------------------------


def _hostile_body(fmt: Format) -> str:
    lines = [f"- {escape(v, fmt)} and {escape(v, fmt, code=True)}" for v in HOSTILE]
    block = "\n".join([*HOSTILE, "```", "<!channel> after a fence"])
    return "\n".join(["**Hostile values**", "", *lines, "", code_block(block, fmt, "sql")])


def test_slack_payload_never_pings_or_links(slack_on_loopback: Capture) -> None:
    channels = load_channels(_settings(None, "slack://T0000AAAA/B0000BBBB/abcdefghijklmnop/#x"))
    (channel,) = channels
    assert channel.format is Format.SLACK
    assert channel.send("<!channel> title", _hostile_body(channel.format)) is None
    (post,) = slack_on_loopback.bodies("/slack/")
    (attachment,) = post["attachments"]
    wire = attachment["title"] + "\n" + attachment["text"]
    for forbidden in ("<!channel>", "<!here", "<@U123>", "<http://evil|click>", "<http://x"):
        assert forbidden not in wire, wire
    assert "<" not in wire, "every < from data reaches Slack as &lt;"
    assert wire.count("&lt;!channel&gt;") >= 3, "shown as text"
    assert attachment["text"].count("```") == 2, "the data cannot close the code block"


class _Text(HTMLParser):
    """The tags and the visible text of an HTML body."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parsed(markup: str) -> _Text:
    parser = _Text()
    parser.feed(markup)
    return parser


def test_email_html_never_carries_a_tag_from_data() -> None:
    with smtp_server() as (port, mailbox):
        (channel,) = load_channels(_settings(None, _mail_url(port)))
        assert channel.format is Format.HTML
        assert channel.send("<script>title</script>", _hostile_body(channel.format)) is None
    (message,) = mailbox.messages
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in body
    parsed = _parsed(body)
    assert set(parsed.tags) <= {"p", "strong", "ul", "li", "code", "pre", "br"}, parsed.tags
    assert parsed.tags.count("pre") == 1
    assert "<!channel> after a fence" in "".join(parsed.text), "still inside the block"


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("fmt", [Format.HTML, Format.MARKDOWN])
def test_markdown_renders_escaped_values_literally(value: str, fmt: Format) -> None:
    """Python-Markdown as apprise runs it for email: no tag from data, the value as text.
    (For the Markdown format it stands in for a Markdown reader: it reads CommonMark's `\\&`
    as a raw `&`, so only the tags are held there.)"""
    for escaped in (escape(value, fmt), escape(value, fmt, code=True)):
        parsed = _parsed(markdown_to_html(f"Value: {escaped}"))
        assert set(parsed.tags) <= {"p", "code"}, (escaped, parsed.tags)
        if fmt is Format.HTML:
            assert "".join(parsed.text) == f"Value: {value}", escaped


def test_escape_per_format() -> None:
    assert escape("<!channel> & [a](b)", "slack") == "\\<\\!channel\\> & \\[a\\]\\(b\\)"
    assert escape("<b> & *x*", "html") == "&lt;b&gt; &amp; \\*x\\*"
    assert escape("<b> & *x*", "markdown") == "\\<b\\> \\& \\*x\\*"
    assert escape("<b>\n# x", "text") == "<b> # x"
    assert escape("- item", "markdown") == "\\- item"
    assert escape("1. item", "html") == "1\\. item"
    assert escape("a`b", "markdown", code=True) == "``a`b``"
    assert escape("a`b", "slack", code=True) == "`a\u02cbb`"


def test_code_block_fence_is_longer_than_any_run_inside() -> None:
    block = code_block("x ```` y", "markdown", "sql")
    assert block.startswith("`````sql\n") and block.endswith("\n`````")
    assert code_block("a\n```\nb", "slack") == "```\na\n`\u200b`\u200b`\nb\n```"
    assert code_block("<x>", "text") == "<x>"


def test_fit_closes_a_code_block_it_cuts_open() -> None:
    body = "summary\n\n" + code_block("\n".join(["<script>alert(1)</script>"] * 200), "html")
    cut = fit(body, 1000)
    assert len(cut) <= 1000 and cut.endswith(CUT_NOTE)
    assert re.search(r"\n```\n\n\(cut to fit", cut)
    assert "<script>" not in markdown_to_html(cut)


def test_a_slack_body_is_cut_as_it_reaches_slack(slack_on_loopback: Capture) -> None:
    """`<` reaches Slack as `&lt;`, four characters: the cut counts the converted body."""
    (channel,) = load_channels(_settings(None, "slack://T0000AAAA/B0000BBBB/abcdefghijklmnop"))
    body = "\n".join(f"- {escape('<' * 20, channel.format)}" for _ in range(60))
    assert len(body) < channel.body_limit
    assert channel.send("title", body) is None
    (post,) = slack_on_loopback.bodies("/slack/")
    text = post["attachments"][0]["text"]
    assert len(text) <= 2900 and text.endswith(CUT_NOTE)
