"""The key figures stakeholders read, declared once with a tolerance each, measured in prod and
in a dev environment so that a plan review can say what a change does to them.

Each figure is one SQL aggregate over one mart, grouped or not, run on the engine (never a
table pulled into Python), written in DuckDB's dialect as the monitor's SQL is
(monitor/storage/database.py runs it on the warehouse's engine). A dev environment serves only
the models it changed; a figure of a model it does not hold is read from prod in both, so it
does not move.
"""

from __future__ import annotations

from dataclasses import dataclass

from greenery.layout import view_schema
from monitor.storage.database import Database


@dataclass(frozen=True)
class KeyFigure:
    """One figure: `value` aggregated over `dataset`, per `by` when set.

    `tolerance` is how far it may move before a review calls it out: in the figure's own unit
    when `relative` is false (a rate, in points of 1), else as a share of the prod value.
    """

    name: str
    dataset: str
    value: str
    tolerance: float
    relative: bool = False
    by: str | None = None

    def query(self, environment: str, present: set[str]) -> str:
        schema, table = self.dataset.split(".")
        relation = f"{view_schema(schema, environment)}.{table}"
        source = relation if relation in present else self.dataset
        label = f"CAST({self.by} AS VARCHAR)" if self.by else "''"
        grouped = f" GROUP BY {self.by} ORDER BY {self.by}" if self.by else ""
        return f"SELECT {label} AS label, {self.value} AS value FROM {source}{grouped}"


#: The declared list: what a plan review measures before and after, and how far each may move.
KEY_FIGURES: tuple[KeyFigure, ...] = (
    KeyFigure("repeat rate", "marketing.repeat_rate", "MAX(repeat_rate)", 0.005),
    KeyFigure("purchasers", "marketing.repeat_rate", "MAX(purchasers)", 0.01, relative=True),
    KeyFigure(
        "users per buyer segment",
        "marketing.fct_user_orders",
        "COUNT(*)",
        0.01,
        relative=True,
        by="buyer_segment",
    ),
    KeyFigure(
        "high-value users",
        "marketing.fct_user_orders",
        "COUNT(*) FILTER (WHERE is_high_value)",
        0.05,
        relative=True,
    ),
    KeyFigure(
        "overall conversion",
        "product.product_conversion",
        "CAST(SUM(sessions_purchased) AS DOUBLE) / NULLIF(SUM(sessions_viewed), 0)",
        0.005,
    ),
    KeyFigure(
        "conversion per product",
        "product.product_conversion",
        "MAX(conversion_rate)",
        0.02,
        by="product_name",
    ),
    *(
        KeyFigure(f"funnel: {step}", "product.session_funnel", f"SUM({column})", 0.01, True)
        for step, column in (
            ("sessions", "sessions"),
            ("with a page view", "sessions_with_page_view"),
            ("with an add-to-cart", "sessions_with_add_to_cart"),
            ("with a checkout", "sessions_with_checkout"),
        )
    ),
)


@dataclass(frozen=True)
class FigureMove:
    """One value of a key figure in prod and in the environment, and whether it moved too far."""

    figure: KeyFigure
    label: str
    before: float | None
    after: float | None

    @property
    def name(self) -> str:
        return f"{self.figure.name} ({self.label})" if self.label else self.figure.name

    @property
    def change(self) -> float | None:
        """After minus before; None when either side has no value."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def beyond_tolerance(self) -> bool:
        if self.before is None or self.after is None:
            return self.before != self.after
        moved = abs(self.after - self.before)
        if not self.figure.relative:
            return moved > self.figure.tolerance
        return moved > self.figure.tolerance * abs(self.before) if self.before else moved > 0

    def said(self) -> str:
        """`before -> after (change; tolerance)`, the one wording of a move for every reader."""
        tolerance = (
            f"{self.figure.tolerance:.0%} of prod"
            if self.figure.relative
            else f"{self.figure.tolerance:g}"
        )
        if self.change is None:
            return f"{_number(self.before)} -> {_number(self.after)} (tolerance {tolerance})"
        relative = f", {self.change / self.before:+.1%}" if self.before else ""
        return (
            f"{_number(self.before)} -> {_number(self.after)} "
            f"({_number(self.change, sign=True)}{relative}; tolerance {tolerance})"
        )


def _number(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "none"
    text = f"{value:+,.0f}" if sign else f"{value:,.0f}"
    if value != int(value):
        text = f"{value:+.4f}" if sign else f"{value:.4f}"
    return text


def measure(
    database: Database, environment: str, figures: tuple[KeyFigure, ...] = KEY_FIGURES
) -> list[FigureMove]:
    """Every figure's values in prod and in `environment`, the moves beyond tolerance first."""
    schemas = {view_schema(f.dataset.split(".")[0], environment) for f in figures}
    present = database.relations(schemas)
    moves = []
    for figure in figures:
        before = _values(database, figure.query("prod", set()))
        after = _values(database, figure.query(environment, present))
        moves += [
            FigureMove(figure, label, before.get(label), after.get(label))
            for label in dict.fromkeys([*before, *after])
        ]
    return sorted(moves, key=lambda move: not move.beyond_tolerance)


def _values(database: Database, sql: str) -> dict[str, float | None]:
    return {
        row["label"]: None if row["value"] is None else float(row["value"])
        for row in database.rows(sql)
    }
