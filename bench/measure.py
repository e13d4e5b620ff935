"""Run one step as a child process and measure it: wall time, CPU time, peak memory.

Every step is a separate process, started the way a user starts it, so its figures include the
framework's start-up and nothing of the benchmark's own process. `os.wait4` gives the child's
own resource usage (and that of the processes it waited for), so peak RSS is per step.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from greenery.errors import ExpectedError


class StepFailed(ExpectedError):
    """A command of the benchmark exited non-zero; its output is kept in its log file."""


@dataclass(frozen=True)
class Measurement:
    step: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float

    def as_dict(self) -> dict[str, float | str]:
        return asdict(self)


def measure(
    step: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    exit_codes: tuple[int, ...] = (0,),
    flush_first: bool = True,
) -> Measurement:
    """Run `command`, its output to `log`; raise StepFailed naming the log if it exits with
    a code outside `exit_codes`.

    With `flush_first`, the earlier steps' writes are flushed to disk first: otherwise a step
    that syncs its own file (DuckDB's checkpoint) waits behind the last one's gigabytes, and
    is timed for them (a scale-1000 day's load took 8.3 s, 3.0 s of it CPU, right after the
    floor's build)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    if flush_first:
        os.sync()
    with log.open("w") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=out, stderr=out)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in exit_codes:
        raise StepFailed(f"{step}: `{' '.join(command)}` exited {child.returncode}; see {log}")
    return Measurement(
        step=step,
        wall_s=round(wall, 3),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
    )
