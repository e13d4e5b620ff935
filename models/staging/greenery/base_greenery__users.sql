MODEL (
  name staging.base_greenery__users,
  kind INCREMENTAL_BY_PARTITION, /* by user key: a daily run replaces the rows of the keys the loader replaced (a key's rows are replaced whole, duplicates included) */
  partitioned_by COALESCE(user_id, ''), /* the loader treats a NULL key as one key; so does the replacement */
  grain (_source_file, _source_line, _loaded_at),
  tags (staging, greenery, pii),
  description 'Every raw user row, renamed and cast, with the first staging rule it breaks. Incremental by key: a daily run reads the raw rows of the users loaded since its last run (the loader stamps each row it writes with _loaded_at), ranks duplicates within those keys and replaces their rows; a first build or a restatement reads all of raw.users. stg_greenery__users keeps the rows that break none; stg_greenery__rejects shows the others.',
  column_descriptions (
    user_id = 'User key (uuid).',
    first_name = 'First name (personal data).',
    last_name = 'Last name (personal data).',
    email = 'Email address, lower-cased (personal data).',
    phone_number = 'Phone number (personal data).',
    created_at = 'When the account was created (UTC).',
    updated_at = 'When the account was last updated (UTC).',
    address_id = 'Default address of the user.',
    rejected_because = 'The first rule the row breaks (missing_key, duplicate_key, missing_created_at), NULL when it breaks none.',
    _loaded_at = 'When the loader landed the row (UTC).',
    _source_file = 'CSV file the row came from.',
    _source_line = 'Line of the row in that file (the header is line 1).',
    _processed_after = 'The newest load the table held when the run that wrote this row began (1970-01-01 on a full build): the rows of one batch share it, and the audits judge the newest batch (@in_newest_batch).'
  ),
  audits (
    not_null(columns := (_source_file, _source_line), condition := @in_newest_batch()),
    unique_combination_of_columns(columns := (
      user_id
    ), condition := rejected_because IS NULL AND @in_newest_batch()),
    not_null(columns := (user_id, created_at), condition := rejected_because IS NULL AND @in_newest_batch())
  )
);

SELECT
  user_id::TEXT AS user_id,
  first_name::TEXT AS first_name,
  last_name::TEXT AS last_name,
  LOWER(TRIM(email))::TEXT AS email,
  phone_number::TEXT AS phone_number,
  created_at::TIMESTAMP AS created_at,
  updated_at::TIMESTAMP AS updated_at,
  address_id::TEXT AS address_id,
  CASE
    WHEN user_id IS NULL
    THEN 'missing_key'
    WHEN ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY _loaded_at DESC, _source_line) > 1
    THEN 'duplicate_key'
    WHEN created_at IS NULL
    THEN 'missing_created_at'
  END::TEXT AS rejected_because,
  _loaded_at::TIMESTAMP AS _loaded_at,
  _source_file::TEXT AS _source_file,
  _source_line::BIGINT AS _source_line,
  @processed_until()::TIMESTAMP AS _processed_after
FROM @rows_of_keys_loaded_since(raw.users, user_id) AS users
