"""`sqlmesh ui` on a built warehouse serves the lineage of every model."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from greenery.paths import PROJECT_ROOT
from greenery.project import open_context
from tests.warehouse_builds import copy_of


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


@pytest.fixture(scope="module")
def ui(
    built_generated: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[str]]]:
    """A `sqlmesh ui` process on loopback, on a copy of the session's build (conftest), and
    the names of the project's models."""
    warehouse = copy_of(built_generated, tmp_path_factory.mktemp("ui"))
    context = open_context(warehouse)
    models = sorted(m.name for m in context.models.values() if not m.kind.is_external)
    context.close()  # the UI needs the file: DuckDB allows one process at a time

    port = _free_port()
    env = {**os.environ, "GREENERY_WAREHOUSE": str(warehouse)}
    server = subprocess.Popen(
        [Path(sys.executable).parent / "sqlmesh", "ui", "--host", "127.0.0.1", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            _get(f"{base}/")
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"sqlmesh ui did not start: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.5)
    yield base, models
    server.terminate()
    server.wait(timeout=30)


def test_ui_serves_its_page(ui: tuple[str, list[str]]) -> None:
    base, _ = ui
    assert b"SQLMesh" in _get(f"{base}/")


def test_lineage_of_every_model_reaches_the_raw_tables(ui: tuple[str, list[str]]) -> None:
    base, models = ui
    assert len(models) > 30
    for model in models:
        graph = json.loads(_get(f"{base}/api/lineage/{model}"))
        nodes = set(graph) | {parent for parents in graph.values() for parent in parents}
        schema, name = model.split(".")
        assert f'"{schema}"."{name}"' in " ".join(graph), model
        assert any('"raw".' in node for node in nodes), f"{model} lineage stops short of raw"
