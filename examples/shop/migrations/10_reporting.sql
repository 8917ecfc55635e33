-- Reporting views. Must run after 9_reviews.sql (product_ratings reads the
-- reviews table): a runner that sorted migrations as strings would apply
-- "10_" before "9_" and fail here.

CREATE VIEW order_totals AS
SELECT o.id                                              AS order_id,
       o.customer_id,
       o.status,
       o.currency,
       o.placed_at,
       coalesce(l.items, 0)                              AS items,
       coalesce(l.subtotal, 0)                           AS subtotal,
       coalesce(r.discount, 0)                           AS discount,
       o.shipping_fee,
       round((coalesce(l.subtotal, 0) - coalesce(r.discount, 0)) * coalesce(c.vat_rate, 0), 2) AS tax,
       coalesce(l.subtotal, 0) - coalesce(r.discount, 0) + o.shipping_fee
         + round((coalesce(l.subtotal, 0) - coalesce(r.discount, 0)) * coalesce(c.vat_rate, 0), 2) AS total
FROM orders o
LEFT JOIN (SELECT order_id,
                  sum(quantity) AS items,
                  sum(round(unit_price * quantity * (1 - discount_pct / 100), 2)) AS subtotal
           FROM order_lines GROUP BY order_id) l ON l.order_id = o.id
LEFT JOIN coupon_redemptions r ON r.order_id = o.id
LEFT JOIN addresses a ON a.id = o.shipping_address_id
LEFT JOIN countries c ON c.code = a.country;

-- Lifetime value in EUR over orders that were actually paid for.
CREATE VIEW customer_lifetime_value AS
SELECT c.id                                          AS customer_id,
       c.email,
       c.full_name,
       count(t.order_id)                             AS paid_orders,
       coalesce(sum(convert_amount(t.total, t.currency, 'EUR')), 0) AS lifetime_value_eur,
       min(t.placed_at)                              AS first_order_at,
       max(t.placed_at)                              AS last_order_at
FROM customers c
LEFT JOIN order_totals t
       ON t.customer_id = c.id AND t.status IN ('paid', 'shipped', 'delivered')
GROUP BY c.id, c.email, c.full_name;

CREATE VIEW product_sales AS
SELECT p.id                      AS product_id,
       p.sku,
       p.name,
       coalesce(sum(l.quantity) FILTER (WHERE o.status NOT IN ('cancelled', 'refunded')), 0) AS units_sold,
       count(DISTINCT o.customer_id) FILTER (WHERE o.status NOT IN ('cancelled', 'refunded')) AS buyers
FROM products p
LEFT JOIN order_lines l ON l.product_id = p.id
LEFT JOIN orders o ON o.id = l.order_id
GROUP BY p.id, p.sku, p.name;

CREATE VIEW stock_on_hand AS
SELECT p.id AS product_id, p.sku, p.active, p.reorder_level,
       coalesce(sum(s.quantity), 0) AS on_hand
FROM products p
LEFT JOIN stock_levels s ON s.product_id = p.id
GROUP BY p.id, p.sku, p.active, p.reorder_level;

CREATE VIEW low_stock AS
SELECT product_id, sku, on_hand, reorder_level
FROM stock_on_hand
WHERE active AND on_hand <= reorder_level;

CREATE VIEW product_ratings AS
SELECT p.id AS product_id,
       p.sku,
       count(r.id)                                     AS reviews,
       round(avg(r.rating), 2)                         AS avg_rating,
       count(r.id) FILTER (WHERE r.verified_purchase)  AS verified_reviews
FROM products p
LEFT JOIN reviews r ON r.product_id = p.id
GROUP BY p.id, p.sku;

-- Revenue per calendar day in the shop's home time zone.
CREATE VIEW daily_revenue_eur AS
SELECT (t.placed_at AT TIME ZONE 'Europe/Berlin')::date AS day,
       count(*)                                           AS orders,
       sum(convert_amount(t.total, t.currency, 'EUR'))     AS revenue_eur
FROM order_totals t
WHERE t.status IN ('paid', 'shipped', 'delivered')
GROUP BY 1;
