"""SQL macros shared by the Greenery models."""

from sqlglot import exp
from sqlmesh import macro
from sqlmesh.core.macros import MacroEvaluator


@macro()
def normalize_promo_id(evaluator: MacroEvaluator, promo_id: exp.Expression) -> exp.Expression:
    """Promo ids arrive as human text ('Instruction Set', ' leverage'): lower-case them, trim
    them and join words with '-', so orders and promos agree on the key. Empty means no promo.
    """
    return exp.func(
        "NULLIF",
        exp.func(
            "REGEXP_REPLACE",
            exp.func("LOWER", exp.func("TRIM", promo_id)),
            exp.Literal.string(r"\s+"),
            exp.Literal.string("-"),
            exp.Literal.string("g"),
        ),
        exp.Literal.string(""),
    )
