"""A plan review on the terminal: the key figures beyond tolerance first, then each changed
model with how SQLMesh classified its change, what changed, and a few changed rows.

The facts' wording is the review's own (`FigureMove.said`, `ModelDiff.said`), so the terminal
and the channels say the same thing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # SQLMesh, which a review needs, is not imported to send or print one
    from monitor.review.review import Review


def print_review(review: Review, console: Console) -> None:
    """Print `review`; nothing is cut, so a log file holds it whole."""
    beyond = review.beyond_tolerance
    console.print(
        Text.assemble(
            (f"Plan review of {review.environment} against prod: ", "bold"),
            f"{len(review.models)} model(s) changed; ",
            (f"{len(beyond)} key figure(s) beyond tolerance", "bold red")
            if beyond
            else ("key figures within tolerance", "green"),
        ),
        soft_wrap=True,
    )
    if beyond:
        console.print(Text("Beyond tolerance", style="bold red"))
        for move in beyond:
            console.print(Text(f"  {move.name}: {move.said()}"), soft_wrap=True)
    for model in review.models:
        console.print(Text.assemble((model.dataset, "bold"), f" · {model.why}"), soft_wrap=True)
        for line in model.said(review.environment):
            console.print(Text(f"  {line}"), soft_wrap=True)
        if model.sample:
            console.print(_sample_table(model.sample), soft_wrap=True)
    within = [m for m in review.figures_to_say if not m.beyond_tolerance]
    if within:
        console.print(
            Text("Key figures within tolerance (those that moved, and the headline ones)")
        )
        for move in within:
            console.print(Text(f"  {move.name}: {move.said()}"), soft_wrap=True)


def _sample_table(sample: list[dict[str, object]]) -> Table:
    table = Table(title="changed rows (personal data masked)", title_justify="left", box=None)
    for column in sample[0]:
        table.add_column(column, overflow="fold")
    for row in sample:
        table.add_row(*("NULL" if v is None else str(v) for v in row.values()))
    return table
