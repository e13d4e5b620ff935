"""`greenery`: project commands around the SQLMesh workflow."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from greenery.answers import print_answers
from greenery.commands import add_gateway_option, dispatch
from greenery.connect import open_warehouse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="greenery", description=__doc__)
    commands = parser.add_subparsers(required=True)
    answers = commands.add_parser("answers", help="print the stakeholders' answers from the marts")
    answers.add_argument("--environment", default="prod", help="SQLMesh environment (default prod)")
    add_gateway_option(answers)
    answers.set_defaults(run=_answers)
    return dispatch(parser, argv)


def _answers(args: argparse.Namespace) -> int:
    with open_warehouse(args.gateway, read_only=True) as con:
        print_answers(con, Console(), args.environment)
    return 0


if __name__ == "__main__":
    sys.exit(main())
