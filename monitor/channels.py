"""Alert channels: apprise URLs from the config file and APPRISE_URLS, routed by tags.

A channel tagged `marketing` hears about checks of the marketing unit (and of models owned by
`marketing`); a channel tagged `data_team` or `all`, or with no tag, hears about everything.
Each channel is sent its messages on its own, so each delivery is known and recorded.

Configuration errors are said, never swallowed: apprise skips what it cannot use with a log
line nobody reads, so `load_channels` checks the file itself first (YAML with file and line,
then apprise's shape), loads each entry on its own, and returns every entry it could not use
as a `ChannelProblem`, beside the channels that did load. It never raises: a monitor run
goes on with the channels it has, and each command says the problems.

Escaping: a body is always written in Markdown and declared so to apprise, which then turns it
into what the service takes (`Format`): Slack's mrkdwn, HTML for email, or Markdown as is.
Anything that comes from data goes through `escape`, `escape(..., code=True)` or `code_block`
with the channel's format, so that it reads as text there and cannot ping, link or inject.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import apprise
import yaml
from apprise.plugins import N_MGR, url_to_dict
from apprise.plugins.slack import NotifySlack

from greenery.layout import UNITS
from greenery.paths import PROJECT_ROOT
from monitor.settings import Settings

#: Tags whose channels receive every alert.
EVERYTHING = frozenset({"all", "data_team"})
#: Slack refuses a section over 3,000 characters; apprise sends the body as one section.
SLACK_SECTION_LIMIT = 2900
#: What a cut body ends with.
CUT_NOTE = "\n\n(cut to fit the channel; see the report or `monitor problems` for the rest)"
#: The keys apprise reads at the top of a YAML config; it ignores any other without a word.
#: (`include` is left out: apprise does not follow it from the in-memory copy the monitor
#: loads, so an included file's channels would be lost without a word.)
CONFIG_KEYS = ("version", "urls", "tag", "tags", "groups", "asset", "template")
MODELS = PROJECT_ROOT / "models"

#: Services read from the configuration, each with where it was declared.
Found = list[tuple[apprise.plugins.NotifyBase, str]]


class Format(StrEnum):
    """What apprise turns a channel's Markdown body into, and so how data must be escaped to
    stay text there (read in apprise 2.3's plugins/slack.py, plugins/email and conversion/)."""

    #: NotifySlack.dialect_convert rewrites CommonMark into mrkdwn: it keeps a raw `<` (so
    #: `<!channel>` would ping), makes links of `[x](y)`, and turns `\\<` into `&lt;`.
    SLACK = "slack"
    #: Email: Python-Markdown renders HTML, passing raw HTML (`<script>`) through.
    HTML = "html"
    #: Sent on as CommonMark (JSON webhooks, Discord, Telegram...).
    MARKDOWN = "markdown"
    #: A text-only service: apprise passes the body on unconverted, nothing interprets it.
    TEXT = "text"


@dataclass(frozen=True)
class Channel:
    label: str  # the URL with secrets hidden: safe for logs, history and reports
    tags: frozenset[str]
    service: apprise.plugins.NotifyBase
    #: Where it was configured: "apprise.yml, line 4" or "APPRISE_URLS, item 2".
    origin: str = ""

    def hears(self, route: frozenset[str]) -> bool:
        return not self.tags or bool(self.tags & (EVERYTHING | route))

    @property
    def format(self) -> Format:
        """What the Markdown body becomes on this channel's wire: pass it to `escape` and
        `code_block` for every value that comes from data."""
        if isinstance(self.service, NotifySlack):
            return Format.SLACK
        rendered = self.service.resolve_format(apprise.NotifyFormat.MARKDOWN)
        return {
            apprise.NotifyFormat.HTML: Format.HTML,
            apprise.NotifyFormat.MARKDOWN: Format.MARKDOWN,
        }.get(rendered, Format.TEXT)

    @property
    def body_limit(self) -> int:
        limit = self.service.body_maxlen
        if self.format is Format.SLACK:
            limit = min(limit, SLACK_SECTION_LIMIT)
        return limit

    def send(self, title: str, body: str) -> str | None:
        """Deliver a plain-text title and a Markdown body, cut to the channel's limit as it
        reaches the wire; None on success, else why it failed (never the URL itself)."""
        try:
            delivered = self.service.notify(
                title=title,
                body=fit(body, self.body_limit, self._wire_length),
                body_format=apprise.NotifyFormat.MARKDOWN,
            )
        except Exception as error:  # a plugin bug must not lose the other channels
            return f"{type(error).__name__}"
        return None if delivered else "the service refused or could not be reached"

    def _wire_length(self, body: str) -> int:
        """The body's length once apprise has converted it (Slack's `&lt;` is 4 characters)."""
        return len(self.service.dialect_convert(body, apprise.NotifyFormat.MARKDOWN))


@dataclass(frozen=True)
class ChannelProblem:
    """A configured channel the monitor cannot use or route to: where, and what is wrong."""

    where: str  # "apprise.yml, line 4", "APPRISE_URLS, item 2", or the file itself
    what: str  # never holds a secret: URLs are masked

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True)
class Channels:
    """What `load_channels` found. Iterates over the channels that loaded, so it stands where
    a list of channels did; `problems` holds the entries that could not be used."""

    channels: tuple[Channel, ...] = ()
    problems: tuple[ChannelProblem, ...] = ()

    def __iter__(self) -> Iterator[Channel]:
        return iter(self.channels)

    def __len__(self) -> int:
        return len(self.channels)


