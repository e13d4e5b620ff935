"""Where things are. Every path derives from the project root, never the current directory."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def warehouse_path() -> Path:
    """The DuckDB file: `GREENERY_WAREHOUSE` if set, else `greenery.duckdb` at the root.

    SQLMesh reads the same variable in config.yaml, so both always open one file.
    """
    configured = os.environ.get("GREENERY_WAREHOUSE")
    return Path(configured).resolve() if configured else PROJECT_ROOT / "greenery.duckdb"


def view_schema(schema: str, environment: str) -> str:
    """Where SQLMesh serves a schema's views: `<schema>` in prod, `<schema>__<env>` elsewhere."""
    return schema if environment == "prod" else f"{schema}__{environment}"
