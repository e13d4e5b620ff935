"""`greenery`: project commands around the SQLMesh workflow."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from warehouse.answers import print_answers
from warehouse.connect import WarehouseLockedError, connect
from warehouse.paths import warehouse_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="greenery", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    answers = commands.add_parser("answers", help="print the stakeholders' answers from the marts")
    answers.add_argument("--environment", default="prod", help="SQLMesh environment (default prod)")
    args = parser.parse_args(argv)

    console = Console()
    try:
        with connect(warehouse_path(), read_only=True) as con:
            print_answers(con, console, args.environment)
    except WarehouseLockedError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {error}", highlight=False)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
