"""Issue 13: a review of a large change stays fast.

After every dev plan the monitor reviews the environment against prod (monitor/review/). To
measure what that adds, the benchmark makes a real change to `marketing.fct_user_orders` (the
high-value quantile raised) in a copy of the project of its own, never in the repository, and
plans it into `dev` twice: with the review on, and with `GREENERY_REVIEW=off` (the monitor's
checks still run). Each plan starts from the same state: its own copy of the built warehouse
and its own copy of the project, SQLMesh's cache included.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.floor import CATALOG_FILE
from greenery.errors import ExpectedError
from greenery.paths import PROJECT_ROOT

#: The changed model, relative to the project root.
CHANGED_MODEL = Path("models/marts/marketing/fct_user_orders.sql")
#: The change: the top fifth of buyers by spend are high value instead of the top quarter.
#: Every row's `is_high_value` is recomputed, and the unit tests still hold.
BEFORE, AFTER = "QUANTILE_CONT(total_spend, 0.75)", "QUANTILE_CONT(total_spend, 0.8)"
#: Files another SQLMesh process may be writing into .cache as the copy runs, and then rename or
#: remove: SQLMesh's cache writes `<version>__tmp<random>` (sqlmesh/utils/cache.py), whose
#: vanishing made the copy fail when a test plan ran beside the benchmark's smoke test.
UNFINISHED = ("*__tmp*", "*.tmp*")
#: What SQLMesh reads of a project (its plan runs the unit tests of tests/unit), and its cache.
#: SQLMesh keys a model's cached definition by the whole configuration, which holds the
#: warehouse's path: on a copy of the warehouse every model loads anew, as in a first plan.
PROJECT_PARTS = (
    "config.yaml",
    "external_models.yaml",
    "models",
    "macros",
    "audits",
    "tests/unit",
    ".cache",
)
REVIEW_ON, REVIEW_OFF = "dev plan, review on", "dev plan, review off"
REVIEW_STEPS = (REVIEW_ON, REVIEW_OFF)
#: What the review prints first (monitor/presentation/review.py).
REVIEW_HEADING = "Plan review of dev against prod"


class ChangeNotApplied(ExpectedError):
    """The model no longer holds the text the change replaces: the dev plan would change
    nothing, and its time would mean nothing."""


class ReviewMissing(ExpectedError):
    """The review ran where it should not have, or not where it should."""


def review_folder(workdir: Path, step: str) -> Path:
    """One folder per dev plan, holding its project copy and its warehouse copy."""
    return workdir / step.replace(",", "").replace(" ", "-")


def project_copy(workdir: Path, step: str) -> Path:
    return review_folder(workdir, step) / "project"


def warehouse_copy(workdir: Path, step: str) -> Path:
    """Named as the original: SQLMesh's catalog is the file's stem."""
    return review_folder(workdir, step) / "warehouse" / CATALOG_FILE


def prepare_review(workdir: Path, warehouse: Path) -> None:
    """For each dev plan, a changed project and a copy of the built `warehouse`, made at the
    same moment so that neither plan sees what the other did."""
    for step in REVIEW_STEPS:
        shutil.rmtree(review_folder(workdir, step), ignore_errors=True)
        changed_project(project_copy(workdir, step))
        copy = warehouse_copy(workdir, step)
        copy.parent.mkdir(parents=True)
        shutil.copy2(warehouse, copy)
        wal = warehouse.with_name(warehouse.name + ".wal")
        if wal.exists():  # what DuckDB has not yet written into the file itself
            shutil.copy2(wal, copy.with_name(copy.name + ".wal"))


def changed_project(dest: Path) -> Path:
    """A copy of the project's SQLMesh files at `dest`, with the change made to its model."""
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns(*UNFINISHED))
        elif source.is_file():
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / part)
    model = dest / CHANGED_MODEL
    text = model.read_text()
    if BEFORE not in text:
        raise ChangeNotApplied(f"{PROJECT_ROOT / CHANGED_MODEL} no longer holds {BEFORE!r}")
    model.write_text(text.replace(BEFORE, AFTER))
    return dest


def check_review_ran(logs: dict[str, Path]) -> None:
    """The plan with the review printed it, naming the changed model; the other did not."""
    reviewed = logs[REVIEW_ON].read_text()
    if REVIEW_HEADING not in reviewed or "marketing.fct_user_orders" not in reviewed:
        raise ReviewMissing(f"no review of marketing.fct_user_orders in {logs[REVIEW_ON]}")
    if REVIEW_HEADING in logs[REVIEW_OFF].read_text():
        raise ReviewMissing(f"the review ran with GREENERY_REVIEW=off: {logs[REVIEW_OFF]}")
