"""What every command line of the project does the same way: expected errors, said plainly."""

from __future__ import annotations

import argparse

from rich.console import Console

from greenery.errors import ExpectedError


def dispatch(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse `argv` and run the chosen subcommand (its `run` default); an `ExpectedError`
    becomes one message on stderr and exit code 2."""
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ExpectedError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {error}", highlight=False)
        return 2
