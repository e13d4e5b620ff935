MODEL (
  name staging.stg_greenery__addresses,
  kind VIEW,
  grain address_id,
  ignored_rules (
    nomissingaudits
  ), /* audited on base_greenery__addresses, per batch */
  tags (staging, greenery, pii),
  description 'One row per address: the clean addresses of the raw export. Rows that break a staging rule are in stg_greenery__rejects instead; base_greenery__addresses holds both, and audits the kept rows of each batch it writes (a view has no batch: its audits would read every row in every run).',
  column_descriptions (
    address_id = 'Address key (uuid).',
    address = 'Street address (personal data).',
    zipcode = 'Five-digit US zipcode as text; zipcodes that lost their leading zero in an INTEGER export are padded back.',
    state = 'US state name.',
    country = 'Country name.'
  )
);

SELECT
  address_id::TEXT AS address_id,
  address::TEXT AS address,
  zipcode::TEXT AS zipcode,
  state::TEXT AS state,
  country::TEXT AS country
FROM staging.base_greenery__addresses
WHERE
  rejected_because IS NULL
