-- Referential integrity: every non-NULL @column of the model exists in @target.@target_column.
-- Warns by default: an orphan comes from the source (a parent row was rejected by staging or
-- not exported yet), not from the model's logic; holding back every mart for it would hide the
-- rest of the day's data. The failing rows are what the monitor reports. Pass
-- `blocking := true` where an orphan would make the model itself wrong.
AUDIT (
  name assert_references,
  blocking FALSE
);

SELECT
  child.*
FROM @this_model AS child
WHERE
  NOT child.@column IS NULL
  AND NOT EXISTS(
    SELECT
      1
    FROM @target AS parent
    WHERE
      parent.@target_column = child.@column
  )
