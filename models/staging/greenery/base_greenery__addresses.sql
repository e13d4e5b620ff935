MODEL (
  name staging.base_greenery__addresses,
  kind INCREMENTAL_BY_PARTITION, /* by address key: a daily run replaces the rows of the keys the loader replaced (a key's rows are replaced whole, duplicates included) */
  partitioned_by COALESCE(address_id, ''), /* the loader treats a NULL key as one key; so does the replacement */
  grain (_source_file, _source_line, _loaded_at),
  tags (staging, greenery, pii),
  description 'Every raw address row, renamed and cast, with the first staging rule it breaks. Incremental by key: a daily run reads the raw rows of the addresses loaded since its last run (the loader stamps each row it writes with _loaded_at), ranks duplicates within those keys and replaces their rows; a first build or a restatement reads all of raw.addresses. stg_greenery__addresses keeps the rows that break none; stg_greenery__rejects shows the others.',
  column_descriptions (
    address_id = 'Address key (uuid).',
    address = 'Street address (personal data).',
    zipcode = 'Five-digit US zipcode as text; zipcodes that lost their leading zero in an INTEGER export are padded back.',
    state = 'US state name.',
    country = 'Country name.',
    rejected_because = 'The first rule the row breaks (missing_key, duplicate_key, invalid_zipcode), NULL when it breaks none.',
    _loaded_at = 'When the loader landed the row (UTC).',
    _source_file = 'CSV file the row came from.',
    _source_line = 'Line of the row in that file (the header is line 1).',
    _processed_after = 'The newest load the table held when the run that wrote this row began (1970-01-01 on a full build): the rows of one batch share it, and the audits judge the newest batch (@in_newest_batch).'
  ),
  audits (
    not_null(columns := (_source_file, _source_line), condition := @in_newest_batch()),
    unique_combination_of_columns(columns := (
      address_id
    ), condition := rejected_because IS NULL AND @in_newest_batch()),
    not_null(columns := (address_id, zipcode), condition := rejected_because IS NULL AND @in_newest_batch()),
    forall(
      criteria := (
        REGEXP_MATCHES(zipcode, '^[0-9]{5}$')
      ),
      condition := rejected_because IS NULL AND @in_newest_batch()
    )
  )
);

SELECT
  address_id::TEXT AS address_id,
  address::TEXT AS address,
  LPAD(TRIM(zipcode), 5, '0')::TEXT AS zipcode,
  state::TEXT AS state,
  country::TEXT AS country,
  CASE
    WHEN address_id IS NULL
    THEN 'missing_key'
    WHEN ROW_NUMBER() OVER (PARTITION BY address_id ORDER BY _loaded_at DESC, _source_line) > 1
    THEN 'duplicate_key'
    WHEN NOT COALESCE(REGEXP_MATCHES(LPAD(TRIM(zipcode), 5, '0'), '^[0-9]{5}$'), FALSE)
    THEN 'invalid_zipcode'
  END::TEXT AS rejected_because,
  _loaded_at::TIMESTAMP AS _loaded_at,
  _source_file::TEXT AS _source_file,
  _source_line::BIGINT AS _source_line,
  @processed_until()::TIMESTAMP AS _processed_after
FROM @rows_of_keys_loaded_since(raw.addresses, address_id) AS addresses
