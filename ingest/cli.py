"""`ingest generate` and `ingest load`: the EL step from the command line. `ingest contract`
writes external_models.yaml from the raw contract."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from greenery.commands import add_gateway_option, dispatch
from greenery.connect import describe_warehouse, open_warehouse
from greenery.errors import ExpectedError
from ingest.contract import EXTERNAL_MODELS_FILE, write_external_models
from ingest.generate import generate
from ingest.postgres import land

console = Console()


def main(argv: list[str] | None = None) -> int:
    return dispatch(_parser(), argv)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ingest", description=__doc__)
    commands = parser.add_subparsers(required=True)

    gen = commands.add_parser("generate", help="write a synthetic Greenery export as CSVs")
    gen.add_argument("--out", type=Path, required=True, help="folder to write the CSVs into")
    gen.add_argument(
        "--scale", type=_positive(float, "number"), default=1.0, help="1 is the course's size"
    )
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--start", type=date.fromisoformat, help="first day (default: by scale)")
    gen.add_argument("--end", type=date.fromisoformat, help="last day (default: yesterday)")
    gen.add_argument(
        "--days",
        type=_positive(int, "whole number"),
        help="days the scale's totals are spread over (default: by scale)",
    )
    gen.add_argument(
        "--only-day", type=date.fromisoformat, help="write only what is new or changed that day"
    )
    gen.set_defaults(run=_generate)

    ld = commands.add_parser("load", help="land a folder of CSVs into the warehouse's raw schema")
    ld.add_argument("raw_dir", type=Path, help="folder holding addresses.csv, users.csv, ...")
    ld.add_argument("--warehouse", type=Path, help="DuckDB file (default: the project's)")
    add_gateway_option(ld)
    ld.add_argument(
        "--allow-older",
        action="store_true",
        help="land an export older than what has landed (replaying history); newer rows are kept",
    )
    ld.set_defaults(run=_load)

    contract = commands.add_parser(
        "contract", help="write external_models.yaml from the raw contract (ingest/schema.py)"
    )
    contract.set_defaults(run=_contract)
    return parser


def _positive(convert: Callable[[str], float], noun: str) -> Callable[[str], float]:
    """An argparse type: `convert` the text, and refuse what is not a finite number above 0."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {noun}") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a positive {noun}, got {text}")
        return value

    return parse


def _generate(args: argparse.Namespace) -> int:
    if args.start and args.end and args.start > args.end:
        raise ExpectedError(
            f"--start {args.start} is after --end {args.end}: give a start on or before the end."
        )
    counts = generate(
        args.out,
        scale=args.scale,
        seed=args.seed,
        start=args.start,
        end=args.end,
        only_day=args.only_day,
        days=args.days,
    )
    table = Table("table", "rows", title=f"Generated into {args.out}")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    return 0


def _load(args: argparse.Namespace) -> int:
    if args.warehouse is not None:
        # As config.yaml and every command read it (open_context sets it the same way).
        os.environ["GREENERY_WAREHOUSE"] = str(args.warehouse)
    with open_warehouse(args.gateway) as con:
        results = land(args.raw_dir, con, allow_older=args.allow_older)
    target = describe_warehouse(args.gateway)
    table = Table(
        "table",
        "rows in file",
        "inserted",
        "replaced",
        "unchanged",
        title=f"Loaded {args.raw_dir} into {target}",
    )
    for r in results:
        table.add_row(
            r.table,
            f"{r.rows_in_file:,}",
            f"{r.rows_inserted:,}",
            f"{r.rows_replaced:,}",
            f"{r.rows_unchanged:,}",
        )
    console.print(table)
    if results.absent:
        console.print(f"Not in the export (left as they were): {', '.join(results.absent)}")
    return 0


def _contract(args: argparse.Namespace) -> int:
    if write_external_models():
        console.print(f"Wrote {EXTERNAL_MODELS_FILE} from ingest/schema.py")
    else:
        console.print(f"{EXTERNAL_MODELS_FILE} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
