"""The benchmark's report: the context (machine, versions, date), the figures, the targets.

Written twice from one dictionary: JSON for tools, a Markdown table for the README.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version

from bench.gateways import DUCKDB
from bench.review import REVIEW_STEPS
from bench.scenario import ScaleResult

PACKAGES = ("sqlmesh", "duckdb", "soda-core-duckdb", "apprise")
STEP_ORDER = (
    "generate", "load", "plan", "start-up", "checks", *REVIEW_STEPS, "load, monitor off",
    "plan, monitor off", "floor", "generate day", "daily load", "daily run", "load, rebuild",
    "plan, rebuild",
)  # fmt: skip
#: How the gateway table names each gateway.
GATEWAY_NAMES = {DUCKDB: "DuckDB", "postgres": "PostgreSQL", "spark": "Spark"}


@dataclass(frozen=True)
class Target:
    name: str
    scale: float
    measured: float
    limit: float
    unit: str

    @property
    def met(self) -> bool:
        return self.measured <= self.limit


def targets(results: list[ScaleResult]) -> list[Target]:
    """Issue 11's targets: at scale 1 the monitor's and the loop's cost against the framework's
    start-up; at scale 1000 the daily run against scale 10's (same day size) and the build, and
    at scale 3000 against scale 1000's (flat: the limit scale 1000 has against scale 10); at
    the largest scale the build against the floor and the peak memory. Issue 13's: at scale
    100 the review's cost against the same dev plan without it. A target whose scale was not
    run is left out."""
    by_scale = {r.scale: r for r in results}
    found: list[Target] = []
    if one := by_scale.get(1.0):
        found += [
            Target("plan with the monitor at most 1.3x without", 1, one.ratios[
                "plan / plan without monitor"], 1.3, "x"),
            Target("monitor check at most the start-up (a no-op plan)", 1, one.ratios[
                "checks / start-up"], 1.0, "x"),
            Target("load + plan + monitor at most 2x the start-up (a rebuild)", 1, one.ratios[
                "rebuild / start-up"], 2.0, "x"),
        ]  # fmt: skip
    if hundred := by_scale.get(100.0):
        found.append(
            Target("review adds at most 25% to the dev plan", 100, hundred.ratios[
                "dev plan with review / without"], 1.25, "x")
        )  # fmt: skip
    if (big := by_scale.get(1000.0)) and (ten := by_scale.get(10.0)):
        found.append(
            Target("daily run at scale 1000 at most 1.3x scale 10's", 1000,
                   big.daily_s / ten.daily_s, 1.3, "x")
        )  # fmt: skip
    if big:
        found.append(
            Target("daily run at most 25% of the full build", 1000, big.ratios["daily / build"],
                   0.25, "x")
        )  # fmt: skip
    if big and (huge := by_scale.get(3000.0)):
        found.append(
            Target("daily run at scale 3000 at most 1.3x scale 1000's (flat)", 3000,
                   huge.daily_s / big.daily_s, 1.3, "x")
        )  # fmt: skip
    largest = max(results, key=lambda r: r.scale)
    at = largest.scale
    found += [
        Target("full build within 2x of plain DuckDB", at, largest.ratios["build / floor"], 2.0,
               "x"),
        Target("peak memory under 4 GB (framework steps)", at, largest.framework_peak_mb, 4096.0,
               "MB"),
    ]  # fmt: skip
    return found


def gateway_builds(
    results: list[ScaleResult], scale: float, not_built: dict[str, str]
) -> dict | None:
    """Issue 12's table: the build on each gateway at `scale`, DuckDB's first, and the
    gateways not built there, with why. None if that scale was not run."""
    result = next((r for r in results if r.scale == scale), None)
    if result is None:
        return None
    builds = []
    for gateway in GATEWAY_NAMES:
        if (build := result.gateway_build(gateway)) is None:
            continue
        load, plan = build
        builds.append(
            {"gateway": gateway, "load": load.as_dict(), "plan": plan.as_dict(),
             "build_s": round(load.wall_s + plan.wall_s, 3),
             "build / duckdb": round((load.wall_s + plan.wall_s) / result.build_s, 3)}
        )  # fmt: skip
    return {"scale": scale, "builds": builds, "not_built": not_built}


def report(
    results: list[ScaleResult], started: datetime, gateway_scale: float, not_built: dict[str, str]
) -> dict:
    return {
        "date": started.astimezone(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "versions": {"python": platform.python_version()}
        | {name: version(name) for name in PACKAGES},
        "scales": [r.as_dict() for r in results],
        "targets": [
            {
                "target": t.name,
                "scale": t.scale,
                "measured": round(t.measured, 3),
                "limit": t.limit,
                "unit": t.unit,
                "met": t.met,
            }
            for t in targets(results)
        ],
        "gateways": gateway_builds(results, gateway_scale, not_built),
    }


def markdown(data: dict) -> str:
    machine, versions = data["machine"], data["versions"]
    lines = [
        f"Measured {data['date']} on {machine['cpu']} ({machine['cores']} cores, "
        f"{machine['memory_gb']} GB), Python {versions['python']}, "
        + ", ".join(f"{name} {v}" for name, v in versions.items() if name != "python")
        + ".",
        "",
        "Each step: wall seconds / CPU seconds / peak RSS in MB.",
        "",
        "| step | " + " | ".join(f"scale {scale['scale']:g}" for scale in data["scales"]) + " |",
        "|---|" + "---:|" * len(data["scales"]),
        _row("history rows", [f"{scale['history_rows']:,}" for scale in data["scales"]]),
        _row("new day's rows", [f"{scale['day_rows']:,}" for scale in data["scales"]]),
    ]
    for step in STEP_ORDER:
        cells = [
            "{wall_s:.2f} / {cpu_s:.2f} / {peak_rss_mb:,.0f}".format(**scale["steps"][step])
            for scale in data["scales"]
        ]
        lines.append(_row(step, cells))
    names = list(data["scales"][0]["ratios"])
    lines += [
        "",
        "| scale | build s | daily s | " + " | ".join(names) + " |",
        "|---:|---:|---:|" + "---:|" * len(names),
    ]
    for scale in data["scales"]:
        ratios = " | ".join(f"{scale['ratios'][n]:.2f}" for n in names)
        lines.append(
            f"| {scale['scale']:g} | {scale['build_s']:.1f} | {scale['daily_s']:.1f} | {ratios} |"
        )
    full = [f"{scale['scale']:g}" for scale in data["scales"] if scale["daily_full_scan"]]
    if full:
        lines += [
            "",
            f"At scale {', '.join(full)} the daily run's Soda scan read every row, not the day's "
            "loads (a Soda problem was open, or the weekly full scan was due): its daily "
            "figures include a scan of all history.",
        ]
    lines += ["", "| target | scale | measured | limit | met |", "|---|---:|---:|---:|---|"]
    for t in data["targets"]:
        met = "yes" if t["met"] else "**no**"
        lines.append(
            f"| {t['target']} | {t['scale']:g} | {t['measured']:,.2f} {t['unit']} "
            f"| {t['limit']:,.2f} {t['unit']} | {met} |"
        )
    return "\n".join(lines + _gateway_lines(data["gateways"])) + "\n"


def _gateway_lines(gateways: dict | None) -> list[str]:
    """The per-gateway table, wall seconds first: the server's own CPU and memory are not the
    client's, so only the wall time compares across gateways."""
    if gateways is None:
        return []
    lines = [
        "",
        f"Scale-{gateways['scale']:g} build per gateway: wall seconds / client CPU seconds / "
        "client peak RSS in MB (a server's own CPU and memory are not counted).",
        "",
        "| gateway | load | plan | build s | build / DuckDB's |",
        "|---|---:|---:|---:|---:|",
    ]
    for build in gateways["builds"]:
        cells = [
            "{wall_s:.2f} / {cpu_s:.2f} / {peak_rss_mb:,.0f}".format(**build[step])
            for step in ("load", "plan")
        ]
        lines.append(
            f"| {GATEWAY_NAMES.get(build['gateway'], build['gateway'])} | {cells[0]} | "
            f"{cells[1]} | {build['build_s']:.1f} | {build['build / duckdb']:.2f} |"
        )
    for gateway, why in gateways["not_built"].items():
        lines.append(f"| {GATEWAY_NAMES.get(gateway, gateway)} | not built: {why} | | | |")
    return lines


def _row(name: str, cells: list[str]) -> str:
    return f"| {name} | " + " | ".join(cells) + " |"


def _machine() -> dict:
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024**2, 1),
        "system": platform.platform(),
    }
