"""The SQLMesh project as a Python object, bound to one warehouse file."""

from __future__ import annotations

import os
from pathlib import Path

from sqlmesh import Context

from greenery.connect import connect
from greenery.paths import PROJECT_ROOT


def open_context(warehouse: Path) -> Context:
    """A SQLMesh context of this project on `warehouse`.

    config.yaml reads the file from GREENERY_WAREHOUSE, so the variable is set first. The
    file is opened once first, as every other command opens it: SQLMesh connects lazily, deep
    inside its first use, and a fault of the file (held by another process, not a DuckDB
    file, its folder missing) is then said plainly before SQLMesh starts any work.
    """
    connect(warehouse).close()
    os.environ["GREENERY_WAREHOUSE"] = str(warehouse)
    os.environ.setdefault("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "true")
    return Context(paths=PROJECT_ROOT)
