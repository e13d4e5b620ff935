"""Which recorded starts count as applies or runs that never finished, on their own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest

from monitor.checks.pipeline import OTHER_HOST_GRACE, pipeline_result, unfinished_starts
from monitor.results import Status
from monitor.storage import writes
from monitor.storage.database import Database, now

pytestmark = pytest.mark.monitor

#: A process that outlives the test: the machine's first one.
LIVE_PID = 1


def _start(database: Database, run_id: str, pid: int, host: str, age: timedelta) -> None:
    writes.append(
        database,
        "pipeline_starts",
        [
            {
                "run_id": run_id,
                "environment": "prod",
                "started_at": now() - age,
                "host": host,
                "pid": pid,
            }
        ],
    )


def _unfinished(database: Database) -> list[str]:
    return [start["run_id"] for start in unfinished_starts(database, now())]


def test_a_start_whose_process_still_runs_is_left_alone(database: Database) -> None:
    _start(database, "running", LIVE_PID, socket.gethostname(), timedelta(minutes=5))
    assert _unfinished(database) == []


def test_a_process_that_started_again_has_ended_its_earlier_apply(database: Database) -> None:
    """`sqlmesh ui` lives on after a failed apply; its next apply proves the first is over."""
    _start(database, "failed", LIVE_PID, socket.gethostname(), timedelta(minutes=5))
    _start(database, "next", LIVE_PID, socket.gethostname(), timedelta(minutes=1))
    assert _unfinished(database) == ["failed"]


def test_a_start_of_this_process_or_of_a_gone_one_is_unfinished(database: Database) -> None:
    gone = max(2**22, os.getpid() + 1)  # above Linux's default pid_max: no such process
    _start(database, "mine", os.getpid(), socket.gethostname(), timedelta(minutes=3))
    _start(database, "gone", gone, socket.gethostname(), timedelta(minutes=2))
    assert _unfinished(database) == ["mine", "gone"]


def test_a_start_whose_process_number_a_newer_process_took_is_unfinished(
    database: Database,
) -> None:
    """The failed apply's number, freed, given to a process created since: not that apply."""
    newer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _start(database, "reused", newer.pid, socket.gethostname(), timedelta(minutes=5))
        assert _unfinished(database) == ["reused"]
    finally:
        newer.kill()
        newer.wait()


def test_another_machine_gets_a_grace_period(database: Database) -> None:
    _start(database, "recent", LIVE_PID, "elsewhere", timedelta(minutes=5))
    _start(database, "old", LIVE_PID + 1, "elsewhere", OTHER_HOST_GRACE + timedelta(minutes=1))
    assert _unfinished(database) == ["old"]


def test_a_closed_start_is_reported_once(database: Database) -> None:
    _start(database, "failed", os.getpid(), socket.gethostname(), timedelta(minutes=5))
    (start,) = unfinished_starts(database, now())
    assert pipeline_result([start]).status is Status.FAIL
    writes.close_unfinished_start(database, start)
    assert _unfinished(database) == []
    assert pipeline_result([]).status is Status.PASS
