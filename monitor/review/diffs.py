"""What a dev environment changed, model by model, against prod: SQLMesh's table diff of each
model the plan changed directly and of every mart downstream of one.

The comparison runs on the engine (`sqlmesh.core.table_diff.TableDiff`, joined on the model's
grain): only counts, per-column match rates and a few sample rows come back to Python, and
the sample's personal columns are masked before anything keeps or shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlmesh.core.engine_adapter import EngineAdapter
from sqlmesh.core.snapshot import Snapshot, SnapshotChangeCategory, SnapshotTableInfo
from sqlmesh.core.table_diff import TableDiff

from greenery.layout import BUSINESS_UNITS, business_unit, view_schema
from monitor.datasets import Dataset, dataset_name, from_models, mask

#: Changed rows shown per model: enough to see the change, small enough for a chat message.
SAMPLE_ROWS = 3
CATEGORIES = {
    SnapshotChangeCategory.BREAKING: "breaking",
    SnapshotChangeCategory.NON_BREAKING: "non-breaking",
    SnapshotChangeCategory.FORWARD_ONLY: "forward-only",
    SnapshotChangeCategory.INDIRECT_BREAKING: "indirect breaking",
    SnapshotChangeCategory.INDIRECT_NON_BREAKING: "indirect non-breaking",
    SnapshotChangeCategory.METADATA: "metadata only",
}
INDIRECT = {SnapshotChangeCategory.INDIRECT_BREAKING, SnapshotChangeCategory.INDIRECT_NON_BREAKING}


@dataclass(frozen=True)
class ModelDiff:
    """One model of the environment against prod."""

    dataset: str
    unit: str
    owner: str | None
    tags: tuple[str, ...]
    category: str
    direct: bool
    #: False when the environment reuses prod's table (same version): nothing was rebuilt.
    rebuilt: bool
    added_columns: list[tuple[str, str]] = field(default_factory=list)
    removed_columns: list[tuple[str, str]] = field(default_factory=list)
    retyped_columns: list[tuple[str, str, str]] = field(default_factory=list)
    grain: tuple[str, ...] = ()
    rows_before: int = 0
    rows_after: int = 0
    rows_added: int = 0
    rows_removed: int = 0
    rows_changed: int = 0
    #: Column -> share of matched rows (0 to 100) where it is equal, for the columns that differ.
    column_match: dict[str, float] = field(default_factory=dict)
    #: Changed rows: the grain, then `column (prod)` and `column (<env>)` for each differing column.
    sample: list[dict[str, object]] = field(default_factory=list)
    note: str | None = None

    @property
    def why(self) -> str:
        """How SQLMesh classified it, and what that did to its table."""
        how = "direct change" if self.direct else "downstream of a change"
        table = "rebuilt" if self.rebuilt else "reuses prod's table"
        return f"{self.category} ({how}; {table})"

    def said(self, environment: str) -> list[str]:
        """What changed, one fact a line, for every reader of the review."""
        if self.note:
            return [self.note]
        lines = [
            f"rows: {self.rows_before:,} in prod, {self.rows_after:,} in {environment}; "
            f"{self.rows_added:,} added, {self.rows_removed:,} removed, "
            f"{self.rows_changed:,} changed (matched on {', '.join(self.grain)})"
        ]
        lines += [f"column added: {c} {t}" for c, t in self.added_columns]
        lines += [f"column removed: {c} {t}" for c, t in self.removed_columns]
        lines += [f"column retyped: {c} {old} -> {new}" for c, old, new in self.retyped_columns]
        lines += [
            f"{c}: equal in {pct:.1f}% of matched rows" for c, pct in self.column_match.items()
        ]
        return lines


def changed_models(
    snapshots: dict[str, Snapshot], prod: dict[str, SnapshotTableInfo]
) -> list[Snapshot]:
    """The models the plan changed directly, and every mart downstream of one, in DAG order.

    A snapshot differs from prod's when its fingerprint does; it is a direct change unless
    SQLMesh classified it as indirect (a parent's change)."""
    models = {s.name: s for s in snapshots.values() if s.is_model}
    differing = {
        name
        for name, snapshot in models.items()
        if name not in prod or prod[name].fingerprint != snapshot.fingerprint
    }
    direct = {name for name in differing if models[name].change_category not in INDIRECT}
    reached = set(direct)
    for name in _in_dag_order(models):
        if name in differing and reached & set(models[name].node.depends_on):
            reached.add(name)
    return [
        models[name]
        for name in _in_dag_order(models)
        if name in direct or (name in reached and _is_mart(name))
    ]


def diff_model(
    adapter: EngineAdapter,
    snapshot: Snapshot,
    prod: SnapshotTableInfo | None,
    environment: str,
    dataset: Dataset,
) -> ModelDiff:
    """Schema and rows of the model's view in `environment` against its view in prod."""
    name = dataset.name
    category = snapshot.change_category
    model = ModelDiff(
        dataset=name,
        unit=business_unit(name, dataset.tags),
        owner=dataset.owner,
        tags=dataset.tags,
        category="forward-only"
        if snapshot.is_forward_only
        else CATEGORIES.get(category, "unclassified")
        if category
        else "unclassified",
        direct=category not in INDIRECT,
        rebuilt=prod is None or prod.version != snapshot.version,
        grain=tuple(column.name for column in snapshot.model.grains),
    )
    if prod is None:
        return replace(model, note="new model: prod has no table to compare with")
    schema, table = name.split(".")
    target = f"{view_schema(schema, environment)}.{table}"
    if not model.grain:
        return replace(model, note="no grain declared: rows were not matched")
    diff = TableDiff(
        adapter, name, target, on=list(model.grain), limit=SAMPLE_ROWS, model_name=name
    )
    schema_diff = diff.schema_diff()
    rows = diff.row_diff(skip_grain_check=True)
    match = {
        str(column): float(pct)
        for column, pct in rows.column_stats["pct_match"].items()
        if pct < 100
    }
    return replace(
        model,
        added_columns=[(c, t.sql(dialect=adapter.dialect)) for c, t in schema_diff.added],
        removed_columns=[(c, t.sql(dialect=adapter.dialect)) for c, t in schema_diff.removed],
        retyped_columns=[
            (c, old.sql(dialect=adapter.dialect), new.sql(dialect=adapter.dialect))
            for c, (old, new) in schema_diff.modified.items()
        ],
        rows_before=rows.source_count,
        rows_after=rows.target_count,
        rows_added=rows.t_only_count,
        rows_removed=rows.s_only_count,
        rows_changed=rows.partial_match_count,
        column_match=match,
        sample=_sample(
            rows.joined_sample.to_dict("records"), model.grain, match, dataset, environment
        ),
    )


def diff_environment(
    adapter: EngineAdapter,
    snapshots: dict[str, Snapshot],
    prod: dict[str, SnapshotTableInfo],
    environment: str,
) -> list[ModelDiff]:
    """Every changed model and downstream mart of `environment`, diffed against prod."""
    changed = changed_models(snapshots, prod)
    datasets = from_models(s.model for s in changed)
    return [
        diff_model(adapter, s, prod.get(s.name), environment, datasets[dataset_name(s.name)])
        for s in changed
    ]


def _sample(
    records: list[dict[str, object]],
    grain: tuple[str, ...],
    match: dict[str, float],
    dataset: Dataset,
    environment: str,
) -> list[dict[str, object]]:
    """Changed rows keyed `column (prod)` / `column (<env>)`, personal values masked first
    (masking knows columns by their own names)."""
    rows = []
    for record in records[:SAMPLE_ROWS]:
        keys = {c: record.get(c, record.get(f"s__{c}")) for c in grain}
        before = mask([{c: record.get(f"s__{c}") for c in match}], dataset)[0]
        after = mask([{c: record.get(f"t__{c}") for c in match}], dataset)[0]
        row = mask([keys], dataset)[0]
        for column in match:
            row[f"{column} (prod)"] = _plain(before[column])
            row[f"{column} ({environment})"] = _plain(after[column])
        rows.append(row)
    return rows


def _plain(value: object) -> object:
    """A pandas cell as a plain Python value (NaN and NaT are NULL)."""
    if value is None or value != value:
        return None
    return value.item() if hasattr(value, "item") else value


def _is_mart(name: str) -> bool:
    return dataset_name(name).split(".")[0] in BUSINESS_UNITS


def _in_dag_order(models: dict[str, Snapshot]) -> list[str]:
    """Model names, every model after the models it reads."""
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in models:
            return
        seen.add(name)
        for parent in models[name].node.depends_on:
            visit(parent)
        ordered.append(name)

    for name in sorted(models):
        visit(name)
    return ordered
