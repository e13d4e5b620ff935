"""The structure the README promises: each layer imports only from layers below it.

The monitor's layers, top to bottom: entry points (`cli`, `hook`) -> `runner` ->
`presentation` -> `alerts` -> `channels` -> `review` -> `checks` -> `storage` -> what every layer
shares (`results`, `datasets`, `settings`). Below the monitor and the EL step sits the
project's plumbing, `greenery`, which imports neither.
"""

from __future__ import annotations

import ast
from pathlib import Path

from greenery.paths import PROJECT_ROOT

MONITOR_LAYERS = (
    ("monitor.cli", "monitor.hook"),
    ("monitor.runner",),
    ("monitor.presentation",),
    ("monitor.alerts",),
    ("monitor.channels",),
    ("monitor.review",),
    ("monitor.checks",),
    ("monitor.storage",),
    ("monitor.results", "monitor.datasets", "monitor.settings"),
)


def _module(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every project module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            found.update(arg.value for arg in node.args if isinstance(arg, ast.Constant))
    return {name for name in found if name.split(".")[0] in {"monitor", "greenery", "ingest"}}


def _layer(module: str) -> int | None:
    for rank, members in enumerate(MONITOR_LAYERS):
        if any(module == m or module.startswith(f"{m}.") for m in members):
            return rank
    return None


def test_every_monitor_module_has_a_layer() -> None:
    modules = [_module(p) for p in (PROJECT_ROOT / "monitor").rglob("*.py")]
    assert [m for m in modules if m != "monitor" and _layer(m) is None] == []


def test_the_monitor_imports_only_downward() -> None:
    upward = []
    for path in (PROJECT_ROOT / "monitor").rglob("*.py"):
        module = _module(path)
        for imported in _imports(path):
            here, there = _layer(module), _layer(imported)
            if there is not None and here is not None and there < here:
                upward.append(f"{module} imports {imported}")
    assert upward == []


def _imports_into(package: str, forbidden: set[str]) -> list[str]:
    """Every import from `package` of a module under one of the `forbidden` roots."""
    return [
        f"{_module(path)} imports {imported}"
        for path in (PROJECT_ROOT / package).rglob("*.py")
        for imported in _imports(path)
        if imported.split(".")[0] in forbidden
    ]


def test_the_plumbing_imports_neither_the_monitor_nor_the_el_step() -> None:
    assert _imports_into("greenery", {"monitor", "ingest"}) == []


def test_the_el_step_does_not_import_the_monitor() -> None:
    assert _imports_into("ingest", {"monitor"}) == []