def load_channels(settings: Settings) -> Channels:
    """Every configured channel, throttle off and with short timeouts, and a problem for
    every entry that could not be used. Never raises."""
    logging.getLogger("apprise").setLevel(logging.ERROR)
    found: Found = []
    problems: list[ChannelProblem] = []
    if settings.apprise_config:
        found, problems = _from_file(settings.apprise_config)
    for number, url in enumerate(settings.apprise_urls, start=1):
        where = f"APPRISE_URLS, item {number}"
        if problem := _url_problem(url):
            problems.append(ChannelProblem(where, _cannot_load(url, problem, [])))
            continue
        with _apprise_messages() as messages:
            service = apprise.Apprise.instantiate(url)
        if service is None:
            problems.append(ChannelProblem(where, _cannot_load(url, None, messages)))
        else:
            found.append((service, where))
    channels = tuple(_channel(s, where, settings.channel_timeout) for s, where in found)
    problems += _twice(channels) + _unheard_tags(channels)
    return Channels(channels, tuple(problems))


def _channel(service: apprise.plugins.NotifyBase, origin: str, timeout: float) -> Channel:
    """The label is taken first, so that it stays the same whatever the timeout (deliveries
    are recorded by label). apprise waits `request_rate_per_sec` between two messages of one
    service (5.5 s for mail): pointless at one message per channel per run, so it is off. A
    timeout the URL sets itself (cto=, rto=) is kept, unless it equals the service's default;
    otherwise `timeout` bounds a channel that never answers."""
    channel = Channel(
        service.url(privacy=True), frozenset(str(tag) for tag in service.tags), service, origin
    )
    service.request_rate_per_sec = 0
    defaults = type(service)
    if service.socket_connect_timeout == defaults.socket_connect_timeout:
        service.socket_connect_timeout = timeout
    if service.socket_read_timeout == defaults.socket_read_timeout:
        service.socket_read_timeout = timeout
    return channel


