"""What the monitor prints on the terminal: the digest, open problems, recent results, and the
one-paragraph summary of a monitor run.

Readable at 80 columns and in a log file (`monitor daily >> logs/daily.log`, where rich assumes
80 columns). Dataset and check names are never cut: each listing is a table when every row fits
on one line at the console's width, else one short block per row, its names whole on their own
line and its facts indented below:

    FAIL raw.events · freshness(created_at) warn when > 36h fail when > 2d
       column created_at, open 2 d 4 h, 12 failing rows

Print a `Listing` with `console.print(listing, soft_wrap=True)`: a name wider than the console
(audits with their arguments reach 140 characters) then stays whole on one line of the log.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from monitor.presentation.digest import Digest
from monitor.presentation.wording import (
    format_ago,
    format_change,
    format_duration,
    format_time,
    readable_message,
)
from monitor.results import CheckResult, Status
from monitor.storage.database import now

STATUS_STYLES = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.ERROR: "magenta",
}
#: How far a block's facts are indented under its first line.
INDENT = 3
#: A table is measured at this width: wide enough for every cell on one line.
UNBOUNDED = 10_000
#: How many failures a run summary names before "and N more".
NAMED_FAILURES = 3


# --- a table that turns into a list when the console is narrow ----------------------------------


@dataclass(frozen=True)
class Entry:
    """One row: its cells for the table, and the same facts for a block."""

    cells: tuple[str | Text, ...]
    names: tuple[str, ...]
    facts: tuple[str, ...]
    status: Status | None = None
    note: str | None = None


class Listing:
    """Rows as a table when the console is wide enough for each row to fit on one line, else
    as a list of blocks: status and names first (a name that does not fit beside the others
    starts a line of its own, so it is never cut nor split unless it is wider than the
    console), then the other facts, indented. A rich renderable: it decides at render time,
    from the width it is given, so one listing prints well on any terminal and in a file."""

    def __init__(self, title: str, columns: Sequence[str], right: Iterable[str] = ()) -> None:
        self.title = title
        self.columns = tuple(columns)
        self.right = frozenset(right)
        self.entries: list[Entry] = []

    @property
    def row_count(self) -> int:
        return len(self.entries)

    def add(
        self,
        cells: Sequence[str | Text],
        names: Sequence[str],
        facts: Iterable[str | None] = (),
        status: Status | None = None,
        note: str | None = None,
    ) -> None:
        """`cells` for the table; `names` (whole, in order) and `facts` (the empty ones are
        left out) for a block; `note` is a further line of a block (a message)."""
        self.entries.append(
            Entry(tuple(cells), tuple(names), tuple(f for f in facts if f), status, note or None)
        )

    def table(self) -> Table:
        table = Table(title=self.title, title_justify="left")
        for name in self.columns:
            table.add_column(name, justify="right" if name in self.right else "left", no_wrap=True)
        for entry in self.entries:  # Text, never markup: names come from models and files
            table.add_row(*(Text(c) if isinstance(c, str) else c for c in entry.cells))
        return table

    def fits(self, console: Console, width: int) -> bool:
        natural = Measurement.get(console, console.options.update_width(UNBOUNDED), self.table())
        return natural.maximum <= width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.fits(console, options.max_width):
            yield self.table()
            return
        yield Text(self.title, style="bold")
        # Printed with `soft_wrap=True`, nothing is cropped: a name wider than the console
        # stays on one line (whole in a log, folded by the terminal). Otherwise it is wrapped
        # at its spaces, as rich would crop the line.
        overflow = options.no_wrap and options.overflow == "ignore"
        for entry in self.entries:
            yield from block(entry, options.max_width, overflow)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(INDENT + 20, options.max_width), options.max_width)


def block(entry: Entry, width: int, overflow: bool = False) -> Iterable[Text]:
    """One row as a short block: 'FAIL dataset · check', then its facts indented, each fact
    kept on one line when it fits. A name that does not fit beside the others gets a line of
    its own; one wider than that line too is wrapped at its spaces, or left whole on its line
    when `overflow` (the console does not crop)."""
    head = Text()
    if entry.status is not None:
        head.append(entry.status.upper(), style=STATUS_STYLES[entry.status])
        head.append(" ")
    rest: list[str] = []
    for position, name in enumerate(entry.names):
        joined = (" · " if position else "") + name
        if rest or (position and cell_len(head.plain + joined) > width):
            rest.append(name)
        else:
            head.append(joined, style="" if position else "bold")
    yield head
    for name in rest:
        yield from _indented([name] if overflow else _wrap(name, width - INDENT))
    yield from _indented(_pack(entry.facts, width - INDENT), style="dim")
    if entry.note:
        yield from _indented(_wrap(entry.note, width - INDENT))


def _pack(facts: Sequence[str], width: int) -> list[str]:
    """Facts joined by ", ", a line broken only between two facts unless one alone is wider."""
    lines: list[str] = []
    for fact in facts:
        if lines and cell_len(lines[-1] + ", " + fact) <= width:
            lines[-1] += ", " + fact
        else:
            if lines:
                lines[-1] += ","
            lines.extend(_wrap(fact, width))
    return lines


def _wrap(text: str, width: int) -> list[str]:
    """At spaces only: a word (a name without spaces) is never broken."""
    return textwrap.wrap(
        text, width=max(width, 1), break_long_words=False, break_on_hyphens=False
    ) or [""]


def _indented(lines: list[str], style: str = "") -> Iterable[Text]:
    for line in lines:
        yield Text(" " * INDENT + line, style=style, no_wrap=True, overflow="ignore")


def _status_text(status: Status) -> Text:
    return Text(status.upper(), style=STATUS_STYLES[status])


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _rows(value: int | None) -> str | None:
    """'12 failing rows' when some rows fail, else nothing (a check without a row count)."""
    return f"{value:,} failing row{'' if value == 1 else 's'}" if value else None


# --- the digest -----------------------------------------------------------------------------------


def print_digest(digest: Digest, console: Console) -> None:
    """The digest: all units side by side, then the open problems, freshness and row counts."""
    console.print(
        Text(f"Data quality digest · {digest.environment} · {format_time(digest.as_of)} UTC"),
        style="bold",
    )
    for listing in (
        summary_table(digest),
        problems_table(digest),
        freshness_table(digest),
        counts_table(digest),
    ):
        console.print(
            listing if listing.row_count else Text(f"{listing.title}: none"), soft_wrap=True
        )
    learning = [name for unit in digest.units for name in unit.learning]
    if learning:
        console.print(
            Text(
                "Volume and staleness not judged yet (too little history): " + ", ".join(learning)
            ),
            soft_wrap=True,
        )


def summary_table(digest: Digest) -> Listing:
    names = ("passed", "warned", "failed", "errored")
    listing = Listing(
        "Checks (latest result of each)",
        ("unit", *names, "open problems"),
        (*names, "open problems"),
    )
    for unit in digest.units:
        counts = {s: unit.count(s) for s in Status}
        listing.add(
            (
                unit.name,
                *(Text(str(n), style=STATUS_STYLES[s] if n else "dim") for s, n in counts.items()),
                str(len(unit.problems)),
            ),
            (unit.name,),
            (
                *(f"{n} {word}" for (s, n), word in zip(counts.items(), names, strict=True)),
                f"{len(unit.problems)} open problem{'' if len(unit.problems) == 1 else 's'}",
            ),
        )
    return listing


def problems_table(digest: Digest) -> Listing:
    listing = Listing(
        "Open problems, worst first",
        ("unit", "status", "dataset", "check", "column", "failing rows", "open for", "message"),
        ("failing rows",),
    )
    for unit in digest.units:
        for p in unit.problems:
            listing.add(
                (
                    unit.name,
                    _status_text(p.status),
                    p.dataset,
                    p.check,
                    p.column or "",
                    _number(p.failing_rows),
                    format_duration(p.open_for),
                    readable_message(p.message) or "",
                ),
                (p.dataset, p.check),
                (
                    f"column {p.column}" if p.column else None,
                    f"open {format_duration(p.open_for)}",
                    _rows(p.failing_rows),
                    unit.name,
                ),
                p.status,
                readable_message(p.message),
            )
    return listing


def freshness_table(digest: Digest) -> Listing:
    """Each source's newest record and latest load, said as ages (the times are in blocks)."""
    listing = Listing("Source freshness", ("source", "newest record", "record age", "loaded"))
    for unit in digest.units:
        for f in unit.freshness:
            newest = (
                f"newest record {format_time(f.newest_record)} ({format_ago(f.record_age)})"
                if f.newest_record
                else None
            )
            listing.add(
                (
                    f.dataset,
                    format_time(f.newest_record),
                    format_ago(f.record_age) if f.newest_record else "",
                    format_ago(f.load_age),
                ),
                (f.dataset,),
                (newest, f"loaded {format_time(f.loaded_at)} ({format_ago(f.load_age)})"),
            )
    return listing


