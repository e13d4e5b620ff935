"""What the monitor knows of each dataset: owner, tags and personal columns, from SQLMesh.

Owners and business-unit tags route alerts; personal columns are masked in every sample the
monitor stores or sends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp

#: Columns masked wherever they appear, whatever the model says: the safety net for sources.
PERSONAL_NAME = re.compile(r"(^|_)(first_name|last_name|email|phone|phone_number|address)$")
MASK = "***"


@dataclass(frozen=True)
class Dataset:
    """A model or source as people name it (`schema.table` in prod)."""

    name: str
    owner: str | None
    tags: tuple[str, ...]
    personal_columns: frozenset[str]

    def is_personal(self, column: str) -> bool:
        return column in self.personal_columns or bool(PERSONAL_NAME.search(column))


def dataset_name(model_name: str) -> str:
    """`schema.table` of a (possibly catalog-qualified, quoted) SQLMesh model name."""
    table = exp.to_table(model_name, dialect="duckdb")
    return f"{table.db}.{table.name}"


def from_models(models: Iterable[object]) -> dict[str, Dataset]:
    """Datasets of SQLMesh models. In a model tagged `pii`, a column whose description says
    "personal data" is personal."""
    datasets = {}
    for model in models:
        tags = tuple(model.tags)
        personal = frozenset(
            column
            for column, text in (model.column_descriptions or {}).items()
            if "pii" in tags and "personal data" in text.lower()
        )
        name = dataset_name(model.name)
        datasets[name] = Dataset(name, model.owner, tags, personal)
    return datasets


def mask(rows: list[dict[str, object]], dataset: Dataset | None) -> list[dict[str, object]]:
    """The rows with every personal value replaced by a mask (NULLs stay NULL)."""

    def personal(column: str) -> bool:
        return dataset.is_personal(column) if dataset else bool(PERSONAL_NAME.search(column))

    return [
        {k: (MASK if personal(k) and v is not None else v) for k, v in row.items()} for row in rows
    ]
