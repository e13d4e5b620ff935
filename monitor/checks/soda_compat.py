"""The one place the monitor reaches past Soda's public API, and the monitor's door to Soda:
everything of Soda the monitor uses is imported from here.

Soda Core 3.5 offers no public way to:
- switch its usage telemetry off for a process without writing the user's `~/.soda/config.yml`.
  Importing Soda otherwise installs a global OpenTelemetry exporter to collect.soda.io
  (`Scan.disable_telemetry()` stops a scan's own spans, not the exporter). Soda's config helper
  is created first, from a private file, before Soda is imported: hence this module imports
  Soda for everyone else;
- give a data source built on an existing DuckDB connection a schema. The monitor reads every
  environment on the warehouse's own connection (SQLMesh may hold the file), and a schema
  check must see one relation's columns, not prod's and dev's together;
- tell, in a custom failed-rows sampler, which table a sample comes from: check names such as
  `row_count > 0` repeat across datasets;
- give a data source more type synonyms for schema checks: the check files name types as
  DuckDB does (`varchar`, `double`, `decimal(12,2)`), and PostgreSQL reports `text`,
  `double precision` and `numeric` for the same columns (monitor/checks/soda_sources.py);
- close the connections a scan's data sources opened. Soda closes those it keeps in a map it
  never fills, so a PostgreSQL connection stays open, idle in a transaction whose locks hold
  off a load's TRUNCATE until the process ends (a `monitor daily` lands after a scan).

tests/test_library_contracts.py and tests/test_soda.py hold each of these to the installed Soda:
an upgrade that breaks one fails there, by name, instead of silently phoning home or losing
schema checks or samples.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from soda.common.config_helper import ConfigHelper

SODA_CONFIG = "send_anonymous_usage_stats: false\nuser_cookie_id: greenery-monitor\n"


def _without_telemetry() -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.yml"
        config.write_text(SODA_CONFIG)
        helper = ConfigHelper.get_instance(str(config))
    helper.config["send_anonymous_usage_stats"] = False


_without_telemetry()
# Soda's own imports come after: importing soda.scan starts its telemetry.
from soda.sampler.sample_context import SampleContext  # noqa: E402
from soda.sampler.sampler import Sampler  # noqa: E402
from soda.scan import Scan  # noqa: E402

__all__ = [
    "SampleContext",
    "Sampler",
    "Scan",
    "add_type_synonyms",
    "close_data_sources",
    "sample_table",
    "scope_data_source",
]


def scope_data_source(scan: Scan, name: str, schema: str) -> None:
    """Have data source `name` look up columns in `schema` while naming tables bare, so that
    the session's search_path picks a dev view or prod's."""
    source = scan._data_source_manager.get_data_source(name)
    source.schema, source.table_prefix = schema, None


def sample_table(context: SampleContext) -> str:
    """The table a failed-rows sample was taken from."""
    return context.partition.table.table_name


def add_type_synonyms(scan: Scan, name: str, synonyms: dict[str, list[str]]) -> None:
    """Have data source `name`'s schema checks accept, for each type the engine reports, the
    names in `synonyms` too (Soda's per-engine `SCHEMA_CHECK_TYPES_MAPPING`)."""
    source = scan._data_source_manager.get_data_source(name)
    source.SCHEMA_CHECK_TYPES_MAPPING = {**source.SCHEMA_CHECK_TYPES_MAPPING, **synonyms}


def close_data_sources(scan: Scan) -> None:
    """Close the connections the scan's data sources opened."""
    for source in scan._data_source_manager.data_sources.values():
        source.disconnect()