def _from_file(path: Path) -> tuple[Found, list[ChannelProblem]]:
    """The services of a YAML config file, each with its line, and the problems of the rest:
    a problem around `urls:` loses the file, one in an entry loses that entry."""
    name = str(path)
    if not path.exists():
        return [], [ChannelProblem(name, "no such file (named by APPRISE_CONFIG_PATH)")]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return [], [ChannelProblem(name, f"not UTF-8 text (byte {error.start})")]
    except OSError as error:
        return [], [ChannelProblem(name, f"cannot be read: {error.strerror or error}")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        # The problem and context are YAML's own words; the snippet it quotes could hold a
        # secret, so it is left out.
        what = "; ".join(filter(None, (error.context, error.problem)))
        return [], [ChannelProblem(f"{name}, line {mark.line + 1}", f"not valid YAML: {what}")]
    except yaml.YAMLError as error:
        return [], [ChannelProblem(name, f"not valid YAML: {type(error).__name__}")]

    def at(node: yaml.Node) -> str:
        return f"{name}, line {node.start_mark.line + 1}"

    urls, problems = _urls(root, data, name, at)
    if urls is None:
        return [], problems
    shared = {key: data[key] for key in CONFIG_KEYS if key != "urls" and key in data}
    found: Found = []
    for node, entry in zip(urls.value, data["urls"], strict=True):
        if trouble := _entry_problems(node, at):
            problems += trouble
            continue
        url = entry if isinstance(entry, str) else next(k for k in entry if "://" in str(k))
        if problem := _url_problem(url):
            problems.append(ChannelProblem(at(node), _cannot_load(url, problem, [])))
            continue
        config = apprise.AppriseConfig()
        with _apprise_messages() as messages:
            config.add_config(yaml.safe_dump({**shared, "urls": [entry]}), format="yaml")
            services = config.services()
        settings = entry.get(url) if isinstance(entry, dict) else None
        expected = len(settings) if isinstance(settings, list) else 1
        if len(services) < expected:
            problems.append(ChannelProblem(at(node), _cannot_load(url, None, messages)))
        found += [(service, at(node)) for service in services]
    return found, problems


def _urls(
    root: yaml.Node | None, data: object, name: str, at: Callable[[yaml.Node], str]
) -> tuple[yaml.SequenceNode | None, list[ChannelProblem]]:
    """The `urls:` list, or None when the file cannot be used, and what is wrong around it.
    The shape apprise accepts: a mapping of CONFIG_KEYS, `version: 1` if any, `tag`/`tags`
    a word, a comma-separated list or a list, and `urls:` a list (see `_entry_problems`)."""
    if root is None:
        return None, [ChannelProblem(name, "empty: declare the channels under `urls:`")]
    if not isinstance(root, yaml.MappingNode):
        what = f"expected apprise's YAML format, a mapping with `urls:`; found {_kind(root)}"
        return None, [ChannelProblem(at(root), what)]
    usable, problems = True, []
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode):
            problems.append(ChannelProblem(at(key), f"a key must be a word; found {_kind(key)}"))
        elif key.value == "include":
            problems.append(
                ChannelProblem(at(key), "`include` is not followed: declare the URLs here")
            )
        elif key.value not in CONFIG_KEYS:
            problems.append(
                ChannelProblem(
                    at(key),
                    f"unknown key {key.value!r}, which apprise would ignore "
                    f"(it reads {', '.join(CONFIG_KEYS)})",
                )
            )
        elif key.value == "version" and data["version"] != 1:
            usable = False
            problems.append(ChannelProblem(at(value), "apprise reads `version: 1` only"))
        elif key.value in ("tag", "tags") and (trouble := _tag_problems(value, at)):
            usable = False
            problems += trouble
    if "urls" not in data:
        return None, [*problems, ChannelProblem(name, "no `urls:` list: it declares no channel")]
    urls = _value(root, "urls")
    if not isinstance(urls, yaml.SequenceNode):
        what = f"`urls` must be a list; found {_kind(urls)}"
        return None, [*problems, ChannelProblem(at(urls), what)]
    return (urls if usable else None), problems


def _value(root: yaml.MappingNode, key: str) -> yaml.Node:
    return next(value for k, value in root.value if k.value == key)


def _entry_problems(entry: yaml.Node, at: Callable[[yaml.Node], str]) -> list[ChannelProblem]:
    """An entry is a URL, or a mapping of one URL to its settings: nothing, a mapping, or a
    list of mappings (one channel each)."""
    if isinstance(entry, yaml.ScalarNode) and entry.tag == "tag:yaml.org,2002:str":
        return []
    if not isinstance(entry, yaml.MappingNode):
        return [ChannelProblem(at(entry), f"expected a URL; found {_kind(entry)}")]
    urls = [(k, v) for k, v in entry.value if "://" in str(k.value)]
    if len(urls) != 1:
        return [
            ChannelProblem(
                at(entry),
                f"expected one URL followed by its settings; found {len(urls)} URLs "
                "(write `- scheme://...:` then the settings indented below it)",
            )
        ]
    settings = urls[0][1]
    if isinstance(settings, yaml.SequenceNode):
        items = settings.value
    elif isinstance(settings, yaml.ScalarNode) and settings.value in ("", "~", "null"):
        items = []
    else:
        items = [settings]
    problems = []
    for item in items:
        if not isinstance(item, yaml.MappingNode):
            problems.append(
                ChannelProblem(at(item), f"a URL's settings are a mapping; found {_kind(item)}")
            )
            continue
        problems += [
            problem
            for key, value in item.value
            if key.value in ("tag", "tags")
            for problem in _tag_problems(value, at)
        ]
    return problems


def _tag_problems(node: yaml.Node, at: Callable[[yaml.Node], str]) -> list[ChannelProblem]:
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    if all(isinstance(item, yaml.ScalarNode) for item in items):
        return []
    return [ChannelProblem(at(node), "tags are a word, a comma-separated list or a list")]


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag.endswith(":null"):
        return "nothing"
    return f"{node.value!r}" if node.tag.endswith(":str") else f"the value {node.value}"


