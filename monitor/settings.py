"""The monitor's settings, all from the environment (as apprise's own command line reads them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from greenery.errors import ExpectedError
from greenery.paths import PROJECT_ROOT

#: Where the project looks for its apprise config when APPRISE_CONFIG_PATH is not set.
DEFAULT_APPRISE_CONFIG = PROJECT_ROOT / "apprise.yml"


@dataclass(frozen=True)
class Settings:
    #: The apprise YAML file: the one APPRISE_CONFIG_PATH names, even when it does not exist
    #: (so that loading says so), else apprise.yml at the root when there is one.
    apprise_config: Path | None
    apprise_urls: tuple[str, ...]
    realert_after: timedelta
    report_url: str | None
    #: How long a run waits for all channels together before it moves on (the rest is
    #: delivered at the next run, or with `monitor deliver`).
    delivery_deadline: float = 2.0
    #: Seconds a channel may take to connect, and then to answer, unless its URL says
    #: otherwise (cto=, rto=): a channel that never answers cannot hold a pipeline.
    channel_timeout: float = 5.0
    #: After an apply or run, Soda's `[new]` checks read only the rows loaded since the last
    #: scan, and every row once this long has passed since the last full scan.
    full_scan_every: timedelta = timedelta(days=7)

    @classmethod
    def from_environment(cls) -> Settings:
        configured = os.environ.get("APPRISE_CONFIG_PATH")
        default = DEFAULT_APPRISE_CONFIG if DEFAULT_APPRISE_CONFIG.is_file() else None
        urls = os.environ.get("APPRISE_URLS", "").replace(",", " ").split()
        return cls(
            apprise_config=Path(configured) if configured else default,
            apprise_urls=tuple(urls),
            realert_after=timedelta(hours=_positive("MONITOR_REALERT_HOURS", 24)),
            report_url=os.environ.get("MONITOR_REPORT_URL") or None,
            delivery_deadline=_positive("MONITOR_DELIVERY_SECONDS", 2),
            channel_timeout=_positive("MONITOR_CHANNEL_TIMEOUT", 5),
            full_scan_every=timedelta(days=_positive("MONITOR_FULL_SCAN_DAYS", 7)),
        )


def _positive(name: str, default: float) -> float:
    """A number above 0 from the environment; a wrong one is said, not replaced in silence."""
    text = os.environ.get(name, "").strip()
    if not text:
        return float(default)
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ExpectedError(f"{name}={text!r}: expected a number above 0 (default {default}).")
    return value
