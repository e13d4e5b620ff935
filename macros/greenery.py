"""SQL macros shared by the Greenery models."""

from sqlglot import exp
from sqlmesh import macro
from sqlmesh.core.macros import MacroEvaluator

#: The order statuses the shop has; any other is rejected.
ORDER_STATUSES = ("preparing", "shipped", "delivered")
#: Before every load: the watermark of a table that holds no row.
EPOCH = "1970-01-01 00:00:00"
#: On every row a model incremental by key writes: the watermark its batch read after.
BATCH_COLUMN = "_processed_after"


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


def _incremental_run(evaluator: MacroEvaluator) -> bool:
    """Whether this evaluation adds to the model's table rather than building it from scratch.

    SQLMesh replaces the table on a model version's first insert (no intervals yet, or after a
    restatement, which clears them all for models incremental by key), so the query must then
    read every row. Outside an evaluation (loading, unit tests, rendering for other engines, the
    bench's floor) there is no snapshot: the query is the whole-history one.
    """
    snapshot = evaluator.locals.get("snapshot")
    this_model = evaluator.locals.get("this_model")
    if snapshot is None or this_model is None or not evaluator.locals.get("snapshot_table_exists"):
        return False
    table = this_model if isinstance(this_model, str) else this_model.sql(dialect="duckdb")
    dev_table = snapshot.table_name(is_deployable=False)
    is_dev = dev_table != snapshot.table_name(is_deployable=True) and table.replace('"', "") == (
        dev_table.replace('"', "")
    )
    return bool(snapshot.dev_intervals if is_dev else snapshot.intervals)


@macro()
def full_rebuild(evaluator: MacroEvaluator) -> exp.Expression:
    """TRUE when the model is built from scratch (first build, restatement), else FALSE. Models
    incremental by key filter their inputs with `@full_rebuild() OR <the keys touched since
    @processed_until()>`; SQLMesh's optimizer drops the filter when it is TRUE."""
    return exp.false() if _incremental_run(evaluator) else exp.true()


@macro()
def processed_until(evaluator: MacroEvaluator) -> exp.Expression:
    """The newest `_loaded_at` the model's table holds: the loader stamps every row it writes
    with its load time, so raw rows loaded later (the keys each delivery replaced) are the ones
    no run has processed yet. 1970-01-01 when the model is built from scratch (every row is new)
    and when its table is empty."""
    if not _incremental_run(evaluator):
        return _epoch()
    return newest_load(_this_table(evaluator))


def _this_table(evaluator: MacroEvaluator) -> exp.Table:
    """The table being evaluated or audited (`@this_model`), which SQLMesh gives as a string
    or as a table."""
    this_model = evaluator.locals["this_model"]
    return exp.to_table(this_model) if isinstance(this_model, str) else this_model


def _epoch() -> exp.Expression:
    return exp.cast(exp.Literal.string(EPOCH), exp.DataType.build("TIMESTAMP"))


def newest_load(table: exp.Table) -> exp.Expression:
    """The newest `_loaded_at` in `table`, 1970-01-01 when it is empty: the loads a table
    incremental by key has processed (every row it writes keeps its raw row's load time)."""
    return exp.func("COALESCE", _largest(table, "_loaded_at"), _epoch())


def _largest(table: exp.Table, column: str) -> exp.Subquery:
    """`(SELECT MAX(column) FROM table)`."""
    return exp.Subquery(this=exp.select(exp.func("MAX", exp.column(column))).from_(table.copy()))


@macro()
def in_newest_batch(evaluator: MacroEvaluator) -> exp.Expression:
    """An audit's condition on a model incremental by key: the rows of its newest batch, whose
    `_processed_after` (the `@processed_until()` its run read, stored on every row it wrote) is
    the table's largest. Such a model replaces a key's rows whole, so all of a key's rows come
    from one batch, and an invariant per key (unique, not null, accepted values) holds for the
    table when it holds for every batch: a daily run audits the keys it wrote, not all history.
    After a first build or a restatement every row holds the epoch: the audit reads them all.
    TRUE where no table is being audited (SQLMesh validating the project)."""
    if evaluator.locals.get("this_model") is None:
        return exp.true()
    return exp.column(BATCH_COLUMN).eq(_largest(_this_table(evaluator), BATCH_COLUMN))


def key_or_empty(key: exp.Expression) -> exp.Expression:
    """A NULL key part as '': the loader treats NULL key parts as equal."""
    return exp.func("COALESCE", key, exp.Literal.string(""))


@macro()
def rows_of_keys_loaded_since(
    evaluator: MacroEvaluator, table: exp.Table, key: exp.Expression
) -> exp.Subquery:
    """Every row of raw `table` whose `key` has a row loaded since `@processed_until()`: a
    staging model incremental by key recomputes those keys whole, duplicates included, so its
    ranking of a key's rows sees what a full build would. Every row on a full rebuild. A NULL
    key is one key, as it is to the loader."""
    key_value = key_or_empty(key)
    loaded = exp.column("_loaded_at") > processed_until(evaluator)
    touched = exp.select(key_value.copy()).distinct().from_(table.copy()).where(loaded)
    keys = exp.or_(full_rebuild(evaluator), key_value.copy().isin(query=touched))
    return exp.select("*").from_(table.copy()).where(keys).subquery()


@macro()
def money_average(
    evaluator: MacroEvaluator, total: exp.Expression, count: exp.Expression
) -> exp.Expression:
    """`total` (dollars to the cent, not negative) over `count`, rounded half up to the cent;
    NULL when `count` is 0 or NULL. DuckDB divides a DECIMAL as a DOUBLE, whose half-cent ties
    (2.01 / 2) can fall a hair below the half and round down, while PostgreSQL divides exactly
    and rounds up. Here integers are divided, (2 * cents + count) // (2 * count), which is
    exact on every engine, so all agree: 1.01 for 2.01 / 2, as PostgreSQL says."""
    twice_cents = exp.cast(exp.Mul(this=total, expression=exp.Literal.number(200)), "BIGINT")
    twice_count = exp.Mul(this=exp.Literal.number(2), expression=count.copy())
    cents = exp.IntDiv(
        this=exp.Paren(this=exp.Add(this=twice_cents, expression=count.copy())),
        expression=exp.func("NULLIF", twice_count, exp.Literal.number(0)),
    )
    return exp.Mul(this=cents, expression=exp.Literal.number("0.01"))
