"""Where things are. Every path derives from the project root, never the current directory."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def warehouse_path() -> Path:
    """The DuckDB file: `GREENERY_WAREHOUSE` if set, else `greenery.duckdb` at the root.

    config.yaml reads the same variable, so SQLMesh and the project's commands open one file.
    """
    configured = os.environ.get("GREENERY_WAREHOUSE")
    return Path(configured).resolve() if configured else PROJECT_ROOT / "greenery.duckdb"
