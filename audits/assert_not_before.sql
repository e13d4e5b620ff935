AUDIT (
  name assert_not_before /* Blocks: a row's later moment (@column) is not before its earlier one (@earliest), as a session ends after it starts and a buyer's last order is not before the first. The model computes both from the same rows, so a row that breaks it means its logic is wrong, never the source. */
);

SELECT
  *
FROM @this_model
WHERE
  @column < @earliest
