"""A plan review: what a dev environment does to the data against prod, model by model and in
the key figures, in one object the terminal, the channels and the report each render.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmesh.core.engine_adapter import EngineAdapter
from sqlmesh.core.snapshot import Snapshot, SnapshotTableInfo
from sqlmesh.core.state_sync import EngineAdapterStateSync

from monitor.review.diffs import ModelDiff, diff_environment
from monitor.review.figures import FigureMove, measure
from monitor.storage import writes
from monitor.storage.database import Database, now

#: Where SQLMesh keeps its state, on the warehouse's own connection (its default).
STATE_SCHEMA = "sqlmesh"


@dataclass(frozen=True)
class Review:
    environment: str
    models: list[ModelDiff]
    figures: list[FigureMove]

    @property
    def beyond_tolerance(self) -> list[FigureMove]:
        return [move for move in self.figures if move.beyond_tolerance]

    @property
    def figures_to_say(self) -> list[FigureMove]:
        """The moves beyond tolerance, then every other that moved, and each headline figure
        (one without groups) even when it did not: the per-product lines that stayed put would
        only bury the rest."""
        return [m for m in self.figures if m.beyond_tolerance or m.change != 0 or not m.label]

    def said(self) -> dict[str, Any]:
        """The review as every reader shows it: the figures beyond tolerance, each model with
        how SQLMesh classified it and what changed, then the other figures to say."""
        return {
            "beyond": [f"{m.name}: {m.said()}" for m in self.beyond_tolerance],
            "models": [
                {"dataset": m.dataset, "why": m.why, "lines": m.said(self.environment)}
                for m in self.models
            ],
            "within": [
                f"{m.name}: {m.said()}" for m in self.figures_to_say if not m.beyond_tolerance
            ],
        }

    @property
    def units(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(model.unit for model in self.models))

    @property
    def route(self) -> frozenset[str]:
        """Who hears it, as an incident is routed: the units of the changed models, and their
        owners and tags."""
        owners = {model.owner for model in self.models if model.owner}
        return frozenset({*self.units, *owners, *(t for m in self.models for t in m.tags)})


def prod_snapshots(adapter: EngineAdapter) -> dict[str, SnapshotTableInfo]:
    """Prod's snapshots by model name, read from SQLMesh's state on the same connection (the
    hook has no Context: it runs inside SQLMesh's apply)."""
    prod = EngineAdapterStateSync(adapter, STATE_SCHEMA).get_environment("prod")
    return {info.name: info for info in prod.snapshots} if prod else {}


def review_environment(
    adapter: EngineAdapter, snapshots: dict[str, Snapshot], environment: str
) -> Review:
    """Review `environment` (a dev environment) against prod."""
    models = diff_environment(adapter, snapshots, prod_snapshots(adapter), environment)
    figures = measure(Database(adapter.connection), environment)
    return Review(environment, models, figures)


def store_review(database: Database, run_id: str, review: Review) -> None:
    """Keep the review in the monitor's history, where the HTML report shows it."""
    writes.append(
        database,
        "reviews",
        [
            {
                "run_id": run_id,
                "environment": review.environment,
                "reviewed_at": now(),
                "models_changed": len(review.models),
                "beyond_tolerance": len(review.beyond_tolerance),
                "review": json.dumps(review.said()),
            }
        ],
    )