def _url_problem(url: str) -> str | None:
    """What is wrong with a URL before apprise builds its service: no scheme, or one no
    apprise service reads (apprise also takes some services' own https:// URLs)."""
    scheme = re.match(r"\s*([a-z0-9]{1,32})://", url, re.IGNORECASE)
    if not scheme:
        return "not an apprise URL (scheme://...)"
    with _apprise_messages():
        known = scheme.group(1).lower() in N_MGR or url_to_dict(url) is not None
    if not known:
        return (
            f"unknown scheme {scheme.group(1)}://, or not the URL of a service apprise knows "
            "(https://github.com/caronc/apprise/wiki)"
        )
    return None


def _cannot_load(url: str, problem: str | None, messages: list[str]) -> str:
    """Why a URL did not load, masked: ours, or apprise's own words (minus those that only
    repeat the URL or number the entry in the one-entry copy the monitor loaded)."""
    reasons = problem or "; ".join(
        dict.fromkeys(
            _scrub(message, url)
            for message in messages
            if not re.search(
                r"entry #\d|^Failed to load Apprise|^(Could not load|Unparseable)", message
            )
        )
    )
    return f"{mask_url(url)}: {reasons or 'apprise cannot parse it'}"


@contextmanager
def _apprise_messages() -> Iterator[list[str]]:
    """apprise's warnings and errors while it reads a URL: kept to explain a problem, and off
    the terminal, since some of them quote the URL unmasked."""
    logger = logging.getLogger("apprise")
    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Keep(logging.WARNING)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def mask_url(url: str) -> str:
    """A URL apprise may not have parsed, safe to print: scheme, user and host stay, the
    password goes, and every path segment and query value longer than four characters
    (webhook tokens, keys) keeps only its first and last character, as apprise's own
    `url(privacy=True)` does."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return _hide(url)
    if "://" not in url or not parts.scheme:
        return _hide(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    login = f"{user}{':****' if colon else ''}{at}"
    path = "/".join(_hide(segment) for segment in parts.path.split("/"))
    query = "&".join(
        f"{key}={_hide(value)}" for key, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return f"{parts.scheme}://{login}{host}{path}" + (f"?{query}" if query else "")


def _hide(secret: str) -> str:
    return secret if len(secret) <= 4 else f"{secret[0]}...{secret[-1]}"


def _scrub(message: str, url: str) -> str:
    """apprise's message with every part of `url` that could be a secret masked."""
    secrets = [url.strip()]
    with suppress(ValueError):  # a URL urllib cannot split is masked whole, below
        parts = urlsplit(url.strip())
        secrets += [parts.password or "", *parts.path.split("/")]
        secrets += [value for _, value in parse_qsl(parts.query)]
    for secret in sorted((s for s in secrets if len(s) > 4), key=len, reverse=True):
        message = message.replace(secret, mask_url(secret) if secret == url.strip() else "****")
    return message


def _twice(channels: tuple[Channel, ...]) -> list[ChannelProblem]:
    """Deliveries are recorded per label: two channels with one URL would be told once."""
    origins: dict[str, list[str]] = {}
    for channel in channels:
        origins.setdefault(channel.label, []).append(channel.origin)
    return [
        ChannelProblem(
            places[0],
            f"{label} is configured {len(places)} times ({'; '.join(places)}) and would be "
            "told once: merge the entries and list their tags together",
        )
        for label, places in origins.items()
        if len(places) > 1
    ]


def _unheard_tags(channels: tuple[Channel, ...]) -> list[ChannelProblem]:
    """A tag that names no business unit, model tag or owner routes nothing to its channel."""
    obvious = EVERYTHING | set(UNITS)
    if all(channel.tags <= obvious for channel in channels):
        return []  # the common case: no need to read the models
    known = obvious | model_tags()
    problems = []
    for channel in channels:
        unknown = sorted(channel.tags - known)
        if unknown:
            heard = "hears nothing" if not channel.tags & known else "hears nothing through it"
            problems.append(
                ChannelProblem(
                    channel.origin,
                    f"tag {', '.join(map(repr, unknown))} names no business unit, model tag or "
                    f"owner, so this channel {heard} (known: {', '.join(sorted(known))})",
                )
            )
    return problems


