"""SQL macros shared by the Greenery models."""

from sqlglot import exp
from sqlmesh import macro
from sqlmesh.core.macros import MacroEvaluator


@macro()
def normalize_promo_id(evaluator: MacroEvaluator, promo_id: exp.Expression) -> exp.Expression:
    """Promo ids arrive as human text ('Instruction Set', ' leverage'): lower-case them, trim
    them and join words with '-', so orders and promos agree on the key. Empty means no promo.
    """
    words_joined = exp.RegexpReplace(
        this=exp.func("LOWER", exp.func("TRIM", promo_id)),
        expression=exp.Literal.string(r"\s+"),
        replacement=exp.Literal.string("-"),
        modifiers=exp.Literal.string("g"),
    )
    return exp.func("NULLIF", words_joined, exp.Literal.string(""))
