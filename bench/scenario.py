"""One scale of the benchmark: the steps a user runs, each measured as its own process.

History ends the day before yesterday and the new day is yesterday, so the full build is a plan
executed as of yesterday's midnight and the daily run is a plain `sqlmesh run` now, as cron
would start it the morning after.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from bench.floor import CATALOG_FILE
from bench.gateways import load_step, plan_step, scratch_database
from bench.measure import Measurement, measure
from bench.review import (
    REVIEW_OFF,
    REVIEW_ON,
    REVIEW_STEPS,
    check_review_ran,
    prepare_review,
    project_copy,
    warehouse_copy,
)
from greenery.errors import ExpectedError
from greenery.paths import PROJECT_ROOT
from ingest.load import count_data_lines
from ingest.schema import RAW_TABLES
from monitor.storage.database import Database
from monitor.storage.reads import soda_scans

SEED = 42
#: Days of history per unit of scale: from scale 10 up every scale's new day is the same size
#: (2.5 times the reference's whole export), so daily runs differ only by the history behind.
DAYS_PER_SCALE = 0.4

#: Steps that make up the figures the targets are stated on.
BUILD_STEPS = ("load", "plan")
DAILY_STEPS = ("daily load", "daily run")
#: The build again, into a new file at the first build's path, as a user rebuilds their
#: warehouse: SQLMesh's cache of model definitions, keyed by the configuration and so by the
#: warehouse's path, is warm, as it is on every day but a machine's first.
REBUILD_STEPS = ("load, rebuild", "plan, rebuild")


#: `monitor check` exits 1 when a check finds a problem: a verdict, not a failed step. The
#: history ends the day before yesterday, so late in a UTC day its freshness checks fail.
VERDICT_EXIT_CODES = (0, 1)
#: monitor/hook.py's switch of the review alone. Not imported: that would load SQLMesh into
#: the benchmark's process, whose memory each child's peak RSS counts from its fork.
REVIEW_SWITCH = "GREENERY_REVIEW"


@dataclass
class ScaleResult:
    scale: float
    history_days: int
    history_rows: int
    day_rows: int
    steps: dict[str, Measurement] = field(default_factory=dict)
    #: The daily run's Soda scan read every row, not the day's loads: a Soda problem was open
    #: (after 12:00 UTC the history's freshness warns) or the weekly full scan was due.
    daily_full_scan: bool = False

    def total(self, names: tuple[str, ...]) -> float:
        return sum(self.steps[name].wall_s for name in names)

    @property
    def build_s(self) -> float:
        """Load the history and plan it into prod: audits, then the monitor's checks and alerts."""
        return self.total(BUILD_STEPS)

    @property
    def daily_s(self) -> float:
        return self.total(DAILY_STEPS)

    @property
    def framework_peak_mb(self) -> float:
        """The largest step's memory, the floor aside: the target is the warehouse's, and the
        floor's DuckDB runs without the project's memory limit."""
        return max(m.peak_rss_mb for name, m in self.steps.items() if name != "floor")

    @property
    def ratios(self) -> dict[str, float]:
        floor = self.steps["floor"].wall_s
        return {
            "build / floor": self.build_s / floor,
            "plan / floor": self.steps["plan"].wall_s / floor,
            "daily / build": self.daily_s / self.build_s,
            "checks / build": self.steps["checks"].wall_s / self.build_s,
            "plan / plan without monitor": self.steps["plan"].wall_s
            / self.steps["plan, monitor off"].wall_s,
            "checks / start-up": self.steps["checks"].wall_s / self.steps["start-up"].wall_s,
            "build / start-up": self.build_s / self.steps["start-up"].wall_s,
            "rebuild / start-up": self.total(REBUILD_STEPS) / self.steps["start-up"].wall_s,
            "dev plan with review / without": self.steps[REVIEW_ON].wall_s
            / self.steps[REVIEW_OFF].wall_s,
        }

    def gateway_build(self, gateway: str) -> tuple[Measurement, Measurement] | None:
        """The load and the plan of `gateway`'s build, if it was built at this scale."""
        load, plan = self.steps.get(load_step(gateway)), self.steps.get(plan_step(gateway))
        return (load, plan) if load and plan else None

    def as_dict(self) -> dict:
        return {
            "scale": self.scale,
            "history_days": self.history_days,
            "history_rows": self.history_rows,
            "day_rows": self.day_rows,
            "build_s": round(self.build_s, 3),
            "daily_s": round(self.daily_s, 3),
            "framework_peak_rss_mb": self.framework_peak_mb,
            "daily_full_scan": self.daily_full_scan,
            "ratios": {name: round(value, 3) for name, value in self.ratios.items()},
            "steps": {name: m.as_dict() for name, m in self.steps.items()},
        }


