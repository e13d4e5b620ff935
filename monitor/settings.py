"""The monitor's settings, all from the environment (as apprise's own command line reads them)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from greenery.paths import PROJECT_ROOT

#: Where the project looks for its apprise config when APPRISE_CONFIG_PATH is not set.
DEFAULT_APPRISE_CONFIG = PROJECT_ROOT / "apprise.yml"


@dataclass(frozen=True)
class Settings:
    apprise_config: Path | None
    apprise_urls: tuple[str, ...]
    realert_after: timedelta
    report_url: str | None

    @classmethod
    def from_environment(cls) -> Settings:
        configured = os.environ.get("APPRISE_CONFIG_PATH")
        config = Path(configured) if configured else DEFAULT_APPRISE_CONFIG
        urls = os.environ.get("APPRISE_URLS", "").replace(",", " ").split()
        hours = float(os.environ.get("MONITOR_REALERT_HOURS", "24"))
        return cls(
            apprise_config=config if config.is_file() else None,
            apprise_urls=tuple(urls),
            realert_after=timedelta(hours=hours),
            report_url=os.environ.get("MONITOR_REPORT_URL") or None,
        )
