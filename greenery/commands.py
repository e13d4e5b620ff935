"""What every command line of the project does the same way: expected errors, said plainly."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from greenery.connect import gateways
from greenery.errors import ExpectedError
from greenery.faults import explain
from greenery.paths import warehouse_path


def dispatch(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse `argv` and run the chosen subcommand (its `run` default); an `ExpectedError`,
    or a fault of the environment greenery.faults recognises wherever it is raised (a locked,
    corrupt or unwritable warehouse, a full disk), becomes one message on stderr and exit
    code 2. Anything else is a bug and keeps its traceback."""
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except Exception as error:
        written = [str(value) for value in vars(args).values() if isinstance(value, Path)]
        fault = error if isinstance(error, ExpectedError) else explain(error, _one_of(written))
        if fault is None:
            raise
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(fault))}", highlight=False)
        return 2


def add_gateway_option(parser: argparse.ArgumentParser) -> None:
    """`--gateway`, named as `sqlmesh --gateway`: the config.yaml gateway whose warehouse the
    command works on, so one name picks the engine for SQLMesh and the project's commands."""
    names, default = gateways()
    parser.add_argument(
        "--gateway",
        choices=names,
        default=default,
        help=f"the config.yaml gateway, as `sqlmesh --gateway` (default: {default})",
    )


def _one_of(paths: list[str]) -> str:
    """Where a command may have been writing, from its path arguments (else the warehouse
    it opens), for an error that names no file."""
    if len(paths) > 1:
        return f"one of {', '.join(paths)}"
    return paths[0] if paths else str(warehouse_path())