def model_tags(models: Path = MODELS) -> frozenset[str]:
    """Every `owner` and `tags` value of the models' MODEL blocks, lowercased as apprise
    lowercases tags. Read with sqlglot's tokenizer, not SQLMesh (seconds to load a project):
    it skips strings and comments, and the MODEL block's properties are `name value` or
    `name (v, ...)` / `name [v, ...]` at its first level."""
    from sqlglot.tokens import Tokenizer, TokenType

    opening = {TokenType.L_PAREN, TokenType.L_BRACKET}
    closing = {TokenType.R_PAREN, TokenType.R_BRACKET}
    found: set[str] = set()
    for path in sorted(models.rglob("*.sql")):
        tokens = Tokenizer().tokenize(path.read_text())
        if len(tokens) < 2 or tokens[0].text.upper() != "MODEL":
            continue
        depth, key, wanted = 0, True, None
        for token in tokens[1:]:
            if token.token_type in opening:
                depth += 1
            elif token.token_type in closing:
                depth -= 1
                if depth == 0:
                    break
            elif depth == 1 and token.token_type == TokenType.COMMA:
                key, wanted = True, None
            elif depth == 1 and key:
                key = False
                wanted = token.text.lower() in ("owner", "tags")
            elif wanted and token.token_type != TokenType.COMMA:
                found.add(token.text.lower())
    return frozenset(found)


def escape(value: object, fmt: Format | str, *, code: bool = False) -> str:
    """`value` as inline text (or, with `code`, an inline code span) that reads literally in
    a Markdown body sent to a channel of format `fmt`: it cannot ping, link, format, or
    close a span. Line breaks become spaces, since a new line could start a heading, a list
    or a quote; a value that needs its lines goes in a `code_block`."""
    fmt = Format(fmt)
    text = " ".join(str(value).splitlines())
    if fmt is Format.TEXT:
        return text
    if code and text.strip():
        return _code_span(text, fmt)
    if fmt is Format.SLACK:
        # apprise makes `&lt;`/`&gt;` of `\<`/`\>`, plain characters of `\[`, `\(`, `\!`,
        # `\#`, keeps Slack's own escapes `\*`, `\_`, `\~`, `` \` ``, and escapes a bare `&`
        # itself (a `\&` would reach Slack raw).
        return re.sub(r"([\\`*_~<>\[\]()!#])", r"\\\1", text)
    text = re.sub(r"([\\`*_~\[\]|])", r"\\\1", text)
    if fmt is Format.HTML:
        # Python-Markdown keeps entities as they are, but in apprise's setup restores a
        # backslash-escaped `&` raw; entities hold for `&`, `<` and `>` alike.
        text = html.escape(text, quote=False)
    else:
        text = re.sub(r"([<>&])", r"\\\1", text)
    # A value at the start of a line must not open a heading or a list.
    text = re.sub(r"^(\s*)([#+=-])", r"\1\\\2", text)
    return re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", text)


def _code_span(text: str, fmt: Format) -> str:
    if fmt is Format.SLACK:
        # Slack has no escape for a backtick in code: a look-alike (U+02CB) stands in.
        # apprise entity-escapes `&`, `<` and `>` inside a span itself.
        return f"`{text.replace('`', chr(0x2CB))}`"
    # CommonMark and Python-Markdown close a span only on a run as long as the opening one.
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, fmt: Format | str, language: str = "") -> str:
    """`text` as a fenced code block, on its own lines, that nothing inside it can close: for
    Markdown and HTML a fence longer than any backtick run in it; for Slack, which only knows
    three backticks, runs of three or more are broken by zero-width spaces. apprise and
    Python-Markdown escape `&`, `<` and `>` inside a block themselves."""
    fmt = Format(fmt)
    if fmt is Format.TEXT:
        return text
    if fmt is Format.SLACK:
        safe = re.sub(r"`{3,}", lambda run: "\u200b".join(run.group()), text)
        return f"```\n{safe}\n```"  # Slack shows an info string as code: none
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    info = re.sub(r"[^\w+#.-]", "", language)
    return f"{fence}{info}\n{text}\n{fence}"


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def fit(body: str, limit: int, measure: Callable[[str], int] = len) -> str:
    """Cut a body to a channel's limit (as `measure` counts it on the wire), keeping the
    summary, which comes first. A code block cut open is closed again: left open, its data
    would be read as Markdown (or HTML) instead of code."""
    if measure(body) <= limit:
        return body
    lines = body[: max(0, limit - len(CUT_NOTE))].split("\n")[:-1]
    while lines:
        kept = "\n".join(lines)
        fence = _open_fence(kept)
        candidate = kept + (f"\n{fence}" if fence else "") + CUT_NOTE
        if measure(candidate) <= limit:
            return candidate
        lines.pop()
    return CUT_NOTE.strip()


def _open_fence(text: str) -> str | None:
    """The fence of a code block `text` leaves open, if any."""
    fence = None
    for line in text.split("\n"):
        run = re.match(r"`{3,}", line)
        if fence is None and run:
            fence = run.group()
        elif fence is not None and line.rstrip() == fence:
            fence = None
    return fence
