"""Alert channels: apprise URLs from the config file and APPRISE_URLS, routed by tags.

A channel tagged `marketing` hears about checks of the marketing unit (and of models owned by
`marketing`); a channel tagged `data_team` or `all`, or with no tag, hears about everything.
Channels are sent to one by one, so each delivery is known, and recorded, on its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import apprise

from monitor.settings import Settings

#: Tags whose channels receive every alert.
EVERYTHING = frozenset({"all", "data_team"})
#: Slack refuses a section over 3,000 characters; apprise sends the body as one section.
SLACK_SECTION_LIMIT = 2900


@dataclass(frozen=True)
class Channel:
    label: str  # the URL with secrets hidden: safe for logs, history and reports
    tags: frozenset[str]
    service: apprise.plugins.NotifyBase

    def hears(self, route: frozenset[str]) -> bool:
        return not self.tags or bool(self.tags & (EVERYTHING | route))

    @property
    def body_limit(self) -> int:
        limit = self.service.body_maxlen
        if self.service.service_name.lower().startswith("slack"):
            limit = min(limit, SLACK_SECTION_LIMIT)
        return limit

    def send(self, title: str, body: str) -> str | None:
        """Deliver, cut to the channel's limit; None on success, else why it failed (never
        the URL itself)."""
        try:
            delivered = self.service.notify(
                title=title,
                body=fit(body, self.body_limit),
                body_format=apprise.NotifyFormat.MARKDOWN,
            )
        except Exception as error:  # a plugin bug must not lose the other channels
            return f"{type(error).__name__}"
        return None if delivered else "the service refused or could not be reached"


def fit(body: str, limit: int) -> str:
    """Cut a body to a channel's limit, keeping the summary (it comes first)."""
    if len(body) <= limit:
        return body
    note = "\n\n(cut to fit the channel; see the report or `monitor problems` for the rest)"
    return body[: limit - len(note)].rsplit("\n", 1)[0] + note


def load_channels(settings: Settings) -> list[Channel]:
    """Every configured channel; an unparsable URL is skipped by apprise with a warning."""
    logging.getLogger("apprise").setLevel(logging.ERROR)
    bundle = apprise.Apprise()
    if settings.apprise_config:
        config = apprise.AppriseConfig()
        config.add(str(settings.apprise_config))
        bundle.add(config)
    for url in settings.apprise_urls:
        bundle.add(url)
    return [
        Channel(service.url(privacy=True), frozenset(service.tags), service) for service in bundle
    ]
