"""The SQLMesh project as a Python object, bound to one warehouse."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from greenery.connect import open_warehouse
from greenery.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from sqlmesh import Context


def open_context(
    warehouse: Path | None = None,
    gateway: str | None = None,
    *,
    load: bool = True,
    log_to: Path | None = None,
) -> Context:
    """A SQLMesh context of this project on `gateway` (config.yaml's default when None), with
    `warehouse` as the DuckDB file when given. `load=False` skips reading the project's
    files: enough for a command that works on what state holds (the applied snapshots carry
    their models), and about a second and a half faster.

    config.yaml reads the file from GREENERY_WAREHOUSE, so the variable is set first. The
    warehouse is opened once first, as every other command opens it: SQLMesh connects lazily,
    deep inside its first use, and a fault (a file held by another process or not a DuckDB
    file, a server down, a database missing) is then said plainly before SQLMesh starts work.
    """
    if warehouse is not None:
        os.environ["GREENERY_WAREHOUSE"] = str(warehouse)
    with open_warehouse(gateway):
        pass
    from sqlmesh import Context, configure_logging

    if log_to is not None:
        configure_logging(log_file_dir=log_to)
    os.environ.setdefault("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "true")
    return Context(paths=PROJECT_ROOT, gateway=gateway, load=load)
