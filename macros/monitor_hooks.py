"""The macros config.py runs before and after every plan apply and run: they hand over to the
monitor (monitor/hook.py). At load time they do nothing.

The monitor is looked up at call time: SQLMesh serialises what a macro references from the
project's folders, and the monitor's state (the connection of the running command) must not
be serialised.
"""

import importlib

from sqlmesh import macro
from sqlmesh.core.macros import MacroEvaluator


@macro()
def monitor_before_all(evaluator: MacroEvaluator) -> None:
    if evaluator.runtime_stage == "before_all":
        importlib.import_module("monitor.hook").before_all(
            evaluator.engine_adapter, evaluator.this_env, evaluator.snapshots
        )


@macro()
def monitor_after_all(evaluator: MacroEvaluator) -> None:
    if evaluator.runtime_stage == "after_all":
        importlib.import_module("monitor.hook").after_all(
            evaluator.engine_adapter, evaluator.this_env, evaluator.snapshots
        )
