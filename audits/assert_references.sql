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
