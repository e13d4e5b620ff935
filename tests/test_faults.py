"""No traceback reaches a user: every command turns a fault of its environment (a warehouse held
by another process, unwritable, on a full disk, corrupt, missing; invalid arguments) into one
paragraph naming the file or cause and what to do, and a non-zero exit.

Each fault is real: a second process holds the file, a tmpfs is mounted read-only or full, a
file is truncated. Where the machine does not allow one (mounting needs root), the test is
skipped and says why."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingest.load import load
from monitor import hook

pytestmark = pytest.mark.monitor

BIN = Path(sys.executable).parent


def _run(program: str, *args: str, warehouse: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "GREENERY_WAREHOUSE": str(warehouse),
        "COLUMNS": "1000",  # one paragraph on one line: names are not wrapped apart
        "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "true",
    }
    environment.pop("APPRISE_CONFIG_PATH", None)
    environment.pop("APPRISE_URLS", None)
    return subprocess.run(
        [str(BIN / program), *args], env=environment, capture_output=True, text=True, timeout=300
    )


def _told(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def _duckdb_file(path: Path) -> Path:
    """A real DuckDB file, a few blocks long."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE scratch AS SELECT range AS id, md5(range::VARCHAR) AS hash FROM range(40000)"
    )
    con.close()
    return path


def _landed(path: Path, raw_dir: Path) -> Path:
    """A warehouse with an export landed in raw.*, as `ingest load` leaves it."""
    con = duckdb.connect(str(path))
    load(raw_dir, con)
    con.close()
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return _duckdb_file(tmp_path / "greenery.duckdb")


# 1. The file held by another process, as `sqlmesh ui` holds it.


@pytest.fixture
def holder(warehouse: Path) -> Iterator[int]:
    """A second process holding the warehouse open; its PID."""
    code = (
        "import sys, duckdb\n"
        f"con = duckdb.connect({str(warehouse)!r})\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "ready"
    yield process.pid
    process.stdin.close()
    process.wait(timeout=30)


@pytest.mark.parametrize(
    "command",
    [
        ("monitor", "check"),
        ("monitor", "daily"),
        ("monitor", "problems"),
        ("monitor", "history"),
        ("monitor", "digest"),
        ("monitor", "report", "--out", "REPORT"),
        ("monitor", "deliver"),
        ("greenery", "answers"),
        ("ingest", "load", "RAW"),
    ],
    ids=" ".join,
)
def test_a_locked_warehouse_names_the_process_holding_it(
    command: tuple[str, ...], warehouse: Path, holder: int, generated_dir: Path
) -> None:
    places = {"RAW": str(generated_dir), "REPORT": str(warehouse.parent / "report.html")}
    args = [places.get(arg, arg) for arg in command]
    result = _run(*args, warehouse=warehouse)
    _told(result, str(warehouse), f"in use by process {holder}", "Stop that process")
    assert result.returncode == 2


# 2. A warehouse that cannot be written.


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): needs root")


