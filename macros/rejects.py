"""The rows staging refused, and the rows it has not caught up with, one UNION ALL arm per raw
table of the contract (ingest/schema.py).

SQLMesh stores a macro with the globals it reads: `REJECT_KEYS` is plain data (table name to
key columns), so the model's fingerprint changes when the contract's tables or keys do, and
evaluating the stored macro needs no import of `ingest`.
"""

from collections.abc import Iterable

from sqlglot import exp
from sqlmesh import macro
from sqlmesh.core.macros import MacroEvaluator

from ingest.schema import RAW_TABLES
from macros.greenery import key_or_empty, newest_load

#: Each raw table and its natural key, in the contract's order.
REJECT_KEYS: dict[str, tuple[str, ...]] = {table.name: table.key for table in RAW_TABLES}


@macro()
def rejected_rows(evaluator: MacroEvaluator) -> exp.Query:
    """Every row a base_greenery__<table> model marks as rejected, one UNION ALL arm per table:
    source_table, source_key (a composite key's columns joined with '|'; NULL when a part is
    missing), rejected_because, record (the whole row as JSON), _loaded_at, _source_file,
    _source_line. The caller casts the columns.
    """
    arms = []
    for table, key in REJECT_KEYS.items():
        parts: list[exp.Expression] = [exp.column(column, "b") for column in key]
        source_key = parts[0]
        for part in parts[1:]:
            # `||` built as DuckDB's parser builds it (safe=True); NULL when either side is.
            with_bar = exp.DPipe(this=source_key, expression=exp.Literal.string("|"), safe=True)
            source_key = exp.DPipe(this=with_bar, expression=part, safe=True)
        arms.append(
            exp.select(
                exp.alias_(exp.Literal.string(table), "source_table"),
                exp.alias_(source_key, "source_key"),
                exp.alias_(exp.column("rejected_because", "b"), "rejected_because"),
                exp.alias_(exp.func("TO_JSON", exp.column("b")), "record"),
                exp.alias_(exp.column("_loaded_at", "b"), "_loaded_at"),
                exp.alias_(exp.column("_source_file", "b"), "_source_file"),
                exp.alias_(exp.column("_source_line", "b"), "_source_line"),
            )
            .from_(exp.alias_(exp.table_(f"base_greenery__{table}", "staging"), "b", table=True))
            .where(exp.not_(exp.column("rejected_because", "b").is_(exp.null())))
        )
    return exp.union(*arms, distinct=False)


#: Tables whose base model holds one row per landed raw row (rebuilt whole, or by key); the
#: events' base model is incremental by day, and staging_reconciliation counts its pending
#: rows by day instead.
LANDED = tuple(table for table in REJECT_KEYS if table != "events")
LANDING = ("_source_file", "_source_line", "_loaded_at")  # a landed row's identity


@macro()
def pending_rows(evaluator: MacroEvaluator) -> exp.Query:
    """Per table (source_table, n): the raw rows loaded after the newest load its base model
    holds, which the next run takes (a base model incremental by key reads the keys loaded
    since that watermark; one rebuilt whole reads every row). A row loaded before it and
    missing from the base model is not pending, since no run would take it: the
    reconciliation's equation then breaks, where an anti-join would count it pending for
    ever. Reading the watermark costs a column's maximum, not a join of every row."""
    return _count_per_table(
        (table, exp.table_(table, "raw"), _loaded_after_base(table)) for table in LANDED
    )


@macro()
def superseded_rows(evaluator: MacroEvaluator) -> exp.Query:
    """Per table (source_table, n): the base model's rows whose landing (file, line and load
    time, the base models' grain) raw no longer holds, among the keys with a pending row: the
    loader replaces a key's rows whole, so a row it replaced has a key loaded since, and the
    next run drops it. Both sides read those keys only, not every row; a row gone from raw
    without its key delivered again (deleted by hand) is not superseded, and the equation
    breaks."""
    match = exp.and_(*(exp.column(c, "r").eq(exp.column(c, "b")) for c in LANDING))

    def of_pending_keys(table: str, alias: str) -> exp.Expression:
        key = REJECT_KEYS[table][0]
        pending = exp.select(key_or_empty(exp.column(key))).from_(exp.table_(table, "raw"))
        return key_or_empty(exp.column(key, alias)).isin(
            query=pending.where(_loaded_after_base(table))
        )

    def in_raw(table: str) -> exp.Exists:
        raw = exp.alias_(exp.table_(table, "raw"), "r", table=True)
        where = exp.and_(of_pending_keys(table, "r"), match.copy())
        return exp.Exists(this=exp.select("1").from_(raw).where(where))

    return _count_per_table(
        (
            table,
            exp.alias_(exp.table_(f"base_greenery__{table}", "staging"), "b", table=True),
            exp.and_(of_pending_keys(table, "b"), exp.not_(in_raw(table))),
        )
        for table in LANDED
    )


def _loaded_after_base(table: str) -> exp.Expression:
    """Raw rows loaded after the newest load `table`'s base model holds."""
    return exp.column("_loaded_at") > newest_load(exp.table_(f"base_greenery__{table}", "staging"))


def _count_per_table(arms: Iterable[tuple[str, exp.Expression, exp.Expression]]) -> exp.Query:
    """(source_table, n) of each (table, relation, condition): the rows of `relation` that
    meet `condition`, one UNION ALL arm per table."""
    return exp.union(
        *(
            exp.select(
                exp.alias_(exp.Literal.string(table), "source_table"),
                exp.alias_(exp.func("COUNT", exp.Star()), "n"),
            )
            .from_(relation)
            .where(condition)
            for table, relation, condition in arms
        ),
        distinct=False,
    )
