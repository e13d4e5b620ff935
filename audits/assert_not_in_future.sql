-- No timestamp in @column lies in the future (beyond now, plus @tolerance for clock skew).
-- Warns: a future timestamp is a source clock or time-zone defect; the row is real, but
-- freshness and daily counts computed from it would be wrong.
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
