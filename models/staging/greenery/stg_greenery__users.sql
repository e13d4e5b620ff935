MODEL (
  name staging.stg_greenery__users,
  kind VIEW,
  grain user_id,
  ignored_rules (
    nomissingaudits
  ), /* audited on base_greenery__users, per batch */
  tags (staging, greenery, pii),
  description 'One row per user: the clean users of the raw export, emails lower-cased. Rows that break a staging rule are in stg_greenery__rejects instead; base_greenery__users holds both, and audits the kept rows of each batch it writes (a view has no batch: its audits would read every row in every run).',
  column_descriptions (
    user_id = 'User key (uuid).',
    first_name = 'First name (personal data).',
    last_name = 'Last name (personal data).',
    email = 'Email address, lower-cased (personal data).',
    phone_number = 'Phone number (personal data).',
    created_at = 'When the account was created (UTC).',
    updated_at = 'When the account was last updated (UTC).',
    address_id = 'Default address of the user.'
  )
);

SELECT
  user_id::TEXT AS user_id,
  first_name::TEXT AS first_name,
  last_name::TEXT AS last_name,
  email::TEXT AS email,
  phone_number::TEXT AS phone_number,
  created_at::TIMESTAMP AS created_at,
  updated_at::TIMESTAMP AS updated_at,
  address_id::TEXT AS address_id
FROM staging.base_greenery__users
WHERE
  rejected_because IS NULL
