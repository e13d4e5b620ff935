"""`python -m bench`: the scale benchmark (see README, "Benchmark").

Runs every step of every scale as its own process, then writes `results.json` and
`results.md` into the output folder. A benchmark, not a test: it asserts nothing about time;
the test suite runs it once at a tiny scale (`--scales 0.05`) so that it cannot rot.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from bench.gateways import BUILDABLE, DEFAULT_SCALE, choose_gateways
from bench.measure import Measurement, measure
from bench.report import markdown, report
from bench.scenario import bench_environment, history_end, run_scale, utc_today
from greenery.commands import dispatch
from greenery.paths import PROJECT_ROOT
from tests.servers import http_server

DEFAULT_SCALES = (1.0, 10.0, 100.0, 1000.0, 3000.0)
console = Console()


def main(argv: list[str] | None = None) -> int:
    """A failed step, or a floor that computed other tables, ends the run with one paragraph
    naming the step's log (`greenery.commands.dispatch`), never a traceback."""
    return dispatch(_parser(), argv)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scales", type=float, nargs="+", default=list(DEFAULT_SCALES))
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "results")
    parser.add_argument(
        "--gateways",
        nargs="+",
        choices=BUILDABLE,
        help="gateways to build at --gateway-scale (default: duckdb, and postgres if the "
        "server at GREENERY_PG_HOST answers)",
    )
    parser.add_argument(
        "--gateway-scale",
        type=float,
        default=DEFAULT_SCALE,
        help=f"the scale at which each gateway builds (default: {DEFAULT_SCALE:g})",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="the smoke test's economies, whose figures nobody reads: plans skip SQLMesh's "
        "unit tests (they have tests of their own), and steps start without flushing the "
        "disk's write cache",
    )
    parser.set_defaults(run=_run)
    return parser


def _run(args: argparse.Namespace) -> int:
    gateways, not_built = choose_gateways(args.gateways)

    started, today = datetime.now(UTC), utc_today()
    args.out.mkdir(parents=True, exist_ok=True)
    floor_script = args.out / "floor.sql"
    # Not a step (nothing reads its time), but measured like one for its log and its error.
    write_floor = [
        sys.executable,
        "-m",
        "bench.floor_sql",
        str(history_end(today)),
        str(floor_script),
    ]
    measure(
        "floor script",
        write_floor,
        env=os.environ,
        cwd=PROJECT_ROOT,
        log=args.out / "floor-script.log",
        flush_first=not args.smoke,
    )
    results = []
    # Alerts are delivered for real, to a JSON webhook on loopback.
    with http_server() as (port, _):
        env = bench_environment(f"json://127.0.0.1:{port}/", args.out)
        for scale in args.scales:
            console.print(f"scale {scale:g} ...")
            workdir = args.out / f"scale-{scale:g}"
            others = gateways if scale == args.gateway_scale else []
            result = run_scale(
                scale,
                workdir,
                floor_script,
                env,
                today,
                on_step=_print_step,
                gateways=others,
                smoke=args.smoke,
            )
            results.append(result)
    data = report(results, started, args.gateway_scale, not_built)
    (args.out / "results.json").write_text(json.dumps(data, indent=2) + "\n")
    table = markdown(data)
    (args.out / "results.md").write_text(table)
    console.print(table)
    return 0


def _print_step(m: Measurement) -> None:
    console.print(
        f"  {m.step:<20} {m.wall_s:8.2f} s wall {m.cpu_s:8.2f} s CPU {m.peak_rss_mb:8,.0f} MB"
    )


if __name__ == "__main__":
    sys.exit(main())
