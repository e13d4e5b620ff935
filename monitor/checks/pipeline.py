"""The pipeline as a check: every apply or run SQLMesh starts must finish.

`before_all` records a start, `after_all` finishes the same monitor run. A start without an
end means the apply failed (SQLMesh skips `after_all` then) or the process was killed. The next
monitor run, in any environment (the next apply or run, `monitor check`, `monitor daily`),
finds it, fails this check, alerts, and closes the start so that it is reported once; the run
after resolves it.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

import psutil

from monitor.results import CheckResult, Source, Status
from monitor.storage import reads
from monitor.storage.database import Database

DATASET = "sqlmesh.pipeline"
CHECK = "every sqlmesh apply and run finishes"
#: A start recorded by another machine is judged unfinished only after this long.
OTHER_HOST_GRACE = timedelta(hours=12)


def unfinished_starts(database: Database, now: datetime) -> list[dict]:
    """Starts that can no longer finish: their process has ended, or has started another
    apply or run since (`sqlmesh ui` lives on after an apply fails)."""
    starts = reads.unfinished_starts(database)
    return [
        start for start in starts if _started_again(start, starts) or not _may_still_run(start, now)
    ]


def own_start(database: Database, environment: str) -> dict | None:
    """This process's latest unfinished start in `environment`: the apply or run ending now."""
    mine = [
        start
        for start in reads.unfinished_starts(database)
        if start["environment"] == environment
        and start["host"] == socket.gethostname()
        and start["pid"] == os.getpid()
    ]
    return mine[-1] if mine else None


def pipeline_result(unfinished: list[dict], failure: str | None = None) -> CheckResult:
    """FAIL when a start never finished or the caller saw SQLMesh fail; PASS otherwise."""
    problems = [
        f"the apply or run of {start['environment']} started {start['started_at']:%Y-%m-%d %H:%M}"
        f" UTC (process {start['pid']} on {start['host']}) never finished: it failed or was"
        " stopped; its error is in that command's output"
        for start in unfinished
    ]
    if failure:
        problems.append(failure)
    return CheckResult(
        source=Source.PIPELINE,
        dataset=DATASET,
        check=CHECK,
        status=Status.FAIL if problems else Status.PASS,
        owner="data_team",
        measured_value=len(problems),
        threshold="0 unfinished",
        message="; ".join(problems) or None,
    )


def _started_again(start: dict, starts: list[dict]) -> bool:
    """The same process started a later apply or run: it does one at a time."""
    return any(
        (other["host"], other["pid"]) == (start["host"], start["pid"])
        and other["started_at"] > start["started_at"]
        for other in starts
    )


def _may_still_run(start: dict, now: datetime) -> bool:
    """Whether the start's process may still be applying. Its number alone does not say:
    the system hands a freed number to the next process or thread (within seconds where
    the numbers stop at 32768), so a process created after the start is another one."""
    if start["host"] != socket.gethostname():
        return now - start["started_at"] < OTHER_HOST_GRACE
    if start["pid"] == os.getpid():
        return False  # this process is the monitor now: its earlier apply or run has ended
    try:
        created = psutil.Process(start["pid"]).create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
    return datetime.fromtimestamp(created, UTC).replace(tzinfo=None) <= start["started_at"]
