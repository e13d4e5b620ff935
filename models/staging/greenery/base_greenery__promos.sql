MODEL (
  name staging.base_greenery__promos,
  kind FULL, /* a table: its ROW_NUMBER over the whole raw table is computed once per run, not once per reader */
  grain (_source_file, _source_line, _loaded_at),
  tags (staging, greenery),
  description 'Every raw promo row, renamed and cast, with the first staging rule it breaks. Promo ids are normalised (@normalize_promo_id) so that orders find their promo. stg_greenery__promos keeps the rows that break no rule; stg_greenery__rejects shows the others.',
  column_descriptions (
    promo_id = 'Normalised promo key: lower case, trimmed, words joined by -.',
    promo_name = 'The promo id as the source spells it.',
    discount = 'Dollars taken off an order that uses the promo.',
    status = 'active or inactive.',
    rejected_because = 'The first rule the row breaks (missing_key, duplicate_key, invalid_status, invalid_discount), NULL when it breaks none.',
    _loaded_at = 'When the loader landed the row (UTC).',
    _source_file = 'CSV file the row came from.',
    _source_line = 'Line of the row in that file (the header is line 1).'
  ),
  audits (
    not_null(columns := (_source_file, _source_line))
  )
);

SELECT
  @normalize_promo_id(promo_id)::TEXT AS promo_id,
  promo_id::TEXT AS promo_name,
  discount::DECIMAL(12, 2) AS discount,
  LOWER(TRIM(status))::TEXT AS status,
  CASE
    WHEN @normalize_promo_id(promo_id) IS NULL
    THEN 'missing_key'
    WHEN ROW_NUMBER() OVER (PARTITION BY @normalize_promo_id(promo_id) ORDER BY _loaded_at DESC, _source_line) > 1
    THEN 'duplicate_key'
    WHEN LOWER(TRIM(status)) IS DISTINCT FROM 'active' AND LOWER(TRIM(status)) IS DISTINCT FROM 'inactive'
    THEN 'invalid_status'
    WHEN discount IS NULL OR discount < 0
    THEN 'invalid_discount'
  END::TEXT AS rejected_because,
  _loaded_at::TIMESTAMP AS _loaded_at,
  _source_file::TEXT AS _source_file,
  _source_line::BIGINT AS _source_line
FROM raw.promos
