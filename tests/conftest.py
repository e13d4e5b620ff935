"""Shared fixtures: generated raw data, and warehouses built from it by a real SQLMesh plan."""

from __future__ import annotations

import os

# Set before anything imports SQLMesh (below), which reads MAX_FORK_WORKERS once, at import:
# set after it, the tests' own contexts still forked.
os.environ["SQLMESH__DISABLE_ANONYMIZED_ANALYTICS"] = "true"
# SQLMesh loads models in forked processes; tests run SMTP and HTTP server threads, and a fork
# beside live threads can crash the child. Load in-process instead.
os.environ["MAX_FORK_WORKERS"] = "1"
# The monitor's hooks run inside every SQLMesh apply; a test that does not test the monitor
# builds without it. Modules that test it say so with `pytestmark = pytest.mark.monitor`.
os.environ["GREENERY_MONITOR"] = "off"

import fcntl
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from greenery.paths import PROJECT_ROOT
from ingest.generate import generate
from monitor.storage.database import Database
from monitor.storage.tables import ensure_tables
from tests.warehouse_builds import build

#: Fixed dates keep the tests independent of today's date.
START = date(2026, 3, 1)
END = date(2026, 3, 4)
#: The course's real export, where this machine has it (CI does not: its tests skip).
REFERENCE = Path(
    os.environ.get("GREENERY_REFERENCE_DIR", PROJECT_ROOT.parent / "shared" / "greenery-reference")
)


#: Modules by how long they take, slowest first (pytest --durations, summed per module). `make
#: test` runs modules on two workers, each module on one, in this order: the slow ones start
#: first and the many quick ones fill in after them, so both workers finish together.
SLOWEST_FIRST = (
    "test_bench.py",
    "test_pipeline_failures.py",
    "test_monitor_alerts.py",
    "test_monitor_cli.py",
    "test_soda.py",
    "test_postgres.py",
    "test_review.py",
    "test_warehouse.py",
    "test_demo.py",
    "test_faults.py",
    "test_history_correction.py",
    "test_project.py",
    "test_monitor_hook.py",
    "test_rejects.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slowest modules first (SLOWEST_FIRST); a module's own tests keep their order."""
    rank = {name: position for position, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadfile` that sends a worker its next module only once it is on the last test
    of its current one (xdist's own sends it while two tests are left: a worker busy with a
    slow one-test module would queue the next slow module behind it, idling the other)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling
    from xdist.workermanage import WorkerController

    class OneModuleAhead(LoadFileScheduling):
        def _reschedule(self, node: WorkerController) -> None:
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            # A worker holds its last test back until it is sent more or told to stop.
            if self._pending_of(self.assigned_work[node]) <= 1:
                self._assign_work_unit(node)

    return OneModuleAhead(config, log)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "monitor: the module tests the monitor; its SQLMesh builds run its hooks"
    )
    config.addinivalue_line(
        "markers", "postgres: the module builds on the postgres gateway's server (GREENERY_PG_*)"
    )


@pytest.fixture(autouse=True, scope="module")
def _monitor_switch(request: pytest.FixtureRequest) -> Iterator[None]:
    """Switch the monitor on for the modules marked `monitor`, before their builds."""
    if request.node.get_closest_marker("monitor") is None:
        yield
        return
    os.environ["GREENERY_MONITOR"] = "on"
    yield
    os.environ["GREENERY_MONITOR"] = "off"


@pytest.fixture(autouse=True)
def _keep_warehouse_variable() -> Iterator[None]:
    """Contexts set GREENERY_WAREHOUSE; restore it so no test leaks its file into another."""
    saved = os.environ.get("GREENERY_WAREHOUSE")
    yield
    if saved is None:
        os.environ.pop("GREENERY_WAREHOUSE", None)
    else:
        os.environ["GREENERY_WAREHOUSE"] = saved


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scale-1 dataset over fixed dates, written once per worker."""
    out = tmp_path_factory.mktemp("generated")
    generate(out, scale=1, seed=7, start=START, end=END)
    return out


@contextmanager
def monitor_switched(monitor: str) -> Iterator[None]:
    """The monitor switched `monitor` for a build, and GREENERY_WAREHOUSE restored after it: a
    session build must not take the switch of whichever module first asks for it, nor leave
    its file in the variable for the tests after it."""
    saved = {name: os.environ.get(name) for name in ("GREENERY_MONITOR", "GREENERY_WAREHOUSE")}
    os.environ["GREENERY_MONITOR"] = monitor
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _only_one_worker(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock` (created): the other pytest-xdist workers wait."""
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _built(
    name: str,
    raw_dir: Callable[[Path], Path],
    last_day: date | None,
    monitor: str,
    factory: pytest.TempPathFactory,
) -> Path:
    """A closed warehouse `name`/greenery.duckdb, built once per test session: by the first
    worker that asks for it, the others waiting, then reading the same file. `raw_dir(folder)`
    writes or names the export it is built from, by a prod plan up to `last_day`.

    Under pytest-xdist, every worker's temporary folder is inside the session's one, where
    the builds go; a session without workers builds in its own."""
    workers = factory.getbasetemp()
    shared = workers.parent if os.environ.get("PYTEST_XDIST_WORKER") else workers
    done = shared / name
    with _only_one_worker(shared / f"{name}.lock"):
        if not done.is_dir():
            building = shared / f"{name}.building"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            with monitor_switched(monitor):
                build(raw_dir(building), building / "greenery.duckdb", last_day).close()
            building.rename(done)
    return done / "greenery.duckdb"


# Session builds: a SQLMesh build costs 10-20 s, so each dataset is built once per session and
# every module that uses it takes a copy (`warehouse_builds.copy_of`), never the file itself.


@pytest.fixture(scope="session")
def built_generated(generated_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`generated_dir` planned into prod up to END, the monitor off."""
    return _built("built-generated", lambda _: generated_dir, END, "off", tmp_path_factory)


@pytest.fixture(scope="session")
def built_generated_monitored(
    generated_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The same build with the monitor's hooks on: what a plan leaves in monitor.*."""
    return _built("built-monitored", lambda _: generated_dir, END, "on", tmp_path_factory)


def _half_scale_until_previous_day(folder: Path) -> Path:
    raw = folder / "raw"
    generate(raw, scale=0.5, seed=11, start=START, end=END - timedelta(days=1))
    return raw


@pytest.fixture(scope="session")
def built_until_previous_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A half-scale shop (seed 11) built up to the day before END, the monitor off: where a
    daily run, or a correction of END, starts from."""
    return _built(
        "built-until-previous-day",
        _half_scale_until_previous_day,
        END - timedelta(days=1),
        "off",
        tmp_path_factory,
    )


@pytest.fixture(scope="session")
def built_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference export planned into prod as of now, the monitor off."""
    if not (REFERENCE / "orders.csv").is_file():
        pytest.skip(f"the reference export is not on this machine ({REFERENCE})")
    return _built("built-reference", lambda _: REFERENCE, None, "off", tmp_path_factory)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    """A new DuckDB file with the monitor's tables, for the monitor's rules alone."""
    store = Database(duckdb.connect(str(tmp_path / "greenery.duckdb")))
    ensure_tables(store)
    return store
