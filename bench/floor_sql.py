"""The floor: the project's transformations as one plain SQL script, for DuckDB alone.

SQLMesh renders every model's query (macros expanded, references to logical table names) from
a context on an empty warehouse, so the script is exactly the SQL the framework runs, minus the
framework: no state, no snapshots, no virtual layer, no audits, no checks. Raw tables are read
with DuckDB's typed CSV reader. Rendering happens once, before anything is timed.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlmesh.core.model import Model

from bench.floor import CATALOG_FILE, RAW_DIR_PARAMETER
from greenery.project import open_context
from ingest.schema import RAW_TABLES, RawTable


def render_floor_script(end: date) -> str:
    """Raw loads, then every model in dependency order as CREATE VIEW / CREATE TABLE AS.

    Incremental models are rendered for their whole range, from their start to `end`, as a
    first plan processes them. The script names the raw folder `$raw_dir`; `bench.floor`
    substitutes it.
    """
    with tempfile.TemporaryDirectory() as empty:
        context = open_context(Path(empty) / CATALOG_FILE)
        try:
            models = [context.get_model(name) for name in context.dag.sorted]
            statements = [_load_raw(table) for table in RAW_TABLES]
            statements += [_first_versions(table) for table in RAW_TABLES if table.keeps_versions]
            statements += [
                _materialise(model, context.render(model, start=model.start, end=end).sql("duckdb"))
                for model in models
                if model is not None and not model.kind.is_external
            ]
        finally:
            context.close()
    schemas = sorted({model.schema_name for model in models if model is not None})
    create_schemas = [f"CREATE SCHEMA IF NOT EXISTS {schema};" for schema in schemas]
    return "\n".join(create_schemas + statements) + "\n"


def _load_raw(table: RawTable) -> str:
    """A typed read of one CSV, with the loader's bookkeeping columns, as plain DuckDB does it."""
    read_types = {c: "TIMESTAMPTZ" if t == "TIMESTAMP" else t for c, t in table.columns.items()}
    columns = "{" + ", ".join(f"'{c}': '{t}'" for c, t in read_types.items()) + "}"
    select = ", ".join(
        f"timezone('UTC', {c}) AS {c}" if t == "TIMESTAMP" else c for c, t in table.columns.items()
    )
    path = f"{RAW_DIR_PARAMETER}/{table.file_name}"
    return (
        f"CREATE TABLE {table.qualified_name} AS SELECT {select}, "
        f"current_timestamp::TIMESTAMP AS _loaded_at, '{path}' AS _source_file, "
        f"row_number() OVER () + 1 AS _source_line "
        f"FROM read_csv('{path}', header = true, auto_detect = false, columns = {columns});"
    )


def _first_versions(table: RawTable) -> str:
    """The versions table as a first load leaves it: each row, one version."""
    columns = ", ".join(table.columns)
    return (
        f"CREATE TABLE {table.versions_name} AS SELECT {columns}, "
        "TIMESTAMP '1970-01-01' AS _export_as_of, _loaded_at, _source_file, _source_line "
        f"FROM {table.qualified_name};"
    )


def _materialise(model: Model, query: str) -> str:
    name = f"{model.schema_name}.{model.view_name}"
    if model.kind.is_view:
        return f"CREATE VIEW {name} AS {query};"
    return f"CREATE TABLE {name} AS {query};"


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.floor_sql END SCRIPT`: render in a process of its own, so the
    benchmark's process stays small (a child's peak RSS counts its parent's at fork)."""
    end, script = argv or sys.argv[1:]
    Path(script).write_text(render_floor_script(date.fromisoformat(end)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