def run_scale(
    scale: float,
    workdir: Path,
    floor_script: Path,
    env: Mapping[str, str],
    today: date,
    on_step: Callable[[Measurement], None],
    gateways: Sequence[str] = (),
    smoke: bool = False,
) -> ScaleResult:
    """Generate, build, check, review a change, build the floor; then land a new day and run
    it, at one scale; then build the same history on each of the other `gateways`. With
    `smoke`, the smoke test's economies: plans skip SQLMesh's unit tests, and steps do not
    flush the disk's write cache first (`measure`)."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    new_day = today - timedelta(days=1)
    last = history_end(today)
    days = history_days(scale)
    start = last - timedelta(days=days - 1)
    history, day = workdir / "history", workdir / "day"
    warehouse, floor = workdir / "framework" / CATALOG_FILE, workdir / "floor" / CATALOG_FILE
    warehouse.parent.mkdir()
    floor.parent.mkdir()
    baseline = workdir / "monitor-off" / CATALOG_FILE
    baseline.parent.mkdir()
    off = {**env, "GREENERY_WAREHOUSE": str(baseline), "GREENERY_MONITOR": "off"}
    env = {**env, "GREENERY_WAREHOUSE": str(warehouse)}
    bin_dir = Path(sys.executable).parent
    generate = [
        str(bin_dir / "ingest"),
        "generate",
        "--scale",
        str(scale),
        "--seed",
        str(SEED),
        "--days",
        str(days),
    ]
    load = [str(bin_dir / "ingest"), "load"]
    sqlmesh = [str(bin_dir / "sqlmesh"), "-p", str(PROJECT_ROOT)]
    applied = ["--auto-apply", "--no-prompts", "--execution-time", str(new_day)]
    applied += ["--skip-tests"] if smoke else []
    # Run twice: the second time nothing is due, so it measures the framework's start-up.
    plan = [*sqlmesh, "plan", "prod", *applied]
    # The change's dev plan, each on its own copies made after the checks (bench/review.py).
    reviews = [
        (step, [sqlmesh[0], "-p", str(project_copy(workdir, step)), "plan", "dev", *applied],
         {**env, "GREENERY_WAREHOUSE": str(warehouse_copy(workdir, step)),
          REVIEW_SWITCH: "on" if step == REVIEW_ON else "off"})
        for step in REVIEW_STEPS
    ]  # fmt: skip
    # The same load and plan with the monitor switched off, in a warehouse of their own: the
    # baseline the monitor's cost is measured against.
    steps = [
        ("generate", [*generate, "--out", str(history), "--start", str(start),
                      "--end", str(last)], env),
        ("load", [*load, str(history)], env),
        ("plan", plan, env),
        ("start-up", plan, env),
        ("checks", [str(bin_dir / "monitor"), "check"], env),
        *reviews,
        ("load, monitor off", [*load, str(history)], off),
        ("plan, monitor off", plan, off),
        ("floor", [sys.executable, "-m", "bench.floor", str(floor_script), str(history),
                   str(floor)], env),
        ("generate day", [*generate, "--out", str(day), "--start", str(start),
                          "--end", str(new_day), "--only-day", str(new_day)], env),
        ("daily load", [*load, str(day)], env),
        ("daily run", [*sqlmesh, "run"], env),
        # After the warehouse is removed (below): the first build again, at the same path.
        ("load, rebuild", [*load, str(history)], env),
        ("plan, rebuild", plan, env),
    ]  # fmt: skip
    result = ScaleResult(scale, days, history_rows=0, day_rows=0)

    def run(name: str, command: list[str], step_env: Mapping[str, str]) -> None:
        codes = VERDICT_EXIT_CODES if name == "checks" else (0,)
        result.steps[name] = measure(
            name,
            command,
            env=step_env,
            cwd=PROJECT_ROOT,
            log=_log(workdir, name),
            exit_codes=codes,
            flush_first=not smoke,
        )
        on_step(result.steps[name])

    for name, command, step_env in steps:
        run(name, command, step_env)
        if name == "generate":
            result.history_rows = _rows(history)
        elif name == "checks":
            prepare_review(workdir, warehouse)
        elif name == REVIEW_OFF:
            check_review_ran({step: _log(workdir, step) for step in REVIEW_STEPS})
        elif name == "floor":
            check_floor_matches(floor, warehouse)
        elif name == "generate day":
            result.day_rows = _rows(day)
        elif name == "daily run":
            result.daily_full_scan = last_scan_read_every_row(warehouse)
            for path in (warehouse, warehouse.with_name(f"{warehouse.name}.wal")):
                path.unlink(missing_ok=True)
    for gateway in gateways:
        build_on_gateway(gateway, history, load, sqlmesh, applied, env, run)
    return result


def build_on_gateway(
    gateway: str,
    history: Path,
    load: list[str],
    sqlmesh: list[str],
    applied: list[str],
    env: Mapping[str, str],
    run: Callable[[str, list[str], Mapping[str, str]], None],
) -> None:
    """The DuckDB build's load and plan of the same history, on `gateway`, in a database of
    the benchmark's own (dropped afterwards): `run` measures each step."""
    with scratch_database() as database:
        on_server = {**env, "GREENERY_PG_DATABASE": database}
        run(load_step(gateway), [*load, "--gateway", gateway, str(history)], on_server)
        plan = [*sqlmesh, "--gateway", gateway, "plan", "prod", *applied]
        run(plan_step(gateway), plan, on_server)


