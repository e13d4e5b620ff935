AUDIT (
  name assert_order_total_reconciles,
  blocking FALSE
);

SELECT
  order_id,
  order_cost,
  shipping_cost,
  discount,
  order_total,
  order_cost + shipping_cost - discount AS expected_total
FROM @this_model
WHERE
  ABS(order_total - (
    order_cost + shipping_cost - discount
  )) > 0.01