def counts_table(digest: Digest) -> Listing:
    listing = Listing("Row counts", ("unit", "dataset", "rows", "change"), ("rows",))
    for unit in digest.units:
        for c in unit.row_counts:
            rows = f"{c.rows:,}"
            listing.add(
                (unit.name, c.dataset, rows, format_change(c)),
                (c.dataset,),
                (f"{rows} row{'' if c.rows == 1 else 's'}", format_change(c), unit.name),
            )
    return listing


# --- `monitor problems`, `monitor history`, `monitor check` --------------------------------------


def open_problems_table(rows: list[dict[str, Any]], environment: str) -> Listing:
    """`monitor problems`: the stored open problems, worst first, each with its message."""
    listing = Listing(
        f"Open problems ({environment})",
        ("status", "dataset", "check", "column", "failing rows", "open since", "message"),
        ("failing rows",),
    )
    as_of = now()
    for row in rows:
        status = Status(row["status"])
        message = readable_message(row["message"]) or ""
        listing.add(
            (
                _status_text(status),
                row["dataset"],
                row["check_name"],
                row["column_name"] or "",
                _number(row["failing_rows"]),
                format_time(row["opened_at"]),
                message,
            ),
            (row["dataset"], row["check_name"]),
            (
                f"column {row['column_name']}" if row["column_name"] else None,
                f"open {format_duration(as_of - row['opened_at'])}"
                f" (since {format_time(row['opened_at'])})",
                _rows(row["failing_rows"]),
            ),
            status,
            message,
        )
    return listing


