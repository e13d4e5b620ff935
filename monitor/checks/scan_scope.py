"""Which rows a Soda scan reads: every row, or only the rows loaded since the last scan.

Check files put the checks that judge rows one at a time (missing and invalid values,
failed-rows conditions, references, duplicated keys, whose rows the loader lands together) of
a table that grows by loads under a dataset filter, `checks for events [new]`, whose `where`
reads `_loaded_at >= TIMESTAMP '${SINCE}'`. After a SQLMesh apply or run, SINCE is the start of
the environment's previous scan: a daily run checks the day it loaded, not all history. Checks
about the whole table (row count, schema, freshness) always read all of it. A scan reads every
row (SINCE is the epoch):
- when it is not after an apply or run (`monitor check`, `monitor daily` with nothing due);
- when the last full scan is a week old (`MONITOR_FULL_SCAN_DAYS`): the weekly full scan;
- when the environment has an open Soda problem, so that only a scan that sees the bad rows
  gone can close it, and a quiet day's new rows never close it by not containing them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.results import Source
from monitor.storage import reads
from monitor.storage.database import Database, now

#: SINCE for a scan of every row.
EVERY_ROW = datetime(1970, 1, 1)


def rows_since(
    database: Database,
    environment: str,
    open_problems: list[reads.Row],
    *,
    after_apply: bool,
    full_scan_every: timedelta,
) -> datetime | None:
    """Where this run's `[new]` checks start reading; None for every row. `open_problems`:
    the environment's, as `reads.open_problems` gives them before this run's results."""
    if not after_apply:
        return None
    last_scan, last_full_scan = reads.soda_scans(database, environment)
    if last_scan is None or last_full_scan is None:
        return None
    if now() - last_full_scan >= full_scan_every:
        return None
    if any(row["source"] == str(Source.SODA) for row in open_problems):
        return None
    return last_scan
