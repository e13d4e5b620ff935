MODEL (
  name quality.staging_reconciliation,
  kind VIEW,
  grain source_table,
  tags (quality, greenery),
  description 'One row per raw table: rows the loader delivered, rows staging kept, rows staging rejected, rows landed since the last run (pending) and rows staging holds that the loader has since replaced (superseded): the next run takes both. Nothing is dropped in silence: delivered + superseded = kept + rejected + pending for every table, which the blocking audit enforces (between a load and the next run too); an event landing later than the lookback of its day breaks it until that day is restated.',
  column_descriptions (
    source_table = 'Raw table.',
    delivered_rows = 'Rows in raw.<table>.',
    kept_rows = 'Rows in staging.stg_greenery__<table>.',
    rejected_rows = 'Rows of that table in staging.stg_greenery__rejects.',
    pending_rows = 'Rows landed since the last run, which the next run takes: events dated after the newest day base_greenery__events has processed; for the other tables, raw rows loaded after the newest load their base model holds (a row loaded before it and missing from the base model is not pending, as no run would take it: the audit fails).',
    superseded_rows = 'Rows the base model still holds that raw no longer does (matched on file, line and load time): the loader has since replaced their key, and the next run replaces them; 0 for events.',
    rejected_share = 'rejected_rows / delivered_rows.'
  ),
  audits (
    forall(criteria := (
      delivered_rows + superseded_rows = kept_rows + rejected_rows + pending_rows
    )) /* Blocks: a row neither kept, rejected nor pending was lost by a staging model. */
  )
);

WITH delivered(source_table, n) AS (
  SELECT
    'addresses',
    COUNT(*)
  FROM raw.addresses
  UNION ALL
  SELECT
    'users',
    COUNT(*)
  FROM raw.users
  UNION ALL
  SELECT
    'promos',
    COUNT(*)
  FROM raw.promos
  UNION ALL
  SELECT
    'products',
    COUNT(*)
  FROM raw.products
  UNION ALL
  SELECT
    'orders',
    COUNT(*)
  FROM raw.orders
  UNION ALL
  SELECT
    'order_items',
    COUNT(*)
  FROM raw.order_items
  UNION ALL
  SELECT
    'events',
    COUNT(*)
  FROM raw.events
), kept(source_table, n) AS (
  SELECT
    'addresses',
    COUNT(*)
  FROM staging.stg_greenery__addresses
  UNION ALL
  SELECT
    'users',
    COUNT(*)
  FROM staging.stg_greenery__users
  UNION ALL
  SELECT
    'promos',
    COUNT(*)
  FROM staging.stg_greenery__promos
  UNION ALL
  SELECT
    'products',
    COUNT(*)
  FROM staging.stg_greenery__products
  UNION ALL
  SELECT
    'orders',
    COUNT(*)
  FROM staging.stg_greenery__orders
  UNION ALL
  SELECT
    'order_items',
    COUNT(*)
  FROM staging.stg_greenery__order_items
  UNION ALL
  SELECT
    'events',
    COUNT(*)
  FROM staging.stg_greenery__events
), rejected AS (
  SELECT
    source_table,
    COUNT(*) AS n
  FROM staging.stg_greenery__rejects
  GROUP BY
    source_table
), pending(source_table, n) AS (
  SELECT
    'events',
    COUNT(*)
  FROM raw.events
  WHERE
    created_at >= (
      SELECT
        DATE_TRUNC('DAY', MAX(created_at)) + INTERVAL '1' DAY
      FROM staging.base_greenery__events
    )
  UNION ALL
  @PENDING_ROWS()
), superseded AS (
  @SUPERSEDED_ROWS()
)
SELECT
  delivered.source_table::TEXT AS source_table,
  delivered.n::BIGINT AS delivered_rows,
  kept.n::BIGINT AS kept_rows,
  COALESCE(rejected.n, 0)::BIGINT AS rejected_rows,
  COALESCE(pending.n, 0)::BIGINT AS pending_rows,
  COALESCE(superseded.n, 0)::BIGINT AS superseded_rows,
  @SAFE_DIV(COALESCE(rejected.n, 0), delivered.n)::DOUBLE AS rejected_share
FROM delivered
JOIN kept
  ON kept.source_table = delivered.source_table
LEFT JOIN rejected
  ON rejected.source_table = delivered.source_table
LEFT JOIN pending
  ON pending.source_table = delivered.source_table
LEFT JOIN superseded
  ON superseded.source_table = delivered.source_table