def last_scan_read_every_row(warehouse: Path) -> bool:
    """Whether prod's latest Soda scan was a full scan (monitor/checks/scan_scope.py)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        last_scan, last_full_scan = soda_scans(Database(con), "prod")
    return last_scan is not None and last_scan == last_full_scan


def _log(workdir: Path, step: str) -> Path:
    return workdir / "logs" / f"{step.replace(' ', '-').replace(',', '')}.log"


class FloorMismatch(ExpectedError):
    """The floor did not compute what the framework did: its time would mean nothing."""


def check_floor_matches(floor: Path, framework: Path) -> None:
    """Every table the floor built holds as many rows as the framework's prod view of it."""
    with duckdb.connect(str(floor), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name != 'raw'"
        ).fetchall()
        floor_counts = {t: _count(con, t) for t in tables}
    with duckdb.connect(str(framework), read_only=True) as con:
        framework_counts = {t: _count(con, t) for t in tables}
    differ = {
        t: (n, framework_counts[t]) for t, n in floor_counts.items() if framework_counts[t] != n
    }
    if not tables or differ:
        raise FloorMismatch(f"floor vs framework row counts differ: {differ or 'no tables'}")


def _count(con: duckdb.DuckDBPyConnection, table: tuple[str, str]) -> int:
    return con.execute(f'SELECT count(*) FROM "{table[0]}"."{table[1]}"').fetchone()[0]


def _rows(folder: Path) -> int:
    files = [folder / table.file_name for table in RAW_TABLES]
    return sum(count_data_lines(path) for path in files if path.is_file())


def bench_environment(sink: str, folder: Path) -> dict[str, str]:
    """The caller's environment, with alerts sent to the benchmark's own sink, never to a
    channel of the project's apprise.yml: an apprise config of its own, in `folder`, declares
    the sink alone. The monitor is on whatever the caller set: it is part of what is measured."""
    config = folder / "apprise.yml"
    config.write_text(f"urls:\n  - {sink}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPRISE_", "MONITOR_"))}
    return {
        **env,
        "APPRISE_CONFIG_PATH": str(config),
        "GREENERY_MONITOR": "on",
        "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "true",
    }


def history_days(scale: float) -> int:
    """At least the reference's four days; beyond, a day's volume is held constant."""
    return max(4, round(scale * DAYS_PER_SCALE))


def history_end(today: date) -> date:
    """The history's last day: the day before yesterday, so that yesterday is the new day."""
    return today - timedelta(days=2)


def utc_today() -> date:
    return datetime.now(UTC).date()