def recent_results_table(rows: list[dict[str, Any]], title: str = "Recent results") -> Listing:
    """`monitor history`: stored results, in the order given (problems first: see
    `reads.results_problems_first`)."""
    listing = Listing(
        title,
        ("status", "dataset", "check", "checked at", "trigger", "failing rows"),
        ("failing rows",),
    )
    for row in rows:
        status = Status(row["status"])
        listing.add(
            (
                _status_text(status),
                row["dataset"],
                row["check_name"],
                format_time(row["checked_at"]),
                row["trigger"],
                _number(row["failing_rows"]),
            ),
            (row["dataset"], row["check_name"]),
            (format_time(row["checked_at"]), row["trigger"], _rows(row["failing_rows"])),
            status,
        )
    return listing


def results_table(results: list[CheckResult], title: str) -> Listing:
    """A monitor run's results, as `monitor check` shows its problems."""
    listing = Listing(title, ("status", "dataset", "check", "failing rows"), ("failing rows",))
    for r in results:
        listing.add(
            (_status_text(r.status), r.dataset, r.check, _number(r.failing_rows)),
            (r.dataset, r.check),
            (f"column {r.column}" if r.column else None, _rows(r.failing_rows)),
            r.status,
            readable_message(r.message),
        )
    return listing


# --- the summary of a monitor run ----------------------------------------------------------------

#: Where a check's name turns from what it checks to its levels ("... warn when > 36h").
LEVELS = re.compile(r"\s+(?:warn|fail)\s+when\s")
#: What a freshness check's message says of the newest value (see `monitor.checks.soda`).
NEWEST = re.compile(r"newest value (\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?")
#: A check name longer than this is named by its function and column in a summary.
SHORT_NAME = 40


def run_summary(
    results: list[CheckResult],
    environment: str = "prod",
    as_of: datetime | None = None,
    width: int = 80,
    named: int = NAMED_FAILURES,
) -> str:
    """What a monitor run found, in a few lines within `width` columns: the counts, the worst
    `named` problems by dataset and check (a freshness failure with its newest value and its
    age), "and N more", and the command to run next. For example:

        349 checked: 347 pass, 2 fail:
          raw.events freshness(created_at), newest 2021-02-12, 5 years 9 months ago;
          raw.orders freshness(created_at), newest 2021-02-11, 5 years 9 months ago.
        See `monitor problems`.

    `as_of` (naive UTC, default now) is what ages are measured from."""
    as_of = as_of or now()
    counts = {s: sum(r.status is s for r in results) for s in Status}
    said = ", ".join(f"{n} {s}" for s, n in counts.items() if n or s is Status.PASS)
    flag = "" if environment == "prod" else f" --environment {environment}"
    problems = sorted(
        (r for r in results if r.status.is_problem),
        key=lambda r: (-r.status.rank, r.dataset, r.check),
    )
    if not results:
        return f"Nothing was checked in {environment}; run `monitor check{flag}`."
    if not problems:
        return f"{len(results):,} checked: all pass; see `monitor digest{flag}`."
    items = [_problem_item(r, as_of) for r in problems[:named]]
    if len(problems) > named:
        items.append([f"and {len(problems) - named} more"])
    lines = [f"{len(results):,} checked: {said}:"]
    for position, parts in enumerate(items):
        parts[-1] += ";" if position < len(items) - 1 else "."
        packed = _pack(parts, width - 4)
        lines += ["  " + packed[0], *("    " + line for line in packed[1:])]
    lines.append(f"See `monitor problems{flag}`.")
    return "\n".join(lines)


def short_check_name(check: str, column: str | None = None) -> str:
    """A check as a summary names it: without its levels, and a long audit call as its function
    and column (`not_null(order_id)`)."""
    name = LEVELS.split(check)[0]
    if len(name) > SHORT_NAME and "(" in name:
        function = name.split("(")[0]
        return f"{function}({column})" if column else function
    return name


def _problem_item(result: CheckResult, as_of: datetime) -> list[str]:
    """['raw.events freshness(created_at)', 'newest 2021-02-12, 5 years 9 months ago'], the
    status said when it is not a failure ('... not_null(order_id) (error)')."""
    name = f"{result.dataset} {short_check_name(result.check, result.column)}"
    if result.status is not Status.FAIL:
        name += f" ({result.status})"
    newest = NEWEST.search(result.message or "")
    if newest:
        moment = datetime.fromisoformat(" ".join(p for p in newest.groups() if p))
        return [name, f"newest {newest.group(1)}, {format_ago(as_of - moment)}"]
    return [name, _rows(result.failing_rows)] if result.failing_rows else [name]
