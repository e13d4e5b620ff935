"""SQL macros shared by the Greenery models."""

from sqlglot import exp
from sqlmesh import macro
from sqlmesh.core.macros import MacroEvaluator

#: The order statuses the shop has; any other is rejected.
ORDER_STATUSES = ("preparing", "shipped", "delivered")


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


@macro()
def product_value_rule(
    evaluator: MacroEvaluator, price: exp.Expression, inventory: exp.Expression
) -> exp.Expression:
    """The first value rule a product row breaks (invalid_price, invalid_inventory), or NULL.
    One definition for the current rows (base_greenery__products) and their versions."""
    return (
        exp.Case()
        .when(
            exp.or_(price.is_(exp.null()), exp.LT(this=price, expression=exp.Literal.number(0))),
            exp.Literal.string("invalid_price"),
        )
        .when(
            exp.LT(this=inventory, expression=exp.Literal.number(0)),
            exp.Literal.string("invalid_inventory"),
        )
    )


@macro()
def order_value_rule(
    evaluator: MacroEvaluator,
    status: exp.Expression,
    user_id: exp.Expression,
    created_at: exp.Expression,
) -> exp.Expression:
    """The first value rule an order row breaks (invalid_status, missing_user,
    missing_created_at), or NULL. `status` is the normalised status. One definition for the
    current rows (base_greenery__orders) and their versions."""
    known = exp.In(this=status, expressions=[exp.Literal.string(s) for s in ORDER_STATUSES])
    return (
        exp.Case()
        .when(
            exp.not_(exp.func("COALESCE", known, exp.false())), exp.Literal.string("invalid_status")
        )
        .when(user_id.is_(exp.null()), exp.Literal.string("missing_user"))
        .when(created_at.is_(exp.null()), exp.Literal.string("missing_created_at"))
    )


@macro()
def changed_since_previous_version(
    evaluator: MacroEvaluator,
    key: exp.Expression,
    at: exp.Expression,
    *tracked: exp.Expression,
) -> exp.Expression:
    """True for a key's first version and for each version whose `tracked` columns differ from
    the version before it (ordered by `at`): the start of each row of a type 2 history."""

    def previous(column: exp.Expression) -> exp.Expression:
        return exp.Window(
            this=exp.func("LAG", column.copy()),
            partition_by=[key.copy()],
            order=exp.Order(expressions=[exp.Ordered(this=at.copy())]),
        )

    first = previous(at).is_(exp.null())
    changes = [exp.NullSafeNEQ(this=column, expression=previous(column)) for column in tracked]
    return exp.or_(first, *changes)
