"""A static HTML report of the monitor's history: open problems first, then each dataset's checks
over time and row counts, then the runs of the environment.

Short on a clean day: a dataset whose checks all pass is one line, its checks and charts folded
in a `<details>`; a dataset with problems shows those checks (and its charts) and folds its
passing ones. Datasets with problems come first, worst first.

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
from monitor.presentation.wording import format_duration, format_time, readable_message
from monitor.results import Status
from monitor.storage import reads
from monitor.storage.database import Database, now

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "report.html.j2"
#: Stored samples are small already; this keeps a wide one from swamping the page.
SAMPLE_ROWS = 10
MESSAGE_LIMIT = 300
#: Runs shown before the rest are folded.
RUNS_SHOWN = 10

#: Chart geometry in SVG user units: plot area plus margins for the axis labels.
CHART_WIDTH, CHART_HEIGHT = 440, 150
LEFT, RIGHT, TOP, BOTTOM = 70, 14, 14, 26


@dataclass(frozen=True)
class Sample:
    columns: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class OpenIncident:
    """One fault: its root, what it reaches, and how long it has been open."""

    status: str
    root: str
    impacted: list[str]
    units: str
    problems: int
    failing_rows: int
    opened_at: datetime
    open_for: str


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
    rows: int | None = None

    @property
    def problems(self) -> list[Strip]:
        """The checks whose latest result is not a pass, worst first (shown)."""
        return [s for s in self.strips if s.latest != Status.PASS]

    @property
    def passing(self) -> list[Strip]:
        """The checks whose latest result is a pass (folded)."""
        return [s for s in self.strips if s.latest == Status.PASS]

    @property
    def worst(self) -> Status | None:
        return max((Status(s.latest) for s in self.strips), key=lambda s: s.rank, default=None)

    @property
    def counts(self) -> str:
        """'17 checks, all pass' or '18 checks: 1 fail, 17 pass', worst first."""
        if not self.strips:
            return "no checks"
        noun = f"{len(self.strips)} check{'s' if len(self.strips) != 1 else ''}"
        if not self.problems:
            return f"{noun}, all pass" if len(self.strips) > 1 else f"{noun}, passes"
        found = {s: sum(strip.latest == s for strip in self.strips) for s in reversed(Status)}
        return f"{noun}: " + ", ".join(f"{n} {s}" for s, n in found.items() if n)


@dataclass(frozen=True)
class Run:
    """One monitor run as the report lists it: its outcome said with its results, so that a
    run that finished but found failures never reads as a plain "ok"."""

    run_id: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    message: str | None
    counts: dict[str, int]

    @property
    def badge(self) -> str:
        """The CSS class: `failed` when the run failed, else its worst result's status."""
        if self.outcome != "ok":
            return "failed"
        return next((s for s in ("error", "fail", "warn") if self.counts.get(s)), "pass")

    @property
    def label(self) -> str:
        """'ok', 'ok · 2 fail', 'ok · 1 error · 2 fail · 3 warn', 'failed · 2 fail'."""
        problems = [f"{self.counts[s]:,} {s}" for s in ("error", "fail", "warn") if self.counts[s]]
        return " · ".join([self.outcome, *problems])


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
    run_rows = runs(reads.runs_of_environment_since(database, environment, since))
    html = template().render(
        environment=environment,
        days=days,
        generated_at=generated_at,
        incidents=incidents(database, environment, generated_at),
        problems=problems(database, environment, generated_at),
        reviews=plan_reviews(database),
        datasets=datasets,
        latest=latest_statuses(datasets),
        runs=run_rows,
        runs_shown=RUNS_SHOWN,
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


# --- plan reviews --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanReview:
    """The newest review of one dev environment against prod, as its run said it."""

    environment: str
    reviewed_at: datetime
    beyond_tolerance: int
    beyond: list[str]
    models: list[dict[str, Any]]
    within: list[str]


def plan_reviews(database: Database) -> list[PlanReview]:
    """The newest review of each dev environment: changes on their way to prod."""
    reviews = []
    for row in reads.latest_reviews(database):
        said = json.loads(row["review"])
        reviews.append(
            PlanReview(
                row["environment"],
                row["reviewed_at"],
                row["beyond_tolerance"],
                said["beyond"],
                said["models"],
                said["within"],
            )
        )
    return reviews


# --- open problems -------------------------------------------------------------------------------


def incidents(database: Database, environment: str, generated_at: datetime) -> list[OpenIncident]:
    """Open incidents, worst first, then the oldest first."""
    found = [
        OpenIncident(
            row["status"],
            row["root"],
            [name for name in row["impacted"].split(",") if name],
            row["units"].replace(",", ", "),
            len(json.loads(row["checks"] or "[]")),
            row["failing_rows"] or 0,
            row["opened_at"],
            format_duration(generated_at - row["opened_at"]),
        )
        for row in reads.open_incidents(database, environment).values()
    ]
    return sorted(found, key=lambda i: (-Status(i.status).rank, i.opened_at, i.root))


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
            readable_message(row["message"]),
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


# --- runs ----------------------------------------------------------------------------------------


def runs(rows: list[dict[str, Any]]) -> list[Run]:
    """The stored runs (with their counts per status, `reads.runs_of_environment_since`)."""
    return [
        Run(
            row["run_id"],
            row["trigger"],
            row["started_at"],
            row["finished_at"],
            row["outcome"],
            row["message"],
            {str(s): row[str(s)] or 0 for s in Status},
        )
        for row in rows
    ]


# --- history per dataset -------------------------------------------------------------------------


def dataset_histories(
    results: list[dict[str, Any]], counts: list[dict[str, Any]]
) -> list[DatasetHistory]:
    """Every dataset with results or row counts in the window: those with problems first,
    worst first, then by business unit and name."""
    names = {r["dataset"] for r in results} | {c["dataset"] for c in counts}
    histories = [
        dataset_history(
            name,
            [r for r in results if r["dataset"] == name],
            [c for c in counts if c["dataset"] == name],
        )
        for name in names
    ]
    return sorted(
        histories,
        key=lambda d: (
            -d.worst.rank if d.worst and d.problems else 1,
            UNITS.index(d.unit),
            d.name,
        ),
    )


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
        counts[-1]["row_count"] if counts else None,  # counts come ordered by time
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
        details.append(readable_message(row["message"])[:MESSAGE_LIMIT])
    return Cell(row["status"], " · ".join(details))


def charts(
    results: list[dict[str, Any]], counts: list[dict[str, Any]], run_order: list[str]
) -> list[Chart]:
    """Row counts over time, and failing rows per run when any check of the dataset found
    some: a sudden drop in rows and a rise in failures often tell one story. A single point
    is no chart."""
    found = []
    if len(counts) > 1:  # one count is no trend: the dataset's line says it
        found.append(chart("Rows", [(c["counted_at"], c["row_count"]) for c in counts], "rows"))
    failing = failing_rows_per_run(results, run_order)
    if len(failing) > 1 and any(value for _, value in failing):
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
