"""`python -m bench.floor SCRIPT RAW_DIR DATABASE`: run the floor script with DuckDB alone.

Deliberately nothing but DuckDB: no SQLMesh, Soda or project import, so the measured process
is the plain-DuckDB cost of the same data and SQL.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

#: The floor's database must carry the framework's catalog name, which DuckDB takes from the file.
CATALOG_FILE = "greenery.duckdb"
#: How the floor script names the folder of raw CSVs; substituted when the script runs.
RAW_DIR_PARAMETER = "$raw_dir"


def main(argv: list[str] | None = None) -> int:
    script, raw_dir, database = (Path(a) for a in (argv or sys.argv[1:]))
    sql = script.read_text().replace(RAW_DIR_PARAMETER, str(raw_dir.resolve()))
    with duckdb.connect(str(database)) as con:
        con.execute(sql)
    return 0


if __name__ == "__main__":
    sys.exit(main())
