MODEL (
  name staging.stg_greenery__rejects,
  kind VIEW,
  ignored_rules (
    ambiguousorinvalidcolumn /* TO_JSON(b) reads the row alias b as a value */
  ),
  grain (source_table, _source_file, _source_line, _loaded_at),
  tags (staging, greenery, pii),
  description 'Every raw row that a staging rule refused, with the rule it broke and the row itself, so that no row is dropped in silence. For every raw table, raw rows = rows kept in stg_greenery__<table> + rows here (quality.staging_reconciliation checks it). Query it by source_table and rejected_because to see what was refused and where it came from (file and line).',
  column_descriptions (
    source_table = 'Raw table the row came from.',
    source_key = 'Natural key of the row as delivered (order_id|product_id for order items); NULL when the key is missing.',
    rejected_because = 'The first staging rule the row breaks (see the base_greenery__<table> models).',
    record = 'The whole row, renamed and cast, as JSON (may hold personal data).',
    _loaded_at = 'When the loader landed the row (UTC).',
    _source_file = 'CSV file the row came from.',
    _source_line = 'Line of the row in that file (the header is line 1).'
  ),
  audits (
    not_null(columns := (source_table, rejected_because, _source_file, _source_line))
  )
);

SELECT
  r.source_table::TEXT AS source_table,
  r.source_key::TEXT AS source_key,
  r.rejected_because::TEXT AS rejected_because,
  r.record::JSON AS record,
  r._loaded_at::TIMESTAMP AS _loaded_at,
  r._source_file::TEXT AS _source_file,
  r._source_line::BIGINT AS _source_line
FROM (
  @rejected_rows()
) AS r
