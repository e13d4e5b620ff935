"""What every command line of the project does the same way: expected errors, said plainly."""

from __future__ import annotations

import argparse

from rich.console import Console

from ingest.load import LoadError
from warehouse.connect import WarehouseLockedError, WarehouseMissingError

#: Errors a user can act on: printed as one message, exit code 2, no traceback.
EXPECTED_ERRORS = (LoadError, WarehouseLockedError, WarehouseMissingError)


def dispatch(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse `argv` and run the chosen subcommand (its `run` default)."""
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except EXPECTED_ERRORS as error:
        Console(stderr=True).print(f"[bold red]error:[/] {error}", highlight=False)
        return 2
