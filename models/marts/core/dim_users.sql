MODEL (
  name core.dim_users,
  kind VIEW, /* a join of two staging views on a unique key: as a view it costs nothing per run (a table was rebuilt whole every day) and cannot disagree with them */
  owner data_team,
  grain user_id,
  tags (core, pii),
  ignored_rules (
    nomissingaudits
  ), /* its grain and creation times are audited on staging.base_greenery__users, for the rows stg_greenery__users keeps; the join to stg_greenery__addresses, whose address_id is audited unique, cannot repeat a user */
  description 'One row per user, with their default address. The user dimension every business unit joins to.',
  column_descriptions (
    user_id = 'User key.',
    first_name = 'First name (personal data).',
    last_name = 'Last name (personal data).',
    email = 'Email address (personal data).',
    phone_number = 'Phone number (personal data).',
    created_at = 'When the account was created (UTC).',
    updated_at = 'When the account was last updated (UTC).',
    address_id = 'Default address.',
    address = 'Street of the default address (personal data).',
    zipcode = 'Five-digit zipcode of the default address.',
    state = 'State of the default address.',
    country = 'Country of the default address.'
  )
);

SELECT
  users.user_id::TEXT AS user_id,
  users.first_name::TEXT AS first_name,
  users.last_name::TEXT AS last_name,
  users.email::TEXT AS email,
  users.phone_number::TEXT AS phone_number,
  users.created_at::TIMESTAMP AS created_at,
  users.updated_at::TIMESTAMP AS updated_at,
  users.address_id::TEXT AS address_id,
  addresses.address::TEXT AS address,
  addresses.zipcode::TEXT AS zipcode,
  addresses.state::TEXT AS state,
  addresses.country::TEXT AS country
FROM staging.stg_greenery__users AS users
LEFT JOIN staging.stg_greenery__addresses AS addresses
  ON addresses.address_id = users.address_id
