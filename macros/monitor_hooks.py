"""The macros config.yaml runs before and after every apply and run: they hand over to the
monitor (monitor/hook.py). At load time, and with GREENERY_MONITOR=off, they do nothing.

The monitor is imported at call time: SQLMesh serialises what a macro references from the
project's folders, and the monitor is not part of the project's SQL.
"""

import importlib

from sqlmesh import macro
from sqlmesh.core.macros import MacroEvaluator


@macro()
def monitor_before_all(evaluator: MacroEvaluator) -> None:
    hook = importlib.import_module("monitor.hook")
    if evaluator.runtime_stage == "before_all" and hook.enabled():
        hook.before_all(evaluator.engine_adapter, evaluator.this_env)


@macro()
def monitor_after_all(evaluator: MacroEvaluator) -> None:
    hook = importlib.import_module("monitor.hook")
    if evaluator.runtime_stage == "after_all" and hook.enabled():
        hook.after_all(evaluator.engine_adapter, evaluator.this_env, evaluator.snapshots)