def _unmount(where: Path) -> None:
    subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def read_only_warehouse(tmp_path: Path) -> Iterator[Path]:
    """A warehouse on a read-only file system: a tmpfs remounted read-only as root; else
    a file and folder without write permission, which stops a user other than root."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        path = _duckdb_file(folder / "greenery.duckdb")
        path.chmod(0o444)
        folder.chmod(0o555)
        yield path
        folder.chmod(0o755)
        return
    mount = tmp_path / "ro"
    _mount_tmpfs(mount, "16m")
    try:
        path = _duckdb_file(mount / "greenery.duckdb")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield path
    finally:
        _unmount(mount)


@pytest.mark.parametrize("command", [("monitor", "check"), ("ingest", "load", "RAW")], ids=" ".join)
def test_an_unwritable_warehouse_is_said_plainly(
    command: tuple[str, ...], read_only_warehouse: Path, generated_dir: Path
) -> None:
    args = _with_raw(command, generated_dir)
    result = _run(*args, warehouse=read_only_warehouse)
    _told(result, f"{read_only_warehouse} cannot be written", "writable")


def test_reading_an_unwritable_warehouse_still_works(read_only_warehouse: Path) -> None:
    result = _run("monitor", "problems", warehouse=read_only_warehouse)
    assert "Traceback" not in result.stderr, result.stderr


# 3. A full disk.


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs holding an empty warehouse, then filled to the last byte."""
    mount = tmp_path / "full"
    _mount_tmpfs(mount, "4m")
    try:
        duckdb.connect(str(mount / "greenery.duckdb")).close()
        with (mount / "filler").open("wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
            except OSError:
                pass
        yield mount
    finally:
        _unmount(mount)


def test_loading_onto_a_full_disk_is_said_plainly(full_disk: Path, generated_dir: Path) -> None:
    warehouse = full_disk / "greenery.duckdb"
    result = _run("ingest", "load", str(generated_dir), warehouse=warehouse)
    _told(result, f"The disk holding {warehouse}", "is full", "Free some space")


def test_generating_onto_a_full_disk_is_said_plainly(full_disk: Path, warehouse: Path) -> None:
    out = full_disk / "generated"
    result = _run("ingest", "generate", "--out", str(out), warehouse=warehouse)
    _told(result, f"The disk holding {out}", "is full", "Free some space")


def test_the_sqlmesh_hooks_say_a_full_disk_in_one_paragraph(
    full_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Inside `sqlmesh plan` and `sqlmesh run` the monitor's faults are said, not raised."""
    warehouse = full_disk / "greenery.duckdb"

    def write() -> None:
        con = duckdb.connect(str(warehouse))
        try:
            con.execute("CREATE TABLE filling AS SELECT md5(range::VARCHAR) FROM range(100000)")
        finally:
            con.close()

    hook._guarded(write, "failed")
    said = capsys.readouterr().err
    assert f"The disk holding {warehouse}" in said and "is full" in said, said
    assert "the apply's or run's result stands" in said


# 4. A corrupt, truncated or foreign warehouse file.


@pytest.fixture(params=["text", "empty", "header only"])
def corrupt_warehouse(request: pytest.FixtureRequest, tmp_path: Path, generated_dir: Path) -> Path:
    """A file named like the warehouse that DuckDB cannot open: a CSV, an empty file, the
    first 100 bytes of a warehouse (a copy cut short)."""
    path = tmp_path / "greenery.duckdb"
    if request.param == "text":
        path.write_text("user_id,created_at\n1,2021-02-10\n")
    elif request.param == "empty":
        path.write_bytes(b"")
    else:
        os.truncate(_landed(path, generated_dir), 100)
    return path


@pytest.mark.parametrize(
    "command",
    [("monitor", "check"), ("greenery", "answers"), ("ingest", "load", "RAW")],
    ids=" ".join,
)
def test_a_corrupt_warehouse_is_named_with_what_to_do(
    command: tuple[str, ...], corrupt_warehouse: Path, generated_dir: Path
) -> None:
    args = _with_raw(command, generated_dir)
    result = _run(*args, warehouse=corrupt_warehouse)
    _told(result, f"{corrupt_warehouse} is not a readable DuckDB warehouse", "make demo")


def test_a_warehouse_truncated_to_half_is_named_where_it_is_read(
    tmp_path: Path, generated_dir: Path
) -> None:
    """DuckDB opens a file cut in half and fails on the first missing block it reads: the
    load, which reads every raw table, names the file."""
    path = _landed(tmp_path / "greenery.duckdb", generated_dir)
    os.truncate(path, path.stat().st_size // 2)
    result = _run("ingest", "load", str(generated_dir), warehouse=path)
    _told(result, f"{path} is not a readable DuckDB warehouse", "truncated", "make demo")


def test_answers_before_any_plan_say_to_apply_the_models(
    tmp_path: Path, generated_dir: Path
) -> None:
    path = _landed(tmp_path / "greenery.duckdb", generated_dir)
    result = _run("greenery", "answers", warehouse=path)
    _told(result, "marketing.repeat_rate", "sqlmesh plan prod")


# 5. A missing folder.


def test_a_warehouse_in_a_missing_folder(tmp_path: Path, generated_dir: Path) -> None:
    missing = tmp_path / "nonexistent" / "dir" / "w.duckdb"
    result = _run(
        "ingest", "load", str(generated_dir), "--warehouse", str(missing), warehouse=missing
    )
    _told(result, f"The folder {missing.parent} of {missing} does not exist")
    result = _run("monitor", "check", warehouse=missing)
    _told(result, f"The folder {missing.parent} of {missing} does not exist")


def test_a_missing_export_folder(tmp_path: Path, warehouse: Path) -> None:
    missing = tmp_path / "nonexistent"
    result = _run("ingest", "load", str(missing), warehouse=warehouse)
    _told(result, str(missing))


# 6. Invalid arguments.


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--scale", "0"], "argument --scale: must be a positive number, got 0"),
        (["--scale", "-1"], "argument --scale: must be a positive number, got -1"),
        (["--scale", "nan"], "argument --scale: must be a positive number, got nan"),
        (["--days", "0"], "argument --days: must be a positive whole number, got 0"),
        (["--start", "2026-03-05", "--end", "2026-03-01"], "--start 2026-03-05 is after --end"),
    ],
)
def test_invalid_generate_arguments(
    args: list[str], said: str, tmp_path: Path, warehouse: Path
) -> None:
    result = _run("ingest", "generate", "--out", str(tmp_path / "out"), *args, warehouse=warehouse)
    _told(result, said)
    assert result.returncode == 2
    assert not (tmp_path / "out").exists()


def _with_raw(command: tuple[str, ...], raw_dir: Path) -> list[str]:
    """The command's arguments, with the placeholder RAW for the generated export."""
    return [str(raw_dir) if arg == "RAW" else arg for arg in command]
