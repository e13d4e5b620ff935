AUDIT (
  name assert_not_in_future,
  blocking FALSE,
  defaults (
    tolerance = INTERVAL '1' HOUR
  )
);

SELECT
  *
FROM @this_model
WHERE
  @column > CURRENT_TIMESTAMP::TIMESTAMP + @tolerance
