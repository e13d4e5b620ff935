MODEL (
  name staging.stg_greenery__promos,
  kind VIEW,
  grain promo_id,
  tags (staging, greenery),
  description 'One row per promo, keyed by the normalised promo id that orders use. Rows that break a staging rule are in stg_greenery__rejects instead; base_greenery__promos holds both.',
  column_descriptions (
    promo_id = 'Normalised promo key: lower case, trimmed, words joined by -.',
    promo_name = 'The promo id as the source spells it.',
    discount = 'Dollars taken off an order that uses the promo.',
    status = 'active or inactive.',
    _loaded_at = 'When the loader landed the row (UTC); models incremental by key process the rows loaded since their last run.'
  ),
  audits (
    unique_combination_of_columns(columns := (
      promo_id
    )),
    not_null(columns := (promo_id, discount, status)),
    accepted_values("column" := status, is_in := ('active', 'inactive'))
  )
);

SELECT
  promo_id::TEXT AS promo_id,
  promo_name::TEXT AS promo_name,
  discount::DECIMAL(12, 2) AS discount,
  status::TEXT AS status,
  _loaded_at::TIMESTAMP AS _loaded_at
FROM staging.base_greenery__promos
WHERE
  rejected_because IS NULL
