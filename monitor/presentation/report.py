"""A static HTML report of the monitor's history: open problems first, then each dataset's checks
over time and row counts, then the runs.

One self-contained file (inline CSS and SVG, no scripts, nothing fetched from the network), so it
can be mailed, archived as a CI artifact and opened offline. Everything shown passes through
jinja2's autoescape: check names, messages, queries and samples come from models and data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from greenery.layout import UNITS, business_unit
from monitor.presentation.wording import format_duration, format_time
from monitor.results import Status
from monitor.storage import reads
from monitor.storage.database import Database, now

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "report.html.j2"
#: Stored samples are small already; this keeps a wide one from swamping the page.
SAMPLE_ROWS = 10
MESSAGE_LIMIT = 300

#: Chart geometry in SVG user units: plot area plus margins for the axis labels.
CHART_WIDTH, CHART_HEIGHT = 440, 150
LEFT, RIGHT, TOP, BOTTOM = 70, 14, 14, 26


@dataclass(frozen=True)
class Sample:
    columns: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class OpenProblem:
    status: str
    dataset: str
    check: str
    column: str | None
    failing_rows: int | None
    opened_at: datetime
    open_for: str
    checked_at: datetime
    message: str | None
    query: str | None
    sample: Sample


@dataclass(frozen=True)
class Cell:
    """One run of one check in a status strip; `status` "none" when the run skipped it."""

    status: str
    title: str


@dataclass(frozen=True)
class Strip:
    check: str
    column: str | None
    latest: str
    cells: list[Cell]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str


@dataclass(frozen=True)
class Chart:
    """A line chart, laid out here so the template only draws it (and escapes its text)."""

    title: str
    points: list[Point]
    labels: list[Label]
    gridlines: list[float]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = LEFT
    right: int = CHART_WIDTH - RIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class DatasetHistory:
    name: str
    unit: str
    strips: list[Strip]
    runs: int
    first_run: datetime | None
    last_run: datetime | None
    charts: list[Chart]


def build_report(
    database: Database, out_path: Path, environment: str = "prod", days: int = 30
) -> Path:
    """Write the report of `environment`'s last `days` days to `out_path` and return it.

    Only reads: a warehouse without history gives an empty report, not an error.
    """
    generated_at = now()
    since = generated_at - timedelta(days=days)
    datasets = dataset_histories(
        reads.results_since(database, environment, since),
        reads.counts_since(database, environment, since),
    )
    html = template().render(
        environment=environment,
        days=days,
        generated_at=generated_at,
        problems=problems(database, environment, generated_at),
        datasets=datasets,
        latest=latest_statuses(datasets),
        runs=reads.runs_since(database, since),
        statuses=[str(s) for s in Status],
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(html, encoding="utf-8")
    return out_path


def template() -> Template:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = format_time
    environment.filters["number"] = lambda n: "-" if n is None else f"{n:,}"
    return environment.get_template(TEMPLATE)


# --- open problems -------------------------------------------------------------------------------


def problems(database: Database, environment: str, generated_at: datetime) -> list[OpenProblem]:
    return [
        OpenProblem(
            row["status"],
            row["dataset"],
            row["check_name"],
            row["column_name"],
            row["failing_rows"],
            row["opened_at"],
            format_duration(generated_at - row["opened_at"]),
            row["checked_at"],
            row["message"],
            row["query"],
            sample(row["sample"]),
        )
        for row in reads.open_problems(database, environment)
    ]


def sample(stored: str | None) -> Sample:
    """The stored JSON sample (masked when stored) as a table: every key any row has."""
    rows = json.loads(stored) if stored else []
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return Sample(columns, [[row.get(c) for c in columns] for row in rows[:SAMPLE_ROWS]])


# --- history per dataset -------------------------------------------------------------------------


def dataset_histories(
    results: list[dict[str, Any]], counts: list[dict[str, Any]]
) -> list[DatasetHistory]:
    """Every dataset with results or row counts in the window, by business unit then name."""
    names = {r["dataset"] for r in results} | {c["dataset"] for c in counts}
    ordered = sorted(names, key=lambda name: (UNITS.index(business_unit(name)), name))
    return [
        dataset_history(
            name,
            [r for r in results if r["dataset"] == name],
            [c for c in counts if c["dataset"] == name],
        )
        for name in ordered
    ]


def dataset_history(
    name: str, results: list[dict[str, Any]], counts: list[dict[str, Any]]
) -> DatasetHistory:
    runs = {r["run_id"]: r for r in results}  # results come ordered by time: last one per run
    run_order = sorted(runs, key=lambda run_id: runs[run_id]["checked_at"])
    times = [runs[run_id]["checked_at"] for run_id in run_order]
    return DatasetHistory(
        name,
        business_unit(name),
        strips(results, run_order),
        len(run_order),
        times[0] if times else None,
        times[-1] if times else None,
        charts(results, counts, run_order),
    )


def strips(results: list[dict[str, Any]], run_order: list[str]) -> list[Strip]:
    """One strip per check, one cell per run of the dataset; worst latest status first."""
    by_check: dict[str, dict[str, dict[str, Any]]] = {}
    for row in results:
        by_check.setdefault(row["check_id"], {})[row["run_id"]] = row
    found = []
    for cells_by_run in by_check.values():
        latest = max(cells_by_run.values(), key=lambda r: r["checked_at"])
        found.append(
            Strip(
                latest["check_name"],
                latest["column_name"],
                latest["status"],
                [cell(cells_by_run.get(run_id), run_id) for run_id in run_order],
            )
        )
    return sorted(found, key=lambda s: (-Status(s.latest).rank, s.check, s.column or ""))


def cell(row: dict[str, Any] | None, run_id: str) -> Cell:
    if row is None:
        return Cell("none", f"run {run_id}: not checked")
    details = [f"{format_time(row['checked_at'])} · run {run_id} ({row['trigger']})", row["status"]]
    if row["failing_rows"]:
        details.append(f"{row['failing_rows']:,} failing rows")
    if row["message"]:
        details.append(row["message"][:MESSAGE_LIMIT])
    return Cell(row["status"], " · ".join(details))


def charts(
    results: list[dict[str, Any]], counts: list[dict[str, Any]], run_order: list[str]
) -> list[Chart]:
    """Row counts over time, and failing rows per run when any check of the dataset found
    some: a sudden drop in rows and a rise in failures often tell one story."""
    found = []
    if counts:
        found.append(chart("Rows", [(c["counted_at"], c["row_count"]) for c in counts], "rows"))
    failing = failing_rows_per_run(results, run_order)
    if any(value for _, value in failing):
        found.append(chart("Failing rows, all checks", failing, "failing rows"))
    return found


def failing_rows_per_run(
    results: list[dict[str, Any]], run_order: list[str]
) -> list[tuple[datetime, int]]:
    totals = {run_id: 0 for run_id in run_order}
    times: dict[str, datetime] = {}
    for row in results:
        totals[row["run_id"]] += row["failing_rows"] or 0
        times[row["run_id"]] = row["checked_at"]
    return [(times[run_id], totals[run_id]) for run_id in run_order]


def chart(title: str, series: list[tuple[datetime, int]], noun: str) -> Chart:
    """Time on x, value on y scaled between its minimum and maximum so small changes show;
    the labels give the real values, so the scale cannot mislead."""
    first, last = series[0][0], series[-1][0]
    low, high = min(v for _, v in series), max(v for _, v in series)
    span = (last - first).total_seconds()

    def x(moment: datetime) -> float:
        share = (moment - first).total_seconds() / span if span else 0.5
        return LEFT + share * (CHART_WIDTH - LEFT - RIGHT)

    def y(value: int) -> float:
        share = (value - low) / (high - low) if high != low else 0.5
        return CHART_HEIGHT - BOTTOM - share * (CHART_HEIGHT - TOP - BOTTOM)

    values = sorted({low, high})
    labels = [Label(LEFT - 8, y(v) + 4, f"{v:,}", "end") for v in values]
    if span:
        labels.append(Label(LEFT, CHART_HEIGHT - 6, format_time(first), "start"))
        labels.append(Label(CHART_WIDTH - RIGHT, CHART_HEIGHT - 6, format_time(last), "end"))
    else:
        labels.append(Label(x(first), CHART_HEIGHT - 6, format_time(first), "middle"))
    return Chart(
        title,
        [Point(x(t), y(v), f"{format_time(t)}: {v:,} {noun}") for t, v in series],
        labels,
        [y(v) for v in values],
    )


def latest_statuses(datasets: list[DatasetHistory]) -> dict[str, int]:
    """Status -> how many checks had it last, for the summary at the top."""
    counts = {str(s): 0 for s in Status}
    for dataset in datasets:
        for strip in dataset.strips:
            counts[strip.latest] += 1
    return counts
