"""Where data lives in the warehouse and whom it concerns: every schema and business unit,
declared once for the loader, the models' readers and the monitor.

SQLMesh serves prod's views in `<schema>` and a dev environment's in `<schema>__<env>`;
`view_schema` and `prod_name` are the one place that rule is written.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Where the loader lands the raw tables; the same in every environment.
RAW_SCHEMA = "raw"
#: The marts' business units, each with its own schema and model tag.
BUSINESS_UNITS = ("core", "marketing", "product")
#: Everything before the marts (sources, staging, snapshots, intermediate, quality, the pipeline).
PLATFORM = "platform"
#: Every unit a check, an alert or a digest section can belong to, in reading order.
UNITS = (*BUSINESS_UNITS, PLATFORM)
#: Where the monitor keeps its history.
MONITOR_SCHEMA = "monitor"

ENVIRONMENT_SUFFIX = "__"


def view_schema(schema: str, environment: str) -> str:
    """Where SQLMesh serves a schema's views: `<schema>` in prod, `<schema>__<env>` elsewhere."""
    return schema if environment == "prod" else f"{schema}{ENVIRONMENT_SUFFIX}{environment}"


def prod_name(relation: str) -> str:
    """`schema.table` as people name it in prod, from a relation of any environment."""
    schema, table = relation.split(".", 1)
    return f"{schema.split(ENVIRONMENT_SUFFIX)[0]}.{table}"


def business_unit(dataset: str, tags: Iterable[str] = ()) -> str:
    """Whom a dataset concerns: its business-unit tag, else its schema's unit, else the platform."""
    for candidate in (*tags, prod_name(dataset).split(".")[0]):
        if candidate in BUSINESS_UNITS:
            return candidate
    return PLATFORM
